"""The Celery application. Configuration lives in Django settings under CELERY_*,
including the one beat schedule (CELERY_BEAT_SCHEDULE)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learningcity.settings.dev")

app = Celery("learningcity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
