"""Reads of the participants app. Everything a resident sees is scoped by their account:
another resident's enrolment, dependant or notification is simply not found (None), so a
view answers 404 without telling whether it exists."""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from learningcity.db import rows
from learningcity.db.rows import Columns
from participants.models import (
    ACTIVE_ENROLMENT_STATUSES,
    Attendance,
    Consent,
    Enrolment,
    Notification,
    Participant,
    PrivacyNotice,
)
from programmes.models import Course, Programme, Provider, Venue


def privacy_notice_current(*, now: dt.datetime | None = None) -> PrivacyNotice | None:
    """The newest published version of the privacy notice."""
    now = now or timezone.now()
    return PrivacyNotice.objects.filter(published_at__lte=now).order_by("-version").first()


def privacy_notice_first_ensure() -> PrivacyNotice:
    """Version 1 of the notice, published by migration 0002; recreated from that migration's
    text when a test database was flushed (transactional tests) or the demo loads on one."""
    from importlib import import_module

    migration = import_module("participants.migrations.0002_privacy_notice_v1")
    notice, _created = PrivacyNotice.objects.get_or_create(
        version=1,
        defaults={"text_th": migration.TEXT_TH, "text_en": migration.TEXT_EN, "published_at": migration.PUBLISHED_AT},
    )
    return notice


def participant_list_for_user(user) -> QuerySet[Participant]:
    """The account holder's own profile first, then their dependants."""
    if not getattr(user, "is_authenticated", False):
        return Participant.objects.none()
    return Participant.objects.filter(account=user, anonymised_at__isnull=True).select_related("district")


def participant_self_get(user) -> Participant | None:
    return participant_list_for_user(user).filter(is_self=True).first()


def participant_get_for_user(user, pk) -> Participant | None:
    """The participant `pk` if `user` manages it, else None."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return participant_list_for_user(user).filter(pk=pk).first()


# What the enrol action reads of a course: the checks, the answer's enrol block and the message.
ENROL_COURSE_FIELDS = (
    "programme_id",
    "venue_id",
    "starts_on",
    "ends_on",
    "capacity",
    "seats_taken",
    "waitlist_count",
    "enrolment_opens_at",
    "enrolment_closes_at",
    "cancellation_deadline",
    "status",
    "online_url",
    "programme__status",
    "programme__slug",
    "programme__title_th",
    "programme__title_en",
    "programme__age_min",
    "programme__age_max",
    "programme__provider_id",
    "programme__provider__name_th",
    "programme__provider__name_en",
    "venue__name_th",
    "venue__name_en",
    "venue__address_th",
    "venue__address_en",
)


@functools.cache
def _enrol_reads() -> dict[str, Columns]:
    """The select lists of the enrol POST's reads (built once, after the apps are loaded)."""
    wanted = [f for f in ENROL_COURSE_FIELDS if "__" not in f]
    related = {}
    for name in ENROL_COURSE_FIELDS:
        path, _sep, field = name.rpartition("__")
        if path:
            related.setdefault(path, []).append(field)
    return {
        "course": Columns(Course, "c", wanted),
        "programme": Columns(Programme, "p", related["programme"]),
        "provider": Columns(Provider, "pr", related["programme__provider"]),
        "venue": Columns(Venue, "v", related["venue"]),
        "participant": Columns(Participant, "pa"),
        "enrolment": Columns(Enrolment, "e"),
    }


def enrol_post_reads(pk, user) -> tuple[Course | None, list[Participant], list[Enrolment]]:
    """What the enrol POST reads before it locks anything, in one statement (one round trip;
    written out, rows.py: it is the rush path):
    - the course of a published programme, with just what enrolling in it reads (not the
      programme's descriptions and search columns), its programme, provider and venue; None
      (and nothing else) when there is no such course;
    - the account's people (as participant_list_for_user, in its order, without the district),
      each with `active_consents` (the purposes of their consents not withdrawn);
    - all their active enrolments, in id order (a handful; the enrol block of the answer is
      drawn from the same rows).
    Each row is the course with one person and one of their active enrolments (or none)."""
    pk = rows.row_id(pk)
    if pk is None:
        return None, [], []
    account_id = user.pk if getattr(user, "is_authenticated", False) else None
    cols = _enrol_reads()
    table = connection.ops.quote_name
    course_parts = [cols["course"], cols["programme"], cols["provider"], cols["venue"]]
    sql = (
        f"SELECT {', '.join(part.sql for part in course_parts)}, {cols['participant'].sql}, "
        f"ARRAY(SELECT co.purpose FROM {table(Consent._meta.db_table)} co "
        f"WHERE co.participant_id = pa.id AND co.withdrawn_at IS NULL), {cols['enrolment'].sql} "
        f"FROM {table(Course._meta.db_table)} c "
        f"JOIN {table(Programme._meta.db_table)} p ON p.id = c.programme_id "
        f"JOIN {table(Provider._meta.db_table)} pr ON pr.id = p.provider_id "
        f"LEFT JOIN {table(Venue._meta.db_table)} v ON v.id = c.venue_id "
        f"LEFT JOIN {table(Participant._meta.db_table)} pa ON pa.account_id = %s AND pa.anonymised_at IS NULL "
        f"LEFT JOIN {table(Enrolment._meta.db_table)} e ON e.participant_id = pa.id AND e.status = ANY(%s) "
        "WHERE c.id = %s AND p.status = %s "
        "ORDER BY pa.is_self DESC, pa.given_name, pa.id, e.id"
    )
    with connection.prepared_cursor() as cursor:
        cursor.execute(sql, [account_id, list(ACTIVE_ENROLMENT_STATUSES), pk, Programme.Status.PUBLISHED])
        found = cursor.fetchall()
    if not found:
        return None, [], []
    course, programme, provider, venue = rows.split(found[0], course_parts)
    programme.provider = provider
    course.programme = programme
    course.venue = venue
    # Each row repeats the course: only its first copy is built (a resident with three active
    # enrolments has three rows).
    person_parts = [sum(len(part) for part in course_parts), cols["participant"], 1, cols["enrolment"]]
    people, people_by_id, active = [], {}, []
    for row in found:
        _course_values, person, consents, enrolment = rows.split(row, person_parts)
        if person is None:
            continue
        if person.pk not in people_by_id:
            person.active_consents = consents
            people_by_id[person.pk] = person
            people.append(person)
        if enrolment is not None:
            enrolment.participant = people_by_id[person.pk]
            active.append(enrolment)
    active.sort(key=lambda e: e.pk)
    return course, people, active


def _enrolments() -> QuerySet[Enrolment]:
    return Enrolment.objects.select_related("participant", "course__programme__provider", "course__venue__district")


def enrolment_list_for_user(user, *, active_only: bool = False) -> QuerySet[Enrolment]:
    """Enrolments of the user's participants (self and dependants), newest course first."""
    if not getattr(user, "is_authenticated", False):
        return Enrolment.objects.none()
    queryset = _enrolments().filter(participant__account=user)
    if active_only:
        queryset = queryset.filter(status__in=ACTIVE_ENROLMENT_STATUSES)
    return queryset.order_by("-course__starts_on", "-created_at", "-pk")


def enrolment_get_for_user(user, pk) -> Enrolment | None:
    """The enrolment `pk` if it belongs to one of the user's participants, else None."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return enrolment_list_for_user(user).filter(pk=pk).first()


def enrolment_map_for_user_course(user, course: Course) -> dict[int, Enrolment]:
    """participant id -> active enrolment in `course`, for the user's participants (the course
    page shows "enrolled", "3rd in line" or "offered" next to each person)."""
    return {e.participant_id: e for e in enrolment_list_for_user(user, active_only=True).filter(course=course)}


def notification_list_for_user(user) -> QuerySet[Notification]:
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def notification_unread_count(user) -> int:
    return notification_list_for_user(user).filter(read_at__isnull=True).count()


def consent_list_for_user(user) -> QuerySet[Consent]:
    return Consent.objects.filter(participant__account=user).select_related("notice", "participant")


# --- "My data": everything held about the account and its participants ---------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _participant_data(p: Participant) -> dict:
    return {
        "id": p.pk,
        "is_self": p.is_self,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "birth_date": _iso(p.birth_date),
        "birth_date_is_year_only": p.birth_date_is_year_only,
        "sex": p.sex,
        "district": {"code": p.district.code, "name_th": p.district.name_th, "name_en": p.district.name_en}
        if p.district_id
        else None,
        "lives_outside_city": p.lives_outside_city,
        "preferred_language": p.preferred_language,
        "phone": p.phone,
        "has_disability": p.has_disability,
        "access_needs": p.access_needs,
        "created_by_staff": p.created_by_staff,
        "created_at": _iso(p.created_at),
        "updated_at": _iso(p.updated_at),
    }


def my_data_export(user) -> dict:
    """Everything the portal holds about `user` and the participants they manage, as plain
    JSON-ready data (PDPA right of access). Nothing of other people: provider staff who marked
    attendance are not named."""
    participants = list(
        Participant.objects.filter(account=user)
        .select_related("district")
        .prefetch_related(
            Prefetch("consents", queryset=Consent.objects.select_related("notice").order_by("given_at", "pk"))
        )
        .order_by("-is_self", "pk")
    )
    ids = [p.pk for p in participants]
    enrolments = list(
        Enrolment.objects.filter(participant_id__in=ids)
        .select_related("course__programme__provider", "course__venue")
        .order_by("created_at", "pk")
    )
    attendances = list(
        Attendance.objects.filter(participant_id__in=ids).select_related("session").order_by("session__starts_at")
    )
    notifications = list(Notification.objects.filter(recipient=user).order_by("created_at", "pk"))
    people = [_participant_data(p) for p in participants]
    return {
        "format": "learningcity-my-data",
        "version": 1,
        "exported_at": timezone.now().isoformat(),
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "preferred_language": user.preferred_language,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "self": next((p for p in people if p["is_self"]), None),
        "dependants": [p for p in people if not p["is_self"]],
        "consents": [
            {
                "participant_id": p.pk,
                "purpose": c.purpose,
                "notice_version": c.notice.version,
                "given_by_me": c.given_by_id == user.pk,
                "on_behalf": c.on_behalf,
                "subject_agreed": c.subject_agreed,
                "method": c.method,
                "given_at": _iso(c.given_at),
                "withdrawn_at": _iso(c.withdrawn_at),
            }
            for p in participants
            for c in p.consents.all()
        ],
        "enrolments": [
            {
                "id": e.pk,
                "participant_id": e.participant_id,
                "course": {
                    "id": e.course_id,
                    "programme_th": e.course.programme.title_th,
                    "programme_en": e.course.programme.title_en,
                    "provider_th": e.course.programme.provider.name_th,
                    "starts_on": _iso(e.course.starts_on),
                    "ends_on": _iso(e.course.ends_on),
                    "venue": e.course.venue.name_th if e.course.venue_id else None,
                },
                "status": e.status,
                "waitlist_position": e.waitlist_position,
                "requested_at": _iso(e.created_at),
                "confirmed_at": _iso(e.confirmed_at),
                "offered_at": _iso(e.offered_at),
                "offer_expires_at": _iso(e.offer_expires_at),
                "cancelled_at": _iso(e.cancelled_at),
                "cancelled_reason": e.cancelled_reason,
                "reminder_sent_at": _iso(e.reminder_sent_at),
            }
            for e in enrolments
        ],
        "attendance": [
            {
                "participant_id": a.participant_id,
                "enrolment_id": a.enrolment_id,
                "session_starts_at": _iso(a.session.starts_at),
                "status": a.status,
                "note": a.note,
                "marked_at": _iso(a.marked_at),
            }
            for a in attendances
        ],
        "notifications": [
            {
                "kind": n.kind,
                "language": n.language,
                "subject": n.subject,
                "body": n.body,
                "url": n.url,
                "created_at": _iso(n.created_at),
                "read_at": _iso(n.read_at),
                "email_sent_at": _iso(n.email_sent_at),
            }
            for n in notifications
        ],
    }
