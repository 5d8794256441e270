"""Forms of the accounts app: the Django admin's user forms for an e-mail login."""

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from learningcity.accounts.models import User


def _clean_unique_email(form: forms.ModelForm) -> str:
    email = User.objects.normalize_email(form.cleaned_data.get("email") or "").lower()
    others = User.objects.filter(email__iexact=email)
    if form.instance.pk:
        others = others.exclude(pk=form.instance.pk)
    if others.exists():
        raise forms.ValidationError(_("A user with this e-mail address already exists."), code="unique")
    return email


class UserAdminCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        return _clean_unique_email(self)


class UserAdminChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return _clean_unique_email(self)
