"""The live preview renders the catalogue's own card (programmes/_programme_card.html), so
staff see exactly what residents will see, also for a programme not saved yet."""

import re

import pytest
from django.utils import timezone

from programmes import services
from programmes.models import Programme
from tests.factories import CourseFactory, VenueFactory
from tests.workspace.conftest import en, th

pytestmark = pytest.mark.django_db


def _card(html: str) -> str:
    match = re.search(r'<article class="card programme-card">.*?</article>', html, re.S)
    assert match, html
    return match.group(0)


def _unlinked(card: str) -> str:
    return re.sub(r"</?a\b[^>]*>", "", card)


def _preview(client, ws, data, programme=None, **headers):
    url = th("staff:programme-preview", [ws.a.slug])
    if programme is not None:
        url += f"?programme={programme}"
    return client.post(url, data, headers={"HX-Request": "true", **headers})


def test_unsaved_programme_shows_the_catalogue_card_without_link_or_dates(client, ws):
    client.force_login(ws.editor_a)
    response = _preview(client, ws, {"title_th": "<b>ทดลอง</b>", "age_min": "60", "fee": "150"})
    assert response.status_code == 200
    assert [t.name for t in response.templates][:2] == [
        "staff/_programme_preview.html",
        "programmes/_programme_card.html",
    ]
    card = _card(response.content.decode())
    assert "&lt;b&gt;ทดลอง&lt;/b&gt;" in card and "<b>" not in card
    assert "<a " not in card  # nothing to link to yet
    assert "ห้องสมุด A" in card  # the provider
    assert "ยังไม่กำหนดวัน" in card and "จะแจ้งภายหลัง" in card  # "No dates yet", "To be announced"
    assert not Programme.objects.filter(title_th__contains="ทดลอง").exists()


def test_an_empty_title_shows_a_placeholder(client, ws):
    client.force_login(ws.editor_a)
    card = _card(_preview(client, ws, {"title_th": ""}).content.decode())
    assert '<h3 class="card__title">(ยังไม่มีชื่อ)</h3>' in card  # "(no title yet)"


def test_preview_of_a_saved_programme_matches_the_catalogue_card(client, ws):
    """Publish A's programme with a course at the shared venue: the preview (with the same,
    unchanged input) is the catalogue's card but for the link."""
    Programme.objects.filter(pk=ws.programme.pk).update(status="published", published_at=timezone.now())
    services.programme_refresh_schedule(programme_id=ws.programme.pk)
    data = {"title_th": ws.programme.title_th, "title_en": ws.programme.title_en, "age_min": "0", "fee": "0"}
    Programme.objects.filter(pk=ws.programme.pk).update(age_min=0, age_max=None, fee=0)
    client.force_login(ws.editor_a)
    catalogue = client.get(en("programmes:catalogue")).content.decode()
    catalogue_cards = re.findall(r'<article class="card programme-card">.*?</article>', catalogue, re.S)
    expected = next(c for c in catalogue_cards if "Programme A" in c)
    preview = _card(
        client.post(
            en("staff:programme-preview", [ws.a.slug]) + f"?programme={ws.programme.pk}",
            data,
            headers={"HX-Request": "true"},
        ).content.decode()
    )
    assert "Hall A" in preview  # the next course's venue, as residents see it
    assert _unlinked(preview) == _unlinked(expected)


def test_another_providers_programme_id_is_ignored(client, ws):
    b_course = CourseFactory(programme=ws.b_programme, venue=VenueFactory(city=ws.city, provider=ws.b, name_th="ลับ B"))
    services.programme_refresh_schedule(programme_id=ws.b_programme.pk)
    assert Programme.objects.get(pk=ws.b_programme.pk).next_course == b_course
    client.force_login(ws.editor_a)
    for raw in (str(ws.b_programme.pk), "<script>", "9" * 30, "-1"):
        response = _preview(client, ws, {"title_th": "ก"}, programme=raw)
        assert response.status_code == 200
        assert "ลับ B" not in response.content.decode()


def test_preview_query_count(client, ws, django_assert_max_num_queries):
    client.force_login(ws.editor_a)
    with django_assert_max_num_queries(10):
        response = _preview(client, ws, {"title_th": "ก"}, programme=ws.programme.pk)
    assert response.status_code == 200


def test_the_edit_page_shows_the_same_card(client, ws):
    client.force_login(ws.editor_a)
    html = client.get(th("staff:programme-edit", [ws.a.slug, ws.programme.pk])).content.decode()
    preview_region = html.split('id="programme-preview"', 1)[1]
    assert '<article class="card programme-card">' in preview_region
    assert f"?programme={ws.programme.pk}" in html  # the htmx preview keeps the saved next course
