"""The localdate / localyear template filters: Buddhist Era in Thai, Gregorian in English,
aware datetimes shown in Asia/Bangkok."""

import datetime as dt
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from learningcity.web.templatetags.thaidate import format_local, format_year

UTC = dt.UTC
NOV_23 = dt.date(2026, 11, 23)
EVENING_UTC = dt.datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # 03:00 next day in Bangkok


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template(source).render(Context(context))


def test_thai_date_has_buddhist_era_year_and_thai_month():
    assert render("{{ d|localdate }}", "th", d=NOV_23) == "23 พฤศจิกายน 2569"


def test_english_date_has_gregorian_year():
    assert render("{{ d|localdate }}", "en", d=NOV_23) == "23 November 2026"


def test_aware_utc_datetime_is_shown_in_bangkok():
    assert render('{{ t|localdate:"datetime" }}', "th", t=EVENING_UTC) == "24 พฤศจิกายน 2569 03:00 น."
    assert render('{{ t|localdate:"datetime" }}', "en", t=EVENING_UTC) == "24 November 2026, 03:00"
    assert render("{{ t|localdate }}", "th", t=EVENING_UTC) == "24 พฤศจิกายน 2569"


def test_aware_datetime_in_another_zone_is_converted_too():
    tokyo = EVENING_UTC.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))  # 05:00 on the 24th
    assert format_local(tokyo, "time", "th") == "03:00 น."
    assert format_local(tokyo, "time", "en") == "03:00"


@pytest.mark.parametrize(
    ("style", "thai", "english"),
    [
        ("date", "24 พฤศจิกายน 2569", "24 November 2026"),
        ("short", "24 พ.ย. 69", "24 Nov 2026"),
        ("datetime", "24 พฤศจิกายน 2569 03:00 น.", "24 November 2026, 03:00"),
        ("weekday", "วันอังคารที่ 24 พฤศจิกายน 2569", "Tuesday 24 November 2026"),
        ("time", "03:00 น.", "03:00"),
        ("month", "พฤศจิกายน 2569", "November 2026"),
        ("no-such-style", "24 พฤศจิกายน 2569", "24 November 2026"),
    ],
)
def test_every_style(style, thai, english):
    assert format_local(EVENING_UTC, style, "th") == thai
    assert format_local(EVENING_UTC, style, "en") == english


def test_plain_dates_get_no_made_up_time():
    assert format_local(NOV_23, "time", "th") == ""
    assert format_local(NOV_23, "datetime", "th") == "23 พฤศจิกายน 2569"
    assert format_local(NOV_23, "datetime", "en") == "23 November 2026"


def test_naive_datetime_is_shown_as_it_is():
    assert format_local(dt.datetime(2026, 1, 5, 9, 5), "datetime", "th") == "5 มกราคม 2569 09:05 น."


def test_english_names_do_not_depend_on_the_active_language():
    with translation.override("th"):
        assert format_local(NOV_23, "weekday", "en") == "Monday 23 November 2026"
    with translation.override("en"):
        assert format_local(NOV_23, "date", "th") == "23 พฤศจิกายน 2569"


def test_times_follow_the_current_time_zone():
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert format_local(EVENING_UTC, "time", "en") == "20:00"
    assert format_local(EVENING_UTC, "time", "en") == "03:00"  # Asia/Bangkok, the default


@pytest.mark.parametrize("value", [None, "", "not a date", 42])
def test_odd_values_do_not_break_a_page(value):
    out = render("[{{ v|localdate }}]", "th", v=value)
    assert out == ("[]" if value in (None, "") else f"[{value}]")


def test_script_in_a_string_value_is_escaped():
    assert render("{{ v|localdate }}", "th", v="<script>x</script>") == "&lt;script&gt;x&lt;/script&gt;"


def test_localyear():
    assert render("{{ y|localyear }}", "th", y=2019) == "2562"
    assert render("{{ y|localyear }}", "en", y=2019) == "2019"
    assert format_year(None) == ""
    assert format_year("abc", "th") == "abc"
    assert format_year("2026", "th") == "2569"
