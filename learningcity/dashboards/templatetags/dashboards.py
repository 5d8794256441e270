"""Small helpers for the dashboard templates: {% load dashboards %}."""

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def export_url(page: str, table_key: str, fmt: str, query: str = "") -> str:
    """The download URL of a table with the page's filters."""
    if page == "public":
        return reverse("dashboards:public-export", args=[table_key, fmt])
    url = reverse("dashboards:export", args=[page, table_key, fmt])
    return f"{url}?{query}" if query else url


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def legend(mapping, key):
    return (mapping or {}).get(f"{key}_legend")
