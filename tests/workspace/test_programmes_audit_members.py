"""Programme editing (hostile input, images, status workflow), the audit log, staff
memberships, and bounded queries on the list pages."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from learningcity.audit.models import AuditEntry
from programmes.models import Programme, ProviderMembership
from tests.factories import ProgrammeFactory, UserFactory
from tests.workspace.conftest import en, th

pytestmark = pytest.mark.django_db


def _th(text: str) -> str:
    with translation.override("th"):
        return translation.gettext(text)


def programme_data(ws, **extra):
    return {
        "title_th": "ถ่ายภาพด้วยมือถือ",
        "title_en": "Phone photography",
        "summary_th": "สรุป",
        "description_th": "<p>เนื้อหา</p>",
        "categories": [ws.category.pk],
        "age_min": "15",
        "age_max": "",
        "language": "th",
        "format": "in_person",
        "fee": "0",
        **extra,
    }


def png_bytes(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return buffer.getvalue()


def test_create_edit_publish_archive_with_audit(client, ws):
    client.force_login(ws.editor_a)
    data = programme_data(ws, image=SimpleUploadedFile("p.png", png_bytes(), content_type="image/png"))
    response = client.post(th("staff:programme-create", [ws.a.slug]), data)
    assert response.status_code == 302
    programme = Programme.objects.get(title_en="Phone photography")
    assert programme.status == "draft" and programme.provider == ws.a and programme.image.name
    edit = th("staff:programme-edit", [ws.a.slug, programme.pk])
    response = client.post(edit, programme_data(ws, title_en="Mobile photography", fee="150"))
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="update", object_id=str(programme.pk))
    assert entry.actor == ws.editor_a and entry.provider_id == ws.a.pk
    assert entry.changes == {"fee": ["0.00", "150.00"], "title_en": ["Phone photography", "Mobile photography"]}
    status = th("staff:programme-status", [ws.a.slug, programme.pk])
    client.post(status, {"action": "publish"})
    programme.refresh_from_db()
    assert programme.status == "published"
    assert client.get(th("programmes:programme-detail", [programme.slug])).status_code == 200
    client.post(status, {"action": "archive"})
    client.post(status, {"action": "draft"})
    programme.refresh_from_db()
    assert programme.status == "draft"
    actions = list(
        AuditEntry.objects.filter(object_id=str(programme.pk)).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["create", "update", "publish", "archive", "draft"]
    assert AuditEntry.objects.get(action="publish").changes == {"status": ["draft", "published"]}


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"title_th": "ก" * 10_000}, "title_th"),
        ({"title_th": ""}, "title_th"),
        ({"age_min": "50", "age_max": "20"}, None),
        ({"fee": "-5"}, None),
        ({"fee": "1; DROP TABLE programmes_programme;--"}, "fee"),
        ({"age_min": "' OR 1=1 --"}, "age_min"),
        ({"image": SimpleUploadedFile("fake.png", b"not an image at all", content_type="image/png")}, "image"),
        (
            {"image": SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (3 * 1024 * 1024), content_type="image/png")},
            "image",
        ),
        (
            {"image": SimpleUploadedFile("a.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", content_type="image/gif")},
            "image",
        ),
    ],
)
def test_hostile_programme_input_gives_translated_errors_and_saves_nothing(client, ws, extra, field):
    client.force_login(ws.editor_a)
    before = (Programme.objects.count(), AuditEntry.objects.count())
    response = client.post(en("staff:programme-create", [ws.a.slug]), programme_data(ws, **extra))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors
    if field:
        assert field in form.errors
    assert (Programme.objects.count(), AuditEntry.objects.count()) == before
    # The same in Thai: a Thai message.
    response = client.post(th("staff:programme-create", [ws.a.slug]), programme_data(ws, title_th=""))
    assert _th("This field is required.") in response.content.decode()


def test_script_in_titles_and_descriptions_is_sanitised_and_escaped(client, ws):
    client.force_login(ws.editor_a)
    data = programme_data(
        ws,
        title_th="<script>alert(1)</script> เรียนรู้ 🎨",
        description_th='<p onclick="x()">ดี</p><script>alert(2)</script><img src=x onerror=alert(3)>',
    )
    assert client.post(th("staff:programme-create", [ws.a.slug]), data).status_code == 302
    programme = Programme.objects.get(title_th__contains="🎨")
    assert "<script" not in programme.description_th and "onclick" not in programme.description_th
    client.post(th("staff:programme-status", [ws.a.slug, programme.pk]), {"action": "publish"})
    for url in (
        th("programmes:programme-detail", [programme.slug]),
        th("staff:programme-edit", [ws.a.slug, programme.pk]),
    ):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html and "alert(2)" not in html and "onerror" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_preview_renders_the_card_from_unsaved_input(client, ws):
    client.force_login(ws.editor_a)
    response = client.post(
        th("staff:programme-preview", [ws.a.slug]),
        {"title_th": "<b>ตัวอย่าง</b>", "age_min": "60", "fee": "0"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "&lt;b&gt;ตัวอย่าง&lt;/b&gt;" in html and "<html" not in html
    assert Programme.objects.filter(title_th__contains="ตัวอย่าง").count() == 0


def test_managers_see_only_their_providers_audit_entries(client, ws):
    client.force_login(ws.editor_a)
    client.post(th("staff:programme-status", [ws.a.slug, ws.programme.pk]), {"action": "publish"})
    client.force_login(ws.editor_b)
    client.post(th("staff:programme-status", [ws.b.slug, ws.b_programme.pk]), {"action": "archive"})
    client.force_login(ws.manager_a)
    entries = list(client.get(th("staff:audit", [ws.a.slug])).context["page_obj"])
    assert [e.provider_id for e in entries] == [ws.a.pk]
    filtered = client.get(th("staff:audit", [ws.a.slug]), {"user": "editor-b@example.org"}).context["page_obj"]
    assert list(filtered) == []
    assert client.get(th("staff:audit", [ws.a.slug]), {"date_from": "'; DROP--"}).status_code == 200
    client.force_login(ws.admin)
    assert len(list(client.get(th("staff:audit-all")).context["page_obj"])) == 2


def test_membership_rules_last_manager_stays(client, ws):
    client.force_login(ws.manager_a)
    members = th("staff:members", [ws.a.slug])
    newcomer = UserFactory(email="New.Person@Example.org")
    response = client.post(members, {"email": "new.person@example.org", "role": "editor"})
    assert response.status_code == 302
    assert ws.a.memberships.filter(user=newcomer, role="editor").exists()
    response = client.post(en("staff:members", [ws.a.slug]), {"email": "nobody@example.org", "role": "editor"})
    assert response.status_code == 200 and "sign up first" in response.content.decode()
    response = client.post(members, {"email": "<script>@x", "role": "owner"})
    assert response.status_code == 200 and set(response.context["form"].errors) == {"email", "role"}
    edit = th("staff:member-edit", [ws.a.slug, ws.m_manager_a.pk])
    client.post(edit, {"role": "editor"})
    client.post(edit, {"remove": "1"})
    ws.m_manager_a.refresh_from_db()
    assert ws.m_manager_a.role == "manager"  # the last manager can be neither demoted nor removed
    client.post(th("staff:member-edit", [ws.a.slug, ws.m_editor_a.pk]), {"role": "manager"})
    client.post(edit, {"remove": "1"})
    assert not ProviderMembership.objects.filter(pk=ws.m_manager_a.pk).exists()
    assert AuditEntry.objects.filter(action="delete", provider_id=ws.a.pk).exists()


def test_venue_create_and_hostile_coordinates(client, ws):
    client.force_login(ws.manager_a)
    url = th("staff:venue-create", [ws.a.slug])
    response = client.post(url, {"name_th": "ห้อง", "latitude": "95", "longitude": ""})
    assert response.status_code == 200 and "latitude" in response.context["form"].errors
    response = client.post(url, {"name_th": "ห้อง", "latitude": "18.7", "longitude": ""})
    assert response.status_code == 200 and "longitude" in response.context["form"].errors
    assert not ws.a.venues.filter(name_th="ห้อง").exists()
    response = client.post(
        url, {"name_th": "ห้องสมุดเด็ก 📚", "latitude": "18.79", "longitude": "98.98", "accessibility": ["step_free"]}
    )
    assert response.status_code == 302
    venue = ws.a.venues.get(name_th="ห้องสมุดเด็ก 📚")
    assert venue.accessibility == ["step_free"] and venue.city == ws.city


def test_list_pages_have_bounded_queries(client, ws, django_assert_max_num_queries):
    for _ in range(15):
        ProgrammeFactory(provider=ws.a)
    client.force_login(ws.admin)
    with django_assert_max_num_queries(14):
        assert client.get(th("staff:home")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(th("staff:provider-home", [ws.a.slug])).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(th("staff:course-detail", [ws.a.slug, ws.course.pk])).status_code == 200
