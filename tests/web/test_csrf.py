import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("prefix, text", [("", "แบบฟอร์มหมดอายุ"), ("/en", "The form has expired")])
def test_csrf_failure_is_a_translated_page(prefix, text):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{prefix}/accounts/login/", {"login": "a@example.org", "password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert text in html
    assert "<html" in html and "CSRF verification failed" not in html
