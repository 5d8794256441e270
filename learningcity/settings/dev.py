"""`make run`: a developer's machine. DEBUG on, an insecure key allowed.

`scripts/run.py` sets DATABASE_URL to the embedded PostgreSQL when it is not given."""

import os

os.environ.setdefault("SECRET_KEY", "dev-insecure-key-only-for-make-run")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("EMAIL_URL", "consolemail://")

from .base import *  # noqa: F403

# A developer reads the console: plain lines, not the JSON that production ships.
LOGGING = {
    **LOGGING,  # noqa: F405
    "formatters": {"console": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "console", "stream": "ext://sys.stdout"}},
}
