"""Settings come from the environment; production passes `check --deploy` with no warning.

Each case runs Django in a subprocess with an environment of its own, so that nothing of
the test run's settings leaks in."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "SECRET_KEY": settings.SECRET_KEY,
    "DEBUG": settings.DEBUG,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "CSRF_TRUSTED_ORIGINS": settings.CSRF_TRUSTED_ORIGINS,
    "SITE_URL": settings.SITE_URL,
    "DEFAULT_FROM_EMAIL": settings.DEFAULT_FROM_EMAIL,
    "SERVER_EMAIL": settings.SERVER_EMAIL,
    "EMAIL_BACKEND": settings.EMAIL_BACKEND,
    "EMAIL_HOST": settings.EMAIL_HOST,
    "EMAIL_PORT": settings.EMAIL_PORT,
    "EMAIL_HOST_USER": settings.EMAIL_HOST_USER,
    "EMAIL_USE_TLS": settings.EMAIL_USE_TLS,
    "ACCOUNT_DEFAULT_HTTP_PROTOCOL": settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL,
    "DB": {k: db[k] for k in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "CONN_MAX_AGE")},
    "DB_POOL": db["OPTIONS"].get("pool"),
    "CACHE": settings.CACHES["default"],
    "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    "CELERY_TASK_ALWAYS_EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "SECURE_SSL_REDIRECT": getattr(settings, "SECURE_SSL_REDIRECT", None),
    "SECURE_PROXY_SSL_HEADER": getattr(settings, "SECURE_PROXY_SSL_HEADER", None),
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_HSTS_PRELOAD": settings.SECURE_HSTS_PRELOAD,
    "SECURE_REDIRECT_EXEMPT": settings.SECURE_REDIRECT_EXEMPT,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "LANGUAGE_COOKIE_SECURE": settings.LANGUAGE_COOKIE_SECURE,
}, default=str))
"""

PRODUCTION_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(64),
    "DEBUG": "false",
    "DATABASE_URL": "postgres://lc:s3cret@db.internal:6543/learningcity_prod",
    "REDIS_URL": "redis://cache.internal:6380/2",
    "ALLOWED_HOSTS": "learn.example.go.th,www.learn.example.go.th",
    "CSRF_TRUSTED_ORIGINS": "https://learn.example.go.th",
    "SITE_URL": "https://learn.example.go.th/",
    "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.go.th:587",
    "DEFAULT_FROM_EMAIL": "เมืองแห่งการเรียนรู้ <learn@example.go.th>",
}


def _env(settings_module: str, **values: str) -> dict[str, str]:
    # Only what a bare machine has, plus what the case sets: no DATABASE_URL/REDIS_URL of the test run.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env.update(DJANGO_SETTINGS_MODULE=settings_module, PYTHAINLP_READ_ONLY="1", **values)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _probe(settings_module: str, **values: str) -> dict:
    result = _run(["-c", PROBE], _env(settings_module, **values))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_setting_comes_from_the_environment():
    s = _probe("learningcity.settings.production", **PRODUCTION_ENV)
    assert s["SECRET_KEY"] == PRODUCTION_ENV["SECRET_KEY"]
    assert s["DEBUG"] is False
    assert s["ALLOWED_HOSTS"] == ["learn.example.go.th", "www.learn.example.go.th"]
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://learn.example.go.th"]
    assert s["SITE_URL"] == "https://learn.example.go.th"
    assert s["ACCOUNT_DEFAULT_HTTP_PROTOCOL"] == "https"
    assert s["DEFAULT_FROM_EMAIL"] == s["SERVER_EMAIL"] == PRODUCTION_ENV["DEFAULT_FROM_EMAIL"]
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"], s["EMAIL_HOST_USER"], s["EMAIL_USE_TLS"]) == (
        "smtp.example.go.th",
        587,
        "mailer",
        True,
    )
    assert s["DB"] == {
        "ENGINE": "learningcity.db.postgresql",
        "NAME": "learningcity_prod",
        "USER": "lc",
        "PASSWORD": "s3cret",
        "HOST": "db.internal",
        "PORT": 6543,
        "CONN_MAX_AGE": 0,
    }
    assert s["CACHE"]["BACKEND"] == "learningcity.redis_cache.RedisCache"
    assert s["CACHE"]["LOCATION"] == "redis://cache.internal:6380/2"
    assert s["CELERY_BROKER_URL"] == "redis://cache.internal:6380/2"
    assert s["CELERY_TASK_ALWAYS_EAGER"] is False


def test_the_connection_pool_is_on_with_conn_max_age_zero():
    s = _probe("learningcity.settings.production", **PRODUCTION_ENV, DB_POOL_MAX_SIZE="25")
    assert s["DB"]["CONN_MAX_AGE"] == 0
    assert s["DB_POOL"] == {"min_size": 1, "max_size": 25, "timeout": 10}


def test_without_redis_the_cache_is_local_memory_and_tasks_run_eagerly():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}
    s = _probe("learningcity.settings.production", **env)
    assert s["CACHE"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert s["CELERY_TASK_ALWAYS_EAGER"] is True
    assert s["CELERY_BROKER_URL"] == "memory://"


def test_a_percent_encoded_unix_socket_directory_is_the_host():
    """The embedded PostgreSQL of `make run` listens on a socket in .data/pg."""
    s = _probe(
        "learningcity.settings.dev",
        DATABASE_URL="postgres://postgres@%2Fwork%2Fmy%20city%2F.data%2Fpg/learningcity",
    )
    assert s["DB"]["HOST"] == "/work/my city/.data/pg"
    assert s["DB"]["NAME"] == "learningcity"
    assert s["DEBUG"] is True
    assert s["CACHE"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_production_sets_https_hsts_and_secure_cookies():
    s = _probe("learningcity.settings.production", **PRODUCTION_ENV)
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["SECURE_HSTS_SECONDS"] >= 31536000
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert s["SECURE_HSTS_PRELOAD"] is True
    assert s["SECURE_REDIRECT_EXEMPT"] == ["^healthz$"]
    assert s["SESSION_COOKIE_SECURE"] is True
    assert s["CSRF_COOKIE_SECURE"] is True
    assert s["LANGUAGE_COOKIE_SECURE"] is True


def test_production_can_drop_the_ssl_redirect_for_a_trial_without_tls():
    s = _probe("learningcity.settings.production", **PRODUCTION_ENV, SECURE_SSL_REDIRECT="false")
    assert s["SECURE_SSL_REDIRECT"] is False


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL"])
def test_production_refuses_to_start_without_a_required_variable(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _run(["-c", PROBE], _env("learningcity.settings.production", **env))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_passes_check_deploy_without_a_warning():
    result = _run(["manage.py", "check", "--deploy"], _env("learningcity.settings.production", **PRODUCTION_ENV))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output


def test_check_deploy_would_catch_a_weak_secret_key():
    """The test above means something: the same check does fail on a bad setting."""
    env = _env("learningcity.settings.production", **{**PRODUCTION_ENV, "SECRET_KEY": "short"})
    result = _run(["manage.py", "check", "--deploy"], env)
    assert "security.W009" in result.stdout + result.stderr


@pytest.mark.django_db
def test_the_content_security_policy_allows_our_own_origin_only(client):
    response = client.get("/")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    for name, sources in directives.items():
        for source in sources:
            assert "unsafe" not in source, f"{name} allows {source}"
            assert source not in {"*", "http:", "https:"}, f"{name} allows {source}"
