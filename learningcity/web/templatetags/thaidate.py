"""Dates in the active language's calendar.

Thai: Buddhist Era year and Thai month names (pythainlp.util.thai_strftime).
English: Gregorian year. Always shown in the current time zone (Asia/Bangkok)."""

import datetime as dt

from django import template
from django.utils import formats, timezone
from django.utils.translation import get_language
from pythainlp.util import thai_strftime

register = template.Library()

# name -> (Thai strftime pattern, Django date format for English)
FORMATS = {
    "date": ("%-d %B %Y", "j F Y"),
    "short": ("%-d %b %y", "j M Y"),
    "datetime": ("%-d %B %Y %H:%M น.", "j F Y, H:i"),
    "weekday": ("%A %-d %B %Y", "l j F Y"),
    "time": ("%H:%M น.", "H:i"),
    "month": ("%B %Y", "F Y"),
}


def format_local(value, style: str = "date", language: str | None = None) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
    elif isinstance(value, dt.date):
        value = dt.datetime(value.year, value.month, value.day)
    else:
        return str(value)
    thai_pattern, english_pattern = FORMATS.get(style, FORMATS["date"])
    lang = language or get_language() or "th"
    if lang.startswith("th"):
        return thai_strftime(value, thai_pattern)
    return formats.date_format(value, english_pattern, use_l10n=False)


@register.filter(name="localdate")
def localdate_filter(value, style: str = "date") -> str:
    """``{{ course.starts_on|localdate }}`` or ``{{ session.starts_at|localdate:"datetime" }}``."""
    return format_local(value, style)
