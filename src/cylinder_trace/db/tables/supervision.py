"""Regulators' acts on companies: licence changes, enforcement, declared stock, visits, major
hazards, case hand-overs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from .columns import PhotoColumns, references, timestamp


class LicenceChange(SQLModel, table=True):
    """A regulator's change of a company's or a station's licence: suspend, reinstate, revoke,
    renew; applied on its effective day (at once when that is today)."""

    __tablename__ = "licence_change"
    __table_args__ = (Index("ix_licence_change_pending", "effective_on",
                            postgresql_where=text("applied_at IS NULL")),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = references("enterprise.id")
    station_id: uuid.UUID | None = references("station.id", nullable=True)
    licence: str = Field(max_length=12)  # filling | operating
    action: str = Field(max_length=12)
    reason: str = Field(max_length=500)
    effective_on: date
    number: str | None = Field(default=None, max_length=64)
    valid_until: date | None = None
    status_before: str | None = Field(default=None, max_length=12)
    status_after: str = Field(max_length=12)
    actor: str = Field(max_length=60)
    actor_role: str = Field(max_length=30)
    applied_at: datetime | None = timestamp(nullable=True, default_now=False)
    created_at: datetime | None = timestamp()


class EnforcementRecord(SQLModel, table=True):
    """A penalty, a summons of the managers (约谈) or a warning recorded against a company."""

    __tablename__ = "enforcement_record"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = references("enterprise.id")
    kind: str = Field(max_length=12)
    decided_on: date
    reason: str = Field(max_length=1000)
    document_number: str | None = Field(default=None, max_length=64)
    amount_yuan: int | None = None
    actor: str = Field(max_length=60)
    created_at: datetime | None = timestamp()


class StockDeclaration(SQLModel, table=True):
    """The number of cylinders a region counted for one company in one district (底数): the
    target that registration is measured against. The latest declaration counts."""

    __tablename__ = "stock_declaration"
    __table_args__ = (Index("ix_stock_declaration_target", "enterprise_id", "region_code",
                            "created_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = Field(foreign_key="enterprise.id")
    region_code: str = Field(max_length=6)
    declared_stock: int
    declared_on: date
    actor: str = Field(max_length=60)
    created_at: datetime | None = timestamp()


class SupervisionVisit(SQLModel, table=True):
    """A regulator's inspection of a station, a company or a delivery point: who (real name,
    signed), when, findings by item, the deadline to rectify, and its re-inspection."""

    __tablename__ = "supervision_visit"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subject: str = Field(max_length=16)
    enterprise_id: uuid.UUID = references("enterprise.id")
    station_id: uuid.UUID | None = references("station.id", nullable=True, index=False)
    customer_id: uuid.UUID | None = references("customer.id", nullable=True, index=False)
    region_code: str = Field(max_length=6, index=True)
    visited_on: date
    inspector_id: uuid.UUID = Field(foreign_key="app_user.id")
    inspector_name: str = Field(max_length=60)
    department: str | None = Field(default=None, max_length=16)
    signed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    findings: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    rectify_by: date | None = None
    status: str = Field(max_length=12)
    reinspection_of: uuid.UUID | None = references("supervision_visit.id", nullable=True,
                                                   index=False)
    reinspected_by_visit: uuid.UUID | None = None
    created_at: datetime | None = timestamp()


class SupervisionPhoto(PhotoColumns, table=True):
    """A photo taken on an inspection visit."""

    __tablename__ = "supervision_photo"

    visit_id: uuid.UUID = references("supervision_visit.id")


class MajorHazard(SQLModel, table=True):
    """A major hazard (重大隐患) a visit found, followed under 五定 to its close-out."""

    __tablename__ = "major_hazard"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    visit_id: uuid.UUID = references("supervision_visit.id")
    enterprise_id: uuid.UUID = references("enterprise.id")
    region_code: str = Field(max_length=6)
    item: str = Field(max_length=64)
    description: str = Field(max_length=1000)
    responsible_person: str | None = Field(default=None, max_length=60)
    measures: str | None = Field(default=None, max_length=2000)
    funds_yuan: int | None = None
    deadline: date | None = None
    contingency_plan: str | None = Field(default=None, max_length=2000)
    status: str = Field(default="open", max_length=12)  # open | closed
    closed_at: datetime | None = timestamp(nullable=True, default_now=False)
    closed_by: str | None = Field(default=None, max_length=60)
    close_note: str | None = Field(default=None, max_length=1000)
    created_at: datetime | None = timestamp()


class CaseHandover(SQLModel, table=True):
    """A case handed from one department to another (线索移交): both keep seeing it."""

    __tablename__ = "case_handover"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    report_id: uuid.UUID = references("public_report.id")
    from_department: str = Field(max_length=16)
    to_department: str = Field(max_length=16)
    note: str = Field(max_length=1000)
    actor: str = Field(max_length=60)
    created_at: datetime | None = timestamp()
