"""allauth's rate limits live in Redis; hostile input never reaches a 500."""

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache

from learningcity.accounts.models import User

from .conftest import PASSWORD


@pytest.mark.django_db
def test_failed_logins_are_limited_in_redis(client, resident):
    assert settings.CACHES["default"]["BACKEND"] == "learningcity.redis_cache.RedisCache"
    statuses = []
    too_many_message_seen = False
    for _attempt in range(40):
        response = client.post("/en/accounts/login/", {"login": resident.email, "password": "wrong-password"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
        assert response.status_code == 200
        too_many_message_seen |= "Too many failed login attempts" in response.content.decode()
    # After 5 failures for one address allauth refuses even to check the password...
    assert too_many_message_seen
    assert statuses.count(200) >= 5
    # ...and the per-IP login limit finally answers 429.
    assert statuses[-1] == 429

    # The counters are in Redis, not in this process.
    client_redis = cache._cache.get_client(write=False)
    assert any(b"allauth" in key for key in client_redis.keys(f"{settings.CACHES['default']['KEY_PREFIX']}:*"))

    # Even the right password is refused while limited.
    response = client.post("/en/accounts/login/", {"login": resident.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session

    # Once the counters expire (here: the cache is cleared), the right password works.
    cache.clear()
    response = client.post("/en/accounts/login/", {"login": resident.email, "password": PASSWORD})
    assert response.status_code == 302


HOSTILE_EMAILS = [
    "",
    " ",
    "a" * 5000 + "@example.org",
    "x@" + "b" * 5000 + ".org",
    "<script>alert(1)</script>@example.org",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "admin@example.org'; DROP TABLE accounts_user; --",
    "😀😀😀@example.org",
    "นก@ตัวอย่าง",
    "no-at-sign",
    "two@@example.org",
    "\x00@example.org",
]


@pytest.mark.django_db
@pytest.mark.parametrize("email", HOSTILE_EMAILS)
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_hostile_signup_input(client, email, prefix):
    response = client.post(f"{prefix}/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code in (200, 429)
    if response.status_code == 200:
        assert response.context["form"].errors["email"]
        html = response.content.decode()
        assert 'aria-invalid="true"' in html
        assert 'class="field-error" id="id_email_error"' in html
        assert "<script>alert(1)</script>" not in html
        assert "<img src=x" not in html
    assert User.objects.count() == 0
    assert EmailAddress.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"email": "", "password1": "", "password2": ""},
        {"email": "ok@example.org", "password1": "x" * 5000, "password2": "y" * 5000},
        {"email": "ok@example.org", "password1": "😀" * 20, "password2": "😀" * 20 + "!"},
        {"email": "ok@example.org", "password1": "12345678", "password2": "12345678"},
        {"email": "ok@example.org", "password1": "ok@example.org", "password2": "ok@example.org"},
    ],
)
def test_hostile_signup_forms(client, data):
    response = client.post("/en/accounts/signup/", data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert User.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("email", HOSTILE_EMAILS)
@pytest.mark.parametrize("password", ["", "' OR '1'='1", "<script>alert(1)</script>", "😀" * 100, "p" * 5000, "\x00"])
def test_hostile_login_input(client, resident, email, password):
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code in (200, 429)
    if response.status_code == 200:
        assert response.context["form"].errors
        assert "<script>alert(1)</script>" not in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["", "a" * 5000, "<script>alert(1)</script>", "' OR 1=1 --", "😀@😀"])
def test_hostile_password_reset_input(client, email):
    response = client.post("/en/accounts/password/reset/", {"email": email})
    assert response.status_code in (200, 429)
    if response.status_code == 200:
        assert response.context["form"].errors["email"]


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["nonsense", "a" * 3000, "%3Cscript%3E", "' OR 1=1 --"])
def test_bad_confirmation_and_reset_keys(client, key):
    response = client.get(f"/en/accounts/confirm-email/{key}/")
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert "expired or is not valid" in response.content.decode()
    response = client.post(f"/en/accounts/confirm-email/{key}/")
    assert response.status_code in (200, 404)
    response = client.get(f"/en/accounts/password/reset/key/{key}/")
    assert response.status_code in (200, 404)
