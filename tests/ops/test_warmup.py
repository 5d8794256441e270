"""The web process's warm-up before gunicorn forks its workers (learningcity/web/warmup.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.template import engines

from learningcity.web.warmup import _template_names, process_warm_up

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
