"""City administration in the workspace: providers, shared venues, districts and boundaries,
population figures. Only city administrators; every change through a service, audited; bad
files refused with a message (400) and nothing changed."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve
from django.utils import translation

from learningcity.audit.models import AuditEntry
from learningcity.city.models import City, District, Population
from learningcity.city.services import districts_load_from_geothai
from programmes.models import Provider, ProviderMembership, Venue
from programmes.staff import forms as staff_forms
from programmes.staff import views as staff_views
from tests.factories import ProviderFactory, VenueFactory
from tests.workspace.conftest import en, th

pytestmark = pytest.mark.django_db

SQUARE = [[[98.98, 18.78], [98.99, 18.78], [98.99, 18.79], [98.98, 18.79], [98.98, 18.78]]]
HEADER = "district_code,year,sex,age_from,age_to,count\n"
GOOD_CSV = HEADER + "500101,2025,female,0,4,100\n500101,2025,male,0,4,110\n500102,2025,หญิง,0,,50\n"

CITY_URLS = [
    "staff:city-providers",
    "staff:city-provider-create",
    "staff:city-venues",
    "staff:city-venue-create",
    "staff:city-districts",
    "staff:city-population",
]


@pytest.fixture
def city_ws(ws):
    districts_load_from_geothai(city=ws.city, province_code="50", district_code="5001")
    return ws


def _th(text: str) -> str:
    with translation.override("th"):
        return translation.gettext(text)


def upload(name: str, content: bytes, content_type="application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def geojson(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def feature(code, geometry=None):
    return {
        "type": "Feature",
        "properties": {"code": code},
        "geometry": geometry or {"type": "Polygon", "coordinates": SQUARE},
    }


def provider_data(ws, **extra):
    return {
        "city": ws.city.pk,
        "name_th": "ศูนย์การเรียนรู้ชุมชนวัดเกต",
        "name_en": "Wat Ket Community Learning Centre",
        "slug": "wat-ket",
        "kind": "community_centre",
        "description_th": "<p>ชุมชนริมน้ำ</p>",
        "description_en": "",
        "contact_name": "คุณสมศรี",
        "website": "https://watket.example.org",
        "phone": "053 000 000",
        "email": "info@watket.example.org",
        "is_active": "on",
        "manager_email": "",
        **extra,
    }


def edit_data(provider, **extra):
    data = {
        field: getattr(provider, field)
        for field in staff_forms.ProviderForm.base_fields
        if field not in ("is_active",) and getattr(provider, field, None) is not None
    }
    if provider.is_active:
        data["is_active"] = "on"
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def snapshot():
    return (
        list(Provider.objects.order_by("pk").values()),
        list(Venue.objects.order_by("pk").values()),
        list(District.objects.order_by("pk").values()),
        list(Population.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


# --- Who may -------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, city_ws):
    for name in CITY_URLS:
        for method in ("get", "post"):
            response = getattr(client, method)(th(name))
            assert response.status_code == 302, (name, method)
            assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("visitor", ["resident", "editor_a", "manager_a", "manager_b"])
def test_residents_and_provider_staff_get_403_and_change_nothing(client, city_ws, visitor):
    ws = city_ws
    client.force_login(getattr(ws, visitor))
    before = snapshot()
    for name in CITY_URLS:
        assert client.get(th(name)).status_code == 403, name
    for name, args in [("staff:city-provider-edit", [ws.a.pk]), ("staff:city-venue-edit", [ws.shared.pk])]:
        assert client.get(th(name, args)).status_code == 403, name
    posts = [
        (th("staff:city-provider-create"), provider_data(ws)),
        (th("staff:city-provider-edit", [ws.a.pk]), edit_data(ws.a, is_active="")),
        (th("staff:city-venue-create"), {"name_th": "ห้องใหม่"}),
        (th("staff:city-venue-edit", [ws.shared.pk]), {"name_th": "เปลี่ยนชื่อ"}),
        (th("staff:city-districts"), {"action": "load", "district_code": "5002", "level": "subdistrict"}),
        (th("staff:city-districts"), {"action": "boundaries", "file": upload("b.geojson", geojson(feature("500101")))}),
        (th("staff:city-population"), {"file": upload("p.csv", GOOD_CSV.encode())}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert snapshot() == before


def test_city_urls_do_not_shadow_a_provider_slugged_city():
    """A provider whose slug is "city" (made in the Django admin, say) keeps its pages."""
    assert resolve("/staff/city/venues/").func.__wrapped__ is staff_views.venues.__wrapped__
    assert resolve("/staff/city/venues/new/").url_name == "venue-create"
    assert resolve("/staff/city/venues/3/").url_name == "venue-edit"
    assert resolve("/staff/city/members/").url_name == "members"


def test_workspace_home_links_the_section_for_city_admins_only(client, city_ws):
    client.force_login(city_ws.admin)
    page = client.get(th("staff:home")).content.decode()
    for name in CITY_URLS:
        if not name.endswith("create"):
            assert f'href="{th(name)}"' in page, name
    client.force_login(city_ws.manager_a)
    page = client.get(th("staff:home")).content.decode()
    assert th("staff:city-providers") not in page


# --- Providers -----------------------------------------------------------------------------


def test_create_a_provider_with_its_first_manager(client, city_ws):
    ws = city_ws
    client.force_login(ws.admin)
    response = client.post(th("staff:city-provider-create"), provider_data(ws, manager_email="EDITOR-B@example.org"))
    provider = Provider.objects.get(slug="wat-ket")
    assert response.status_code == 302 and response["Location"] == th("staff:city-provider-edit", [provider.pk])
    assert provider.city == ws.city and provider.is_active and provider.kind == "community_centre"
    assert provider.website == "https://watket.example.org"
    membership = ProviderMembership.objects.get(provider=provider)
    assert membership.user == ws.editor_b and membership.role == "manager"
    created = AuditEntry.objects.get(action="create", content_type__model="provider")
    assert created.actor == ws.admin and created.provider_id == provider.pk
    assert created.changes["slug"] == [None, "wat-ket"] and created.changes["is_active"] == [None, True]
    member_entry = AuditEntry.objects.get(action="create", content_type__model="providermembership")
    assert member_entry.changes == {"role": [None, "manager"]} and member_entry.provider_id == provider.pk
    # The new manager can now work in the provider's workspace.
    client.force_login(ws.editor_b)
    assert client.get(th("staff:members", [provider.slug])).status_code == 200


def test_create_without_slug_makes_one_and_avoids_reserved_slugs(client, city_ws):
    ws = city_ws
    client.force_login(ws.admin)
    client.post(th("staff:city-provider-create"), provider_data(ws, slug="", name_en="City"))
    provider = Provider.objects.get(name_en="City")
    assert provider.slug not in ("city", "") and provider.slug.startswith("city-")
    client.post(th("staff:city-provider-create"), provider_data(ws, slug="", name_en="", name_th="ห้องสมุดชุมชน"))
    assert Provider.objects.filter(name_th="ห้องสมุดชุมชน", slug__startswith="provider").exists()


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("library-a", "Another provider of this city already uses this slug."),
        ("city", "This slug is reserved: choose another."),
        ("bad slug!", None),
        ("ห้องสมุด", None),
        ("x" * 81, None),
    ],
)
def test_bad_or_taken_slugs_are_refused(client, city_ws, slug, message):
    ws = city_ws
    client.force_login(ws.admin)
    count = Provider.objects.count()
    response = client.post(th("staff:city-provider-create"), provider_data(ws, slug=slug))
    assert response.status_code == 200
    assert "slug" in response.context["form"].errors
    if message:
        assert _th(message) in response.content.decode()
    assert Provider.objects.count() == count
    assert not AuditEntry.objects.exists()


def test_the_same_slug_in_another_city_is_fine(client, city_ws):
    ws = city_ws
    other = City.objects.create(slug="lamphun", name_th="ลำพูน", province_code="51")
    client.force_login(ws.admin)
    response = client.post(th("staff:city-provider-create"), provider_data(ws, city=other.pk, slug="library-a"))
    assert response.status_code == 302
    assert Provider.objects.filter(slug="library-a").count() == 2


def test_unknown_manager_email_creates_nothing(client, city_ws):
    ws = city_ws
    client.force_login(ws.admin)
    response = client.post(th("staff:city-provider-create"), provider_data(ws, manager_email="nobody@example.org"))
    assert response.status_code == 200 and "manager_email" in response.context["form"].errors
    assert not Provider.objects.filter(slug="wat-ket").exists()


def test_malformed_input_is_a_form_error_not_a_crash(client, city_ws):
    ws = city_ws
    client.force_login(ws.admin)
    for extra in [
        {"kind": "spaceship"},
        {"city": "999999"},
        {"city": "x' OR 1=1"},
        {"website": "javascript:alert(1)"},
        {"email": "not-an-email"},
        {"name_th": ""},
        {"name_th": "ก" * 201},
        {"description_th": "x" * 5001},
    ]:
        response = client.post(th("staff:city-provider-create"), provider_data(ws, **extra))
        assert response.status_code == 200, extra
        assert response.context["form"].errors, extra
    assert not Provider.objects.filter(slug="wat-ket").exists()


def test_html_in_names_is_shown_escaped(client, city_ws):
    ws = city_ws
    client.force_login(ws.admin)
    hostile = '<script>alert("x")</script><b>Bold</b>'
    response = client.post(
        th("staff:city-provider-create"),
        provider_data(ws, name_th=hostile, name_en=hostile, description_th='<p onclick="x()">ok</p><script>y</script>'),
    )
    assert response.status_code == 302
    provider = Provider.objects.get(slug="wat-ket")
    assert "<script>" not in provider.description_th and "onclick" not in provider.description_th
    for url in (th("staff:city-providers"), th("staff:city-provider-edit", [provider.pk]), th("staff:home")):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "<b>Bold</b>" not in page, url
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page, url


def test_edit_and_deactivate_a_provider_hides_its_programmes(client, city_ws):
    ws = city_ws
    catalogue = th("programmes:catalogue")
    assert "หลักสูตร B" in client.get(catalogue).content.decode()
    client.force_login(ws.admin)
    url = th("staff:city-provider-edit", [ws.b.pk])
    response = client.post(url, edit_data(ws.b, name_en="School B (renamed)", is_active=""))
    assert response.status_code == 302
    ws.b.refresh_from_db()
    assert not ws.b.is_active and ws.b.name_en == "School B (renamed)"
    entry = AuditEntry.objects.get(action="update", content_type__model="provider")
    assert entry.changes == {"is_active": [True, False], "name_en": ["School B", "School B (renamed)"]}
    assert entry.provider_id == ws.b.pk and entry.actor == ws.admin
    assert (
        _th(
            "This provider is inactive: its programmes are not in the catalogue and its staff cannot use the workspace."
        )
        in client.get(url).content.decode()
    )
    client.logout()
    assert "หลักสูตร B" not in client.get(catalogue).content.decode()
    # Its staff lose the workspace (they are staff of no active provider).
    client.force_login(ws.editor_b)
    assert client.get(th("staff:home")).status_code == 403
    # Saving again without a change writes no audit entry.
    client.force_login(ws.admin)
    ws.b.refresh_from_db()
    client.post(url, edit_data(ws.b))
    assert AuditEntry.objects.filter(action="update", content_type__model="provider").count() == 1


def test_changing_the_slug_to_a_taken_one_is_refused(client, city_ws):
    ws = city_ws
    client.force_login(ws.admin)
    response = client.post(th("staff:city-provider-edit", [ws.b.pk]), edit_data(ws.b, slug="library-a", phone="1"))
    assert response.status_code == 200
    assert _th("Another provider of this city already uses this slug.") in response.content.decode()
    ws.b.refresh_from_db()
    assert ws.b.slug == "school-b" and ws.b.phone == ""
    response = client.post(th("staff:city-provider-edit", [ws.b.pk]), edit_data(ws.b, slug="school-b-2"))
    assert response.status_code == 302
    ws.b.refresh_from_db()
    assert ws.b.slug == "school-b-2"
    assert AuditEntry.objects.get(content_type__model="provider").changes == {"slug": ["school-b", "school-b-2"]}


def test_edit_of_an_unknown_provider_is_404(client, city_ws):
    client.force_login(city_ws.admin)
    assert client.get(th("staff:city-provider-edit", [999999])).status_code == 404


def test_provider_list_in_bounded_queries(client, city_ws, django_assert_max_num_queries):
    ws = city_ws
    for n in range(15):
        provider = ProviderFactory(city=ws.city)
        ProviderMembership.objects.create(provider=provider, user=ws.resident if n == 0 else ws.admin, role="editor")
    client.force_login(ws.admin)
    with django_assert_max_num_queries(7):
        response = client.get(en("staff:city-providers"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Library A" in page and "School B" in page
    library_row = next(p for p in response.context["providers"] if p.pk == ws.a.pk)
    assert library_row.programme_count == 1 and library_row.staff_count == 2


# --- Shared venues -------------------------------------------------------------------------


def venue_data(**extra):
    return {
        "name_th": "ลานกิจกรรมข่วงประตูท่าแพ",
        "name_en": "Tha Phae Gate Square",
        "address_th": "ถนนท่าแพ",
        "latitude": "18.787",
        "longitude": "98.993",
        "accessibility": ["step_free", "parking"],
        "is_active": "on",
        **extra,
    }


def test_shared_venues_list_create_edit_with_audit(client, city_ws):
    ws = city_ws
    client.force_login(ws.admin)
    page = client.get(en("staff:city-venues")).content.decode()
    assert "City Hall" in page and "Hall A" not in page  # the provider's own venue is not shared
    district = District.objects.get(city=ws.city, code="500101")
    response = client.post(th("staff:city-venue-create"), venue_data(district=district.pk))
    assert response.status_code == 302 and response["Location"] == th("staff:city-venues")
    venue = Venue.objects.get(name_en="Tha Phae Gate Square")
    assert venue.provider is None and venue.city == ws.city and venue.district == district
    assert venue.accessibility == ["parking", "step_free"]
    entry = AuditEntry.objects.get(action="create", content_type__model="venue")
    assert entry.provider_id is None and entry.actor == ws.admin and entry.changes["name_th"][1] == venue.name_th
    response = client.post(th("staff:city-venue-edit", [venue.pk]), venue_data(district=district.pk, is_active=""))
    assert response.status_code == 302
    venue.refresh_from_db()
    assert not venue.is_active
    assert AuditEntry.objects.get(action="update", content_type__model="venue").changes == {"is_active": [True, False]}
    # Every provider of the city may now schedule there... once it is active again.
    client.post(th("staff:city-venue-edit", [venue.pk]), venue_data(district=district.pk))
    client.force_login(ws.editor_b)
    form_page = client.get(th("staff:course-create", [ws.b.slug, ws.b_programme.pk])).content.decode()
    assert "ลานกิจกรรมข่วงประตูท่าแพ" in form_page


def test_shared_venue_edit_does_not_reach_a_providers_venue(client, city_ws):
    client.force_login(city_ws.admin)
    assert client.get(th("staff:city-venue-edit", [city_ws.venue.pk])).status_code == 404
    response = client.post(th("staff:city-venue-edit", [city_ws.venue.pk]), venue_data())
    assert response.status_code == 404
    city_ws.venue.refresh_from_db()
    assert city_ws.venue.name_en == "Hall A"


def test_shared_venue_hostile_and_malformed_input(client, city_ws):
    ws = city_ws
    client.force_login(ws.admin)
    other_city = City.objects.create(slug="lamphun", name_th="ลำพูน", province_code="51")
    foreign = District.objects.create(city=other_city, code="510101", name_th="ในเมือง")
    for bad in [
        {"latitude": "91", "longitude": "98"},
        {"latitude": "18.7", "longitude": ""},
        {"district": str(foreign.pk)},
        {"accessibility": ["teleporter"]},
        {"name_th": ""},
    ]:
        response = client.post(th("staff:city-venue-create"), venue_data(**bad))
        assert response.status_code == 200 and response.context["form"].errors, bad
    assert not Venue.objects.filter(name_en="Tha Phae Gate Square").exists()
    client.post(th("staff:city-venue-create"), venue_data(name_th="<img src=x onerror=alert(1)>"))
    page = client.get(th("staff:city-venues")).content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_shared_venue_list_in_bounded_queries(client, city_ws, django_assert_max_num_queries):
    ws = city_ws
    districts = list(District.objects.filter(city=ws.city))
    for n in range(15):
        VenueFactory(city=ws.city, provider=None, district=districts[n])
    client.force_login(ws.admin)
    with django_assert_max_num_queries(7):
        response = client.get(th("staff:city-venues"))
    assert response.status_code == 200 and len(response.context["venues"]) == 16


# --- Districts and boundaries --------------------------------------------------------------


def test_districts_list_with_population_and_boundaries(client, city_ws, django_assert_max_num_queries):
    ws = city_ws
    client.force_login(ws.admin)
    client.post(th("staff:city-population"), {"file": upload("p.csv", GOOD_CSV.encode())})
    District.objects.filter(city=ws.city, code="500102").update(boundary={"type": "Polygon", "coordinates": SQUARE})
    with django_assert_max_num_queries(7):
        response = client.get(en("staff:city-districts"))
    assert response.status_code == 200
    rows = {d.code: d for d in response.context["districts"]}
    assert len(rows) == 16
    assert rows["500101"].residents == 210 and rows["500102"].residents == 50 and rows["500103"].residents is None
    assert rows["500102"].has_boundary and not rows["500101"].has_boundary
    assert "16 districts, 1 with a boundary." in response.content.decode()


def test_upload_boundaries_attaches_them_with_audit(client, city_ws):
    ws = city_ws
    client.force_login(ws.admin)
    content = geojson(feature("500101"), feature("500102"), feature("100101"))
    response = client.post(th("staff:city-districts"), {"action": "boundaries", "file": upload("t.geojson", content)})
    assert response.status_code == 302
    assert District.objects.get(code="500101").boundary == {"type": "Polygon", "coordinates": SQUARE}
    assert District.objects.filter(city=ws.city, boundary__isnull=False).count() == 2
    entry = AuditEntry.objects.get(action="city.boundaries")
    assert entry.actor == ws.admin and entry.object_id == str(ws.city.pk)
    assert entry.changes == {"districts_with_boundary": [0, 2]}
    assert entry.note == "t.geojson: 2 attached, 1 ignored"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "The boundary file was refused"),
        (b"{not json", "The boundary file is not valid JSON"),
        (b"[" * 100_000, "The boundary file is not valid JSON"),
        (json.dumps({"type": "Feature"}).encode(), "The boundary file must be a GeoJSON FeatureCollection."),
        (geojson(feature("500101", {"type": "Point", "coordinates": [98.9, 18.7]})), "The boundary file was refused"),
        (geojson(feature("500101"), feature("500102", {"type": "<b>x</b>", "coordinates": []})), "<b>x</b>"),
    ],
)
def test_bad_boundary_files_are_refused_and_change_nothing(client, city_ws, content, message):
    ws = city_ws
    District.objects.filter(code="500103").update(boundary={"type": "Polygon", "coordinates": SQUARE})
    client.force_login(ws.admin)
    before = snapshot()
    with translation.override("en"):
        response = client.post(
            en("staff:city-districts"), {"action": "boundaries", "file": upload("bad.geojson", content)}
        )
    assert response.status_code == 400
    page = response.content.decode()
    if message == "<b>x</b>":
        assert "&lt;b&gt;x&lt;/b&gt;" in page
    elif "refused" not in message:
        assert message in page
    assert "The boundary file" in page
    assert "<script>alert" not in page and "<b>x</b>" not in page
    assert snapshot() == before


def test_empty_missing_and_huge_boundary_files(client, city_ws, monkeypatch):
    ws = city_ws
    client.force_login(ws.admin)
    before = snapshot()
    response = client.post(th("staff:city-districts"), {"action": "boundaries", "file": upload("e.geojson", b"")})
    assert response.status_code == 400
    assert _th("The submitted file is empty.") in response.content.decode()
    response = client.post(th("staff:city-districts"), {"action": "boundaries"})
    assert response.status_code == 400 and "file" in response.context["boundary_form"].errors
    huge = b" " * (staff_forms.BOUNDARY_MAX_BYTES + 1)
    response = client.post(th("staff:city-districts"), {"action": "boundaries", "file": upload("h.geojson", huge)})
    assert response.status_code == 400
    assert _th("The file is too large: at most 20 MB.") in response.content.decode()
    assert snapshot() == before


def test_load_districts_from_geothai(client, city_ws):
    ws = city_ws
    client.force_login(ws.admin)
    response = client.post(
        th("staff:city-districts"), {"action": "load", "district_code": "5002", "level": "subdistrict"}
    )
    assert response.status_code == 302
    added = District.objects.filter(city=ws.city, parent_code="5002")
    assert added.exists()
    entry = AuditEntry.objects.get(action="city.districts_load")
    assert entry.changes == {"districts": [16, 16 + added.count()]}
    # Again: nothing new, nothing audited.
    client.post(th("staff:city-districts"), {"action": "load", "district_code": "5002", "level": "subdistrict"})
    assert AuditEntry.objects.filter(action="city.districts_load").count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"district_code": "1001", "level": "subdistrict"},  # Bangkok's, not this province's
        {"district_code": "50x1", "level": "subdistrict"},
        {"district_code": "5001", "level": "district"},
        {"district_code": "", "level": "planet"},
    ],
)
def test_load_districts_bad_input_is_400_and_changes_nothing(client, city_ws, data):
    client.force_login(city_ws.admin)
    before = snapshot()
    response = client.post(th("staff:city-districts"), {"action": "load", **data})
    assert response.status_code == 400
    assert response.context["load_form"].errors
    assert snapshot() == before


# --- Population ----------------------------------------------------------------------------


def test_population_import_with_result_and_audit(client, city_ws, django_assert_max_num_queries):
    ws = city_ws
    client.force_login(ws.admin)
    response = client.post(en("staff:city-population"), {"file": upload("pop-2025.csv", GOOD_CSV.encode())})
    assert response.status_code == 302
    assert Population.objects.filter(district__city=ws.city).count() == 3
    ws.city.refresh_from_db()
    assert ws.city.population_year == 2025
    entry = AuditEntry.objects.get(action="city.population_import")
    assert entry.changes == {"figures": [0, 3], "population_year": [None, 2025]}
    assert entry.note == "pop-2025.csv: years 2025; 3 new, 0 updated, 0 deleted"
    with django_assert_max_num_queries(7):
        page = client.get(en("staff:city-population"))
    text = page.content.decode()
    assert "Imported 3 figures for 2025: 3 new, 0 updated, 0 deleted." in text
    assert [(r["year"], r["residents"], r["districts"], r["figures"]) for r in page.context["years"]] == [
        (2025, 260, 2, 3)
    ]
    with translation.override("th"):
        assert "2568" in client.get(th("staff:city-population")).content.decode()  # B.E. in Thai
    # Replace with single-year figures of the same year.
    data = HEADER + "500101,2025,female,0,0,20\n"
    response = client.post(th("staff:city-population"), {"file": upload("p.csv", data.encode()), "replace": "on"})
    assert response.status_code == 302
    assert list(Population.objects.values_list("count", flat=True)) == [20]
    assert AuditEntry.objects.filter(action="city.population_import").latest("pk").changes == {"figures": [3, 1]}


def test_population_year_column_may_be_left_out_with_a_year(client, city_ws):
    client.force_login(city_ws.admin)
    data = "district_code,sex,age_from,age_to,count\n500101,F,0,0,5\n"
    response = client.post(th("staff:city-population"), {"file": upload("p.csv", data.encode()), "year": "2024"})
    assert response.status_code == 302
    assert Population.objects.get().year == 2024


def test_bad_population_file_lists_errors_and_changes_nothing(client, city_ws):
    ws = city_ws
    client.force_login(ws.admin)
    client.post(th("staff:city-population"), {"file": upload("p.csv", GOOD_CSV.encode())})
    before = snapshot()
    bad = (
        HEADER
        + "500101,2025,female,0,4,999\n"  # 2: good, but the file is refused
        + "<script>alert('x')</script>,2025,female,5,9,1\n"  # 3
        + "500101,2568,male,5,9,1\n"  # 4: B.E. year
        + "500101,2025,other,5,9,1\n"  # 5
    )
    with translation.override("en"):
        response = client.post(en("staff:city-population"), {"file": upload("bad.csv", bad.encode())})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The file was refused; nothing was changed. 3 errors:" in page
    assert "Line 3:" in page and "Line 4:" in page and "Line 5:" in page and "Line 2:" not in page
    assert "looks like a Buddhist Era year" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert snapshot() == before


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\n\n",
        HEADER.encode(),
        "\ufeffdistrict_code,year,sex,age_from,age_to,count\n".encode("utf-16"),
        b"\x00\x01\x02\xff\xfe\xfd" * 100,
        b"%PDF-1.4 binary garbage \x89PNG\r\n",
    ],
)
def test_empty_and_malformed_population_files(client, city_ws, content):
    client.force_login(city_ws.admin)
    before = snapshot()
    response = client.post(th("staff:city-population"), {"file": upload("p.csv", content)})
    assert response.status_code == 400
    assert response.context["form"].errors or not response.context["result"].ok
    assert snapshot() == before


def test_many_errors_are_capped_on_the_page(client, city_ws):
    client.force_login(city_ws.admin)
    bad = HEADER + "".join(f"999999,2025,female,{n},{n},1\n" for n in range(130)) * 2
    with translation.override("en"):
        response = client.post(en("staff:city-population"), {"file": upload("bad.csv", bad.encode())})
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count("Line ") == 200
    assert "… and 60 more errors." in page


def test_huge_population_file_is_refused_before_reading(client, city_ws):
    client.force_login(city_ws.admin)
    huge = (HEADER + "500101,2025,female,0,0,1\n" * 300_000).encode()
    assert len(huge) > staff_forms.POPULATION_MAX_BYTES
    response = client.post(th("staff:city-population"), {"file": upload("big.csv", huge)})
    assert response.status_code == 400
    assert _th("The file is too large: at most 5 MB.") in response.content.decode()
    assert not Population.objects.exists() and not AuditEntry.objects.exists()


def test_population_page_without_a_city(client, db):
    from learningcity.accounts.roles import city_admin_group
    from tests.factories import UserFactory

    admin = UserFactory()
    admin.groups.add(city_admin_group())
    client.force_login(admin)
    for name in ("staff:city-population", "staff:city-districts"):
        response = client.get(th(name))
        assert response.status_code == 200
        assert _th("No city yet.") in response.content.decode()
    assert client.post(th("staff:city-population"), {"file": upload("p.csv", b"x")}).status_code == 200
    assert not AuditEntry.objects.exists()


def test_city_switcher_chooses_the_city(client, city_ws):
    ws = city_ws
    other = City.objects.create(slug="lamphun", name_th="ลำพูน", name_en="Lamphun", province_code="51")
    client.force_login(ws.admin)
    response = client.post(
        th("staff:city-districts") + f"?city={other.pk}",
        {"action": "load", "district_code": "5101", "level": "subdistrict"},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"?city={other.pk}")
    assert District.objects.filter(city=other).exists()
    assert District.objects.filter(city=ws.city).count() == 16
    page = client.get(response["Location"])
    assert page.context["city"] == other and 'id="city-switcher"' in page.content.decode()
    # A nonsense city id falls back to the deployment's city.
    assert client.get(th("staff:city-districts") + "?city=abc").context["city"] == ws.city


def test_upload_streams_are_read_by_the_services(city_ws):
    """The services take any binary file object (the views pass Django's UploadedFile)."""
    from programmes.staff.services import staff_population_import

    result = staff_population_import(actor=city_ws.admin, city=city_ws.city, file=io.BytesIO(GOOD_CSV.encode()))
    assert result.ok and result.rows == 3
