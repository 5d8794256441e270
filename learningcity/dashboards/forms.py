"""The dashboards' filter form: one GET form for every page (the URL is the state).

Bad values never reach a query: each field is parsed here, and a value that does not parse
(or names a district, category or provider that is not offered) becomes a translated error
beside its field; the page then shows the default for that field. Dates accept the Common Era
(2026-01-31) and the Buddhist Era (2569-01-31, 31/01/2569): a year of 2400 or more is B.E."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from dataclasses import asdict, dataclass

from django import forms
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from learningcity.dashboards.indicators import add_months, last_12_months, month_end
from learningcity.dashboards.models import AGE_BANDS
from learningcity.dates import BUDDHIST_ERA_OFFSET
from learningcity.forms_renderer import html_attributes

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
MAX_SPAN_DAYS = 366 * 10
BE_THRESHOLD = 2400
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
MAX_FIELD_LENGTH = 40

PERIODS = [
    ("last12", _("Last 12 months")),
    ("this_year", _("This year")),
    ("last_year", _("Last year")),
    ("custom", _("From-to dates")),
]
GRAINS = [
    ("week", pgettext_lazy("grain", "Week")),
    ("month", pgettext_lazy("grain", "Month")),
    ("term", pgettext_lazy("grain", "School term")),
    ("year", pgettext_lazy("grain", "Year")),
]
BAND_LABELS = {
    "0-5": _("Early childhood (0-5)"),
    "6-14": _("School age (6-14)"),
    "15-24": _("Youth (15-24)"),
    "25-59": _("Adults (25-59)"),
    "60+": _("Older adults (60+)"),
}


def _be_year(year: int) -> int:
    return year - BUDDHIST_ERA_OFFSET if year >= BE_THRESHOLD else year


def parse_date(text: str) -> dt.date | None:
    """2026-01-31, 2569-01-31, 31/01/2026 or 31/01/2569 -> date(2026, 1, 31); else None."""
    if not text or len(text) > MAX_FIELD_LENGTH:
        return None
    match = _ISO.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DMY.match(text)
        if not match:
            return None
        day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(_be_year(year), month, day)
    except ValueError:
        return None


def parse_month(text: str) -> dt.date | None:
    """2026-03 or 2569-03 -> date(2026, 3, 1); else None."""
    if not text or len(text) > MAX_FIELD_LENGTH:
        return None
    match = _MONTH.match(text)
    if not match:
        return None
    year, month = (int(g) for g in match.groups())
    try:
        return dt.date(_be_year(year), month, 1)
    except ValueError:
        return None


class DateText(forms.CharField):
    """A date typed or picked; B.E. years are accepted."""

    widget = forms.DateInput(attrs={"type": "date"})

    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=MAX_FIELD_LENGTH, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        day = parse_date(text)
        if day is None:
            raise forms.ValidationError(_("Enter a date such as 2569-01-31 or 31/01/2569."), code="invalid")
        if not EARLIEST <= day <= LATEST:
            raise forms.ValidationError(_("Enter a date between 2543 and 2643 B.E."), code="range")
        return day


@dataclass(frozen=True)
class Filters:
    """What the pages compute for, after parsing and after the viewer's scope is applied."""

    start: dt.date
    end: dt.date
    period: str = "last12"
    district_id: int | None = None
    band: str = ""
    category_id: int | None = None
    provider_id: int | None = None
    grain: str = "month"
    month: dt.date | None = None

    def key(self) -> str:
        """A short, stable digest of every value (part of the cache key)."""
        text = "|".join(f"{k}={v}" for k, v in sorted(asdict(self).items()))
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def query(self) -> str:
        """The filters as a query string (for export links and the htmx URL)."""
        from urllib.parse import urlencode

        pairs = [("period", self.period)]
        if self.period == "custom":
            pairs += [("date_from", self.start.isoformat()), ("date_to", self.end.isoformat())]
        for name, value in (
            ("district", self.district_id),
            ("band", self.band),
            ("category", self.category_id),
            ("provider", self.provider_id),
        ):
            if value:
                pairs.append((name, value))
        pairs.append(("grain", self.grain))
        if self.month:
            pairs.append(("month", self.month.strftime("%Y-%m")))
        return urlencode(pairs)


@functools.lru_cache(maxsize=16)
def _options_html(options: tuple[tuple[str, str], ...]) -> str:
    """The <option> elements of a list of (value, label), none selected: built once per list."""
    return "".join(f'\n  <option value="{escape(value)}">{escape(label)}</option>' for value, label in options)


class LongSelect(forms.Select):
    """A <select> of a long list (the 2,000 providers of a Bangkok-scale city) written from one
    string of options per list (cached), with the chosen value marked: Django builds a dict and
    renders a template for every option of every request (~10 ms for 2,000)."""

    options: tuple[tuple[str, str], ...] = ()

    def render(self, name, value, attrs=None, renderer=None):
        final = {"name": name, **self.build_attrs(self.attrs, attrs)}  # Django's order
        html = _options_html(self.options)
        chosen = "" if value is None else str(value[0] if isinstance(value, list | tuple) and value else value)
        plain = f'<option value="{escape(chosen)}">'
        if chosen or any(v == "" for v, _label in self.options[:1]):
            html = html.replace(plain, f'<option value="{escape(chosen)}" selected>', 1)
        return mark_safe(f"<select{html_attributes(final)}>{html}\n</select>")  # noqa: S308 - every part escaped above


class LongChoiceField(forms.TypedChoiceField):
    """A choice in a long list: checked against the set of its values (Django normalises the
    whole list of choices twice whenever they are set) and drawn by LongSelect."""

    widget = LongSelect

    def set_options(self, options: list[tuple[str, str]]) -> None:
        self.allowed = frozenset(value for value, _label in options)
        self.widget.options = tuple(options)

    def valid_value(self, value) -> bool:
        return str(value) in getattr(self, "allowed", ())


class DashboardFilterForm(forms.Form):
    """Period (a preset or from-to dates), district, age band, category, provider, grain and the
    indicators' month. Choices come from the view: the viewer's scope decides which providers
    may be chosen (a provider manager: only their own)."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    date_from = DateText(label=_("From"))
    date_to = DateText(label=_("To"))
    district = forms.TypedChoiceField(label=_("Area"), coerce=int, required=False, empty_value=None)
    band = forms.ChoiceField(label=_("Age band"), required=False)
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None)
    provider = LongChoiceField(label=_("Provider"), coerce=int, required=False, empty_value=None)
    grain = forms.ChoiceField(label=_("Over time by"), choices=GRAINS, required=False)
    month = forms.CharField(
        label=_("12 months ending with"),
        required=False,
        max_length=MAX_FIELD_LENGTH,
        widget=forms.TextInput(attrs={"type": "month"}),
    )

    def __init__(self, data=None, *, districts, categories, providers, provider_required=False, today):
        data = data.copy() if data is not None else {}
        for name, default in (("period", "last12"), ("grain", "month")):
            if not data.get(name):
                data[name] = default  # the controls show what the page computes
        super().__init__(data)
        self.today = today
        self.fields["district"].choices = [("", _("Whole city"))] + [(d["id"], d["name"]) for d in districts]
        self.fields["band"].choices = [("", _("All ages"))] + [(k, BAND_LABELS[k]) for k in AGE_BANDS]
        self.fields["category"].choices = [("", _("All categories"))] + [(c["id"], c["name"]) for c in categories]
        provider_choices = [(str(p["id"]), p["name"]) for p in providers]
        self.fields["provider"].set_options(
            provider_choices if provider_required else [("", str(_("All providers"))), *provider_choices]
        )
        self.provider_required = provider_required
        self.default_provider = providers[0]["id"] if providers else None

    def clean_month(self):
        text = self.cleaned_data.get("month")
        if not text:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError(_("Enter a month such as 2569-03."), code="invalid")
        if not EARLIEST <= month <= LATEST:
            raise forms.ValidationError(_("Enter a date between 2543 and 2643 B.E."), code="range")
        return month

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("period") == "custom":
            start, end = cleaned.get("date_from"), cleaned.get("date_to")
            if "date_from" in self.errors or "date_to" in self.errors:
                return cleaned
            if start is None or end is None:
                self.add_error("date_to", _("Give both dates for a from-to period."))
            elif start > end:
                self.add_error("date_to", _("The end date must not be before the start date."))
            elif (end - start).days > MAX_SPAN_DAYS:
                self.add_error("date_to", _("Choose a period of ten years or less."))
        return cleaned

    def filters(self) -> Filters:
        """The filters to compute for: valid values, and the default where a value was bad."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        ok = lambda name: name not in self.errors and data.get(name) not in (None, "")  # noqa: E731
        today = self.today
        period = data.get("period") if ok("period") else "last12"
        if period == "custom" and not any(n in self.errors for n in ("date_from", "date_to")):
            start, end = data.get("date_from"), data.get("date_to")
            if start is None or end is None or start > end or (end - start).days > MAX_SPAN_DAYS:
                period = "last12"
        elif period == "custom":
            period = "last12"
        if period == "this_year":
            start, end = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
        elif period == "last_year":
            start, end = dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
        elif period != "custom":
            start, end = last_12_months(today)
        provider = data.get("provider") if ok("provider") else None
        if self.provider_required and provider is None:
            provider = self.default_provider
        month = data.get("month") if ok("month") else None
        return Filters(
            start=start,
            end=end,
            period=period,
            district_id=data.get("district") if ok("district") else None,
            band=data.get("band") if ok("band") else "",
            category_id=data.get("category") if ok("category") else None,
            provider_id=provider,
            grain=data.get("grain") if ok("grain") else "month",
            month=month or dt.date(today.year, today.month, 1),
        )

    def notices(self) -> list[tuple[str, str]]:
        """(field label, message) of every bad value, for the page's message list."""
        out = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            out.extend((str(label), str(error)) for error in errors)
        return out


def rolling_window(month: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 months ending with ``month`` (the indicators' window)."""
    return add_months(month, -11), month_end(month)
