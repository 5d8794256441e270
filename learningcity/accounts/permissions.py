"""Role checks for views. See roles.py for what each role means.

- `user_is_resident(user)`: signed in, active, with a verified e-mail address;
- `city_admin_required`: a view decorator for the city administrators' pages;
- for pages that need a verified e-mail, allauth's own
  `allauth.account.decorators.verified_email_required` resends the link and explains.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from learningcity.accounts.selectors import user_has_verified_email


def user_is_resident(user) -> bool:
    """Every active, signed-in user whose e-mail address is verified."""
    return bool(user.is_authenticated and user.is_active and user_has_verified_email(user=user))


def user_is_city_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_city_admin)


def city_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors are sent to the sign-in page (and back afterwards); a signed-in
    user without the city administrator role gets 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_is_city_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
