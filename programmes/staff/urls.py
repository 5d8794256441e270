"""The provider workspace, mounted at /staff/ (namespace "staff"). Every URL must have a rule
in tests/workspace/test_permissions.py (the matrix fails on a URL without one)."""

from django.urls import path

from programmes.staff import views

app_name = "staff"

P = "<slug:provider_slug>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_all, name="audit-all"),
    # City administrators ("city/..." paths shadow no provider page: those end otherwise).
    path("city/reviews/", views.review_queue, name="review-queue"),
    path("city/reviews/<int:pk>/", views.review_decide, name="review-decide"),
    path("city/settings/", views.city_settings, name="city-settings"),
    path("city/providers/", views.city_providers, name="city-providers"),
    path("city/providers/new/", views.city_provider_create, name="city-provider-create"),
    path("city/providers/<int:pk>/", views.city_provider_edit, name="city-provider-edit"),
    # Not "city/venues/": that would shadow the venue pages of a provider whose slug is "city".
    path("city/shared-venues/", views.city_venues, name="city-venues"),
    path("city/shared-venues/new/", views.city_venue_create, name="city-venue-create"),
    path("city/shared-venues/<int:pk>/", views.city_venue_edit, name="city-venue-edit"),
    path("city/districts/", views.city_districts, name="city-districts"),
    path("city/population/", views.city_population, name="city-population"),
    path(P, views.provider_home, name="provider-home"),
    path(P + "programmes/new/", views.programme_create, name="programme-create"),
    path(P + "programmes/preview/", views.programme_preview, name="programme-preview"),
    path(P + "programmes/<int:pk>/", views.programme_edit, name="programme-edit"),
    path(P + "programmes/<int:pk>/status/", views.programme_status, name="programme-status"),
    path(P + "programmes/<int:pk>/courses/new/", views.course_create, name="course-create"),
    path(P + "courses/<int:pk>/", views.course_detail, name="course-detail"),
    path(P + "courses/<int:pk>/edit/", views.course_edit, name="course-edit"),
    path(P + "courses/<int:pk>/sessions/new/", views.session_create, name="session-create"),
    path(P + "courses/<int:pk>/sessions/weekly/", views.sessions_weekly, name="sessions-weekly"),
    path(P + "courses/<int:pk>/duplicate/", views.course_duplicate, name="course-duplicate"),
    path(P + "sessions/<int:pk>/", views.session_edit, name="session-edit"),
    path(P + "sessions/<int:pk>/cancel/", views.session_cancel, name="session-cancel"),
    path(P + "members/", views.members, name="members"),
    path(P + "members/<int:pk>/", views.member_edit, name="member-edit"),
    path(P + "venues/", views.venues, name="venues"),
    path(P + "venues/new/", views.venue_create, name="venue-create"),
    path(P + "venues/<int:pk>/", views.venue_edit, name="venue-edit"),
    path(P + "audit/", views.audit, name="audit"),
]
