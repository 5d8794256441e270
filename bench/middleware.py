"""Bench-only middleware (bench.settings): SQL statements and time per request, as headers."""

import time

from django.db import connections


class QueryCountMiddleware:
    """Counts every statement run on every database connection during the request and the
    time spent inside Django, and returns them as `X-Bench-Queries` and `X-Bench-Server-Ms`.
    It sits first in the chain, so the time covers all other middleware (sessions, CSRF,
    CSP, ...) and the count covers the session and user lookups too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        wrappers = [conn.execute_wrapper(counter) for conn in connections.all()]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        response["X-Bench-Queries"] = str(count)
        response["X-Bench-Server-Ms"] = f"{(time.perf_counter() - started) * 1000:.2f}"
        return response
