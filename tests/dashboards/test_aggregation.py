"""The summary tables equal independent counts of the raw data (per dimension and measure),
incremental refreshes equal a full rebuild, and the definitions hold on hand-made cases."""

import datetime as dt
import logging

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from learningcity.dashboards.models import ActivityChange, ActivityDay, DirtyCourse, DirtyDay, LearnerPeriod, RefreshRun
from learningcity.dashboards.services import aggregates_rebuild, aggregates_refresh, aggregates_refresh_rolling
from participants import services as participant_services
from participants.models import Attendance, CompletionOverride, Enrolment, Participant
from programmes.models import Course, Session
from tests.dashboards.test_aggregation_support import (
    GENERATED_NOW,
    NOW,
    at,
    diff,
    expected,
    generate_tiny_city,
    snapshot,
)
from tests.factories import (
    CategoryFactory,
    CourseFactory,
    DistrictFactory,
    EnrolmentFactory,
    ParticipantFactory,
    ProgrammeFactory,
    ProviderFactory,
    ProviderMembershipFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db
TODAY = NOW.date()


def assert_tables_equal_raw(today: dt.date) -> None:
    activity, learners = snapshot()
    wanted_activity, wanted_learners = expected(today=today)
    assert activity == wanted_activity, diff(activity, wanted_activity)
    assert learners == wanted_learners, diff(learners, wanted_learners)


@pytest.fixture
def city():
    generate_tiny_city()


# --- The generated city: every dimension and measure against independent counts -----------


def test_rebuild_equals_independent_counts_for_every_dimension_and_measure(city):
    run = aggregates_rebuild(now=GENERATED_NOW)
    assert (
        run.kind == RefreshRun.Kind.REBUILD
        and run.rows_written == ActivityDay.objects.count() + LearnerPeriod.objects.count()
    )
    assert (
        ActivityDay.objects.filter(completions__gt=0).exists()
        and ActivityDay.objects.filter(waitlist_unmet__gt=0).exists()
    )
    assert set(LearnerPeriod.objects.values_list("dimension", flat=True)) == {
        "all",
        "provider",
        "category",
        "block",
        "format",
    }
    assert_tables_equal_raw(GENERATED_NOW.date())
    assert not DirtyDay.objects.exists()


def test_generated_rows_were_marked_dirty_by_copy_and_an_incremental_run_equals_the_rebuild(city):
    assert DirtyDay.objects.exists()  # the COPY load fired the statement triggers
    aggregates_refresh(now=GENERATED_NOW)
    incremental = snapshot()
    aggregates_rebuild(now=GENERATED_NOW)
    assert snapshot() == incremental


def test_running_twice_gives_identical_tables(city):
    aggregates_rebuild(now=GENERATED_NOW)
    first = snapshot()
    aggregates_rebuild(now=GENERATED_NOW)
    aggregates_refresh(now=GENERATED_NOW)
    aggregates_refresh_rolling(now=GENERATED_NOW)
    assert snapshot() == first


def _staff_of(course):
    return ProviderMembershipFactory(provider=course.programme.provider, role="manager").user


def test_incremental_refresh_after_changes_equals_a_full_rebuild(city):
    aggregates_rebuild(now=GENERATED_NOW)
    assert aggregates_refresh(now=GENERATED_NOW).days_refreshed == 0
    # new attendance (a present mark where there was none) and an absent mark turned present
    course = (
        Course.objects.filter(ends_on__lt=GENERATED_NOW.date(), status="completed", enrolments__status="confirmed")
        .filter(sessions__attendances__status="absent")
        .order_by("pk")
        .first()
    )
    staff = _staff_of(course)
    enrolled = course.enrolments.filter(status__in=["confirmed", "completed"]).order_by("pk")
    session, fresh = next(
        (s, e)
        for s in course.sessions.filter(is_cancelled=False).order_by("starts_at")
        for e in enrolled
        if not s.attendances.filter(participant_id=e.participant_id).exists()
    )
    participant_services.attendance_mark(
        session=session, participant=fresh.participant, status="present", actor=staff, now=GENERATED_NOW
    )
    absent = Attendance.objects.filter(status="absent", session__is_cancelled=False).order_by("pk").first()
    absent.status = "present"
    absent.save(update_fields=["status"])
    # a session moved to another day (late edit of an old session)
    moved = Session.objects.filter(is_cancelled=False, attendances__status="present").order_by("pk").first()
    Session.objects.filter(pk=moved.pk).update(
        starts_at=moved.starts_at - dt.timedelta(days=40),
        ends_at=moved.ends_at - dt.timedelta(days=40) + dt.timedelta(minutes=30),
    )
    # an enrolment confirmed later, and a waiting-list place given up
    waiting = Enrolment.objects.filter(status="waitlisted").order_by("pk")
    later = waiting[0]
    Enrolment.objects.filter(pk=later.pk).update(status="confirmed", waitlist_position=None, confirmed_at=GENERATED_NOW)
    # an override of the completion rule (both ways)
    done = enrolled.first()
    participant_services.completion_override_set(
        enrolment=done, completed=False, reason="ไม่ผ่านเกณฑ์", actor=staff, now=GENERATED_NOW
    )
    other = (
        Enrolment.objects.filter(course__ends_on__lt=GENERATED_NOW.date(), status="confirmed")
        .exclude(course=course)
        .order_by("pk")
        .first()
    )
    CompletionOverride.objects.create(enrolment=other, completed=True, reason="ทำงานชดเชย", decided_at=GENERATED_NOW)
    # a course whose end moved
    Course.objects.filter(pk=course.pk).update(ends_on=course.ends_on + dt.timedelta(days=1))

    run = aggregates_refresh(now=GENERATED_NOW)
    assert run.days_refreshed > 0 and run.periods_refreshed > 0
    incremental = snapshot()
    assert_tables_equal_raw(GENERATED_NOW.date())
    aggregates_rebuild(now=GENERATED_NOW)
    assert snapshot() == incremental


def test_erasure_keeps_the_aggregates_equal_to_the_raw_data(city):
    aggregates_rebuild(now=GENERATED_NOW)
    person = (
        Participant.objects.filter(account__isnull=False, is_self=True, attendances__status="present")
        .order_by("pk")
        .first()
    )
    # a birthday that the erasure moves to 1 July changes the age group on some days
    Participant.objects.filter(pk=person.pk).update(birth_date=dt.date(2001, 12, 30))
    aggregates_refresh(now=GENERATED_NOW)
    participant_services.account_erase(user=person.account, now=GENERATED_NOW)
    person.refresh_from_db()
    assert person.anonymised_at is not None and person.birth_date == dt.date(2001, 7, 1)
    assert DirtyDay.objects.exists()
    aggregates_refresh(now=GENERATED_NOW)
    assert_tables_equal_raw(GENERATED_NOW.date())
    after = snapshot()
    aggregates_rebuild(now=GENERATED_NOW)
    assert snapshot() == after


def test_nothing_new_records_a_cheap_run_and_logs_it(city, caplog):
    aggregates_rebuild(now=GENERATED_NOW)
    with caplog.at_level(logging.INFO, logger="learningcity.dashboards.services"):
        run = aggregates_refresh(now=GENERATED_NOW + dt.timedelta(minutes=5))
    assert (run.days_refreshed, run.periods_refreshed, run.rows_written) == (0, 0, 0)
    assert RefreshRun.objects.latest().pk == run.pk
    assert "incremental refresh: 0 days, 0 periods, 0 rows" in caplog.text


def test_rebuild_command_prints_rows_and_duration(city):
    out = []

    class Out:
        def write(self, text, *args, **kwargs):
            out.append(text)

    call_command("dashboards_rebuild", stdout=Out())
    run = RefreshRun.objects.latest()
    assert run.kind == "rebuild" and str(run.rows_written) in "".join(out)


# --- Hand-made cases ------------------------------------------------------------------------


@pytest.fixture
def world():
    provider = ProviderFactory()
    district = DistrictFactory(city=provider.city)
    first, second = (
        CategoryFactory(position=2, building_blocks=[1, 4]),
        CategoryFactory(position=1, building_blocks=[4, 6]),
    )
    programme = ProgrammeFactory(provider=provider, categories=[first, second], format="online")
    return provider, district, programme, (first, second)


def _course(programme, *, starts_on, sessions, pct=80, status="completed"):
    course = CourseFactory(
        programme=programme,
        starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(days=7 * (sessions - 1)),
        completion_min_attendance_pct=pct,
        status=status,
        venue__city=programme.provider.city,
    )
    made = [
        SessionFactory(
            course=course,
            starts_at=at(starts_on + dt.timedelta(days=7 * n)),
            ends_at=at(starts_on + dt.timedelta(days=7 * n), 11),
        )
        for n in range(sessions)
    ]
    return course, made


def _present(sessions, participant, enrolment=None):
    for session in sessions:
        Attendance.objects.create(
            session=session, participant=participant, enrolment=enrolment, status="present", marked_at=session.ends_at
        )


def test_completion_rule_and_overrides(world):
    _provider, district, programme, _cats = world
    course, sessions = _course(programme, starts_on=dt.date(2026, 3, 2), sessions=5, pct=80)
    people = [ParticipantFactory(district=district) for _ in range(5)]
    rows = [EnrolmentFactory(participant=p, course=course, created_at=at(dt.date(2026, 2, 1))) for p in people]
    _present(sessions[:4], people[0])  # 80 %: completes by the rule
    _present(sessions[:3], people[1])  # 60 %: does not
    _present(sessions[:3], people[2])  # 60 % but staff say completed
    CompletionOverride.objects.create(enrolment=rows[2], completed=True, reason="ชดเชย", decided_at=NOW)
    _present(sessions, people[3])  # 100 % but staff say not completed
    CompletionOverride.objects.create(enrolment=rows[3], completed=False, reason="ไม่ผ่าน", decided_at=NOW)
    Enrolment.objects.filter(pk=rows[4].pk).update(status="completed")  # marked completed, no attendance
    SessionFactory(course=course, starts_at=at(course.ends_on, 14), ends_at=at(course.ends_on, 16), is_cancelled=True)

    aggregates_rebuild(now=NOW)
    assert sum(ActivityDay.objects.values_list("completions", flat=True)) == 3
    assert set(ActivityDay.objects.filter(completions__gt=0).values_list("day", flat=True)) == {course.ends_on}
    assert_tables_equal_raw(TODAY)
    # before the course has ended, nothing is completed
    aggregates_rebuild(now=at(course.ends_on, 20))
    assert sum(ActivityDay.objects.values_list("completions", flat=True)) == 0
    # the nightly job counts it the day after
    aggregates_refresh_rolling(now=at(course.ends_on + dt.timedelta(days=1), 2))
    assert sum(ActivityDay.objects.values_list("completions", flat=True)) == 3
    # a cancelled course completes no one
    Course.objects.filter(pk=course.pk).update(status="cancelled")
    aggregates_refresh(now=NOW)
    assert sum(ActivityDay.objects.values_list("completions", flat=True)) == 0


def test_waiting_list_demand(world):
    _provider, district, programme, _cats = world
    course, _sessions = _course(programme, starts_on=dt.date(2026, 5, 4), sessions=1)
    day = dt.date(2026, 4, 1)

    def row(status, **kw):
        defaults = {"created_at": at(day), "confirmed_at": None}
        defaults.update(kw)
        return EnrolmentFactory(
            participant=ParticipantFactory(district=district), course=course, status=status, **defaults
        )

    row("waitlisted", waitlist_position=1)  # counts
    row("offered", offer_expires_at=at(day, 20), offered_at=at(day, 10))  # counts: no place yet
    row("cancelled", cancelled_reason="waitlist_left", cancelled_at=at(day, 12))  # counts: gave up waiting
    row("cancelled", cancelled_reason="offer_declined", cancelled_at=at(day, 12))  # a place was offered
    row("cancelled", cancelled_reason="course_cancelled", cancelled_at=at(day, 12))  # not known to be waiting
    row("confirmed", confirmed_at=at(day + dt.timedelta(days=3)))  # got a place later
    aggregates_rebuild(now=NOW)
    by_day = {d.day: d for d in ActivityDay.objects.all()}
    assert by_day[day].waitlist_unmet == 3 and by_day[day].enrolments == 6 and by_day[day].confirmed == 0
    assert by_day[day + dt.timedelta(days=3)].confirmed == 1
    assert_tables_equal_raw(TODAY)


def test_learners_are_distinct_per_period_and_age_is_taken_at_period_end(world):
    _provider, district, programme, (first, second) = world
    _course_row, sessions = _course(programme, starts_on=dt.date(2025, 11, 24), sessions=4)  # Nov 24 .. Dec 15
    # 59 on every session day, 60 on 20 December 2025: "60-64" at the end of December and of 2025
    person = ParticipantFactory(district=district, birth_date=dt.date(1965, 12, 20), sex="male")
    _present(sessions, person)
    aggregates_rebuild(now=NOW)

    def learners(kind, end, dimension="all", value=""):
        rows = LearnerPeriod.objects.filter(kind=kind, period_end=end, dimension=dimension, value=value)
        return {(r.age_from, r.sex, r.district_id): r.learners for r in rows}

    assert learners("month", dt.date(2025, 11, 30)) == {(25, "male", district.pk): 1}
    assert learners("month", dt.date(2025, 12, 31)) == {(60, "male", district.pk): 1}  # four marks, one learner
    assert learners("year", dt.date(2025, 12, 31)) == {(60, "male", district.pk): 1}
    day_marks = ActivityDay.objects.filter(attendances__gt=0)
    assert sorted(d.age_from for d in day_marks) == [25, 25, 25, 25]  # the day's age
    # each category and each building block once, although block 4 comes from both categories
    assert learners("month", dt.date(2025, 12, 31), "category", str(first.pk)) == {(60, "male", district.pk): 1}
    assert learners("month", dt.date(2025, 12, 31), "category", str(second.pk)) == {(60, "male", district.pk): 1}
    blocks = LearnerPeriod.objects.filter(kind="month", period_end=dt.date(2025, 12, 31), dimension="block")
    assert sorted((r.value, r.learners) for r in blocks) == [("1", 1), ("4", 1), ("6", 1)]
    # the daily facts use the first category by position
    assert set(ActivityDay.objects.values_list("category_id", flat=True)) == {second.pk}
    # rolling windows: Dec 2025 .. Nov 2026 contain December; the window ending Dec 2026 does not exist yet (future)
    ends = sorted(LearnerPeriod.objects.filter(kind="rolling12", dimension="all").values_list("period_end", flat=True))
    assert ends[0] == dt.date(2025, 11, 30) and ends[-1] == dt.date(2026, 6, 30)  # up to the current month
    window = LearnerPeriod.objects.get(kind="rolling12", dimension="all", period_end=dt.date(2026, 6, 30))
    assert window.period_start == dt.date(2025, 7, 1) and window.learners == 1 and window.age_from == 60
    assert_tables_equal_raw(TODAY)


def test_rolling_window_drops_a_learner_after_twelve_months(world):
    _provider, district, programme, _cats = world
    _course_row, sessions = _course(programme, starts_on=dt.date(2025, 3, 10), sessions=1)
    _present(sessions, ParticipantFactory(district=district))
    aggregates_rebuild(now=NOW)
    ends = set(LearnerPeriod.objects.filter(kind="rolling12", dimension="all").values_list("period_end", flat=True))
    assert dt.date(2026, 2, 28) in ends and dt.date(2026, 3, 31) not in ends
    assert dt.date(2025, 2, 28) not in ends


def test_nightly_job_creates_the_new_months_rolling_window_and_forgets_old_no_op_runs(world):
    _provider, district, programme, _cats = world
    _course_row, sessions = _course(programme, starts_on=dt.date(2026, 5, 11), sessions=1)
    _present(sessions, ParticipantFactory(district=district))
    aggregates_rebuild(now=NOW)
    old = RefreshRun.objects.create(
        kind="incremental", started_at=NOW - dt.timedelta(days=9), finished_at=NOW - dt.timedelta(days=9)
    )
    july = at(dt.date(2026, 7, 1), 2)
    assert not LearnerPeriod.objects.filter(kind="rolling12", period_end=dt.date(2026, 7, 31)).exists()
    aggregates_refresh(now=july)  # nothing dirty: the window of the new month is not made here
    assert not LearnerPeriod.objects.filter(kind="rolling12", period_end=dt.date(2026, 7, 31)).exists()
    run = aggregates_refresh_rolling(now=july)
    assert run.kind == "rolling" and run.periods_refreshed > 0
    assert LearnerPeriod.objects.filter(kind="rolling12", period_end=dt.date(2026, 7, 31), learners=1).exists()
    assert not RefreshRun.objects.filter(pk=old.pk).exists()
    incremental = snapshot()
    aggregates_rebuild(now=july)
    assert snapshot() == incremental


def test_participant_changes_mark_their_days(world):
    _provider, district, programme, _cats = world
    course, sessions = _course(programme, starts_on=dt.date(2026, 1, 5), sessions=2)
    person = ParticipantFactory(district=district)
    enrolment = EnrolmentFactory(
        participant=person, course=course, created_at=at(dt.date(2025, 12, 1)), confirmed_at=at(dt.date(2025, 12, 2))
    )
    _present(sessions, person, enrolment)
    aggregates_rebuild(now=NOW)
    Participant.objects.filter(pk=person.pk).update(updated_at=timezone.now())  # nothing relevant changed
    assert not DirtyDay.objects.exists()
    Participant.objects.filter(pk=person.pk).update(district=None, lives_outside_city=True)
    marked = set(DirtyDay.objects.values_list("day", flat=True))
    assert marked == {dt.date(2025, 12, 1), dt.date(2025, 12, 2), dt.date(2026, 1, 5), dt.date(2026, 1, 12)}
    aggregates_refresh(now=NOW)
    assert set(ActivityDay.objects.values_list("district_id", flat=True)) == {None}
    assert_tables_equal_raw(TODAY)


def test_copy_into_attendance_writes_its_change_and_marks_the_course(world):
    _provider, district, programme, _cats = world
    course, sessions = _course(programme, starts_on=dt.date(2026, 2, 2), sessions=1)
    person = ParticipantFactory(district=district)
    DirtyDay.objects.all().delete()
    connection.ensure_connection()
    with (
        connection.connection.cursor() as cur,
        cur.copy(
            "COPY participants_attendance (session_id, participant_id, status, marked_at, note) FROM STDIN"
        ) as copy,
    ):
        copy.write_row((sessions[0].pk, person.pk, "present", NOW, ""))
    assert not DirtyDay.objects.exists()  # statement triggers fire for COPY too
    assert list(ActivityChange.objects.values_list("session_id", "participant_id", "attendances")) == [
        (sessions[0].pk, person.pk, 1)
    ]
    assert list(DirtyCourse.objects.values_list("course_id", flat=True)) == [course.pk]
