"""The web process's warm-up before gunicorn forks its workers (learningcity/web/warmup.py)."""

import sys

import pytest
from django.template import engines

from learningcity.web.warmup import _template_names, process_warm_up


def test_the_warm_up_needs_no_database():
    """No django_db mark: pytest-django refuses any database access, so the warm-up (run in the
    gunicorn master, whose sockets every worker would inherit) must not open one."""
    loaded = process_warm_up()
    assert loaded["templates"] == len(_template_names()) > 100
    assert "pythainlp.corpus" in sys.modules  # the Thai dictionary is loaded


@pytest.mark.parametrize(
    "name", ["base.html", "programmes/catalogue.html", "programmes/_programme_card.html", "web/home.html"]
)
def test_the_templates_pages_use_are_among_those_loaded(name):
    assert name in _template_names()
    assert engines["django"].get_template(name) is not None
