"""Optional first-publication review: with City.require_first_publication_review on, a
provider's first "publish" goes to a city administrator, who approves (published at once)
or sends it back with a reason (draft, reason shown to the provider's staff). Once one is
approved the provider publishes directly. Pending programmes never reach the catalogue."""

import pytest
from django.urls import reverse

from learningcity.audit.models import AuditEntry
from programmes import services
from programmes.models import Programme
from programmes.selectors import programme_get, programme_list_published
from tests.workspace.conftest import en, th

pytestmark = pytest.mark.django_db


@pytest.fixture
def review_on(ws):
    ws.city.require_first_publication_review = True
    ws.city.save(update_fields=["require_first_publication_review"])
    # B's programme is published (factory default): B already has an approved publication.
    return ws


def _publish(client, ws, programme=None, slug=None):
    programme = programme or ws.programme
    return client.post(th("staff:programme-status", [slug or ws.a.slug, programme.pk]), {"action": "publish"})


def _in_catalogue(programme) -> bool:
    return programme.pk in {p.pk for p in programme_list_published()}


def test_setting_off_by_default_publishes_directly(client, ws):
    assert ws.city.require_first_publication_review is False
    client.force_login(ws.editor_a)
    _publish(client, ws)
    ws.programme.refresh_from_db()
    assert ws.programme.status == "published"


def test_first_publication_is_submitted_then_approved_and_shown_at_once(client, review_on):
    ws = review_on
    client.force_login(ws.editor_a)
    page = client.get(en("staff:programme-edit", [ws.a.slug, ws.programme.pk])).content.decode()
    assert "Submit for review" in page
    response = _publish(client, ws)
    assert response.status_code == 302
    ws.programme.refresh_from_db()
    assert ws.programme.status == "pending_review" and ws.programme.submitted_at is not None
    assert ws.programme.published_at is None
    # Not in the catalogue, its detail page or search.
    assert not _in_catalogue(ws.programme)
    assert programme_get(slug=ws.programme.slug) is None
    assert client.get(th("programmes:programme-detail", [ws.programme.slug])).status_code == 404
    assert ws.programme.slug not in client.get(th("programmes:catalogue"), {"q": "หลักสูตร A"}).content.decode()
    entry = AuditEntry.objects.get(action="submit_review")
    assert entry.changes == {"status": ["draft", "pending_review"]} and entry.actor == ws.editor_a
    # The provider home says it waits for the city.
    home = client.get(en("staff:provider-home", [ws.a.slug])).content.decode()
    assert "Waiting for the city" in home

    # The city administrator sees it in the queue and approves it.
    client.force_login(ws.admin)
    queue = client.get(en("staff:review-queue"))
    assert queue.status_code == 200 and [p.pk for p in queue.context["programmes"]] == [ws.programme.pk]
    response = client.post(th("staff:review-decide", [ws.programme.pk]), {"decision": "approve"})
    assert response.status_code == 302 and response["Location"] == th("staff:review-queue")
    ws.programme.refresh_from_db()
    assert ws.programme.status == "published" and ws.programme.published_at is not None
    assert _in_catalogue(ws.programme)
    assert client.get(th("programmes:programme-detail", [ws.programme.slug])).status_code == 200
    entry = AuditEntry.objects.get(action="review.approve")
    assert entry.actor == ws.admin and entry.provider_id == ws.a.pk
    assert entry.changes == {"status": ["pending_review", "published"]}

    # Later publications of the same provider go straight to the catalogue.
    second = services.programme_create(provider=ws.a, title_th="หลักสูตรที่สอง")
    client.force_login(ws.editor_a)
    assert "Submit for review" not in client.get(en("staff:programme-edit", [ws.a.slug, second.pk])).content.decode()
    _publish(client, ws, second)
    second.refresh_from_db()
    assert second.status == "published"


def test_sent_back_with_a_reason_shown_to_the_provider(client, review_on):
    ws = review_on
    client.force_login(ws.editor_a)
    _publish(client, ws)
    client.force_login(ws.admin)
    reason = "<script>alert(1)</script> เพิ่มรายละเอียดสถานที่"
    response = client.post(th("staff:review-decide", [ws.programme.pk]), {"decision": "return", "reason": reason})
    assert response.status_code == 302
    ws.programme.refresh_from_db()
    assert ws.programme.status == "draft" and ws.programme.review_note == reason
    entry = AuditEntry.objects.get(action="review.return")
    assert entry.note == reason and entry.changes == {"status": ["pending_review", "draft"]}
    assert not _in_catalogue(ws.programme)

    client.force_login(ws.editor_a)
    for url in (th("staff:provider-home", [ws.a.slug]), th("staff:programme-edit", [ws.a.slug, ws.programme.pk])):
        html = client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt; เพิ่มรายละเอียดสถานที่" in html
        assert "<script>alert(1)</script>" not in html
    # Submitting again clears the reason; staff of B never see it.
    _publish(client, ws)
    ws.programme.refresh_from_db()
    assert ws.programme.status == "pending_review" and ws.programme.review_note == ""


def test_sending_back_needs_a_reason_and_only_pending_programmes_are_decided(client, review_on):
    ws = review_on
    client.force_login(ws.editor_a)
    _publish(client, ws)
    client.force_login(ws.admin)
    response = client.post(th("staff:review-decide", [ws.programme.pk]), {"decision": "return", "reason": "   "})
    assert response.status_code == 302
    ws.programme.refresh_from_db()
    assert ws.programme.status == "pending_review"
    response = client.post(th("staff:review-decide", [ws.programme.pk]), {"decision": "<b>"}, follow=True)
    assert response.status_code == 200
    ws.programme.refresh_from_db()
    assert ws.programme.status == "pending_review"
    # A published programme (B's) is not "approved" again.
    response = client.post(en("staff:review-decide", [ws.b_programme.pk]), {"decision": "approve"}, follow=True)
    assert "not waiting for review" in response.content.decode()
    assert not AuditEntry.objects.filter(action="review.approve").exists()
    assert client.post(th("staff:review-decide", [999999]), {"decision": "approve"}).status_code == 404


def test_editor_can_withdraw_a_submission(client, review_on):
    ws = review_on
    client.force_login(ws.editor_a)
    _publish(client, ws)
    client.post(th("staff:programme-status", [ws.a.slug, ws.programme.pk]), {"action": "draft"})
    ws.programme.refresh_from_db()
    assert ws.programme.status == "draft"
    client.force_login(ws.admin)
    assert client.get(th("staff:review-queue")).context["programmes"] == []


def test_city_admin_publishing_in_a_workspace_is_the_approval(client, review_on):
    ws = review_on
    client.force_login(ws.admin)
    _publish(client, ws)
    ws.programme.refresh_from_db()
    assert ws.programme.status == "published"


def test_only_city_admins_review_or_change_the_setting(client, review_on):
    ws = review_on
    client.force_login(ws.editor_a)
    _publish(client, ws)
    url = th("staff:review-decide", [ws.programme.pk])
    for user in (ws.editor_a, ws.manager_a, ws.editor_b, ws.resident):
        client.force_login(user)
        assert client.post(url, {"decision": "approve"}).status_code == 403
        assert client.get(th("staff:review-queue")).status_code == 403
        assert client.post(th("staff:city-settings"), {"city": ws.city.pk}).status_code == 403
    client.logout()
    assert client.post(url, {"decision": "approve"}).status_code == 302  # to sign in
    ws.programme.refresh_from_db()
    ws.city.refresh_from_db()
    assert ws.programme.status == "pending_review" and ws.city.require_first_publication_review is True


def test_city_settings_page_switches_the_review_and_is_audited(client, ws):
    client.force_login(ws.admin)
    page = client.get(en("staff:city-settings"))
    assert page.status_code == 200 and "first publication" in page.content.decode()
    prefix = f"city{ws.city.pk}-require_first_publication_review"
    response = client.post(th("staff:city-settings"), {"city": str(ws.city.pk), prefix: "on"})
    assert response.status_code == 302
    ws.city.refresh_from_db()
    assert ws.city.require_first_publication_review is True
    entry = AuditEntry.objects.get(action="city.settings")
    assert entry.changes == {"require_first_publication_review": [False, True]} and entry.actor == ws.admin
    client.post(th("staff:city-settings"), {"city": str(ws.city.pk)})  # unticked
    ws.city.refresh_from_db()
    assert ws.city.require_first_publication_review is False
    # Hostile or unknown city ids change nothing.
    for bad in ("999999", "<script>", ""):
        response = client.post(th("staff:city-settings"), {"city": bad, prefix: "on"})
        assert response.status_code == 302
    ws.city.refresh_from_db()
    assert ws.city.require_first_publication_review is False
    # The audit page shows the new action with its label.
    labels = client.get(en("staff:audit-all")).content.decode()
    assert '<span class="audit-action" data-action="city.settings">City settings changed</span>' in labels


def test_review_queue_query_count(client, review_on, django_assert_max_num_queries):
    ws = review_on
    for i in range(5):
        programme = services.programme_create(provider=ws.a, title_th=f"หลักสูตร {i}")
        services.programme_submit_for_review(programme=programme)
    client.force_login(ws.admin)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("staff:review-queue"))
    assert len(response.context["programmes"]) == 5
    assert Programme.objects.filter(status="pending_review").count() == 5
