"""Settings shared by every environment. Every value that differs between machines
comes from the environment; see README.md, "Configuration"."""

import os
from pathlib import Path
from urllib.parse import unquote

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

# pythainlp must not write to ~/pythainlp-data (read-only containers, shared hosts).
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env file is read when present (never committed); real environment wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "csp",
    "allauth",
    "allauth.account",
    "learningcity.accounts",
    "learningcity.city",
    "learningcity.audit",
    "programmes",
    "participants",
    "learningcity.dashboards",
    "learningcity.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "learningcity.urls"
WSGI_APPLICATION = "learningcity.wsgi.application"
ASGI_APPLICATION = "learningcity.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "learningcity.web.context_processors.site",
            ],
            "builtins": ["learningcity.web.templatetags.thaidate"],
        },
    }
]

# Django's widget markup, written in Python for the common widgets (learningcity/forms_renderer.py).
FORM_RENDERER = "learningcity.forms_renderer.FastRenderer"

# --- Database -------------------------------------------------------------------------
# One engine everywhere: PostgreSQL through psycopg 3 with its connection pool.
# Our backend subclass creates databases (the test one too) with a UTF-8 LC_CTYPE,
# without which pg_trgm ignores Thai (see ../shared/PITFALLS.md).
DATABASES = {"default": env.db("DATABASE_URL")}
# A Unix socket directory may be given percent-encoded as the host (the embedded server's).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
DATABASES["default"]["ENGINE"] = "learningcity.db.postgresql"
DATABASES["default"]["CONN_MAX_AGE"] = 0  # required with the pool
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
    "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
    "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
    "timeout": env.int("DB_POOL_TIMEOUT", default=10),
}
# Django turns psycopg's prepared statements off (for transaction-pooling proxies); only the
# rush path's cursor prepares (learningcity/db/postgresql: Django's own cursors bind on the
# client and never prepare), and it needs them on.
DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
DATABASES["default"]["TEST"] = {"TEMPLATE": "template0", "CHARSET": "UTF8"}
# Per connection: catalogue search corrects misspellings against its lexicon of words through
# pg_trgm's index-assisted `%>` operator, whose threshold this sets (the lowest a word needs;
# default 0.6 misses "fotografy"). Web requests run short
# statements on a few cores shared by every worker: no JIT compiling (20+ ms whenever an
# estimate crosses jit_above_cost) and no parallel workers (a search for a common word took
# 47 ms with two of them, 28 ms without); random_page_cost for data on SSD or in memory
# (PostgreSQL's 4 assumes spinning disks: "cooking" was a 25 ms scan instead of a 5 ms bitmap
# scan of its index); docs/benchmarks.md. The dashboards' refresh sets its own in its
# transactions (learningcity/dashboards/services.py, _prepare).
DATABASES["default"]["OPTIONS"].setdefault(
    "options",
    "-c pg_trgm.word_similarity_threshold=0.35 -c jit=off -c max_parallel_workers_per_gather=0 -c random_page_cost=1.1",
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery ---------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "learningcity.redis_cache.RedisCache",  # Django's, one client per pool
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="lc"),
            "TIMEOUT": 300,
        }
    }
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    if CELERY_BROKER_URL.split("://", 1)[0] in ("redis", "rediss"):
        # kombu's Redis transport with one publishing client per pool (celery_redis.py)
        CELERY_BROKER_TRANSPORT = "learningcity.celery_redis:Transport"
    CELERY_TASK_ALWAYS_EAGER = False
else:
    # Without Redis (plain `make run`), tasks run in-process and the cache is per process.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True  # results are not needed by default
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = False  # only tasks documented as idempotent set acks_late=True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Bangkok"
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The one beat schedule: names say what each job does.
CELERY_BEAT_SCHEDULE = {
    "web-clear-expired-sessions-nightly": {
        "task": "learningcity.web.tasks.sessions_clear_expired",
        "schedule": crontab(hour=3, minute=15),
    },
    "programmes-refresh-next-course-hourly": {
        "task": "programmes.tasks.programmes_refresh_schedule_all",
        "schedule": crontab(minute=5),
    },
    "programmes-rebuild-search-words-nightly": {
        "task": "programmes.tasks.search_words_rebuild_all",
        "schedule": crontab(hour=3, minute=45),
    },
    "participants-notify-schedule-changes-every-minute": {
        "task": "participants.tasks.course_changes_notify",
        "schedule": crontab(),
    },
    "participants-dispatch-pending-notifications-every-minute": {
        "task": "participants.tasks.notifications_dispatch_pending",
        "schedule": crontab(),
    },
    "participants-expire-offers-every-5-minutes": {
        "task": "participants.tasks.enrolment_offers_expire",
        "schedule": crontab(minute="*/5"),
    },
    "participants-send-course-reminders-daily": {
        "task": "participants.tasks.enrolment_reminders_send",
        "schedule": crontab(hour=9, minute=0),
    },
    "dashboards-refresh-every-5-minutes": {
        "task": "learningcity.dashboards.tasks.aggregates_refresh",
        "schedule": crontab(minute="*/5"),
    },
    "dashboards-refresh-rolling-nightly": {
        "task": "learningcity.dashboards.tasks.aggregates_refresh_rolling",
        "schedule": crontab(hour=2, minute=30),
    },
}

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Accounts --------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    # Reads the user of the sessions signed in through allauth (accounts/backends.py);
    # authenticates nobody, grants nothing.
    "learningcity.accounts.backends.SessionUserBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "learningcity.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# allauth's own rate limits are on by default and live in the cache (Redis where set).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}

# --- E-mail ----------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Learning City <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Language and time -----------------------------------------------------------------
LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "lc_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static and media ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- The venue map (Leaflet, self-hosted; only the tiles come from elsewhere) ---------
# A tile server URL template ({s} subdomains, {z}/{x}/{y}); its origin is allowed as an
# image source below. Mind the tile server's usage policy (OpenStreetMap's is strict for
# heavy use): a city may run or rent its own.
# Empty values (docker-compose passes them through) mean the defaults.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="") or "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="") or (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)


def _tile_origin(url: str) -> list[str]:
    """The CSP source of a tile URL template: scheme://host, a {s} subdomain as a wildcard."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}.", "*."))
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme in ("http", "https") and parts.netloc else []


# --- Security headers that hold everywhere -----------------------------------------
# Content Security Policy: our own origin only. No inline scripts or styles; htmx's
# indicator style is switched off in the base template (see PITFALLS.md).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *_tile_origin(MAP_TILE_URL), *env.list("CSP_IMG_EXTRA", default=[])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "learningcity.web.csrf.csrf_failure"

# --- Logging: structured (one JSON object a line) to stdout ----------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "learningcity.logging.JsonFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": LOG_LEVEL},
    },
}

# --- The city's own settings ------------------------------------------------------------
CITY_SLUG = env.str("CITY_SLUG", default="chiang-mai")
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default="learning@localhost")
