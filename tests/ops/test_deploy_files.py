"""docker-compose.yml and the Dockerfile, checked without Docker (none on CI): the
compose file sets exactly the variables the code reads, its app services share one image
and one environment, and the image's build steps work."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat")
# Read outside our settings: by Django/manage.py, by base.py's setdefault, by gunicorn itself.
READ_ELSEWHERE = {"DJANGO_SETTINGS_MODULE", "PYTHAINLP_READ_ONLY", "FORWARDED_ALLOW_IPS"}
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


def _settings_env_names() -> set[str]:
    names = set()
    for path in (ROOT / "learningcity" / "settings").glob("*.py"):
        text = path.read_text()
        names |= set(re.findall(r"\benv(?:\.[a-z_]+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", text))
        names |= set(re.findall(r"os\.environ\.setdefault\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", text))
    return names


def _process_env_names() -> set[str]:
    names = set()
    for path in (ROOT / "gunicorn.conf.py", ROOT / "scripts" / "healthcheck.py"):
        names |= set(re.findall(r"os\.environ(?:\.get\(|\[)\s*[\"']([A-Z][A-Z0-9_]*)[\"']", path.read_text()))
    return names


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_settings_read_the_variables_this_test_expects():
    """Guards the grep below: if it found nothing, the other tests would prove nothing."""
    names = _settings_env_names()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "EMAIL_URL", "SITE_URL"} <= names
    assert {"WEB_CONCURRENCY", "GUNICORN_BIND", "HEALTHCHECK_URL"} <= _process_env_names()


def test_all_services_exist(compose):
    assert {"postgres", "redis", *APP_SERVICES} <= set(compose["services"])


def test_app_services_share_one_image_and_one_environment(compose):
    services = compose["services"]
    web = services["web"]
    assert web["build"] == "."
    for name in APP_SERVICES:
        assert services[name]["image"] == web["image"], name
        assert services[name]["build"] == web["build"], name
        assert services[name]["environment"] == web["environment"], name
    assert web["environment"]["DJANGO_SETTINGS_MODULE"] == "learningcity.settings.production"


def test_every_variable_set_is_one_the_code_reads(compose):
    known = _settings_env_names() | _process_env_names() | READ_ELSEWHERE
    unknown = set(compose["services"]["web"]["environment"]) - known
    assert not unknown, f"docker-compose.yml sets variables nothing reads: {sorted(unknown)}"


def test_every_variable_the_settings_read_is_set(compose):
    missing = _settings_env_names() - set(compose["services"]["web"]["environment"])
    assert not missing, f"docker-compose.yml does not set: {sorted(missing)}"


def test_secrets_are_required_not_defaulted(compose):
    env = compose["services"]["web"]["environment"]
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_postgres_has_a_utf8_locale_and_services_have_healthchecks(compose):
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    args = postgres["environment"]["POSTGRES_INITDB_ARGS"]
    assert "--locale=C.UTF-8" in args
    assert "--encoding=UTF8" in args
    for name in ("postgres", "redis", "web"):
        assert compose["services"][name]["healthcheck"]["test"], name
    assert "scripts/healthcheck.py" in compose["services"]["web"]["healthcheck"]["test"]
    assert "migrate --noinput" in " ".join(compose["services"]["web"]["command"])
    assert compose["services"]["beat"]["volumes"] == ["beat:/app/data"]
    assert "/app/data/celerybeat-schedule" in compose["services"]["beat"]["command"]


def _interpolate(value: str, env: dict[str, str]) -> str:
    def replace(match):
        name, op, arg = match["name"], match["op"], match["arg"]
        if env.get(name):
            return env[name]
        if op == ":?":
            raise LookupError(arg)
        return arg or ""

    return INTERPOLATION.sub(replace, str(value))


def test_the_compose_environment_loads_in_the_production_settings(compose):
    """With only the two required secrets given, every default in the compose file is
    one the settings accept (an empty SECURE_SSL_REDIRECT would silently mean False)."""
    given = {"SECRET_KEY": "k" * 64, "POSTGRES_PASSWORD": "pw"}
    env = {name: _interpolate(value, given) for name, value in compose["services"]["web"]["environment"].items()}
    probe = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.SECURE_SSL_REDIRECT, settings.DATABASES['default']['HOST'], "
        "settings.CELERY_BROKER_URL, settings.CACHES['default']['BACKEND'], settings.SECURE_HSTS_SECONDS]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        '[true, "postgres", "redis://redis:6379/1", "learningcity.redis_cache.RedisCache", 31536000]'
    )
    with pytest.raises(LookupError, match="SECRET_KEY"):
        _interpolate(compose["services"]["web"]["environment"]["SECRET_KEY"], {})


def test_the_dockerfile_builds_a_non_root_gunicorn_image():
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert "PYTHAINLP_READ_ONLY=1" in text
    assert "pip install -r" in text
    assert "scripts/compile_messages.py" in text
    assert "collectstatic --noinput" in text
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1] not in {"root", "0"}
    assert text.rstrip().splitlines()[-1].startswith('CMD ["gunicorn", "-c", "gunicorn.conf.py"')
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".data", ".git"} <= set(ignored)


def test_the_image_build_step_collects_static_files_with_dummy_settings(tmp_path):
    """What the Dockerfile runs: production settings, a dummy SECRET_KEY and DATABASE_URL,
    nothing to connect to, and the hashed, compressed static files come out."""
    script = (
        "import django; from django.conf import settings; django.setup(); "
        f"settings.STATIC_ROOT = {str(tmp_path)!r}; "
        "from django.core.management import call_command; call_command('collectstatic', '--noinput', verbosity=0)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "learningcity.settings.production",
        "SECRET_KEY": "build-only-not-a-secret",
        "DATABASE_URL": "postgres://build@localhost/build",
        "PYTHAINLP_READ_ONLY": "1",
    }
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.rglob("*.gz"))
