import io

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from learningcity.accounts.models import User
from learningcity.accounts.permissions import user_is_resident
from learningcity.accounts.roles import CITY_ADMIN_GROUP

from .conftest import PASSWORD, make_user

# --- Roles and city_admin_required ------------------------------------------------------


@pytest.mark.django_db
def test_resident_needs_a_verified_email(resident):
    assert user_is_resident(resident)
    unverified = make_user("new@example.org", verified=False)
    assert not user_is_resident(unverified)
    resident.is_active = False
    assert not user_is_resident(resident)


@pytest.mark.django_db
def test_city_admin_role(resident, city_admin, superuser):
    assert city_admin.is_city_admin
    assert not resident.is_city_admin
    assert superuser.is_city_admin


@pytest.mark.django_db
@pytest.mark.urls("tests.accounts.urls_city_admin")
def test_city_admin_required(client, resident, city_admin, superuser):
    response = client.get("/test-city-admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/test-city-admin/"

    client.force_login(resident)
    assert client.get("/test-city-admin/").status_code == 403

    client.force_login(city_admin)
    response = client.get("/test-city-admin/")
    assert response.status_code == 200
    assert response.content == b"city admin page"

    client.force_login(superuser)
    assert client.get("/test-city-admin/").status_code == 200

    city_admin.is_active = False
    city_admin.save(update_fields=["is_active"])
    client.force_login(city_admin)  # an inactive session is dropped by the auth middleware
    assert client.get("/test-city-admin/").status_code in (302, 403)


# --- Django admin ------------------------------------------------------------------------


@pytest.mark.django_db
def test_superuser_manages_users_in_admin(client, superuser, resident):
    client.force_login(superuser)
    changelist = client.get("/admin/accounts/user/")
    assert changelist.status_code == 200
    assert resident.email in changelist.content.decode()
    searched = client.get("/admin/accounts/user/", {"q": "resident@"})
    assert searched.status_code == 200
    assert searched.context["cl"].result_count == 1
    filtered = client.get("/admin/accounts/user/", {"is_superuser__exact": "1"})
    assert filtered.context["cl"].result_count == 1
    assert client.get("/admin/accounts/user/add/").status_code == 200
    assert client.get(f"/admin/accounts/user/{resident.pk}/change/").status_code == 200
    assert client.get("/admin/auth/group/").status_code == 200

    response = client.post(
        "/admin/accounts/user/add/",
        {"email": "Added@Example.org", "usable_password": "true", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    added = User.objects.get(email="added@example.org")
    assert added.check_password(PASSWORD)

    # The same address in other letters is refused with a message, not a 500.
    response = client.post(
        "/admin/accounts/user/add/",
        {"email": "ADDED@example.org", "usable_password": "true", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"]

    group = Group.objects.get(name=CITY_ADMIN_GROUP)
    response = client.post(
        f"/admin/accounts/user/{added.pk}/change/",
        {
            "email": "added@example.org",
            "display_name": "Added",
            "preferred_language": "en",
            "is_active": "on",
            "groups": [group.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    added = User.objects.get(pk=added.pk)
    assert added.is_city_admin
    assert added.preferred_language == "en"


@pytest.mark.django_db
def test_normal_user_cannot_open_admin(client, resident, city_admin):
    for user in (resident, city_admin):
        client.force_login(user)
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
        assert client.get("/admin/accounts/user/").status_code == 302


# --- createcityadmin ----------------------------------------------------------------------


def _run(**options) -> str:
    out = io.StringIO()
    call_command("createcityadmin", stdout=out, interactive=False, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_createcityadmin_creates_and_is_idempotent(client):
    assert "Created" in _run(email="Mayor.Office@Example.org", password=PASSWORD)
    assert "Updated" in _run(email="mayor.office@example.org", password=PASSWORD)
    _run(email="mayor.office@example.org")
    assert User.objects.count() == 1
    user = User.objects.get()
    assert user.email == "mayor.office@example.org"
    assert user.groups.filter(name=CITY_ADMIN_GROUP).count() == 1
    assert user.is_city_admin
    assert not user.is_staff
    address = EmailAddress.objects.get(user=user)
    assert address.verified and address.primary
    assert user_is_resident(user)
    # A verified address signs in at once.
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_createcityadmin_promotes_an_unverified_resident():
    user = make_user("teacher@example.org", verified=False)
    _run(email="TEACHER@example.org")
    user = User.objects.get(pk=user.pk)
    assert user.is_city_admin
    assert user.check_password(PASSWORD)  # kept: no password was given
    assert EmailAddress.objects.get(user=user).verified


@pytest.mark.django_db
def test_createcityadmin_reads_password_from_environment(monkeypatch):
    monkeypatch.setenv("CITY_ADMIN_PASSWORD", PASSWORD)
    _run(email="env@example.org")
    assert User.objects.get().check_password(PASSWORD)


@pytest.mark.django_db
def test_createcityadmin_without_password_makes_an_unusable_one():
    _run(email="nopass@example.org")
    assert not User.objects.get().has_usable_password()


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["", "not-an-email", "<script>@x", "a" * 5000 + "@example.org"])
def test_createcityadmin_rejects_bad_email(email):
    with pytest.raises(CommandError):
        _run(email=email, password=PASSWORD)
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_createcityadmin_rejects_weak_password():
    with pytest.raises(CommandError):
        _run(email="weak@example.org", password="12345678")
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_createcityadmin_recreates_a_missing_group():
    Group.objects.filter(name=CITY_ADMIN_GROUP).delete()
    _run(email="fresh@example.org", password=PASSWORD)
    assert User.objects.get().is_city_admin
