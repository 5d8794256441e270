"""Django's PostgreSQL backend, creating databases with a UTF-8 character type, and offering
a cursor whose statements are prepared.

Under LC_CTYPE 'C', pg_trgm extracts no trigrams from Thai and similarity() is 0, so
every database this project creates (the test database included) is created from
template0 with C.UTF-8 collation and character type.

`connection.prepared_cursor()`: Django binds parameters on the client (the values are
written into the SQL text), so PostgreSQL parses and plans every statement again; planning
the enrol POST's four-table read of a course costs 0.4 ms of the server's CPU, executing it
0.06 ms. The few hand-written statements of a rush path (learningcity.db.rows) run through
this cursor instead: parameters bound by the server and every statement prepared on first
use, so each pooled connection plans it once. psycopg keeps the last `prepared_max` (100)
per connection and deallocates older ones. Wrapped as Django wraps its cursors: the
statements are counted (CaptureQueriesContext, the benchmarks' query counts) and their
errors are Django's. A transaction-pooling proxy in front of PostgreSQL must keep
protocol-level prepared statements (PgBouncer >= 1.21 with max_prepared_statements).
"""

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresDatabaseWrapper
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.postgresql.creation import DatabaseCreation as PostgresDatabaseCreation
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresDatabaseOperations
from psycopg.errors import DataError

UTF8_LOCALE = "C.UTF-8"


class DatabaseCreation(PostgresDatabaseCreation):
    def sql_table_creation_suffix(self):
        suffix = super().sql_table_creation_suffix()
        locale = self.connection.settings_dict.get("TEST", {}).get("LOCALE", UTF8_LOCALE)
        return f"{suffix} LC_COLLATE '{locale}' LC_CTYPE '{locale}'"


class PreparingCursor(ServerBindingCursor):
    """Django's server-binding cursor, preparing every statement it executes."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)


class DatabaseOperations(PostgresDatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        """The SQL with its values written in, for statements of the preparing cursor too (a
        prepared statement's execution sends no text: Django's version would log None)."""
        if isinstance(cursor, PreparingCursor):
            try:
                return self.compose_sql(sql, params)
            except DataError:  # a value the client cannot write as a literal: the SQL as sent
                return sql
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(PostgresDatabaseWrapper):
    creation_class = DatabaseCreation
    ops_class = DatabaseOperations

    def prepared_cursor(self):
        """A cursor (Django's wrapper, as `cursor()`) whose statements are bound on the
        server and prepared on first use on this connection."""
        self.ensure_connection()
        self.validate_thread_sharing()
        with self.wrap_database_errors:
            cursor = PreparingCursor(self.connection)
        return self.make_debug_cursor(cursor) if self.queries_logged else self.make_cursor(cursor)
