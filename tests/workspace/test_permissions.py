"""The permission matrix: every URL of the "staff" namespace x every kind of visitor.

A new staff URL without a rule in RULES fails test_every_staff_url_has_a_rule. Decision:
manager-only pages give 403 to an editor of the same provider and 404 to staff of other
providers (who must not learn that an object exists)."""

import pytest
from django.urls import get_resolver, reverse

pytestmark = pytest.mark.django_db

ANON, RESIDENT, EDITOR_A, EDITOR_B, MANAGER_A, ADMIN = "anon", "resident", "editor_a", "editor_b", "manager_a", "admin"
VISITORS = [ANON, RESIDENT, EDITOR_A, EDITOR_B, MANAGER_A, ADMIN]

# What each kind of page gives to each visitor (ok = the allowed response's status).
EDITOR_PAGE = {ANON: 302, RESIDENT: 403, EDITOR_A: "ok", EDITOR_B: 404, MANAGER_A: "ok", ADMIN: "ok"}
MANAGER_PAGE = {ANON: 302, RESIDENT: 403, EDITOR_A: 403, EDITOR_B: 404, MANAGER_A: "ok", ADMIN: "ok"}
ANY_STAFF = {ANON: 302, RESIDENT: 403, EDITOR_A: "ok", EDITOR_B: "ok", MANAGER_A: "ok", ADMIN: "ok"}
ADMIN_ONLY = {ANON: 302, RESIDENT: 403, EDITOR_A: 403, EDITOR_B: 403, MANAGER_A: 403, ADMIN: "ok"}

# url name -> (method, the pk's object in the fixture or None, kind of page, allowed status)
RULES = {
    "home": ("get", None, ANY_STAFF, 200),
    "audit-all": ("get", None, ADMIN_ONLY, 200),
    "review-queue": ("get", None, ADMIN_ONLY, 200),
    "review-decide": ("post", "programme", ADMIN_ONLY, 302),
    "city-settings": ("get", None, ADMIN_ONLY, 200),
    "city-providers": ("get", None, ADMIN_ONLY, 200),
    "city-provider-create": ("get", None, ADMIN_ONLY, 200),
    "city-provider-edit": ("get", "a", ADMIN_ONLY, 200),
    "city-venues": ("get", None, ADMIN_ONLY, 200),
    "city-venue-create": ("get", None, ADMIN_ONLY, 200),
    "city-venue-edit": ("get", "shared", ADMIN_ONLY, 200),
    "city-districts": ("get", None, ADMIN_ONLY, 200),
    "city-population": ("get", None, ADMIN_ONLY, 200),
    "provider-home": ("get", None, EDITOR_PAGE, 200),
    "programme-create": ("get", None, EDITOR_PAGE, 200),
    "programme-preview": ("post", None, EDITOR_PAGE, 200),
    "programme-edit": ("get", "programme", EDITOR_PAGE, 200),
    "programme-status": ("post", "programme", EDITOR_PAGE, 302),
    "course-create": ("get", "programme", EDITOR_PAGE, 200),
    "course-detail": ("get", "course", EDITOR_PAGE, 200),
    "course-edit": ("get", "course", EDITOR_PAGE, 200),
    "session-create": ("get", "course", EDITOR_PAGE, 200),
    "sessions-weekly": ("get", "course", EDITOR_PAGE, 200),
    "course-duplicate": ("get", "course", EDITOR_PAGE, 200),
    "session-edit": ("get", "session", EDITOR_PAGE, 200),
    "session-cancel": ("post", "session", EDITOR_PAGE, 302),
    "members": ("get", None, MANAGER_PAGE, 200),
    "member-edit": ("post", "m_editor_a", MANAGER_PAGE, 302),
    "venues": ("get", None, MANAGER_PAGE, 200),
    "venue-create": ("get", None, MANAGER_PAGE, 200),
    "venue-edit": ("get", "venue", MANAGER_PAGE, 200),
    "audit": ("get", None, MANAGER_PAGE, 200),
}


def staff_patterns():
    namespace = get_resolver().namespace_dict["staff"][1]
    return list(namespace.url_patterns)


def staff_url(pattern, ws, pk_of):
    kwargs = {}
    for name in pattern.pattern.converters:
        if name == "provider_slug":
            kwargs[name] = ws.a.slug
        elif name == "pk":
            kwargs[name] = getattr(ws, pk_of).pk
        else:  # pragma: no cover - a new kind of parameter needs a fixture value here
            raise AssertionError(f"no fixture value for URL parameter {name!r}")
    return reverse(f"staff:{pattern.name}", kwargs=kwargs)


def test_every_staff_url_has_a_rule():
    names = {p.name for p in staff_patterns()}
    assert names == set(RULES), f"staff URLs without a rule: {names - set(RULES)}; stale rules: {set(RULES) - names}"


@pytest.mark.parametrize("name", sorted(RULES))
def test_permission_matrix(client, ws, name):
    pattern = next(p for p in staff_patterns() if p.name == name)
    method, pk_of, expected_by_visitor, allowed = RULES[name]
    url = staff_url(pattern, ws, pk_of)
    for visitor in VISITORS:
        client.logout()
        if visitor != ANON:
            client.force_login(getattr(ws, visitor))
        response = getattr(client, method)(url)
        expected = expected_by_visitor[visitor]
        expected = allowed if expected == "ok" else expected
        assert response.status_code == expected, (name, visitor, response.status_code)
        if visitor == ANON:
            assert "/accounts/login/" in response["Location"]


def test_guessed_ids_of_another_provider_are_404(client, ws):
    """Provider B's staff reach A's objects through B's own slug: still 404."""
    client.force_login(ws.manager_b)
    for name, pk in [
        ("programme-edit", ws.programme.pk),
        ("course-detail", ws.course.pk),
        ("course-edit", ws.course.pk),
        ("session-edit", ws.session.pk),
        ("venue-edit", ws.venue.pk),
    ]:
        assert client.get(reverse(f"staff:{name}", args=[ws.b.slug, pk])).status_code == 404, name
    response = client.post(reverse("staff:programme-status", args=[ws.b.slug, ws.programme.pk]), {"action": "publish"})
    assert response.status_code == 404
    ws.programme.refresh_from_db()
    assert ws.programme.status == "draft"
    response = client.post(reverse("staff:member-edit", args=[ws.b.slug, ws.m_manager_a.pk]), {"remove": "1"})
    assert response.status_code == 404
    assert ws.a.memberships.filter(pk=ws.m_manager_a.pk).exists()
