"""Every allauth page we serve renders inside our layout, with a visible label on each input."""

from html.parser import HTMLParser

import pytest

from .conftest import PASSWORD


class _FormAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs: list[dict] = []
        self.label_for: set[str] = set()
        self.h1 = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {"hidden", "submit"}:
            self.inputs.append(attrs)
        elif tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        elif tag == "h1":
            self.h1 += 1


def audit(html: str) -> _FormAudit:
    parser = _FormAudit()
    parser.feed(html)
    return parser


AUTOCOMPLETE = {
    "email": "email",
    "login": "email",
    "password": "current-password",
    "oldpassword": "current-password",
    "password1": "new-password",
    "password2": "new-password",
}

ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/confirm-email/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/done/",
]
SIGNED_IN_PAGES = ["/accounts/logout/", "/accounts/password/change/", "/accounts/email/"]


def _check(html: str) -> None:
    page = audit(html)
    assert page.h1 == 1
    for attrs in page.inputs:
        assert attrs.get("id") in page.label_for, f"input without a visible label: {attrs}"
        name = attrs.get("name")
        if name in AUTOCOMPLETE and attrs.get("type") not in {"radio", "checkbox"}:
            assert attrs.get("autocomplete") == AUTOCOMPLETE[name], attrs


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize("url", ANONYMOUS_PAGES)
def test_anonymous_pages(client, prefix, url):
    response = client.get(prefix + url)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == (prefix.strip("/") or "th")
    _check(response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize("url", SIGNED_IN_PAGES)
def test_signed_in_pages(client, resident, prefix, url):
    client.force_login(resident)
    response = client.get(prefix + url)
    assert response.status_code == 200
    _check(response.content.decode())


@pytest.mark.django_db
def test_login_inputs_have_autocomplete(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'name="login"' in html and 'autocomplete="email"' in html and 'type="email"' in html
    assert 'autocomplete="current-password"' in html


@pytest.mark.django_db
def test_password_change_works(client, resident):
    client.force_login(resident)
    response = client.post(
        "/en/accounts/password/change/",
        {"oldpassword": "wrong", "password1": "New-Pass-2569-x", "password2": "New-Pass-2569-x"},
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    response = client.post(
        "/en/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "New-Pass-2569-x", "password2": "New-Pass-2569-x"},
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.check_password("New-Pass-2569-x")
