"""The public catalogue: mounted at the root inside i18n_patterns (Thai unprefixed,
English under /en/), namespace "programmes"."""

from django.urls import path

from programmes import views

app_name = "programmes"

urlpatterns = [
    path("programmes/", views.catalogue, name="catalogue"),
    path("programmes/<slug:slug>/", views.programme_detail, name="programme-detail"),
    path("programmes/<slug:slug>/courses/<int:pk>/calendar.ics", views.course_ics, name="course-ics"),
    path("venues/", views.venue_map, name="venue-map"),
    path("venues/<int:pk>/", views.venue_detail, name="venue-detail"),
    path("providers/<slug:slug>/", views.provider_detail, name="provider-detail"),
]
