"""Dates in the active language's calendar, for Python code of every layer (e-mails, error
messages) and for the template filters in learningcity.web.templatetags.thaidate.

Thai: Buddhist Era year and Thai month names (pythainlp.util.thai_strftime; Babel has no
Buddhist calendar). English: Gregorian year. Aware datetimes are shown in the current
time zone (Asia/Bangkok); dates and naive datetimes are shown as they are.

    format_local(course.starts_on)                23 พฤศจิกายน 2569 / 23 November 2026
    format_local(session.starts_at, "datetime")   24 พฤศจิกายน 2569 03:00 น. / 24 November 2026, 03:00
    format_year(2019)                             2562 / 2019

This module sits outside the layered packages (it imports only Django and pythainlp), so
any layer may use it."""

import datetime as dt

from django.utils import dateformat, timezone, translation
from pythainlp.util import thai_strftime

# style -> (Thai strftime pattern, Django date format for English)
FORMATS = {
    "date": ("%-d %B %Y", "j F Y"),
    "short": ("%-d %b %y", "j M Y"),
    "datetime": ("%-d %B %Y %H:%M น.", "j F Y, H:i"),
    "weekday": ("%Aที่ %-d %B %Y", "l j F Y"),
    "time": ("%H:%M น.", "H:i"),
    "month": ("%B %Y", "F Y"),
}
# Styles that show a time of day; a plain date has none.
TIME_STYLES = {"datetime", "time"}
BUDDHIST_ERA_OFFSET = 543


def _is_thai(language: str | None) -> bool:
    return (language or translation.get_language() or "th").lower().startswith("th")


def format_local(value, style: str = "date", language: str | None = None) -> str:
    """``value`` (a date or datetime) in ``style`` for ``language`` (default: the active one).

    A plain date asked for a time style is shown as a date ("datetime") or not at all
    ("time"): midnight would be a made-up time. Unknown styles fall back to "date"."""
    if value in (None, ""):
        return ""
    if style not in FORMATS:
        style = "date"
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
    elif isinstance(value, dt.date):
        if style == "time":
            return ""
        if style == "datetime":
            style = "date"
        value = dt.datetime(value.year, value.month, value.day)
    else:
        return str(value)
    thai_pattern, english_pattern = FORMATS[style]
    if _is_thai(language):
        return thai_strftime(value, thai_pattern)
    # Month and weekday names come from Django's catalogue of the language asked for.
    with translation.override(language or translation.get_language() or "en"):
        return dateformat.format(value, english_pattern)


def format_year(year, language: str | None = None) -> str:
    """A C.E. year number as the language shows it: B.E. (+543) in Thai."""
    if year in (None, ""):
        return ""
    try:
        year = int(year)
    except (TypeError, ValueError):
        return str(year)
    return str(year + BUDDHIST_ERA_OFFSET) if _is_thai(language) else str(year)
