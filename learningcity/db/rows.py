"""Model instances from hand-written SQL, for the few reads on a rush path.

Compiling an ORM query costs 0.3-0.9 ms of CPU (the enrol POST of a 2,000-resident rush ran
eight of them: half of its Python time); the same read written as SQL and turned into
instances with `Model.from_db()` costs a tenth of that. `Columns` names the columns once, from
the model's own fields (so a renamed column follows the model), in the order `from_db()` takes
them, and refuses fields whose values the ORM converts after reading (JSON, custom types): for
those, hand-written SQL would hand back unconverted values, so such a model stays on the ORM.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Model


@dataclass(frozen=True)
class Columns:
    """The select list of `model` under the SQL alias `alias`: every concrete field, or the
    primary key and the fields in `only` (by name or attname)."""

    model: type[Model]
    alias: str
    only: Sequence[str] | None = None

    def __post_init__(self):
        wanted = None if self.only is None else set(self.only)
        fields = [
            f
            for f in self.model._meta.concrete_fields
            if wanted is None or f.primary_key or f.name in wanted or f.attname in wanted
        ]
        converted = [f.name for f in fields if hasattr(f, "from_db_value") or f.get_db_converters(connection)]
        if converted:
            raise ValueError(f"{self.model.__name__}: {converted} need the ORM's converters")
        object.__setattr__(self, "_fields", fields)
        object.__setattr__(self, "_attnames", [f.attname for f in fields])
        quote = connection.ops.quote_name
        object.__setattr__(self, "_sql", ", ".join(f"{self.alias}.{quote(f.column)}" for f in fields))
        object.__setattr__(self, "_pk_index", next(i for i, f in enumerate(fields) if f.primary_key))

    @property
    def attnames(self) -> list[str]:
        return list(self._attnames)

    @property
    def sql(self) -> str:
        return self._sql

    def __len__(self) -> int:
        return len(self._fields)

    def build(self, values: Sequence):
        """One instance from this select list's values (as the ORM builds it: saved, the
        fields not selected deferred); None when its primary key is NULL (an outer join that
        found nothing)."""
        if values[self._pk_index] is None:
            return None
        return self.model.from_db(connection.alias, self._attnames, values)


def row_id(value) -> int | None:
    """`value` (from a URL or a session) as a primary key a hand-written statement may bind:
    an int from 1 to 2^63 - 1 (a bigint), else None (text, HTML, SQL, 0, negative, too long),
    which the caller answers as "no such row"."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**63 else None


def split(row: Sequence, parts: Iterable[Columns | int]) -> list:
    """Cut a row into consecutive pieces: each Columns becomes its instance (or None), each
    int that many plain values (one value alone, not a list)."""
    out, at = [], 0
    for part in parts:
        width = len(part) if isinstance(part, Columns) else part
        piece = row[at : at + width]
        at += width
        if isinstance(part, Columns):
            out.append(part.build(piece))
        else:
            out.append(piece[0] if width == 1 else list(piece))
    return out
