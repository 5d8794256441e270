from django.conf import settings
from django.urls import translate_url


def site(request):
    """What every page needs: the site URL and the other language's URL of this page."""
    path = request.get_full_path()
    return {
        "SITE_URL": settings.SITE_URL,
        "CONTACT_EMAIL": settings.CONTACT_EMAIL,
        "url_th": translate_url(path, "th"),
        "url_en": translate_url(path, "en"),
    }
