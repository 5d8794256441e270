"""The demo participants: the resident's family, ~300 assisted participants, enrolments whose
counters equal the real counts, idempotent."""

import io
import time

import pytest
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone, translation

from learningcity.city.demo import DEMO_RESIDENT_EMAIL
from participants.models import Attendance, Consent, Enrolment, Notification, Participant
from programmes.models import Course

pytestmark = pytest.mark.django_db


def load_demo() -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("load_demo", stdout=out)
    return out.getvalue()


def test_demo_loads_families_participants_and_true_counters_and_is_idempotent():
    started = time.monotonic()
    output = load_demo()
    assert "Participants:" in output and "DEMO" in output

    me = Participant.objects.get(account__email=DEMO_RESIDENT_EMAIL, is_self=True)
    today = timezone.localdate()
    assert me.age_on(today) == 34 and me.district.code == "500101"
    ages = sorted(p.age_on(today) for p in Participant.objects.filter(account=me.account, is_self=False))
    assert ages == [7, 68]
    child = Participant.objects.get(account=me.account, birth_date__gt=me.birth_date)
    assert set(child.consents.values_list("purpose", flat=True)) == {"privacy_notice", "guardian"}
    assert Enrolment.objects.filter(participant__account=me.account).exists()
    assert Notification.objects.filter(recipient=me.account).exists()

    assisted = Participant.objects.filter(account__isnull=True, created_by_staff=True)
    assert 280 <= assisted.count() <= 320
    assert assisted.values("district").distinct().count() >= 10
    assert assisted.values("sex").distinct().count() >= 3
    assert assisted.filter(birth_date__gt=today.replace(year=today.year - 15)).exists()
    assert assisted.filter(birth_date__lt=today.replace(year=today.year - 60)).exists()
    assert not Participant.objects.filter(
        ~Q(consents__purpose=Consent.Purpose.PRIVACY_NOTICE), account__isnull=True
    ).exists()
    assert Enrolment.objects.filter(status="completed").count() > 200
    assert Enrolment.objects.filter(status="waitlisted").exists()
    assert Attendance.objects.filter(status="present").count() > 500

    courses = Course.objects.annotate(
        places=Count("enrolments", filter=Q(enrolments__status__in=["confirmed", "offered", "completed", "no_show"])),
        waiting=Count("enrolments", filter=Q(enrolments__status="waitlisted")),
    )
    for course in courses:
        assert (course.seats_taken, course.waitlist_count) == (course.places, course.waiting), course.pk
        positions = sorted(course.enrolments.filter(status="waitlisted").values_list("waitlist_position", flat=True))
        assert positions == list(range(1, course.waiting + 1))

    before = (Participant.objects.count(), Enrolment.objects.count(), Attendance.objects.count())
    load_demo()
    assert (Participant.objects.count(), Enrolment.objects.count(), Attendance.objects.count()) == before
    assert time.monotonic() - started < 60
