"""Roles, in one place.

- resident: every signed-in user with a verified e-mail address;
- provider staff: a membership of a provider (programmes.ProviderMembership, editor or manager);
- city administrator: member of the "City administrators" group, which grants
  `accounts.administer_city`;
- superuser: the Django admin."""

from django.contrib.auth.models import Group, Permission

CITY_ADMIN_GROUP = "City administrators"
CITY_ADMIN_PERMISSION = "accounts.administer_city"


def city_admin_group() -> Group:
    """The group, created with its permission if a fresh database lacks it."""
    group, _created = Group.objects.get_or_create(name=CITY_ADMIN_GROUP)
    app_label, codename = CITY_ADMIN_PERMISSION.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    group.permissions.add(permission)
    return group
