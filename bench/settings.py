"""Settings of the benchmark server: production, unchanged, plus two bench-only pieces.

The benchmarks run gunicorn on loopback with `learningcity.settings.production` as it
ships (HTTPS redirect, secure cookies, HSTS, CSP, WhiteNoise, the psycopg pool, Redis cache
and sessions). The load generator speaks plain HTTP on 127.0.0.1 and sends
`X-Forwarded-Proto: https` (and a same-origin `Referer` on POST), exactly what the
TLS-terminating proxy in front of production sends, so nothing security-related is relaxed.

Added, for measuring only:
- ROOT_URLCONF `bench.urls`: the project's URLs plus `/bench/trivial`, a view that does
  nothing (the floor of "a Django request through the same middleware on the same server";
  /healthz is not trivial: it runs SELECT 1 and a Redis PING);
- `bench.middleware.QueryCountMiddleware` first in the chain: it counts the SQL statements
  of each request and measures the time spent inside Django, and returns both in the
  response headers `X-Bench-Queries` and `X-Bench-Server-Ms`;
- STATIC_ROOT in the temporary directory (the runner collects static files there with the
  production storage, as the image does at build time), so a bench run leaves no
  build output in the checkout.
"""

import tempfile
from pathlib import Path

from learningcity.settings.production import *  # noqa: F403
from learningcity.settings.production import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
STATIC_ROOT = Path(tempfile.gettempdir()) / "lc-bench-staticfiles"
