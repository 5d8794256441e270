from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """Site-wide pages and glue: layout context, home page, health check, date filters."""

    name = "learningcity.web"
    label = "web"
    verbose_name = _("Site")
