"""factory_boy factories shared by every test package. Add yours at the end of the file.

Factories build rows directly (fast, any state); tests of a service call the service.
Programme factories leave the search document empty: call
programmes.services.programme_search_refresh(...) when a test searches."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from learningcity.accounts.models import User
from learningcity.city.models import City, District
from programmes.models import Category, Course, Programme, Provider, ProviderMembership, Session, Venue

USER_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A user whose password is USER_PASSWORD."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.django.Password(USER_PASSWORD)


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"city-{n}")
    name_th = factory.Sequence(lambda n: f"เมืองทดสอบ {n}")
    name_en = factory.Sequence(lambda n: f"Test City {n}")
    province_code = "50"


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    city = factory.SubFactory(CityFactory)
    code = factory.Sequence(lambda n: f"5001{n % 100:02d}")
    name_th = factory.Sequence(lambda n: f"ตำบลทดสอบ {n}")
    name_en = factory.Sequence(lambda n: f"Test Subdistrict {n}")
    level = District.Level.SUBDISTRICT
    parent_code = "5001"


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    city = factory.SubFactory(CityFactory)
    slug = factory.Sequence(lambda n: f"provider-{n}")
    name_th = factory.Sequence(lambda n: f"ศูนย์การเรียนรู้ {n}")
    name_en = factory.Sequence(lambda n: f"Learning Centre {n}")
    kind = Provider.Kind.COMMUNITY_CENTRE


class ProviderMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderMembership

    user = factory.SubFactory(UserFactory)
    provider = factory.SubFactory(ProviderFactory)
    role = ProviderMembership.Role.EDITOR


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    city = factory.SubFactory(CityFactory)
    provider = None
    district = None
    name_th = factory.Sequence(lambda n: f"ห้องเรียน {n}")
    name_en = factory.Sequence(lambda n: f"Room {n}")
    latitude = Decimal("18.790000")
    longitude = Decimal("98.985000")
    accessibility = factory.LazyFunction(lambda: ["step_free"])


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    slug = factory.Sequence(lambda n: f"category-{n}")
    name_th = factory.Sequence(lambda n: f"หมวดหมู่ {n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    building_blocks = factory.LazyFunction(lambda: [2])


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme
        skip_postgeneration_save = True

    provider = factory.SubFactory(ProviderFactory)
    slug = factory.Sequence(lambda n: f"programme-{n}")
    title_th = factory.Sequence(lambda n: f"หลักสูตรทดสอบ {n}")
    title_en = factory.Sequence(lambda n: f"Test programme {n}")
    summary_th = "สรุปสั้น ๆ"
    summary_en = "A short summary"
    age_min = 0
    status = Programme.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    class Params:
        draft = factory.Trait(status=Programme.Status.DRAFT, published_at=None)

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    programme = factory.SubFactory(ProgrammeFactory)
    venue = factory.SubFactory(VenueFactory, city=factory.SelfAttribute("..programme.provider.city"))
    starts_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + dt.timedelta(days=28))
    capacity = 20
    seats_taken = 0
    status = Course.Status.SCHEDULED


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    course = factory.SubFactory(CourseFactory)
    starts_at = factory.LazyAttribute(
        lambda o: dt.datetime.combine(o.course.starts_on, dt.time(9, 0), tzinfo=timezone.get_current_timezone())
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=2))
    venue = factory.LazyAttribute(lambda o: o.course.venue)


# --- participants ----------------------------------------------------------------------------


class ParticipantFactory(factory.django.DjangoModelFactory):
    """An account holder's own profile (30 years old) with an active privacy-notice consent.
    `consents=False` skips the consent; DependantFactory gives a dependant."""

    class Meta:
        model = "participants.Participant"
        skip_postgeneration_save = True

    account = factory.SubFactory(UserFactory)
    is_self = True
    given_name = factory.Sequence(lambda n: f"สมใจ{n}")
    family_name = "ใจดี"
    birth_date = factory.LazyFunction(
        lambda: timezone.localdate().replace(day=1, month=1) - dt.timedelta(days=30 * 365)
    )
    sex = "female"
    district = factory.SubFactory(DistrictFactory)
    preferred_language = "th"

    @factory.post_generation
    def consents(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        from participants.models import Consent, PrivacyNotice
        from participants.selectors import privacy_notice_first_ensure

        notice = PrivacyNotice.objects.order_by("-version").first() or privacy_notice_first_ensure()
        Consent.objects.create(
            participant=self,
            purpose=Consent.Purpose.PRIVACY_NOTICE,
            notice=notice,
            given_by=self.account,
            on_behalf=not self.is_self,
            given_at=timezone.now(),
        )
        age = self.age_on(timezone.localdate())
        if not self.is_self and age < 20:
            Consent.objects.create(
                participant=self,
                purpose=Consent.Purpose.GUARDIAN,
                notice=notice,
                given_by=self.account,
                on_behalf=True,
                subject_agreed=age >= 10,
                given_at=timezone.now(),
            )


class DependantFactory(ParticipantFactory):
    is_self = False
    given_name = factory.Sequence(lambda n: f"น้องดาว{n}")


class EnrolmentFactory(factory.django.DjangoModelFactory):
    """A confirmed enrolment row. It does NOT move the course's counters: tests of places
    call participants.services.enrolment_create instead."""

    class Meta:
        model = "participants.Enrolment"

    participant = factory.SubFactory(ParticipantFactory)
    course = factory.SubFactory(CourseFactory)
    status = "confirmed"
    created_at = factory.LazyFunction(timezone.now)
    confirmed_at = factory.LazyFunction(timezone.now)


def open_course(
    *,
    provider,
    capacity=10,
    age_min=0,
    age_max=None,
    sessions=1,
    title_th="การใช้สมาร์ตโฟนสำหรับผู้สูงวัย",
    title_en="Smartphone skills",
    **kwargs,
):
    """A scheduled course of a published programme of `provider`, open for enrolment now,
    starting in a week, with `sessions` weekly two-hour sessions at 09:00 Bangkok time."""
    programme = ProgrammeFactory(
        provider=provider, age_min=age_min, age_max=age_max, title_th=title_th, title_en=title_en
    )
    now = timezone.now()
    defaults = {
        "starts_on": timezone.localdate() + dt.timedelta(days=7),
        "enrolment_opens_at": now - dt.timedelta(days=1),
        "enrolment_closes_at": now + dt.timedelta(days=6),
        "cancellation_deadline": now + dt.timedelta(days=5),
    }
    defaults.update(kwargs)
    course = CourseFactory(programme=programme, capacity=capacity, venue__city=provider.city, **defaults)
    for n in range(sessions):
        SessionFactory(
            course=course,
            starts_at=dt.datetime.combine(
                course.starts_on + dt.timedelta(days=7 * n), dt.time(9, 0), tzinfo=timezone.get_current_timezone()
            ),
        )
    return course
