"""Statement-level triggers that mark the days whose summary rows must be recomputed.

Each trigger sees the statement's rows through transition tables (REFERENCING NEW TABLE /
OLD TABLE; one trigger per event, as transition tables require) and upserts the affected local
(Asia/Bangkok) days into dashboards_dirtyday in one INSERT ... ON CONFLICT DO UPDATE, in day
order. Updates mark the days of the old and the new row, and only for rows whose relevant
columns changed. They fire for COPY too; they do not fire under session_replication_role =
replica (the benchmark generator from `medium` up: run dashboards_rebuild after it).

| table                           | events   | days marked                                               |
| participants_enrolment          | I, U, D  | created day, confirmed day, the course's ends_on          |
| participants_attendance         | I, U, D  | the session's day, the course's ends_on                   |
| participants_completionoverride | I, U, D  | the course's ends_on                                      |
| programmes_session              | I, U, D  | the session's day (U, D), the course's ends_on            |
| programmes_course               | U        | old and new ends_on (ends_on, status, completion rule);   |
|                                 |          | every day of the course when its programme changes        |
| programmes_programme            | U        | every day of its courses when provider or format change   |
| programmes_programme_categories | I, D     | every day of the programme's courses                      |
| participants_participant        | U        | every day of the person's enrolments and attendance when  |
|                                 |          | birth_date, sex, district or lives_outside_city change    |

Changing a category's position or building blocks marks nothing: run dashboards_rebuild."""

from django.db import migrations

TZ = "Asia/Bangkok"


def local(column: str) -> str:
    return f"(({column}) AT TIME ZONE '{TZ}')::date"


MARK_FUNCTION = """
CREATE FUNCTION dashboards_days_mark(days date[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO dashboards_dirtyday (day, marked_at)
    SELECT d, now() FROM (SELECT DISTINCT d FROM unnest(days) AS d WHERE d IS NOT NULL) AS x ORDER BY d
    ON CONFLICT (day) DO UPDATE SET marked_at = EXCLUDED.marked_at
$$;
"""


def changed(columns: list[str], select: str = "*") -> str:
    """Rows (old and new versions) of an UPDATE whose `columns` changed."""
    old = ", ".join(f"o.{c}" for c in columns)
    new = ", ".join(f"n.{c}" for c in columns)
    where = f"({old}) IS DISTINCT FROM ({new})"
    return (
        f"(SELECT o.{select} FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {where} "
        f"UNION ALL SELECT n.{select} FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {where})"
    )


def course_days(course_ids: str) -> str:
    """Every day of the courses (a SELECT of ids): enrolments, sessions, the end."""
    return f"""
        SELECT {local("e.created_at")} FROM participants_enrolment e WHERE e.course_id IN ({course_ids})
        UNION SELECT {local("e.confirmed_at")} FROM participants_enrolment e WHERE e.course_id IN ({course_ids})
        UNION SELECT {local("s.starts_at")} FROM programmes_session s WHERE s.course_id IN ({course_ids})
        UNION SELECT c.ends_on FROM programmes_course c WHERE c.id IN ({course_ids})"""


def days(rows: str, table: str) -> str:
    """The days touched by `rows` (a transition table or a subquery) of `table`."""
    if table == "participants_enrolment":
        return f"""
            SELECT {local("r.created_at")} FROM {rows} r
            UNION SELECT {local("r.confirmed_at")} FROM {rows} r
            UNION SELECT c.ends_on FROM programmes_course c WHERE c.id IN (SELECT r.course_id FROM {rows} r)"""
    if table == "participants_attendance":
        return f"""
            SELECT {local("s.starts_at")} FROM programmes_session s WHERE s.id IN (SELECT r.session_id FROM {rows} r)
            UNION SELECT c.ends_on FROM programmes_course c
             WHERE c.id IN (SELECT s.course_id FROM programmes_session s
                             WHERE s.id IN (SELECT r.session_id FROM {rows} r))"""
    if table == "participants_completionoverride":
        return f"""
            SELECT c.ends_on FROM programmes_course c
             WHERE c.id IN (SELECT e.course_id FROM participants_enrolment e
                             WHERE e.id IN (SELECT r.enrolment_id FROM {rows} r))"""
    if table == "programmes_session":
        return f"""
            SELECT {local("r.starts_at")} FROM {rows} r
            UNION SELECT c.ends_on FROM programmes_course c WHERE c.id IN (SELECT r.course_id FROM {rows} r)"""
    if table == "programmes_course":
        return f"SELECT r.ends_on FROM {rows} r"
    if table == "programmes_programme":
        return course_days(f"SELECT c.id FROM programmes_course c WHERE c.programme_id IN (SELECT r.id FROM {rows} r)")
    if table == "programmes_programme_categories":
        return course_days(
            f"SELECT c.id FROM programmes_course c WHERE c.programme_id IN (SELECT r.programme_id FROM {rows} r)"
        )
    if table == "participants_participant":
        people = f"SELECT r.id FROM {rows} r"
        return f"""
            SELECT {local("e.created_at")} FROM participants_enrolment e WHERE e.participant_id IN ({people})
            UNION SELECT {local("e.confirmed_at")} FROM participants_enrolment e WHERE e.participant_id IN ({people})
            UNION SELECT c.ends_on FROM programmes_course c
             WHERE c.id IN (SELECT e.course_id FROM participants_enrolment e WHERE e.participant_id IN ({people}))
            UNION SELECT {local("s.starts_at")} FROM programmes_session s
             WHERE s.id IN (SELECT a.session_id FROM participants_attendance a WHERE a.participant_id IN ({people}))"""
    raise ValueError(table)


# table -> (events, columns whose change matters on UPDATE)
TABLES = {
    "participants_enrolment": (
        ("INSERT", "UPDATE", "DELETE"),
        ["status", "created_at", "confirmed_at", "cancelled_reason", "course_id", "participant_id"],
    ),
    "participants_attendance": (("INSERT", "UPDATE", "DELETE"), ["status", "session_id", "participant_id"]),
    "participants_completionoverride": (("INSERT", "UPDATE", "DELETE"), ["completed", "enrolment_id"]),
    "programmes_session": (("INSERT", "UPDATE", "DELETE"), ["starts_at", "ends_at", "is_cancelled", "course_id"]),
    "programmes_course": (("UPDATE",), ["ends_on", "status", "completion_min_attendance_pct"]),
    "programmes_programme": (("UPDATE",), ["provider_id", "format"]),
    "programmes_programme_categories": (("INSERT", "DELETE"), []),
    "participants_participant": (("UPDATE",), ["birth_date", "sex", "district_id", "lives_outside_city"]),
}


def function_sql(table: str, events, columns) -> str:
    branches = []
    if "INSERT" in events:
        branches.append(f"IF TG_OP = 'INSERT' THEN\n PERFORM dashboards_days_mark(ARRAY({days('new_rows', table)}));")
    if "DELETE" in events:
        keyword = "ELSIF" if branches else "IF"
        branches.append(
            f"{keyword} TG_OP = 'DELETE' THEN\n PERFORM dashboards_days_mark(ARRAY({days('old_rows', table)}));"
        )
    if "UPDATE" in events:
        keyword = "ELSIF" if branches else "IF"
        update = days(changed(columns), table)
        if table == "programmes_course":  # a course moved to another programme: all its days
            update += " UNION " + course_days(f"SELECT x.id FROM {changed(['programme_id'], 'id')} x")
        branches.append(f"{keyword} TG_OP = 'UPDATE' THEN\n PERFORM dashboards_days_mark(ARRAY({update}));")
    body = "\n".join(branches) + "\nEND IF;\nRETURN NULL;"
    return f"CREATE FUNCTION dashboards_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}\nEND;\n$$;"


def triggers_sql(table: str, events) -> str:
    statements = []
    for event in events:
        referencing = {
            "INSERT": "NEW TABLE AS new_rows",
            "DELETE": "OLD TABLE AS old_rows",
            "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        }[event]
        statements.append(
            f"CREATE TRIGGER dashboards_mark_{event.lower()} AFTER {event} ON {table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION dashboards_mark_{table}();"
        )
    return "\n".join(statements)


FORWARD = [MARK_FUNCTION] + [
    function_sql(table, events, columns) + "\n" + triggers_sql(table, events)
    for table, (events, columns) in TABLES.items()
]
REVERSE = [
    "\n".join(f"DROP TRIGGER IF EXISTS dashboards_mark_{event.lower()} ON {table};" for event in events)
    + f"\nDROP FUNCTION IF EXISTS dashboards_mark_{table}();"
    for table, (events, _columns) in TABLES.items()
] + ["DROP FUNCTION IF EXISTS dashboards_days_mark(date[]);"]


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_initial"),
        ("participants", "0004_completion_override"),
        ("programmes", "0002_course_change"),
    ]

    operations = [migrations.RunSQL(sql="\n".join(FORWARD), reverse_sql="\n".join(REVERSE))]
