"""The admin lists participants' data for city administrators; enrolments are read-only."""

import pytest

from participants import services
from participants.models import Notification

pytestmark = pytest.mark.django_db


def test_admin_pages_list_participants_data(admin_client, course, resident):
    services.enrolment_create(participant=resident.participants.get(), course=course, actor=resident)
    for model in ("participant", "consent", "enrolment", "attendance", "notification", "privacynotice"):
        response = admin_client.get(f"/admin/participants/{model}/")
        assert response.status_code == 200, model
    response = admin_client.get("/admin/participants/participant/?q=" + "<script>'; DROP TABLE x; --😀")
    assert response.status_code == 200
    enrolment = resident.participants.get().enrolments.get()
    assert admin_client.get(f"/admin/participants/enrolment/{enrolment.pk}/change/").status_code == 200
    assert admin_client.get("/admin/participants/enrolment/add/").status_code == 403
    note = Notification.objects.get()
    assert admin_client.get(f"/admin/participants/notification/{note.pk}/change/").status_code == 200
