"""`make test`: the real services, nothing mocked.

PostgreSQL and Redis default to the machine's own (README, "Tests"). Tests use Redis
database 0 unless REDIS_URL says otherwise, with a key prefix of their own."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/learningcity")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("EMAIL_URL", "memorymail://")
os.environ.setdefault("CACHE_KEY_PREFIX", "lc-test")

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# No collectstatic in tests: WhiteNoise serves static/ through the finders (as with DEBUG)
# instead of warning "No directory at: staticfiles/".
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests dispatch to the real broker only where a test starts a real worker; elsewhere
# they run tasks in-process so that a test sees their effect at once.
CELERY_TASK_ALWAYS_EAGER = True
DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 60, "timeout": 20}
LOGGING = {"version": 1, "disable_existing_loggers": False}
