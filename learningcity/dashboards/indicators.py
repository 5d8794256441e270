"""The dashboards' arithmetic as pure functions: no database, no Django settings.

Indicators (../shared/DOMAIN.md, "Indicators"):
- participation rate (after SDG 4.3.1): distinct learners of an age range in the last 12 months
  divided by the residents of that range;
- parity index (after SDG 4.5.1): the rate of the likely-disadvantaged group divided by the
  other group's; the adjusted form reports 2 - 1/r where r > 1, so that the index is
  symmetric around 1 and bounded by 0 and 2; 0.97-1.03 counts as parity;
- equity gap: participation per 1,000 residents of a district x age band against the city's.

Small cells: any count of people from 1 to 4 is shown as "<5" to anyone but a city
administrator, and a rate whose numerator is suppressed is not shown either.

Thai school terms (used by the "term" grain of the charts over time): term 1 runs from May to
October and term 2 from November to April of the next year; the school year is named by the
year in which term 1 starts (B.E. in Thai). Thai schools open in mid-May and close in March;
whole months keep the periods simple and every day in exactly one term.
"""

from __future__ import annotations

import datetime as dt
from calendar import monthrange

SUPPRESSION_THRESHOLD = 5
SUPPRESSED = "<5"
PARITY_LOW = 0.97
PARITY_HIGH = 1.03


def rate(numerator: int | None, denominator: int | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is 0."""
    if numerator is None or not denominator or isinstance(numerator, str):
        return None
    return numerator / denominator


def per_thousand(learners: int | None, residents: int | None) -> float | None:
    value = rate(learners, residents)
    return None if value is None else value * 1000


def parity_index(disadvantaged_rate: float | None, reference_rate: float | None) -> float | None:
    """r = disadvantaged / reference (female/male, older/working-age, district/city)."""
    if disadvantaged_rate is None or not reference_rate:
        return None
    return disadvantaged_rate / reference_rate


def adjusted_parity(r: float | None) -> float | None:
    """The adjusted parity index: r when r <= 1, else 2 - 1/r (bounded by 0 and 2)."""
    if r is None:
        return None
    return r if r <= 1 else 2 - 1 / r


def is_parity(adjusted: float | None) -> bool | None:
    """0.97 to 1.03 (inclusive) counts as parity."""
    if adjusted is None:
        return None
    return PARITY_LOW <= round(adjusted, 6) <= PARITY_HIGH


def parity_reading(adjusted: float | None) -> str:
    """ "parity", "disadvantaged_low" (the first group is behind) or "reference_low"."""
    if adjusted is None:
        return ""
    if is_parity(adjusted):
        return "parity"
    return "disadvantaged_low" if adjusted < PARITY_LOW else "reference_low"


def change(current: float | int | None, previous: float | int | None) -> float | None:
    """Relative change in per cent against the previous period (None when undefined)."""
    if current is None or previous is None or isinstance(current, str) or isinstance(previous, str):
        return None
    if previous == 0:
        return None
    return (current - previous) / previous * 100


def is_small(value) -> bool:
    return isinstance(value, int) and 0 < value < SUPPRESSION_THRESHOLD


def suppress(value, *, exact: bool):
    """A count of people as shown: the value, or "<5" for 1-4 when not exact."""
    if not exact and is_small(value):
        return SUPPRESSED
    return value


def suppress_complementary(values: list, *, exact: bool) -> list:
    """Suppress 1-4 and, when exactly one cell of a column with a shown total was suppressed,
    also the smallest other non-zero cell, so the hidden one cannot be found by subtraction."""
    shown = [suppress(v, exact=exact) for v in values]
    if exact:
        return shown
    hidden = [i for i, v in enumerate(shown) if v == SUPPRESSED]
    if len(hidden) == 1:
        candidates = [(v, i) for i, v in enumerate(shown) if isinstance(v, int) and v > 0]
        if candidates:
            _value, index = min(candidates)
            shown[index] = SUPPRESSED
    return shown


def hours(minutes: int | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 1)


# --- Periods -------------------------------------------------------------------------------


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def last_12_months(today: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 calendar months ending with the current one."""
    return add_months(today, -11), month_end(today)


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before [start, end]: whole months stay whole months
    (12 months before 12 months, a year before a year), other ranges shift by their days."""
    if start.day == 1 and end == month_end(end):
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        return add_months(start, -months), start - dt.timedelta(days=1)
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - dt.timedelta(days=1)


def learner_period(start: dt.date, end: dt.date) -> str | None:
    """Which stored distinct-learner period covers exactly [start, end]: "month", "year",
    "rolling12", or None (learners cannot be counted for other ranges without raw data)."""
    if start.day != 1 or end != month_end(end) or end < start:
        return None
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months == 1:
        return "month"
    if months == 12:
        return "year" if start.month == 1 else "rolling12"
    return None


def term_of(day: dt.date) -> tuple[int, int]:
    """(school year C.E., term 1 or 2): May-October is term 1, November-April term 2."""
    if 5 <= day.month <= 10:
        return day.year, 1
    return (day.year if day.month >= 11 else day.year - 1), 2


def term_bounds(year: int, term: int) -> tuple[dt.date, dt.date]:
    if term == 1:
        return dt.date(year, 5, 1), dt.date(year, 10, 31)
    return dt.date(year, 11, 1), month_end(dt.date(year + 1, 4, 1))


# --- Population ----------------------------------------------------------------------------


def age_group_of(age: int) -> int:
    """The fine age group (lower bound, see models.AgeGroup) an age belongs to."""
    for bound in (65, 60, 25, 15, 6, 0):
        if age >= bound:
            return bound
    return 0
