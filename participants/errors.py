"""Domain errors of the participants app, with translated, user-facing messages.

A view turns `EnrolmentRefused` into a message or a 4xx response (never a 500) and
`ParticipantError` into form errors (it is a ValidationError, with a dict by field)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class ParticipantError(ValidationError):
    """Personal data or consent input broke a rule. Messages are translated."""


class Reason(models.TextChoices):
    """Why an enrolment action was refused: a defined set, each with its own message."""

    NOT_ALLOWED = "not_allowed", _("You cannot act for this person.")
    PARTICIPANT_ANONYMISED = "participant_anonymised", _("This profile has been erased.")
    PRIVACY_CONSENT_MISSING = "privacy_consent_missing", _("Accept the privacy notice before enrolling.")
    GUARDIAN_CONSENT_MISSING = "guardian_consent_missing", _("A parent or guardian must consent first.")
    COURSE_NOT_PUBLISHED = "course_not_published", _("This course is not open to the public.")
    COURSE_CANCELLED = "course_cancelled", _("This course has been cancelled.")
    COURSE_ENDED = "course_ended", _("This course has already ended.")
    WINDOW_NOT_OPEN = "window_not_open", _("Enrolment has not opened yet.")
    WINDOW_CLOSED = "window_closed", _("Enrolment has closed.")
    TOO_YOUNG = "too_young", _("Too young for this course.")
    TOO_OLD = "too_old", _("Above the age range of this course.")
    ALREADY_ENROLLED = "already_enrolled", _("Already enrolled in this course.")
    ALREADY_WAITLISTED = "already_waitlisted", _("Already on the waiting list of this course.")
    ALREADY_OFFERED = "already_offered", _("A place in this course is already offered.")
    CANCELLATION_CLOSED = "cancellation_closed", _("The cancellation deadline has passed.")
    NOT_ACTIVE = "not_active", _("This enrolment is no longer active.")
    NO_OPEN_OFFER = "no_open_offer", _("There is no open offer to answer.")
    OFFER_EXPIRED = "offer_expired", _("The offer has expired.")
    CAPACITY_TOO_LOW = "capacity_too_low", _("The capacity cannot be lower than the places already taken.")
    COURSE_CHANGED = "course_changed", _("This course has just been changed.")


class EnrolmentRefused(Exception):
    """An enrolment action was refused. `reason` is a Reason code (stable, for code and
    tests); `message` is the translated sentence to show, with the details filled in."""

    def __init__(self, reason: Reason | str, message: str | None = None):
        self.reason = Reason(reason)
        self.message = str(message) if message is not None else str(self.reason.label)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message
