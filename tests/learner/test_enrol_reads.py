"""The enrol POST's reads, written as SQL (learningcity/db/rows.py): they return what the ORM
queries they replace return, refuse what those refused, and a model whose values the ORM
converts after reading cannot be read this way by mistake."""

import pytest
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Model, OuterRef
from django.utils import timezone

from learningcity.db.rows import Columns
from participants import selectors, services
from participants.models import ACTIVE_ENROLMENT_STATUSES, Consent, Enrolment
from programmes.models import Course, CourseChange, Programme
from tests.factories import DependantFactory, ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fields(obj: Model, names=None) -> dict:
    names = names or [f.attname for f in obj._meta.concrete_fields]
    return {name: getattr(obj, name) for name in names}


def test_the_course_read_equals_the_orm_read_with_its_programme_provider_and_venue(make_course):
    course = make_course(capacity=7)
    orm = (
        Course.objects.filter(pk=course.pk)
        .select_related("programme__provider", "venue")
        .only(*selectors.ENROL_COURSE_FIELDS)
        .get()
    )

    read, people, active = selectors.enrol_post_reads(str(course.pk), UserFactory())

    assert (people, active) == ([], [])  # an account without people

    loaded = [f for f in selectors.ENROL_COURSE_FIELDS if "__" not in f]
    assert _fields(read, ["id", *loaded]) == _fields(orm, ["id", *loaded])
    assert read.get_deferred_fields() == orm.get_deferred_fields()
    assert read.programme.title == orm.programme.title and read.programme.age_min == orm.programme.age_min
    assert read.programme.provider.name == orm.programme.provider.name
    assert read.venue is not None and read.venue.name == orm.venue.name and read.venue.address == orm.venue.address
    assert read._state.adding is False


def test_a_course_without_a_venue_is_read_with_none(make_course):
    course = make_course()
    Course.objects.filter(pk=course.pk).update(venue=None, online_url="https://meet.example.org/x")

    read, _people, _active = selectors.enrol_post_reads(course.pk, UserFactory())

    assert read.venue is None and read.venue_id is None and read.online_url == "https://meet.example.org/x"


@pytest.mark.parametrize(
    "pk", ["", "abc", "1; DROP TABLE programmes_course", "<b>1</b>", "หนึ่ง", "-1", "0", str(2**63), "9" * 400, None]
)
def test_the_course_read_refuses_what_is_not_a_course_id(resident, make_course, pk):
    make_course()
    assert selectors.enrol_post_reads(pk, resident) == (None, [], [])
    assert Course.objects.exists()


def test_the_course_of_an_unpublished_programme_is_not_found(make_course):
    course = make_course()
    Programme.objects.filter(pk=course.programme_id).update(status=Programme.Status.DRAFT)
    assert selectors.enrol_post_reads(course.pk, UserFactory()) == (None, [], [])


def test_the_people_read_equals_the_orm_read_in_the_same_order_with_their_consents(resident, me, make_course):
    older = DependantFactory(account=resident, district=me.district, given_name="ข้าวหอม")
    younger = DependantFactory(account=resident, district=me.district, given_name="กล้า")
    Consent.objects.filter(participant=older).update(withdrawn_at=timezone.now())
    stranger = ParticipantFactory(account=UserFactory(), district=me.district)
    course, other_course, done = make_course(capacity=1), make_course(), make_course()
    services.enrolment_create(participant=younger, course=course, actor=resident)
    services.enrolment_create(participant=me, course=course, actor=resident)  # waitlisted
    services.enrolment_create(participant=me, course=other_course, actor=resident)
    cancelled = services.enrolment_create(participant=younger, course=done, actor=resident)
    Enrolment.objects.filter(pk=cancelled.pk).update(status=Enrolment.Status.CANCELLED)
    services.enrolment_create(participant=stranger, course=other_course, actor=stranger.account)

    read, people, active = selectors.enrol_post_reads(other_course.pk, resident)

    assert read.pk == other_course.pk and read.programme.title  # the course once, whatever the rows

    consents = Consent.objects.filter(participant=OuterRef("pk"), withdrawn_at__isnull=True).values("purpose")
    orm_people = list(selectors.participant_list_for_user(resident).annotate(active_consents=ArraySubquery(consents)))
    assert [p.pk for p in people] == [p.pk for p in orm_people] and len(people) == 3
    assert people[0].pk == me.pk  # the account holder first
    for read, orm in zip(people, orm_people, strict=True):
        assert _fields(read) == _fields(orm)
        assert sorted(read.active_consents) == sorted(orm.active_consents)
    assert next(p for p in people if p.pk == older.pk).active_consents == []
    orm_active = list(
        Enrolment.objects.filter(participant__in=orm_people, status__in=ACTIVE_ENROLMENT_STATUSES).order_by("pk")
    )
    assert [_fields(e) for e in active] == [_fields(e) for e in orm_active] and len(active) == 3
    assert all(e.participant is next(p for p in people if p.pk == e.participant_id) for e in active)


def test_an_account_without_people_or_no_account_reads_only_the_course(make_course):
    from django.contrib.auth.models import AnonymousUser

    course = make_course()
    for user in (UserFactory(), AnonymousUser()):
        read, people, active = selectors.enrol_post_reads(course.pk, user)
        assert read.pk == course.pk and (people, active) == ([], [])


def test_a_model_whose_values_the_orm_converts_cannot_be_read_by_hand():
    with pytest.raises(ValueError, match="details"):
        Columns(CourseChange, "x")
    assert len(Columns(CourseChange, "x", ["course", "created_at"])) == 3  # the key, the course, the time
