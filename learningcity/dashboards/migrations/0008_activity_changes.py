"""Attendance and enrolments write signed changes; they and completion overrides mark courses,
not days.

Before: a present mark made the refresh recompute every fact of the session's day and of the
course's last day (at Bangkok scale ~5,000 marks and ~4,000 ActivityDay rows a day: for 10,000
new marks the refresh read and compared ~130,000 facts and ~100,000 rows; for late marks spread
over a year, 291 whole days, 79 s). Now:

| table                           | change written (old rows subtracted, new rows added)   | marked           |
| participants_attendance         | session, participant: present marks (+1/-1)            | the course       |
| participants_enrolment          | day, course, participant: requests, confirmed places,  | the course       |
|                                 | waiting-list demand (created and confirmed day)         |                  |
| participants_completionoverride | -                                                      | the course       |

The refresh adds the changes to the ActivityDay rows, compares a marked course's completions
with CountedCompletion (the enrolments ActivityDay counts as completed) and adds the
difference. Attendance no longer marks learner months (migration 0007): the refresh derives them
from the changes (a mark removed: the person's month is recomputed; a mark added: only the
learner rows it creates are inserted). Every other table marks days and learner months as
before.

CountedCompletion starts empty: the last day of every course that has ended is marked dirty, so
the first refresh after this migration recomputes those days whole (as long as a rebuild of the
day table) and fills it."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

_0002 = importlib.import_module("learningcity.dashboards.migrations.0002_dirty_day_triggers")
_0007 = importlib.import_module("learningcity.dashboards.migrations.0007_dirty_learner_months")
TABLES, changed, local = _0002.TABLES, _0002.changed, _0002.local
CHANGED = ("participants_attendance", "participants_enrolment", "participants_completionoverride")

# The waiting-list demand of an enrolment row r (aggregation._WAITLIST_UNMET, copied: a
# migration must not import code that later changes).
UNMET = (
    "(r.confirmed_at IS NULL AND (r.status IN ('waitlisted', 'offered') "
    "OR (r.status = 'cancelled' AND r.cancelled_reason = 'waitlist_left')))"
)


def signed(event: str) -> str:
    """The statement's rows with a sign: new rows +1, old rows -1."""
    parts = {
        "INSERT": ["SELECT n.*, 1 AS sign FROM new_rows n"],
        "DELETE": ["SELECT o.*, -1 AS sign FROM old_rows o"],
        "UPDATE": ["SELECT o.*, -1 AS sign FROM old_rows o", "SELECT n.*, 1 AS sign FROM new_rows n"],
    }[event]
    return "(" + " UNION ALL ".join(parts) + ")"


def changes_sql(table: str, event: str) -> str:
    rows = signed(event)
    if table == "participants_attendance":
        return (
            "INSERT INTO dashboards_activitychange (session_id, participant_id, enrolments, confirmed, "
            "waitlist_unmet, attendances, marked_at) "
            f"SELECT r.session_id, r.participant_id, 0, 0, 0, sum(r.sign), now() FROM {rows} r "
            "WHERE r.status = 'present' GROUP BY r.session_id, r.participant_id HAVING sum(r.sign) <> 0"
        )
    facts = (
        f"SELECT {local('r.created_at')} AS day, r.participant_id, r.course_id, r.sign AS enrolments, 0 AS confirmed, "
        f"r.sign * {UNMET}::int AS waitlist_unmet FROM {rows} r "
        f"UNION ALL SELECT {local('r.confirmed_at')}, r.participant_id, r.course_id, 0, r.sign, 0 FROM {rows} r "
        "WHERE r.confirmed_at IS NOT NULL"
    )
    return (
        "INSERT INTO dashboards_activitychange (day, participant_id, course_id, enrolments, confirmed, "
        "waitlist_unmet, attendances, marked_at) "
        "SELECT f.day, f.participant_id, f.course_id, sum(f.enrolments), sum(f.confirmed), sum(f.waitlist_unmet), 0, "
        f"now() FROM ({facts}) AS f GROUP BY f.day, f.participant_id, f.course_id "
        "HAVING sum(f.enrolments) <> 0 OR sum(f.confirmed) <> 0 OR sum(f.waitlist_unmet) <> 0"
    )


def courses(rows: str, table: str) -> str:
    """The courses of `rows`."""
    if table == "participants_attendance":
        return f"SELECT s.course_id FROM programmes_session s WHERE s.id IN (SELECT r.session_id FROM {rows} r)"
    if table == "participants_completionoverride":
        return f"SELECT e.course_id FROM participants_enrolment e WHERE e.id IN (SELECT r.enrolment_id FROM {rows} r)"
    return f"SELECT r.course_id FROM {rows} r"


def function_sql(table: str) -> str:
    events, columns = TABLES[table]
    branches = []
    for event in events:
        keyword = "ELSIF" if branches else "IF"
        rows = {"INSERT": "new_rows", "DELETE": "old_rows", "UPDATE": changed(columns)}[event]
        statement = (
            " INSERT INTO dashboards_dirtycourse (course_id, marked_at) "
            f"SELECT DISTINCT x.c, now() FROM ({courses(rows, table)}) AS x (c);"
        )
        if table != "participants_completionoverride":
            statement += f"\n {changes_sql(table, event)};"
        branches.append(f"{keyword} TG_OP = '{event}' THEN\n{statement}")
    body = "\n".join(branches) + "\nEND IF;\nRETURN NULL;"
    return (
        f"CREATE OR REPLACE FUNCTION dashboards_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{body}\nEND;\n$$;"
    )


FORWARD = "\n".join(function_sql(table) for table in CHANGED)
REVERSE = "\n".join(_0007.function_sql(table, *TABLES[table]) for table in CHANGED)
PASSED_ENDS = (
    "INSERT INTO dashboards_dirtyday (day, marked_at) SELECT DISTINCT c.ends_on, now() FROM programmes_course c "
    f"WHERE c.ends_on < ({local('now()')})"
)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0007_dirty_learner_months"),
        ("participants", "0006_enrolment_day_indexes"),
        ("programmes", "0005_trigram_similarity_cost"),
    ]

    operations = [
        migrations.CreateModel(
            name="ActivityChange",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("day", models.DateField(null=True, verbose_name="day")),
                ("enrolments", models.IntegerField(default=0, verbose_name="enrolments")),
                ("confirmed", models.IntegerField(default=0, verbose_name="confirmed places")),
                ("waitlist_unmet", models.IntegerField(default=0, verbose_name="waiting-list demand")),
                ("attendances", models.IntegerField(default=0, verbose_name="attendances")),
                ("marked_at", models.DateTimeField(verbose_name="marked")),
                (
                    "course",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="programmes.course",
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="participants.participant",
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="programmes.session",
                    ),
                ),
            ],
            options={
                "verbose_name": "activity change to add",
                "verbose_name_plural": "activity changes to add",
            },
        ),
        migrations.CreateModel(
            name="CountedCompletion",
            fields=[
                (
                    "enrolment",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="participants.enrolment",
                    ),
                ),
                ("day", models.DateField(db_index=True, verbose_name="day")),
                (
                    "course",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="programmes.course",
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="participants.participant",
                    ),
                ),
            ],
            options={
                "verbose_name": "completion counted",
                "verbose_name_plural": "completions counted",
            },
        ),
        migrations.CreateModel(
            name="DirtyCourse",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("marked_at", models.DateTimeField(verbose_name="marked")),
                (
                    "course",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="programmes.course",
                    ),
                ),
            ],
            options={
                "verbose_name": "course to check for completions",
                "verbose_name_plural": "courses to check for completions",
            },
        ),
        migrations.RunSQL(FORWARD, REVERSE),
        migrations.RunSQL(PASSED_ENDS, migrations.RunSQL.noop),
    ]
