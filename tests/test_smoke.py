import pytest


@pytest.mark.django_db
def test_home_page_renders_in_thai(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "th"


@pytest.mark.django_db
def test_test_database_has_utf8_ctype():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT datctype FROM pg_database WHERE datname = current_database()")
        assert cursor.fetchone()[0].upper().replace("-", "") in {"C.UTF8", "EN_US.UTF8"}
        cursor.execute("SHOW server_encoding")
        assert cursor.fetchone()[0] == "UTF8"
