"""Distinct learners kept by difference (LearnerMonth -> LearnerPeriod): each case changes the
raw data after a rebuild, runs the incremental refresh, and checks the named effect, the
independent raw count and a fresh rebuild."""

import datetime as dt
import importlib

import pytest
from django.db import connection

from learningcity.dashboards import aggregation
from learningcity.dashboards.models import (
    ActivityChange,
    BuiltPeriod,
    DirtyDay,
    DirtyLearnerMonth,
    LearnerMonth,
    LearnerPeriod,
    LearnerPeriodDelta,
)
from learningcity.dashboards.services import aggregates_rebuild, aggregates_refresh, aggregates_refresh_rolling
from participants.models import Attendance, Participant
from programmes.models import Course, Programme, Session
from tests.dashboards.test_aggregation_support import NOW, at, diff, expected_learners, learner_snapshot, learners_sum
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


def month_end(year: int, month: int) -> dt.date:
    first = dt.date(year + month // 12, month % 12 + 1, 1)
    return first - dt.timedelta(days=1)


@pytest.fixture
def world():
    provider = ProviderFactory()
    districts = (DistrictFactory(city=provider.city), DistrictFactory(city=provider.city))
    programme = ProgrammeFactory(
        provider=provider, categories=[CategoryFactory(position=1, building_blocks=[2, 6])], format="in_person"
    )
    return programme, districts


def session_on(programme, day: dt.date):
    course = CourseFactory(
        programme=programme, starts_on=day, ends_on=day, status="completed", venue__city=programme.provider.city
    )
    return SessionFactory(course=course, starts_at=at(day), ends_at=at(day, 11))


def present(session, participant) -> Attendance:
    return Attendance.objects.create(
        session=session, participant=participant, status="present", marked_at=session.ends_at
    )


def learners(kind: str, end: dt.date, **cell) -> int:
    return learners_sum(kind=kind, period_end=end, dimension="all", value="", **cell)


def assert_refresh_equals_raw_and_rebuild(now=NOW) -> None:
    got = learner_snapshot()
    wanted = expected_learners(today=now.date())
    assert got == wanted, diff(got, wanted)
    aggregates_rebuild(now=now)
    assert learner_snapshot() == got


@pytest.fixture(params=["looked up", "hashed"])
def sessions(request, monkeypatch):
    """Both ways of matching marked people's marks with their sessions (_sessions_hashed)."""
    if request.param == "hashed":
        monkeypatch.setattr(aggregation, "_sessions_hashed", lambda cursor: True)
    return request.param


@pytest.fixture(params=["joined", "expanded"])
def counted(request, monkeypatch):
    """Both ways of counting the changed people's rows in the periods to adjust (_counts_sql)."""
    monkeypatch.setattr(aggregation, "JOINED_PERIODS", 10_000 if request.param == "joined" else 0)
    return request.param


def test_removing_a_persons_only_attendance_in_a_window_lowers_the_count(world, sessions, counted):
    programme, (district, _other) = world
    january = session_on(programme, dt.date(2026, 1, 14))
    stays, leaves = ParticipantFactory(district=district), ParticipantFactory(district=district)
    present(january, stays)
    mark = present(january, leaves)
    aggregates_rebuild(now=NOW)
    assert learners("month", dt.date(2026, 1, 31)) == 2 and learners("rolling12", dt.date(2026, 6, 30)) == 2
    Attendance.objects.filter(pk=mark.pk).delete()
    run = aggregates_refresh(now=NOW)
    assert run.days_refreshed == 1
    assert learners("month", dt.date(2026, 1, 31)) == 1 and learners("year", dt.date(2026, 12, 31)) == 1
    assert [learners("rolling12", month_end(2026, m)) for m in range(1, 7)] == [1] * 6
    assert not LearnerMonth.objects.filter(participant_id=leaves.pk).exists()
    assert_refresh_equals_raw_and_rebuild()


def test_a_person_present_in_two_dirty_months_counts_once_in_the_window(world, counted):
    programme, (district, _other) = world
    present(session_on(programme, dt.date(2025, 12, 3)), ParticipantFactory(district=district))
    aggregates_rebuild(now=NOW)
    person = ParticipantFactory(district=district)
    present(session_on(programme, dt.date(2026, 3, 9)), person)
    present(session_on(programme, dt.date(2026, 4, 20)), person)
    run = aggregates_refresh(now=NOW)
    assert run.days_refreshed == 2
    assert learners("month", dt.date(2026, 3, 31)) == 1 and learners("month", dt.date(2026, 4, 30)) == 1
    assert learners("year", dt.date(2026, 12, 31)) == 1
    assert learners("rolling12", dt.date(2026, 4, 30)) == 2  # the December learner and this person, once
    assert learners("rolling12", dt.date(2026, 6, 30)) == 2
    block = {"kind": "rolling12", "period_end": dt.date(2026, 6, 30), "dimension": "block", "value": "6"}
    assert learners_sum(**block, district=district) == 2
    assert_refresh_equals_raw_and_rebuild()


def test_a_district_change_moves_the_person_between_cells_in_every_window(world, sessions, counted):
    programme, (before, after) = world
    person = ParticipantFactory(district=before, sex="female")
    present(session_on(programme, dt.date(2025, 7, 7)), person)
    present(session_on(programme, dt.date(2026, 2, 16)), person)
    present(session_on(programme, dt.date(2026, 2, 23)), ParticipantFactory(district=before, sex="female"))
    aggregates_rebuild(now=NOW)
    windows = [month_end(2025, m) for m in range(7, 13)] + [month_end(2026, m) for m in range(1, 7)]
    assert [learners("rolling12", end, district=after) for end in windows] == [0] * 12
    Participant.objects.filter(pk=person.pk).update(district=after)
    aggregates_refresh(now=NOW)
    assert [learners("rolling12", end, district=after) for end in windows] == [1] * 12
    assert [learners("rolling12", end, district=before) for end in windows] == [0] * 7 + [1] * 5
    for kind, end in (
        ("month", dt.date(2025, 7, 31)),
        ("year", dt.date(2025, 12, 31)),
        ("year", dt.date(2026, 12, 31)),
    ):
        assert learners(kind, end, district=after) == 1
    assert set(LearnerMonth.objects.filter(participant_id=person.pk).values_list("district_id", flat=True)) == {
        after.pk
    }
    assert_refresh_equals_raw_and_rebuild()


@pytest.mark.parametrize("new_mark", [dt.date(2026, 4, 6), dt.date(2025, 8, 4)])
@pytest.mark.parametrize("march", ["present", "absent"])
def test_a_person_moved_with_rows_outside_the_marked_months_has_them_all_rewritten(world, march, new_mark, sessions):
    """The triggers mark every month of a person whose attributes change; should a month's mark be
    missing (here deleted), the refresh still finds that the person moved and rewrites all their
    rows: from their rows of the marked months (March present), or, with none there (March
    absent; a new mark makes them a changed person), from one stored LearnerMonth row, whether
    the new mark's month comes after the stored rows or, in August 2025, before them in
    LearnerMonth's key order."""
    programme, (before, after) = world
    person = ParticipantFactory(district=before, sex="female")
    present(session_on(programme, dt.date(2025, 9, 8)), person)
    Attendance.objects.create(
        session=session_on(programme, dt.date(2026, 3, 2)), participant=person, status=march, marked_at=at(NOW.date())
    )
    aggregates_rebuild(now=NOW)
    Participant.objects.filter(pk=person.pk).update(district=after)
    assert set(DirtyLearnerMonth.objects.values_list("month", flat=True)) == {dt.date(2025, 9, 1), dt.date(2026, 3, 1)}
    DirtyLearnerMonth.objects.filter(month=dt.date(2025, 9, 1)).delete()
    present(session_on(programme, new_mark), person)
    with connection.cursor() as cursor:
        # As at scale: the stored row is found through LearnerMonth's primary key, in its order
        # (a sequential scan of the few rows here would find the older row first anyway).
        cursor.execute("SET enable_seqscan = off")
        try:
            aggregates_refresh(now=NOW)
        finally:
            cursor.execute("RESET enable_seqscan")
    assert learners("rolling12", dt.date(2025, 12, 31), district=after) == 1
    assert learners("rolling12", dt.date(2025, 12, 31), district=before) == 0
    assert set(LearnerMonth.objects.filter(participant_id=person.pk).values_list("district_id", flat=True)) == {
        after.pk
    }
    assert_refresh_equals_raw_and_rebuild()


def test_marked_marks_are_hashed_with_their_sessions_only_when_they_outnumber_them(world):
    programme, (district, _other) = world
    march = [session_on(programme, dt.date(2026, 3, d)) for d in (2, 9, 16)]
    people = [ParticipantFactory(district=district) for _ in range(4)]
    for session in march:
        for person in people:
            present(session, person)
    for day in range(1, 29):  # April: more sessions than one person's marks
        session_on(programme, dt.date(2026, 4, day))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE participants_attendance")
        cursor.execute("ANALYZE participants_participant")
        cursor.execute("ANALYZE programmes_session")
        cursor.execute("CREATE TEMP TABLE _dash_pairs (participant_id bigint, m date) ON COMMIT DROP")
        assert not aggregation._sessions_hashed(cursor)  # nobody marked
        cursor.execute(
            "INSERT INTO _dash_pairs SELECT id, '2026-03-01' FROM participants_participant WHERE id = ANY (%s)",
            [[p.pk for p in people]],
        )
        assert aggregation._sessions_hashed(cursor)  # 4 people x 3 marks > 3 sessions
        cursor.execute("DELETE FROM _dash_pairs WHERE participant_id <> %s", [people[0].pk])
        cursor.execute("INSERT INTO _dash_pairs VALUES (%s, '2026-04-01')", [people[0].pk])
        assert not aggregation._sessions_hashed(cursor)  # 1 person x 3 marks < 31 sessions
        cursor.execute("DROP TABLE _dash_pairs")


def test_marks_only_added_count_the_newcomer_and_the_returning_learner_once(world, counted):
    """Marks only added (no marked months, so nobody is looked up as moved): the counts move by
    the newcomer, and by a learner already counted in an earlier month, once each."""
    programme, (district, other) = world
    known = ParticipantFactory(district=district, sex="male")
    present(session_on(programme, dt.date(2025, 11, 10)), known)
    aggregates_rebuild(now=NOW)
    newcomer = ParticipantFactory(district=other, sex="female")
    present(session_on(programme, dt.date(2026, 4, 13)), newcomer)
    present(session_on(programme, dt.date(2026, 4, 20)), known)
    assert not DirtyLearnerMonth.objects.exists()
    aggregates_refresh(now=NOW)
    assert learners("month", dt.date(2026, 4, 30)) == 2
    assert learners("rolling12", dt.date(2026, 4, 30), district=district) == 1
    assert learners("rolling12", dt.date(2026, 4, 30), district=other) == 1
    assert_refresh_equals_raw_and_rebuild()


def test_a_mark_moved_to_another_programme_in_the_month_moves_the_learner_between_values(world, sessions, counted):
    """Marks removed and added in one month of a person (recomputed from their marks): the
    values of the programme left lose the learner where no other month of theirs holds it, those
    of the programme joined gain them, "all" stays, and a later month of the old programme now
    counts first in its windows."""
    programme, (district, _other) = world
    joined = ProgrammeFactory(
        provider=ProviderFactory(city=programme.provider.city),
        categories=[CategoryFactory(position=2, building_blocks=[3])],
        format="online",
    )
    person = ParticipantFactory(district=district, sex="female")
    left = present(session_on(programme, dt.date(2026, 2, 10)), person)
    present(session_on(programme, dt.date(2026, 5, 12)), person)
    aggregates_rebuild(now=NOW)
    left.delete()
    present(session_on(joined, dt.date(2026, 2, 17)), person)
    aggregates_refresh(now=NOW)

    def value(dimension: str, value: str, kind: str, end: dt.date) -> int:
        return learners_sum(kind=kind, period_end=end, dimension=dimension, value=value)

    provider, new_provider = str(programme.provider_id), str(joined.provider_id)
    assert value("provider", provider, "month", dt.date(2026, 2, 28)) == 0
    assert value("provider", new_provider, "month", dt.date(2026, 2, 28)) == 1
    assert [value("provider", provider, "rolling12", month_end(2026, m)) for m in range(2, 7)] == [0, 0, 0, 1, 1]
    assert [value("provider", new_provider, "rolling12", month_end(2026, m)) for m in range(2, 7)] == [1] * 5
    assert [value("format", "online", "rolling12", month_end(2026, m)) for m in range(2, 7)] == [1] * 5
    assert value("block", "3", "year", dt.date(2026, 12, 31)) == 1
    assert value("provider", provider, "year", dt.date(2026, 12, 31)) == 1  # May, now first
    assert [learners("rolling12", month_end(2026, m)) for m in range(2, 7)] == [1] * 5
    assert_refresh_equals_raw_and_rebuild()


def test_a_late_mark_before_a_learners_later_months_moves_their_windows_to_it(world, counted):
    """Marks only added, months earlier than a learner's stored ones: the learner's later month
    stops being the first of its year and of the windows that now hold the earlier one, the
    added month counts there instead (net +0 in those windows, +1 in the earlier ones), and a
    learner's month far enough from the added one counts as before."""
    programme, (district, other) = world
    late = ParticipantFactory(district=district, sex="female")
    present(session_on(programme, dt.date(2025, 5, 12)), late)
    present(session_on(programme, dt.date(2026, 4, 13)), late)
    far = ParticipantFactory(district=other, sex="male")
    present(session_on(programme, dt.date(2026, 5, 18)), far)
    aggregates_rebuild(now=NOW)
    windows = [month_end(2025, m) for m in range(2, 13)] + [month_end(2026, m) for m in range(1, 7)]
    before = [learners("rolling12", end, district=district) for end in windows]
    assert before == [0] * 3 + [1] * 14  # May 2025 - June 2026: one of the two months in each
    present(session_on(programme, dt.date(2026, 2, 9)), late)  # recorded late, between the two
    present(session_on(programme, dt.date(2025, 2, 3)), far)  # 15 months before May 2026
    assert not DirtyLearnerMonth.objects.exists()
    aggregates_refresh(now=NOW)
    assert [learners("rolling12", end, district=district) for end in windows] == before
    assert learners("month", dt.date(2026, 2, 28), district=district) == 1
    assert learners("year", dt.date(2026, 12, 31), district=district) == 1
    assert [learners("rolling12", end, district=other) for end in windows] == [1] * 12 + [0] * 3 + [1] * 2
    assert learners("year", dt.date(2025, 12, 31), district=other) == 1
    assert_refresh_equals_raw_and_rebuild()


def test_a_late_edit_eleven_months_back_updates_twelve_rolling_windows(world, counted):
    programme, (district, _other) = world
    old = session_on(programme, dt.date(2025, 7, 15))
    present(old, ParticipantFactory(district=district))
    present(session_on(programme, dt.date(2026, 5, 4)), ParticipantFactory(district=district))
    aggregates_rebuild(now=NOW)
    windows = [month_end(2025, m) for m in range(7, 13)] + [month_end(2026, m) for m in range(1, 7)]
    before = [learners("rolling12", end) for end in windows]
    present(old, ParticipantFactory(district=district))  # recorded late
    run = aggregates_refresh(now=NOW)
    assert run.periods_refreshed == 14  # July 2025, the year 2025 and the 12 windows containing July 2025
    assert [learners("rolling12", end) for end in windows] == [n + 1 for n in before]
    assert learners("rolling12", dt.date(2025, 6, 30)) == 0
    assert_refresh_equals_raw_and_rebuild()


def test_the_new_months_window_is_computed_whole_before_the_nightly_job(world):
    programme, (district, _other) = world
    present(session_on(programme, dt.date(2025, 9, 1)), ParticipantFactory(district=district))
    aggregates_rebuild(now=NOW)
    july = at(dt.date(2026, 7, 2), 8)
    assert not BuiltPeriod.objects.filter(kind="rolling12", period_end=dt.date(2026, 7, 31)).exists()
    present(session_on(programme, dt.date(2026, 7, 1)), ParticipantFactory(district=district))
    aggregates_refresh(now=july)
    # the September learner is in the window though September was not touched
    assert learners("rolling12", dt.date(2026, 7, 31)) == 2
    assert BuiltPeriod.objects.filter(kind="rolling12", period_end=dt.date(2026, 7, 31)).exists()
    assert_refresh_equals_raw_and_rebuild(now=july)


def test_learner_periods_from_before_learner_month_existed_are_derived_again(world):
    programme, (district, _other) = world
    present(session_on(programme, dt.date(2026, 2, 2)), ParticipantFactory(district=district))
    aggregates_rebuild(now=NOW)
    LearnerMonth.objects.all().delete()  # the state right after the migration that added them
    BuiltPeriod.objects.all().delete()
    present(session_on(programme, dt.date(2026, 3, 2)), ParticipantFactory(district=district))
    aggregates_refresh(now=NOW)
    assert learners("rolling12", dt.date(2026, 6, 30)) == 2 and LearnerMonth.objects.exists()
    assert_refresh_equals_raw_and_rebuild()


# --- Which learner months the triggers mark (migrations 0007, 0008) --------------------------


class NewMarks:
    """Each call: the learner months marked since the previous call (the marks stay for the refresh)."""

    def __init__(self) -> None:
        self.seen = 0

    def __call__(self) -> set[tuple[int | None, dt.date]]:
        rows = list(DirtyLearnerMonth.objects.filter(id__gt=self.seen).values_list("id", "participant_id", "month"))
        self.seen = max([self.seen, *(row[0] for row in rows)])
        return {(participant, month) for _id, participant, month in rows}


def test_the_triggers_mark_the_months_of_the_people_a_change_can_move(world, sessions):
    programme, (district, other) = world
    march = session_on(programme, dt.date(2026, 3, 9))
    ann, bob = ParticipantFactory(district=district), ParticipantFactory(district=district)
    marks = NewMarks()
    marks()
    mark = present(march, ann)
    present(march, bob)
    # attendance writes activity changes instead (migration 0008; the refresh derives the months)
    assert marks() == set()
    assert ActivityChange.objects.filter(session=march, attendances=1).count() == 2
    Attendance.objects.filter(pk=mark.pk).update(status="absent")
    assert marks() == set()
    assert ActivityChange.objects.filter(session=march, participant=ann, attendances=-1).exists()
    # an enrolment or a new session: no learner can change
    EnrolmentFactory(participant=ann, course=march.course)
    session_on(programme, dt.date(2026, 4, 1))
    assert marks() == set()
    # a session moved to April: its attendees in March and in April
    Session.objects.filter(pk=march.pk).update(starts_at=at(dt.date(2026, 4, 6)), ends_at=at(dt.date(2026, 4, 6), 11))
    assert marks() == {(p, m) for p in (ann.pk, bob.pk) for m in (dt.date(2026, 3, 1), dt.date(2026, 4, 1))}
    # the programme's format and categories (dimension values); not its title
    Programme.objects.filter(pk=programme.pk).update(title_en="Renamed")
    assert marks() == set()
    Programme.objects.filter(pk=programme.pk).update(format="online")
    assert marks() == {(ann.pk, dt.date(2026, 4, 1)), (bob.pk, dt.date(2026, 4, 1))}
    programme.categories.add(CategoryFactory(position=2))
    assert marks() == {(ann.pk, dt.date(2026, 4, 1)), (bob.pk, dt.date(2026, 4, 1))}
    # the course moved to another programme
    Course.objects.filter(pk=march.course_id).update(programme=ProgrammeFactory(provider=programme.provider))
    assert marks() == {(ann.pk, dt.date(2026, 4, 1)), (bob.pk, dt.date(2026, 4, 1))}
    # a person's district: their months only; a name change: none
    Participant.objects.filter(pk=bob.pk).update(given_name="Bob B.")
    assert marks() == set()
    Participant.objects.filter(pk=bob.pk).update(district=other)
    assert marks() == {(bob.pk, dt.date(2026, 4, 1))}
    aggregates_refresh(now=NOW)
    assert_refresh_equals_raw_and_rebuild()


def test_days_marked_before_the_triggers_knew_people_are_recomputed_as_whole_months(world):
    programme, (district, _other) = world
    may = session_on(programme, dt.date(2026, 5, 11))
    ann, bob = ParticipantFactory(district=district), ParticipantFactory(district=district)
    present(may, ann)
    mark = present(may, bob)
    aggregates_rebuild(now=NOW)
    Attendance.objects.filter(pk=mark.pk).delete()
    # only the day is marked, as before migrations 0007 and 0008
    DirtyLearnerMonth.objects.all().delete()
    ActivityChange.objects.all().delete()
    DirtyDay.objects.create(day=dt.date(2026, 5, 11), marked_at=NOW)
    migration = importlib.import_module("learningcity.dashboards.migrations.0007_dirty_learner_months")
    with connection.cursor() as cursor:
        cursor.execute(migration.PENDING_AS_WHOLE_MONTHS)
    assert set(DirtyLearnerMonth.objects.values_list("participant_id", "month")) == {(None, dt.date(2026, 5, 1))}
    aggregates_refresh(now=NOW)
    assert learners("month", dt.date(2026, 5, 31)) == 1
    assert not LearnerMonth.objects.filter(participant_id=bob.pk).exists()
    assert not DirtyLearnerMonth.objects.exists()
    assert_refresh_equals_raw_and_rebuild()


# --- Differences not yet added (LearnerPeriodDelta) ------------------------------------------


def _stored(**cells) -> int:
    """LearnerPeriod's own rows, without the differences."""
    return sum(LearnerPeriod.objects.filter(**cells).values_list("learners", flat=True))


def test_an_incremental_run_appends_differences_that_the_nightly_job_adds_in(world):
    programme, (district, _other) = world
    present(session_on(programme, dt.date(2026, 2, 4)), ParticipantFactory(district=district))
    aggregates_rebuild(now=NOW)
    born = dt.date(1990, 1, 1)
    leaves = ParticipantFactory(district=district, sex="male", birth_date=born)
    mark = present(session_on(programme, dt.date(2026, 3, 4)), leaves)
    aggregates_rebuild(now=NOW)
    newcomer = ParticipantFactory(district=district, sex="female", birth_date=born)  # another cell
    present(session_on(programme, dt.date(2026, 3, 11)), newcomer)
    Attendance.objects.filter(pk=mark.pk).delete()
    aggregates_refresh(now=NOW)
    march = {"kind": "month", "period_end": dt.date(2026, 3, 31), "dimension": "all", "value": ""}
    # LearnerPeriod itself is untouched; its differences hold the newcomer (+1) and the leaver (-1)
    assert _stored(**march) == 1 and learners("month", dt.date(2026, 3, 31)) == 1
    assert sorted(LearnerPeriodDelta.objects.filter(**march).values_list("learners", flat=True)) == [-1, 1]
    assert learners("year", dt.date(2026, 12, 31)) == 3 - 1
    assert_refresh_equals_raw_and_rebuild()  # (the rebuild empties the table)
    assert not LearnerPeriodDelta.objects.exists()

    present(session_on(programme, dt.date(2026, 3, 18)), ParticipantFactory(district=district))
    aggregates_refresh(now=NOW)
    pages = learner_snapshot()
    assert LearnerPeriodDelta.objects.filter(**march).exists() and _stored(**march) == 1
    run = aggregates_refresh_rolling(now=NOW)
    assert not LearnerPeriodDelta.objects.exists() and run.rows_written > 0
    assert _stored(**march) == 2
    assert learner_snapshot() == pages


def test_a_period_recomputed_whole_drops_its_differences(world):
    programme, (district, _other) = world
    present(session_on(programme, dt.date(2026, 5, 6)), ParticipantFactory(district=district))
    aggregates_rebuild(now=NOW)
    present(session_on(programme, dt.date(2026, 6, 3)), ParticipantFactory(district=district))
    aggregates_refresh(now=NOW)
    assert LearnerPeriodDelta.objects.filter(kind="rolling12", period_end=dt.date(2026, 6, 30)).exists()
    # The nightly job computes June's periods whole: their differences must not be added again.
    aggregates_refresh_rolling(now=NOW)
    assert learners("rolling12", dt.date(2026, 6, 30)) == 2 and learners("month", dt.date(2026, 6, 30)) == 1
    assert_refresh_equals_raw_and_rebuild()


def test_past_the_threshold_a_run_adds_the_differences_in(world, monkeypatch):
    programme, (district, _other) = world
    present(session_on(programme, dt.date(2026, 1, 14)), ParticipantFactory(district=district))
    aggregates_rebuild(now=NOW)
    monkeypatch.setattr(aggregation, "DELTAS_FOLDED_AT", 0)
    present(session_on(programme, dt.date(2026, 1, 21)), ParticipantFactory(district=district))
    aggregates_refresh(now=NOW)
    assert not LearnerPeriodDelta.objects.exists()
    assert _stored(kind="month", period_end=dt.date(2026, 1, 31), dimension="all") == 2
    assert_refresh_equals_raw_and_rebuild()


def test_a_difference_for_a_cell_that_holds_nobody_stops_the_fold(world):
    programme, (district, _other) = world
    present(session_on(programme, dt.date(2026, 1, 14)), ParticipantFactory(district=district))
    aggregates_rebuild(now=NOW)
    LearnerPeriodDelta.objects.create(
        city=programme.provider.city,
        kind="month",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        dimension="all",
        value="",
        district=district,
        age_from=65,
        sex="other",
        learners=-1,
    )
    with pytest.raises(RuntimeError, match="missing cell"):
        aggregates_refresh_rolling(now=NOW)
    # Nothing of the run stays: the difference is still there for a rebuild to clear.
    assert LearnerPeriodDelta.objects.count() == 1
