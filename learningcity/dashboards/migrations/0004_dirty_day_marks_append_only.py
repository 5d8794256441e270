"""Dirty-day marks become append-only rows.

Before: one row per day, upserted with ON CONFLICT DO UPDATE, so every transaction that marked
today (every enrolment and attendance mark in the city) took the same row lock until it
committed: enrolments in different courses queued behind each other on it. Now each trigger
statement inserts its own rows (day, marked_at) and never updates or locks an existing one.
The refresh deletes the marks it can see (DELETE ... RETURNING, under its advisory lock); a
mark made by a transaction still in progress is invisible to it and stays for the next run,
so no change is lost and no writer waits."""

from django.db import migrations, models

NEW_FUNCTION = """
CREATE OR REPLACE FUNCTION dashboards_days_mark(days date[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO dashboards_dirtyday (day, marked_at)
    SELECT DISTINCT d, now() FROM unnest(days) AS d WHERE d IS NOT NULL
$$;
"""

# Reversing runs this while the new table still exists (the old one is created after it):
# the body is checked only when it runs.
OLD_FUNCTION = """
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION dashboards_days_mark(days date[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO dashboards_dirtyday (day, marked_at)
    SELECT d, now() FROM (SELECT DISTINCT d FROM unnest(days) AS d WHERE d IS NOT NULL) AS x ORDER BY d
    ON CONFLICT (day) DO UPDATE SET marked_at = EXCLUDED.marked_at
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0003_learner_month")]

    operations = [
        migrations.DeleteModel(name="DirtyDay"),
        migrations.CreateModel(
            name="DirtyDay",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("day", models.DateField(db_index=True, verbose_name="day")),
                ("marked_at", models.DateTimeField(verbose_name="marked")),
            ],
            options={"verbose_name": "day to refresh", "verbose_name_plural": "days to refresh"},
        ),
        migrations.RunSQL(NEW_FUNCTION, OLD_FUNCTION),
    ]
