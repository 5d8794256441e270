"""Writing the audit log. Call audit_record inside the service's transaction, so the entry
and the change it describes are committed (or rolled back) together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from learningcity.audit.models import AuditEntry


def audit_value(value: Any) -> Any:
    """A JSON-safe rendering of a field value (model instances and files as text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [audit_value(v) for v in value]
    if hasattr(value, "name"):  # FieldFile
        return value.name or ""
    return str(value)


def audit_snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The JSON-safe values of `fields` of `obj` (for a before/after comparison)."""
    return {field: audit_value(getattr(obj, field)) for field in fields}


def audit_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{"field": [before, after]} for the fields whose value changed."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    provider_id: int | None = None,
    note: str = "",
) -> AuditEntry:
    """Append one entry. `changes` maps field -> [before, after] (see audit_diff)."""
    entry = AuditEntry(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action[:40],
        provider_id=provider_id,
        changes={k: audit_value(v) for k, v in (changes or {}).items()},
        note=(note or "")[:300],
    )
    if obj is not None:
        entry.content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        entry.object_id = str(obj.pk)
        entry.object_repr = str(obj)[:200]
    entry.save()
    return entry
