from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from learningcity.accounts.forms import UserAdminChangeForm, UserAdminCreationForm
from learningcity.accounts.models import User
from learningcity.accounts.roles import CITY_ADMIN_GROUP


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users log in with their e-mail address; there is no username."""

    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("display_name", "preferred_language")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "display_name", "is_active", "city_admin", "is_staff", "is_superuser", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups", "preferred_language", "date_joined")
    search_fields = ("email", "display_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(boolean=True, description=_("city administrator"))
    def city_admin(self, obj: User) -> bool:
        # Read from the prefetched groups: no query per row.
        return obj.is_superuser or any(group.name == CITY_ADMIN_GROUP for group in obj.groups.all())
