"""A small city with known summary rows for the dashboard page tests (test_pages*.py and the
browser test). The rows are inserted directly (bulk_create), so every figure on the pages
can be computed by hand; see the numbers in the docstring of ``build``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from learningcity.accounts.roles import city_admin_group
from learningcity.city.models import Population
from learningcity.city.selectors import city_current_forget
from learningcity.dashboards import aggregation
from learningcity.dashboards.indicators import add_months, last_12_months
from learningcity.dashboards.models import ActivityDay, LearnerPeriod, RefreshRun
from programmes.models import ProviderMembership
from tests.factories import CategoryFactory, CityFactory, DistrictFactory, ProviderFactory, UserFactory

# Population 2025 by district, sex and age group (lower bound): (age_from, age_to, count).
POPULATION = {
    ("A", "female"): [(0, 5, 100), (6, 14, 200), (15, 24, 150), (25, 59, 500), (60, 64, 100), (65, None, 100)],
    ("A", "male"): [(0, 5, 100), (6, 14, 200), (15, 24, 150), (25, 59, 500), (60, 64, 80), (65, None, 70)],
    ("B", "female"): [(0, 5, 50), (6, 14, 100), (15, 24, 100), (25, 59, 300), (60, 64, 50), (65, None, 50)],
    ("B", "male"): [(0, 5, 50), (6, 14, 100), (15, 24, 100), (25, 59, 300), (60, 64, 50), (65, None, 50)],
}
# Distinct learners, 12 months to the end of this month, dimension "all": (district, age group, sex, n).
LEARNERS_ALL = [
    ("A", 60, "female", 20),
    ("A", 65, "female", 10),
    ("A", 60, "male", 6),
    ("A", 65, "male", 3),
    ("A", 25, "female", 40),
    ("A", 25, "male", 30),
    ("A", 15, "female", 15),
    ("A", 15, "male", 15),
    ("B", 25, "female", 10),
    ("B", 25, "male", 12),
    ("B", 60, "female", 2),
    (None, 25, "female", 7),
]
PASSWORD = "correct-horse-battery-staple"


def build(*, extra_rows: int = 0) -> dict:
    """The city, districts A and B, providers P1 and P2, categories C1 (blocks 2, 4) and C2
    (block 6), population, summary rows for the last 12 months and the 12 months before, one
    refresh run, and users: a city administrator, a manager and an editor of P1, a manager of
    P2 and a resident. ``extra_rows`` adds that many zero-learner rows of history (a larger
    data set with the same figures)."""
    city = CityFactory(
        slug=settings.CITY_SLUG,
        name_th="เมืองเชียงใหม่",
        name_en="Chiang Mai",
        population_year=2025,
        area_km2=Decimal("40.22"),
        gnlc_member_since=2019,
    )
    city_current_forget()
    districts = {
        "A": DistrictFactory(
            city=city, code="500101", name_th="ศรีภูมิ", name_en="Si Phum", boundary=square(98.98, 18.79)
        ),
        "B": DistrictFactory(
            city=city, code="500102", name_th="พระสิงห์", name_en="Phra Sing", boundary=square(98.99, 18.79)
        ),
    }
    Population.objects.bulk_create(
        Population(district=districts[d], year=2025, sex=sex, age_from=a, age_to=b, count=n)
        for (d, sex), rows in POPULATION.items()
        for a, b, n in rows
    )
    p1 = ProviderFactory(city=city, slug="p1", name_th="ศูนย์การเรียนรู้ผู้สูงอายุ", name_en="Elderly school")
    p2 = ProviderFactory(city=city, slug="p2", name_th="ห้องสมุดเมือง", name_en="City library")
    c1 = CategoryFactory(slug="digital", name_th="ทักษะดิจิทัล", name_en="Digital skills", building_blocks=[2, 4])
    c2 = CategoryFactory(slug="culture", name_th="ศิลปวัฒนธรรม", name_en="Arts and culture", building_blocks=[6])

    today = timezone.localdate()
    start, end = last_12_months(today)
    prev_start, prev_end = add_months(start, -12), start - dt.timedelta(days=1)
    day = max(start, today - dt.timedelta(days=3))
    prev_day = prev_start + dt.timedelta(days=40)

    def act(d, age, sex, provider, category, fmt, *, on=day, **sums):
        return ActivityDay(
            city=city,
            day=on,
            district=districts[d] if d else None,
            age_from=age,
            sex=sex,
            provider=provider,
            category=category,
            format=fmt,
            **sums,
        )

    ActivityDay.objects.bulk_create(
        [
            act(
                "A",
                60,
                "female",
                p1,
                c1,
                "in_person",
                enrolments=3,
                confirmed=3,
                waitlist_unmet=2,
                attendances=12,
                learning_minutes=1440,
                completions=3,
            ),
            act(
                "A",
                25,
                "female",
                p1,
                c1,
                "online",
                enrolments=12,
                confirmed=10,
                attendances=30,
                learning_minutes=2700,
                completions=8,
            ),
            act(
                "A",
                25,
                "male",
                p2,
                c2,
                "in_person",
                enrolments=8,
                confirmed=8,
                attendances=20,
                learning_minutes=1200,
                completions=6,
            ),
            act(
                "B",
                60,
                "female",
                p2,
                c2,
                "in_person",
                enrolments=2,
                confirmed=1,
                waitlist_unmet=1,
                attendances=4,
                learning_minutes=240,
                completions=1,
            ),
            act(
                "A",
                25,
                "female",
                p1,
                c1,
                "in_person",
                on=prev_day,
                enrolments=10,
                confirmed=10,
                attendances=20,
                learning_minutes=1200,
                completions=5,
            ),
        ]
        + [
            act("A", 25, "female", p1, c1, "in_person", on=prev_start - dt.timedelta(days=i + 1), enrolments=1)
            for i in range(extra_rows)
        ]
    )

    def lp(kind, s, e, d, age, sex, n, dimension="all", value=""):
        return LearnerPeriod(
            city=city,
            kind=kind,
            period_start=s,
            period_end=e,
            dimension=dimension,
            value=value,
            district=districts[d] if d else None,
            age_from=age,
            sex=sex,
            learners=n,
        )

    rows = [lp("rolling12", start, end, d, age, sex, n) for d, age, sex, n in LEARNERS_ALL]
    rows += [
        lp("rolling12", prev_start, prev_end, "A", 25, "female", 100),
        # P1: 3 older women (a small cell) and 12 women of 25-59; P2: 8 men of 25-59 and the 2 in B.
        lp("rolling12", start, end, "A", 60, "female", 3, "provider", str(p1.pk)),
        lp("rolling12", start, end, "A", 25, "female", 12, "provider", str(p1.pk)),
        lp("rolling12", start, end, "A", 25, "male", 8, "provider", str(p2.pk)),
        lp("rolling12", start, end, "B", 60, "female", 2, "provider", str(p2.pk)),
        lp("rolling12", start, end, "A", 25, "female", 12, "category", str(c1.pk)),
        lp("rolling12", start, end, "A", 60, "female", 3, "category", str(c1.pk)),
        lp("rolling12", start, end, "A", 25, "male", 8, "category", str(c2.pk)),
        lp("rolling12", start, end, "A", 25, "female", 15, "block", "2"),
        lp("rolling12", start, end, "A", 25, "female", 15, "block", "4"),
        lp("rolling12", start, end, "A", 25, "male", 10, "block", "6"),
        lp("rolling12", start, end, "A", 25, "female", 9, "format", "online"),
        lp("rolling12", start, end, "A", 25, "male", 14, "format", "in_person"),
    ]
    # History: monthly rows of earlier years (more data, same figures for the current window).
    month = add_months(prev_start, -1)
    for i in range(extra_rows):
        m = add_months(month, -i)
        rows.append(lp("month", m, add_months(m, 1) - dt.timedelta(days=1), "A", 25, "female", 1 + i % 9))
    LearnerPeriod.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        aggregation.rollups_from_tables(cursor)
    RefreshRun.objects.create(
        kind=RefreshRun.Kind.REBUILD,
        started_at=timezone.now() - dt.timedelta(minutes=5),
        finished_at=timezone.now() - dt.timedelta(minutes=4),
        days_refreshed=10,
        periods_refreshed=3,
    )

    admin = UserFactory(email="admin@city.example.org")
    admin.groups.add(city_admin_group())
    manager = UserFactory(email="manager@p1.example.org")
    ProviderMembership.objects.create(user=manager, provider=p1, role=ProviderMembership.Role.MANAGER)
    editor = UserFactory(email="editor@p1.example.org")
    ProviderMembership.objects.create(user=editor, provider=p1, role=ProviderMembership.Role.EDITOR)
    manager2 = UserFactory(email="manager@p2.example.org")
    ProviderMembership.objects.create(user=manager2, provider=p2, role=ProviderMembership.Role.MANAGER)
    resident = UserFactory(email="resident@example.org")
    return {
        "city": city,
        "districts": districts,
        "p1": p1,
        "p2": p2,
        "c1": c1,
        "c2": c2,
        "start": start,
        "end": end,
        "admin": admin,
        "manager": manager,
        "editor": editor,
        "manager2": manager2,
        "resident": resident,
    }


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]],
    }
