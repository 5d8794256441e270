"""End to end: new attendance is marked, a real Celery worker runs the refresh that the beat
schedule sends, and the city administrator's dashboard then shows the new figures (the page's
cache is keyed by the data version, so the landed refresh is visible at once)."""

import csv
import datetime as dt
import io
import time

import pytest
from django.conf import settings
from django.utils import timezone

from learningcity.accounts.roles import city_admin_group
from learningcity.celery import app as celery_app
from learningcity.city.selectors import city_current_forget
from learningcity.dashboards import tasks  # noqa: F401 - registers the tasks, as a worker's autodiscovery does
from learningcity.dashboards.models import RefreshRun
from learningcity.dashboards.services import aggregates_rebuild
from participants.models import Attendance, Enrolment
from tests.factories import (
    CityFactory,
    CourseFactory,
    DistrictFactory,
    ParticipantFactory,
    ProgrammeFactory,
    ProviderFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def real_broker():
    conf = celery_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = False
    celery_app.control.purge()
    try:
        yield conf.broker_url
    finally:
        conf.task_always_eager = saved


def _provider_row(client, provider_name: str) -> dict[str, str]:
    response = client.get("/en/dashboards/export/overview/provider.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = next(row for row in rows if row and row[0] == "Provider")
    row = next(row for row in rows if row and row[0] == provider_name)
    return dict(zip(header, row, strict=True))


@pytest.mark.celery_worker
def test_refresh_by_a_real_worker_shows_on_the_dashboard(client, real_broker):
    from celery.contrib.testing.worker import start_worker

    city = CityFactory(slug=settings.CITY_SLUG, population_year=2025)
    city_current_forget()
    district = DistrictFactory(city=city, code="500101")
    provider = ProviderFactory(city=city, name_en="Riverside library")
    course = CourseFactory(
        programme=ProgrammeFactory(provider=provider),
        venue__city=city,
        starts_on=timezone.localdate() - dt.timedelta(days=30),
        ends_on=timezone.localdate() + dt.timedelta(days=30),
        capacity=30,
    )
    first = SessionFactory(course=course, starts_at=timezone.now() - dt.timedelta(days=20))
    second = SessionFactory(course=course, starts_at=timezone.now() - dt.timedelta(days=10))
    enrolments = []
    for _ in range(8):
        participant = ParticipantFactory(district=district, birth_date=dt.date(1960, 5, 1), sex="female")
        enrolment = Enrolment.objects.create(
            participant=participant,
            course=course,
            status="confirmed",
            created_at=timezone.now() - dt.timedelta(days=40),
            confirmed_at=timezone.now() - dt.timedelta(days=40),
        )
        enrolments.append(enrolment)
        Attendance.objects.create(
            session=first, participant=participant, enrolment=enrolment, status="present", marked_at=timezone.now()
        )
    aggregates_rebuild()
    admin = UserFactory()
    admin.groups.add(city_admin_group())
    client.force_login(admin)
    before = _provider_row(client, "Riverside library")
    assert before["Attendances"] == "8"

    # Six people are marked present at the second session: the triggers mark its day.
    for enrolment in enrolments[:6]:
        Attendance.objects.create(
            session=second,
            participant_id=enrolment.participant_id,
            enrolment=enrolment,
            status="present",
            marked_at=timezone.now(),
        )
    assert _provider_row(client, "Riverside library")["Attendances"] == "8"  # not before the refresh lands

    latest = RefreshRun.objects.latest()
    entry = settings.CELERY_BEAT_SCHEDULE["dashboards-refresh-every-5-minutes"]
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        celery_app.send_task(entry["task"], args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
        deadline = time.monotonic() + 60
        while not RefreshRun.objects.filter(pk__gt=latest.pk, days_refreshed__gt=0).exists():
            assert time.monotonic() < deadline, "the worker did not refresh within 60 s"
            time.sleep(0.2)

    after = _provider_row(client, "Riverside library")
    assert after["Attendances"] == "14"
    page = client.get("/en/dashboards/")
    assert page.status_code == 200
    run = RefreshRun.objects.latest()
    assert run.kind == "incremental"
    assert "Data as of" in page.content.decode()
