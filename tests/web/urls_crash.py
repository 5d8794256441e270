"""The project's URLs plus a view that fails, to drive handler500 end to end."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import path

from learningcity.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def crash(request):
    raise RuntimeError("boom")


urlpatterns = [*urlpatterns, *i18n_patterns(path("crash/", crash), prefix_default_language=False)]
