"""Playwright against Debian's Chromium (playwright cannot download its own browsers here).

Run: pytest tests/browser (marked `browser`). Without /usr/bin/chromium these tests FAIL
with a message saying how to install it; they are never skipped. Set LC_SCREENSHOTS to a
directory to keep screenshots of the pages visited."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from
# a thread with a running loop unless told otherwise. Only the browser tests need this.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium).", pytrace=False)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    }


@pytest.fixture
def screenshot(request):
    """screenshot(page, name): keep a full-page PNG when LC_SCREENSHOTS names a directory."""
    folder = os.environ.get("LC_SCREENSHOTS")

    def take(page, name: str) -> Path | None:
        if not folder:
            return None
        path = Path(folder) / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
