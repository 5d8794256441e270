"""Workspace actions: each calls the catalogue service (programmes.services) and writes an
audit entry in the same transaction, with the changed fields before and after."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import IO

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from learningcity.audit.services import audit_diff, audit_record, audit_snapshot
from learningcity.city import services as city_services
from learningcity.city.models import City, District, Population
from learningcity.city.selectors import city_current_forget
from learningcity.city.services import BoundaryResult, DistrictLoadResult, ImportResult
from programmes import services
from programmes.models import Course, Programme, Provider, ProviderMembership, Session, Venue
from programmes.services import ProgrammeError

PROGRAMME_AUDITED = sorted(services.PROGRAMME_UPDATABLE)
COURSE_AUDITED = [
    "starts_on",
    "ends_on",
    "capacity",
    "venue",
    "enrolment_opens_at",
    "enrolment_closes_at",
    "cancellation_deadline",
    "confirmation_mode",
    "completion_min_attendance_pct",
    "online_url",
]
COURSE_EDIT_AUDITED = [*COURSE_AUDITED, "offer_hold_hours", "notes_th", "notes_en"]
VENUE_AUDITED = sorted(services.VENUE_UPDATABLE)


def _category_ids(programme: Programme) -> list[int]:
    return sorted(programme.categories.values_list("pk", flat=True))


@transaction.atomic
def staff_programme_create(*, actor, provider: Provider, categories: Iterable, image=None, **fields) -> Programme:
    programme = services.programme_create(provider=provider, categories=categories, **fields)
    if image is not None:
        services.programme_image_set(programme=programme, image=image)
    programme.refresh_from_db(fields=PROGRAMME_AUDITED)  # values as stored (150 -> 150.00)
    after = audit_snapshot(programme, PROGRAMME_AUDITED)
    after["categories"] = _category_ids(programme)
    audit_record(actor=actor, action="create", obj=programme, changes=audit_diff({}, after), provider_id=provider.pk)
    return programme


@transaction.atomic
def staff_programme_update(*, actor, programme: Programme, categories: Iterable, image=None, **fields) -> Programme:
    before = audit_snapshot(programme, PROGRAMME_AUDITED)
    before["categories"] = _category_ids(programme)
    before["image"] = programme.image.name or ""
    services.programme_update(programme=programme, categories=categories, **fields)
    if image is not None:
        services.programme_image_set(programme=programme, image=image)
    programme.refresh_from_db(fields=PROGRAMME_AUDITED)  # values as stored (150 -> 150.00)
    after = audit_snapshot(programme, PROGRAMME_AUDITED)
    after["categories"] = _category_ids(programme)
    after["image"] = programme.image.name or ""
    changes = audit_diff(before, after)
    if changes:
        audit_record(actor=actor, action="update", obj=programme, changes=changes, provider_id=programme.provider_id)
    return programme


STATUS_ACTIONS = {"publish", "archive", "draft"}


@transaction.atomic
def staff_programme_set_status(
    *, actor, programme: Programme, action: str, now: dt.datetime | None = None
) -> Programme:
    """publish (draft/archived -> published), archive (-> archived), draft (archived or
    submitted for review -> draft). When the city requires it and the provider has had no
    publication approved yet, "publish" by provider staff submits the programme for review
    instead; a city administrator's "publish" is itself the approval."""
    if action not in STATUS_ACTIONS:
        raise ValueError(action)
    before = programme.status
    audited = action
    if action == "publish":
        if not actor.is_city_admin and services.provider_needs_review(provider=programme.provider):
            services.programme_submit_for_review(programme=programme, now=now)
            audited = "submit_review"
        else:
            services.programme_publish(programme=programme, now=now)
    elif action == "archive":
        services.programme_archive(programme=programme)
    else:
        services.programme_set_draft(programme=programme)
    if programme.status != before:
        audit_record(
            actor=actor,
            action=audited,
            obj=programme,
            changes={"status": [before, programme.status]},
            provider_id=programme.provider_id,
        )
    return programme


@transaction.atomic
def staff_review_approve(*, actor, programme: Programme, now: dt.datetime | None = None) -> Programme:
    """A city administrator approves a submitted programme (published at once)."""
    before = programme.status
    services.programme_review_approve(programme=programme, now=now)
    audit_record(
        actor=actor,
        action="review.approve",
        obj=programme,
        changes={"status": [before, programme.status]},
        provider_id=programme.provider_id,
    )
    return programme


@transaction.atomic
def staff_review_return(*, actor, programme: Programme, reason: str) -> Programme:
    """A city administrator sends a submitted programme back to draft with a reason."""
    before = programme.status
    services.programme_review_return(programme=programme, reason=reason)
    audit_record(
        actor=actor,
        action="review.return",
        obj=programme,
        changes={"status": [before, programme.status]},
        provider_id=programme.provider_id,
        note=programme.review_note,
    )
    return programme


@transaction.atomic
def staff_city_review_setting_set(*, actor, city: City, required: bool) -> City:
    """Switch the first-publication review on or off for a city (city administrators)."""
    locked = City.objects.select_for_update().get(pk=city.pk)
    before = locked.require_first_publication_review
    if before != required:
        locked.require_first_publication_review = required
        locked.save(update_fields=["require_first_publication_review"])
        audit_record(
            actor=actor,
            action="city.settings",
            obj=locked,
            changes={"require_first_publication_review": [before, required]},
        )
        transaction.on_commit(city_current_forget)  # the cached current city is stale
    city.require_first_publication_review = required
    return city


@transaction.atomic
def staff_course_create(*, actor, programme: Programme, now: dt.datetime | None = None, **fields) -> Course:
    course = services.course_create(programme=programme, now=now, **fields)
    changes = audit_diff({}, audit_snapshot(course, COURSE_AUDITED))
    audit_record(actor=actor, action="create", obj=course, changes=changes, provider_id=programme.provider_id)
    return course


@transaction.atomic
def staff_course_update(*, actor, course: Course, now: dt.datetime | None = None, **fields) -> Course:
    """Edit a course after creation (dates, venue, windows, rules, notes), audited with the
    changed fields before and after; people enrolled are told about new dates or venue."""
    before = audit_snapshot(course, COURSE_EDIT_AUDITED)
    updated = services.course_update(course=course, now=now, **fields)
    updated.refresh_from_db(fields=COURSE_EDIT_AUDITED)  # values as stored (times in UTC, like before)
    changes = audit_diff(before, audit_snapshot(updated, COURSE_EDIT_AUDITED))
    if changes:
        audit_record(
            actor=actor, action="update", obj=updated, changes=changes, provider_id=updated.programme.provider_id
        )
    return updated


@transaction.atomic
def staff_course_duplicate(*, actor, course: Course, weeks: int, now: dt.datetime | None = None) -> Course:
    copy = services.course_duplicate(course=course, weeks=weeks, now=now)
    audit_record(
        actor=actor,
        action="duplicate",
        obj=copy,
        changes=audit_diff({}, audit_snapshot(copy, COURSE_AUDITED)),
        provider_id=course.programme.provider_id,
        note=f"copy of course {course.pk}, {weeks} weeks later",
    )
    return copy


def _session_fields(session: Session) -> dict:
    return audit_snapshot(session, ["starts_at", "ends_at", "venue", "is_cancelled"])


@transaction.atomic
def staff_session_create(*, actor, course: Course, now: dt.datetime | None = None, **fields) -> Session:
    session = services.session_create(course=course, now=now, **fields)
    audit_record(
        actor=actor,
        action="create",
        obj=session,
        changes=audit_diff({}, _session_fields(session)),
        provider_id=course.programme.provider_id,
    )
    return session


@transaction.atomic
def staff_sessions_generate(*, actor, course: Course, now: dt.datetime | None = None, **pattern) -> list[Session]:
    sessions = services.sessions_generate_weekly(course=course, now=now, **pattern)
    audit_record(
        actor=actor,
        action="generate_sessions",
        obj=course,
        changes={"sessions": [None, [s.starts_at.isoformat() for s in sessions]]},
        provider_id=course.programme.provider_id,
    )
    return sessions


@transaction.atomic
def staff_session_update(*, actor, session: Session, now: dt.datetime | None = None, **fields) -> Session:
    before = _session_fields(session)
    services.session_update(session=session, now=now, **fields)
    changes = audit_diff(before, _session_fields(session))
    if changes:
        audit_record(
            actor=actor, action="update", obj=session, changes=changes, provider_id=session.course.programme.provider_id
        )
    return session


@transaction.atomic
def staff_session_cancel(*, actor, session: Session, now: dt.datetime | None = None) -> Session:
    if session.is_cancelled:
        return session
    services.session_cancel(session=session, now=now)
    audit_record(
        actor=actor,
        action="cancel",
        obj=session,
        changes={"is_cancelled": [False, True]},
        provider_id=session.course.programme.provider_id,
    )
    return session


@transaction.atomic
def staff_membership_add(*, actor, provider: Provider, user, role: str) -> ProviderMembership:
    existing = ProviderMembership.objects.filter(provider=provider, user=user).first()
    if existing is not None:
        return staff_membership_change_role(actor=actor, membership=existing, role=role)
    membership = services.provider_membership_set(provider=provider, user=user, role=role)
    audit_record(actor=actor, action="create", obj=membership, changes={"role": [None, role]}, provider_id=provider.pk)
    return membership


@transaction.atomic
def staff_membership_change_role(*, actor, membership: ProviderMembership, role: str) -> ProviderMembership:
    before = membership.role
    services.provider_membership_change_role(membership=membership, role=role)
    if before != role:
        audit_record(
            actor=actor,
            action="update",
            obj=membership,
            changes={"role": [before, role]},
            provider_id=membership.provider_id,
        )
    return membership


@transaction.atomic
def staff_membership_remove(*, actor, membership: ProviderMembership) -> None:
    audit_record(
        actor=actor,
        action="delete",
        obj=membership,
        changes={"role": [membership.role, None]},
        provider_id=membership.provider_id,
    )
    services.provider_membership_remove(membership=membership)


@transaction.atomic
def staff_venue_create(*, actor, provider: Provider, **fields) -> Venue:
    venue = services.venue_create(city=provider.city, provider=provider, **fields)
    audit_record(
        actor=actor,
        action="create",
        obj=venue,
        changes=audit_diff({}, audit_snapshot(venue, VENUE_AUDITED)),
        provider_id=provider.pk,
    )
    return venue


@transaction.atomic
def staff_venue_update(*, actor, venue: Venue, **fields) -> Venue:
    before = audit_snapshot(venue, VENUE_AUDITED)
    services.venue_update(venue=venue, **fields)
    changes = audit_diff(before, audit_snapshot(venue, VENUE_AUDITED))
    if changes:
        audit_record(actor=actor, action="update", obj=venue, changes=changes, provider_id=venue.provider_id)
    return venue


# --- City administrators: providers, shared venues, districts, population ----------------

PROVIDER_AUDITED = [
    "name_th",
    "name_en",
    "slug",
    "kind",
    "description_th",
    "description_en",
    "contact_name",
    "website",
    "phone",
    "email",
    "is_active",
]
# First path segments of the workspace that are not providers ("city/...", "audit/").
RESERVED_PROVIDER_SLUGS = frozenset({"city", "audit"})


def _slug_taken_error() -> ProgrammeError:
    return ProgrammeError({"slug": [_("Another provider of this city already uses this slug.")]})


def _provider_slug_check(*, city: City, slug: str, exclude_pk: int | None = None) -> None:
    if slug in RESERVED_PROVIDER_SLUGS:
        raise ProgrammeError({"slug": [_("This slug is reserved: choose another.")]})
    taken = Provider.objects.filter(city=city, slug=slug)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise _slug_taken_error()


def _provider_slug_from_name(*, city: City, name_th: str, name_en: str) -> str:
    slug = services._unique_slug(Provider, name_en or name_th, fallback="provider", scope={"city": city})
    if slug in RESERVED_PROVIDER_SLUGS:
        slug = services._unique_slug(Provider, f"{slug}-provider", fallback="provider", scope={"city": city})
    return slug


@transaction.atomic
def staff_provider_create(
    *, actor, city: City, manager=None, slug: str = "", is_active: bool = True, **fields
) -> Provider:
    """A city administrator adds a provider (slug unique in the city, or made from the name),
    optionally with its first manager (an existing account). Audited: the provider and the
    membership."""
    slug = (slug or "").strip().lower()
    if slug:
        _provider_slug_check(city=city, slug=slug)
    else:
        slug = _provider_slug_from_name(city=city, name_th=fields.get("name_th", ""), name_en=fields.get("name_en", ""))
    try:
        with transaction.atomic():
            provider = services.provider_create(city=city, slug=slug, **fields)
    except IntegrityError as exc:  # the same slug saved at the same moment by someone else
        raise _slug_taken_error() from exc
    if not is_active:
        services.provider_update(provider=provider, is_active=False)
    audit_record(
        actor=actor,
        action="create",
        obj=provider,
        changes=audit_diff({}, audit_snapshot(provider, PROVIDER_AUDITED)),
        provider_id=provider.pk,
    )
    if manager is not None:
        membership = services.provider_membership_set(
            provider=provider, user=manager, role=ProviderMembership.Role.MANAGER
        )
        audit_record(
            actor=actor,
            action="create",
            obj=membership,
            changes={"role": [None, membership.role]},
            provider_id=provider.pk,
        )
    return provider


@transaction.atomic
def staff_provider_update(*, actor, provider: Provider, **fields) -> Provider:
    """A city administrator edits a provider's profile, slug or active flag (an inactive
    provider's programmes leave the catalogue; its staff lose the workspace). Audited with the
    changed fields before and after."""
    if "slug" in fields:
        fields["slug"] = (fields["slug"] or "").strip().lower()
        if fields["slug"] != provider.slug:
            _provider_slug_check(city=provider.city, slug=fields["slug"], exclude_pk=provider.pk)
    before = audit_snapshot(provider, PROVIDER_AUDITED)
    try:
        with transaction.atomic():
            services.provider_update(provider=provider, **fields)
    except IntegrityError as exc:
        raise _slug_taken_error() from exc
    changes = audit_diff(before, audit_snapshot(provider, PROVIDER_AUDITED))
    if changes:
        audit_record(actor=actor, action="update", obj=provider, changes=changes, provider_id=provider.pk)
    return provider


@transaction.atomic
def staff_shared_venue_create(*, actor, city: City, **fields) -> Venue:
    """A city administrator adds a shared venue (no provider: every provider of the city may
    schedule there)."""
    venue = services.venue_create(city=city, provider=None, **fields)
    audit_record(actor=actor, action="create", obj=venue, changes=audit_diff({}, audit_snapshot(venue, VENUE_AUDITED)))
    return venue


@transaction.atomic
def staff_districts_load(
    *, actor, city: City, district_code: str | None, level: str = District.Level.SUBDISTRICT
) -> DistrictLoadResult:
    """Load the city's districts from geothai (city_services.districts_load_from_geothai:
    idempotent, never deletes). Audited on the city. Raises CityDataError."""
    before = District.objects.filter(city=city).count()
    result = city_services.districts_load_from_geothai(
        city=city, province_code=city.province_code, district_code=district_code or None, level=level
    )
    if result.created or result.updated:
        audit_record(
            actor=actor,
            action="city.districts_load",
            obj=city,
            changes={"districts": [before, before + result.created]},
            note=f"geothai {city.province_code}/{district_code or '*'} {level}: "
            f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged",
        )
    return result


def _districts_with_boundary(city: City) -> int:
    return District.objects.filter(city=city, boundary__isnull=False).count()


@transaction.atomic
def staff_boundaries_attach(*, actor, city: City, file: IO[bytes], filename: str = "") -> BoundaryResult:
    """Attach an uploaded GeoJSON file's boundaries to the city's districts
    (city_services.district_boundaries_attach: a malformed file changes nothing and raises
    CityDataError). Audited on the city."""
    before = _districts_with_boundary(city)
    result = city_services.district_boundaries_attach(city=city, file=file)
    audit_record(
        actor=actor,
        action="city.boundaries",
        obj=city,
        changes={"districts_with_boundary": [before, _districts_with_boundary(city)]},
        note=f"{filename[:120]}: {result.attached} attached, {result.ignored} ignored",
    )
    return result


def _population_figures(city: City, years) -> int:
    return Population.objects.filter(district__city=city, year__in=list(years)).count()


@transaction.atomic
def staff_population_import(
    *, actor, city: City, file: IO[bytes], replace: bool = False, year: int | None = None, filename: str = ""
) -> ImportResult:
    """Import an uploaded population CSV (city_services.population_import_csv: a file with
    any bad line changes nothing and the result lists every error). A successful import is
    audited on the city with the number of figures of its years before and after."""
    population_year = city.population_year
    result = city_services.population_import_csv(city=city, file=file, replace=replace, year=year)
    if result.ok:
        after = _population_figures(city, result.years)
        before = after - result.created + result.deleted
        city.refresh_from_db(fields=["population_year"])
        changes = {"figures": [before, after]}
        if city.population_year != population_year:
            changes["population_year"] = [population_year, city.population_year]
        audit_record(
            actor=actor,
            action="city.population_import",
            obj=city,
            changes=changes,
            note=f"{filename[:120]}: years {', '.join(str(y) for y in result.years)}; "
            f"{result.created} new, {result.updated} updated, {result.deleted} deleted",
        )
    return result
