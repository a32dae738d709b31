"""The public's reports (举报) and their photos."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
)
from sqlmodel import Field, SQLModel

from .columns import PhotoColumns, references, timestamp


class PublicReport(SQLModel, table=True):
    """A report from the public (举报), a case for the regulator of its region to answer."""

    __tablename__ = "public_report"
    __table_args__ = (Index("ix_public_report_region_status", "region_code", "status"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    reference: str = Field(unique=True, max_length=24)
    kind: str = Field(max_length=24)
    description: str = Field(max_length=2000)
    # The cylinder the report names, when it came from a cylinder's page or a scanned code.
    cylinder_id: int | None = Field(default=None, sa_column=Column(
        BigInteger, ForeignKey("cylinder.id"), nullable=True, index=True))
    scanned: str | None = Field(default=None, max_length=200)
    enterprise_id: uuid.UUID | None = references("enterprise.id", nullable=True)
    region_code: str = Field(max_length=6)
    place: str | None = Field(default=None, max_length=200)
    # Optional contact, personal data: the name as given, the phone encrypted (pii), never raw.
    contact_name: str | None = Field(default=None, max_length=60)
    contact_phone_enc: str | None = None
    status: str = Field(default="open", max_length=12)
    # the department handling it now (线索移交 moves it; both sides keep seeing it)
    department: str = Field(default="market", max_length=16)
    answer: str | None = Field(default=None, max_length=2000)
    answered_by: str | None = Field(default=None, max_length=60)
    answered_at: datetime | None = timestamp(nullable=True, default_now=False)
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime | None = timestamp()


class ReportPhoto(PhotoColumns, table=True):
    """A photo sent with a report."""

    __tablename__ = "report_photo"

    report_id: uuid.UUID = references("public_report.id")
