"""The demo city: Chiang Mai, its 16 subdistricts, DEMO population figures and two users.

`manage.py load_demo` calls `load_demo_data(stdout)` of every installed app that has a
`demo` module, in INSTALLED_APPS order (accounts, city, programmes, participants, ...), in
one transaction. A higher app (programmes) adds its catalogue in its own `demo.py`, finding
the city with `demo_city_get()`; this module never imports a higher layer.

Every step is idempotent: running load_demo twice leaves the same rows. The population
figures are ILLUSTRATIVE, generated from a fixed seed; they are not official statistics
and are stored with is_demo=True."""

from __future__ import annotations

import math
import os
import random
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from learningcity.accounts.roles import city_admin_group
from learningcity.city.models import City, District, Population
from learningcity.city.services import (
    city_ensure,
    city_population_year_refresh,
    districts_load_from_geothai,
    population_cells_upsert,
)

DEMO_CITY_SLUG = "chiang-mai"
DEMO_PROVINCE_CODE = "50"
DEMO_DISTRICT_CODE = "5001"  # Mueang Chiang Mai: 16 subdistricts
DEMO_POPULATION_YEAR = 2025
DEMO_POPULATION_SEED = 2569
DEMO_MAX_SINGLE_AGE = 99  # single years 0..99, then "100 and over"
DEMO_ADMIN_EMAIL = "admin@demo.learningcity.local"
DEMO_RESIDENT_EMAIL = "resident@demo.learningcity.local"
DEMO_ADMIN_PASSWORD_DEFAULT = "demo-admin-2569"  # noqa: S105 - documented demo password
DEMO_RESIDENT_PASSWORD_DEFAULT = "demo-resident-2569"  # noqa: S105 - documented demo password


def demo_city_get() -> City | None:
    """The demo city, for other apps' demo modules."""
    return City.objects.filter(slug=DEMO_CITY_SLUG).first()


# --- Steps -------------------------------------------------------------------------------


def demo_city(stdout) -> None:
    city, created = city_ensure(
        slug=DEMO_CITY_SLUG,
        province_code=DEMO_PROVINCE_CODE,
        kind=City.Kind.CITY_MUNICIPALITY,
        name_th="เชียงใหม่",
        name_en="Chiang Mai",
        gnlc_member_since=2019,  # joined the UNESCO Global Network of Learning Cities in 2019
        area_km2=Decimal("40.22"),
    )
    message = _("City %(name)s: created.") if created else _("City %(name)s: already there.")
    stdout.write(message % {"name": city.name_th})


def demo_districts(stdout) -> None:
    city = City.objects.get(slug=DEMO_CITY_SLUG)
    result = districts_load_from_geothai(city=city, province_code=DEMO_PROVINCE_CODE, district_code=DEMO_DISTRICT_CODE)
    stdout.write(
        _("Districts: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
        % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
    )


def demo_population(stdout) -> None:
    city = City.objects.get(slug=DEMO_CITY_SLUG)
    real = Population.objects.filter(district__city=city, year=DEMO_POPULATION_YEAR, is_demo=False)
    if real.exists():
        stdout.write(
            _("Population %(year)s: official figures are loaded; no demo figures written.")
            % {"year": DEMO_POPULATION_YEAR}
        )
        return
    districts = list(District.objects.filter(city=city, parent_code=DEMO_DISTRICT_CODE).order_by("code"))
    written = population_cells_upsert(cells=demo_population_cells(districts, year=DEMO_POPULATION_YEAR))
    city_population_year_refresh(city=city)
    stdout.write(
        _("Population %(year)s: %(count)s DEMO figures (illustrative, not official statistics).")
        % {"year": DEMO_POPULATION_YEAR, "count": written}
    )


def demo_users(stdout) -> None:
    admin_password = os.environ.get("DEMO_ADMIN_PASSWORD") or DEMO_ADMIN_PASSWORD_DEFAULT
    resident_password = os.environ.get("DEMO_RESIDENT_PASSWORD") or DEMO_RESIDENT_PASSWORD_DEFAULT
    admin = _demo_user(DEMO_ADMIN_EMAIL, admin_password, "ผู้ดูแลเมือง (สาธิต)", stdout)
    admin.groups.add(city_admin_group())
    _demo_user(DEMO_RESIDENT_EMAIL, resident_password, "ผู้เรียน (สาธิต)", stdout)
    stdout.write(
        _("Demo sign-in (city administrator): %(email)s / %(password)s")
        % {"email": DEMO_ADMIN_EMAIL, "password": admin_password}
    )
    stdout.write(
        _("Demo sign-in (resident): %(email)s / %(password)s")
        % {"email": DEMO_RESIDENT_EMAIL, "password": resident_password}
    )


DEMO_STEPS = (demo_city, demo_districts, demo_population, demo_users)


def load_demo_data(stdout) -> None:
    """The hook load_demo calls (see the module docstring)."""
    for step in DEMO_STEPS:
        step(stdout)


# --- Helpers -----------------------------------------------------------------------------


def _demo_user(email: str, password: str, display_name: str, stdout):
    """The user with a verified, primary address. An existing user keeps its password."""
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, display_name=display_name)
        stdout.write(_("User %(email)s: created.") % {"email": email})
    else:
        stdout.write(_("User %(email)s: already there (password unchanged).") % {"email": email})
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _age_weight(age: int, sex: str, profile: dict[str, float]) -> float:
    """Relative size of one single-year age group: an ageing Thai pyramid (births falling
    since the 1990s, the largest cohorts in their 40s and 50s, women living longer)."""
    if age <= 14:
        weight = (0.55 + 0.02 * age) * profile["young"]
    elif age <= 24:
        weight = 0.88 * (profile["students"] if age >= 18 else 1.0)
    elif age <= 59:
        weight = 0.95 + 0.12 * max(0.0, 1 - abs(age - 47) / 22)
    else:
        weight = math.exp(-(age - 60) / (19.0 if sex == Population.Sex.FEMALE else 14.0)) * profile["old"]
        if age > 75:
            weight *= math.exp(-(((age - 75) / 12) ** 2))  # mortality rises steeply in old age
    if sex == Population.Sex.MALE and age <= 24:
        weight *= 1.04  # more boys are born
    return weight


def demo_population_cells(districts: list[District], *, year: int) -> list[Population]:
    """Single years 0..99 and "100 and over" for each district and sex, deterministic:
    the same seed gives the same figures, different (uneven) ones for each district."""
    rng = random.Random(DEMO_POPULATION_SEED)
    cells: list[Population] = []
    for district in districts:
        total = rng.randint(4_000, 26_000)
        profile = {
            "young": rng.uniform(0.7, 1.3),
            "students": rng.uniform(0.9, 2.2),  # universities and colleges
            "old": rng.uniform(0.8, 1.4),
        }
        for sex in (Population.Sex.FEMALE, Population.Sex.MALE):
            weights = [_age_weight(age, sex, profile) for age in range(111)]
            scale = total / 2 / sum(weights)
            for age_from in range(DEMO_MAX_SINGLE_AGE + 2):
                if age_from > DEMO_MAX_SINGLE_AGE:
                    age_to, weight = None, sum(weights[age_from:])
                else:
                    age_to, weight = age_from, weights[age_from]
                count = round(weight * scale * rng.uniform(0.85, 1.15))
                cells.append(
                    Population(
                        district=district,
                        year=year,
                        sex=sex,
                        age_from=age_from,
                        age_to=age_to,
                        count=count,
                        is_demo=True,
                    )
                )
    return cells
