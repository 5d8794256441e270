"""Input parsing of the catalogue's filters (a GET form: the URL is the state).

A bad value never fails the page: the field gets a translated error (shown beside it and in
the results), and the search runs without that one filter. `filter_parts()` lists the
filters in force, each with the query string that drops it (the "remove" chips and the
empty state's suggestion); `selector_kwargs()` turns the valid values into the arguments
of programmes.selectors.programme_catalogue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from programmes.models import Category, Programme, Venue
from programmes.search import MAX_QUERY_LENGTH
from programmes.selectors import (
    AGE_BANDS,
    SORT_NEAREST,
    SORT_NEWEST,
    SORT_RELEVANCE,
    SORT_SOONEST,
)

AGE_BAND_CHOICES = [
    ("0-5", _("Early childhood (0–5)")),
    ("6-14", _("School age (6–14)")),
    ("15-24", _("Youth (15–24)")),
    ("25-59", _("Adults (25–59)")),
    ("60+", _("Older adults (60 and over)")),
]
assert [key for key, _label in AGE_BAND_CHOICES] == list(AGE_BANDS)

WEEKDAY_CHOICES = [
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("7", _("Sunday")),
]
# Empty: the best match when searching, else the soonest.
SORT_CHOICES = [
    ("", _("Recommended")),
    (SORT_RELEVANCE, _("Best match")),
    (SORT_SOONEST, _("Starting soonest")),
    (SORT_NEWEST, _("Newest")),
    (SORT_NEAREST, _("Nearest")),
]
# The parameters that are filters (everything but sort, location and page).
FILTER_PARAMS = (
    "q",
    "age",
    "band",
    "district",
    "category",
    "block",
    "date_from",
    "date_to",
    "day",
    "evening",
    "weekend",
    "format",
    "free",
    "language",
    "access",
    "places",
)
MAX_AGE = 120


@dataclass(frozen=True)
class FilterPart:
    """One filter in force: `param` (its URL parameter), `value` (one value of a
    multi-valued parameter, else None: the whole parameter), a readable `label` and the
    query string without it (`remove_query`, "?..." or "")."""

    param: str
    value: str | None
    label: str
    remove_query: str
    date: dt.date | None = None


def _any_option(label):
    return [("", label)]


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        strip=True,
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "enterkeyhint": "search", "maxlength": MAX_QUERY_LENGTH}
        ),
    )
    age = forms.IntegerField(
        label=_("Age of the learner"),
        required=False,
        min_value=0,
        max_value=MAX_AGE,
        help_text=_("For example 7 for a seven-year-old."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": _("Enter an age as a whole number, for example 7."),
            "min_value": _("Enter an age from 0 to 120."),
            "max_value": _("Enter an age from 0 to 120."),
        },
    )
    band = forms.ChoiceField(label=_("Age group"), required=False)
    district = forms.TypedChoiceField(label=_("District"), required=False, coerce=int, empty_value=None)
    category = forms.ChoiceField(label=_("Category"), required=False)
    block = forms.TypedChoiceField(
        label=_("GNLC building block"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=_any_option(_("Any building block")) + [(str(v), label) for v, label in Category.BuildingBlock.choices],
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    day = forms.MultipleChoiceField(
        label=_("Days of the week"), required=False, choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    evening = forms.BooleanField(label=_("Evenings (from 17:00)"), required=False)
    weekend = forms.BooleanField(label=_("Weekends"), required=False)
    format = forms.ChoiceField(
        label=_("Format"), required=False, choices=_any_option(_("Any format")) + list(Programme.Format.choices)
    )
    free = forms.BooleanField(label=_("Free of charge only"), required=False)
    language = forms.ChoiceField(
        label=_("Language of instruction"),
        required=False,
        # "Thai and English" programmes are found under either language.
        choices=_any_option(_("Any language"))
        + [(value, label) for value, label in Programme.Language.choices if value != Programme.Language.BOTH],
    )
    access = forms.MultipleChoiceField(
        label=_("Accessibility of the venue"),
        required=False,
        choices=Venue.Accessibility.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    places = forms.BooleanField(label=_("Places left only"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)

    def __init__(self, data: QueryDict, *, districts, categories, **kwargs):
        super().__init__(data, **kwargs)
        self.query = data
        self.fields["band"].choices = _any_option(_("Any age group")) + AGE_BAND_CHOICES
        self.fields["district"].choices = _any_option(_("Anywhere in the city")) + [
            (str(d.pk), d.name) for d in districts
        ]
        self.categories = {c.slug: c for c in categories}
        self.fields["category"].choices = _any_option(_("Any category")) + [(c.slug, c.name) for c in categories]
        for name in ("band", "district", "category", "block", "format", "language", "sort"):
            self.fields[name].error_messages["invalid_choice"] = _(
                "This choice is not available; it was left out of the search."
            )
        self.fields["day"].error_messages["invalid_choice"] = _("Unknown day of the week; it was left out.")
        self.fields["access"].error_messages["invalid_choice"] = _("Unknown accessibility feature; it was left out.")
        for name in ("date_from", "date_to"):
            self.fields[name].error_messages["invalid"] = _("Enter a date such as 2026-01-31.")
        for name in ("lat", "lng"):
            self.fields[name].error_messages = {
                key: _("Your location could not be read; sorted by date instead.")
                for key in ("invalid", "min_value", "max_value")
            }

    def clean_q(self) -> str:
        value = self.cleaned_data["q"]
        if len(value) > MAX_QUERY_LENGTH:
            raise forms.ValidationError(
                _("Please use at most %(limit)d characters for a search."), params={"limit": MAX_QUERY_LENGTH}
            )
        return value

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date; it was left out."))
        if (data.get("lat") is None) != (data.get("lng") is None):
            data.pop("lat", None)
            data.pop("lng", None)
        return data

    # --- What the view needs ------------------------------------------------------------

    @property
    def values(self) -> dict:
        """The valid values (an invalid field is simply absent). Works on an unbound or
        invalid form too."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data

    def sort_order(self) -> str:
        sort = self.values.get("sort") or ""
        if not sort:
            return SORT_RELEVANCE if self.values.get("q") else SORT_SOONEST
        return sort

    def selector_kwargs(self, *, without: FilterPart | None = None, language: str = "th") -> dict:
        """Arguments of selectors.programme_catalogue from the valid values, optionally
        without one filter part."""
        values = dict(self.values)
        if without is not None:
            if without.value is None:
                values.pop(without.param, None)
            else:
                values[without.param] = [v for v in values.get(without.param, []) if v != without.value]
        category = self.categories.get(values.get("category") or "")
        return {
            "q": values.get("q") or None,
            "language": language,
            "age": values.get("age"),
            "age_band": values.get("band") or None,
            "categories": [category.pk] if category else [],
            "building_block": values.get("block"),
            "districts": [values["district"]] if values.get("district") else [],
            "formats": [values["format"]] if values.get("format") else [],
            "free_only": bool(values.get("free")),
            "has_places": bool(values.get("places")),
            "accessibility": list(values.get("access") or []),
            "date_from": values.get("date_from"),
            "date_to": values.get("date_to"),
            "weekdays": [int(d) for d in values.get("day") or []],
            "evening": bool(values.get("evening")),
            "weekend": bool(values.get("weekend")),
            "instruction_language": values.get("language") or None,
            "sort": self.sort_order(),
            "lat": values.get("lat"),
            "lng": values.get("lng"),
            "near_district": values.get("district"),
        }

    def _query_without(self, param: str, value: str | None = None) -> str:
        query = self.query.copy()
        query.pop("page", None)
        if value is None:
            query.pop(param, None)
        else:
            query.setlist(param, [v for v in query.getlist(param) if v != value])
        # Empty parameters (from a submitted form) carry nothing: leave them out.
        for key in list(query.keys()):
            kept = [v for v in query.getlist(key) if v != ""]
            if kept:
                query.setlist(key, kept)
            else:
                del query[key]
        encoded = query.urlencode()
        return f"?{encoded}" if encoded else ""

    def filter_parts(self) -> list[FilterPart]:
        """The filters in force (valid values only), in the form's order."""
        values = self.values
        parts = []

        def add(param, label, value=None):
            parts.append(FilterPart(param, value, str(label), self._query_without(param, value)))

        def choice_label(name, value):
            return dict(self.fields[name].choices).get(str(value), value)

        for param in FILTER_PARAMS:
            value = values.get(param)
            if value in (None, "", False, []):
                continue
            field = self.fields[param]
            if param == "q":
                add(param, _("Search: “%(q)s”") % {"q": value})
            elif param == "age":
                add(param, _("Age %(age)s") % {"age": value})
            elif param in ("date_from", "date_to"):
                # The template shows the date in the reader's calendar after the label.
                parts.append(FilterPart(param, None, str(field.label), self._query_without(param), date=value))
            elif param in ("day", "access"):
                for item in value:
                    add(param, choice_label(param, item), item)
            elif isinstance(field, forms.BooleanField):
                add(param, field.label)
            else:
                add(param, choice_label(param, value))
        return parts

    def clear_query(self) -> str:
        """The query string without any filter (sort kept)."""
        query = QueryDict(mutable=True)
        if self.values.get("sort"):
            query["sort"] = self.values["sort"]
        encoded = query.urlencode()
        return f"?{encoded}" if encoded else ""
