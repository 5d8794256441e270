"""Attendance and enrolments write signed changes (ActivityChange, dashboards migration 0008) that
the incremental refresh adds to ActivityDay instead of recomputing their days; every case ends
equal to an independent count of the raw rows and to a fresh rebuild."""

import datetime as dt
import importlib

import pytest
from django.db import connection

from learningcity.dashboards.models import (
    ActivityChange,
    ActivityDay,
    CountedCompletion,
    DirtyCourse,
    DirtyDay,
    DirtyLearnerMonth,
    LearnerMonth,
)
from learningcity.dashboards.services import aggregates_rebuild, aggregates_refresh, aggregates_refresh_rolling
from participants.models import Attendance, CompletionOverride, Enrolment
from programmes.models import Session
from tests.dashboards.test_aggregation_support import (
    NOW,
    activity_snapshot,
    at,
    diff,
    expected,
    expected_learners,
    learner_snapshot,
    learners_sum,
)
from tests.factories import (
    CategoryFactory,
    CourseFactory,
    DistrictFactory,
    EnrolmentFactory,
    ParticipantFactory,
    ProgrammeFactory,
    ProviderFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db
MONDAYS = [dt.date(2026, 3, 2) + dt.timedelta(days=7 * n) for n in range(4)]


def assert_equals_raw_and_rebuild() -> None:
    got = activity_snapshot()  # checks the monthly rollups against the days too
    wanted, _learners = expected(today=NOW.date())
    assert got == wanted, diff(got, wanted)
    aggregates_rebuild(now=NOW)
    assert activity_snapshot() == got


def changes() -> list[tuple]:
    return sorted(
        ActivityChange.objects.values_list(
            "session_id",
            "day",
            "course_id",
            "participant_id",
            "enrolments",
            "confirmed",
            "waitlist_unmet",
            "attendances",
        ),
        key=repr,
    )


@pytest.fixture
def course():
    provider = ProviderFactory()
    programme = ProgrammeFactory(provider=provider, categories=[CategoryFactory(position=1)], format="in_person")
    made = CourseFactory(
        programme=programme,
        starts_on=MONDAYS[0],
        ends_on=MONDAYS[-1],
        completion_min_attendance_pct=50,
        status="completed",
        venue__city=provider.city,
    )
    for day in MONDAYS:
        SessionFactory(course=made, starts_at=at(day), ends_at=at(day, 11))
    return made


@pytest.fixture
def person(course):
    return ParticipantFactory(district=DistrictFactory(city=course.programme.provider.city))


def sessions(course) -> list[Session]:
    return list(course.sessions.order_by("starts_at"))


def test_attendance_writes_signed_changes_and_marks_the_course_not_days(course, person):
    enrolment = EnrolmentFactory(participant=person, course=course, created_at=at(dt.date(2026, 2, 1)))
    aggregates_rebuild(now=NOW)
    first, second = sessions(course)[:2]
    mark = Attendance.objects.create(
        session=first, participant=person, enrolment=enrolment, status="present", marked_at=at(MONDAYS[0], 11)
    )
    Attendance.objects.create(
        session=second, participant=person, enrolment=enrolment, status="absent", marked_at=at(MONDAYS[1], 11)
    )
    assert changes() == [(first.pk, None, None, person.pk, 0, 0, 0, 1)]  # the absent mark changes nothing
    assert not DirtyDay.objects.exists()
    assert set(DirtyCourse.objects.values_list("course_id", flat=True)) == {course.pk}  # its completions

    ActivityChange.objects.all().delete()
    Attendance.objects.filter(pk=mark.pk).update(status="excused")
    Attendance.objects.filter(session=second).update(status="present")
    assert changes() == [(first.pk, None, None, person.pk, 0, 0, 0, -1), (second.pk, None, None, person.pk, 0, 0, 0, 1)]
    Attendance.objects.filter(session=second).update(note="late")  # no status change: no change row
    assert len(changes()) == 2

    aggregates_rebuild(now=NOW)
    Attendance.objects.filter(session=second).delete()
    assert changes() == [(second.pk, None, None, person.pk, 0, 0, 0, -1)]
    aggregates_refresh(now=NOW)
    assert not ActivityChange.objects.exists()
    assert_equals_raw_and_rebuild()


def test_enrolment_changes_are_signed_per_day(course, person):
    aggregates_rebuild(now=NOW)
    created, confirmed = dt.date(2026, 2, 1), dt.date(2026, 2, 5)
    row = EnrolmentFactory(
        participant=person, course=course, status="waitlisted", waitlist_position=1,
        created_at=at(created), confirmed_at=None,
    )  # fmt: skip
    assert changes() == [(None, created, course.pk, person.pk, 1, 0, 1, 0)]
    aggregates_refresh(now=NOW)
    assert_equals_raw_and_rebuild()

    Enrolment.objects.filter(pk=row.pk).update(status="confirmed", waitlist_position=None, confirmed_at=at(confirmed))
    # the request stays, its waiting-list demand is met, the place is counted on its own day
    assert changes() == [
        (None, created, course.pk, person.pk, 0, 0, -1, 0),
        (None, confirmed, course.pk, person.pk, 0, 1, 0, 0),
    ]
    aggregates_refresh(now=NOW)
    assert_equals_raw_and_rebuild()

    Enrolment.objects.filter(pk=row.pk).delete()
    aggregates_refresh(now=NOW)
    assert not ActivityDay.objects.exists()  # cells left at zero are deleted
    assert_equals_raw_and_rebuild()


def test_changes_are_added_to_the_stored_rows_not_recomputed(course, person):
    other = ParticipantFactory(district=person.district, sex="male" if person.sex != "male" else "female")
    enrolment = EnrolmentFactory(participant=person, course=course, created_at=at(dt.date(2026, 2, 1)))
    first = sessions(course)[0]
    Attendance.objects.create(session=first, participant=other, status="present", marked_at=at(MONDAYS[0], 11))
    aggregates_rebuild(now=NOW)
    # A row of the same day that no change touches is left as it is: the day is not recomputed.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE dashboards_activityday SET learning_minutes = learning_minutes + 1 WHERE day = %s", [MONDAYS[0]]
        )
    Attendance.objects.create(
        session=first, participant=person, enrolment=enrolment, status="present", marked_at=at(MONDAYS[0], 11)
    )
    run = aggregates_refresh(now=NOW)
    assert run.days_refreshed == 1  # the session's day; the course's completions did not change
    by_sex = {row.sex: row for row in ActivityDay.objects.filter(day=MONDAYS[0])}
    assert (by_sex[other.sex].attendances, by_sex[other.sex].learning_minutes) == (1, 121)  # the stray minute stays
    assert (by_sex[person.sex].attendances, by_sex[person.sex].learning_minutes) == (1, 120)  # the change added
    aggregates_rebuild(now=NOW)
    assert sorted(ActivityDay.objects.filter(day=MONDAYS[0]).values_list("learning_minutes", flat=True)) == [120, 120]


def updated_rows(table: str) -> int:
    """Row versions written by UPDATE (ON CONFLICT ... DO UPDATE too) in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relid = %s::regclass", [table])
        return cursor.fetchone()[0]


def test_a_removed_mark_rewrites_each_stored_row_once(course, person):
    other = ParticipantFactory(district=person.district, sex=person.sex, birth_date=person.birth_date)
    first = sessions(course)[0]
    mark = Attendance.objects.create(session=first, participant=person, status="present", marked_at=at(MONDAYS[0], 11))
    Attendance.objects.create(session=first, participant=other, status="present", marked_at=at(MONDAYS[0], 11))
    aggregates_rebuild(now=NOW)
    assert ActivityDay.objects.get(day=MONDAYS[0]).attendances == 2  # one cell: the two are alike
    before = {table: updated_rows(table) for table in ("dashboards_activityday", "dashboards_activitymonth")}
    Attendance.objects.filter(pk=mark.pk).delete()
    aggregates_refresh(now=NOW)
    # The loss is subtracted from the day's and the month's row: one new version each, not a
    # version with nothing added first.
    assert {table: updated_rows(table) - n for table, n in before.items()} == {
        "dashboards_activityday": 1,
        "dashboards_activitymonth": 1,
    }
    assert ActivityDay.objects.get(day=MONDAYS[0]).attendances == 1
    assert_equals_raw_and_rebuild()


def test_a_loss_in_a_rollup_cell_that_holds_nothing_stops_the_run(course, person):
    first = sessions(course)[0]
    mark = Attendance.objects.create(session=first, participant=person, status="present", marked_at=at(MONDAYS[0], 11))
    aggregates_rebuild(now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM dashboards_activitymonth")  # the rollup no longer matches its days
    day = set(ActivityDay.objects.values_list())
    Attendance.objects.filter(pk=mark.pk).delete()
    with pytest.raises(RuntimeError, match="missing cell"):
        aggregates_refresh(now=NOW)
    # Rolled back: nothing written, the change still waiting for the next run (or a rebuild).
    assert set(ActivityDay.objects.values_list()) == day
    assert changes() == [(first.pk, None, None, person.pk, 0, 0, 0, -1)]
    aggregates_rebuild(now=NOW)
    assert_equals_raw_and_rebuild()


def test_a_change_the_table_never_saw_recomputes_its_day(course, person):
    last = sessions(course)[-1]  # on the course's last day, where its completions are counted
    EnrolmentFactory(participant=person, course=course, status="completed", created_at=at(dt.date(2026, 2, 1)))
    Attendance.objects.create(session=last, participant=person, status="present", marked_at=at(MONDAYS[-1], 11))
    aggregates_rebuild(now=NOW)
    assert ActivityDay.objects.get(day=course.ends_on).completions == 1
    # A loss for a cell that holds nothing (rows written outside the triggers, say): the run
    # does not fail on the table's CHECK; it recomputes the day from the raw rows.
    stranger = ParticipantFactory(district=person.district, sex="other")
    ActivityChange.objects.create(session=last, participant=stranger, attendances=-1, marked_at=NOW)
    aggregates_refresh(now=NOW)
    assert not ActivityChange.objects.exists()
    assert_equals_raw_and_rebuild()


def test_a_loss_larger_than_its_row_recomputes_that_day_and_adds_the_others(course, person):
    other = ParticipantFactory(district=person.district, sex=person.sex, birth_date=person.birth_date)
    first, second = sessions(course)[:2]
    mark = Attendance.objects.create(session=first, participant=person, status="present", marked_at=at(MONDAYS[0], 11))
    Attendance.objects.create(session=second, participant=other, status="present", marked_at=at(MONDAYS[1], 11))
    aggregates_rebuild(now=NOW)
    with connection.cursor() as cursor:  # a stray minute on the second day: kept if its change is added
        cursor.execute(
            "UPDATE dashboards_activityday SET learning_minutes = learning_minutes + 1 WHERE day = %s", [MONDAYS[1]]
        )
    # The first day's row holds one mark; its cell loses two (a change it never saw: the CHECK
    # refuses the write, which is undone and the day recomputed); the second day's cell gains one.
    Attendance.objects.filter(pk=mark.pk).delete()
    ActivityChange.objects.create(session=first, participant=other, attendances=-1, marked_at=NOW)
    Attendance.objects.create(session=second, participant=person, status="present", marked_at=at(MONDAYS[1], 11))
    aggregates_refresh(now=NOW)
    assert not ActivityDay.objects.filter(day=MONDAYS[0]).exists()
    assert ActivityDay.objects.values_list("attendances", "learning_minutes").get(day=MONDAYS[1]) == (2, 241)
    assert not ActivityChange.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE dashboards_activityday SET learning_minutes = learning_minutes - 1 WHERE day = %s", [MONDAYS[1]]
        )
    assert_equals_raw_and_rebuild()


def test_changes_of_a_day_recomputed_whole_are_not_counted_twice(course, person):
    first, second = sessions(course)[:2]
    aggregates_rebuild(now=NOW)
    Attendance.objects.create(session=first, participant=person, status="present", marked_at=at(MONDAYS[0], 11))
    Attendance.objects.create(session=second, participant=person, status="present", marked_at=at(MONDAYS[1], 11))
    Session.objects.filter(pk=first.pk).update(ends_at=at(MONDAYS[0], 12))  # marks its day: recomputed whole
    Session.objects.filter(pk=second.pk).update(is_cancelled=True)  # its marks no longer count
    assert len(changes()) == 2
    aggregates_refresh(now=NOW)
    assert ActivityDay.objects.get(day=MONDAYS[0]).learning_minutes == 180
    assert not ActivityDay.objects.filter(day=MONDAYS[1]).exists()
    assert_equals_raw_and_rebuild()


def test_a_change_at_a_session_moved_since_counts_on_its_new_day(course, person):
    first = sessions(course)[0]
    aggregates_rebuild(now=NOW)
    Attendance.objects.create(session=first, participant=person, status="present", marked_at=at(MONDAYS[0], 11))
    moved = MONDAYS[0] + dt.timedelta(days=1)
    Session.objects.filter(pk=first.pk).update(starts_at=at(moved), ends_at=at(moved, 10))
    aggregates_refresh(now=NOW)
    assert list(ActivityDay.objects.values_list("day", "attendances", "learning_minutes")) == [(moved, 1, 60)]
    assert_equals_raw_and_rebuild()


def test_the_rebuild_takes_the_pending_changes(course, person):
    aggregates_rebuild(now=NOW)
    EnrolmentFactory(participant=person, course=course, created_at=at(dt.date(2026, 2, 1)))
    Attendance.objects.create(
        session=sessions(course)[0], participant=person, status="present", marked_at=at(MONDAYS[0], 11)
    )
    assert len(changes()) == 3  # the request, the place, the mark
    aggregates_rebuild(now=NOW)
    assert not ActivityChange.objects.exists()
    snapshot = activity_snapshot()
    run = aggregates_refresh(now=NOW)
    assert run.days_refreshed == 0 and activity_snapshot() == snapshot
    assert_equals_raw_and_rebuild()


# --- Distinct learners from the changes: added marks insert only the learner rows they create --


def assert_learners_equal_raw_and_rebuild() -> None:
    got = learner_snapshot()
    wanted = expected_learners(today=NOW.date())
    assert got == wanted, diff(got, wanted)
    aggregates_rebuild(now=NOW)
    assert learner_snapshot() == got


def test_an_added_mark_of_someone_already_counted_changes_no_learner_row(course, person):
    first, second = sessions(course)[:2]
    Attendance.objects.create(session=first, participant=person, status="present", marked_at=at(MONDAYS[0], 11))
    aggregates_rebuild(now=NOW)
    rows, learners = set(LearnerMonth.objects.values_list()), learner_snapshot()
    Attendance.objects.create(session=second, participant=person, status="present", marked_at=at(MONDAYS[1], 11))
    assert not DirtyLearnerMonth.objects.exists()
    run = aggregates_refresh(now=NOW)
    assert set(LearnerMonth.objects.values_list()) == rows and learner_snapshot() == learners
    assert run.periods_refreshed == 0
    assert_learners_equal_raw_and_rebuild()


def test_added_marks_count_new_learners_and_new_dimension_values(course, person):
    first = sessions(course)[0]
    newcomer = ParticipantFactory(district=person.district)
    Attendance.objects.create(session=first, participant=person, status="present", marked_at=at(MONDAYS[0], 11))
    aggregates_rebuild(now=NOW)
    # the same person in another programme (another category) of the same month, and a newcomer
    programme = ProgrammeFactory(provider=course.programme.provider, categories=[CategoryFactory(position=2)])
    other = CourseFactory(programme=programme, starts_on=MONDAYS[1], ends_on=MONDAYS[1], venue=course.venue)
    elsewhere = SessionFactory(course=other, starts_at=at(MONDAYS[1]), ends_at=at(MONDAYS[1], 11))
    Attendance.objects.create(session=elsewhere, participant=person, status="present", marked_at=at(MONDAYS[1], 11))
    Attendance.objects.create(session=first, participant=newcomer, status="present", marked_at=at(MONDAYS[0], 11))
    cancelled = SessionFactory(course=other, starts_at=at(MONDAYS[2]), ends_at=at(MONDAYS[2], 11), is_cancelled=True)
    Attendance.objects.create(session=cancelled, participant=newcomer, status="present", marked_at=at(MONDAYS[2], 11))
    aggregates_refresh(now=NOW)
    march = {"kind": "month", "period_end": dt.date(2026, 3, 31)}
    assert learners_sum(**march, dimension="all") == 2
    assert learners_sum(**march, dimension="category") == 3
    category = str(programme.categories.get().pk)
    # the newcomer's mark in that programme was at a cancelled session: not a learner of it
    assert not LearnerMonth.objects.filter(participant_id=newcomer.pk, dimension="category", value=category).exists()
    assert_learners_equal_raw_and_rebuild()


def test_a_mark_added_then_removed_before_the_refresh_counts_nothing(course, person):
    first = sessions(course)[0]
    aggregates_rebuild(now=NOW)
    before = learner_snapshot()
    mark = Attendance.objects.create(session=first, participant=person, status="present", marked_at=at(MONDAYS[0], 11))
    Attendance.objects.filter(pk=mark.pk).delete()
    aggregates_refresh(now=NOW)
    assert learner_snapshot() == before and not LearnerMonth.objects.exists()
    assert_learners_equal_raw_and_rebuild()


# --- Completions: a marked course's completions compared with CountedCompletion ---------------


def counted() -> set[tuple]:
    return set(CountedCompletion.objects.values_list("enrolment_id", "course_id", "participant_id", "day"))


def completions() -> int:
    return sum(ActivityDay.objects.values_list("completions", flat=True))


def test_marks_overrides_and_deletions_change_completions_without_recomputing_the_last_day(course, person):
    late = ParticipantFactory(district=person.district)
    rows = {
        p: EnrolmentFactory(participant=p, course=course, created_at=at(dt.date(2026, 2, 1))) for p in (person, late)
    }
    first, second = sessions(course)[:2]
    Attendance.objects.create(session=first, participant=person, status="present", marked_at=at(MONDAYS[0], 11))
    Attendance.objects.create(session=second, participant=person, status="present", marked_at=at(MONDAYS[1], 11))
    aggregates_rebuild(now=NOW)
    assert completions() == 1 and counted() == {(rows[person].pk, course.pk, person.pk, course.ends_on)}
    # 2 of 4 sessions at 50 %: late marks complete the second person, counted on the course's last day
    for session in (first, second):
        Attendance.objects.create(session=session, participant=late, status="present", marked_at=NOW)
    assert not DirtyDay.objects.exists()
    run = aggregates_refresh(now=NOW)
    assert completions() == 2 and len(counted()) == 2
    assert run.days_refreshed == 3  # the two session days (marks) and the last day (a completion)
    assert_equals_raw_and_rebuild()
    # staff decide the first did not complete; the second's enrolment is deleted
    CompletionOverride.objects.create(enrolment=rows[person], completed=False, reason="ไม่ผ่าน", decided_at=NOW)
    Attendance.objects.filter(participant=late).delete()
    Enrolment.objects.filter(pk=rows[late].pk).delete()
    aggregates_refresh(now=NOW)
    assert completions() == 0 and counted() == set()
    assert_equals_raw_and_rebuild()


def test_a_course_that_has_not_ended_counts_no_completion_until_the_nightly_job(course, person):
    EnrolmentFactory(participant=person, course=course, status="completed", created_at=at(dt.date(2026, 2, 1)))
    before_end = at(course.ends_on, 20)
    aggregates_rebuild(now=before_end)
    assert completions() == 0 and counted() == set()
    Attendance.objects.create(session=sessions(course)[0], participant=person, status="present", marked_at=NOW)
    aggregates_refresh(now=before_end)
    assert completions() == 0 and counted() == set()
    aggregates_refresh_rolling(now=at(course.ends_on + dt.timedelta(days=1), 2))
    assert completions() == 1 and len(counted()) == 1


def test_after_the_migration_the_passed_last_days_fill_the_counted_completions(course, person):
    EnrolmentFactory(participant=person, course=course, status="completed", created_at=at(dt.date(2026, 2, 1)))
    aggregates_rebuild(now=NOW)
    CountedCompletion.objects.all().delete()  # as right after migration 0008
    migration = importlib.import_module("learningcity.dashboards.migrations.0008_activity_changes")
    with connection.cursor() as cursor:
        cursor.execute(migration.PASSED_ENDS)
    assert DirtyDay.objects.filter(day=course.ends_on).exists()
    aggregates_refresh(now=NOW)
    assert completions() == 1 and len(counted()) == 1
    assert_equals_raw_and_rebuild()


def test_a_mark_changed_back_and_forth_before_the_refresh_counts_once(course, person):
    aggregates_rebuild(now=NOW)
    mark = Attendance.objects.create(
        session=sessions(course)[0], participant=person, status="present", marked_at=at(MONDAYS[0], 11)
    )
    Attendance.objects.filter(pk=mark.pk).update(status="absent")
    Attendance.objects.filter(pk=mark.pk).update(status="present")
    assert [change[-1] for change in changes()] == [-1, 1, 1]  # two equal rows: both count
    aggregates_refresh(now=NOW)
    assert sum(ActivityDay.objects.values_list("attendances", flat=True)) == 1
    assert_equals_raw_and_rebuild()
