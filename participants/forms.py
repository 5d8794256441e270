"""Input parsing of the resident's pages. Forms check types and lengths; the rules (ages,
consents, names without markup, phone format) live in participants.services, whose
ParticipantError is put back on the form by `add_service_errors`."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from participants.models import LANGUAGE_CHOICES, Participant
from participants.services import ACCESS_NEEDS_MAX, NAME_MAX

OUTSIDE_CITY = "outside"
MAX_ID_LENGTH = 12


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ParticipantError beside the matching fields (others at the top)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        target = key if key in form.fields else None
        if key == "district" and "residence" in form.fields:
            target = "residence"
        form.add_error(target, errors)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ProfileForm(forms.Form):
    """A learner profile (self or a dependant). `only` keeps just the named fields (the
    first-enrolment step asks only for what is missing). `districts` are the city's areas."""

    given_name = forms.CharField(label=_("Given name"), max_length=NAME_MAX)
    family_name = forms.CharField(label=_("Family name"), max_length=NAME_MAX, required=False)
    birth_date = forms.DateField(
        label=_("Birth date"),
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        help_text=_("Year in the Christian era (C.E.), for example 1985."),
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=Participant.Sex.choices,
        initial=Participant.Sex.PREFER_NOT,
        widget=forms.RadioSelect,
        required=False,
    )
    residence = forms.ChoiceField(
        label=_("Where do you live?"),
        help_text=_("Your subdistrict helps the city see which areas its courses reach."),
        error_messages={"invalid_choice": _("Choose your subdistrict, or “outside the city”.")},
    )
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGE_CHOICES, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )

    consent_fields: tuple[str, ...] = ()

    def __init__(self, *args, districts=(), only=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.districts = {str(d.pk): d for d in districts}
        self.fields["residence"].choices = [
            ("", _("Choose…")),
            *[(key, d.name) for key, d in self.districts.items()],
            (OUTSIDE_CITY, _("Outside the city")),
        ]
        self.fields["given_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["family_name"].widget.attrs["autocomplete"] = "family-name"
        if not self.is_bound and "preferred_language" not in self.initial:
            self.initial["preferred_language"] = (get_language() or "th")[:2]
        if only is not None:
            for name in list(self.fields):
                if name not in only:
                    del self.fields[name]

    @classmethod
    def initial_for(cls, participant: Participant) -> dict:
        residence = OUTSIDE_CITY if participant.lives_outside_city else participant.district_id or ""
        return {
            "given_name": participant.given_name,
            "family_name": participant.family_name,
            "birth_date": participant.birth_date,
            "sex": participant.sex,
            "residence": str(residence),
            "preferred_language": participant.preferred_language,
            "phone": participant.phone,
        }

    def clean_residence(self):
        value = self.cleaned_data.get("residence") or ""
        if value != OUTSIDE_CITY and value not in self.districts:
            raise ValidationError(_("Choose your subdistrict, or “outside the city”."), code="invalid_choice")
        return value

    def service_fields(self) -> dict:
        """The cleaned values as the participants services take them."""
        data = self.cleaned_data
        out = {}
        for name in ("given_name", "family_name", "birth_date", "phone"):
            if name in self.fields:
                out[name] = data.get(name)
        if "sex" in self.fields:
            out["sex"] = data.get("sex") or Participant.Sex.PREFER_NOT
        if "preferred_language" in self.fields:
            out["preferred_language"] = data.get("preferred_language") or (get_language() or "th")[:2]
        if "residence" in self.fields:
            residence = data.get("residence")
            out["lives_outside_city"] = residence == OUTSIDE_CITY
            out["district"] = None if residence == OUTSIDE_CITY else self.districts.get(residence)
        for name in self.consent_fields:
            if name in self.fields:
                out[name] = bool(data.get(name))
        return out


class SelfProfileForm(ProfileForm):
    """The account holder's own profile; when created, with the privacy-notice consent."""

    privacy_consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree to the processing it describes."),
        required=False,
    )
    consent_fields = ("privacy_consent",)


class DependantForm(ProfileForm):
    """A dependant (a child, an elderly parent), with the consents the person's age needs."""

    guardian_consent = forms.BooleanField(
        label=_("As parent or guardian, I consent to the processing described in the privacy notice."),
        help_text=_("Required for a person under 20."),
        required=False,
    )
    dependant_agrees = forms.BooleanField(
        label=_("This person has read the privacy notice (or had it explained) and agrees."),
        help_text=_("Required from the age of 10. For a child under 10, only the guardian consents."),
        required=False,
    )
    consent_fields = ("guardian_consent", "dependant_agrees")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "residence" in self.fields:
            self.fields["residence"].label = _("Where does this person live?")


class SensitiveDataForm(forms.Form):
    """Disability and access needs: optional, kept only with a separate, explicit consent."""

    consent = forms.BooleanField(
        label=_(
            "I consent to the portal keeping this disability and access information to arrange support "
            "and for anonymous equity statistics. I can withdraw at any time, which deletes it."
        ),
        required=False,
    )
    has_disability = forms.TypedChoiceField(
        label=_("Disability"),
        choices=[("", _("Prefer not to say")), ("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: {"yes": True, "no": False}.get(value),
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    access_needs = forms.CharField(
        label=_("Access needs"),
        help_text=_("For example: step-free access, sign language, large print."),
        max_length=ACCESS_NEEDS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, consent_active: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if consent_active:
            del self.fields["consent"]


class EnrolForm(forms.Form):
    """Who to enrol: one of the account's people (checked again by the selector)."""

    participant = forms.CharField(max_length=MAX_ID_LENGTH)


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my account and my dependants' profiles will be erased and cannot be restored."),
        error_messages={"required": _("Tick the box to confirm.")},
    )
