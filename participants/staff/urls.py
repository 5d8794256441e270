"""Running a course, mounted at /staff/run/ (namespace "staff-run"). Every URL must have a
rule in tests/running/test_permission_matrix.py (the matrix fails on a URL without one)."""

from django.urls import path

from participants.staff import views

app_name = "staff-run"

P = "<slug:provider_slug>/"

urlpatterns = [
    path(P + "overview/", views.overview, name="overview"),
    path(P + "courses/<int:pk>/roster/", views.roster, name="roster"),
    path(P + "courses/<int:pk>/roster.csv", views.roster_csv, name="roster-csv"),
    path(P + "courses/<int:pk>/roster.xlsx", views.roster_xlsx, name="roster-xlsx"),
    path(P + "courses/<int:pk>/completion/", views.completion, name="completion"),
    path(P + "courses/<int:pk>/capacity/", views.capacity, name="capacity"),
    path(P + "courses/<int:pk>/cancel/", views.cancel, name="cancel"),
    path(P + "sessions/<int:pk>/register/", views.register, name="register"),
    path(P + "sessions/<int:pk>/register/all-present/", views.register_all_present, name="register-all-present"),
    path(P + "desk/", views.desk, name="desk"),
    path(P + "participants/<int:pk>/", views.participant, name="participant"),
    path(P + "enrolments/<int:pk>/slip/", views.slip, name="slip"),
]
