"""The audit trail of regulators' and administrators' acts, hash-chained."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Identity,
    Index,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from .columns import timestamp


class AuditChain(SQLModel, table=True):
    """The audit trail's chain head (one row): the lock that orders audited writes."""

    __tablename__ = "audit_chain"

    id: int = Field(primary_key=True)
    head: str | None = Field(default=None, max_length=64)


class AuditEntry(SQLModel, table=True):
    """One change that is not a cylinder event: who, what, before and after, when. Append-only
    and hash-chained by the database (migration 0017); personal data is masked before it."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_subject", "subject_kind", "subject_id"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=False), primary_key=True)
    )
    at: datetime | None = timestamp()
    actor: str = Field(max_length=60)
    actor_role: str = Field(max_length=30)
    action: str = Field(max_length=60)
    subject_kind: str = Field(max_length=30)
    subject_id: str = Field(max_length=60)
    enterprise_id: uuid.UUID | None = Field(default=None, index=True)
    region_code: str | None = Field(default=None, max_length=6)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)
