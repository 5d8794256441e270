"""The triggers also mark which participants' LearnerMonth rows must be recomputed.

Before: a dirty day made the incremental refresh recompute LearnerMonth for every participant of
the day's month (at Bangkok scale ~550,000 marks read and ~1M rows compared for 10,000 new
marks, most of a 7-13 s refresh). Now each trigger also inserts (participant, month) marks into
dashboards_dirtylearnermonth for the people whose distinct-learner rows the statement can change:

| table                           | learner months marked                                              |
| participants_attendance         | the rows' participants, in the month of the session (old and new)  |
| programmes_session (U)          | the session's attendees, in its old and new month                  |
| programmes_course (U)           | when its programme changes: the attendees of its sessions          |
| programmes_programme (U)        | when provider or format change: the attendees of its sessions      |
| programmes_programme_categories | the attendees of the programme's sessions                          |
| participants_participant (U)    | the person, in every month they have a mark in                     |

Enrolments and completion overrides change no learner row (only days are marked, as before); a
new session has no attendance yet and a session's attendance is deleted before it (a foreign
key), so session INSERT and DELETE mark only days. Days marked before this migration are turned
into whole-month marks (participant NULL), which the refresh still handles."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

_0002 = importlib.import_module("learningcity.dashboards.migrations.0002_dirty_day_triggers")
changed, days, TABLES, TZ = _0002.changed, _0002.days, _0002.TABLES, _0002.TZ


def month(column: str) -> str:
    return f"date_trunc('month', ({column}) AT TIME ZONE '{TZ}')::date"


def _attendees_of_sessions(where: str) -> str:
    return (
        f"SELECT a.participant_id, {month('s.starts_at')} FROM programmes_session s "
        f"JOIN participants_attendance a ON a.session_id = s.id WHERE {where}"
    )


def learner_months(rows: str, table: str) -> str | None:
    """(participant, month) pairs whose LearnerMonth rows `rows` of `table` can change, or None."""
    if table == "participants_attendance":
        return (
            f"SELECT r.participant_id, {month('s.starts_at')} FROM {rows} r "
            "JOIN programmes_session s ON s.id = r.session_id"
        )
    if table == "programmes_session":
        return (
            f"SELECT a.participant_id, {month('r.starts_at')} FROM {rows} r "
            "JOIN participants_attendance a ON a.session_id = r.id"
        )
    if table == "programmes_course":
        return _attendees_of_sessions(f"s.course_id IN (SELECT r.id FROM {rows} r)")
    if table == "programmes_programme":
        return _attendees_of_sessions(
            f"s.course_id IN (SELECT c.id FROM programmes_course c WHERE c.programme_id IN (SELECT r.id FROM {rows} r))"
        )
    if table == "programmes_programme_categories":
        return _attendees_of_sessions(
            "s.course_id IN (SELECT c.id FROM programmes_course c "
            f"WHERE c.programme_id IN (SELECT r.programme_id FROM {rows} r))"
        )
    if table == "participants_participant":
        return (
            f"SELECT a.participant_id, {month('s.starts_at')} FROM participants_attendance a "
            f"JOIN programmes_session s ON s.id = a.session_id WHERE a.participant_id IN (SELECT r.id FROM {rows} r)"
        )
    return None


def _mark(days_sql: str, pairs_sql: str | None) -> str:
    statement = f" PERFORM dashboards_days_mark(ARRAY({days_sql}));"
    if pairs_sql:
        statement += (
            "\n INSERT INTO dashboards_dirtylearnermonth (participant_id, month, marked_at) "
            f"SELECT DISTINCT x.p, x.m, now() FROM ({pairs_sql}) AS x (p, m) WHERE x.m IS NOT NULL;"
        )
    return statement


def function_sql(table: str, events, columns) -> str:
    branches = []
    for event in events:
        keyword = "ELSIF" if branches else "IF"
        if event == "INSERT":
            rows, learners = "new_rows", table not in ("programmes_session",)
        elif event == "DELETE":
            rows, learners = "old_rows", table not in ("programmes_session",)
        else:
            rows, learners = changed(columns), True
        day_sql = days(rows, table)
        pairs = learner_months(rows, table) if learners else None
        if event == "UPDATE" and table == "programmes_course":
            moved = f"{changed(['programme_id'], 'id')}"
            day_sql += " UNION " + _0002.course_days(f"SELECT x.id FROM {moved} x")
            pairs = learner_months(moved, table)  # only a programme change alters learner rows
        if event == "UPDATE" and table == "programmes_programme":
            pairs = learner_months(changed(columns, "id"), table)
        branches.append(f"{keyword} TG_OP = '{event}' THEN\n{_mark(day_sql, pairs)}")
    body = "\n".join(branches) + "\nEND IF;\nRETURN NULL;"
    return (
        f"CREATE OR REPLACE FUNCTION dashboards_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{body}\nEND;\n$$;"
    )


FORWARD = "\n".join(function_sql(table, events, columns) for table, (events, columns) in TABLES.items())
# Marks made before the triggers knew people: their months are recomputed whole.
PENDING_AS_WHOLE_MONTHS = (
    "INSERT INTO dashboards_dirtylearnermonth (participant_id, month, marked_at) "
    "SELECT DISTINCT NULL::bigint, date_trunc('month', day::timestamp)::date, now() FROM dashboards_dirtyday"
)
REVERSE = "\n".join(
    _0002.function_sql(table, events, columns).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    for table, (events, columns) in TABLES.items()
)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0006_fewer_indexes"),
        ("participants", "0004_completion_override"),
    ]

    operations = [
        migrations.CreateModel(
            name="DirtyLearnerMonth",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("month", models.DateField(verbose_name="month")),
                ("marked_at", models.DateTimeField(verbose_name="marked")),
                (
                    "participant",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="participants.participant",
                    ),
                ),
            ],
            options={"verbose_name": "learner month to refresh", "verbose_name_plural": "learner months to refresh"},
        ),
        migrations.RunSQL(FORWARD, REVERSE),
        migrations.RunSQL(PENDING_AS_WHOLE_MONTHS, migrations.RunSQL.noop),
    ]
