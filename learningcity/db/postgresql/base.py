"""Django's PostgreSQL backend, creating databases with a UTF-8 character type.

Under LC_CTYPE 'C', pg_trgm extracts no trigrams from Thai and similarity() is 0, so
every database this project creates (the test database included) is created from
template0 with C.UTF-8 collation and character type."""

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresDatabaseWrapper
from django.db.backends.postgresql.creation import DatabaseCreation as PostgresDatabaseCreation

UTF8_LOCALE = "C.UTF-8"


class DatabaseCreation(PostgresDatabaseCreation):
    def sql_table_creation_suffix(self):
        suffix = super().sql_table_creation_suffix()
        locale = self.connection.settings_dict.get("TEST", {}).get("LOCALE", UTF8_LOCALE)
        return f"{suffix} LC_COLLATE '{locale}' LC_CTYPE '{locale}'"


class DatabaseWrapper(PostgresDatabaseWrapper):
    creation_class = DatabaseCreation
