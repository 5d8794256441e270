"""A test-only URLconf: the site's URLs plus one view behind city_admin_required."""

from django.http import HttpResponse
from django.urls import path

from learningcity.accounts.permissions import city_admin_required
from learningcity.urls import urlpatterns as site_urlpatterns


@city_admin_required
def city_admin_only(request):
    return HttpResponse("city admin page")


urlpatterns = [path("test-city-admin/", city_admin_only), *site_urlpatterns]
