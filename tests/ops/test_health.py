"""/healthz: 200 when PostgreSQL and Redis answer, 503 naming what failed, never cached,
and reachable over plain HTTP under the production settings."""

import copy
import importlib
import time

import pytest
from django.db import connections
from django.db.utils import load_backend

from learningcity.web import health


def _unreachable_database(alias: str = "healthz_unreachable"):
    """A real connection (same backend, same pool settings) to a port nothing listens on.
    Its own alias keeps its pool apart from the default one."""
    cfg = copy.deepcopy(connections.settings["default"])
    cfg.update(HOST="127.0.0.1", PORT="1", NAME="nowhere")
    cfg["OPTIONS"]["pool"] = {**cfg["OPTIONS"]["pool"], "min_size": 0, "timeout": 2}
    return load_backend(cfg["ENGINE"]).DatabaseWrapper(cfg, alias)


@pytest.mark.django_db
def test_healthz_is_ok_with_both_services(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


@pytest.mark.django_db
def test_healthz_names_redis_when_it_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["redis"].startswith("fail")
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db  # lets the test open connections; the check's own goes nowhere
def test_database_check_reports_an_unreachable_server():
    conn = _unreachable_database()
    try:
        assert health.check_database(conn) == "OperationalError"
    finally:
        conn.close_pool()


@pytest.mark.django_db
def test_database_check_passes_on_the_real_server():
    assert health.check_database() is None


@pytest.mark.django_db
def test_healthz_names_the_database_when_it_is_down(client):
    """The whole request (middleware included) runs with the default connection pointing
    at a closed port: 503 naming the database, not a 500."""
    real = connections["default"]
    broken = _unreachable_database()
    connections["default"] = broken
    try:
        response = client.get("/healthz")
    finally:
        connections["default"] = real
        broken.close_pool()
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "fail: OperationalError"
    assert body["checks"]["redis"] == "ok"


@pytest.mark.django_db
def test_healthz_is_never_cached(client):
    response = client.get("/healthz")
    cache_control = response.headers["Cache-Control"]
    for directive in ("no-cache", "no-store", "must-revalidate", "max-age=0"):
        assert directive in cache_control


@pytest.mark.django_db
def test_healthz_answers_only_get(client):
    assert client.post("/healthz").status_code == 405


def _apply_production_security(settings):
    prod = importlib.import_module("learningcity.settings.production")
    for name in (
        "SECURE_SSL_REDIRECT",
        "SECURE_REDIRECT_EXEMPT",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    ):
        setattr(settings, name, getattr(prod, name))
    assert settings.SECURE_SSL_REDIRECT is True


@pytest.mark.django_db
def test_healthz_works_over_plain_http_in_production(client, settings):
    """A container's health probe speaks plain HTTP to the app; every other page redirects."""
    _apply_production_security(settings)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert client.get("/").status_code == 301
    assert client.get("/").headers["Location"].startswith("https://")


@pytest.mark.django_db
def test_production_pages_behind_the_tls_proxy_carry_hsts(client, settings):
    _apply_production_security(settings)
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts
    assert "preload" in hsts
