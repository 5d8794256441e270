from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from learningcity.web import health


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when PostgreSQL and Redis answer; 503 naming what failed."""
    checks = {"database": health.check_database(), "redis": health.check_redis()}
    failed = {name: reason for name, reason in checks.items() if reason}
    body = {
        "status": "fail" if failed else "ok",
        "checks": {name: ("fail: " + reason) if reason else "ok" for name, reason in checks.items()},
    }
    return JsonResponse(body, status=503 if failed else 200)


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without a request context: the page must not touch the database.
    return render(request, "500.html", status=500)
