"""The cylinder registry and its append-only, hash-chained event log."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    PrimaryKeyConstraint,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from .columns import references, timestamp


class Cylinder(SQLModel, table=True):
    """One LPG cylinder: manufacture data and the current state derived from its events."""

    __table_args__ = (
        UniqueConstraint("manufacturer", "serial_number", name="uq_cylinder_manufacturer_serial"),
        Index("ix_cylinder_owner_status", "owner_enterprise_id", "status"),
        Index("ix_cylinder_region_due", "region_code", "next_inspection_due"),
        Index(
            "ix_cylinder_open_state",
            "owner_enterprise_id",
            postgresql_where=text("seized OR recalled OR status <> 'active'"),
        ),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, Identity(always=False), primary_key=True),
    )
    code: str = Field(unique=True, max_length=16)
    rfid: str | None = Field(default=None, unique=True, max_length=64)
    # A code the cylinder already carries (GS1 GRAI, GB/T 36051), accepted on scans.
    external_code: str | None = Field(default=None, unique=True, max_length=80)
    owner_enterprise_id: uuid.UUID = references("enterprise.id", index=False)
    region_code: str = Field(max_length=6)
    manufacturer: str
    serial_number: str
    model: str
    water_capacity_l: float
    tare_kg: float
    max_fill_kg: float
    manufacture_date: date
    design_life_years: int | None = None
    valve_type: str = "single_phase"
    smart_valve_id: str | None = None
    refurbished: bool = False
    insurance_policy: str | None = None
    insurance_valid_until: date | None = None
    # State, derived from the events (domain/lifecycle.py) and updated in the same transaction.
    status: str = "active"
    seized: bool = False
    seized_by: str | None = Field(default=None, max_length=32)  # the seizer's role (lifting)
    recalled: bool = False
    filled: bool = False
    location_kind: str | None = None
    location_id: str | None = None
    last_inspection_date: date | None = None
    last_inspection_result: str | None = None
    next_inspection_due: date | None = None
    entrusted_to_enterprise_id: uuid.UUID | None = None
    entrusted_until: date | None = None
    last_fill_at: datetime | None = timestamp(nullable=True, default_now=False)
    last_fill_station_id: uuid.UUID | None = None
    created_at: datetime | None = timestamp()
    updated_at: datetime | None = timestamp()


class CylinderChain(SQLModel, table=True):
    """The hash of each cylinder's newest event, kept by the database's chain trigger."""

    __tablename__ = "cylinder_chain"

    cylinder_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    head: str | None = Field(default=None, max_length=64)


class CylinderEvent(SQLModel, table=True):
    """Append-only history: partitioned by month; rows are never updated or deleted (trigger)."""

    __tablename__ = "cylinder_event"
    __table_args__ = (
        PrimaryKeyConstraint("cylinder_id", "occurred_at", "id"),
        Index("ix_cylinder_event_kind_time", "kind", "occurred_at"),
        Index("ix_cylinder_event_station_time", "station_id", "occurred_at"),
        {"postgresql_partition_by": "RANGE (occurred_at)"},
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger, server_default=text("nextval('cylinder_event_id_seq')"), nullable=False
        )
    )
    cylinder_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    kind: str = Field(max_length=40)
    recorded_at: datetime | None = timestamp()
    actor_kind: str = Field(max_length=16)
    actor_id: str | None = None
    station_id: uuid.UUID | None = None
    enterprise_id: uuid.UUID | None = None
    payload: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    # Tamper evidence: set by the database on insert (trigger ct_event_chain).
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)
