"""The journeys through allauth's pages: sign up, confirm, sign in, sign out."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import translation

from learningcity.accounts.models import User

from .conftest import PASSWORD

THAI = re.compile("[\u0e00-\u0e7f]")
LINK = re.compile(r"https?://testserver(/\S+)")


def _signup(client, prefix: str, email: str = "Nok.Learner@Example.org"):
    return client.post(f"{prefix}/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})


def _link(message) -> str:
    return LINK.search(message.body).group(1)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("prefix, language", [("", "th"), ("/en", "en")])
def test_signup_confirm_logout_login(client, prefix, language):
    page = client.get(f"{prefix}/accounts/signup/")
    assert page.status_code == 200
    assert page.headers["Content-Language"] == language
    html = page.content.decode()
    assert 'autocomplete="email"' in html and 'autocomplete="new-password"' in html
    assert '<label for="id_email">' in html

    response = _signup(client, prefix)
    assert response.status_code == 302
    assert response["Location"] == f"{prefix}/accounts/confirm-email/"
    assert client.get(response["Location"]).status_code == 200
    assert not _signed_in(client)

    user = User.objects.get()
    assert user.email == "nok.learner@example.org"
    assert user.preferred_language == language
    assert not EmailAddress.objects.get(user=user).verified

    # The verification e-mail, in the language of the page.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nok.learner@example.org"]
    with translation.override(language):
        assert message.subject == translation.gettext("Confirm your e-mail address")
    if language == "th":
        assert THAI.search(message.subject) and THAI.search(message.body)
    else:
        assert message.subject == "Confirm your e-mail address"
        assert not THAI.search(message.body)
    confirm_url = _link(message)
    assert confirm_url.startswith(f"{prefix}/accounts/confirm-email/")

    # GET shows the confirm page and changes nothing; POST confirms and signs in.
    page = client.get(confirm_url)
    assert page.status_code == 200
    assert "nok.learner@example.org" in page.content.decode()
    assert not EmailAddress.objects.get(user=user).verified
    response = client.post(confirm_url)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert _signed_in(client)

    # Sign out asks first (GET), then POST signs out.
    assert client.get(f"{prefix}/accounts/logout/").status_code == 200
    assert _signed_in(client)
    response = client.post(f"{prefix}/accounts/logout/")
    assert response.status_code == 302
    assert not _signed_in(client)

    # Sign in again with e-mail (any case) and password.
    response = client.post(f"{prefix}/accounts/login/", {"login": "NOK.learner@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == f"{prefix}/"
    assert _signed_in(client)


@pytest.mark.django_db(transaction=True)
def test_login_before_verification_is_refused(client):
    _signup(client, "")
    response = client.post("/accounts/login/", {"login": "nok.learner@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert not _signed_in(client)


@pytest.mark.django_db(transaction=True)
def test_wrong_password_is_a_form_error(client, resident):
    response = client.post("/en/accounts/login/", {"login": resident.email, "password": "not-the-password"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert 'class="form-errors" role="alert"' in response.content.decode()
    assert not _signed_in(client)


@pytest.mark.django_db
def test_signup_mail_is_sent_only_after_commit(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _signup(client, "/en")
    assert mail.outbox == []  # nothing leaves before the sign-up is committed
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nok.learner@example.org"]


@pytest.mark.django_db
def test_signing_up_twice_with_one_address_creates_one_user(client, resident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client, "/en", email="RESIDENT@example.org")
    assert response.status_code == 302  # allauth does not reveal that the address is taken...
    assert User.objects.filter(email__iexact="resident@example.org").count() == 1
    assert len(mail.outbox) == 1  # ...but tells the owner by e-mail
    assert mail.outbox[0].subject == "You already have an account"


@pytest.mark.django_db(transaction=True)
def test_signup_still_sends_the_verification_email_when_the_broker_is_down(client):
    """Redis down at sign-up: the account is created and the link still goes out (sent
    in-process), instead of a 500 after the user row was committed."""
    from learningcity.celery import app

    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "task_publish_retry")}
    app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0", task_publish_retry=False)
    app.pool.force_close_all()
    try:
        response = _signup(client, "/en")
    finally:
        app.conf.update(saved)
        app.pool.force_close_all()
    assert response.status_code == 302
    assert User.objects.filter(email="nok.learner@example.org").exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Confirm your e-mail address"
