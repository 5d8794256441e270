"""Writes of the accounts app: keyword-only functions, one per action."""

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from learningcity.accounts.models import User
from learningcity.accounts.roles import city_admin_group
from learningcity.accounts.selectors import user_get_by_email


class AccountError(Exception):
    """A user-facing, translated reason why an account action was refused."""


def city_admin_ensure(*, email: str, password: str | None = None) -> tuple[User, bool]:
    """Create or promote a city administrator with a verified e-mail address.

    Idempotent: run again with the same e-mail, it changes nothing but the password (when one
    is given). Returns (user, created). A new user without a password gets an unusable one
    and sets it through "forgot password"."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise AccountError(_("Enter a valid e-mail address.")) from error
    with transaction.atomic():
        user = user_get_by_email(email=email)
        created = user is None
        if created:
            user = User(email=email)
        if password is not None:
            try:
                validate_password(password, user=user)
            except ValidationError as error:
                raise AccountError(" ".join(error.messages)) from error
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.is_active = True
        user.save()
        address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
        if address is None:
            has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=not has_primary)
        elif not address.verified:
            address.verified = True
            address.save(update_fields=["verified"])
        user.groups.add(city_admin_group())
    return user, created
