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

TIME_ZONE = "Asia/Bangkok"  # settings.TIME_ZONE; also written into the trigger migration
TEMP_TABLES = ("_dash_days", "_dash_months", "_dash_periods", "_dash_learner_months")


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


def _activity_sql(*, incremental: bool) -> str:
    created = _day_range_join("e.created_at") if incremental else ""
    confirmed = _day_range_join("e.confirmed_at") if incremental else ""
    held = _day_range_join("s.starts_at") if incremental else ""
    ended = "AND c.ends_on IN (SELECT day FROM _dash_days)" if incremental else ""
    return f"""
    WITH
    prog AS MATERIALIZED ({_PROGRAMMES}),
    ended AS (
        SELECT c.id, c.ends_on, c.completion_min_attendance_pct AS pct FROM programmes_course c
         WHERE c.ends_on < %(today)s AND c.status <> 'cancelled' {ended}
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
    ),
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
          FROM programmes_session s {held}
          JOIN participants_attendance a ON a.session_id = s.id
         WHERE a.status = 'present' AND NOT s.is_cancelled
        UNION ALL
        SELECT ended.ends_on, e.participant_id, e.course_id, 0, 0, 0, 0, 0, 1
          FROM ended
          JOIN participants_enrolment e ON e.course_id = ended.id AND e.status IN ('confirmed', 'completed')
          LEFT JOIN participants_completionoverride o ON o.enrolment_id = e.id
          LEFT JOIN held ON held.course_id = ended.id
          LEFT JOIN attended ON attended.course_id = ended.id AND attended.participant_id = e.participant_id
         WHERE CASE WHEN o.id IS NOT NULL THEN o.completed
                    ELSE e.status = 'completed'
                         OR (COALESCE(held.n, 0) > 0 AND COALESCE(attended.n, 0) * 100 >= ended.pct * held.n)
               END
    )
    INSERT INTO dashboards_activityday
        (day, city_id, district_id, age_from, sex, provider_id, category_id, format,
         enrolments, confirmed, waitlist_unmet, attendances, learning_minutes, completions)
    SELECT ev.day, prog.city_id, CASE WHEN p.lives_outside_city THEN NULL ELSE p.district_id END,
           {_age_group("ev.day", "p.birth_date")}, p.sex, prog.provider_id, prog.category_id, prog.format,
           sum(ev.enrolments), sum(ev.confirmed), sum(ev.waitlist_unmet), sum(ev.attendances),
           sum(ev.minutes), sum(ev.completions)
      FROM ev
      JOIN participants_participant p ON p.id = ev.participant_id
      JOIN programmes_course c ON c.id = ev.course_id
      JOIN prog ON prog.programme_id = c.programme_id
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    """


def activity_days_write(cursor, *, today: dt.date, incremental: bool) -> int:
    """Delete and rewrite ActivityDay rows: for the days in ``_dash_days`` (incremental) or
    all of them. Returns the rows written."""
    if incremental:
        cursor.execute("DELETE FROM dashboards_activityday WHERE day IN (SELECT day FROM _dash_days)")
    else:
        cursor.execute("DELETE FROM dashboards_activityday")
    cursor.execute(_activity_sql(incremental=incremental), {"today": today})
    return cursor.rowcount


def days_claim(cursor) -> int:
    """Move the days marked dirty into ``_dash_days``, deleting the marks, in the caller's
    transaction, before any raw row is read (each later statement sees every transaction that
    committed before it). A mark held by a transaction still in progress is skipped (SKIP
    LOCKED), so the refresh never waits for a web request; that day stays marked for the next
    run. A transaction that marks a claimed day after the claim waits for this run to commit,
    then inserts its mark again: no change is lost."""
    cursor.execute("CREATE TEMP TABLE _dash_days (day date PRIMARY KEY) ON COMMIT DROP")
    cursor.execute(
        "WITH claimed AS (DELETE FROM dashboards_dirtyday WHERE day IN "
        "(SELECT day FROM dashboards_dirtyday FOR UPDATE SKIP LOCKED) RETURNING day) "
        "INSERT INTO _dash_days (day) SELECT DISTINCT day FROM claimed"
    )
    claimed = cursor.rowcount
    if claimed:
        cursor.execute("ANALYZE _dash_days")
    return claimed


def days_add(cursor, days_sql: str, params=None) -> None:
    """Add days (a SELECT of one date column) to ``_dash_days``."""
    cursor.execute(f"INSERT INTO _dash_days (day) {days_sql} ON CONFLICT (day) DO NOTHING", params)


# --- Distinct learners per period -------------------------------------------------------------

_PERIODS_FROM_MONTHS = """
    INSERT INTO _dash_periods (kind, period_start, period_end)
    SELECT 'month', m, (m + interval '1 month' - interval '1 day')::date FROM _dash_months
    UNION
    SELECT 'year', date_trunc('year', m::timestamp)::date,
           (date_trunc('year', m::timestamp) + interval '1 year' - interval '1 day')::date
      FROM _dash_months
    UNION
    SELECT 'rolling12', (e - interval '11 months')::date, (e + interval '1 month' - interval '1 day')::date
      FROM _dash_months, generate_series(m::timestamp, m::timestamp + interval '11 months', interval '1 month') AS e
     WHERE e <= %(current_month)s
"""


def periods_prepare(cursor, *, today: dt.date, months_sql: str, params=None) -> int:
    """Fill ``_dash_periods`` with every period containing one of the months selected by
    ``months_sql`` (a SELECT of first-of-month dates), limited to periods that have begun.
    Returns the number of periods."""
    current_month = today.replace(day=1)
    cursor.execute("CREATE TEMP TABLE _dash_months (m date PRIMARY KEY) ON COMMIT DROP")
    cursor.execute(
        f"INSERT INTO _dash_months (m) SELECT DISTINCT m FROM ({months_sql}) AS x(m) "
        "WHERE m IS NOT NULL AND m <= %(current_month)s",
        {**(params or {}), "current_month": current_month},
    )
    cursor.execute(
        "CREATE TEMP TABLE _dash_periods (kind varchar(12), period_start date, period_end date, "
        "PRIMARY KEY (kind, period_end)) ON COMMIT DROP"
    )
    cursor.execute(_PERIODS_FROM_MONTHS, {"current_month": current_month})
    return cursor.rowcount


def months_of_days_sql() -> str:
    """The months of the claimed days."""
    return "SELECT date_trunc('month', day)::date FROM _dash_days"


def months_with_sessions_sql() -> str:
    """Every month with a non-cancelled session (for a full rebuild)."""
    return (
        f"SELECT DISTINCT date_trunc('month', {_local_day('s.starts_at')})::date "
        "FROM programmes_session s WHERE NOT s.is_cancelled"
    )


# Distinct (participant, city, dimension, value, month) with a present mark in [lo, hi), with
# the person's district, sex and birth date.
_LEARNER_MONTHS = f"""
    CREATE TEMP TABLE _dash_learner_months ON COMMIT DROP AS
    WITH marks AS (
        SELECT DISTINCT a.participant_id, date_trunc('month', {_local_day("s.starts_at")})::date AS month,
               c.programme_id
          FROM programmes_session s
          JOIN participants_attendance a ON a.session_id = s.id
          JOIN programmes_course c ON c.id = s.course_id
         WHERE a.status = 'present' AND NOT s.is_cancelled
           AND s.starts_at >= (%(lo)s::timestamp AT TIME ZONE '{TIME_ZONE}')
           AND s.starts_at < (%(hi)s::timestamp AT TIME ZONE '{TIME_ZONE}')
    ),
    dims (programme_id, city_id, dimension, value) AS (
        SELECT pg.id, pr.city_id, v.dimension, v.value
          FROM programmes_programme pg
          JOIN programmes_provider pr ON pr.id = pg.provider_id
         CROSS JOIN LATERAL (VALUES ('all', ''), ('provider', pr.id::text), ('format', pg.format::text))
               AS v (dimension, value)
        UNION ALL
        SELECT pc.programme_id, pr.city_id, 'category', pc.category_id::text
          FROM programmes_programme_categories pc
          JOIN programmes_programme pg ON pg.id = pc.programme_id
          JOIN programmes_provider pr ON pr.id = pg.provider_id
        UNION
        SELECT pc.programme_id, pr.city_id, 'block', b::text
          FROM programmes_programme_categories pc
          JOIN programmes_category cat ON cat.id = pc.category_id
          JOIN programmes_programme pg ON pg.id = pc.programme_id
          JOIN programmes_provider pr ON pr.id = pg.provider_id
         CROSS JOIN LATERAL unnest(cat.building_blocks) AS b
    )
    SELECT x.*, CASE WHEN p.lives_outside_city THEN NULL ELSE p.district_id END AS district_id, p.sex, p.birth_date
      FROM (SELECT DISTINCT m.participant_id, d.city_id, d.dimension, d.value, m.month
              FROM marks m JOIN dims d ON d.programme_id = m.programme_id) AS x
      JOIN participants_participant p ON p.id = x.participant_id
"""

# Each learner once per period and dimension value, counted by district x age group x sex.
# Rolling windows without a DISTINCT: with a person's months m1 < m2 < ... in order, the windows
# (named by their last month) that contain m_i and none of the earlier months are
# [max(m_i, m_(i-1) + 12 months), m_i + 11 months], so every window is generated once.
_LEARNERS = f"""
    WITH per_learner (kind, period_end, participant_id, city_id, dimension, value, district_id, sex, birth_date) AS (
        SELECT 'month', (lm.month + interval '1 month' - interval '1 day')::date,
               lm.participant_id, lm.city_id, lm.dimension, lm.value, lm.district_id, lm.sex, lm.birth_date
          FROM _dash_learner_months lm
         WHERE lm.month IN (SELECT period_start FROM _dash_periods WHERE kind = 'month')
        UNION ALL
        SELECT DISTINCT 'year', (date_trunc('year', lm.month::timestamp) + interval '1 year' - interval '1 day')::date,
               lm.participant_id, lm.city_id, lm.dimension, lm.value, lm.district_id, lm.sex, lm.birth_date
          FROM _dash_learner_months lm
         WHERE date_trunc('year', lm.month::timestamp)::date IN
               (SELECT period_start FROM _dash_periods WHERE kind = 'year')
        UNION ALL
        SELECT 'rolling12', (e + interval '1 month' - interval '1 day')::date,
               r.participant_id, r.city_id, r.dimension, r.value, r.district_id, r.sex, r.birth_date
          FROM (SELECT lm.*, lag(lm.month) OVER (PARTITION BY lm.participant_id, lm.city_id, lm.dimension, lm.value
                                                 ORDER BY lm.month) AS previous
                  FROM _dash_learner_months lm) AS r
         CROSS JOIN LATERAL generate_series(
               greatest(r.month::timestamp, r.previous + interval '12 months', %(first_end)s::timestamp),
               least(r.month + interval '11 months', %(last_end)s::timestamp),
               interval '1 month') AS e
    )
    INSERT INTO dashboards_learnerperiod
        (city_id, kind, period_start, period_end, dimension, value, district_id, age_from, sex, learners)
    SELECT l.city_id, per.kind, per.period_start, per.period_end, l.dimension, l.value, l.district_id,
           {_age_group("per.period_end", "l.birth_date")}, l.sex, count(*)
      FROM per_learner l
      JOIN _dash_periods per ON per.kind = l.kind AND per.period_end = l.period_end
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
"""


def learner_periods_write(cursor) -> int:
    """Delete and rewrite the LearnerPeriod rows of the periods in ``_dash_periods``.
    Returns the rows written."""
    cursor.execute(
        "DELETE FROM dashboards_learnerperiod lp USING _dash_periods per "
        "WHERE lp.kind = per.kind AND lp.period_end = per.period_end"
    )
    cursor.execute(
        "SELECT min(period_start), max(period_end) + 1, "
        "min(date_trunc('month', period_end::timestamp)) FILTER (WHERE kind = 'rolling12'), "
        "max(date_trunc('month', period_end::timestamp)) FILTER (WHERE kind = 'rolling12') FROM _dash_periods"
    )
    lo, hi, first_end, last_end = cursor.fetchone()
    if lo is None:
        return 0
    cursor.execute(_LEARNER_MONTHS, {"lo": lo, "hi": hi})
    cursor.execute("ANALYZE _dash_learner_months")
    # Without a rolling window to compute, an empty range (first > last) generates none.
    first_end = first_end or dt.datetime(9999, 1, 1)
    last_end = last_end or dt.datetime(1, 1, 1)
    cursor.execute(_LEARNERS, {"first_end": first_end, "last_end": last_end})
    return cursor.rowcount
