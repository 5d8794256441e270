"""The permission matrix of the "staff-run" namespace: every URL x every kind of visitor.
A new URL without a rule in RULES fails test_every_url_has_a_rule."""

import pytest
from django.urls import get_resolver, reverse

pytestmark = pytest.mark.django_db

ANON, RESIDENT, EDITOR_A, EDITOR_B, MANAGER_A, ADMIN = "anon", "resident", "editor_a", "editor_b", "manager_a", "admin"
VISITORS = [ANON, RESIDENT, EDITOR_A, EDITOR_B, MANAGER_A, ADMIN]
EDITOR_PAGE = {ANON: 302, RESIDENT: 403, EDITOR_A: "ok", EDITOR_B: 404, MANAGER_A: "ok", ADMIN: "ok"}

# url name -> (method, the pk's object in the fixture or None, allowed status)
RULES = {
    "overview": ("get", None, 200),
    "roster": ("get", "course", 200),
    "roster-csv": ("get", "course", 200),
    "roster-xlsx": ("get", "course", 200),
    "completion": ("get", "course", 200),
    "capacity": ("get", "course", 200),
    "cancel": ("get", "course", 200),
    "register": ("get", "session", 200),
    "register-all-present": ("post", "session", 302),
    "desk": ("get", None, 200),
    "participant": ("get", "alice", 200),
    "slip": ("get", "enrolment", 200),
}


def patterns():
    return list(get_resolver().namespace_dict["staff-run"][1].url_patterns)


def url_for(pattern, run, pk_of):
    kwargs = {}
    for name in pattern.pattern.converters:
        if name == "provider_slug":
            kwargs[name] = run.a.slug
        elif name == "pk":
            kwargs[name] = (run.enrolments[0] if pk_of == "enrolment" else getattr(run, pk_of)).pk
        else:  # pragma: no cover
            raise AssertionError(f"no fixture value for URL parameter {name!r}")
    return reverse(f"staff-run:{pattern.name}", kwargs=kwargs)


def test_every_url_has_a_rule():
    names = {p.name for p in patterns()}
    assert names == set(RULES), f"without a rule: {names - set(RULES)}; stale: {set(RULES) - names}"


@pytest.mark.parametrize("name", sorted(RULES))
def test_permission_matrix(client, run, name):
    pattern = next(p for p in patterns() if p.name == name)
    method, pk_of, allowed = RULES[name]
    url = url_for(pattern, run, pk_of)
    for visitor in VISITORS:
        client.logout()
        if visitor != ANON:
            client.force_login(getattr(run, visitor))
        response = getattr(client, method)(url)
        expected = EDITOR_PAGE[visitor]
        expected = allowed if expected == "ok" else expected
        assert response.status_code == expected, (name, visitor, response.status_code)
        if visitor == ANON:
            assert "/accounts/login/" in response["Location"]


def test_other_provider_gets_404_through_its_own_slug(client, run):
    """Staff of B ask for A's course, session, participant and slip under B's slug: 404."""
    client.force_login(run.manager_b)
    b = run.b.slug
    for name, pk in [
        ("roster", run.course.pk),
        ("roster-csv", run.course.pk),
        ("completion", run.course.pk),
        ("capacity", run.course.pk),
        ("cancel", run.course.pk),
        ("register", run.session.pk),
        ("participant", run.alice.pk),
        ("slip", run.enrolments[0].pk),
    ]:
        assert client.get(reverse(f"staff-run:{name}", args=[b, pk])).status_code == 404, name
    response = client.post(
        reverse("staff-run:register", args=[b, run.session.pk]), {"participant": run.alice.pk, "status": "present"}
    )
    assert response.status_code == 404
    assert client.post(reverse("staff-run:cancel", args=[b, run.course.pk]), {"confirm": "on"}).status_code == 404
    run.course.refresh_from_db()
    assert run.course.status == "scheduled"
    from participants.models import Attendance

    assert not Attendance.objects.exists()
