"""The SQL that fills the summary tables (models.ActivityDay, models.LearnerPeriod).

Everything here is set-based SQL run inside PostgreSQL (INSERT ... SELECT ... GROUP BY);
Python never sees a raw row. The functions take an open cursor and run inside the caller's
transaction (services.py holds the lock and the transaction). Temporary tables are named
``_dash_*`` and dropped at commit.

Days are local dates in Asia/Bangkok: ``(ts AT TIME ZONE 'Asia/Bangkok')::date``.

Measures of ActivityDay (one row per day x city x district x age group x sex x provider x
category x format):
- ``enrolments``: enrolment rows, on the day of ``created_at`` (any status, any outcome).
- ``confirmed``: enrolment rows with ``confirmed_at`` set, on the day of ``confirmed_at``.
- ``waitlist_unmet`` (waiting-list demand): enrolment rows that went to the waiting list and
  never got a place, on the day of ``created_at``: ``confirmed_at`` is NULL and the row is
  ``waitlisted`` or ``offered`` (no confirmed place yet), or ``cancelled`` with the reason
  ``waitlist_left`` (the person gave up waiting). Not counted: offers declined or expired (a
  place was offered: the demand met a place), and rows cancelled for other reasons (course
  cancelled, account erased, by staff), where the row no longer says whether the person was
  waiting. When an offer is accepted, ``confirmed_at`` is set and the request leaves the count.
- ``attendances``: ``present`` marks at sessions that are not cancelled, on the session's
  ``starts_at`` day; ``learning_minutes``: for each such mark, the session's length in whole
  minutes (rounded down), summed.
- ``completions``: on the course's ``ends_on`` day, only once the course has ended
  (``ends_on`` before the refresh's today) and unless the course is cancelled. An enrolment in
  status confirmed or completed counts when its CompletionOverride says completed; without an
  override, when its status is ``completed`` or when its present marks at the course's
  non-cancelled sessions x 100 >= ``completion_min_attendance_pct`` x the number of those
  sessions (at least one): the rule of participants.services.completion_compute. An override
  ``completed = false`` excludes the enrolment.

Dimensions: ``city`` = the provider's city; ``district`` = the participant's district of
residence (NULL when they live outside the city or it is unknown); ``age_from`` = the fine age
group (models.AgeGroup) of the participant's age on the activity day; ``sex``; ``provider``;
``category`` = the programme's first category by (position, id), NULL when it has none;
``format`` = the programme's format. The participant's current row is used (erasure keeps
sex and district and reduces the birth date to 1 July of the birth year).

Incremental refresh of ActivityDay: the days marked dirty (DirtyDay: a change to a session,
course, programme, person, completion rule or override, and the last day of a course whose
marks or enrolments changed) are recomputed whole, writing only the rows that differ; the
attendance and enrolment changes (ActivityChange, signed) of the other days are grouped into
cells and added to the rows (activity_incremental_write).

LearnerPeriod: distinct participants with at least one ``present`` mark at a non-cancelled
session whose day falls in the period; age taken on the period's last day. Dimension ``all``
(rows add up across district x age group x sex), and split by ``provider``, ``category`` (every
category of the programme), ``block`` (the GNLC building blocks of all its categories) and
``format``, where a person counts once under each value they learnt in. Kinds: ``month``
(calendar month), ``year`` (calendar year, ``period_end`` 31 December) and ``rolling12`` (the 12
months ending at a month's last day; ``period_start`` is the first day of the month 11 months
earlier). Periods are kept from the first month with sessions up to the current month (the
current month, the current year and the rolling window ending this month included; nothing
for months that have not begun)."""

from __future__ import annotations

import datetime as dt
import json

from django.db import IntegrityError

TIME_ZONE = "Asia/Bangkok"  # settings.TIME_ZONE; also written into the trigger migration
# Hash tables of the whole-period count may use work_mem (set by services.py) times this.
HASH_MEM_MULTIPLIER = 4
TEMP_TABLES = (
    "_dash_days",
    "_dash_months",
    "_dash_periods",
    "_dash_learner_marks",
    "_dash_dirty_months",
    "_dash_pairs",
    "_dash_lm_keys",
    "_dash_lm_old",
    "_dash_people",
    "_dash_lm_new",
    "_dash_lm_gone",
    "_dash_lm_came",
    "_dash_changed",
    "_dash_changed_keys",
    "_dash_delta",
    "_dash_delta_sum",
    "_dash_emptied",
    "_dash_fold",
    "_dash_ev",
    "_dash_activity_new",
    "_dash_activity_old",
    "_dash_lp_new",
    "_dash_activity_delta",
    "_dash_am_delta",
    "_dash_at_delta",
    "_dash_am_delta_emptied",
    "_dash_at_delta_emptied",
    "_dash_lt_delta_emptied",
    "_dash_am_new",
    "_dash_at_new",
    "_dash_lt_new",
    "_dash_lt_delta",
    "_dash_changes",
    "_dash_change_cells",
    "_dash_change_cells_emptied",
    "_dash_added",
    "_dash_added_keys",
    "_dash_courses",
    "_dash_check",
    "_dash_completed",
    "_dash_completion_came",
    "_dash_completion_gone",
    "_dash_completed_batch",
)


def _local_day(column: str) -> str:
    return f"(({column}) AT TIME ZONE '{TIME_ZONE}')::date"


def _day_range_join(column: str) -> str:
    """Join rows whose timestamp `column` falls on a claimed day (an index on the column serves it)."""
    return (
        f"JOIN _dash_days dd ON {column} >= (dd.day::timestamp AT TIME ZONE '{TIME_ZONE}') "
        f"AND {column} < ((dd.day + 1)::timestamp AT TIME ZONE '{TIME_ZONE}')"
    )


def _age_group(on_day: str, birth: str) -> str:
    """The models.AgeGroup value (lower bound) of a person born on `birth`, on `on_day`: at
    least k years old when born on or before the same date k years earlier (as age())."""
    bounds = (65, 60, 25, 15, 6)
    whens = " ".join(f"WHEN {birth} <= ({on_day} - interval '{k} years')::date THEN {k}" for k in bounds)
    return f"(CASE {whens} ELSE 0 END)"


# The programme's dimensions: city and provider, format and the first category by (position, id).
_PROGRAMMES = """
    SELECT pg.id AS programme_id, pr.city_id, pr.id AS provider_id, pg.format,
           (SELECT pc.category_id FROM programmes_programme_categories pc
              JOIN programmes_category cat ON cat.id = pc.category_id
             WHERE pc.programme_id = pg.id ORDER BY cat.position, cat.id LIMIT 1) AS category_id
      FROM programmes_programme pg JOIN programmes_provider pr ON pr.id = pg.provider_id
"""

_WAITLIST_UNMET = (
    "(e.confirmed_at IS NULL AND (e.status IN ('waitlisted', 'offered') "
    "OR (e.status = 'cancelled' AND e.cancelled_reason = 'waitlist_left')))"
)


def _completed_sql(courses: str) -> str:
    """(enrolment_id, course_id, participant_id, day): the enrolments completed in the courses
    selected by `courses` (a condition on c, a programmes_course row), on the course's last
    day, by the rule in the module's docstring."""
    return f"""
    WITH ended AS MATERIALIZED (
        SELECT c.id, c.ends_on, c.completion_min_attendance_pct AS pct FROM programmes_course c
         WHERE c.ends_on < %(today)s AND c.status <> 'cancelled' AND {courses}
    ),
    held AS (
        SELECT s.course_id, count(*) AS n FROM programmes_session s JOIN ended ON ended.id = s.course_id
         WHERE NOT s.is_cancelled GROUP BY s.course_id
    ),
    attended AS (
        SELECT s.course_id, a.participant_id, count(*) AS n
          FROM participants_attendance a
          JOIN programmes_session s ON s.id = a.session_id
          JOIN ended ON ended.id = s.course_id
         WHERE NOT s.is_cancelled AND a.status = 'present'
         GROUP BY s.course_id, a.participant_id
    )
    SELECT e.id AS enrolment_id, e.course_id, e.participant_id, ended.ends_on AS day
      FROM ended
      JOIN participants_enrolment e ON e.course_id = ended.id AND e.status IN ('confirmed', 'completed')
      LEFT JOIN participants_completionoverride o ON o.enrolment_id = e.id
      LEFT JOIN held ON held.course_id = ended.id
      LEFT JOIN attended ON attended.course_id = ended.id AND attended.participant_id = e.participant_id
     WHERE CASE WHEN o.id IS NOT NULL THEN o.completed
                ELSE e.status = 'completed'
                     OR (COALESCE(held.n, 0) > 0 AND COALESCE(attended.n, 0) * 100 >= ended.pct * held.n)
           END"""


def _events_sql(*, incremental: bool) -> str:
    """The CTE ``ev``: one row per fact (enrolment made, place confirmed, present mark,
    completion) with its day, participant and course; of the claimed days only when
    `incremental`. Completions come from ``_dash_completed`` (the courses' completions, computed
    first: for every course by a rebuild, for the courses ending on the claimed days and the
    courses marked by an incremental run)."""
    created = _day_range_join("e.created_at") if incremental else ""
    confirmed = _day_range_join("e.confirmed_at") if incremental else ""
    # The claimed days' sessions as an array: joined to the days, the planner expected 100,000
    # sessions a day and hashed every present mark (15M at Bangkok scale: 3 s); by session id,
    # each session's marks come through the attendance index.
    held = (
        f"AND s.id = ANY (ARRAY(SELECT s2.id FROM programmes_session s2 {_day_range_join('s2.starts_at')}))"
        if incremental
        else ""
    )
    ended = "WHERE day IN (SELECT day FROM _dash_days)" if incremental else ""
    return f"""
    ev (day, participant_id, course_id, enrolments, confirmed, waitlist_unmet, attendances, minutes, completions)
    AS (
        SELECT {_local_day("e.created_at")}, e.participant_id, e.course_id, 1, 0, {_WAITLIST_UNMET}::int, 0, 0, 0
          FROM participants_enrolment e {created}
        UNION ALL
        SELECT {_local_day("e.confirmed_at")}, e.participant_id, e.course_id, 0, 1, 0, 0, 0, 0
          FROM participants_enrolment e {confirmed}
         WHERE e.confirmed_at IS NOT NULL
        UNION ALL
        SELECT {_local_day("s.starts_at")}, a.participant_id, s.course_id, 0, 0, 0, 1,
               floor(extract(epoch FROM s.ends_at - s.starts_at) / 60)::bigint, 0
          FROM programmes_session s
          JOIN participants_attendance a ON a.session_id = s.id
         WHERE a.status = 'present' AND NOT s.is_cancelled {held}
        UNION ALL
        SELECT day, participant_id, course_id, 0, 0, 0, 0, 0, 1 FROM _dash_completed {ended}
    )"""


def _activity_group_sql(events: str) -> str:
    """ActivityDay rows from the facts in `events` (``ev``-shaped) and the CTE ``prog``."""
    return f"""
    SELECT ev.day, prog.city_id, CASE WHEN p.lives_outside_city THEN NULL ELSE p.district_id END AS district_id,
           {_age_group("ev.day", "p.birth_date")} AS age_from, p.sex, prog.provider_id, prog.category_id,
           prog.format, sum(ev.enrolments) AS enrolments, sum(ev.confirmed) AS confirmed,
           sum(ev.waitlist_unmet) AS waitlist_unmet, sum(ev.attendances) AS attendances,
           sum(ev.minutes) AS learning_minutes, sum(ev.completions) AS completions
      FROM {events} ev
      JOIN participants_participant p ON p.id = ev.participant_id
      JOIN programmes_course c ON c.id = ev.course_id
      JOIN prog ON prog.programme_id = c.programme_id
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    """


def _activity_sql() -> str:
    """Every ActivityDay row, in one statement (the rebuild)."""
    return f"WITH prog AS MATERIALIZED ({_PROGRAMMES}), {_events_sql(incremental=False)} {_activity_group_sql('ev')}"


def _activity_days_sql(cursor) -> str:
    """The ActivityDay rows of the claimed days: their facts first, in ``_dash_ev`` (analysed: in
    one statement the planner expected 25M facts for the 130,000 of 25 days at Bangkok scale and
    hashed all 1M participants and 100,000 courses), then grouped with the programmes they need."""
    cursor.execute(
        f"CREATE TEMP TABLE _dash_ev ON COMMIT DROP AS WITH {_events_sql(incremental=True)} SELECT * FROM ev"
    )
    cursor.execute("ANALYZE _dash_ev")
    programmes = (
        f"{_PROGRAMMES} WHERE pg.id = ANY (ARRAY(SELECT DISTINCT c.programme_id FROM programmes_course c "
        "WHERE c.id = ANY (ARRAY(SELECT DISTINCT course_id FROM _dash_ev))))"
    )
    return f"WITH prog AS MATERIALIZED ({programmes}) {_activity_group_sql('_dash_ev')}"


_ACTIVITY_KEY = ("day", "city_id", "district_id", "age_from", "sex", "provider_id", "category_id", "format")
_ACTIVITY_MEASURES = ("enrolments", "confirmed", "waitlist_unmet", "attendances", "learning_minutes", "completions")


def activity_days_write(cursor, *, today: dt.date) -> int:
    """Rewrite every ActivityDay row (a rebuild): computed into a temporary table, then only the
    rows that differ are deleted and inserted; CountedCompletion written whole. Returns the rows
    written."""
    cursor.execute(f"CREATE TEMP TABLE _dash_completed ON COMMIT DROP AS {_completed_sql('true')}", {"today": today})
    cursor.execute("ANALYZE _dash_completed")
    cursor.execute(f"CREATE TEMP TABLE _dash_activity_new ON COMMIT DROP AS {_activity_sql()}")
    rows = cursor.rowcount
    # Temporary tables are not analysed by autovacuum: without statistics the planner guesses the
    # number of groups and of matches, and may sort millions of rows on disk instead of hashing.
    cursor.execute("ANALYZE _dash_activity_new")
    _rows_replace(
        cursor,
        table="dashboards_activityday",
        new="_dash_activity_new",
        columns=_ACTIVITY_KEY + _ACTIVITY_MEASURES,
        nullable=("district_id", "category_id"),
        scope="true",
    )
    activity_rollups_rebuild(cursor)
    _counted_completions_rebuild(cursor)
    return rows


_COUNTED = "enrolment_id, course_id, participant_id, day"


def _counted_completions_rebuild(cursor) -> None:
    """CountedCompletion from ``_dash_completed`` (every course), loaded without its indexes
    (only the refresh jobs read it) and indexed once."""
    cursor.execute("TRUNCATE dashboards_countedcompletion")
    recreate = _indexes_drop(cursor, "dashboards_countedcompletion")
    cursor.execute(
        f"INSERT INTO dashboards_countedcompletion ({_COUNTED}) SELECT {_COUNTED} FROM _dash_completed "
        "ORDER BY enrolment_id"
    )
    for statement in recreate:
        cursor.execute(statement)
    cursor.execute("ANALYZE dashboards_countedcompletion")


def _completions_check(cursor, *, today: dt.date, courses: str) -> None:
    """Compute the completions of the courses selected by `courses` (a SELECT of ids) that are
    not in ``_dash_check`` yet, into ``_dash_completed``, and their differences to
    CountedCompletion: ``_dash_completion_came`` (completions it lacks) and
    ``_dash_completion_gone`` (rows it holds that are no longer completions, or have moved)."""
    cursor.execute(
        f"WITH added AS (INSERT INTO _dash_check (id) SELECT DISTINCT x.id FROM ({courses}) AS x (id) "
        "WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING RETURNING id) SELECT count(*) FROM added"
    )
    if not cursor.fetchone()[0]:
        return
    cursor.execute("ANALYZE _dash_check")
    cursor.execute("DROP TABLE IF EXISTS _dash_completed_batch")
    cursor.execute(
        "CREATE TEMP TABLE _dash_completed_batch ON COMMIT DROP AS "
        + _completed_sql("c.id = ANY (ARRAY(SELECT id FROM _dash_check WHERE NOT checked))"),
        {"today": today},
    )
    cursor.execute(f"INSERT INTO _dash_completed ({_COUNTED}) SELECT {_COUNTED} FROM _dash_completed_batch")
    same = (
        "o.enrolment_id = n.enrolment_id AND o.course_id = n.course_id AND o.participant_id = n.participant_id "
        "AND o.day = n.day"
    )
    cursor.execute(
        f"INSERT INTO _dash_completion_came ({_COUNTED}) SELECT {_COUNTED} FROM _dash_completed_batch n "
        f"WHERE NOT EXISTS (SELECT 1 FROM dashboards_countedcompletion o WHERE {same})"
    )
    # Stored rows of these courses, or of these enrolments under another course or day.
    cursor.execute(
        f"INSERT INTO _dash_completion_gone ({_COUNTED}) SELECT {_COUNTED} FROM dashboards_countedcompletion o "
        "WHERE (o.course_id = ANY (ARRAY(SELECT id FROM _dash_check WHERE NOT checked)) "
        "OR o.enrolment_id = ANY (ARRAY(SELECT enrolment_id FROM _dash_completed_batch))) "
        f"AND NOT EXISTS (SELECT 1 FROM _dash_completed_batch n WHERE {same})"
    )
    cursor.execute("UPDATE _dash_check SET checked = true WHERE NOT checked")


def _counted_completions_write(cursor) -> None:
    """Make CountedCompletion equal to the completions of the checked courses."""
    cursor.execute(
        "DELETE FROM dashboards_countedcompletion WHERE enrolment_id = ANY "
        "(ARRAY(SELECT enrolment_id FROM _dash_completion_gone))"
    )
    cursor.execute(
        f"INSERT INTO dashboards_countedcompletion ({_COUNTED}) SELECT {_COUNTED} FROM _dash_completion_came "
        "ORDER BY enrolment_id"
    )


def courses_claim(cursor) -> int:
    """Move the courses marked for a check of their completions (DirtyCourse) into
    ``_dash_courses``, deleting the marks, as days_claim does for days and right after it.
    Returns the courses claimed."""
    return _claim(cursor, into="_dash_courses", table="dashboards_dirtycourse", columns="course_id")


def activity_incremental_write(cursor, *, today: dt.date) -> tuple[int, int]:
    """Bring ActivityDay, its rollups and CountedCompletion up to date for what was claimed: the
    days of ``_dash_days`` are recomputed whole (only differing rows written); the changes of
    ``_dash_changes`` and the completions of the courses of ``_dash_courses`` that differ from
    CountedCompletion are added to the rows of the other days. Returns (days, rows written)."""
    for name in ("_dash_completed", "_dash_completion_came", "_dash_completion_gone"):
        cursor.execute(
            f"CREATE TEMP TABLE {name} (enrolment_id bigint, course_id bigint, participant_id bigint, day date) "
            "ON COMMIT DROP"
        )
    cursor.execute(
        "CREATE TEMP TABLE _dash_check (id bigint PRIMARY KEY, checked boolean NOT NULL DEFAULT false) ON COMMIT DROP"
    )
    # The marked courses, those ending on the claimed days and those counted on them (a course
    # whose last day moved): the claimed days' completions are all in _dash_completed.
    ending = (
        "SELECT c.id FROM programmes_course c WHERE c.ends_on = ANY (ARRAY(SELECT day FROM _dash_days)) "
        "UNION SELECT cc.course_id FROM dashboards_countedcompletion cc "
        "WHERE cc.day = ANY (ARRAY(SELECT day FROM _dash_days))"
    )
    _completions_check(cursor, today=today, courses=f"SELECT course_id FROM _dash_courses UNION {ending}")
    cells = _activity_changes_prepare(cursor)
    if cells:
        cells = _activity_changes_write(cursor)
    # Days added to be recomputed whole (a change the table never saw): their completions too.
    _completions_check(cursor, today=today, courses=ending)
    rows = 0
    cursor.execute("SELECT count(*) FROM _dash_days")
    days = cursor.fetchone()[0]
    if days:
        cursor.execute("ANALYZE _dash_completed")
        _activity_days_replace(cursor)
        cursor.execute("SELECT count(*) FROM _dash_activity_new")
        rows = cursor.fetchone()[0]
    else:
        columns = ", ".join(_ACTIVITY_KEY + _ACTIVITY_MEASURES)
        cursor.execute(
            f"CREATE TEMP TABLE _dash_activity_delta ON COMMIT DROP AS SELECT id, {columns} "
            "FROM dashboards_activityday WHERE false"
        )
    if cells:
        rows += _activity_changes_add(cursor)
        cursor.execute("SELECT count(DISTINCT day) FROM _dash_change_cells")
        days += cursor.fetchone()[0]
    _counted_completions_write(cursor)
    activity_rollups_apply(cursor)
    return days, rows


def _activity_changes_prepare(cursor) -> int:
    """Group the claimed changes (ActivityChange) and the completion differences into signed
    ActivityDay cells, ``_dash_change_cells``: an attendance change at the session's day, length
    and course as they are now, not at all when the session is cancelled (as a recomputation of
    the day would count it); an enrolment change as written; a completion gained or lost. The
    cells of every day in ``_dash_days`` are dropped (the recomputation counts them); a day
    where a cell would fall below zero is found when they are written (_activity_changes_write).
    Returns the cells left."""
    minutes = "floor(extract(epoch FROM s.ends_at - s.starts_at) / 60)::bigint"
    events = f"""
        SELECT {_local_day("s.starts_at")} AS day, ch.participant_id, s.course_id, 0 AS enrolments, 0 AS confirmed,
               0 AS waitlist_unmet, ch.attendances, ch.attendances * {minutes} AS minutes, 0 AS completions
          FROM _dash_changes ch JOIN programmes_session s ON s.id = ch.session_id
         WHERE ch.session_id IS NOT NULL AND NOT s.is_cancelled
        UNION ALL
        SELECT ch.day, ch.participant_id, ch.course_id, ch.enrolments, ch.confirmed, ch.waitlist_unmet, 0, 0, 0
          FROM _dash_changes ch WHERE ch.session_id IS NULL
        UNION ALL
        SELECT day, participant_id, course_id, 0, 0, 0, 0, 0, 1 FROM _dash_completion_came
        UNION ALL
        SELECT day, participant_id, course_id, 0, 0, 0, 0, 0, -1 FROM _dash_completion_gone"""
    programmes = (
        f"{_PROGRAMMES} WHERE pg.id = ANY (ARRAY(SELECT DISTINCT c.programme_id FROM programmes_course c "
        "WHERE c.id = ANY (ARRAY(SELECT DISTINCT course_id FROM ev))))"
    )
    nonzero = " OR ".join(f"g.{m} <> 0" for m in _ACTIVITY_MEASURES)
    cursor.execute(
        "CREATE TEMP TABLE _dash_change_cells ON COMMIT DROP AS "
        f"WITH ev AS MATERIALIZED ({events}), prog AS MATERIALIZED ({programmes}) "
        f"SELECT g.* FROM ({_activity_group_sql('ev')}) AS g WHERE {nonzero}"
    )
    if not cursor.rowcount:
        return 0
    cursor.execute("ANALYZE _dash_change_cells")
    return _change_cells_of_other_days(cursor)


def _change_cells_of_other_days(cursor) -> int:
    """Drop the cells of the days of ``_dash_days`` (recomputed whole); returns the cells left."""
    cursor.execute("DELETE FROM _dash_change_cells WHERE day IN (SELECT day FROM _dash_days)")
    cursor.execute("SELECT count(*) FROM _dash_change_cells")
    return cursor.fetchone()[0]


def _activity_changes_write(cursor) -> int:
    """Add the cells of ``_dash_change_cells`` to ActivityDay (cells left at zero deleted), before
    any day is recomputed whole. A loss that the stored row cannot take (the table and the raw
    rows disagree: a change it never saw, rows written outside the triggers) makes the write
    fail on the table's CHECK or on a missing cell; it is then undone (a savepoint), the days of
    such cells are added to ``_dash_days``, to be recomputed whole, and the other cells written.
    Checking every loss against its row first cost a probe of ActivityDay per cell on every run
    (~9,000 for 10,000 removed marks); the failure is the rare case. Returns the cells left."""

    def add() -> None:
        _rollup_add(
            cursor,
            table="dashboards_activityday",
            delta="_dash_change_cells",
            key=_ACTIVITY_KEY,
            measures=_ACTIVITY_MEASURES,
        )

    cursor.execute("SAVEPOINT dash_change_cells")
    try:
        add()
    except (IntegrityError, MissingCellError):
        cursor.execute("ROLLBACK TO SAVEPOINT dash_change_cells")
    else:
        cursor.execute("RELEASE SAVEPOINT dash_change_cells")
        return _change_cells_of_other_days(cursor)
    # Cells with a loss, against the stored row (through the provider's index, then the rest of the key).
    short = " OR ".join(f"COALESCE(a.{m}, 0) + d.{m} < 0" for m in _ACTIVITY_MEASURES)
    loss = " OR ".join(f"d.{m} < 0" for m in _ACTIVITY_MEASURES)
    same = " AND ".join(f"a.{c} IS NOT DISTINCT FROM d.{c}" for c in _ACTIVITY_KEY if c not in ("provider_id", "day"))
    # Nested loops: each cell's provider-day has a handful of rows; a hash join read all of ActivityDay.
    cursor.execute("SET LOCAL enable_hashjoin = off")
    cursor.execute("SET LOCAL enable_mergejoin = off")
    days_add(
        cursor,
        "SELECT DISTINCT d.day FROM _dash_change_cells d LEFT JOIN dashboards_activityday a "
        f"ON a.provider_id = d.provider_id AND a.day = d.day AND {same} WHERE ({loss}) AND ({short})",
    )
    cursor.execute("SET LOCAL enable_mergejoin = on")
    cursor.execute("SET LOCAL enable_hashjoin = on")
    cells = _change_cells_of_other_days(cursor)
    if cells:
        add()
    return cells


def _activity_changes_add(cursor) -> int:
    """Add the cells of ``_dash_change_cells`` (written to ActivityDay by _activity_changes_write)
    to the difference for the rollups. Returns the cells."""
    names = ", ".join(_ACTIVITY_KEY + _ACTIVITY_MEASURES)
    cursor.execute(f"INSERT INTO _dash_activity_delta ({names}) SELECT {names} FROM _dash_change_cells")
    return cursor.rowcount


def _activity_days_replace(cursor) -> None:
    """Make the ActivityDay rows of the claimed days equal to their facts now, writing only the
    rows that differ (10,000 new marks change a few thousand of the ~100,000 rows of their days at
    Bangkok scale; rewriting every row through six indexes was most of the work). The rows
    deleted (negated) and inserted are kept in ``_dash_activity_delta``: their sums are the
    difference to add to the monthly rollups (activity_rollups_apply)."""
    columns = _ACTIVITY_KEY + _ACTIVITY_MEASURES
    names = ", ".join(columns)
    new_sql = _activity_days_sql(cursor)
    # Hash, not sort: the planner expects a few dozen rows (the ids arrays) and sorts the 130,000
    # facts of 25 days to group them, then merges the two tables below on sorted copies.
    cursor.execute("SET LOCAL enable_sort = off")
    cursor.execute("SET LOCAL enable_mergejoin = off")
    cursor.execute(f"CREATE TEMP TABLE _dash_activity_new ON COMMIT DROP AS {new_sql}")
    # = ANY(ARRAY(...)), not IN (SELECT ...): the planner estimated a fifth of the table for the
    # semi-join and scanned all of it (0.3 s at medium scale for a few days).
    cursor.execute(
        f"CREATE TEMP TABLE _dash_activity_old ON COMMIT DROP AS SELECT id, {names} FROM dashboards_activityday "
        "WHERE day = ANY (ARRAY(SELECT day FROM _dash_days))"
    )
    cursor.execute("ANALYZE _dash_activity_new")
    cursor.execute("ANALYZE _dash_activity_old")

    def same(a: str, b: str) -> str:
        nullable = ("district_id", "category_id")  # ids compare through 0 (ids start at 1): hashable
        return " AND ".join(
            f"COALESCE({a}.{c}, 0) = COALESCE({b}.{c}, 0)" if c in nullable else f"{a}.{c} = {b}.{c}" for c in columns
        )

    negated = ", ".join([*(f"o.{c}" for c in _ACTIVITY_KEY), *(f"-o.{m} AS {m}" for m in _ACTIVITY_MEASURES)])
    cursor.execute(
        "CREATE TEMP TABLE _dash_activity_delta ON COMMIT DROP AS "
        f"SELECT o.id, {negated} FROM _dash_activity_old o "
        f"WHERE NOT EXISTS (SELECT 1 FROM _dash_activity_new n WHERE {same('n', 'o')})"
    )
    if cursor.rowcount:
        cursor.execute("DELETE FROM dashboards_activityday WHERE id = ANY (ARRAY(SELECT id FROM _dash_activity_delta))")
    cursor.execute(
        f"WITH added AS (INSERT INTO dashboards_activityday ({names}) SELECT {names} FROM _dash_activity_new n "
        f"WHERE NOT EXISTS (SELECT 1 FROM _dash_activity_old o WHERE {same('o', 'n')}) ORDER BY {names} "
        f"RETURNING id, {names}) INSERT INTO _dash_activity_delta SELECT id, {names} FROM added"
    )
    cursor.execute("SET LOCAL enable_mergejoin = on")
    cursor.execute("SET LOCAL enable_sort = on")


# --- Monthly rollups of ActivityDay (ActivityMonth, ActivityTotal) ---------------------------
#
# Both are sums of ActivityDay rows, so they follow it by difference: a rebuild groups the new
# rows; an incremental run groups the rows it deleted (negated) and inserted and adds the sums.

_MONTH_KEY = ("city_id", "month", "district_id", "age_from", "sex", "category_id", "format")
_TOTAL_KEY = ("city_id", "month", "dimension", "value")
_SUMS = ", ".join(f"sum({m})::bigint AS {m}" for m in _ACTIVITY_MEASURES)
_ANY_NONZERO = " OR ".join(f"sum({m}) <> 0" for m in _ACTIVITY_MEASURES)
# ActivityTotal's dimensions other than the provider, as (name, value expression over ActivityMonth rows).
_TOTAL_DIMENSIONS = (
    ("all", "''"),
    ("district", "CASE WHEN district_id = 0 THEN '' ELSE district_id::text END"),
    ("age", "age_from::text"),
    ("sex", "sex::text"),
    ("category", "CASE WHEN category_id = 0 THEN '' ELSE category_id::text END"),
    ("format", "format::text"),
)


def _months_sql(source: str) -> str:
    """ActivityMonth rows (with sums) of a table of ActivityDay-shaped rows."""
    return (
        "SELECT city_id, date_trunc('month', day)::date AS month, COALESCE(district_id, 0) AS district_id, "
        f"age_from, sex, COALESCE(category_id, 0) AS category_id, format, {_SUMS} "
        f"FROM {source} GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING {_ANY_NONZERO}"
    )


def _totals_sql(*, months: str, days: str) -> str:
    """ActivityTotal rows (with sums) from ActivityMonth-shaped rows (`months`) and, for the
    provider and the week, ActivityDay-shaped rows (`days`) of the same activity. The day rows
    are read once, grouped by month x provider x week (a few hundred thousand cells at
    Bangkok scale, hashed in memory), and both totals are summed from those cells."""
    parts = [
        f"SELECT city_id, month, '{name}'::varchar AS dimension, {value}::varchar AS value, {_SUMS} "
        f"FROM {months} GROUP BY 1, 2, 3, 4 HAVING {_ANY_NONZERO}"
        for name, value in _TOTAL_DIMENSIONS
    ]
    parts.append(
        f"SELECT city_id, month, 'provider'::varchar, provider_id::text, {_SUMS} "
        f"FROM _pw GROUP BY 1, 2, 3, 4 HAVING {_ANY_NONZERO}"
    )
    parts.append(
        f"SELECT city_id, month, 'week'::varchar, week::text, {_SUMS} "
        f"FROM _pw GROUP BY 1, 2, 3, 4 HAVING {_ANY_NONZERO}"
    )
    cells = (
        "WITH _pw AS MATERIALIZED (SELECT city_id, date_trunc('month', day)::date AS month, provider_id, "
        f"date_trunc('week', day)::date AS week, {_SUMS} FROM {days} GROUP BY 1, 2, 3, 4) "
    )
    return cells + " UNION ALL ".join(parts)


def activity_rollups_rebuild(cursor) -> None:
    """Make ActivityMonth and ActivityTotal equal to the rows of ``_dash_activity_new`` (the
    whole of ActivityDay after a rebuild), writing only the rows that differ."""
    cursor.execute(f"CREATE TEMP TABLE _dash_am_new ON COMMIT DROP AS {_months_sql('_dash_activity_new')}")
    cursor.execute("ANALYZE _dash_am_new")
    cursor.execute(
        "CREATE TEMP TABLE _dash_at_new ON COMMIT DROP AS "
        + _totals_sql(months="_dash_am_new", days="_dash_activity_new")
    )
    for table, new, key in (
        ("dashboards_activitymonth", "_dash_am_new", _MONTH_KEY),
        ("dashboards_activitytotal", "_dash_at_new", _TOTAL_KEY),
    ):
        _rows_replace(cursor, table=table, new=new, columns=key + _ACTIVITY_MEASURES, nullable=(), scope="true")


def rollups_from_tables(cursor) -> None:
    """Derive ActivityMonth, ActivityTotal and LearnerTotal again from ActivityDay and
    LearnerPeriod as they stand (rows written by other means than the refresh jobs, such as
    fixtures or a restore of the summary tables alone), after adding LearnerPeriodDelta into
    LearnerPeriod."""
    learner_deltas_fold(cursor)
    cursor.execute("TRUNCATE dashboards_activitymonth, dashboards_activitytotal, dashboards_learnertotal")
    months = ", ".join(_MONTH_KEY + _ACTIVITY_MEASURES)
    cursor.execute(f"INSERT INTO dashboards_activitymonth ({months}) {_months_sql('dashboards_activityday')}")
    totals = ", ".join(_TOTAL_KEY + _ACTIVITY_MEASURES)
    cursor.execute(
        f"INSERT INTO dashboards_activitytotal ({totals}) "
        + _totals_sql(months="dashboards_activitymonth", days="dashboards_activityday")
    )
    cursor.execute(
        f"INSERT INTO dashboards_learnertotal ({', '.join(_LT_COLUMNS)}) "
        + _learner_totals_sql("dashboards_learnerperiod")
    )


def activity_rollups_apply(cursor) -> None:
    """Add the difference held in ``_dash_activity_delta`` (rows deleted, negated, and rows
    inserted by an incremental run) to ActivityMonth and ActivityTotal."""
    # Not skipped when the month cells net to zero: a row moved between providers or weeks
    # inside one cell still changes ActivityTotal.
    cursor.execute(f"CREATE TEMP TABLE _dash_am_delta ON COMMIT DROP AS {_months_sql('_dash_activity_delta')}")
    cursor.execute(
        "CREATE TEMP TABLE _dash_at_delta ON COMMIT DROP AS "
        + _totals_sql(months="_dash_am_delta", days="_dash_activity_delta")
    )
    _rollup_add(
        cursor, table="dashboards_activitymonth", delta="_dash_am_delta", key=_MONTH_KEY, measures=_ACTIVITY_MEASURES
    )
    _rollup_add(
        cursor, table="dashboards_activitytotal", delta="_dash_at_delta", key=_TOTAL_KEY, measures=_ACTIVITY_MEASURES
    )


class MissingCellError(RuntimeError):
    """A loss for a summary cell that holds nothing: the table and its source disagree."""


def _rollup_add(
    cursor, *, table: str, delta: str, key: tuple[str, ...], measures: tuple[str, ...], unique: tuple[str, ...] = ()
) -> None:
    """Add the rows of `delta` (one per cell of `key`, signed sums) to `table`, through the unique
    index of `key` (an UPDATE ... FROM picked the area or category index and filtered hundreds
    of rows per cell: 0.6-1.5 s for 2,300 cells at medium scale). Two upserts, because a
    proposed row must pass the CHECKs before its conflict is found: the gains (creating the
    cells that are new), then the losses, proposed as positive amounts and subtracted; cells
    left at zero are deleted by id. Only the cells with a gain go through the first and only
    those with a loss through the second: a cell that only loses is not first rewritten with
    nothing added (a new version of its row: removing 10,000 marks rewrote ~9,000 ActivityDay
    rows for nothing). A loss where there was nothing (the rollup and its source disagree)
    takes a cell below zero, which the CHECK refuses, or, in a cell that only loses, proposes a
    new row: either way the run stops and rolls back. `unique`: the columns of the unique index
    when they are not all of `key`."""
    names = ", ".join(key + measures)
    columns = ", ".join(key)
    arbiter = ", ".join(unique or key)
    gains = ", ".join(f"GREATEST({m}, 0)" for m in measures)
    losses = ", ".join(f"-LEAST({m}, 0)" for m in measures)
    any_gain = " OR ".join(f"{m} > 0" for m in measures)
    any_loss = " OR ".join(f"{m} < 0" for m in measures)
    zero = " AND ".join(f"t.{m} = 0" for m in measures)
    cursor.execute(
        f"INSERT INTO {table} AS t ({names}) SELECT {columns}, {gains} FROM {delta} WHERE {any_gain} "
        f"ON CONFLICT ({arbiter}) DO UPDATE SET {', '.join(f'{m} = t.{m} + EXCLUDED.{m}' for m in measures)}"
    )
    emptied = f"{delta}_emptied"
    cursor.execute(f"DROP TABLE IF EXISTS {emptied}")
    cursor.execute(
        f"CREATE TEMP TABLE {emptied} ON COMMIT DROP AS "
        f"WITH up AS (INSERT INTO {table} AS t ({names}) SELECT {columns}, {losses} FROM {delta} WHERE {any_loss} "
        f"ON CONFLICT ({arbiter}) DO UPDATE SET {', '.join(f'{m} = t.{m} - EXCLUDED.{m}' for m in measures)} "
        f"RETURNING t.id, {zero} AS empty, t.xmax = 0 AS inserted) SELECT id, inserted FROM up WHERE empty OR inserted"
    )
    if cursor.rowcount:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {emptied} WHERE inserted)")
        if cursor.fetchone()[0]:
            raise MissingCellError(f"dashboards: a loss in {table} for a missing cell; run dashboards_rebuild")
        cursor.execute(f"DELETE FROM {table} WHERE id = ANY (ARRAY(SELECT id FROM {emptied}))")


def _rows_replace(cursor, *, table: str, new: str, columns: tuple[str, ...], nullable: tuple[str, ...], scope: str):
    """Make the rows of `table` selected by `scope` (a condition on alias t) equal to the rows of
    the temporary table `new`, writing only the rows that differ: a row of `table` with no
    identical row in `new` is deleted, a row of `new` with no identical row left in `table` is
    inserted. After a rebuild most rows are unchanged, and rewriting them all (deleting every
    row and inserting it again through the unique index, which still holds the deleted rows)
    cost more than computing them. Nullable ids compare through 0 (ids start at 1) so that the
    comparison can be hashed."""

    def column(alias: str, name: str) -> str:
        return f"COALESCE({alias}.{name}, 0)" if name in nullable else f"{alias}.{name}"

    same = " AND ".join(f"{column('n', c)} = {column('t', c)}" for c in columns)
    # Left to itself the planner merges on the unique index's first columns and rescans each
    # group (the rebuild's LearnerPeriod delete ran >10 min); a hash anti join takes seconds.
    cursor.execute("SET LOCAL enable_mergejoin = off")
    cursor.execute("SET LOCAL enable_nestloop = off")
    cursor.execute(f"DELETE FROM {table} t WHERE {scope} AND NOT EXISTS (SELECT 1 FROM {new} n WHERE {same})")
    # Every row left has an identical row in `new`, and both sides are sets (the table by its
    # unique index, `new` grouped by the key): as many rows left as `new` holds means they are
    # equal. Counting is a scan; the anti join it spares hashed both sides again (41 s for the
    # 17.9M ActivityDay rows of a Bangkok-scale rebuild with nothing changed).
    cursor.execute(f"SELECT (SELECT count(*) FROM {table} t WHERE {scope}) = (SELECT count(*) FROM {new})")
    if not cursor.fetchone()[0]:
        names = ", ".join(columns)
        # In the order of the unique index (its key is a prefix of `columns`): when many rows are
        # new, the index is filled page after page instead of at random.
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {new} n "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {same}) ORDER BY {names}"
        )
    cursor.execute("SET LOCAL enable_mergejoin = on")
    cursor.execute("SET LOCAL enable_nestloop = on")


def days_claim(cursor) -> int:
    """Move the days marked dirty into ``_dash_days``, deleting the marks, in the caller's
    transaction, before any raw row is read (each later statement sees every transaction that
    committed before it). Marks are append-only rows (dashboards migration 0004): a mark made
    by a transaction still in progress is invisible to this DELETE and stays for the next run,
    so no change is lost, the refresh never waits for a web request, and writers never wait
    for each other on a shared row."""
    claimed = _claim(cursor, into="_dash_days", table="dashboards_dirtyday", columns="day")
    cursor.execute("ALTER TABLE _dash_days ADD PRIMARY KEY (day)")  # days_add adds to it
    return claimed


def _claim(cursor, *, into: str, table: str, columns: str, distinct: bool = True) -> int:
    """Move the rows of `table` (marks or changes written by the triggers) into the temporary
    table `into` (`columns`, a RETURNING list; duplicates dropped when `distinct`), deleting
    them, and analyse it. Returns the rows it holds."""
    cursor.execute(
        f"CREATE TEMP TABLE {into} ON COMMIT DROP AS WITH claimed AS (DELETE FROM {table} RETURNING {columns}) "
        f"SELECT {'DISTINCT ' if distinct else ''}* FROM claimed"
    )
    claimed = cursor.rowcount
    if claimed:
        cursor.execute(f"ANALYZE {into}")
    return claimed


def learner_marks_claim(cursor) -> int:
    """Move the learner months marked dirty (DirtyLearnerMonth) into ``_dash_learner_marks``
    (participant_id NULL: the whole month), deleting the marks, as days_claim does for days and
    right after it. Returns the marks claimed."""
    claimed = _claim(
        cursor, into="_dash_learner_marks", table="dashboards_dirtylearnermonth", columns="participant_id, month AS m"
    )
    cursor.execute("CREATE TEMP TABLE _dash_added (participant_id bigint, m date, programme_id bigint) ON COMMIT DROP")
    return claimed


def changes_claim(cursor) -> int:
    """Move the activity changes written by the triggers (ActivityChange) into ``_dash_changes``,
    deleting them, as days_claim does for days and right after it. Returns the rows claimed."""
    # Not distinct: two statements that each added the same mark are two changes.
    return _claim(
        cursor,
        into="_dash_changes",
        table="dashboards_activitychange",
        columns="session_id, day, course_id, participant_id, enrolments, confirmed, waitlist_unmet, attendances",
        distinct=False,
    )


def learner_changes_claim(cursor) -> int:
    """The learner months that the claimed attendance changes (``_dash_changes``) can move, at
    the sessions' months now: a mark removed adds the person's month to
    ``_dash_learner_marks`` (recomputed from their marks); a mark added at a session that is not
    cancelled goes to ``_dash_added`` (participant, month, programme), whose learner rows are
    only inserted where missing (learner_months_refresh). Returns the rows of both."""
    month = f"date_trunc('month', {_local_day('s.starts_at')})::date"
    cursor.execute(
        f"INSERT INTO _dash_learner_marks (participant_id, m) SELECT DISTINCT ch.participant_id, {month} "
        "FROM _dash_changes ch JOIN programmes_session s ON s.id = ch.session_id WHERE ch.attendances < 0"
    )
    removed = cursor.rowcount
    cursor.execute(
        "INSERT INTO _dash_added (participant_id, m, programme_id) "
        f"SELECT DISTINCT ch.participant_id, {month}, c.programme_id FROM _dash_changes ch "
        "JOIN programmes_session s ON s.id = ch.session_id JOIN programmes_course c ON c.id = s.course_id "
        "WHERE ch.attendances > 0 AND NOT s.is_cancelled"
    )
    return removed + cursor.rowcount


def days_add(cursor, days_sql: str, params=None) -> None:
    """Add days (a SELECT of one date column) to ``_dash_days``."""
    cursor.execute(f"INSERT INTO _dash_days (day) {days_sql} ON CONFLICT (day) DO NOTHING", params)


# --- Distinct learners: LearnerMonth (per person) and LearnerPeriod derived from it -----------
#
# LearnerMonth holds one row per participant x city x dimension value x month with a present
# mark, with the person's district, sex and birth date (the same on all of a person's rows).
# LearnerPeriod counts those rows: a rebuild derives it whole; an incremental refresh recomputes
# LearnerMonth for the learner months the triggers marked (a participant's month, or a whole
# month: DirtyLearnerMonth, migration 0007), finds the participants whose rows changed (C),
# counts C's rows in every period that contains a changed month before and after the change,
# and appends the difference to LearnerPeriodDelta (added into LearnerPeriod nightly, or when
# it grows past DELTAS_FOLDED_AT rows; the pages read both). A period not yet in BuiltPeriod is
# computed whole instead.


def _dims_sql(programmes: str | None = None) -> str:
    """The CTE ``dims``: the dimension values of each programme (with its city), or of the
    programmes whose ids `programmes` selects."""
    where = f"WHERE pg.id = ANY (ARRAY({programmes}))" if programmes else ""
    return f"""
    dims (programme_id, city_id, dimension, value) AS (
        SELECT pg.id, pr.city_id, v.dimension, v.value
          FROM programmes_programme pg
          JOIN programmes_provider pr ON pr.id = pg.provider_id
         CROSS JOIN LATERAL (VALUES ('all', ''), ('provider', pr.id::text), ('format', pg.format::text))
               AS v (dimension, value)
         {where}
        UNION ALL
        SELECT pc.programme_id, pr.city_id, 'category', pc.category_id::text
          FROM programmes_programme_categories pc
          JOIN programmes_programme pg ON pg.id = pc.programme_id
          JOIN programmes_provider pr ON pr.id = pg.provider_id
         {where}
        UNION
        SELECT pc.programme_id, pr.city_id, 'block', b::text
          FROM programmes_programme_categories pc
          JOIN programmes_category cat ON cat.id = pc.category_id
          JOIN programmes_programme pg ON pg.id = pc.programme_id
          JOIN programmes_provider pr ON pr.id = pg.provider_id
         CROSS JOIN LATERAL unnest(cat.building_blocks) AS b
         {where}
    )"""


_DISTRICT = "CASE WHEN p.lives_outside_city THEN NULL ELSE p.district_id END"
_LP_COLUMNS = (
    "city_id",
    "kind",
    "period_start",
    "period_end",
    "dimension",
    "value",
    "district_id",
    "age_from",
    "sex",
    "learners",
)
# LearnerTotal: LearnerPeriod summed over district x age group x sex.
_LT_KEY = ("city_id", "kind", "period_start", "period_end", "dimension", "value")
_LT_COLUMNS = (*_LT_KEY, "learners")


def _learner_totals_sql(source: str) -> str:
    names = ", ".join(_LT_KEY)
    return f"SELECT {names}, sum(learners)::bigint AS learners FROM {source} GROUP BY {names} HAVING sum(learners) <> 0"


_LM_COLUMNS = "participant_id, city_id, dimension, value, month, district_id, sex, birth_date"


def _learner_month_keys_sql(*, months_table: str | None = None, pairs_table: str | None = None) -> str:
    """Distinct (participant, city, dimension, value, month) with a present mark at a
    non-cancelled session: every month, the months listed in `months_table` (column m), or the
    (participant_id, m) pairs of `pairs_table`."""
    month = f"date_trunc('month', {_local_day('s.starts_at')})::date"
    if months_table:
        # The months' sessions as an array of ids (see _events_sql): their marks through the index.
        restrict = (
            f"AND s.id = ANY (ARRAY(SELECT s2.id FROM programmes_session s2 JOIN {months_table} dm "
            f"ON s2.starts_at >= (dm.m::timestamp AT TIME ZONE '{TIME_ZONE}') "
            f"AND s2.starts_at < ((dm.m + interval '1 month')::timestamp AT TIME ZONE '{TIME_ZONE}')))"
        )
    elif pairs_table:
        # The people's marks through the attendance (participant, status) index, at the sessions
        # of the marked months' span (a range of the starts_at index), kept for the months
        # marked for them.
        restrict = (
            f"AND a.participant_id = ANY (ARRAY(SELECT DISTINCT participant_id FROM {pairs_table})) "
            f"AND s.starts_at >= ((SELECT min(m) FROM {pairs_table})::timestamp AT TIME ZONE '{TIME_ZONE}') "
            f"AND s.starts_at < (((SELECT max(m) FROM {pairs_table}) + interval '1 month')::timestamp "
            f"AT TIME ZONE '{TIME_ZONE}') "
            f"AND (a.participant_id, {month}) IN (SELECT participant_id, m FROM {pairs_table})"
        )
    else:
        restrict = ""
    # Marked people: the dimension values of their marks' programmes only (a few hundred of
    # 20,000 at Bangkok scale: 914 -> 690 ms for 10,000 people); whole months and the rebuild
    # reach most programmes.
    dims = _dims_sql("SELECT DISTINCT programme_id FROM marks" if pairs_table and not months_table else None)
    return f"""
    WITH marks AS (
        SELECT DISTINCT a.participant_id, {month} AS month, c.programme_id
          FROM programmes_session s
          JOIN participants_attendance a ON a.session_id = s.id
          JOIN programmes_course c ON c.id = s.course_id
         WHERE a.status = 'present' AND NOT s.is_cancelled {restrict}
    ),
    {dims}
    SELECT DISTINCT m.participant_id, d.city_id, d.dimension, d.value, m.month
      FROM marks m JOIN dims d ON d.programme_id = m.programme_id"""


def _indexes_drop(cursor, table: str) -> list[str]:
    """Drop the primary key and every index of `table` (inside the caller's transaction) and
    return the statements that re-create them exactly, under the same names (migrations and
    makemigrations keep knowing them). Only for a table that the pages never read: the drop
    holds an exclusive lock on it until commit."""
    cursor.execute(
        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.conrelid = %s::regclass AND c.contype IN ('p', 'u') ORDER BY c.conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = %s::regclass AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid) "
        "ORDER BY 1",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, definition in constraints] + [
        definition for _name, definition in indexes
    ]


def learner_months_rebuild(cursor) -> int:
    """Replace every LearnerMonth row from the raw attendance. Returns the rows written.

    Only the refresh jobs (under their lock) read LearnerMonth, so the table is emptied and its
    primary key and indexes dropped for the load, then rebuilt once over the sorted rows (much
    cheaper than maintaining five indexes row by row)."""
    cursor.execute("TRUNCATE dashboards_learnermonth, dashboards_builtperiod")
    recreate = _indexes_drop(cursor, "dashboards_learnermonth")
    cursor.execute(
        f"INSERT INTO dashboards_learnermonth ({_LM_COLUMNS}) "
        f"SELECT k.*, {_DISTRICT}, p.sex, p.birth_date "
        f"FROM ({_learner_month_keys_sql(months_table=None)}) AS k "
        "JOIN participants_participant p ON p.id = k.participant_id "
        "ORDER BY k.participant_id, k.city_id, k.dimension, k.value, k.month"
    )
    rows = cursor.rowcount
    for statement in recreate:
        cursor.execute(statement)
    cursor.execute("ANALYZE dashboards_learnermonth")
    return rows


# Periods (kind, first day, last day) containing the months of `_dash_months` that have begun:
# months and years from their first day, rolling windows ending at the current month at most.
_PERIODS_FROM_MONTHS = """
    INSERT INTO _dash_periods (kind, period_start, period_end)
    SELECT 'month', m, (m + interval '1 month' - interval '1 day')::date FROM _dash_months
     WHERE m <= %(current_month)s
    UNION
    SELECT 'year', date_trunc('year', m::timestamp)::date,
           (date_trunc('year', m::timestamp) + interval '1 year' - interval '1 day')::date
      FROM _dash_months WHERE date_trunc('year', m::timestamp) <= %(current_month)s
    UNION
    SELECT 'rolling12', (e - interval '11 months')::date, (e + interval '1 month' - interval '1 day')::date
      FROM _dash_months, generate_series(m::timestamp, m::timestamp + interval '11 months', interval '1 month') AS e
     WHERE e <= %(current_month)s
    ON CONFLICT DO NOTHING
"""


def periods_prepare(cursor, *, today: dt.date, months_sql: str, params=None, whole: bool = False) -> int:
    """Add to ``_dash_periods`` every begun period containing one of the months selected by
    ``months_sql`` (a SELECT of first-of-month dates); ``whole`` marks them to be computed
    whole even when built. Returns the number of periods added."""
    cursor.execute("DROP TABLE IF EXISTS _dash_months")
    cursor.execute("CREATE TEMP TABLE _dash_months (m date PRIMARY KEY) ON COMMIT DROP")
    cursor.execute(
        f"INSERT INTO _dash_months (m) SELECT DISTINCT m FROM ({months_sql}) AS x(m) WHERE m IS NOT NULL",
        params or {},
    )
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS _dash_periods (kind varchar(12), period_start date, period_end date, "
        "whole boolean NOT NULL DEFAULT false, PRIMARY KEY (kind, period_end)) ON COMMIT DROP"
    )
    cursor.execute(_PERIODS_FROM_MONTHS, {"current_month": today.replace(day=1)})
    added = cursor.rowcount
    if whole:
        cursor.execute(
            "UPDATE _dash_periods per SET whole = true FROM _dash_months dm "
            "WHERE dm.m BETWEEN date_trunc('month', per.period_end::timestamp) AND per.period_end "
            "AND per.kind <> 'year'"
        )
    return added


def months_with_sessions_sql() -> str:
    """Every month with a non-cancelled session (for a full rebuild)."""
    return (
        f"SELECT DISTINCT date_trunc('month', {_local_day('s.starts_at')})::date "
        "FROM programmes_session s WHERE NOT s.is_cancelled"
    )


def _counts_sql(*, people: str | None, periods: str, keys: str | None = None, joined: bool = False) -> str:
    """Learners per period and cell, counted over LearnerMonth rows (of the participants in the
    table `people` when given, and of their dimension values in the table `keys`, all of them
    for the people marked ``moved``) for the periods selected by `periods` (a condition on ``per``,
    an alias of _dash_periods). Each person once per period and dimension value: with a
    person's months m1 < m2 < ... in order (lag), a year is counted at its first month and the
    rolling windows (named by their last month) that contain m_i and none of the earlier months
    are [max(m_i, m_(i-1) + 12 months), m_i + 11 months], so every window is generated once.
    With `joined` (a few periods), each row is instead joined with the periods of ``per`` that
    contain its month and counted where the previous month is before the period's start (the
    first of its months there): the same counts. Reading only months in [lo, hi] (the span of
    the periods) is enough: an earlier month is in none of them."""
    # = ANY (ARRAY(...)), not a join: the planner expected a tenth of the year's rows from a join
    # with ~10,000 people and read all of them (9.6M at Bangkok scale, 3.5-4.5 s) instead of
    # looking each person up through the primary key (0.15 s).
    restrict = f"AND l.participant_id = ANY (ARRAY(SELECT participant_id FROM {people}))" if people else ""
    if keys:
        # Only the changed dimension values, except for people whose attributes moved (all of theirs).
        restrict += (
            f" AND (l.participant_id = ANY (ARRAY(SELECT participant_id FROM {people} WHERE moved)) "
            f"OR (l.participant_id, l.city_id, l.dimension, l.value) IN "
            f"(SELECT participant_id, city_id, dimension, value FROM {keys}))"
        )
    rows = f"""
    SELECT lm.city_id, per.kind, per.period_start, per.period_end, lm.dimension, lm.value, lm.district_id,
           {_age_group("per.period_end", "lm.birth_date")} AS age_from, lm.sex, count(*) AS learners
      FROM (SELECT l.*, lag(l.month) OVER (PARTITION BY l.participant_id, l.city_id, l.dimension, l.value
                                           ORDER BY l.month) AS previous
              FROM dashboards_learnermonth l
             WHERE l.month >= %(lo)s AND l.month <= %(hi)s {restrict}) AS lm"""
    if joined:
        # Each row joined with the few periods containing its month, counted where it is the
        # first of its run there (its previous month is earlier): cheaper than generating every
        # period of each row (~3 us a row) while the periods are few.
        return f"""{rows}
      JOIN _dash_periods per ON lm.month BETWEEN per.period_start AND per.period_end
       AND (lm.previous IS NULL OR lm.previous < per.period_start) AND {periods}
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"""
    return f"""{rows}
     CROSS JOIN LATERAL (
           SELECT 'month'::varchar AS kind, (lm.month + interval '1 month' - interval '1 day')::date AS period_end
           UNION ALL
           SELECT 'year', (date_trunc('year', lm.month::timestamp) + interval '1 year' - interval '1 day')::date
            WHERE lm.previous IS NULL OR lm.previous < date_trunc('year', lm.month::timestamp)
           UNION ALL
           SELECT 'rolling12', (e + interval '1 month' - interval '1 day')::date
             FROM generate_series(greatest(lm.month::timestamp, lm.previous + interval '12 months', %(first_end)s),
                                  least(lm.month + interval '11 months', %(last_end)s), interval '1 month') AS e
           ) AS x
      JOIN _dash_periods per ON per.kind = x.kind AND per.period_end = x.period_end AND {periods}
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"""


def _difference_counts_sql(*, periods: str, joined: bool = False) -> str:
    """The differences in learners per period and cell that this run's changes to LearnerMonth
    make, when nobody moved and no month is recomputed whole: counted in one read, before the
    writes. The rows of the changed people's changed values: those stored (as _counts_sql reads
    them; ``was``), the stored ones that go (``_dash_lm_gone``: not ``now``), and the rows that
    come (``_dash_lm_came``, ``_dash_added_keys``; not ``was``). Each row has the previous month
    of its value before the run (``previous_old``, over the rows that were) and after it
    (``previous``, over the rows that are), both from one window (one sort, one pass: the
    latest of the months before the row); it counts +1 in a period where it is now the first of
    its months, and -1 where it was the first before. A row that stays with the same previous
    month counts as before and is skipped, so only the rows that come or go and the rows just
    after one are expanded. Replaces the counts before and after the writes (_counts_sql),
    which read the same rows twice (0.60-0.66 s -> 0.36 s for 10,000 added marks at Bangkok
    scale). The changed values are matched as in _counts_sql: the OR with the moved people (none
    here) keeps the IN a subplan hashed once; as a join (the planner expects ~200 rows; 151,058
    at medium scale), each row probed the values' index (~220 ms), or, with OFFSET 0, scanned
    them all (480 s)."""
    key = "participant_id, city_id, dimension, value, month"
    rows = f"""
    SELECT lm.city_id, per.kind, per.period_start, per.period_end, lm.dimension, lm.value, lm.district_id,
           {_age_group("per.period_end", "lm.birth_date")} AS age_from, lm.sex, sum(x.sign) AS learners
      FROM (SELECT l.*, max(l.month) FILTER (WHERE l.now) OVER w AS previous,
                   max(l.month) FILTER (WHERE l.was) OVER w AS previous_old
              FROM (SELECT {_LM_COLUMNS}, true AS was, ({key}) NOT IN (SELECT {key} FROM _dash_lm_gone) AS now
                      FROM dashboards_learnermonth l
                     WHERE l.month >= %(lo)s AND l.month <= %(hi)s
                       AND l.participant_id = ANY (ARRAY(SELECT participant_id FROM _dash_changed))
                       AND (l.participant_id = ANY (ARRAY(SELECT participant_id FROM _dash_changed WHERE moved))
                            OR (l.participant_id, l.city_id, l.dimension, l.value) IN
                               (SELECT participant_id, city_id, dimension, value FROM _dash_changed_keys))
                    UNION ALL
                    SELECT k.participant_id, k.city_id, k.dimension, k.value, k.month,
                           p.district_id, p.sex, p.birth_date, false, true
                      FROM _dash_added_keys k JOIN _dash_people p ON p.participant_id = k.participant_id
                     WHERE k.month >= %(lo)s AND k.month <= %(hi)s
                    UNION ALL
                    SELECT {_LM_COLUMNS}, false, true FROM _dash_lm_came
                     WHERE month >= %(lo)s AND month <= %(hi)s) AS l
            WINDOW w AS (PARTITION BY l.participant_id, l.city_id, l.dimension, l.value ORDER BY l.month
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) AS lm"""
    keep = "(NOT lm.was OR NOT lm.now OR lm.previous IS DISTINCT FROM lm.previous_old)"

    def first(start: str) -> str:
        # +1 where the row is now the first of its months from `start`, -1 where it was
        return (
            f"(lm.now AND (lm.previous IS NULL OR lm.previous < {start}))::int "
            f"- (lm.was AND (lm.previous_old IS NULL OR lm.previous_old < {start}))::int"
        )

    if joined:
        return f"""{rows}
      JOIN _dash_periods per ON lm.month BETWEEN per.period_start AND per.period_end AND {periods}
     CROSS JOIN LATERAL (SELECT {first("per.period_start")} AS sign) AS x
     WHERE {keep} AND x.sign <> 0
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"""
    # A row that both was and is, with another previous month, generates both sets of windows:
    # the ones they share add up to 0 in the cell.
    year = "date_trunc('year', lm.month::timestamp)"
    return f"""{rows}
     CROSS JOIN LATERAL (
           SELECT 'month'::varchar AS kind, (lm.month + interval '1 month' - interval '1 day')::date AS period_end,
                  lm.now::int - lm.was::int AS sign
            WHERE lm.now <> lm.was
           UNION ALL
           SELECT 'year', ({year} + interval '1 year' - interval '1 day')::date, y.sign
             FROM (SELECT {first(year)} AS sign) AS y
            WHERE y.sign <> 0
           UNION ALL
           SELECT 'rolling12', (e + interval '1 month' - interval '1 day')::date, 1
             FROM generate_series(greatest(lm.month::timestamp, lm.previous + interval '12 months', %(first_end)s),
                                  least(lm.month + interval '11 months', %(last_end)s), interval '1 month') AS e
            WHERE lm.now
           UNION ALL
           SELECT 'rolling12', (e + interval '1 month' - interval '1 day')::date, -1
             FROM generate_series(greatest(lm.month::timestamp, lm.previous_old + interval '12 months', %(first_end)s),
                                  least(lm.month + interval '11 months', %(last_end)s), interval '1 month') AS e
            WHERE lm.was
           ) AS x
      JOIN _dash_periods per ON per.kind = x.kind AND per.period_end = x.period_end AND {periods}
     WHERE {keep}
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"""


def _span(cursor, periods: str) -> dict | None:
    cursor.execute(
        "SELECT min(period_start), max(period_end), "
        "min(date_trunc('month', period_end::timestamp)) FILTER (WHERE kind = 'rolling12'), "
        f"max(date_trunc('month', period_end::timestamp)) FILTER (WHERE kind = 'rolling12'), count(*) "
        f"FROM _dash_periods per WHERE {periods}"
    )
    lo, hi, first_end, last_end, count = cursor.fetchone()
    if lo is None:
        return None
    # Without a rolling window to compute, an empty range (first > last) generates none.
    return {
        "lo": lo,
        "hi": hi,
        "first_end": first_end or dt.datetime(9999, 1, 1),
        "last_end": last_end or dt.datetime(1, 1, 1),
        "periods": count,
    }


_TO_BUILD = (
    "(per.whole OR NOT EXISTS (SELECT 1 FROM dashboards_builtperiod b "
    "WHERE b.kind = per.kind AND b.period_end = per.period_end))"
)
_BUILT = f"NOT {_TO_BUILD}"


def learner_periods_whole(cursor, *, everything: bool = False) -> int:
    """Compute whole, from LearnerMonth, the periods of ``_dash_periods`` that are not built
    (or are marked ``whole``), and record them as built; with ``everything``, LearnerPeriod
    rows of any other period are deleted (a rebuild). Returns the rows those periods now hold."""
    cursor.execute(f"UPDATE _dash_periods per SET whole = true WHERE {_TO_BUILD}")
    span = _span(cursor, "per.whole")
    if span is None:
        return 0
    # The planner expects every LearnerMonth row to expand to ~1000 periods and sorts the
    # expansion on disk (18M rows at medium scale: ~140 s); hashing the ~3M cells in memory takes
    # a fifth of that. Both settings are switched back right after.
    cursor.execute(f"SET LOCAL hash_mem_multiplier = {HASH_MEM_MULTIPLIER}")
    cursor.execute("SET LOCAL enable_sort = off")
    cursor.execute("DROP TABLE IF EXISTS _dash_lp_new")
    cursor.execute(
        f"CREATE TEMP TABLE _dash_lp_new ON COMMIT DROP AS {_counts_sql(people=None, periods='per.whole')}",
        span,
    )
    rows = cursor.rowcount
    cursor.execute("ANALYZE _dash_lp_new")
    cursor.execute("SET LOCAL enable_sort = on")
    cursor.execute("SET LOCAL hash_mem_multiplier = DEFAULT")
    cursor.execute("DROP TABLE IF EXISTS _dash_lt_new")
    cursor.execute(f"CREATE TEMP TABLE _dash_lt_new ON COMMIT DROP AS {_learner_totals_sql('_dash_lp_new')}")
    if everything:
        cursor.execute("DELETE FROM dashboards_learnerperioddelta")
        for table, new, columns, nullable in (
            ("dashboards_learnerperiod", "_dash_lp_new", _LP_COLUMNS, ("district_id",)),
            ("dashboards_learnertotal", "_dash_lt_new", _LT_COLUMNS, ()),
        ):
            _rows_replace(cursor, table=table, new=new, columns=columns, nullable=nullable, scope="true")
    else:
        # A few periods: their rows (and differences not yet added) are found through the index
        # and rewritten.
        for table, new, columns in (
            ("dashboards_learnerperioddelta", None, ()),
            ("dashboards_learnerperiod", "_dash_lp_new", _LP_COLUMNS),
            ("dashboards_learnertotal", "_dash_lt_new", _LT_COLUMNS),
        ):
            cursor.execute(
                f"DELETE FROM {table} lp USING _dash_periods per "
                "WHERE per.whole AND lp.kind = per.kind AND lp.period_end = per.period_end"
            )
            if new:
                names = ", ".join(columns)
                cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {new}")
    cursor.execute(
        "INSERT INTO dashboards_builtperiod (kind, period_end) SELECT kind, period_end FROM _dash_periods "
        "WHERE whole ON CONFLICT DO NOTHING"
    )
    cursor.execute("UPDATE _dash_periods SET whole = false WHERE whole")
    return rows


def learner_months_ready(cursor) -> bool:
    """Whether LearnerMonth and BuiltPeriod describe LearnerPeriod: false when LearnerPeriod
    holds rows that no run of this design built (right after the migration that added them)."""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM dashboards_builtperiod) OR NOT EXISTS (SELECT 1 FROM dashboards_learnerperiod)"
    )
    return cursor.fetchone()[0]


def _added_keys(cursor) -> None:
    """``_dash_added_keys``: the learner rows that the added marks of ``_dash_added`` imply and
    LearnerMonth lacks, outside the months recomputed whole or per person (a person already
    counted in the month under those values changes nothing)."""
    cursor.execute(
        "CREATE TEMP TABLE _dash_added_keys ON COMMIT DROP AS "
        f"WITH {_dims_sql('SELECT DISTINCT programme_id FROM _dash_added')} "
        "SELECT DISTINCT a.participant_id, d.city_id, d.dimension, d.value, a.m AS month "
        "FROM _dash_added a JOIN dims d ON d.programme_id = a.programme_id "
        "WHERE NOT EXISTS (SELECT 1 FROM _dash_dirty_months w WHERE w.m = a.m) "
        "AND NOT EXISTS (SELECT 1 FROM _dash_pairs p WHERE p.participant_id = a.participant_id AND p.m = a.m) "
        "ORDER BY 1, 2, 3, 4, 5"  # LearnerMonth's primary key order: its pages are looked up in turn
    )
    if not cursor.rowcount:
        return
    cursor.execute("ANALYZE _dash_added_keys")
    # The people's stored rows of the added months, each person's read in one range of
    # LearnerMonth's primary key, hashed against the keys: 88 ms for 62,717 keys of 9,949 people
    # at Bangkok scale, against 188 ms warm (412 ms right after a rebuild) for a lookup of each
    # key (a descent of the index each).
    cursor.execute("SET LOCAL enable_nestloop = off")
    cursor.execute("SET LOCAL enable_mergejoin = off")
    cursor.execute(
        "DELETE FROM _dash_added_keys k USING (SELECT l.participant_id, l.city_id, l.dimension, l.value, l.month "
        "FROM dashboards_learnermonth l "
        "WHERE l.participant_id = ANY (ARRAY(SELECT DISTINCT participant_id FROM _dash_added_keys)) "
        "AND l.month = ANY (ARRAY(SELECT DISTINCT month FROM _dash_added_keys))) AS l "
        "WHERE l.participant_id = k.participant_id AND l.city_id = k.city_id AND l.dimension = k.dimension "
        "AND l.value = k.value AND l.month = k.month"
    )
    cursor.execute("SET LOCAL enable_mergejoin = on")
    cursor.execute("SET LOCAL enable_nestloop = on")


def _sessions_hashed(cursor) -> bool:
    """Whether the marked people's present marks (``_dash_pairs``) are to be matched with the
    sessions of the marked months' span by hashing those sessions, rather than by looking each
    mark's session up through its primary key: when the marks outnumber the sessions. The
    planner cannot tell (it expects ~600 marks for any number of people): at Bangkok scale
    10,000 people have ~160,000 marks, one month ~25,000 sessions (0.69 s looked up, 0.37 s
    hashed), while one person's few marks against three years of sessions must be looked up."""
    cursor.execute(
        "SELECT count(DISTINCT participant_id), min(m), max(m), "
        "(SELECT reltuples / greatest((SELECT reltuples FROM pg_class "
        "WHERE oid = 'participants_participant'::regclass), 1) FROM pg_class "
        "WHERE oid = 'participants_attendance'::regclass) FROM _dash_pairs"
    )
    people, first, last, per_person = cursor.fetchone()
    marks = int(people * max(per_person or 0, 0))
    if not marks:
        return False
    span = (
        "SELECT FROM programmes_session "
        f"WHERE starts_at >= ('{first.isoformat()}'::timestamp AT TIME ZONE '{TIME_ZONE}') "
        f"AND starts_at < (('{last.isoformat()}'::date + interval '1 month')::timestamp AT TIME ZONE '{TIME_ZONE}')"
    )
    return _estimated_rows(cursor, span) < marks


def _estimated_rows(cursor, select: str) -> int:
    """The planner's estimate of the rows of `select` (statistics only: counting the sessions of
    a month read every page, ~0.5 s right after a restart)."""
    cursor.execute(f"EXPLAIN (FORMAT JSON) {select}")
    plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def learner_months_refresh(cursor, *, today: dt.date) -> int:
    """Bring LearnerMonth up to date for the learner months claimed into ``_dash_learner_marks``
    (learner_marks_claim: whole months, and single people's months) and LearnerPeriod with it:
    by difference for the built periods containing a changed month, whole for the others.
    Leaves those periods in ``_dash_periods``. Returns the LearnerPeriod(Delta) rows written."""
    cursor.execute(
        "CREATE TEMP TABLE _dash_dirty_months ON COMMIT DROP AS "
        "SELECT DISTINCT m FROM _dash_learner_marks WHERE participant_id IS NULL"
    )
    whole = cursor.rowcount
    cursor.execute("ALTER TABLE _dash_dirty_months ADD PRIMARY KEY (m)")
    cursor.execute(
        "CREATE TEMP TABLE _dash_pairs ON COMMIT DROP AS SELECT DISTINCT participant_id, m FROM _dash_learner_marks "
        "WHERE participant_id IS NOT NULL AND m NOT IN (SELECT m FROM _dash_dirty_months)"
    )
    pairs = cursor.rowcount
    cursor.execute("ALTER TABLE _dash_pairs ADD PRIMARY KEY (participant_id, m)")
    cursor.execute("ANALYZE _dash_pairs")
    _added_keys(cursor)
    # (a) the rows of those months (of those people) now, and as stored; the two parts are disjoint
    keys = "CREATE TEMP TABLE _dash_lm_keys ON COMMIT DROP AS "
    old = (
        [
            f"SELECT {_LM_COLUMNS} FROM dashboards_learnermonth "
            "WHERE month = ANY (ARRAY(SELECT m FROM _dash_dirty_months))"  # through the month index
        ]
        if whole
        else []
    )
    if whole:
        cursor.execute(keys + _learner_month_keys_sql(months_table="_dash_dirty_months"))
        keys = "INSERT INTO _dash_lm_keys "
    if pairs or not whole:
        hashed = pairs and _sessions_hashed(cursor)
        if hashed:
            cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(keys + _learner_month_keys_sql(pairs_table="_dash_pairs"))
        if hashed:
            cursor.execute("SET LOCAL enable_nestloop = on")
        # Each pair's rows through the primary key, the month an index condition: only the rows
        # of the marked months are read from the heap (at medium scale 10,000 pairs: 65,429 rows,
        # 132 ms, against 497,121 rows of the people and a merge join with the pairs: 285 ms).
        old.append(
            f"SELECT {', '.join(f'l.{c}' for c in _LM_COLUMNS.split(', '))} FROM _dash_pairs p "
            "JOIN dashboards_learnermonth l ON l.participant_id = p.participant_id AND l.month = p.m"
        )
    cursor.execute("SET LOCAL enable_hashjoin = off")
    cursor.execute("SET LOCAL enable_mergejoin = off")
    cursor.execute("CREATE TEMP TABLE _dash_lm_old ON COMMIT DROP AS " + " UNION ALL ".join(old))
    cursor.execute("SET LOCAL enable_mergejoin = on")
    cursor.execute("SET LOCAL enable_hashjoin = on")
    # One read of each person's attributes, used for every row of theirs written by this run.
    cursor.execute(
        "CREATE TEMP TABLE _dash_people ON COMMIT DROP AS "
        f"SELECT p.id AS participant_id, {_DISTRICT} AS district_id, p.sex, p.birth_date "
        "FROM participants_participant p WHERE p.id = ANY (ARRAY(SELECT participant_id FROM _dash_lm_keys "
        "UNION SELECT participant_id FROM _dash_lm_old UNION SELECT participant_id FROM _dash_added_keys))"
    )
    cursor.execute("ALTER TABLE _dash_people ADD PRIMARY KEY (participant_id)")
    cursor.execute(
        "CREATE TEMP TABLE _dash_lm_new ON COMMIT DROP AS SELECT k.*, p.district_id, p.sex, p.birth_date "
        "FROM _dash_lm_keys k JOIN _dash_people p ON p.participant_id = k.participant_id"
    )
    # (b) the participants whose rows changed; `moved`: their attributes changed too (one stored row
    # tells: a person's rows always carry the same attributes, rewritten together in (d)).
    # Only people with marked months can have moved: the participant trigger marks every month
    # of a person whose attributes change (migration 0007), and a person all of whose months are
    # whole months has all their rows rewritten anyway. Their stored attributes come from their
    # rows read in (a) when there are any (no lookup), else from one LearnerMonth row.
    # The dimension values whose months changed (a person's other values count as before).
    cursor.execute(
        "CREATE TEMP TABLE _dash_lm_gone ON COMMIT DROP AS SELECT * FROM _dash_lm_old EXCEPT SELECT * FROM _dash_lm_new"
    )
    cursor.execute(
        "CREATE TEMP TABLE _dash_lm_came ON COMMIT DROP AS SELECT * FROM _dash_lm_new EXCEPT SELECT * FROM _dash_lm_old"
    )
    cursor.execute(
        "CREATE TEMP TABLE _dash_changed_keys ON COMMIT DROP AS "
        "SELECT DISTINCT participant_id, city_id, dimension, value FROM ("
        "  SELECT participant_id, city_id, dimension, value FROM _dash_lm_gone"
        "  UNION ALL SELECT participant_id, city_id, dimension, value FROM _dash_lm_came"
        "  UNION ALL SELECT participant_id, city_id, dimension, value FROM _dash_added_keys) AS d"
    )
    cursor.execute(
        "CREATE TEMP TABLE _dash_changed ON COMMIT DROP AS "
        "SELECT c.participant_id, p.participant_id IS NOT NULL AND c.participant_id IN "
        "(SELECT participant_id FROM _dash_pairs) AND CASE WHEN o.participant_id IS NOT NULL "
        "  THEN (o.district_id, o.sex, o.birth_date) IS DISTINCT FROM (p.district_id, p.sex, p.birth_date) "
        "  ELSE COALESCE(("
        "  SELECT (l.district_id, l.sex, l.birth_date) IS DISTINCT FROM (p.district_id, p.sex, p.birth_date)"
        "    FROM dashboards_learnermonth l WHERE l.participant_id = c.participant_id LIMIT 1"
        "), false) END AS moved "
        "FROM (SELECT DISTINCT participant_id FROM _dash_changed_keys) AS c "
        "LEFT JOIN _dash_people p ON p.participant_id = c.participant_id "
        "LEFT JOIN (SELECT DISTINCT ON (participant_id) participant_id, district_id, sex, birth_date "
        "FROM _dash_lm_old ORDER BY participant_id) AS o ON o.participant_id = c.participant_id"
    )
    cursor.execute("ALTER TABLE _dash_changed ADD PRIMARY KEY (participant_id)")
    cursor.execute("ANALYZE _dash_changed")
    cursor.execute("ALTER TABLE _dash_changed_keys ADD PRIMARY KEY (participant_id, city_id, dimension, value)")
    cursor.execute("ANALYZE _dash_changed_keys")
    # (c) the periods to adjust: those of the dirty months, and of every month of a person who moved
    periods_prepare(
        cursor,
        today=today,
        months_sql="SELECT m FROM _dash_dirty_months UNION SELECT m FROM _dash_pairs "
        "UNION SELECT DISTINCT month FROM _dash_added_keys "
        "UNION SELECT DISTINCT l.month FROM dashboards_learnermonth l "
        "WHERE l.participant_id = ANY (ARRAY(SELECT participant_id FROM _dash_changed WHERE moved))",
    )
    cursor.execute("ANALYZE _dash_periods")
    cursor.execute(
        "CREATE TEMP TABLE _dash_delta (city_id bigint, kind varchar(12), period_start date, period_end date, "
        "dimension varchar(12), value varchar(32), district_id bigint, age_from smallint, sex varchar(16), "
        "learners bigint) ON COMMIT DROP"
    )
    span = _span(cursor, _BUILT)
    # Nobody moved and no whole month: the differences are counted in one read, before the
    # writes (_difference_counts_sql); else the counts before and after them.
    cursor.execute("SELECT EXISTS (SELECT 1 FROM _dash_changed WHERE moved)")
    by_difference = not whole and not cursor.fetchone()[0]
    if span is not None:
        _delta_counts(cursor, span, sign="" if by_difference else "-", by_difference=by_difference)
    # (d) the new rows of the changed participants, and their current attributes on all their rows
    # (through the primary key: as a join, a sequential scan of 33M rows at Bangkok scale)
    if whole:
        cursor.execute(
            "DELETE FROM dashboards_learnermonth l WHERE l.participant_id = ANY (ARRAY(SELECT participant_id FROM "
            "_dash_changed)) AND l.month = ANY (ARRAY(SELECT m FROM _dash_dirty_months))"
        )
    if pairs:
        # As _dash_lm_old was read: a pair's rows through the primary key, the month an index condition.
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute(
            "DELETE FROM dashboards_learnermonth l USING _dash_pairs p "
            "WHERE l.participant_id = p.participant_id AND l.month = p.m "
            "AND p.participant_id = ANY (ARRAY(SELECT participant_id FROM _dash_changed))"
        )
        cursor.execute("SET LOCAL enable_mergejoin = on")
        cursor.execute("SET LOCAL enable_hashjoin = on")
    cursor.execute(
        f"INSERT INTO dashboards_learnermonth ({_LM_COLUMNS}) SELECT {_LM_COLUMNS} FROM _dash_lm_new n "
        "WHERE n.participant_id IN (SELECT participant_id FROM _dash_changed) "
        "ORDER BY n.participant_id, n.city_id, n.dimension, n.value, n.month"  # the primary key's order
    )
    cursor.execute(
        f"INSERT INTO dashboards_learnermonth ({_LM_COLUMNS}) SELECT k.participant_id, k.city_id, k.dimension, "
        "k.value, k.month, p.district_id, p.sex, p.birth_date FROM _dash_added_keys k "
        "JOIN _dash_people p ON p.participant_id = k.participant_id "
        "ORDER BY k.participant_id, k.city_id, k.dimension, k.value, k.month"
    )
    cursor.execute(
        "UPDATE dashboards_learnermonth l SET district_id = p.district_id, sex = p.sex, birth_date = p.birth_date "
        "FROM _dash_changed c JOIN _dash_people p ON p.participant_id = c.participant_id "
        "WHERE c.moved AND l.participant_id = c.participant_id "
        "AND l.participant_id = ANY (ARRAY(SELECT participant_id FROM _dash_changed WHERE moved)) "
        "AND (l.district_id, l.sex, l.birth_date) IS DISTINCT FROM (p.district_id, p.sex, p.birth_date)"
    )
    rows = 0
    if span is not None:
        # (e) the new contribution, (f) applied as a difference
        if not by_difference:
            _delta_counts(cursor, span, sign="")
        rows += _delta_apply(cursor)
    rows += learner_periods_whole(cursor)
    return rows


# At most this many periods to adjust (those of one changed month: its month, year and 12 rolling
# windows), the changed people's rows are joined with them rather than expanded into theirs.
JOINED_PERIODS = 14


def _delta_counts(cursor, span: dict, *, sign: str, by_difference: bool = False) -> None:
    """Add the changed participants' learner counts in the built periods to ``_dash_delta``,
    with `sign` ("-": their contribution before the change), or with `by_difference` the
    differences that the run's changes make (_difference_counts_sql). Grouped by
    hashing: the planner expects a few dozen rows and sorts the ~230,000 expanded rows of 10,000
    people at Bangkok scale (0.65 s of a 1.4 s statement)."""
    cursor.execute("SET LOCAL enable_sort = off")
    joined = span["periods"] <= JOINED_PERIODS
    if by_difference:
        counts = _difference_counts_sql(periods=_BUILT, joined=joined)
    else:
        counts = _counts_sql(people="_dash_changed", periods=_BUILT, keys="_dash_changed_keys", joined=joined)
    columns = "city_id, kind, period_start, period_end, dimension, value, district_id, age_from, sex"
    cursor.execute(
        f"INSERT INTO _dash_delta SELECT {columns}, {sign}learners FROM ({counts}) AS counted",
        span,
    )
    cursor.execute("SET LOCAL enable_sort = on")


_UPSERT = """
    INSERT INTO dashboards_learnerperiod AS lp (city_id, kind, period_start, period_end, dimension, value,
                                               district_id, age_from, sex, learners)
    SELECT city_id, kind, period_start, period_end, dimension, value, district_id, age_from, sex, abs(learners)
      FROM {source} WHERE learners {compare} 0
     ORDER BY city_id, kind, period_end, dimension, value, district_id, age_from, sex
        ON CONFLICT ON CONSTRAINT dashboards_learnerperiod_cell
        DO UPDATE SET learners = lp.learners {sign} EXCLUDED.learners
    RETURNING lp.id, lp.learners, (lp.xmax = 0) AS inserted
"""
_CELL = ", ".join(_LP_COLUMNS[:-1])
DELTAS_FOLDED_AT = 250_000  # rows of LearnerPeriodDelta past which a run adds them into LearnerPeriod


def _delta_apply(cursor) -> int:
    """Add the summed differences of ``_dash_delta`` to LearnerTotal (through its unique index:
    a few rows a value) and append them to LearnerPeriodDelta, which the pages add to
    LearnerPeriod; add those into LearnerPeriod when they pass DELTAS_FOLDED_AT rows."""
    cursor.execute(
        "CREATE TEMP TABLE _dash_delta_sum ON COMMIT DROP AS "
        f"SELECT {_CELL}, sum(learners)::int AS learners FROM _dash_delta "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 HAVING sum(learners) <> 0"
    )
    if not cursor.rowcount:
        return 0
    cursor.execute(f"CREATE TEMP TABLE _dash_lt_delta ON COMMIT DROP AS {_learner_totals_sql('_dash_delta_sum')}")
    _rollup_add(
        cursor,
        table="dashboards_learnertotal",
        delta="_dash_lt_delta",
        key=_LT_KEY,
        measures=("learners",),
        unique=("city_id", "kind", "period_end", "dimension", "value"),
    )
    cursor.execute(
        f"INSERT INTO dashboards_learnerperioddelta ({_CELL}, learners) "
        f"SELECT {_CELL}, learners FROM _dash_delta_sum ORDER BY city_id, kind, period_end, dimension"
    )
    rows = cursor.rowcount
    # The rows there before this run as the statistics count them (counting them read the whole
    # table: 0.5 s right after a restart) plus this run's: a threshold, not an exact count.
    cursor.execute("SELECT n_live_tup FROM pg_stat_user_tables WHERE relid = 'dashboards_learnerperioddelta'::regclass")
    if (cursor.fetchone() or (0,))[0] + rows > DELTAS_FOLDED_AT:
        rows += learner_deltas_fold(cursor)
    return rows


def learner_deltas_fold(cursor) -> int:
    """Add the differences of LearnerPeriodDelta into LearnerPeriod (each cell through its unique
    index), drop the cells left at 0 and empty LearnerPeriodDelta; the pages read the same
    numbers before and after. Gains first, then losses (a loss is written as a subtraction: the
    table's CHECK refuses a negative row even on the way to an update). Returns the cells
    written."""
    cursor.execute("DROP TABLE IF EXISTS _dash_fold, _dash_emptied")
    cursor.execute(
        "CREATE TEMP TABLE _dash_fold ON COMMIT DROP AS "
        f"SELECT {_CELL}, sum(learners)::int AS learners FROM dashboards_learnerperioddelta "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 HAVING sum(learners) <> 0"
    )
    if not cursor.rowcount:
        cursor.execute("DELETE FROM dashboards_learnerperioddelta")
        return 0
    gains = _UPSERT.format(source="_dash_fold", sign="+", compare=">")
    losses = _UPSERT.format(source="_dash_fold", sign="-", compare="<")
    cursor.execute(f"WITH up AS ({gains}) SELECT count(*) FROM up")
    rows = cursor.fetchone()[0]
    cursor.execute(
        f"CREATE TEMP TABLE _dash_emptied ON COMMIT DROP AS WITH up AS ({losses}) SELECT id, learners, inserted FROM up"
    )
    rows += cursor.rowcount
    cursor.execute("SELECT count(*) FILTER (WHERE inserted) FROM _dash_emptied")
    if cursor.fetchone()[0]:
        # A loss in a cell that held nobody: LearnerMonth and LearnerPeriod disagree.
        raise RuntimeError("dashboards: learner difference for a missing cell; run dashboards_rebuild")
    cursor.execute("DELETE FROM dashboards_learnerperiod WHERE id IN (SELECT id FROM _dash_emptied WHERE learners = 0)")
    cursor.execute("DELETE FROM dashboards_learnerperioddelta")
    return rows
