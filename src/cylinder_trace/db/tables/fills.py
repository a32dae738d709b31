"""Fill authorizations, fill records, refused scans of unregistered codes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from .columns import references, timestamp


class FillAuthorization(SQLModel, table=True):
    """A decision to let one cylinder be filled at one station, open for a few minutes."""

    __tablename__ = "fill_authorization"
    __table_args__ = (
        # One open authorization per cylinder, enforced by the database: two stations scanning
        # one cylinder at once cannot both get one (no check-then-insert race).
        Index("ux_fill_authorization_open", "cylinder_id", unique=True,
              postgresql_where=text("status = 'open'")),
        Index("ix_fill_authorization_open_expiry", "expires_at",
              postgresql_where=text("status = 'open'")),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    cylinder_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    station_id: uuid.UUID = references("station.id", index=False)
    operator_id: uuid.UUID | None = None
    status: str = Field(default="open", max_length=12)  # open | used | expired
    created_at: datetime | None = timestamp()
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    closed_at: datetime | None = timestamp(nullable=True, default_now=False)


class Fill(SQLModel, table=True):
    """A fill record: quotes its authorization (one fill per authorization) and the masses."""

    __table_args__ = (
        Index("ix_fill_station_time", "station_id", "filled_at"),
        Index("ix_fill_cylinder_time", "cylinder_id", "filled_at"),
        Index("ix_fill_flagged", "filled_at", postgresql_where=text("flags <> '{}'")),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    authorization_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("fill_authorization.id"), nullable=False, unique=True)
    )
    cylinder_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    station_id: uuid.UUID = references("station.id", index=False)
    operator_id: uuid.UUID | None = None
    net_kg: float
    gross_kg: float | None = None
    gas_batch: str | None = Field(default=None, max_length=64)
    flags: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String), nullable=False, server_default=text("'{}'")),
    )
    filled_at: datetime | None = timestamp()


class UnregisteredScan(SQLModel, table=True):
    """A scan at a station that named no registered cylinder (or a forged one): evidence."""

    __tablename__ = "unregistered_scan"
    __table_args__ = (Index("ix_unregistered_scan_station_time", "station_id", "scanned_at"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=False), primary_key=True)
    )
    station_id: uuid.UUID = references("station.id", index=False)
    scanned_at: datetime | None = timestamp()
    scan: str = Field(max_length=512)
    rfid: str | None = Field(default=None, max_length=80)
    reason: str = Field(max_length=40)
    detail: str = ""
