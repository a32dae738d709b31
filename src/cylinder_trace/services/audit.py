"""The audit trail: one append-only, hash-chained entry for each change that is not a cylinder
event (who, what, before and after, when). Written in the changing transaction, so an entry
exists exactly when its change does. Personal data never enters it raw: phones and ID numbers
are masked, secrets and hashes are dropped."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlmodel import Session, col, select

from ..adapters import pii
from ..db.scope import visible
from ..db.tables.audit import AuditEntry
from ..domain.access import Action
from ..domain.principal import Principal, require_allowed

_DROP = ("password", "secret", "hash", "token", "_enc", "key")
_KEEP = frozenset({"api_key_id", "key_id"})


def scrub(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy fit for the trail: JSON values, personal data masked, secrets left out."""
    if values is None:
        return None
    out: dict[str, Any] = {}
    for name, value in values.items():
        lowered = name.lower()
        if lowered not in _KEEP and any(part in lowered for part in _DROP):
            continue
        if isinstance(value, dict):
            out[name] = scrub(value)
        elif value is not None and "phone" in lowered:
            out[name] = pii.mask_phone(str(value))
        elif value is not None and "id_number" in lowered:
            out[name] = pii.mask_id(str(value))
        else:
            out[name] = json.loads(json.dumps(value, default=str, ensure_ascii=False))
    return out


def record(session: Session, principal: Principal, action: str, subject_kind: str,
           subject_id: object, *, enterprise_id: uuid.UUID | None = None,
           region_code: str | None = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> None:
    """Add an entry to the caller's transaction (the database chains it on insert)."""
    session.add(AuditEntry(
        actor=principal.actor, actor_role=principal.role.value, action=action,
        subject_kind=subject_kind, subject_id=str(subject_id), enterprise_id=enterprise_id,
        region_code=region_code, before=scrub(before), after=scrub(after)))


def trail(session: Session, principal: Principal, *, subject_kind: str | None = None,
          subject_id: str | None = None, enterprise_id: uuid.UUID | None = None,
          before_id: int | None = None, limit: int = 100) -> list[AuditEntry]:
    """Newest first. Regulators read the entries of their regions, the platform reads all;
    companies read none (the trail is how they are held to account)."""
    require_allowed(principal, Action.READ_AUDIT)  # regulators and the platform
    query = select(AuditEntry).where(visible(principal, col(AuditEntry.enterprise_id),
                                             col(AuditEntry.region_code)))
    if subject_kind:
        query = query.where(col(AuditEntry.subject_kind) == subject_kind)
    if subject_id:
        query = query.where(col(AuditEntry.subject_id) == subject_id)
    if enterprise_id:
        query = query.where(col(AuditEntry.enterprise_id) == enterprise_id)
    if before_id:
        query = query.where(col(AuditEntry.id) < before_id)
    return list(session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit)))
