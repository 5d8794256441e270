"""Writes of the participants app: one keyword-only function per action.

Locking protocol (every service that changes places follows it, so no overbooking and no
deadlock): inside one transaction, lock the COURSE row first (`select_for_update`), then the
enrolment rows it touches (`of=("self",)`), re-check what the unlocked pre-checks saw, write the
rows, move Course.seats_taken / waitlist_count with F() updates, and create notifications in the
same transaction (they are the e-mail outbox). `seats_taken` counts confirmed + offered
enrolments; `waitlist_count` counts waitlisted ones, whose positions are 1..waitlist_count without
gaps. A new waiting-list position is `waitlist_count + 1` read under the lock, so the line is
ordered by the moment each request took the lock, i.e. by commit order (first come, first served).
The CheckConstraint seats_taken <= capacity and the unique constraints are the backstop.

The lock is held for as little work as possible; `enrolment_create` (the rush path) shows the
shape. Before the lock: every check that needs a read (who acts, consents, the course and its
programme, age, an existing enrolment; a caller that has already read the consents and the
person's enrolments in this request passes them as EnrolmentReads), and the messages of the
outcomes still possible are rendered (rendering is the costly part of a message): "confirmed" and
"waitlisted" while the course had a free place at that read, else only "waitlisted", with the
position left as a marker. Then ONE statement, in autocommit its own transaction
(`_enrol_locked`): SELECT ... FOR UPDATE of the course row (and the new enrolment's id from its
sequence); only while the locked row's state (status, end, enrolment window) is what the checks
before it saw, and the message of the outcome is drafted: INSERT the enrolment (a free seat ->
confirmed, else waitlisted at waitlist_count + 1), UPDATE the counters, INSERT the message with
its position and link filled in. The lock is held while PostgreSQL runs that one statement,
never across a round trip to the web worker (under a rush, every other enrolment in the course
waits for it; there is no BEGIN or COMMIT round trip either). When it writes nothing, the
locked row is checked again in Python (staff cancelled or closed the course: refused), or the
missing "confirmed" message is rendered (a place freed up: rare), and the statement is sent
again. The e-mail is queued after the commit. A duplicate that slipped past the unlocked check
(the same person twice at the same moment) is stopped by the partial unique constraint
`enrolment_one_active_per_course`: the statement fails as a whole and the attempt is refused
with the message the check would have given (read afterwards), so no duplicate read is
repeated under the
lock. The other services keep their re-reads under the lock (they are not on a rush path).

Refusals raise EnrolmentRefused(reason, translated message); personal-data input errors raise
ParticipantError (a ValidationError by field); acting for someone else's participant raises
PermissionDenied. Reasons are checked in a fixed order (see `enrolment_check`).

Erasure (`account_erase`): active enrolments in courses still running are cancelled and their
places released to the waiting list; participants are anonymised in place (names, phone,
access needs, account link removed; birth date reduced to its year, stored as 1 July; sex,
district and language kept), so enrolment and attendance rows remain as anonymous counts and
reports stay correct; consents are marked withdrawn (kept as evidence, no personal data);
then the user account is deleted (its notifications, e-mail addresses and memberships with it)."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from learningcity.dates import format_local
from learningcity.db.rows import Columns
from participants.errors import EnrolmentRefused, ParticipantError, Reason
from participants.models import (
    ACTIVE_ENROLMENT_STATUSES,
    Consent,
    Enrolment,
    Notification,
    Participant,
    PrivacyNotice,
)
from participants.notifications import (
    POSITION_MARKER,
    dispatch_on_commit,
    notification_build,
    notification_drafts,
    notify,
)
from participants.selectors import privacy_notice_current, privacy_notice_first_ensure
from programmes import services as programme_services
from programmes.catalogue_cache import catalogue_changed
from programmes.models import Course, CourseChange, Programme, ProviderMembership

S = Enrolment.Status
R = Enrolment.CancelledReason
K = Notification.Kind

ADULT_AGE = 20  # PDPA: under 20 is a minor
GUARDIAN_ONLY_AGE = 10  # under 10, only the guardian consents
MAX_AGE = 120
MAX_DEPENDANTS = 20
NAME_MAX = 100
ACCESS_NEEDS_MAX = 2000
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")


# --- Input cleaning -----------------------------------------------------------------------


def _clean_text(value, *, multiline: bool = False) -> str:
    """NFC; control and format characters (NUL, zero-width, bidi overrides) removed;
    whitespace collapsed (line breaks kept when multiline)."""
    value = unicodedata.normalize("NFC", str(value or ""))
    keep = {"\n"} if multiline else set()
    value = "".join(
        ch if (ch in keep or unicodedata.category(ch)[0] != "C") else (" " if ch in "\t\r" else "") for ch in value
    )
    if multiline:
        return "\n".join(" ".join(line.split()) for line in value.split("\n")).strip()
    return " ".join(value.split())


def _name(value, field: str, errors: dict, *, required: bool = True) -> str:
    value = _clean_text(value)
    if not value:
        if required:
            errors[field] = [_("This field is required.")]
    elif len(value) > NAME_MAX:
        errors[field] = [_("Use at most %(max)s characters.") % {"max": NAME_MAX}]
    elif "<" in value or ">" in value:
        errors[field] = [_("A name cannot contain < or >.")]
    return value


def _birth_date(value, year_only: bool, field: str, errors: dict, today: dt.date) -> dt.date | None:
    if year_only:
        try:
            year = value if isinstance(value, int) else value.year
            value = dt.date(int(year), 7, 1)  # a birth year alone is taken as 1 July
        except (AttributeError, TypeError, ValueError):
            errors[field] = [_("Enter a valid year of birth.")]
            return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        errors[field] = [_("Enter a valid birth date.")]
        return None
    if value > today:
        errors[field] = [_("The birth date cannot be in the future.")]
        return None
    if today.year - value.year > MAX_AGE:
        errors[field] = [_("Please check the birth date.")]
        return None
    return value


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _profile_fields(fields: dict, errors: dict, today: dt.date, *, partial: bool) -> dict:
    """Validate and clean the profile fields given (all of them unless partial)."""
    out: dict = {}
    for key in ("given_name", "family_name"):
        if key in fields or not partial:
            out[key] = _name(fields.get(key), key, errors, required=key == "given_name")
    if "birth_date" in fields or not partial:
        year_only = bool(fields.get("birth_date_is_year_only", False))
        out["birth_date"] = _birth_date(fields.get("birth_date"), year_only, "birth_date", errors, today)
        out["birth_date_is_year_only"] = year_only
    if "sex" in fields or not partial:
        sex = fields.get("sex") or Participant.Sex.PREFER_NOT
        if sex not in Participant.Sex.values:
            errors["sex"] = [_("Choose one of the options.")]
        out["sex"] = sex
    if "preferred_language" in fields or not partial:
        language = fields.get("preferred_language") or "th"
        if language not in ("th", "en"):
            errors["preferred_language"] = [_("Choose Thai or English.")]
        out["preferred_language"] = language
    if "phone" in fields or not partial:
        phone = _clean_text(fields.get("phone"))
        if phone and not PHONE_RE.match(phone):
            errors["phone"] = [_("Enter a phone number with digits only, for example 081 234 5678.")]
        out["phone"] = phone
    if {"district", "lives_outside_city"} & set(fields) or not partial:
        district = fields.get("district")
        outside = bool(fields.get("lives_outside_city", False))
        if outside:
            district = None
        elif district is None:
            errors["district"] = [_("Choose your district, or “outside the city”.")]
        out["district"] = district
        out["lives_outside_city"] = outside
    return out


def _sensitive_fields(fields: dict, errors: dict) -> dict:
    out: dict = {}
    if "access_needs" in fields:
        needs = _clean_text(fields.get("access_needs"), multiline=True)
        if len(needs) > ACCESS_NEEDS_MAX:
            errors["access_needs"] = [_("Use at most %(max)s characters.") % {"max": ACCESS_NEEDS_MAX}]
        out["access_needs"] = needs
    if "has_disability" in fields:
        value = fields.get("has_disability")
        if value not in (None, True, False):
            errors["has_disability"] = [_("Choose one of the options.")]
        out["has_disability"] = value
    return out


def _has_sensitive(values: dict) -> bool:
    return bool(values.get("access_needs")) or values.get("has_disability") is not None


def _raise(errors: dict) -> None:
    if errors:
        raise ParticipantError(errors)


def _notice(now: dt.datetime) -> PrivacyNotice:
    # Migration 0002 publishes version 1; a flushed (test) database gets it back.
    return privacy_notice_current(now=now) or privacy_notice_first_ensure()


def _consent_add(
    *, participant: Participant, purpose: str, notice: PrivacyNotice, actor, now: dt.datetime, method: str, **extra
) -> Consent:
    return Consent.objects.create(
        participant=participant,
        purpose=purpose,
        notice=notice,
        given_by=actor,
        on_behalf=not participant.is_self,
        method=method,
        given_at=now,
        **extra,
    )


def _check_manages(actor, participant: Participant) -> None:
    if actor is None or participant.account_id is None or participant.account_id != actor.pk:
        raise PermissionDenied


# --- Participants and consents ------------------------------------------------------------


@transaction.atomic
def participant_create_self(
    *,
    user,
    privacy_consent: bool,
    sensitive_data_consent: bool = False,
    method: str = Consent.Method.ONLINE,
    now: dt.datetime | None = None,
    **fields,
) -> Participant:
    """The account holder's own learner profile, with the privacy-notice consent (required)
    and, only when asked for separately, the sensitive-data consent. Fields: given_name,
    family_name, birth_date, birth_date_is_year_only, sex, district, lives_outside_city,
    preferred_language, phone, has_disability, access_needs (the last two need
    sensitive_data_consent). Under 20, a guardian registers the person as a dependant."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    errors: dict = {}
    profile = _profile_fields(fields, errors, today, partial=False)
    sensitive = _sensitive_fields(fields, errors)
    if not privacy_consent:
        errors["privacy_consent"] = [_("Please read and accept the privacy notice.")]
    if _has_sensitive(sensitive) and not sensitive_data_consent:
        errors["access_needs"] = [_("Disability and access needs are kept only with your separate consent.")]
    if profile.get("birth_date") and _age(profile["birth_date"], today) < ADULT_AGE:
        errors["birth_date"] = [
            _("People under 20 are registered by a parent or guardian, as a dependant on their account.")
        ]
    if Participant.objects.filter(account=user, is_self=True).exists():
        errors.setdefault("__all__", []).append(_("You already have a learner profile."))
    _raise(errors)
    notice = _notice(now)
    participant = Participant.objects.create(account=user, is_self=True, **profile, **sensitive)
    _consent_add(
        participant=participant,
        purpose=Consent.Purpose.PRIVACY_NOTICE,
        notice=notice,
        actor=user,
        now=now,
        method=method,
    )
    if sensitive_data_consent:
        _consent_add(
            participant=participant,
            purpose=Consent.Purpose.SENSITIVE_DATA,
            notice=notice,
            actor=user,
            now=now,
            method=method,
        )
    return participant


@transaction.atomic
def dependant_create(
    *,
    account,
    guardian_consent: bool = False,
    dependant_agrees: bool = False,
    sensitive_data_consent: bool = False,
    method: str = Consent.Method.ONLINE,
    now: dt.datetime | None = None,
    **fields,
) -> Participant:
    """A dependant managed by `account` (a child, an elderly parent). Consent rules (PDPA):
    under 10, the guardian consents (`guardian_consent`), the child is not asked; from 10 to
    19, the guardian consents AND the young person agrees (`dependant_agrees`); from 20, the
    person agrees and the account holder records it on their behalf. The privacy-notice
    consent is recorded for the dependant (on_behalf=True), plus a guardian consent for a
    minor. Same fields as participant_create_self."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    errors: dict = {}
    profile = _profile_fields(fields, errors, today, partial=False)
    sensitive = _sensitive_fields(fields, errors)
    birth = profile.get("birth_date")
    age = _age(birth, today) if birth else None
    if age is not None:
        if age < ADULT_AGE and not guardian_consent:
            errors["guardian_consent"] = [_("As parent or guardian, you must consent for a person under 20.")]
        if age >= GUARDIAN_ONLY_AGE and not dependant_agrees:
            errors["dependant_agrees"] = [
                _("Confirm that %(name)s has read the privacy notice and agrees.")
                % {"name": profile.get("given_name") or _("this person")}
            ]
    if _has_sensitive(sensitive) and not sensitive_data_consent:
        errors["access_needs"] = [_("Disability and access needs are kept only with a separate consent.")]
    if Participant.objects.filter(account=account, is_self=False, anonymised_at__isnull=True).count() >= MAX_DEPENDANTS:
        errors.setdefault("__all__", []).append(
            _("An account can manage up to %(max)s dependants.") % {"max": MAX_DEPENDANTS}
        )
    _raise(errors)
    notice = _notice(now)
    participant = Participant.objects.create(account=account, is_self=False, **profile, **sensitive)
    subject_agreed = age >= GUARDIAN_ONLY_AGE
    common = {"participant": participant, "notice": notice, "actor": account, "now": now, "method": method}
    _consent_add(purpose=Consent.Purpose.PRIVACY_NOTICE, subject_agreed=subject_agreed, **common)
    if age < ADULT_AGE:
        _consent_add(purpose=Consent.Purpose.GUARDIAN, subject_agreed=subject_agreed, **common)
    if sensitive_data_consent:
        _consent_add(purpose=Consent.Purpose.SENSITIVE_DATA, subject_agreed=subject_agreed, **common)
    return participant


PARTICIPANT_UPDATABLE = {
    "given_name",
    "family_name",
    "birth_date",
    "birth_date_is_year_only",
    "sex",
    "district",
    "lives_outside_city",
    "preferred_language",
    "phone",
    "has_disability",
    "access_needs",
}


@transaction.atomic
def participant_update(*, participant: Participant, actor, now: dt.datetime | None = None, **fields) -> Participant:
    """Correct a profile (PDPA right of rectification). Disability and access needs can be
    changed only while the sensitive-data consent is active."""
    unknown = set(fields) - PARTICIPANT_UPDATABLE
    if unknown:
        raise TypeError(f"participant_update() got unexpected fields: {sorted(unknown)}")
    _check_manages(actor, participant)
    now = now or timezone.now()
    today = timezone.localdate(now)
    if "birth_date_is_year_only" in fields and "birth_date" not in fields:
        fields["birth_date"] = participant.birth_date
    if "lives_outside_city" in fields and "district" not in fields:
        fields["district"] = participant.district
    if "district" in fields and "lives_outside_city" not in fields:
        fields["lives_outside_city"] = False
    errors: dict = {}
    profile = _profile_fields(fields, errors, today, partial=True)
    sensitive = _sensitive_fields(fields, errors)
    if (
        _has_sensitive(sensitive)
        and not participant.consents.filter(purpose=Consent.Purpose.SENSITIVE_DATA, withdrawn_at__isnull=True).exists()
    ):
        errors["access_needs"] = [_("Disability and access needs are kept only with a separate consent.")]
    birth = profile.get("birth_date")
    if birth and participant.is_self and _age(birth, today) < ADULT_AGE:
        errors["birth_date"] = [
            _("People under 20 are registered by a parent or guardian, as a dependant on their account.")
        ]
    _raise(errors)
    changed = {**profile, **sensitive}
    for key, value in changed.items():
        setattr(participant, key, value)
    participant.save(update_fields=[*changed, "updated_at"])
    return participant


@transaction.atomic
def consent_give(
    *,
    participant: Participant,
    purpose: str,
    actor,
    method: str = Consent.Method.ONLINE,
    now: dt.datetime | None = None,
) -> Consent:
    """Give a consent (the current notice version). Giving an active consent again changes
    nothing and returns it."""
    _check_manages(actor, participant)
    if purpose not in Consent.Purpose.values:
        raise ParticipantError({"purpose": [_("Unknown purpose.")]})
    now = now or timezone.now()
    if purpose == Consent.Purpose.GUARDIAN and (
        participant.is_self or participant.age_on(timezone.localdate(now)) >= ADULT_AGE
    ):
        raise ParticipantError({"purpose": [_("A guardian consents only for a dependant under 20.")]})
    Participant.objects.select_for_update().filter(pk=participant.pk).first()  # one consent at a time
    active = participant.consents.filter(purpose=purpose, withdrawn_at__isnull=True).first()
    if active:
        return active
    subject_agreed = participant.is_self or participant.age_on(timezone.localdate(now)) >= GUARDIAN_ONLY_AGE
    return _consent_add(
        participant=participant,
        purpose=purpose,
        notice=_notice(now),
        actor=actor,
        now=now,
        method=method,
        subject_agreed=subject_agreed,
    )


@transaction.atomic
def consent_withdraw(
    *, participant: Participant, purpose: str, actor, now: dt.datetime | None = None
) -> Consent | None:
    """Withdraw a consent, as easily as it was given. Withdrawing the sensitive-data consent
    deletes the disability and access-needs data at once. Existing enrolments stay; new ones
    need the privacy-notice (and, for a minor, the guardian) consent again. Returns the
    withdrawn record, or None when none was active."""
    _check_manages(actor, participant)
    now = now or timezone.now()
    consent = participant.consents.select_for_update().filter(purpose=purpose, withdrawn_at__isnull=True).first()
    if consent is None:
        return None
    consent.withdrawn_at = now
    consent.save(update_fields=["withdrawn_at"])
    if purpose == Consent.Purpose.SENSITIVE_DATA:
        participant.has_disability = None
        participant.access_needs = ""
        participant.save(update_fields=["has_disability", "access_needs", "updated_at"])
    return consent


# --- Enrolment: checks --------------------------------------------------------------------


def _may_act(actor, participant: Participant, course: Course) -> bool:
    """The participant's own account, staff of the course's provider, or a city admin."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if participant.account_id is not None and participant.account_id == actor.pk:
        return True
    if ProviderMembership.objects.filter(user=actor, provider_id=course.programme.provider_id).exists():
        return True
    return actor.is_city_admin


def _refuse_course_state(course: Course, now: dt.datetime) -> None:
    """Refusals that depend on the course row (checked again under its lock)."""
    today = timezone.localdate(now)
    if course.status == Course.Status.CANCELLED:
        raise EnrolmentRefused(Reason.COURSE_CANCELLED, _("This course has been cancelled."))
    if course.status == Course.Status.COMPLETED or course.ends_on < today:
        raise EnrolmentRefused(Reason.COURSE_ENDED, _("This course has already ended."))
    if course.enrolment_opens_at and now < course.enrolment_opens_at:
        raise EnrolmentRefused(
            Reason.WINDOW_NOT_OPEN,
            _("Enrolment opens on %(date)s.") % {"date": format_local(course.enrolment_opens_at, "datetime")},
        )
    if course.enrolment_closes_at and now >= course.enrolment_closes_at:
        raise EnrolmentRefused(
            Reason.WINDOW_CLOSED,
            _("Enrolment closed on %(date)s.") % {"date": format_local(course.enrolment_closes_at, "datetime")},
        )


def _refuse_duplicate(participant: Participant, course: Course, *, existing: list[Enrolment] | None = None) -> None:
    """Refuse when the participant already holds an active enrolment in the course. `existing`:
    their active enrolments in it, when the caller has read them (no query)."""
    if existing is None:
        found = (
            Enrolment.objects.filter(participant=participant, course=course, status__in=ACTIVE_ENROLMENT_STATUSES)
            .order_by("pk")
            .first()
        )
    else:
        mine = [
            e
            for e in existing
            if e.participant_id == participant.pk and e.course_id == course.pk and e.status in ACTIVE_ENROLMENT_STATUSES
        ]
        found = min(mine, key=lambda e: e.pk) if mine else None
    if found is None:
        return
    name = participant.full_name
    if found.status == S.CONFIRMED:
        raise EnrolmentRefused(
            Reason.ALREADY_ENROLLED, _("%(name)s is already enrolled in this course.") % {"name": name}
        )
    if found.status == S.OFFERED:
        raise EnrolmentRefused(
            Reason.ALREADY_OFFERED,
            _("A place in this course is offered to %(name)s: accept it by %(date)s.")
            % {"name": name, "date": format_local(found.offer_expires_at, "datetime")},
        )
    raise EnrolmentRefused(
        Reason.ALREADY_WAITLISTED,
        _("%(name)s is already on the waiting list of this course (number %(position)s in line).")
        % {"name": name, "position": found.waitlist_position},
    )


def _refuse_course(participant: Participant, course: Course, now: dt.datetime) -> None:
    """Refusals that depend on the course and its programme only (no query when
    course.programme is loaded). The course state part is checked again on the locked row."""
    name = participant.full_name
    programme = course.programme
    if programme.status != Programme.Status.PUBLISHED:
        raise EnrolmentRefused(Reason.COURSE_NOT_PUBLISHED, _("This course is not open for enrolment."))
    _refuse_course_state(course, now)
    age = participant.age_on(course.starts_on)
    if age < programme.age_min:
        raise EnrolmentRefused(
            Reason.TOO_YOUNG,
            _("%(name)s is too young for this course (from %(age)s years).") % {"name": name, "age": programme.age_min},
        )
    if programme.age_max is not None and age > programme.age_max:
        raise EnrolmentRefused(
            Reason.TOO_OLD,
            _("%(name)s is above the age range of this course (up to %(age)s years).")
            % {"name": name, "age": programme.age_max},
        )


def enrolment_check(
    *,
    participant: Participant,
    course: Course,
    actor,
    now: dt.datetime | None = None,
    consents: set[str] | None = None,
    existing: list[Enrolment] | None = None,
) -> None:
    """Raise EnrolmentRefused with the first reason that stops `participant` from enrolling in
    `course`, in this order: who acts, erased profile, consents, course published, cancelled,
    ended, window not open, window closed, too young, too old, already enrolled / offered /
    waitlisted. Pages call it to explain before the button; enrolment_create calls it too.
    `consents` (the participant's active consent purposes) and `existing` (their active
    enrolments, at least those in this course) save a query each when the caller has them."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    name = participant.full_name
    if not _may_act(actor, participant, course):
        raise EnrolmentRefused(Reason.NOT_ALLOWED, _("You cannot enrol this person."))
    if participant.anonymised_at is not None:
        raise EnrolmentRefused(Reason.PARTICIPANT_ANONYMISED, _("This profile has been erased."))
    if consents is None:
        consents = set(participant.consents.filter(withdrawn_at__isnull=True).values_list("purpose", flat=True))
    if Consent.Purpose.PRIVACY_NOTICE not in consents:
        raise EnrolmentRefused(
            Reason.PRIVACY_CONSENT_MISSING,
            _("%(name)s has not accepted the privacy notice; accept it before enrolling.") % {"name": name},
        )
    if not participant.is_self and participant.age_on(today) < ADULT_AGE and Consent.Purpose.GUARDIAN not in consents:
        raise EnrolmentRefused(
            Reason.GUARDIAN_CONSENT_MISSING,
            _("%(name)s is under 20: a parent or guardian must consent before enrolling.") % {"name": name},
        )
    _refuse_course(participant, course, now)
    _refuse_duplicate(participant, course, existing=existing)


# --- Enrolment: the locked operations ------------------------------------------------------


def _lock_course(course_id: int) -> Course:
    return Course.objects.select_for_update(of=("self",)).select_related("programme__provider").get(pk=course_id)


def _bump(course: Course, *, seats: int = 0, waitlist: int = 0) -> None:
    """Move the locked course's counters (F() update) and mirror them on the instance."""
    if not seats and not waitlist:
        return
    Course.objects.filter(pk=course.pk).update(
        seats_taken=F("seats_taken") + seats, waitlist_count=F("waitlist_count") + waitlist
    )
    catalogue_changed(at_once=False)  # the places left on the catalogue's cards, after the lock
    course.seats_taken += seats
    course.waitlist_count += waitlist


def _lock_enrolment(enrolment_id: int) -> Enrolment:
    return Enrolment.objects.select_for_update(of=("self",)).select_related("participant__account").get(pk=enrolment_id)


def _sync(target, source, fields) -> None:
    """Copy fresh values onto the caller's (possibly stale) instance."""
    if target is not None and target is not source:
        for field in fields:
            setattr(target, field, getattr(source, field))


ENROLMENT_FIELDS = [
    "status",
    "waitlist_position",
    "confirmed_at",
    "offered_at",
    "offer_expires_at",
    "cancelled_at",
    "cancelled_reason",
]


ONE_ACTIVE_PER_COURSE = "enrolment_one_active_per_course"
# How often enrolment_create tries its locked statement when the course keeps changing under it.
ENROL_ATTEMPTS = 4
# What the locked read of enrolment_create needs: the counters and what the state checks read.
LOCKED_COURSE_FIELDS = (
    "capacity",
    "seats_taken",
    "waitlist_count",
    "status",
    "starts_on",
    "ends_on",
    "enrolment_opens_at",
    "enrolment_closes_at",
)


@dataclass(frozen=True)
class EnrolmentReads:
    """What a caller read in this request before enrolling, handed to enrolment_create so it
    does not read it again: the participant's active consent purposes and the active
    enrolments of the account's people (at least the participant's in this course). With it,
    the `course` given (with its programme, provider and venue) must come from the same request."""

    consents: frozenset[str]
    active: tuple[Enrolment, ...]


def _violated_constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


@functools.cache
def _locked_course_columns() -> Columns:
    return Columns(Course, "c", LOCKED_COURSE_FIELDS)


# The course fields the state checks read (_refuse_course_state): while they are what the
# caller checked before the lock, its verdict holds on the locked row.
STATE_FIELDS = ("status", "ends_on", "enrolment_opens_at", "enrolment_closes_at")
ID_SENTINEL = 987_654_321_987_654  # stands for the enrolment's id in paths built before it is drawn


@functools.cache
def _insert_columns(model, with_pk: bool) -> tuple[list, str]:
    """The concrete fields (the primary key only `with_pk`) and their quoted column list."""
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    return fields, ", ".join(quote(f.column) for f in fields)


def _prepared(obj, field):
    """`field`'s value of the unsaved `obj` as Model.save() sends it (defaults, auto_now_add)."""
    return field.get_db_prep_save(field.pre_save(obj, True), connection)


@dataclass
class _Variants:
    """SQL for values that depend on the outcome decided under the lock: `go.free` (a seat
    is free: confirmed) or not (waitlisted, at position go.waitlist_count + 1)."""

    params: list

    def value(self, value) -> str:
        self.params.append(value)
        return "%s"

    def text(self, value) -> str:
        """A text that may hold the enrolment's id (ID_SENTINEL) or the position marker."""
        sql = self.value(value)
        if isinstance(value, str) and str(ID_SENTINEL) in value:
            sql = f"replace({sql}, {self.value(str(ID_SENTINEL))}, go.new_id::text)"
        if isinstance(value, str) and POSITION_MARKER in value:
            sql = f"replace({sql}, {self.value(POSITION_MARKER)}, (go.waitlist_count + 1)::text)"
        return sql

    def choose(self, confirmed, waitlisted) -> str:
        if confirmed == waitlisted:
            return self.text(confirmed)
        return f"CASE WHEN go.free THEN {self.text(confirmed)} ELSE {self.text(waitlisted)} END"


def _enrol_locked(
    *,
    participant: Participant,
    course_id: int,
    actor,
    now: dt.datetime,
    checked: Course,
    drafts: dict,
) -> tuple[Course, Enrolment | None, Notification | None]:
    """Lock the course row and, in the same statement, enrol: one round trip, in autocommit
    one transaction, the lock held only while PostgreSQL runs it (nobody waits for a round
    trip to the web worker while holding it). The statement writes only while the locked
    row's STATE_FIELDS are those of `checked` (so the caller's checks of them hold) and the
    message of the outcome is drafted (when there is someone to tell): then a free seat ->
    confirmed, else waitlisted at waitlist_count + 1; the counters move; the message is
    inserted. Returns the locked row as it was before the writes, and the enrolment and
    message written (None, None when nothing was). A new id is drawn either way."""
    v = _Variants(params=[])
    notify_someone = bool(drafts)
    may_confirm = not notify_someone or K.ENROLMENT_CONFIRMED in drafts
    may_wait = not notify_someone or K.WAITLISTED in drafts
    cols = _locked_course_columns()
    quote = connection.ops.quote_name
    guard = " AND ".join(
        f"l.{quote(Course._meta.get_field(name).column)} IS NOT DISTINCT FROM %s" for name in STATE_FIELDS
    )
    ctes = [
        "locked AS MATERIALIZED ("
        f"SELECT {cols.sql}, nextval(pg_get_serial_sequence(%s, %s)) AS new_id, "
        f"c.seats_taken < c.capacity AS free FROM {quote(Course._meta.db_table)} c WHERE c.id = %s FOR UPDATE)",
        f"go AS MATERIALIZED (SELECT l.* FROM locked l WHERE {guard} AND (l.free OR %s) AND (NOT l.free OR %s))",
    ]
    v.params += [Enrolment._meta.db_table, Enrolment._meta.pk.column, course_id]
    v.params += [getattr(checked, name) for name in STATE_FIELDS] + [may_wait, may_confirm]

    # The enrolment: every column as Model.save() would send it, the outcome's four from the lock.
    template = Enrolment(
        participant=participant,
        course_id=course_id,
        status=S.CONFIRMED,
        enrolled_by=actor,
        created_at=now,
        confirmed_at=now,
    )
    fields, columns = _insert_columns(Enrolment, True)
    values = []
    for f in fields:
        if f.primary_key:
            values.append("go.new_id")
        elif f.attname == "status":
            values.append(v.choose(S.CONFIRMED, S.WAITLISTED))
        elif f.attname == "waitlist_position":
            values.append("CASE WHEN go.free THEN NULL ELSE go.waitlist_count + 1 END")
        elif f.attname == "confirmed_at":
            values.append(f"CASE WHEN go.free THEN {v.value(_prepared(template, f))} END")
        else:
            values.append(v.value(_prepared(template, f)))
    ctes += [
        f"new_enrolment AS (INSERT INTO {quote(Enrolment._meta.db_table)} ({columns}) "
        f"SELECT {', '.join(values)} FROM go RETURNING id)",
        f"counters AS (UPDATE {quote(Course._meta.db_table)} c SET seats_taken = c.seats_taken + go.free::int, "
        "waitlist_count = c.waitlist_count + (NOT go.free)::int FROM go WHERE c.id = go.id)",
    ]
    note_id_sql = "NULL::bigint"

    # The message: the drafted text of each outcome, its position and link filled in by SQL.
    if notify_someone:
        stand_in = Enrolment(pk=ID_SENTINEL, participant=participant, course_id=course_id)
        built = {
            kind: notification_build(draft=drafts[kind], enrolment=stand_in, now=now)
            for kind in (K.ENROLMENT_CONFIRMED, K.WAITLISTED)
            if kind in drafts
        }
        confirmed = built.get(K.ENROLMENT_CONFIRMED) or built[K.WAITLISTED]
        waiting = built.get(K.WAITLISTED) or built[K.ENROLMENT_CONFIRMED]
        note_fields, note_columns = _insert_columns(Notification, False)
        note_values = []
        for f in note_fields:
            if f.attname == "enrolment_id":
                note_values.append("go.new_id")
            else:
                note_values.append(v.choose(_prepared(confirmed, f), _prepared(waiting, f)))
        ctes.append(
            f"new_note AS (INSERT INTO {quote(Notification._meta.db_table)} ({note_columns}) "
            f"SELECT {', '.join(note_values)} FROM go RETURNING id)"
        )
        note_id_sql = "(SELECT id FROM new_note)"
    sql = f"WITH {', '.join(ctes)} SELECT l.*, EXISTS (SELECT 1 FROM new_enrolment), {note_id_sql} FROM locked l"

    with connection.prepared_cursor() as cursor:
        cursor.execute(sql, v.params)
        row = cursor.fetchone()
    if row is None:  # deleted by staff since it was read
        raise EnrolmentRefused(Reason.COURSE_NOT_PUBLISHED, _("This course is not open for enrolment."))
    width = len(cols)
    locked = cols.build(row[:width])
    new_id, free, written, note_id = row[width:]
    if not written:
        return locked, None, None
    if free:
        status, position, kind = S.CONFIRMED, None, K.ENROLMENT_CONFIRMED
    else:
        status, position, kind = S.WAITLISTED, locked.waitlist_count + 1, K.WAITLISTED
    enrolment = Enrolment(
        pk=new_id,
        participant=participant,
        course=locked,
        status=status,
        waitlist_position=position,
        enrolled_by=actor,
        created_at=now,
        confirmed_at=now if free else None,
    )
    enrolment._state.adding, enrolment._state.db = False, connection.alias
    notification = None
    if notify_someone:
        notification = notification_build(draft=drafts[kind], enrolment=enrolment, now=now, position=position)
        notification.pk = note_id
        notification._state.adding, notification._state.db = False, connection.alias
    return locked, enrolment, notification


def enrolment_create(
    *,
    participant: Participant,
    course: Course,
    actor,
    now: dt.datetime | None = None,
    reads: EnrolmentReads | None = None,
) -> Enrolment:
    """Enrol `participant` in `course`: a free place -> confirmed, else waitlisted at the end
    of the line. The same request twice gives one enrolment: the second is refused with
    "already enrolled" (by the check before the lock, or by the unique constraint when both
    arrive at once).

    The course row is locked only for the writes (see the module docstring): the checks and
    the two possible messages come first, from a fresh read of the course (or, with `reads`,
    from what the caller read in this request), and the course state is checked again on the
    locked row."""
    now = now or timezone.now()
    if reads is None:
        course_now = Course.objects.select_related("programme__provider", "venue").get(pk=course.pk)
        consents, existing = None, None
    else:
        course_now, consents, existing = course, set(reads.consents), list(reads.active)
    own = participant.account_id is not None and participant.account_id == getattr(actor, "pk", None)
    if own and not Participant.account.is_cached(participant):
        participant.account = actor  # the message's recipient, without reading it again
    enrolment_check(
        participant=participant, course=course_now, actor=actor, now=now, consents=consents, existing=existing
    )
    # The messages of the outcomes still possible: both while the course had a free place at
    # this read, else (a rush, once the course is full) only the waiting-list one.
    likely = [K.WAITLISTED] if course_now.seats_taken >= course_now.capacity else [K.ENROLMENT_CONFIRMED, K.WAITLISTED]
    drafts = notification_drafts(kinds=likely, participant=participant, course=course_now, position_later=True)
    try:
        checked = course_now
        for _attempt in range(ENROL_ATTEMPTS):
            # In a caller's transaction (staff at the desk, with its audit entry), a savepoint:
            # a duplicate stopped by the constraint then leaves that transaction usable.
            with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
                locked, enrolment, notification = _enrol_locked(
                    participant=participant, course_id=course.pk, actor=actor, now=now, checked=checked, drafts=drafts
                )
            if enrolment is not None:
                break
            # Nothing written: staff changed the course since it was read (check it again on
            # the row as locked), or a place freed up whose message is not drafted yet.
            _refuse_course_state(locked, now)
            checked = locked
            kind = K.ENROLMENT_CONFIRMED if locked.seats_taken < locked.capacity else K.WAITLISTED
            if drafts and kind not in drafts:
                drafts = {**drafts, **notification_drafts(kinds=[kind], participant=participant, course=course_now)}
        else:
            raise EnrolmentRefused(Reason.COURSE_CHANGED, _("This course has just been changed. Please try again."))
    except IntegrityError as exc:
        if _violated_constraint(exc) != ONE_ACTIVE_PER_COURSE:
            raise
        _refuse_duplicate(participant, course)  # the enrolment that won, read after the rollback
        raise EnrolmentRefused(
            Reason.ALREADY_ENROLLED,
            _("%(name)s is already enrolled in this course.") % {"name": participant.full_name},
        ) from exc
    if enrolment.status == S.CONFIRMED:
        # The places left on the catalogue's cards (and its "with places" filter). A place on
        # the waiting list changes nothing the cached catalogue shows (the cards say "Full:
        # waiting list"; the programme page, not cached, shows how many wait): during a rush,
        # once the course is full, no request moves the generation.
        catalogue_changed(at_once=False)
    if notification is not None and notification.email_wanted:
        dispatch_on_commit()
    locked.seats_taken += int(enrolment.status == S.CONFIRMED)
    locked.waitlist_count += int(enrolment.status == S.WAITLISTED)
    _sync(course, locked, ["seats_taken", "waitlist_count"])
    return enrolment


def _participants_of(enrolments) -> dict[int, Participant]:
    """participant id -> Participant (with its account) for a batch of enrolments."""
    ids = {e.participant_id for e in enrolments}
    return {p.pk: p for p in Participant.objects.filter(pk__in=ids).select_related("account")}


def _cancel_locked(enrolment: Enrolment, course: Course, *, reason: str, now: dt.datetime) -> None:
    """Cancel an active enrolment of the locked course, closing the gap in the line or
    freeing its seat (the caller then releases places)."""
    status = enrolment.status
    if status == S.WAITLISTED:
        # Read the position again: renumbering earlier in this transaction may have moved it.
        position = Enrolment.objects.filter(pk=enrolment.pk).values_list("waitlist_position", flat=True).get()
        enrolment.status, enrolment.waitlist_position = S.CANCELLED, None
        enrolment.cancelled_at, enrolment.cancelled_reason = now, reason
        enrolment.save(update_fields=["status", "waitlist_position", "cancelled_at", "cancelled_reason"])
        Enrolment.objects.filter(course=course, status=S.WAITLISTED, waitlist_position__gt=position).update(
            waitlist_position=F("waitlist_position") - 1
        )
        _bump(course, waitlist=-1)
    elif status in (S.CONFIRMED, S.OFFERED):
        enrolment.status = S.CANCELLED
        enrolment.cancelled_at, enrolment.cancelled_reason = now, reason
        enrolment.save(update_fields=["status", "cancelled_at", "cancelled_reason"])
        _bump(course, seats=-1)
    else:
        raise EnrolmentRefused(Reason.NOT_ACTIVE, _("This enrolment is no longer active."))


def _course_accepts_releases(course: Course, now: dt.datetime) -> bool:
    return course.status == Course.Status.SCHEDULED and course.ends_on >= timezone.localdate(now)


def _release_places(course: Course, now: dt.datetime) -> list[Enrolment]:
    """Give the locked course's free places to the front of the waiting list: confirmed at
    once (automatic mode) or offered for `offer_hold_hours` (offer mode). An offer holds its
    seat, so a seat is never given twice."""
    free = course.capacity - course.seats_taken
    if free <= 0 or course.waitlist_count <= 0 or not _course_accepts_releases(course, now):
        return []
    front = list(
        Enrolment.objects.select_for_update(of=("self",))
        .filter(course=course, status=S.WAITLISTED)
        .order_by("waitlist_position")[:free]
    )
    if not front:
        return []
    automatic = course.confirmation_mode == Course.ConfirmationMode.AUTOMATIC
    for enrolment in front:
        enrolment.waitlist_position = None
        if automatic:
            enrolment.status, enrolment.confirmed_at = S.CONFIRMED, now
        else:
            enrolment.status, enrolment.offered_at = S.OFFERED, now
            enrolment.offer_expires_at = now + dt.timedelta(hours=course.offer_hold_hours)
        enrolment.save(update_fields=["status", "waitlist_position", "confirmed_at", "offered_at", "offer_expires_at"])
    taken = len(front)
    Enrolment.objects.filter(course=course, status=S.WAITLISTED).update(
        waitlist_position=F("waitlist_position") - taken
    )
    _bump(course, seats=taken, waitlist=-taken)
    participants = _participants_of(front)
    for enrolment in front:
        notify(
            kind=K.ENROLMENT_CONFIRMED if automatic else K.OFFER_MADE,
            participant=participants[enrolment.participant_id],
            course=course,
            enrolment=enrolment,
            now=now,
        )
    return front


def course_places_release(*, course_id: int, now: dt.datetime | None = None) -> list[Enrolment]:
    """Fill the course's free places from its waiting list (after a cancellation, an erasure,
    a raised capacity). Returns the enrolments confirmed or offered."""
    now = now or timezone.now()
    with transaction.atomic():
        return _release_places(_lock_course(course_id), now)


def _cancellation_deadline(course: Course) -> dt.datetime:
    """The course's own deadline, else the start of its first day (local time)."""
    if course.cancellation_deadline:
        return course.cancellation_deadline
    return dt.datetime.combine(course.starts_on, dt.time.min, tzinfo=timezone.get_current_timezone())


def _answer(enrolment: Enrolment, actor, *, now: dt.datetime, action) -> Enrolment:
    """Lock course then enrolment, check who acts, run `action(locked_enrolment, course)`."""
    with transaction.atomic():
        course = _lock_course(enrolment.course_id)
        locked = _lock_enrolment(enrolment.pk)
        if not _may_act(actor, locked.participant, course):
            raise EnrolmentRefused(Reason.NOT_ALLOWED, _("You cannot act for this person."))
        action(locked, course)
    _sync(enrolment, locked, ENROLMENT_FIELDS)
    return locked


def enrolment_cancel(*, enrolment: Enrolment, actor, now: dt.datetime | None = None) -> Enrolment:
    """The resident gives up: a confirmed place (until the course's cancellation deadline, or
    its first day when none is set), a place on the waiting list (any time), or an open
    offer (a decline). A freed seat goes to the waiting list at once."""
    now = now or timezone.now()

    def action(locked: Enrolment, course: Course) -> None:
        if locked.status == S.WAITLISTED:
            _cancel_locked(locked, course, reason=R.WAITLIST_LEFT, now=now)
        elif locked.status == S.OFFERED:
            _cancel_locked(locked, course, reason=R.OFFER_DECLINED, now=now)
        elif locked.status == S.CONFIRMED:
            deadline = _cancellation_deadline(course)
            if now >= deadline:
                raise EnrolmentRefused(
                    Reason.CANCELLATION_CLOSED,
                    _("Places could be cancelled online until %(date)s. Please contact %(provider)s.")
                    % {"date": format_local(deadline, "datetime"), "provider": course.programme.provider.name},
                )
            _cancel_locked(locked, course, reason=R.BY_RESIDENT, now=now)
        else:
            raise EnrolmentRefused(Reason.NOT_ACTIVE, _("This enrolment is no longer active."))
        notify(kind=K.ENROLMENT_CANCELLED, participant=locked.participant, course=course, enrolment=locked, now=now)
        _release_places(course, now)

    return _answer(enrolment, actor, now=now, action=action)


def waitlist_leave(*, enrolment: Enrolment, actor, now: dt.datetime | None = None) -> Enrolment:
    """Leave the waiting list; everyone behind moves up one place."""
    now = now or timezone.now()

    def action(locked: Enrolment, course: Course) -> None:
        if locked.status != S.WAITLISTED:
            raise EnrolmentRefused(Reason.NOT_ACTIVE, _("This person is not on the waiting list."))
        _cancel_locked(locked, course, reason=R.WAITLIST_LEFT, now=now)
        notify(kind=K.ENROLMENT_CANCELLED, participant=locked.participant, course=course, enrolment=locked, now=now)

    return _answer(enrolment, actor, now=now, action=action)


def offer_accept(*, enrolment: Enrolment, actor, now: dt.datetime | None = None) -> Enrolment:
    """Accept an offered place (one click). Accepting twice is harmless; after the deadline
    the offer cannot be accepted even if the expiry job has not run yet."""
    now = now or timezone.now()

    def action(locked: Enrolment, course: Course) -> None:
        if locked.status == S.CONFIRMED and locked.offered_at is not None:
            return  # a second click on the same link
        if locked.status != S.OFFERED:
            raise EnrolmentRefused(Reason.NO_OPEN_OFFER, _("There is no open offer to answer."))
        if now >= locked.offer_expires_at:
            raise EnrolmentRefused(
                Reason.OFFER_EXPIRED,
                _("The offer expired on %(date)s.") % {"date": format_local(locked.offer_expires_at, "datetime")},
            )
        locked.status, locked.confirmed_at = S.CONFIRMED, now
        locked.save(update_fields=["status", "confirmed_at"])
        notify(kind=K.ENROLMENT_CONFIRMED, participant=locked.participant, course=course, enrolment=locked, now=now)

    return _answer(enrolment, actor, now=now, action=action)


def offer_decline(*, enrolment: Enrolment, actor, now: dt.datetime | None = None) -> Enrolment:
    """Decline an offered place: it passes to the next person at once."""
    now = now or timezone.now()

    def action(locked: Enrolment, course: Course) -> None:
        if locked.status != S.OFFERED:
            raise EnrolmentRefused(Reason.NO_OPEN_OFFER, _("There is no open offer to answer."))
        _cancel_locked(locked, course, reason=R.OFFER_DECLINED, now=now)
        notify(kind=K.ENROLMENT_CANCELLED, participant=locked.participant, course=course, enrolment=locked, now=now)
        _release_places(course, now)

    return _answer(enrolment, actor, now=now, action=action)


def offers_expire(*, now: dt.datetime | None = None) -> int:
    """Expire the offers whose deadline has passed and pass each place to the next person
    (periodic job). One short transaction per course. Safe to run twice or concurrently:
    offers are re-read under the course lock. Returns the number expired."""
    now = now or timezone.now()
    course_ids = sorted(
        set(Enrolment.objects.filter(status=S.OFFERED, offer_expires_at__lte=now).values_list("course_id", flat=True))
    )
    expired_total = 0
    for course_id in course_ids:
        with transaction.atomic():
            course = _lock_course(course_id)
            expired = list(
                Enrolment.objects.select_for_update(of=("self",)).filter(
                    course=course, status=S.OFFERED, offer_expires_at__lte=now
                )
            )
            participants = _participants_of(expired)
            for enrolment in expired:
                _cancel_locked(enrolment, course, reason=R.OFFER_EXPIRED, now=now)
                notify(
                    kind=K.OFFER_EXPIRED,
                    participant=participants[enrolment.participant_id],
                    course=course,
                    enrolment=enrolment,
                    now=now,
                )
            _release_places(course, now)
            expired_total += len(expired)
    return expired_total


# --- Staff-side changes to a course (used by the provider workspace) -----------------------


def _check_course_staff(actor, course: Course) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    if actor.is_city_admin:
        return
    if not ProviderMembership.objects.filter(user=actor, provider_id=course.programme.provider_id).exists():
        raise PermissionDenied


def course_capacity_change(*, course: Course, capacity: int, actor, now: dt.datetime | None = None) -> Course:
    """Set the capacity. Raising it gives the new places to the waiting list (confirmed or
    offered per the course's mode); lowering it below the places taken is refused."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_course(course.pk)
        _check_course_staff(actor, locked)
        if not isinstance(capacity, int) or capacity < 1 or capacity < locked.seats_taken:
            raise EnrolmentRefused(
                Reason.CAPACITY_TOO_LOW,
                _("The capacity cannot be lower than the %(taken)s places already taken (and at least 1).")
                % {"taken": locked.seats_taken},
            )
        Course.objects.filter(pk=locked.pk).update(capacity=capacity, updated_at=now)
        catalogue_changed()
        locked.capacity = capacity
        _release_places(locked, now)
    _sync(course, locked, ["capacity", "seats_taken", "waitlist_count"])
    return locked


def course_cancel_with_enrolments(*, course: Course, actor, now: dt.datetime | None = None) -> Course:
    """Staff cancel a course: it is marked cancelled (programmes.services.course_cancel), every
    active enrolment is cancelled and each person (or guardian) is told."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_course(course.pk)
        _check_course_staff(actor, locked)
        active = list(
            Enrolment.objects.select_for_update(of=("self",))
            .filter(course=locked, status__in=ACTIVE_ENROLMENT_STATUSES)
            .order_by("pk")
        )
        Enrolment.objects.filter(pk__in=[e.pk for e in active]).update(
            status=S.CANCELLED, waitlist_position=None, cancelled_at=now, cancelled_reason=R.COURSE_CANCELLED
        )
        Course.objects.filter(pk=locked.pk).update(seats_taken=0, waitlist_count=0)
        catalogue_changed()
        locked.seats_taken = locked.waitlist_count = 0
        programme_services.course_cancel(course=locked, now=now)
        participants = _participants_of(active)
        for enrolment in active:
            enrolment.status = S.CANCELLED
            notify(
                kind=K.COURSE_CANCELLED,
                participant=participants[enrolment.participant_id],
                course=locked,
                enrolment=enrolment,
                now=now,
            )
    _sync(course, locked, ["status", "seats_taken", "waitlist_count"])
    return locked


@transaction.atomic
def course_change_notify(*, course: Course, change: str = "", now: dt.datetime | None = None) -> int:
    """Tell everyone with an active enrolment that staff changed the course (dates, venue,
    times). `change` is staff's short description, shown as written. Returns how many."""
    now = now or timezone.now()
    if isinstance(change, str):
        change = _clean_text(change, multiline=True)[:1000]
    enrolments = list(
        Enrolment.objects.filter(course=course, status__in=ACTIVE_ENROLMENT_STATUSES).select_related(
            "participant__account"
        )
    )
    for enrolment in enrolments:
        notify(
            kind=K.COURSE_CHANGED,
            participant=enrolment.participant,
            course=course,
            enrolment=enrolment,
            now=now,
            extra={"change": change},
        )
    return len(enrolments)


# --- Reminders and notifications ------------------------------------------------------------


def enrolment_reminders_send(*, now: dt.datetime | None = None) -> int:
    """The day before a course's first session, remind each confirmed participant once
    (stamped `reminder_sent_at`; rows being stamped by a concurrent run are skipped).
    Courses without sessions use their start date. Returns the number of reminders."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    tomorrow = timezone.localdate(now) + dt.timedelta(days=1)
    start = dt.datetime.combine(tomorrow, dt.time.min, tzinfo=tz)
    end = start + dt.timedelta(days=1)
    courses = Course.objects.filter(status=Course.Status.SCHEDULED, starts_on__lte=tomorrow).annotate(
        first=Min("sessions__starts_at", filter=Q(sessions__is_cancelled=False)),
    )
    course_ids = list(
        courses.filter(Q(first__gte=start, first__lt=end) | Q(first__isnull=True, starts_on=tomorrow)).values_list(
            "pk", flat=True
        )
    )
    sent = 0
    for course_id in course_ids:
        with transaction.atomic():
            due = list(
                Enrolment.objects.select_for_update(of=("self",), skip_locked=True).filter(
                    course_id=course_id, status=S.CONFIRMED, reminder_sent_at__isnull=True
                )
            )
            if not due:
                continue
            Enrolment.objects.filter(pk__in=[e.pk for e in due]).update(reminder_sent_at=now)
            course = Course.objects.select_related("programme__provider", "venue").get(pk=course_id)
            participants = _participants_of(due)
            for enrolment in due:
                notify(
                    kind=K.COURSE_REMINDER,
                    participant=participants[enrolment.participant_id],
                    course=course,
                    enrolment=enrolment,
                    now=now,
                )
            sent += len(due)
    return sent


def notifications_mark_read(*, user, ids=None, now: dt.datetime | None = None) -> int:
    """Mark the user's notifications read (all, or those ids). Others' ids are ignored."""
    now = now or timezone.now()
    queryset = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        clean = []
        for value in ids:
            try:
                clean.append(int(value))
            except (TypeError, ValueError):
                continue
        queryset = queryset.filter(pk__in=clean)
    return queryset.update(read_at=now)


# --- Erasure ----------------------------------------------------------------------------------


def account_erase(*, user, now: dt.datetime | None = None) -> dict[str, int]:
    """Erase an account (PDPA right to erasure): see the module docstring. Returns counts."""
    now = now or timezone.now()
    with transaction.atomic():
        participants = list(Participant.objects.select_for_update().filter(account=user).order_by("pk"))
        ids = [p.pk for p in participants]
        course_ids = sorted(
            set(
                Enrolment.objects.filter(participant_id__in=ids, status__in=ACTIVE_ENROLMENT_STATUSES).values_list(
                    "course_id", flat=True
                )
            )
        )
        released = 0
        for course_id in course_ids:  # locks in course id order, like every other multi-course path
            course = _lock_course(course_id)
            if course.status != Course.Status.SCHEDULED:
                continue
            for enrolment in Enrolment.objects.select_for_update(of=("self",)).filter(
                course=course, participant_id__in=ids, status__in=ACTIVE_ENROLMENT_STATUSES
            ):
                _cancel_locked(enrolment, course, reason=R.ACCOUNT_ERASED, now=now)
                released += 1
            _release_places(course, now)
        Consent.objects.filter(participant_id__in=ids, withdrawn_at__isnull=True).update(withdrawn_at=now)
        Consent.objects.filter(participant_id__in=ids).update(given_by=None)
        for participant in participants:
            participant.account = None
            participant.is_self = False
            participant.given_name = participant.family_name = participant.phone = participant.access_needs = ""
            participant.guardian_name = participant.guardian_phone = ""
            participant.has_disability = None
            participant.birth_date = dt.date(participant.birth_date.year, 7, 1)
            participant.birth_date_is_year_only = True
            participant.registered_by = None
            participant.anonymised_at = now
            participant.save()
        Notification.objects.filter(participant_id__in=ids).exclude(recipient=user).update(participant=None)
        user.delete()
    return {"participants": len(participants), "enrolments_released": released}


# --- Running a course: attendance, completion, assisted registration (provider workspace) ---

ATTENDANCE_NOTE_MAX = 300
OVERRIDE_REASON_MAX = 300
ROSTER_ATTENDING = ("confirmed", "completed")  # who is on the attendance register


def _audit(*, actor, action: str, obj=None, changes=None, provider_id: int | None = None, note: str = "") -> None:
    from learningcity.audit.services import audit_record

    audit_record(actor=actor, action=action, obj=obj, changes=changes, provider_id=provider_id, note=note)


def _check_provider_staff(actor, provider_id: int) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied
    if actor.is_city_admin:
        return
    if not ProviderMembership.objects.filter(user=actor, provider_id=provider_id, provider__is_active=True).exists():
        raise PermissionDenied


def _attendance_note(value, errors: dict) -> str:
    note = _clean_text(value)
    if len(note) > ATTENDANCE_NOTE_MAX:
        errors["note"] = [_("Use at most %(max)s characters.") % {"max": ATTENDANCE_NOTE_MAX}]
    return note


def attendance_mark(
    *,
    session,
    participant: Participant,
    status: str,
    actor,
    note: str | None = None,
    now: dt.datetime | None = None,
):
    """Record `participant` present or absent at `session` (the desired state, not a toggle).
    Idempotent: one row per (session, participant) (INSERT ... ON CONFLICT DO UPDATE), the
    last write wins, and repeating the same request writes nothing (no audit row either).
    `note` None keeps the existing note. Only people on the register (a confirmed or
    completed enrolment in the session's course) can be marked."""
    from participants.models import Attendance

    now = now or timezone.now()
    course = Course.objects.select_related("programme").get(pk=session.course_id)
    provider_id = course.programme.provider_id
    _check_provider_staff(actor, provider_id)
    errors: dict = {}
    if status not in Attendance.Status.values:
        errors["status"] = [_("Choose present or absent.")]
    clean_note = None if note is None else _attendance_note(note, errors)
    if session.is_cancelled:
        errors["__all__"] = [_("This session was cancelled.")]
    enrolment = (
        Enrolment.objects.filter(participant=participant, course_id=session.course_id, status__in=ROSTER_ATTENDING)
        .order_by("-pk")
        .first()
    )
    if enrolment is None:
        errors.setdefault("__all__", []).append(_("This person is not enrolled in this course."))
    _raise(errors)
    with transaction.atomic():
        existing = Attendance.objects.filter(session=session, participant=participant).first()
        new_note = (existing.note if existing else "") if clean_note is None else clean_note
        if existing is not None and existing.status == status and existing.note == new_note:
            return existing
        Attendance.objects.bulk_create(
            [
                Attendance(
                    session=session,
                    participant=participant,
                    enrolment=enrolment,
                    status=status,
                    marked_by=actor,
                    marked_at=now,
                    note=new_note,
                )
            ],
            update_conflicts=True,
            unique_fields=["session", "participant"],
            update_fields=["status", "marked_by", "marked_at", "note", "enrolment"],
        )
        row = Attendance.objects.get(session=session, participant=participant)
        changes = {"status": [existing.status if existing else None, status]}
        if existing is None or existing.note != new_note:
            changes["note"] = [existing.note if existing else "", new_note]
        _audit(actor=actor, action="attendance.mark", obj=row, changes=changes, provider_id=provider_id)
    return row


def attendance_mark_all_present(*, session, actor, now: dt.datetime | None = None) -> int:
    """Mark everyone on the session's register present (one upsert; notes are kept).
    Returns how many rows changed; running it twice changes nothing the second time."""
    from participants.models import Attendance

    now = now or timezone.now()
    course = Course.objects.select_related("programme").get(pk=session.course_id)
    provider_id = course.programme.provider_id
    _check_provider_staff(actor, provider_id)
    if session.is_cancelled:
        raise ParticipantError({"__all__": [_("This session was cancelled.")]})
    with transaction.atomic():
        enrolments = list(
            Enrolment.objects.filter(course_id=session.course_id, status__in=ROSTER_ATTENDING)
            .exclude(participant__attendances__session=session, participant__attendances__status="present")
            .order_by("participant_id", "-pk")
            .distinct("participant_id")
        )
        if not enrolments:
            return 0
        Attendance.objects.bulk_create(
            [
                Attendance(
                    session=session,
                    participant_id=e.participant_id,
                    enrolment=e,
                    status=Attendance.Status.PRESENT,
                    marked_by=actor,
                    marked_at=now,
                )
                for e in enrolments
            ],
            update_conflicts=True,
            unique_fields=["session", "participant"],
            update_fields=["status", "marked_by", "marked_at", "enrolment"],
        )
        _audit(
            actor=actor,
            action="attendance.mark_all_present",
            obj=session,
            changes={"present": [None, len(enrolments)]},
            provider_id=provider_id,
        )
    return len(enrolments)


@dataclass(frozen=True)
class CompletionRow:
    enrolment: Enrolment
    attended: int
    total: int
    rule_completed: bool
    override: bool | None
    override_reason: str

    @property
    def percent(self) -> int:
        return round(100 * self.attended / self.total) if self.total else 0

    @property
    def completed(self) -> bool:
        return self.rule_completed if self.override is None else self.override


def completion_compute(*, course: Course) -> list[CompletionRow]:
    """Each registered person's attendance against the course's rule: completed when the
    sessions attended (present, not cancelled) are at least completion_min_attendance_pct %
    of the course's non-cancelled sessions; a staff override (with its reason) replaces
    the rule. Counted in SQL: two queries whatever the size of the course."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from participants.models import Attendance

    total = course.sessions.filter(is_cancelled=False).count()
    attended = (
        Attendance.objects.filter(
            participant_id=OuterRef("participant_id"),
            session__course_id=course.pk,
            session__is_cancelled=False,
            status=Attendance.Status.PRESENT,
        )
        .order_by()
        .values("participant_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    enrolments = (
        Enrolment.objects.filter(course=course, status__in=ROSTER_ATTENDING)
        .select_related("participant", "completion_override")
        .annotate(attended=Coalesce(Subquery(attended, output_field=IntegerField()), 0))
        .order_by("participant__given_name", "participant__family_name", "pk")
    )
    pct = course.completion_min_attendance_pct
    rows = []
    for enrolment in enrolments:
        override = getattr(enrolment, "completion_override", None)
        rows.append(
            CompletionRow(
                enrolment=enrolment,
                attended=enrolment.attended,
                total=total,
                rule_completed=total > 0 and enrolment.attended * 100 >= pct * total,
                override=override.completed if override else None,
                override_reason=override.reason if override else "",
            )
        )
    return rows


def completion_override_set(
    *, enrolment: Enrolment, completed: bool | None, reason: str, actor, now: dt.datetime | None = None
):
    """Override the completion rule for one enrolment (`completed` True/False, a reason is
    required), or return to the rule (`completed` None). Audited."""
    from participants.models import CompletionOverride

    now = now or timezone.now()
    course = Course.objects.select_related("programme").get(pk=enrolment.course_id)
    provider_id = course.programme.provider_id
    _check_provider_staff(actor, provider_id)
    errors: dict = {}
    reason = _clean_text(reason)
    if completed is not None and not reason:
        errors["reason"] = [_("Give the reason for the override.")]
    elif len(reason) > OVERRIDE_REASON_MAX:
        errors["reason"] = [_("Use at most %(max)s characters.") % {"max": OVERRIDE_REASON_MAX}]
    if enrolment.status not in ROSTER_ATTENDING:
        errors.setdefault("__all__", []).append(_("This person is not enrolled in this course."))
    _raise(errors)
    with transaction.atomic():
        before = CompletionOverride.objects.select_for_update().filter(enrolment=enrolment).first()
        old = before.completed if before else None
        if completed is None:
            CompletionOverride.objects.filter(enrolment=enrolment).delete()
            result = None
        else:
            result, _created = CompletionOverride.objects.update_or_create(
                enrolment=enrolment,
                defaults={"completed": completed, "reason": reason, "decided_by": actor, "decided_at": now},
            )
        _audit(
            actor=actor,
            action="completion.override",
            obj=enrolment,
            changes={"completed": [old, completed]},
            provider_id=provider_id,
            note=reason,
        )
    return result


def participant_register_assisted(
    *,
    actor,
    provider,
    consent: bool,
    guardian_name: str = "",
    guardian_phone: str = "",
    guardian_consent: bool = False,
    minor_agrees: bool = False,
    now: dt.datetime | None = None,
    **fields,
) -> Participant:
    """Staff register a person who has no e-mail (at a desk, by phone): names, birth date,
    sex, district, phone. The person has no account; registered_by is the staff user.

    Adults: `consent` is staff's record that the privacy notice was read to the person and
    that they consented (Consent method staff_assisted, given_by = staff).

    Minors (under 20) only with a parent or guardian present, as for dependants (PDPA): the
    guardian's name and phone are required (they are the contact on rosters), and
    `guardian_consent` records that the notice was read to the guardian and that they
    consent on the minor's behalf; from 10 to 19 also `minor_agrees` (the young person was
    told and agrees); under 10 only the guardian consents. Recorded as a privacy-notice and a
    guardian consent, on_behalf, subject_agreed for 10-19, method staff_assisted."""
    now = now or timezone.now()
    _check_provider_staff(actor, provider.pk)
    today = timezone.localdate(now)
    errors: dict = {}
    allowed = {
        "given_name",
        "family_name",
        "birth_date",
        "birth_date_is_year_only",
        "sex",
        "district",
        "lives_outside_city",
        "preferred_language",
        "phone",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"participant_register_assisted() got unexpected fields: {sorted(unknown)}")
    profile = _profile_fields(fields, errors, today, partial=False)
    birth = profile.get("birth_date")
    age = _age(birth, today) if birth else None
    minor = age is not None and age < ADULT_AGE
    guardian = {"guardian_name": "", "guardian_phone": ""}
    if minor:
        guardian["guardian_name"] = _name(guardian_name, "guardian_name", errors)
        phone = _clean_text(guardian_phone)
        if not phone:
            errors["guardian_phone"] = [_("Enter the guardian's phone number: they are the contact for a minor.")]
        elif not PHONE_RE.match(phone):
            errors["guardian_phone"] = [_("Enter a phone number with digits only, for example 081 234 5678.")]
        guardian["guardian_phone"] = phone
        if not guardian_consent:
            errors["guardian_consent"] = [
                _("A person under 20 is registered only with a parent or guardian present who consents for them.")
            ]
        if age >= GUARDIAN_ONLY_AGE and not minor_agrees:
            errors["minor_agrees"] = [
                _("Confirm that %(name)s has been told about the privacy notice and agrees.")
                % {"name": profile.get("given_name") or _("this person")}
            ]
    elif not consent:
        errors["consent"] = [_("Read the privacy notice to the person and record their consent.")]
    _raise(errors)
    subject_agreed = not minor or age >= GUARDIAN_ONLY_AGE
    with transaction.atomic():
        participant = Participant.objects.create(
            account=None, is_self=False, created_by_staff=True, registered_by=actor, **profile, **guardian
        )
        common = {
            "participant": participant,
            "notice": _notice(now),
            "actor": actor,
            "now": now,
            "method": Consent.Method.STAFF_ASSISTED,
            "subject_agreed": subject_agreed,
        }
        _consent_add(purpose=Consent.Purpose.PRIVACY_NOTICE, **common)
        if minor:
            _consent_add(purpose=Consent.Purpose.GUARDIAN, **common)
        _audit(actor=actor, action="participant.register_assisted", obj=participant, provider_id=provider.pk)
    return participant


def enrolment_create_assisted(
    *, participant: Participant, course: Course, actor, now: dt.datetime | None = None
) -> Enrolment:
    """Staff enrol a person at the desk or by phone: enrolment_create with the same rules and
    the same no-overbooking guarantee (the course row is locked), plus an audit entry."""
    now = now or timezone.now()
    provider_id = Course.objects.filter(pk=course.pk).values_list("programme__provider_id", flat=True).get()
    _check_provider_staff(actor, provider_id)
    with transaction.atomic():
        enrolment = enrolment_create(participant=participant, course=course, actor=actor, now=now)
        _audit(
            actor=actor,
            action="enrolment.create_assisted",
            obj=enrolment,
            changes={"status": [None, enrolment.status]},
            provider_id=provider_id,
        )
    return enrolment


def personal_data_viewed(*, actor, action: str, obj, provider_id: int, note: str = "") -> None:
    """Log a staff member's access to personal data (a roster, an export, a participant's
    details, a slip): PDPA requires that access be traceable."""
    _audit(actor=actor, action=action, obj=obj, provider_id=provider_id, note=note)


def staff_course_capacity_change(*, course: Course, capacity: int, actor, now: dt.datetime | None = None) -> Course:
    """course_capacity_change from the workspace, with an audit entry (same transaction)."""
    before = course.capacity
    with transaction.atomic():
        locked = course_capacity_change(course=course, capacity=capacity, actor=actor, now=now)
        _audit(
            actor=actor,
            action="course.capacity_change",
            obj=locked,
            changes={"capacity": [before, capacity]},
            provider_id=locked.programme.provider_id,
        )
    return locked


def staff_course_cancel(*, course: Course, actor, now: dt.datetime | None = None) -> Course:
    """course_cancel_with_enrolments from the workspace, with an audit entry. A course
    already cancelled is left alone (nothing is sent twice)."""
    with transaction.atomic():
        if Course.objects.filter(pk=course.pk, status=Course.Status.CANCELLED).exists():
            _check_course_staff(actor, course)
            return course
        locked = course_cancel_with_enrolments(course=course, actor=actor, now=now)
        _audit(
            actor=actor,
            action="course.cancel",
            obj=locked,
            changes={"status": [Course.Status.SCHEDULED, Course.Status.CANCELLED]},
            provider_id=locked.programme.provider_id,
        )
    return locked


# --- Schedule changes made by staff (the programmes outbox) ------------------------------


class ScheduleChangeText:
    """What changed, rendered when the message is written: notify() renders each message
    inside the recipient's language, so str() here follows that language and calendar."""

    def __init__(self, change: CourseChange) -> None:
        self.kind = change.kind
        self.old = change.old_starts_at
        self.new = change.new_starts_at
        self.details = change.details or {}
        self.starts_on = change.course.starts_on
        self.ends_on = change.course.ends_on

    @staticmethod
    def _venue(names) -> str:
        if not names:
            return _("online")
        english = (translation.get_language() or "th").startswith("en")
        return (names.get("en") if english else "") or names.get("th") or ""

    def _course_changed(self) -> str:
        parts = []
        if "starts_on" in self.details or "ends_on" in self.details:
            starts = self.details.get("starts_on", [None, None])[1]
            ends = self.details.get("ends_on", [None, None])[1]
            parts.append(
                _("The course now runs from %(start)s to %(end)s.")
                % {
                    "start": format_local(dt.date.fromisoformat(starts) if starts else self.starts_on),
                    "end": format_local(dt.date.fromisoformat(ends) if ends else self.ends_on),
                }
            )
        if "venue" in self.details:
            old, new = self.details["venue"]
            parts.append(
                _("It now takes place at %(new)s (was %(old)s).") % {"new": self._venue(new), "old": self._venue(old)}
            )
        return " ".join(parts)

    def __str__(self) -> str:
        if self.kind == CourseChange.Kind.COURSE_CHANGED:
            return self._course_changed()
        if self.kind == CourseChange.Kind.SESSION_CANCELLED:
            return _("The session of %(date)s is cancelled.") % {"date": format_local(self.old, "datetime")}
        return _("The session of %(old)s has moved to %(new)s.") % {
            "old": format_local(self.old, "datetime"),
            "new": format_local(self.new, "datetime"),
        }


def course_changes_notify(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Tell everyone enrolled about the schedule changes staff made (CourseChange rows
    written by programmes.services). Safe to run twice or at once in two workers: rows are
    claimed with SKIP LOCKED and stamped `notified_at` in the same transaction as the
    notifications. Returns how many changes were reported."""
    now = now or timezone.now()
    with transaction.atomic():
        changes = list(
            CourseChange.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(notified_at__isnull=True)
            .select_related("course__programme__provider", "course__venue")
            .order_by("created_at", "pk")[:limit]
        )
        for change in changes:
            course_change_notify(course=change.course, change=ScheduleChangeText(change), now=now)
        CourseChange.objects.filter(pk__in=[change.pk for change in changes]).update(notified_at=now)
    return len(changes)
