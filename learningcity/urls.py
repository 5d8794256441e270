from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from learningcity.web import views as web_views

# Thai pages have no prefix (/programmes/), English ones live under /en/ (/en/programmes/):
# a shared link keeps its language, and the language switch is a plain link.
urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", web_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("staff/run/", include("participants.staff.urls", namespace="staff-run")),
    path("staff/", include("programmes.staff.urls", namespace="staff")),
    path("", include("learningcity.dashboards.urls", namespace="dashboards")),
    path("", include("programmes.urls", namespace="programmes")),
    path("", include("participants.urls", namespace="participants")),
    prefix_default_language=False,
)

handler400 = "learningcity.web.views.bad_request"
handler403 = "learningcity.web.views.permission_denied"
handler404 = "learningcity.web.views.page_not_found"
handler500 = "learningcity.web.views.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
