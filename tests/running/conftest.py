"""Running a course: the workspace fixture (tests/workspace/conftest.py) with provider A's
programme published, sessions, and three participants enrolled in A's course."""

import datetime as dt

import pytest
from django.utils import timezone

from participants.services import enrolment_create
from programmes.models import Programme
from tests.factories import DependantFactory, ParticipantFactory, SessionFactory
from tests.workspace.conftest import ws  # noqa: F401 - the shared workspace fixture


@pytest.fixture
def run(ws):  # noqa: F811
    Programme.objects.filter(pk=ws.programme.pk).update(status=Programme.Status.PUBLISHED, published_at=timezone.now())
    ws.programme.refresh_from_db()
    tz = timezone.get_current_timezone()
    ws.sessions = [ws.session] + [
        SessionFactory(
            course=ws.course,
            starts_at=dt.datetime.combine(ws.course.starts_on + dt.timedelta(days=7 * i), dt.time(9), tzinfo=tz),
        )
        for i in range(1, 5)
    ]
    ws.alice = ParticipantFactory(given_name="อลิซ", family_name="ใจดี", phone="081 234 5678")
    ws.bob = ParticipantFactory(given_name="บ๊อบ", family_name="มีสุข")
    ws.child = DependantFactory(account=ws.alice.account, given_name="น้องดาว", birth_date=dt.date(2018, 5, 1))
    ws.enrolments = [
        enrolment_create(participant=p, course=ws.course, actor=p.account) for p in (ws.alice, ws.bob, ws.child)
    ]
    ws.course.refresh_from_db()
    return ws


def th(name: str, *args) -> str:
    """A URL in Thai (unprefixed), whatever language a previous request activated."""
    from django.urls import reverse
    from django.utils import translation

    with translation.override("th"):
        return reverse(name, args=args)


def en(name: str, *args) -> str:
    from django.urls import reverse
    from django.utils import translation

    with translation.override("en"):
        return reverse(name, args=args)
