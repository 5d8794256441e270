"""Who may do what in the provider workspace, in one place. Every staff view uses these.

- anonymous visitors are sent to sign in;
- a signed-in user who is neither staff of an active provider nor a city administrator
  gets 403 on every staff page;
- staff of provider B asking for provider A's pages or objects get 404 (whatever id they
  guess): A's objects are looked up only through querysets scoped to A;
- manager-only pages (staff memberships, venues, the audit log) give 403 to an editor of
  the same provider (who knows the provider exists) and 404 to staff of other providers;
- a city administrator (User.is_city_admin) acts as a manager of every provider."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from programmes.models import Course, Programme, Provider, ProviderMembership, Session, Venue

EDITOR = ProviderMembership.Role.EDITOR
MANAGER = ProviderMembership.Role.MANAGER
_RANK = {EDITOR: 1, MANAGER: 2}


def is_city_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_city_admin)


def staff_roles(user) -> dict[int, str]:
    """{provider id: role} of the user's memberships of active providers (one query)."""
    if not user.is_authenticated:
        return {}
    return dict(
        ProviderMembership.objects.filter(user=user, provider__is_active=True).values_list("provider_id", "role")
    )


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous -> sign in; neither staff nor city administrator -> 403. Sets
    request.staff_roles and request.is_city_admin for the view."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        request.is_city_admin = is_city_admin(request.user)
        request.staff_roles = staff_roles(request.user)
        if not request.is_city_admin and not request.staff_roles:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def city_admin_only(request: HttpRequest) -> None:
    if not request.is_city_admin:
        raise PermissionDenied


def provider_for_staff(request: HttpRequest, provider_slug: str, *, min_role: str = EDITOR) -> Provider:
    """The provider of the workspace page, or Http404 (not one of the user's providers) or
    PermissionDenied (the user's provider, but the role is too low). Needs staff_required.
    Sets request.staff_role ("manager" for city administrators)."""
    provider = Provider.objects.select_related("city").filter(slug=provider_slug).first()
    if provider is None:
        raise Http404
    if request.is_city_admin:
        request.staff_role = MANAGER
        return provider
    role = request.staff_roles.get(provider.pk)
    if role is None:
        raise Http404
    if _RANK[role] < _RANK[min_role]:
        raise PermissionDenied
    request.staff_role = role
    return provider


def can_manage(request: HttpRequest) -> bool:
    return getattr(request, "staff_role", None) == MANAGER


# --- Querysets scoped to one provider: the only way staff views reach objects ----------


def programmes_of(provider: Provider):
    return Programme.objects.filter(provider=provider)


def courses_of(provider: Provider):
    return Course.objects.filter(programme__provider=provider)


def sessions_of(provider: Provider):
    return Session.objects.filter(course__programme__provider=provider)


def memberships_of(provider: Provider):
    return ProviderMembership.objects.filter(provider=provider)


def venues_of(provider: Provider):
    """Venues the provider edits (its own)."""
    return Venue.objects.filter(provider=provider)


def venues_usable_by(provider: Provider):
    """Venues the provider may schedule at: its own and the city's shared ones."""
    from django.db.models import Q

    return Venue.objects.filter(
        Q(provider=provider) | Q(provider__isnull=True), city_id=provider.city_id, is_active=True
    )


def get_or_404(queryset, **lookup):
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj
