from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from learningcity.web import health
from learningcity.web.context_processors import site_urls


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    # The city comes from the site context processor (cached); "today" is in Asia/Bangkok.
    return render(request, "web/home.html", {"today": timezone.localdate()})


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


@requires_csrf_token
def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "400.html", status=400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request context processors: the session, the signed-in user,
    messages and the city all need the database or the cache, which may be what failed.
    The layout shows the anonymous header and no city."""
    context = {"request": request, "city": None, **site_urls(request)}
    return HttpResponseServerError(loader.get_template("500.html").render(context))
