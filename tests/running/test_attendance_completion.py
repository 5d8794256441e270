"""Attendance register (idempotent taps, mark all present) and the completion rule."""

import pytest

from learningcity.audit.models import AuditEntry
from participants.models import Attendance, CompletionOverride
from participants.services import attendance_mark, completion_compute
from tests.running.conftest import en, th

pytestmark = pytest.mark.django_db


def _url(run, name="register", session=None):
    return th(f"staff-run:{name}", run.a.slug, (session or run.session).pk)


def test_register_page_lists_enrolled_people(client, run):
    client.force_login(run.editor_a)
    response = client.get(_url(run))
    assert response.status_code == 200
    body = response.content.decode()
    for p in (run.alice, run.bob, run.child):
        assert p.given_name in body
    assert 'hx-post="' in body and 'hx-swap="outerHTML"' in body
    assert AuditEntry.objects.filter(action="register.view", provider_id=run.a.pk).count() == 1


def test_two_quick_taps_end_in_the_last_state_and_repeat_keeps_one_row(client, run):
    client.force_login(run.editor_a)
    url = _url(run)
    data = {"participant": run.alice.pk, "status": "present", "note": ""}
    assert client.post(url, data, HTTP_HX_REQUEST="true").status_code == 200
    response = client.post(url, {**data, "status": "absent"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="att-{run.alice.pk}"' in response.content.decode()
    assert "<html" not in response.content.decode()  # only the row
    rows = Attendance.objects.filter(session=run.session, participant=run.alice)
    assert rows.count() == 1 and rows.get().status == "absent"
    audits = AuditEntry.objects.filter(action="attendance.mark").count()
    # A repeat after a lost connection: same desired state, nothing changes.
    assert client.post(url, {**data, "status": "absent"}, HTTP_HX_REQUEST="true").status_code == 200
    assert rows.count() == 1 and rows.get().status == "absent"
    assert AuditEntry.objects.filter(action="attendance.mark").count() == audits == 2


def test_plain_post_without_js_redirects_back(client, run):
    client.force_login(run.editor_a)
    response = client.post(_url(run), {"participant": run.bob.pk, "status": "present", "note": "มาสาย 😀"})
    assert response.status_code == 302
    row = Attendance.objects.get(session=run.session, participant=run.bob)
    assert row.status == "present" and row.note == "มาสาย 😀" and row.marked_by == run.editor_a


def test_mark_all_present(client, run):
    client.force_login(run.editor_a)
    attendance_mark(session=run.session, participant=run.bob, status="absent", actor=run.editor_a)
    response = client.post(_url(run, "register-all-present"))
    assert response.status_code == 302
    marks = dict(Attendance.objects.filter(session=run.session).values_list("participant_id", "status"))
    assert marks == {run.alice.pk: "present", run.bob.pk: "present", run.child.pk: "present"}
    assert client.post(_url(run, "register-all-present")).status_code == 302
    assert Attendance.objects.filter(session=run.session).count() == 3
    assert AuditEntry.objects.filter(action="attendance.mark_all_present").count() == 1  # the second changed nothing


@pytest.mark.parametrize(
    "data",
    [
        {"participant": "1; DROP TABLE participants_attendance;--", "status": "present"},
        {"participant": "", "status": "toggle"},
        {"status": "<script>alert(1)</script>"},
        {"participant": "99999999", "status": "present"},
        {"participant": "123456789012345678901234567890", "status": "present"},
    ],
)
def test_register_hostile_input(client, run, data):
    client.force_login(run.editor_a)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.post(_url(run), data, **headers)
        assert response.status_code == 200, data
        assert "<script>alert" not in response.content.decode()
    assert not Attendance.objects.exists()


def test_register_note_too_long_and_translated(client, run):
    client.force_login(run.editor_a)
    data = {"participant": run.alice.pk, "status": "present", "note": "ก" * 10000}
    response = client.post(en("staff-run:register", run.a.slug, run.session.pk), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Use at most" in response.content.decode()
    response = client.post(_url(run), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not Attendance.objects.exists()


def _attend(run, participant, n):
    for i, session in enumerate(run.sessions):
        attendance_mark(
            session=session, participant=participant, status="present" if i < n else "absent", actor=run.editor_a
        )


def test_completion_rule_80_percent(run):
    assert run.course.completion_min_attendance_pct == 80
    _attend(run, run.alice, 4)
    _attend(run, run.bob, 3)
    rows = {r.enrolment.participant_id: r for r in completion_compute(course=run.course)}
    assert (rows[run.alice.pk].attended, rows[run.alice.pk].total, rows[run.alice.pk].completed) == (4, 5, True)
    assert (rows[run.bob.pk].attended, rows[run.bob.pk].completed) == (3, False)
    assert rows[run.child.pk].completed is False


def test_completion_ignores_cancelled_sessions(run):
    _attend(run, run.bob, 3)
    for session in run.sessions[3:]:
        session.is_cancelled = True
        session.save(update_fields=["is_cancelled"])
    row = next(r for r in completion_compute(course=run.course) if r.enrolment.participant_id == run.bob.pk)
    assert (row.attended, row.total, row.completed) == (3, 3, True)


def test_completion_override_with_reason(client, run):
    _attend(run, run.bob, 3)
    client.force_login(run.editor_a)
    url = th("staff-run:completion", run.a.slug, run.course.pk)
    bob_enrolment = run.enrolments[1]
    # A reason is required.
    response = client.post(
        en("staff-run:completion", run.a.slug, run.course.pk),
        {"enrolment": bob_enrolment.pk, "decision": "completed", "reason": ""},
    )
    assert response.status_code == 200
    assert "Give the reason for the override." in response.content.decode()
    assert not CompletionOverride.objects.exists()
    response = client.post(url, {"enrolment": bob_enrolment.pk, "decision": "completed", "reason": "ป่วย มีใบรับรองแพทย์"})
    assert response.status_code == 302
    row = next(r for r in completion_compute(course=run.course) if r.enrolment.pk == bob_enrolment.pk)
    assert row.rule_completed is False and row.completed is True and row.override_reason == "ป่วย มีใบรับรองแพทย์"
    assert AuditEntry.objects.filter(action="completion.override", note="ป่วย มีใบรับรองแพทย์").exists()
    # Back to the rule.
    assert client.post(url, {"enrolment": bob_enrolment.pk, "decision": "rule", "reason": ""}).status_code == 302
    assert not CompletionOverride.objects.exists()
    page = client.get(url)
    assert page.status_code == 200 and "60 %" in page.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"enrolment": "x' OR 1=1 --", "decision": "completed", "reason": "r"},
        {"enrolment": "1", "decision": "<script>", "reason": "r"},
        {"enrolment": "1", "decision": "completed", "reason": "🎉" * 10000},
    ],
)
def test_completion_hostile_input(client, run, data):
    client.force_login(run.editor_a)
    data = {**data, "enrolment": run.enrolments[0].pk if data["enrolment"] == "1" else data["enrolment"]}
    response = client.post(th("staff-run:completion", run.a.slug, run.course.pk), data)
    assert response.status_code == 200
    assert not CompletionOverride.objects.exists()


def test_completion_of_another_course_enrolment_is_404(client, run):
    from tests.factories import CourseFactory, EnrolmentFactory

    other = EnrolmentFactory(course=CourseFactory(programme=run.programme))
    client.force_login(run.editor_a)
    url = th("staff-run:completion", run.a.slug, run.course.pk)
    assert client.post(url, {"enrolment": other.pk, "decision": "completed", "reason": "x"}).status_code == 404
