"""CSRF failures get a translated page in the site's layout (settings.CSRF_FAILURE_VIEW)
instead of Django's English technical page. Typical cause: a form left open so long that
the session expired, or cookies switched off."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)
