"""Dates in the active language's calendar (a template builtin: no {% load %} needed).

Thai: Buddhist Era year and Thai month names (pythainlp.util.thai_strftime; Babel has no
Buddhist calendar). English: Gregorian year. Aware datetimes are shown in the current
time zone (Asia/Bangkok); dates and naive datetimes are shown as they are.

    {{ course.starts_on|localdate }}                  23 พฤศจิกายน 2569 / 23 November 2026
    {{ session.starts_at|localdate:"datetime" }}      24 พฤศจิกายน 2569 03:00 น. / 24 November 2026, 03:00
    {{ city.gnlc_member_since|localyear }}            2562 / 2019
"""

from django import template

# The formatting lives in a module every layer may import (e-mails, error messages).
from learningcity.dates import BUDDHIST_ERA_OFFSET, FORMATS, TIME_STYLES, format_local, format_year

__all__ = ["BUDDHIST_ERA_OFFSET", "FORMATS", "TIME_STYLES", "format_local", "format_year", "register"]

register = template.Library()


@register.filter(name="localdate")
def localdate_filter(value, style: str = "date") -> str:
    """``{{ course.starts_on|localdate }}`` or ``{{ session.starts_at|localdate:"datetime" }}``.
    Styles: date, short, datetime, weekday, time, month."""
    return format_local(value, style)


@register.filter(name="localyear")
def localyear_filter(value) -> str:
    """``{{ city.gnlc_member_since|localyear }}``: 2019 -> 2562 in Thai, 2019 in English."""
    return format_year(value)
