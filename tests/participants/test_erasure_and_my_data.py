"""My data: scoped reads (another resident finds nothing of mine), the JSON export, and
erasure that keeps anonymous counts and releases future places."""

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from participants import selectors, services
from participants.errors import EnrolmentRefused, Reason
from participants.models import Attendance, Consent, Enrolment, Notification, Participant
from programmes.models import Course
from tests.factories import DependantFactory, EnrolmentFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Enrolment.Status


@pytest.fixture
def family(resident):
    """The resident, a 9-year-old child and a 68-year-old parent."""
    today = timezone.localdate()
    child = DependantFactory(account=resident, given_name="น้องฟ้า", birth_date=today.replace(year=today.year - 9))
    parent = DependantFactory(account=resident, given_name="คุณแม่", birth_date=today.replace(year=today.year - 68))
    return resident, resident.participants.get(is_self=True), child, parent


def test_another_resident_cannot_reach_my_enrolment_or_dependant(family, course):
    user, me, child, _parent = family
    mine = services.enrolment_create(participant=child, course=course, actor=user)
    stranger = UserFactory()
    assert selectors.enrolment_get_for_user(user, mine.pk) == mine
    assert selectors.enrolment_get_for_user(stranger, mine.pk) is None
    assert selectors.enrolment_get_for_user(stranger, "1 OR 1=1") is None
    assert selectors.participant_get_for_user(user, child.pk) == child
    assert selectors.participant_get_for_user(stranger, child.pk) is None
    assert selectors.participant_get_for_user(stranger, None) is None
    assert not selectors.enrolment_list_for_user(stranger).exists()
    assert not selectors.notification_list_for_user(stranger).exists()
    assert selectors.notification_list_for_user(user).count() == 1
    listed = list(selectors.participant_list_for_user(user))
    assert listed[0] == me and set(listed) == {me, child, _parent}
    assert selectors.enrolment_map_for_user_course(user, course) == {child.pk: mine}


def test_marking_notifications_read_ignores_other_peoples(family, course):
    user, me, _child, _parent = family
    services.enrolment_create(participant=me, course=course, actor=user)
    note = Notification.objects.get(recipient=user)
    assert services.notifications_mark_read(user=UserFactory(), ids=[note.pk]) == 0
    assert services.notifications_mark_read(user=user, ids=[note.pk, "x", None]) == 1
    assert selectors.notification_unread_count(user) == 0


def test_my_data_export_holds_self_dependants_consents_enrolments_and_nothing_of_others(family, course):
    user, me, child, parent = family
    services.enrolment_create(participant=child, course=course, actor=user)
    services.enrolment_create(participant=me, course=course, actor=user)
    other = Participant.objects.exclude(account=user).first() or DependantFactory()
    services.enrolment_create(participant=other, course=course, actor=other.account)  # waitlisted stranger
    session = course.sessions.first()
    Attendance.objects.create(
        session=session, participant=child, status="present", marked_at=timezone.now(), marked_by=UserFactory()
    )

    data = selectors.my_data_export(user)
    text = json.dumps(data, ensure_ascii=False)  # JSON-ready as it is
    assert data["account"]["email"] == user.email
    assert data["self"]["id"] == me.pk and data["self"]["given_name"] == me.given_name
    assert {d["id"] for d in data["dependants"]} == {child.pk, parent.pk}
    assert {c["participant_id"] for c in data["consents"]} == {me.pk, child.pk, parent.pk}
    assert {c["purpose"] for c in data["consents"] if c["participant_id"] == child.pk} == {
        "privacy_notice",
        "guardian",
    }
    assert {(e["participant_id"], e["status"]) for e in data["enrolments"]} == {
        (child.pk, "confirmed"),
        (me.pk, "confirmed"),
    }
    assert len(data["notifications"]) == 2
    assert data["attendance"][0]["status"] == "present"
    assert other.given_name not in text and other.account.email not in text
    assert "password" not in text


def test_erasure_keeps_anonymous_counts_and_releases_future_places(family, make_course, make_participant):
    user, me, child, parent = family
    past = make_course(
        capacity=5,
        starts_on=timezone.localdate() - dt.timedelta(days=60),
        ends_on=timezone.localdate() - dt.timedelta(days=30),
        status=Course.Status.COMPLETED,
        sessions=0,
    )
    history = EnrolmentFactory(participant=me, course=past, status=S.COMPLETED)
    Course.objects.filter(pk=past.pk).update(seats_taken=1)
    future = make_course(capacity=2, confirmation_mode=Course.ConfirmationMode.OFFER)
    services.enrolment_create(participant=me, course=future, actor=user)
    services.enrolment_create(participant=child, course=future, actor=user)
    waiting = make_participant()
    waiting_enrolment = services.enrolment_create(participant=waiting, course=future, actor=waiting.account)
    parent_waiting = services.enrolment_create(participant=parent, course=future, actor=user)
    assert parent_waiting.waitlist_position == 2
    counts_before = {
        "participants": Participant.objects.count(),
        "enrolments": Enrolment.objects.count(),
        "district": Participant.objects.filter(district=me.district).count(),
    }
    me_birth_year, me_sex = me.birth_date.year, me.sex

    result = services.account_erase(user=user)

    assert result == {"participants": 3, "enrolments_released": 3}
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert not Notification.objects.filter(recipient_id=user.pk).exists()
    assert Participant.objects.count() == counts_before["participants"]
    assert Enrolment.objects.count() == counts_before["enrolments"]
    assert Participant.objects.filter(district=me.district).count() == counts_before["district"]
    for person in Participant.objects.filter(pk__in=[me.pk, child.pk, parent.pk]):
        assert person.anonymised_at is not None and person.account is None
        assert (person.given_name, person.family_name, person.phone, person.access_needs) == ("", "", "", "")
        assert person.birth_date.month == 7 and person.birth_date.day == 1 and person.birth_date_is_year_only
    erased_me = Participant.objects.get(pk=me.pk)
    assert (erased_me.birth_date.year, erased_me.sex) == (me_birth_year, me_sex)
    history.refresh_from_db()
    assert history.status == S.COMPLETED  # the past stays counted
    assert not Consent.objects.filter(participant__in=[me, child, parent], withdrawn_at__isnull=True).exists()

    future.refresh_from_db()
    waiting_enrolment.refresh_from_db()
    assert waiting_enrolment.status == S.OFFERED  # the place went to the next in line
    assert (future.seats_taken, future.waitlist_count) == (1, 0)
    assert Notification.objects.filter(recipient=waiting.account, kind="offer_made").count() == 1
    assert Enrolment.objects.filter(participant=me, cancelled_reason="account_erased").count() == 1


def test_an_erased_profile_cannot_enrol(family, course):
    user, me, _child, _parent = family
    services.account_erase(user=user)
    me.refresh_from_db()
    staff_user = UserFactory(is_superuser=True)
    with pytest.raises(EnrolmentRefused) as info:
        services.enrolment_create(participant=me, course=course, actor=staff_user)
    assert info.value.reason == Reason.PARTICIPANT_ANONYMISED
