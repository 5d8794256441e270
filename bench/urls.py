"""The benchmark server's URLs: the project's own, plus a view that does nothing."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from learningcity.urls import handler400, handler403, handler404, handler500
from learningcity.urls import urlpatterns as project_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def trivial(request: HttpRequest) -> HttpResponse:
    """No database, no cache, no template: the floor of a request through the stack."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/trivial", trivial, name="bench-trivial"), *project_urlpatterns]
