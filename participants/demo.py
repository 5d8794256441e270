"""Demo participants for the demo city. ILLUSTRATIVE DATA: invented people.

`manage.py load_demo` calls `load_demo_data(stdout)` after the programmes hook. It creates:
- the demo resident's own profile (resident@demo.learningcity.local, 34, living in ศรีภูมิ
  500101) with two dependants, a 7-year-old child and a 68-year-old parent, their consents
  recorded, and a few enrolments made through the services (so notifications exist too);
- ~300 participants registered by staff (no account), spread unevenly over the subdistricts,
  ages and sexes, enrolled in past, running and upcoming courses, with attendance for the
  sessions already held.

The programmes demo sets Course.seats_taken without enrolment rows; here rows are created and
the counters are then recomputed from them (seats_taken = confirmed + offered + completed +
no-show, the places taken; waitlist_count = waitlisted), so counters equal the real counts.

Deterministic (fixed seed, dates relative to today), idempotent (nothing is done when the demo
resident already has a profile) and fast (bulk inserts)."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from learningcity.city.demo import DEMO_RESIDENT_EMAIL, demo_city_get
from learningcity.city.models import District
from participants import services
from participants.errors import EnrolmentRefused
from participants.models import Attendance, Consent, Enrolment, Participant
from participants.selectors import privacy_notice_current, privacy_notice_first_ensure
from programmes.catalogue_cache import catalogue_changed
from programmes.models import Course

DEMO_SEED = 2569
DEMO_PARTICIPANTS = 300
DEMO_PROVIDER_EMAIL = "provider@demo.learningcity.local"
# The places a course's counters count: held now, or held by someone who took part.
PLACE_STATUSES = ("confirmed", "offered", "completed", "no_show")

FEMALE_NAMES = ["สมศรี", "มาลี", "กาญจนา", "วันเพ็ญ", "ปราณี", "สุดารัตน์", "จันทร์เพ็ญ", "พิมพ์ชนก", "ณัฐธิดา", "ศิริพร", "อรทัย", "บัวคำ", "แสงเดือน", "ปิยะนุช", "ขวัญใจ", "ดวงใจ"]  # fmt: skip
MALE_NAMES = ["สมชาย", "ประเสริฐ", "บุญมี", "วิชัย", "สมบัติ", "อนุชา", "ธนากร", "ณัฐพล", "กิตติศักดิ์", "จักรพันธ์", "ศักดิ์ชัย", "คำแสน", "อินทร", "ปกรณ์", "วีระ", "ชัยวัฒน์"]  # fmt: skip
FAMILY_NAMES = ["ใจดี", "สุขสวัสดิ์", "ศรีวงศ์", "อินต๊ะ", "คำปัน", "ปัญญาดี", "ทองคำ", "แก้วมูล", "บุญเรือง", "จันทร์แก้ว", "สิทธิวงศ์", "ชัยมงคล", "วงศ์ใหญ่", "ไชยวงค์", "มณีรัตน์", "ปวงคำ"]  # fmt: skip
# Share of each age band among demo learners (older adults and children take part most).
AGE_BANDS = [((3, 5), 0.08), ((6, 14), 0.22), ((15, 24), 0.12), ((25, 59), 0.30), ((60, 85), 0.28)]
SEXES = [("female", 0.56), ("male", 0.40), ("other", 0.01), ("prefer_not", 0.03)]


def load_demo_data(stdout) -> None:
    """The hook load_demo calls (see the module docstring)."""
    city = demo_city_get()
    resident = get_user_model().objects.filter(email__iexact=DEMO_RESIDENT_EMAIL).first()
    if city is None or resident is None:
        stdout.write(_("Participants: no demo city or demo resident, nothing loaded."))
        return
    if Participant.objects.filter(account=resident, is_self=True).exists():
        stdout.write(_("Participants: the demo resident has a profile already, nothing loaded."))
        return
    counts = _load(city, resident, now=timezone.now())
    stdout.write(
        _(
            "Participants: %(participants)s participants, %(enrolments)s enrolments, "
            "%(attendances)s attendance records (DEMO data)."
        )
        % counts
    )


def _years_ago(today: dt.date, years: int, days: int) -> dt.date:
    return today.replace(month=1, day=1).replace(year=today.year - years) + dt.timedelta(days=days)


@transaction.atomic
def _load(city, resident, *, now: dt.datetime) -> dict[str, int]:
    rng = random.Random(DEMO_SEED)
    today = timezone.localdate(now)
    if privacy_notice_current(now=now) is None:
        privacy_notice_first_ensure()
    districts = list(District.objects.filter(city=city, level=District.Level.SUBDISTRICT).order_by("code"))
    home = next((d for d in districts if d.code == "500101"), districts[0] if districts else None)
    family = _demo_family(resident, home, today=today, now=now)
    people = _demo_people(city, districts, rng, today=today, now=now)
    courses = list(
        Course.objects.filter(programme__provider__city=city)
        .exclude(status=Course.Status.CANCELLED)
        .select_related("programme")
        .prefetch_related("sessions")
        .order_by("pk")
    )
    enrolments, attendances = _demo_enrolments(courses, people, rng, today=today, now=now)
    _counters_recompute(list(Course.objects.filter(programme__provider__city=city).values_list("pk", flat=True)))
    _demo_family_enrolments(resident, family, courses, today=today, now=now)
    return {
        "participants": len(people) + len(family),
        "enrolments": enrolments,
        "attendances": attendances,
    }


def _demo_family(resident, home, *, today: dt.date, now: dt.datetime) -> list[Participant]:
    common = {"district": home, "lives_outside_city": home is None, "preferred_language": "th", "now": now}
    me = services.participant_create_self(
        user=resident,
        privacy_consent=True,
        given_name="สมใจ",
        family_name="รักเรียน",
        birth_date=today.replace(year=today.year - 34) - dt.timedelta(days=40),
        sex="female",
        phone="081 234 5678",
        **common,
    )
    child = services.dependant_create(
        account=resident,
        guardian_consent=True,
        given_name="ฟ้าใส",
        family_name="รักเรียน",
        birth_date=today.replace(year=today.year - 7) - dt.timedelta(days=100),
        sex="female",
        **common,
    )
    parent = services.dependant_create(
        account=resident,
        dependant_agrees=True,
        sensitive_data_consent=True,
        has_disability=True,
        access_needs="ใช้ไม้เท้า ต้องการที่นั่งใกล้ประตู",
        given_name="บุญศรี",
        family_name="รักเรียน",
        birth_date=today.replace(year=today.year - 68) - dt.timedelta(days=200),
        sex="female",
        **common,
    )
    return [me, child, parent]


def _pick(rng: random.Random, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _demo_people(city, districts, rng: random.Random, *, today: dt.date, now: dt.datetime) -> list[Participant]:
    staff = get_user_model().objects.filter(email__iexact=DEMO_PROVIDER_EMAIL).first()
    # Uneven: a few central subdistricts take part much more than the outer ones.
    district_weights = [(d, rng.choice([1, 1, 2, 3, 5, 8])) for d in districts]
    people = []
    for _n in range(DEMO_PARTICIPANTS):
        (low, high) = _pick(rng, AGE_BANDS)
        age = rng.randint(low, high)
        sex = _pick(rng, SEXES)
        names = MALE_NAMES if sex == "male" else FEMALE_NAMES
        outside = not districts or rng.random() < 0.06
        year_only = age >= 60 and rng.random() < 0.3
        birth = _years_ago(today, age + 1, rng.randint(0, 364))
        if year_only:
            birth = dt.date(birth.year, 7, 1)
        people.append(
            Participant(
                given_name=rng.choice(names),
                family_name=rng.choice(FAMILY_NAMES),
                birth_date=birth,
                birth_date_is_year_only=year_only,
                sex=sex,
                district=None if outside else _pick(rng, district_weights),
                lives_outside_city=outside,
                preferred_language="en" if rng.random() < 0.04 else "th",
                created_by_staff=True,
                registered_by=staff,
            )
        )
    Participant.objects.bulk_create(people)
    notice = privacy_notice_current(now=now)
    consents = []
    for person in people:
        age = person.age_on(today)
        base = {
            "participant": person,
            "notice": notice,
            "given_by": staff,
            "method": Consent.Method.STAFF_ASSISTED,
            "given_at": now - dt.timedelta(days=rng.randint(30, 400)),
            "subject_agreed": age >= 10,
        }
        consents.append(Consent(purpose=Consent.Purpose.PRIVACY_NOTICE, **base))
        if age < 20:
            consents.append(Consent(purpose=Consent.Purpose.GUARDIAN, **base))
    Consent.objects.bulk_create(consents)
    return people


def _demo_enrolments(courses, people, rng: random.Random, *, today: dt.date, now: dt.datetime) -> tuple[int, int]:
    """Rows for the places the programmes demo marked taken (as many as eligible people allow),
    plus a short waiting list on full upcoming courses and attendance for sessions held."""
    enrolments: list[Enrolment] = []
    sessions_of: dict[int, list] = {}
    for course in courses:
        programme = course.programme
        eligible = [
            p
            for p in people
            if p.age_on(course.starts_on) >= programme.age_min
            and (programme.age_max is None or p.age_on(course.starts_on) <= programme.age_max)
        ]
        rng.shuffle(eligible)
        wanted = min(course.seats_taken, len(eligible))
        past = course.status == Course.Status.COMPLETED or course.ends_on < today
        held = [s for s in course.sessions.all() if not s.is_cancelled and s.ends_at <= now]
        sessions_of[course.pk] = held
        opened = course.enrolment_opens_at or (now - dt.timedelta(days=60))
        for person in eligible[:wanted]:
            requested = min(opened + dt.timedelta(hours=rng.randint(1, 24 * 20)), now)
            enrolments.append(
                Enrolment(
                    participant=person,
                    course=course,
                    status="completed" if past else "confirmed",
                    created_at=requested,
                    confirmed_at=requested,
                )
            )
        if not past and course.seats_taken >= course.capacity:
            for position, person in enumerate(eligible[wanted : wanted + rng.randint(1, 5)], start=1):
                requested = min(opened + dt.timedelta(days=20, hours=position), now)
                enrolments.append(
                    Enrolment(
                        participant=person,
                        course=course,
                        status="waitlisted",
                        waitlist_position=position,
                        created_at=requested,
                    )
                )
    Enrolment.objects.bulk_create(enrolments, batch_size=2000)

    attendances = []
    finished: list[Enrolment] = []
    by_course = {c.pk: c for c in courses}
    for enrolment in enrolments:
        held = sessions_of.get(enrolment.course_id, [])
        if enrolment.status not in ("completed", "confirmed") or not held:
            continue
        keen = rng.random()  # some people come to everything, some drop out
        present = 0
        for session in held:
            here = rng.random() < (0.95 if keen > 0.25 else 0.4)
            present += here
            attendances.append(
                Attendance(
                    session=session,
                    participant_id=enrolment.participant_id,
                    enrolment=enrolment,
                    status="present" if here else "absent",
                    marked_at=session.ends_at,
                )
            )
        if enrolment.status == "completed":
            needed = by_course[enrolment.course_id].completion_min_attendance_pct / 100
            if present == 0:
                enrolment.status = "no_show"
            elif present / len(held) < needed:
                enrolment.status = "confirmed"  # took part, did not complete
            finished.append(enrolment)
    Attendance.objects.bulk_create(attendances, batch_size=5000)
    Enrolment.objects.bulk_update([e for e in finished if e.status != "completed"], ["status"], batch_size=2000)
    return len(enrolments), len(attendances)


def _counters_recompute(course_ids: list[int]) -> None:
    """seats_taken and waitlist_count from the rows, in one UPDATE."""

    def counted(condition: Q):
        rows = (
            Enrolment.objects.filter(condition, course=OuterRef("pk"))
            .order_by()
            .values("course")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))

    Course.objects.filter(pk__in=course_ids).update(
        seats_taken=counted(Q(status__in=PLACE_STATUSES)),
        waitlist_count=counted(Q(status="waitlisted")),
    )
    catalogue_changed()


def _demo_family_enrolments(resident, family, courses, *, today: dt.date, now: dt.datetime) -> None:
    """Through the services, as the resident would: their own place in an upcoming course,
    the child in a children's course (on the waiting list when it is full), the parent in
    an older adults' course."""
    me, child, parent = family
    open_now = list(
        Course.objects.filter(pk__in=[c.pk for c in courses], status=Course.Status.SCHEDULED, starts_on__gt=today)
        .filter(Q(enrolment_opens_at__isnull=True) | Q(enrolment_opens_at__lte=now))
        .filter(Q(enrolment_closes_at__isnull=True) | Q(enrolment_closes_at__gt=now))
        .select_related("programme__provider")
        .order_by("starts_on", "pk")
    )
    for person, prefer_full in ((me, False), (child, True), (parent, False)):
        for course in sorted(open_now, key=lambda c, want=prefer_full: c.is_full != want):
            try:
                services.enrolment_create(participant=person, course=course, actor=resident, now=now)
                break
            except EnrolmentRefused:
                continue
