"""Input of the workspace screens. Forms parse and validate; services write."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from learningcity.city.models import City, District
from programmes.models import Category, Course, Programme, Provider, ProviderMembership, Session, Venue

IMAGE_MAX_BYTES = 2 * 1024 * 1024
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP"}
BE_OFFSET = 543  # Buddhist Era year = Common Era year + 543
WEEKDAYS = [
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (7, _("Sunday")),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    """Checkboxes that show each category's GNLC building blocks."""

    def label_from_instance(self, obj: Category) -> str:
        labels = dict(Category.BuildingBlock.choices)
        blocks = "; ".join(f"{n}. {labels.get(n, n)}" for n in obj.building_blocks)
        return f"{obj.name} ({blocks})"


def validate_image(upload) -> None:
    """At most 2 MB, and really a JPEG, PNG or WebP image (Pillow reads it; the name and the
    browser's content type are not trusted)."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > IMAGE_MAX_BYTES:
        raise forms.ValidationError(_("The image is too large: at most 2 MB."), code="image_too_large")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise forms.ValidationError(_("This file is not a JPEG, PNG or WebP image."), code="image_invalid") from exc
    finally:
        upload.seek(0)
    if image_format not in IMAGE_FORMATS:
        raise forms.ValidationError(_("This file is not a JPEG, PNG or WebP image."), code="image_invalid")


class ProgrammeForm(forms.ModelForm):
    """A programme's content. Bound to a fresh, unsaved instance (the view passes the
    current values as `initial`), so validating never changes the stored programme."""

    categories = CategoryChoiceField(
        label=_("Categories"),
        queryset=Category.objects.order_by("position", "name_th"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    image = forms.FileField(
        label=_("Image"),
        required=False,
        help_text=_("JPEG, PNG or WebP, at most 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    description_th = forms.CharField(
        label=_("description (Thai)"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )
    description_en = forms.CharField(
        label=_("description (English)"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )

    class Meta:
        model = Programme
        fields = [
            "title_th",
            "title_en",
            "summary_th",
            "summary_en",
            "description_th",
            "description_en",
            "prerequisites_th",
            "prerequisites_en",
            "categories",
            "age_min",
            "age_max",
            "language",
            "format",
            "fee",
            "fee_note_th",
            "fee_note_en",
        ]
        widgets = {
            "prerequisites_th": forms.Textarea(attrs={"rows": 3}),
            "prerequisites_en": forms.Textarea(attrs={"rows": 3}),
        }

    # Field pairs shown side by side (Thai | English) on wide screens.
    PAIRS = [
        ("title_th", "title_en"),
        ("summary_th", "summary_en"),
        ("description_th", "description_en"),
        ("prerequisites_th", "prerequisites_en"),
        ("fee_note_th", "fee_note_en"),
    ]

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        if upload:
            validate_image(upload)
        return upload or None

    def pairs(self):
        return [(self[th], self[en]) for th, en in self.PAIRS]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("image", None)
        data.pop("categories", None)
        return data


class CourseForm(forms.Form):
    venue = forms.ModelChoiceField(
        label=_("Venue"),
        queryset=Venue.objects.none(),
        required=False,
        help_text=_("Your venues and the city's shared venues. Leave empty for an online course."),
    )
    online_url = forms.URLField(label=_("Online link"), required=False, max_length=200, assume_scheme="https")
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput())
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=10000)
    enrolment_opens_at = forms.DateTimeField(label=_("Enrolment opens"), required=False, widget=DateTimeInput())
    enrolment_closes_at = forms.DateTimeField(label=_("Enrolment closes"), required=False, widget=DateTimeInput())
    cancellation_deadline = forms.DateTimeField(
        label=_("Cancellation deadline"), required=False, widget=DateTimeInput()
    )
    confirmation_mode = forms.ChoiceField(label=_("When a place frees up"), choices=Course.ConfirmationMode.choices)
    completion_min_attendance_pct = forms.IntegerField(
        label=_("Attendance needed for completion (%)"), min_value=0, max_value=100, initial=80
    )

    def __init__(self, *args, venues=None, **kwargs):
        super().__init__(*args, **kwargs)
        if venues is not None:
            self.fields["venue"].queryset = venues

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("A course cannot end before it starts."))
        opens, closes = data.get("enrolment_opens_at"), data.get("enrolment_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("enrolment_closes_at", _("Enrolment must close after it opens."))
        return data


class CourseEditForm(CourseForm):
    """A course after creation: everything but the capacity (changed on its own page, which
    offers freed places to the waiting list)."""

    offer_hold_hours = forms.IntegerField(label=_("Offer held for (hours)"), min_value=1, max_value=720)
    notes_th = forms.CharField(
        label=_("notes (Thai)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes_en = forms.CharField(
        label=_("notes (English)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["capacity"]

    @classmethod
    def initial_for(cls, course: Course) -> dict:
        fields = [
            "online_url",
            "starts_on",
            "ends_on",
            "enrolment_opens_at",
            "enrolment_closes_at",
            "cancellation_deadline",
            "confirmation_mode",
            "completion_min_attendance_pct",
            "offer_hold_hours",
            "notes_th",
            "notes_en",
        ]
        return {"venue": course.venue_id, **{field: getattr(course, field) for field in fields}}


class ReviewDecisionForm(forms.Form):
    APPROVE, RETURN = "approve", "return"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(APPROVE, _("Approve and publish")), (RETURN, _("Send back to the provider"))],
        error_messages={"invalid_choice": _("Choose approve or send back.")},
    )
    reason = forms.CharField(
        label=_("Reason (shown to the provider's staff)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.RETURN and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Tell the provider what to change."))
        return data


class CityReviewSettingForm(forms.Form):
    require_first_publication_review = forms.BooleanField(
        label=_("A city administrator approves each provider's first publication"),
        required=False,
        help_text=_(
            "A provider's first programme goes to a city administrator for approval before it "
            "appears in the catalogue; once one is approved, the provider publishes directly."
        ),
    )


class SessionForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=DateInput())
    start_time = forms.TimeField(label=_("Starts at"), widget=TimeInput())
    end_time = forms.TimeField(label=_("Ends at"), widget=TimeInput())
    venue = forms.ModelChoiceField(
        label=_("Venue"), queryset=Venue.objects.none(), required=False, help_text=_("Empty: the course's venue.")
    )

    def __init__(self, *args, venues=None, **kwargs):
        super().__init__(*args, **kwargs)
        if venues is not None:
            self.fields["venue"].queryset = venues

    def clean(self):
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("A session must end after it starts."))
        return data

    def interval(self) -> tuple[dt.datetime, dt.datetime]:
        from programmes.services import local_interval

        data = self.cleaned_data
        return local_interval(data["day"], data["start_time"], data["end_time"])

    @classmethod
    def initial_for(cls, session: Session) -> dict:
        start = timezone.localtime(session.starts_at)
        end = timezone.localtime(session.ends_at)
        return {"day": start.date(), "start_time": start.time(), "end_time": end.time(), "venue": session.venue_id}


_DATE_TOKEN = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_skip_dates(text: str) -> tuple[list[dt.date], list[str]]:
    """Dates written YYYY-MM-DD, separated by new lines, spaces or commas. A year above 2400
    is a Buddhist Era year (2570-01-05 is 2027-01-05). Returns (dates, unreadable tokens)."""
    dates, bad = [], []
    for token in re.split(r"[\s,;]+", text or ""):
        if not token:
            continue
        match = _DATE_TOKEN.match(token)
        if not match:
            bad.append(token)
            continue
        year, month, day = (int(part) for part in match.groups())
        if year > 2400:
            year -= BE_OFFSET
        try:
            dates.append(dt.date(year, month, day))
        except ValueError:
            bad.append(token)
    return dates, bad


class WeeklyPatternForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    start_time = forms.TimeField(label=_("Starts at"), widget=TimeInput())
    end_time = forms.TimeField(label=_("Ends at"), widget=TimeInput())
    date_from = forms.DateField(label=_("From"), widget=DateInput())
    date_to = forms.DateField(label=_("To"), widget=DateInput())
    skip = forms.CharField(
        label=_("Dates to skip"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One date a line, YYYY-MM-DD (a Buddhist Era year such as 2570-01-05 works too)."),
    )

    def clean_skip(self):
        dates, bad = parse_skip_dates(self.cleaned_data.get("skip", ""))
        if bad:
            raise forms.ValidationError(
                _("Not a date (write YYYY-MM-DD): %(values)s"), params={"values": ", ".join(bad[:5])}
            )
        return dates

    def clean(self):
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("A session must end after it starts."))
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to:
            if date_to < date_from:
                self.add_error("date_to", _("The last date must not be before the first."))
            elif (date_to - date_from).days > 366:
                self.add_error("date_to", _("A pattern can cover at most one year."))
        return data

    def pattern(self) -> dict:
        data = self.cleaned_data
        return {
            "weekdays": data["weekdays"],
            "start_time": data["start_time"],
            "end_time": data["end_time"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "skip": data["skip"],
        }


class DuplicateCourseForm(forms.Form):
    weeks = forms.IntegerField(
        label=_("Weeks later"), min_value=1, max_value=260, help_text=_("Dates and sessions move by this many weeks.")
    )


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=ProviderMembership.Role.choices)

    def clean_email(self):
        email = self.cleaned_data["email"]
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No account uses this e-mail address. Ask the person to sign up first."))
        self.user = user
        return email


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ProviderMembership.Role.choices)


class VenueForm(forms.Form):
    name_th = forms.CharField(label=_("name (Thai)"), max_length=200)
    name_en = forms.CharField(label=_("name (English)"), max_length=200, required=False)
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.none(), required=False)
    address_th = forms.CharField(label=_("address (Thai)"), max_length=300, required=False)
    address_en = forms.CharField(label=_("address (English)"), max_length=300, required=False)
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, max_digits=9, decimal_places=6, min_value=-90, max_value=90
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )
    accessibility = forms.MultipleChoiceField(
        label=_("Accessibility features"),
        choices=Venue.Accessibility.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, city=None, **kwargs):
        super().__init__(*args, **kwargs)
        if city is not None:
            self.fields["district"].queryset = District.objects.filter(city=city).order_by("code")

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        return data


AUDITED_MODELS = ["programme", "course", "session", "provider", "providermembership", "venue"]


class AuditFilterForm(forms.Form):
    object_type = forms.TypedChoiceField(label=_("Object type"), required=False, coerce=int, empty_value=None)
    user = forms.EmailField(label=_("User's e-mail address"), required=False, max_length=254)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = ContentType.objects.filter(app_label="programmes", model__in=AUDITED_MODELS).order_by("model")
        self.fields["object_type"].choices = [("", _("All"))] + [
            (ct.pk, str(ct.model_class()._meta.verbose_name).capitalize()) for ct in types if ct.model_class()
        ]


# --- City administration: providers, districts, population --------------------------------

POPULATION_MAX_BYTES = 5 * 1024 * 1024
BOUNDARY_MAX_BYTES = 20 * 1024 * 1024


class ProviderForm(forms.Form):
    """A provider's profile, edited by a city administrator. On create, also the city and an
    optional first manager (an existing account, by e-mail)."""

    name_th = forms.CharField(label=_("name (Thai)"), max_length=200)
    name_en = forms.CharField(label=_("name (English)"), max_length=200, required=False)
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=80,
        required=False,
        help_text=_(
            "The provider's part of web addresses: lower-case letters a-z, digits and hyphens. "
            "Leave empty to make one from the name. Changing it changes the provider's addresses."
        ),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Provider.Kind.choices)
    description_th = forms.CharField(
        label=_("description (Thai)"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    description_en = forms.CharField(
        label=_("description (English)"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=150, required=False)
    website = forms.URLField(label=_("Website"), max_length=200, required=False, assume_scheme="https")
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail address"), max_length=254, required=False)
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("An inactive provider's programmes leave the catalogue and its staff lose the workspace."),
    )

    def __init__(self, *args, cities=None, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = creating
        if creating:
            self.fields["city"] = forms.ModelChoiceField(
                label=_("City"), queryset=cities if cities is not None else City.objects.none(), empty_label=None
            )
            self.fields["manager_email"] = forms.EmailField(
                label=_("First manager's e-mail address"),
                max_length=254,
                required=False,
                help_text=_("Optional: an existing account becomes the provider's manager."),
            )
            self.order_fields(["city"])
        else:
            self.fields["slug"].required = True
            self.fields["slug"].help_text = _(
                "The provider's part of web addresses: lower-case letters a-z, digits and hyphens. "
                "Changing it changes the provider's addresses."
            )

    def clean_slug(self):
        return self.cleaned_data["slug"].strip().lower()  # uniqueness and reserved slugs: the service

    def clean_manager_email(self):
        email = self.cleaned_data["manager_email"]
        self.manager = None
        if email:
            self.manager = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
            if self.manager is None:
                raise forms.ValidationError(_("No account uses this e-mail address. Ask the person to sign up first."))
        return email

    def service_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("city", "manager_email")}


class UploadSizeMixin:
    max_bytes: int
    too_large: str

    def clean_file(self):
        upload = self.cleaned_data["file"]  # an empty file: FileField's own "empty" error
        if upload.size > self.max_bytes:
            raise forms.ValidationError(self.too_large, code="too_large")
        return upload


class BoundaryUploadForm(UploadSizeMixin, forms.Form):
    max_bytes = BOUNDARY_MAX_BYTES
    too_large = _("The file is too large: at most 20 MB.")

    file = forms.FileField(
        label=_("Boundary file (GeoJSON)"),
        help_text=_(
            "A GeoJSON FeatureCollection in longitude/latitude (WGS 84), each feature with a code "
            "property (the DOPA code, e.g. 500101) and a Polygon or MultiPolygon. Features of other "
            "areas are ignored. At most 20 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json,application/json"}),
    )


class DistrictLoadForm(forms.Form):
    district_code = forms.RegexField(
        label=_("District code (amphoe)"),
        regex=r"^\d{4}$",
        required=False,
        max_length=4,
        help_text=_("Four digits, e.g. 5001 for Mueang Chiang Mai: loads its subdistricts. Empty: the whole province."),
        error_messages={"invalid": _("Write the four-digit DOPA code of a district, e.g. 5001.")},
    )
    level = forms.ChoiceField(label=_("Level"), choices=District.Level.choices, initial=District.Level.SUBDISTRICT)


class PopulationUploadForm(UploadSizeMixin, forms.Form):
    max_bytes = POPULATION_MAX_BYTES
    too_large = _("The file is too large: at most 5 MB.")

    file = forms.FileField(
        label=_("Population file (CSV)"),
        help_text=_(
            "UTF-8 CSV with the columns district_code, year, sex, age_from, age_to, count (years C.E.). "
            "At most 5 MB. If any line is wrong, nothing is changed."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    year = forms.IntegerField(
        label=_("Year (C.E.)"),
        required=False,
        min_value=1900,
        max_value=2200,
        help_text=_("Only if the file has no year column: every row is then of this year."),
    )
    replace = forms.BooleanField(
        label=_("Replace the figures of the years in the file"),
        required=False,
        help_text=_("Needed when the age ranges change, e.g. from five-year bands to single years."),
    )
