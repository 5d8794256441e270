"""The audit pages show each action as a translated label; the stored code stays the code."""

import re

from django.utils import translation

from learningcity.audit.models import AuditEntry
from learningcity.audit.services import audit_record
from tests.workspace.conftest import en, th


def _action_labels(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="audit-action" data-action="([^"]*)">([^<]*)</span>', html)


def test_thai_audit_page_shows_thai_action_labels(client, ws):
    client.force_login(ws.editor_a)
    client.post(th("staff:programme-status", [ws.a.slug, ws.programme.pk]), {"action": "publish"})
    client.post(th("staff:programme-status", [ws.a.slug, ws.programme.pk]), {"action": "archive"})
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["archive", "publish"]  # codes stored
    client.force_login(ws.manager_a)
    labels = _action_labels(client.get(th("staff:audit", [ws.a.slug])).content.decode())
    assert labels == [("archive", "เก็บถาวร"), ("publish", "เผยแพร่แล้ว")]
    client.force_login(ws.admin)
    labels = _action_labels(client.get(th("staff:audit-all")).content.decode())
    assert ("publish", "เผยแพร่แล้ว") in labels
    labels = _action_labels(client.get(en("staff:audit-all")).content.decode())
    assert ("publish", "Published") in labels and ("archive", "Archived") in labels


def test_every_code_has_a_label_and_an_unknown_code_shows_as_itself(client, ws):
    for code, label in AuditEntry.Action.choices:
        assert label and label != code
    with translation.override("th"):
        assert str(dict(AuditEntry.Action.choices)["publish"]) == "เผยแพร่แล้ว"
    audit_record(actor=ws.editor_a, action="<script>x</script>", obj=ws.programme, provider_id=ws.a.pk)
    client.force_login(ws.manager_a)
    html = client.get(en("staff:audit", [ws.a.slug])).content.decode()
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
