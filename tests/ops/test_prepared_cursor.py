"""The preparing cursor of the project's PostgreSQL backend (learningcity/db/postgresql): the
rush path's hand-written statements are bound by the server and prepared once per connection,
and are still counted and wrapped as Django's cursors are."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

HOSTILE = ["", "ภาษาไทย", "<script>alert(1)</script>", "'; DROP TABLE accounts_user; --", "x" * 10_000, "\u200b\u0e4c"]


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_is_prepared_once_and_reused():
    sql = "SELECT %s::int + 1 AS test_prepared_cursor_marker"
    with connection.prepared_cursor() as cursor:
        cursor.execute(sql, [1])
        assert cursor.fetchone() == (2,)
        cursor.execute(sql, [41])
        assert cursor.fetchone() == (42,)
    prepared = [s for s in _prepared_statements() if "test_prepared_cursor_marker" in s]
    assert len(prepared) == 1 and "$1" in prepared[0]


def test_djangos_own_cursor_still_prepares_nothing():
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::int AS test_client_cursor_marker", [1])
        cursor.execute("SELECT %s::int AS test_client_cursor_marker", [2])
    assert not [s for s in _prepared_statements() if "test_client_cursor_marker" in s]


@pytest.mark.parametrize("value", HOSTILE)
def test_values_are_bound_not_written_into_the_sql(value):
    with connection.prepared_cursor() as cursor:
        cursor.execute("SELECT %s::text, length(%s::text)", [value, value])
        assert cursor.fetchone() == (value, len(value))


def test_statements_are_counted_with_their_values_written_in():
    with CaptureQueriesContext(connection) as ctx, connection.prepared_cursor() as cursor:
        cursor.execute("SELECT %s::text AS counted", ["ไทย 'quoted'"])
    assert len(ctx.captured_queries) == 1
    assert ctx.captured_queries[0]["sql"] == "SELECT 'ไทย ''quoted'''::text AS counted"


def test_errors_are_djangos():
    with connection.prepared_cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE test_prepared_unique (v int UNIQUE)")
        cursor.execute("INSERT INTO test_prepared_unique VALUES (%s)", [1])
        with pytest.raises(IntegrityError):
            cursor.execute("INSERT INTO test_prepared_unique VALUES (%s)", [1])
