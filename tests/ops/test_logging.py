"""Structured logs: one JSON object a line, Thai kept readable; gunicorn's access log too."""

import io
import json
import logging
import logging.config
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from learningcity.logging import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]


def _record(msg="สมัครเรียนแล้ว %s", args=("คอร์สทำขนม",), **extra):
    record = logging.LogRecord("learningcity.test", logging.INFO, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_a_record_is_one_json_line_with_message_level_logger_and_extras():
    line = JsonFormatter().format(_record(course_id=42, ratio=0.5, actor=object()))
    assert "\n" not in line
    payload = json.loads(line)
    assert payload["message"] == "สมัครเรียนแล้ว คอร์สทำขนม"
    assert payload["level"] == "INFO"
    assert payload["logger"] == "learningcity.test"
    assert payload["course_id"] == 42
    assert payload["ratio"] == 0.5
    assert payload["actor"].startswith("<object object")  # not serialisable: its str()
    assert payload["time"].endswith("+00:00")


def test_thai_stays_readable_not_escaped():
    line = JsonFormatter().format(_record())
    assert "คอร์สทำขนม" in line
    assert "\\u0e" not in line


def test_hostile_messages_stay_on_one_line():
    line = JsonFormatter().format(_record('a\nb\r\n"quoted" </script> 🎉 \'; DROP TABLE x;--', ()))
    assert "\n" not in line
    assert json.loads(line)["message"] == 'a\nb\r\n"quoted" </script> 🎉 \'; DROP TABLE x;--'


def test_an_exception_is_kept_with_its_traceback():
    try:
        raise ValueError("ไม่ถูกต้อง")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    payload = json.loads(JsonFormatter().format(record))
    assert "ValueError: ไม่ถูกต้อง" in payload["exc"]
    assert payload["level"] == "ERROR"


def test_the_settings_logging_config_writes_json_to_stdout(monkeypatch):
    """The LOGGING of settings/base.py (tests replace it with an empty one)."""
    import learningcity.settings.base as base

    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logging.config.dictConfig(base.LOGGING)
        logging.getLogger("learningcity.ops").warning("ผู้ใช้ %s", "สมชาย", extra={"request_id": "abc"})
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    payload = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert payload == {**payload, "message": "ผู้ใช้ สมชาย", "level": "WARNING", "request_id": "abc"}


HOST = "learn.example.go.th"


def _gunicorn_env(port: int, **extra: str) -> dict[str, str]:
    """gunicorn.conf.py with the production settings, one worker, on `port`, against the test
    database and Redis."""
    db = settings.DATABASES["default"]
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(ROOT)),
        "DJANGO_SETTINGS_MODULE": "learningcity.settings.production",
        "SECRET_KEY": "x" * 64,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "ALLOWED_HOSTS": f"{HOST},.example.go.th",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "HEALTHCHECK_URL": f"http://127.0.0.1:{port}/healthz",
        **extra,
    }


def _gunicorn(env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "learningcity.wsgi"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _first_answer(proc: subprocess.Popen, port: int) -> tuple[int, str]:
    """/healthz's first answer, once gunicorn has started (at most 60 s)."""
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, proc.stdout.read()
        try:
            return _get(f"http://127.0.0.1:{port}/healthz", HOST)
        except OSError:
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.3)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, host: str) -> tuple[int, str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310 (a local http URL)
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.django_db
def test_gunicorn_serves_production_healthz_over_http_with_json_access_logs():
    """gunicorn.conf.py and the production settings, for real: /healthz answers over plain
    HTTP (what a container probe speaks), other pages redirect to HTTPS, the container's
    probe script passes, and every request is one JSON access line."""
    port = _free_port()
    env = _gunicorn_env(port)
    proc = _gunicorn(env)
    try:
        status, body = _first_answer(proc, port)
        assert status == 200, body
        assert json.loads(body)["status"] == "ok"
        status, _ = _get(f"http://127.0.0.1:{port}/?q=secret", HOST)
        assert status == 301
        probe = subprocess.run([sys.executable, "scripts/healthcheck.py"], cwd=ROOT, env=env, timeout=30)
        assert probe.returncode == 0
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    health = next(line for line in access if line["path"] == "/healthz")
    assert health["method"] == "GET"
    assert health["status"] == 200
    assert isinstance(health["duration_ms"], float)
    assert any(line["path"] == "/" and line["status"] == 301 for line in access)
    assert "secret" not in output  # the query string is not logged
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    # The master loaded and warmed up the app before forking (preload_app, learningcity/web/warmup.py).
    warmed = next(line for line in lines if line["message"] == "web process warmed up")
    assert warmed["templates"] >= 100


@pytest.mark.django_db
def test_a_recycled_gunicorn_worker_leaves_without_finalization_and_is_replaced():
    """After max_requests a worker closes its connections, flushes its log and leaves with
    os._exit (learningcity/web/warmup.py, process_exit): Python's finalization of the
    preloaded app kept the master from replacing it for ~0.7 s. Every request is answered
    by the replacements, and the last worker leaves the same way when gunicorn stops."""
    port = _free_port()
    env = _gunicorn_env(port, GUNICORN_MAX_REQUESTS="2")  # jitter: a tenth, 0
    proc = _gunicorn(env)
    try:
        answers = [_first_answer(proc, port)]
        answers += [_get(f"http://127.0.0.1:{port}/healthz", HOST) for _ in range(6)]
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert [status for status, _body in answers] == [200] * 7, output[-3000:]
    assert proc.returncode == 0, output[-3000:]
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines]
    left = [line for line in lines if line["message"] == "web worker left without finalization"]
    booted = [message for message in messages if message.startswith("Booting worker")]
    # Three workers served two requests each and left; a fourth served one and was stopped.
    assert len(left) == len(booted) == 4, messages
    assert len({line["pid"] for line in left}) == 4
    assert not [line for line in lines if line["level"] in ("ERROR", "CRITICAL")], output[-3000:]
    assert not [message for message in messages if "exited with code" in message]


def test_the_probe_fails_when_nothing_answers():
    env = {"PATH": os.environ["PATH"], "HEALTHCHECK_URL": f"http://127.0.0.1:{_free_port()}/healthz"}
    probe = subprocess.run(
        [sys.executable, "scripts/healthcheck.py"], cwd=ROOT, env=env, timeout=30, capture_output=True
    )
    assert probe.returncode == 1
