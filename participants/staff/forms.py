"""Input of the running-a-course screens. Forms parse and validate; services write (and
check the rules again, so a form is never the only guard)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from participants.models import LANGUAGE_CHOICES, Attendance, Participant
from participants.services import ATTENDANCE_NOTE_MAX, OVERRIDE_REASON_MAX

OUTSIDE_CITY = "outside"
CAPACITY_MAX = 10000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _too_long(limit: int) -> dict:
    return {"max_length": _("Use at most %(limit_value)d characters.")}


class AttendanceForm(forms.Form):
    """One tap on the register: the desired state (never "toggle"), so a repeated request
    after a lost connection changes nothing."""

    participant = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label=_("Attendance"),
        choices=Attendance.Status.choices,
        error_messages={"invalid_choice": _("Choose present or absent.")},
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=ATTENDANCE_NOTE_MAX,
        error_messages=_too_long(ATTENDANCE_NOTE_MAX),
    )


class CompletionOverrideForm(forms.Form):
    RULE, COMPLETED, NOT_COMPLETED = "rule", "completed", "not_completed"

    enrolment = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Completion"),
        choices=[
            (RULE, _("Follow the attendance rule")),
            (COMPLETED, _("Completed (override)")),
            (NOT_COMPLETED, _("Not completed (override)")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=OVERRIDE_REASON_MAX, error_messages=_too_long(OVERRIDE_REASON_MAX)
    )

    def completed(self) -> bool | None:
        return {self.RULE: None, self.COMPLETED: True, self.NOT_COMPLETED: False}[self.cleaned_data["decision"]]


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=CAPACITY_MAX,
        error_messages={"invalid": _("Enter a whole number.")},
    )


class CancelCourseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, cancel this course and tell everyone enrolled"),
        error_messages={"required": _("Tick the box to confirm the cancellation.")},
    )


class ParticipantSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or phone"), required=False, max_length=100, error_messages=_too_long(100))
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("q") and not data.get("birth_date"):
            raise forms.ValidationError(_("Enter a name, a phone number or a birth date."))
        return data


class AssistedRegistrationForm(forms.Form):
    """A person without e-mail, registered by staff. The consent box records that the
    privacy notice was read to the person and that they agreed."""

    given_name = forms.CharField(label=_("Given name"), max_length=100, error_messages=_too_long(100))
    family_name = forms.CharField(label=_("Family name"), required=False, max_length=100, error_messages=_too_long(100))
    birth_date = forms.DateField(label=_("Birth date"), widget=DateInput())
    sex = forms.ChoiceField(label=_("Sex"), choices=Participant.Sex.choices, initial=Participant.Sex.PREFER_NOT)
    residence = forms.ChoiceField(label=_("Subdistrict of residence"))
    phone = forms.CharField(label=_("Phone"), required=False, max_length=20, error_messages=_too_long(20))
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGE_CHOICES, initial="th")
    consent = forms.BooleanField(
        label=_("I have read the privacy notice to this person and they consent"),
        required=False,
        help_text=_("For a person aged 20 or over."),
    )
    # A minor (under 20): only with a parent or guardian present (checked by the service).
    guardian_name = forms.CharField(
        label=_("Parent or guardian's name"), required=False, max_length=100, error_messages=_too_long(100)
    )
    guardian_phone = forms.CharField(
        label=_("Parent or guardian's phone"), required=False, max_length=20, error_messages=_too_long(20)
    )
    guardian_consent = forms.BooleanField(
        label=_("I have read the privacy notice to the parent or guardian, who consents on the minor's behalf"),
        required=False,
    )
    minor_agrees = forms.BooleanField(
        label=_("The young person (10 to 19 years old) was told about the privacy notice and agrees"),
        required=False,
    )
    course = forms.TypedChoiceField(label=_("Enrol in"), required=False, coerce=int, empty_value=None)

    PERSON_FIELDS = ["given_name", "family_name", "birth_date", "sex", "residence", "phone", "preferred_language"]
    GUARDIAN_FIELDS = ["guardian_name", "guardian_phone", "guardian_consent", "minor_agrees"]

    def __init__(self, *args, districts=(), courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.districts = {str(d.pk): d for d in districts}
        self.fields["residence"].choices = [
            ("", _("Choose…")),
            *[(key, d.name) for key, d in self.districts.items()],
            (OUTSIDE_CITY, _("Outside the city")),
        ]
        self.fields["course"].choices = [("", _("Do not enrol yet")), *[(c.pk, _course_label(c)) for c in courses]]

    def service_fields(self) -> dict:
        data = self.cleaned_data
        outside = data["residence"] == OUTSIDE_CITY
        return {
            "given_name": data["given_name"],
            "family_name": data["family_name"],
            "birth_date": data["birth_date"],
            "sex": data["sex"],
            "district": None if outside else self.districts[data["residence"]],
            "lives_outside_city": outside,
            "phone": data["phone"],
            "preferred_language": data["preferred_language"],
            "consent": data["consent"],
            "guardian_name": data["guardian_name"],
            "guardian_phone": data["guardian_phone"],
            "guardian_consent": data["guardian_consent"],
            "minor_agrees": data["minor_agrees"],
        }

    def person_fields(self):
        return [self[name] for name in self.PERSON_FIELDS]

    def guardian_fields(self):
        return [self[name] for name in self.GUARDIAN_FIELDS]


class EnrolForm(forms.Form):
    course = forms.TypedChoiceField(label=_("Course"), coerce=int)

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].choices = [("", _("Choose…")), *[(c.pk, _course_label(c)) for c in courses]]


def _course_label(course) -> str:
    from learningcity.dates import format_local

    return f"{course.programme.title} · {format_local(course.starts_on)} ({course.seats_taken}/{course.capacity})"
