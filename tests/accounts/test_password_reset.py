import re

import pytest
from django.core import mail

from .conftest import PASSWORD

LINK = re.compile(r"https?://testserver(/\S+)")
NEW_PASSWORD = "Sukhothai-reads-at-night-9"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_password_reset_by_email(client, resident, prefix):
    assert client.get(f"{prefix}/accounts/password/reset/").status_code == 200
    response = client.post(f"{prefix}/accounts/password/reset/", {"email": "Resident@Example.org"})
    assert response.status_code == 302
    assert response["Location"] == f"{prefix}/accounts/password/reset/done/"
    assert client.get(response["Location"]).status_code == 200

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [resident.email]
    key_url = LINK.search(message.body).group(1)
    assert key_url.startswith(f"{prefix}/accounts/password/reset/key/")

    # allauth moves the key into the session and redirects to a key-less URL.
    response = client.get(key_url, follow=True)
    assert response.status_code == 200
    assert not response.context.get("token_fail")
    assert response.context["form"] is not None
    form_url = response.redirect_chain[-1][0]
    html = response.content.decode()
    assert 'autocomplete="new-password"' in html

    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == f"{prefix}/accounts/password/reset/key/done/"

    response = client.post(f"{prefix}/accounts/login/", {"login": resident.email, "password": PASSWORD})
    assert response.status_code == 200  # the old password no longer works
    response = client.post(f"{prefix}/accounts/login/", {"login": resident.email, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db(transaction=True)
def test_reset_link_works_once(client, resident):
    client.post("/en/accounts/password/reset/", {"email": resident.email})
    key_url = LINK.search(mail.outbox[0].body).group(1)
    form_url = client.get(key_url, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.logout()
    response = client.get(key_url, follow=True)
    assert response.status_code == 200
    assert response.context.get("token_fail")
    assert "Link not valid" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_reset_for_unknown_address_reveals_nothing(client):
    response = client.post("/en/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/password/reset/done/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "No account with this e-mail address"
