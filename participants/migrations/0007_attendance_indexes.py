"""Attendance's indexes: a person's marks with their sessions readable from the index alone, and
no single-column index where a wider one leads with the column (participant: the marks index;
session: the unique (session, participant)). Built and dropped concurrently: the table is the
largest of the portal (20 million rows at Bangkok scale) and marks are taken while this runs."""

import django.db.models.deletion
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("participants", "0006_enrolment_day_indexes"),
        ("programmes", "0007_search_words"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="attendance",
            index=models.Index(fields=["participant", "status"], include=("session",), name="attendance_person_marks"),
        ),
        RemoveIndexConcurrently(model_name="attendance", name="attendance_participant_status"),
        migrations.AlterField(
            model_name="attendance",
            name="participant",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="attendances",
                to="participants.participant",
                verbose_name="participant",
            ),
        ),
        migrations.AlterField(
            model_name="attendance",
            name="session",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attendances",
                to="programmes.session",
                verbose_name="session",
            ),
        ),
    ]
