"""The inspection agencies (气瓶检验机构) and their register of inspections, valve
conversions, scrappings."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    func,
    text,
)
from sqlmodel import Field, SQLModel


class Agency(SQLModel, table=True):
    """An inspection agency: its own organisation, approved (核准) to inspect cylinders in a
    region. Created and managed by a platform admin; its inspectors are `inspector` users."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    credit_code: str = Field(unique=True, max_length=18)
    region_code: str = Field(index=True, max_length=6)
    approval_number: str = Field(max_length=64)
    approval_valid_from: date | None = None
    approval_valid_until: date
    approval_status: str = Field(default="valid", max_length=12)  # valid | suspended | revoked
    created_at: datetime | None = Field(default=None, sa_column=Column(
        DateTime(timezone=True), nullable=False, server_default=func.now()))


class Inspection(SQLModel, table=True):
    """One act an agency recorded on a cylinder, beside the cylinder's event (which holds the
    state): the agency's register, where report numbers are unique and its page lists its work.
    Rows copied from the history by migration 0012 have no agency_id: recorded before agencies
    were registered (by a company, under a free-text agency name), kept as history only."""

    __table_args__ = (
        # A report number names one report of one agency: a retried request is refused (409),
        # never recorded twice.
        Index("ux_inspection_agency_report", "agency_id", "kind", "report_number", unique=True,
              postgresql_where=text("agency_id IS NOT NULL")),
        Index("ix_inspection_agency_time", "agency_id", "recorded_at"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=False), primary_key=True))
    cylinder_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    kind: str = Field(max_length=20)  # inspection | valve_conversion | scrap
    agency_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("agency.id"), nullable=True))
    agency_name: str = Field(max_length=200)  # as recorded (free text on copied rows)
    inspector_id: uuid.UUID | None = None
    inspected_on: date
    result: str | None = Field(default=None, max_length=12)  # pass | fail (inspections)
    next_due: date | None = None
    report_number: str | None = Field(default=None, max_length=64)
    event_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    recorded_at: datetime | None = Field(default=None, sa_column=Column(
        DateTime(timezone=True), nullable=False, server_default=func.now()))
