"""Reads of the accounts app."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model


def user_has_verified_email(*, user) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def user_get_by_email(*, email: str):
    """The user whose login is `email` (any letter case), or None."""
    return get_user_model().objects.filter(email__iexact=email.strip()).first()
