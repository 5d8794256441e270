"""Dashboards: the staff pages under /dashboards/ and the public page "Our learning city".
Mounted at the root (learningcity/urls.py) with the namespace "dashboards"."""

from django.urls import path

from learningcity.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("dashboards/", views.overview, name="overview"),
    path("dashboards/equity/", views.equity, name="equity"),
    path("dashboards/indicators/", views.indicators, name="indicators"),
    path("dashboards/gnlc-report/", views.gnlc, name="gnlc"),
    path(
        "dashboards/export/<slug:page_name>/<slug:table_key>.<str:fmt>",
        views.export,
        name="export",
    ),
    path("our-learning-city/", views.public, name="public"),
    path("our-learning-city/<slug:table_key>.<str:fmt>", views.public_export, name="public-export"),
]
