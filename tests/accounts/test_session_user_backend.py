"""The signed-in user read by hand (learningcity.accounts.backends): the same user as the
ORM's, the same refusals, and old sessions still signed in."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, get_user
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from learningcity.accounts.backends import SESSION_USER_BACKEND, SessionUserBackend, user_for_session
from learningcity.accounts.models import User
from learningcity.accounts.roles import city_admin_group

from .conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LEARNING = "/en/me/learning/"


def _sign_in(client, email="resident@example.org", password=PASSWORD):
    return client.post("/en/accounts/login/", {"login": email, "password": password})


def test_a_password_sign_in_stores_this_backend_and_the_next_request_is_signed_in(client, resident):
    response = _sign_in(client)
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == SESSION_USER_BACKEND
    page = client.get(LEARNING)
    assert page.status_code == 200
    assert page.wsgi_request.user.pk == resident.pk


def test_the_user_read_by_hand_equals_the_orm_user_field_for_field(resident):
    resident.display_name = "นก <b>Learner</b> ' OR 1=1 --"
    resident.save()
    by_hand = user_for_session(str(resident.pk))
    by_orm = ModelBackend().get_user(resident.pk)
    fields = [f.attname for f in User._meta.concrete_fields]
    assert [getattr(by_hand, f) for f in fields] == [getattr(by_orm, f) for f in fields]
    assert by_hand._state.adding is False and by_hand._state.db == by_orm._state.db
    assert by_hand.get_session_auth_hash() == by_orm.get_session_auth_hash()


def test_reading_the_user_is_one_prepared_statement(resident):
    with CaptureQueriesContext(connection) as queries:
        assert SessionUserBackend().get_user(resident.pk).pk == resident.pk
    assert len(queries) == 1
    with connection.cursor() as cursor:  # planned once for this connection, not at every request
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ["%accounts_user u%"])
        assert len(cursor.fetchall()) == 1


@pytest.mark.parametrize(
    "value", ["", "abc", "1; DROP TABLE accounts_user", "<b>1</b>", "หนึ่ง", "0", "-1", str(2**63), "-" + "9" * 40, None]
)
def test_ids_that_are_no_user_are_nobody(resident, value):
    assert user_for_session(value) is None


def test_a_deleted_user_is_nobody(resident):
    pk = resident.pk
    resident.delete()
    assert user_for_session(pk) is None


def test_a_deactivated_account_is_signed_out_on_its_next_request(client, resident):
    _sign_in(client)
    User.objects.filter(pk=resident.pk).update(is_active=False)
    response = client.get(LEARNING)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_a_changed_password_signs_the_other_sessions_out(client, resident):
    _sign_in(client)
    resident.set_password("another-Passw0rd-2569")
    resident.save()
    assert not get_user(client.get("/en/").wsgi_request).is_authenticated


def test_a_wrong_password_does_not_sign_in(client, resident):
    response = _sign_in(client, password="wrong-password")
    assert response.status_code == 200
    assert BACKEND_SESSION_KEY not in client.session


def test_sessions_signed_in_through_modelbackend_before_stay_signed_in(client, resident):
    client.force_login(resident, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(LEARNING)
    assert page.status_code == 200 and page.wsgi_request.user.pk == resident.pk


def test_it_grants_no_permission_and_modelbackend_still_grants_the_groups(db):
    admin = make_user("cityadmin@example.org")
    admin.groups.add(city_admin_group())
    plain = make_user("plain@example.org")
    backend = SessionUserBackend()
    assert backend.get_all_permissions(admin) == set()
    assert not backend.has_perm(admin, "accounts.administer_city")
    assert User.objects.get(pk=admin.pk).has_perm("accounts.administer_city")
    assert not User.objects.get(pk=plain.pk).has_perm("accounts.administer_city")


def test_it_authenticates_nobody(resident):
    assert SessionUserBackend().authenticate(None, username=resident.email, password=PASSWORD) is None
