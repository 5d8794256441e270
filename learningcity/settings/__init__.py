"""Settings package.

- ``base``: everything, read from the environment (django-environ).
- ``dev``: what ``make run`` uses: DEBUG on, an insecure key allowed.
- ``test``: what ``make test`` uses: real PostgreSQL and Redis, fast hashing.
- ``production``: HTTPS, HSTS, secure cookies; passes ``check --deploy``.
"""
