"""Reads (and two small writes) for the resident's own pages: the enrol partial's state,
"My learning", the first-enrolment step and the sensitive-data block.

Like participants.selectors, everything is scoped by the signed-in account: another
resident's rows are simply not found. Writes follow STYLE.md (keyword-only, atomic) and
call the core services for the rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from learningcity.city.models import District
from learningcity.city.selectors import city_current, district_list
from participants import services
from participants.errors import ParticipantError
from participants.models import ACTIVE_ENROLMENT_STATUSES, Attendance, Consent, Enrolment, Participant
from participants.selectors import enrolment_list_for_user, participant_list_for_user
from programmes.models import Course, Programme
from programmes.models import Session as CourseSession

S = Enrolment.Status
UPCOMING_SESSIONS_MAX = 30
PAST_ENROLMENTS_MAX = 50

# --- The enrol partial ------------------------------------------------------------------------


@dataclass
class AccountEnrolments:
    """The signed-in account's people and active enrolments, loaded once per request."""

    people: list[Participant]
    active_by_course: dict[int, list[Enrolment]]

    @property
    def self_profile(self) -> Participant | None:
        return next((p for p in self.people if p.is_self), None)


def account_enrolments_load(user) -> AccountEnrolments:
    """Two queries whatever the page: the account's participants, and all their active
    enrolments (a resident has a handful; the partial of every course reads from these)."""
    people = list(participant_list_for_user(user))
    by_id = {p.pk: p for p in people}
    active: dict[int, list[Enrolment]] = {}
    if people:
        rows = Enrolment.objects.filter(participant_id__in=list(by_id), status__in=ACTIVE_ENROLMENT_STATUSES).order_by(
            "pk"
        )
        for enrolment in rows:
            enrolment.participant = by_id[enrolment.participant_id]
            active.setdefault(enrolment.course_id, []).append(enrolment)
    return AccountEnrolments(people=people, active_by_course=active)


REQUEST_CACHE_ATTR = "_participants_account_enrolments"


def account_enrolments_for_request(request) -> AccountEnrolments | None:
    """The account's people and active enrolments, loaded on the first call in a request
    and kept on the request (None for anonymous visitors: no query)."""
    user = getattr(request, "user", None)
    if request is None or not getattr(user, "is_authenticated", False):
        return None
    loaded = getattr(request, REQUEST_CACHE_ATTR, None)
    if loaded is None:
        loaded = account_enrolments_load(user)
        setattr(request, REQUEST_CACHE_ATTR, loaded)
    return loaded


def account_enrolments_remember(request, *, people: list[Participant], active: list[Enrolment]) -> None:
    """Prime the request's cache from rows a page has already loaded (My learning), so the
    enrol blocks on it cost no query. `active` must hold every active enrolment shown."""
    by_id = {p.pk: p for p in people}
    by_course: dict[int, list[Enrolment]] = {}
    for enrolment in active:
        enrolment.participant = by_id.get(enrolment.participant_id, enrolment.participant)
        by_course.setdefault(enrolment.course_id, []).append(enrolment)
    for entries in by_course.values():
        entries.sort(key=lambda e: e.pk)
    setattr(request, REQUEST_CACHE_ATTR, AccountEnrolments(people=people, active_by_course=by_course))


@dataclass
class CourseEnrolState:
    """What the enrol partial shows for one course and the signed-in account."""

    course: Course
    authenticated: bool
    entries: list[Enrolment] = field(default_factory=list)
    candidates: list[Participant] = field(default_factory=list)
    outside_age: list[Participant] = field(default_factory=list)
    has_people: bool = False
    has_self: bool = False
    is_open: bool = False
    is_full: bool = False


def course_enrol_state(*, course: Course, user, loaded: AccountEnrolments | None, now: dt.datetime) -> CourseEnrolState:
    """The state of `course` for `user`: their active enrolments in it, who may still enrol
    (not yet enrolled and in the programme's age range on the first day) and whether the
    enrolment window is open. No query when `loaded` is given and course.programme is cached."""
    is_open = course.enrolment_is_open(now=now)
    state = CourseEnrolState(
        course=course,
        authenticated=bool(getattr(user, "is_authenticated", False)),
        is_open=is_open,
        is_full=course.seats_taken >= course.capacity,
    )
    if not state.authenticated or loaded is None:
        return state
    state.entries = loaded.active_by_course.get(course.pk, [])
    state.has_people = bool(loaded.people)
    state.has_self = loaded.self_profile is not None
    taken = {e.participant_id for e in state.entries}
    programme: Programme = course.programme
    for person in loaded.people:
        if person.pk in taken:
            continue
        age = person.age_on(course.starts_on)
        if age < programme.age_min or (programme.age_max is not None and age > programme.age_max):
            state.outside_age.append(person)
        else:
            state.candidates.append(person)
    return state


def course_for_enrolment_get(pk) -> Course | None:
    """A course of a published programme, for the enrol page and actions."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        Course.objects.filter(pk=pk, programme__status=Programme.Status.PUBLISHED)
        .select_related("programme__provider", "venue__district")
        .first()
    )


# --- The first-enrolment step -------------------------------------------------------------------

STEP_PROFILE_FIELDS = ("given_name", "family_name", "birth_date", "residence")


def profile_missing_fields(user) -> list[str]:
    """What the account holder's own profile still lacks before they can enrol: the form
    fields to ask for ("given_name", "family_name", "birth_date", "residence",
    "privacy_consent"). Empty when nothing is missing."""
    me = participant_list_for_user(user).filter(is_self=True).first()
    if me is None:
        return [*STEP_PROFILE_FIELDS, "privacy_consent"]
    missing = []
    if not me.given_name:
        missing.append("given_name")
    if me.district_id is None and not me.lives_outside_city:
        missing.append("residence")
    if not me.consents.filter(purpose=Consent.Purpose.PRIVACY_NOTICE, withdrawn_at__isnull=True).exists():
        missing.append("privacy_consent")
    return missing


def residence_districts() -> list[District]:
    """The current city's reporting areas: its subdistricts when it has any, else all."""
    city = city_current()
    if city is None:
        return []
    districts = list(district_list(city=city))
    sub = [d for d in districts if d.level == District.Level.SUBDISTRICT]
    return sub or districts


# --- "My learning" ----------------------------------------------------------------------------


@dataclass
class MyLearning:
    people: list[Participant]
    active: list[Enrolment]
    offers: list[Enrolment]
    waiting: list[Enrolment]
    confirmed: list[Enrolment]
    sessions: list[CourseSession]
    past: list[Enrolment]
    hours_total: float
    hours_by_person: dict[int, float]


def _hours(value: dt.timedelta | None) -> float:
    return round(value.total_seconds() / 3600, 1) if value else 0.0


def my_learning_get(user, *, now: dt.datetime | None = None) -> MyLearning:
    """Everything on "My learning" in a fixed number of queries: people (1), active
    enrolments with their courses (1), upcoming sessions of confirmed places with the
    person's name (1), past enrolments with attendance counts (1), learning hours (1)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    people = list(participant_list_for_user(user))
    active = list(
        enrolment_list_for_user(user, active_only=True)
        .filter(course__ends_on__gte=today)
        .order_by("course__starts_on", "pk")
    )
    sessions = list(
        CourseSession.objects.filter(
            course__enrolments__participant__account=user,
            course__enrolments__status=S.CONFIRMED,
            is_cancelled=False,
            ends_at__gte=now,
        )
        .select_related("course__programme", "venue")
        .annotate(
            person_name=F("course__enrolments__participant__given_name"),
            person_is_self=F("course__enrolments__participant__is_self"),
        )
        .order_by("starts_at", "pk")[:UPCOMING_SESSIONS_MAX]
    )
    present = Q(attendances__status="present")
    past = list(
        enrolment_list_for_user(user)
        .filter(
            Q(status__in=[S.COMPLETED, S.NO_SHOW]) | Q(status=S.CONFIRMED, course__ends_on__lt=today),
        )
        .annotate(
            sessions_attended=Count("attendances", filter=present, distinct=True),
            sessions_held=Count(
                "course__sessions",
                filter=Q(course__sessions__is_cancelled=False, course__sessions__starts_at__lt=now),
                distinct=True,
            ),
        )
        .order_by("-course__ends_on", "-pk")[:PAST_ENROLMENTS_MAX]
    )
    duration = ExpressionWrapper(F("session__ends_at") - F("session__starts_at"), output_field=DurationField())
    rows = (
        Attendance.objects.filter(participant__account=user, status=Attendance.Status.PRESENT)
        .values("participant_id")
        .annotate(total=Sum(duration))
        .order_by()
    )
    hours_by_person = {row["participant_id"]: _hours(row["total"]) for row in rows}
    for person in people:
        person.learning_hours = hours_by_person.get(person.pk, 0.0)
    return MyLearning(
        people=people,
        active=active,
        offers=[e for e in active if e.status == S.OFFERED],
        waiting=[e for e in active if e.status == S.WAITLISTED],
        confirmed=[e for e in active if e.status == S.CONFIRMED],
        sessions=sessions,
        past=past,
        hours_total=round(sum(hours_by_person.values()), 1),
        hours_by_person=hours_by_person,
    )


def consent_get_for_user(user, pk) -> Consent | None:
    """A consent record of one of the user's participants, else None."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        Consent.objects.filter(pk=pk, participant__account=user, participant__anonymised_at__isnull=True)
        .select_related("participant", "notice")
        .first()
    )


def consent_overview(user) -> list[dict]:
    """Per person: their consent records (newest first) and the purposes they could still
    give (privacy notice, guardian for a dependant under 20, sensitive data)."""
    people = list(participant_list_for_user(user).prefetch_related("consents__notice"))
    today = timezone.localdate()
    out = []
    for person in people:
        records = sorted(person.consents.all(), key=lambda c: (c.given_at, c.pk), reverse=True)
        active = {c.purpose for c in records if c.withdrawn_at is None}
        can_give = [Consent.Purpose.PRIVACY_NOTICE]
        if not person.is_self and person.age_on(today) < services.ADULT_AGE:
            can_give.append(Consent.Purpose.GUARDIAN)
        out.append(
            {
                "person": person,
                "records": records,
                "missing": [p for p in can_give if p not in active],
            }
        )
    return out


# --- Writes ---------------------------------------------------------------------------------


@transaction.atomic
def participant_sensitive_data_set(
    *,
    participant: Participant,
    actor,
    consent: bool,
    has_disability: bool | None,
    access_needs: str,
    now: dt.datetime | None = None,
) -> Participant:
    """Save disability and access needs with their separate, explicit consent (PDPA s.26):
    gives the sensitive-data consent first when `consent` is ticked, then updates the profile
    through participants.services (which refuses the data without an active consent)."""
    now = now or timezone.now()
    active = participant.consents.filter(purpose=Consent.Purpose.SENSITIVE_DATA, withdrawn_at__isnull=True).exists()
    if not active:
        if not consent:
            if has_disability is None and not (access_needs or "").strip():
                return participant  # nothing given, nothing kept
            raise ParticipantError(
                {"consent": [_("Tick the consent box to let us keep this information, or leave the fields empty.")]}
            )
        services.consent_give(participant=participant, purpose=Consent.Purpose.SENSITIVE_DATA, actor=actor, now=now)
    return services.participant_update(
        participant=participant, actor=actor, now=now, has_disability=has_disability, access_needs=access_needs
    )
