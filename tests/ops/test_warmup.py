"""The web process's warm-up before gunicorn forks its workers (learningcity/web/warmup.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.template import engines

from learningcity.web.warmup import _template_names, exits_at_once, process_exit, process_warm_up

ROOT = Path(__file__).resolve().parents[2]

# In a fresh process (this one has long loaded all of it): what a worker would load on its first
# requests is loaded by the warm-up, before any request.
FRESH = """
import django
django.setup()
import pythainlp.corpus.common as words
from django.urls import get_resolver
from django.utils.translation import trans_real
assert not words._THAI_WORDS and not get_resolver()._reverse_dict and "en" not in trans_real._translations
from learningcity.web.warmup import process_warm_up
loaded = process_warm_up()
print(len(words._THAI_WORDS), ",".join(sorted(get_resolver()._reverse_dict)),
      ",".join(sorted(trans_real._translations)), loaded["templates"])
"""


def test_the_warm_up_needs_no_database():
    """No django_db mark: pytest-django refuses any database access, so the warm-up (run in the
    gunicorn master, whose sockets every worker would inherit) must not open one."""
    loaded = process_warm_up()
    assert loaded["templates"] == len(_template_names()) > 100


def test_a_fresh_process_is_warm_after_it():
    done = subprocess.run(
        [sys.executable, "-c", FRESH], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    words, reversing, languages, templates = done.stdout.split()[-4:]
    assert int(words) > 50_000  # pythainlp's Thai dictionary
    assert set(reversing.split(",")) >= {"th", "en"}
    assert set(languages.split(",")) >= {"th", "en"}
    assert int(templates) == len(_template_names())


@pytest.mark.parametrize(
    "name", ["base.html", "programmes/catalogue.html", "programmes/_programme_card.html", "web/home.html"]
)
def test_the_templates_pages_use_are_among_those_loaded(name):
    assert name in _template_names()
    assert engines["django"].get_template(name) is not None


@pytest.mark.parametrize(
    ("booted", "leaving", "at_once"),
    [
        (True, SystemExit(0), True),  # after max_requests, or stopped by gunicorn
        (True, SystemExit(None), True),
        (False, SystemExit(3), False),  # could not boot: the master reads the code and stops
        (False, SystemExit(0), False),
        (True, SystemExit(-1), False),  # an exception in the worker's loop
        (True, RuntimeError("x"), False),
        (True, None, False),
    ],
)
def test_only_a_worker_that_served_and_leaves_normally_skips_finalization(booted, leaving, at_once):
    assert exits_at_once(booted=booted, leaving=leaving) is at_once


def test_a_worker_that_did_not_boot_leaves_the_usual_way():
    """process_exit returns (this process goes on) when the worker never booted."""

    class Worker:
        booted = False

    try:
        raise SystemExit(3)
    except SystemExit:
        assert process_exit(Worker()) is None
