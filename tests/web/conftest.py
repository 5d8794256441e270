"""Helpers for the web layer's tests: an HTML tag collector and an unreachable database."""

from html.parser import HTMLParser

import pytest
from django.db import connections


class TagCollector(HTMLParser):
    """Every start tag of a page, in order, as (tag, {attr: value}); plus inline script text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self._in_script = False
        self.script_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: (value or "") for name, value in attrs}))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, {name: (value or "") for name, value in attrs}))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_text.append(data)

    def find(self, tag, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def meta(self, key: str) -> str | None:
        """content of <meta property=key> or <meta name=key>."""
        for tag, attrs in self.tags:
            if tag == "meta" and key in (attrs.get("property"), attrs.get("name")):
                return attrs.get("content")
        return None


def parse(response_or_html) -> TagCollector:
    html = response_or_html if isinstance(response_or_html, str) else response_or_html.content.decode()
    collector = TagCollector()
    collector.feed(html)
    collector.close()
    return collector


@pytest.fixture
def unreachable_database():
    """Point the default connection at a port where no PostgreSQL listens (a real refused
    connection, nothing mocked) for the duration of the test, then put the real one back."""
    real = connections["default"]
    settings_dict = {**real.settings_dict, "PORT": "1", "HOST": "127.0.0.1"}
    settings_dict["OPTIONS"] = {k: v for k, v in settings_dict["OPTIONS"].items() if k != "pool"}
    settings_dict["OPTIONS"]["connect_timeout"] = 2

    class CountingWrapper(real.__class__):
        """The real backend; it only counts how often it tried to connect."""

        attempts = 0

        def get_new_connection(self, conn_params):
            type(self).attempts += 1
            return super().get_new_connection(conn_params)

    broken = CountingWrapper(settings_dict, alias="default")
    connections["default"] = broken
    try:
        yield broken
    finally:
        broken.close()
        connections["default"] = real
