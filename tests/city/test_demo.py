import io

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import translation

from learningcity.accounts.roles import CITY_ADMIN_GROUP
from learningcity.city import demo
from learningcity.city.models import City, District, Population
from learningcity.city.selectors import city_current, city_current_forget


def load_demo(*args) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    User = get_user_model()
    return {
        "cities": City.objects.count(),
        "districts": District.objects.count(),
        "population": Population.objects.count(),
        "population_sum": sum(Population.objects.values_list("count", flat=True)),
        "users": User.objects.count(),
        "emails": EmailAddress.objects.count(),
    }


@pytest.mark.django_db
def test_load_demo_creates_the_demo_city():
    output = load_demo()

    city = City.objects.get(slug="chiang-mai")
    assert city.kind == City.Kind.CITY_MUNICIPALITY
    assert (city.province_code, city.gnlc_member_since, str(city.area_km2)) == ("50", 2019, "40.22")
    assert city.population_year == 2025
    assert District.objects.filter(city=city).count() == 16
    assert District.objects.get(city=city, code="500101").name_th == "ศรีภูมิ"
    # every subdistrict x sex x single ages 0..99 and 100+, all marked as demo data
    assert Population.objects.filter(district__city=city, year=2025).count() == 16 * 2 * 101
    assert not Population.objects.filter(is_demo=False).exists()
    assert Population.objects.filter(age_from=100, age_to__isnull=True).count() == 32
    assert demo.DEMO_ADMIN_EMAIL in output and "demo-admin-2569" in output
    assert demo.DEMO_RESIDENT_EMAIL in output and "demo-resident-2569" in output
    assert "DEMO" in output


@pytest.mark.django_db
def test_demo_population_is_plausible_and_uneven():
    load_demo()
    totals = {}
    for code, count in Population.objects.values_list("district__code", "count"):
        totals[code] = totals.get(code, 0) + count
    assert len(set(totals.values())) == 16  # uneven between subdistricts
    children = sum(Population.objects.filter(age_from__lte=14).values_list("count", flat=True))
    adults = sum(Population.objects.filter(age_from__gte=25, age_from__lte=59).values_list("count", flat=True))
    oldest = sum(Population.objects.filter(age_from__gte=90).values_list("count", flat=True))
    assert adults > children > oldest
    women_80 = sum(Population.objects.filter(age_from__gte=80, sex="female").values_list("count", flat=True))
    men_80 = sum(Population.objects.filter(age_from__gte=80, sex="male").values_list("count", flat=True))
    assert women_80 > men_80


@pytest.mark.django_db
def test_demo_figures_are_deterministic():
    load_demo()
    districts = list(District.objects.order_by("code"))
    first = [(c.district.code, c.sex, c.age_from, c.count) for c in demo.demo_population_cells(districts, year=2025)]
    second = [(c.district.code, c.sex, c.age_from, c.count) for c in demo.demo_population_cells(districts, year=2025)]
    assert first == second
    stored = sorted(Population.objects.values_list("district__code", "sex", "age_from", "count"))
    assert stored == sorted(first)


@pytest.mark.django_db
def test_load_demo_twice_gives_the_same_rows():
    load_demo()
    before = counts()
    ids = sorted(Population.objects.values_list("id", flat=True))

    load_demo()

    assert counts() == before
    assert sorted(Population.objects.values_list("id", flat=True)) == ids
    # The city's two demo accounts; other apps' demo steps may add their own (staff).
    emails = set(get_user_model().objects.values_list("email", flat=True))
    assert {"admin@demo.learningcity.local", "resident@demo.learningcity.local"} <= emails


@pytest.mark.django_db
def test_if_empty_skips_when_a_city_exists():
    City.objects.create(slug="somewhere", province_code="10", name_th="ที่ไหนสักแห่ง")
    output = load_demo("--if-empty")
    assert "no demo data" in output
    assert City.objects.count() == 1
    assert District.objects.count() == 0
    assert get_user_model().objects.count() == 0


@pytest.mark.django_db
def test_if_empty_loads_on_an_empty_database():
    load_demo("--if-empty")
    assert City.objects.filter(slug="chiang-mai").exists()


@pytest.mark.django_db
def test_demo_population_never_overwrites_official_figures():
    load_demo()
    Population.objects.filter(district__code="500101").update(is_demo=False, count=7)
    load_demo()
    assert set(Population.objects.filter(district__code="500101").values_list("count", flat=True)) == {7}


@pytest.mark.django_db
def test_demo_users_roles_and_verified_addresses():
    load_demo()
    User = get_user_model()
    admin = User.objects.get(email=demo.DEMO_ADMIN_EMAIL)
    resident = User.objects.get(email=demo.DEMO_RESIDENT_EMAIL)
    assert admin.is_city_admin
    assert admin.groups.filter(name=CITY_ADMIN_GROUP).exists()
    assert not resident.is_city_admin
    for user in (admin, resident):
        address = EmailAddress.objects.get(user=user)
        assert (address.email, address.verified, address.primary) == (user.email, True, True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "password"),
    [(demo.DEMO_ADMIN_EMAIL, "demo-admin-2569"), (demo.DEMO_RESIDENT_EMAIL, "demo-resident-2569")],
)
def test_demo_users_can_sign_in_through_the_login_page(client, email, password):
    load_demo()

    response = client.post("/accounts/login/", {"login": email, "password": password})

    assert response.status_code == 302
    assert response.url == "/"  # not the "verify your e-mail address" page
    assert client.session["_auth_user_id"] == str(get_user_model().objects.get(email=email).pk)


@pytest.mark.django_db
def test_wrong_demo_password_is_refused(client):
    load_demo()
    response = client.post("/accounts/login/", {"login": demo.DEMO_ADMIN_EMAIL, "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_demo_passwords_come_from_the_environment(client, monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "another-secret-2569")
    output = load_demo()
    assert "another-secret-2569" in output
    assert client.login(email=demo.DEMO_ADMIN_EMAIL, password="another-secret-2569")


@pytest.mark.django_db
def test_city_current_returns_the_demo_city(settings):
    settings.CITY_SLUG = "chiang-mai"
    load_demo()
    city_current_forget()
    assert city_current().slug == "chiang-mai"


@pytest.mark.django_db
def test_load_demo_calls_each_app_demo_hook_in_order():
    from learningcity.city.management.commands.load_demo import demo_hooks

    hooks = demo_hooks()
    labels = [label for label, _hook in hooks]
    assert dict(hooks)["city"] is demo.load_demo_data
    # higher layers (which need the demo city) load after the city
    for higher in ("programmes", "participants", "dashboards", "web"):
        if higher in labels:
            assert labels.index("city") < labels.index(higher)


@pytest.mark.django_db
def test_admin_pages_list_city_data(admin_client):
    load_demo()
    for url in ("/admin/city/city/", "/admin/city/district/?q=500101", "/admin/city/population/?is_demo__exact=1"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    response = admin_client.get("/en/admin/city/population/?year=2025&sex=female")
    assert "DEMO" in response.content.decode()
    response = admin_client.get("/admin/city/district/?q=" + "<script>'; DROP TABLE x; --😀")
    assert response.status_code == 200
