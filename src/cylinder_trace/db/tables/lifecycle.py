"""Customers, deliveries, hazards at the door, recalls, deposits, hand-overs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from .columns import references, timestamp


class Customer(SQLModel, table=True):
    """A real-name customer (实名制). ID number and phone: encrypted, keyed hash, masked copy."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = references("enterprise.id")
    region_code: str = Field(max_length=6)
    kind: str = Field(max_length=16)  # resident | non_resident
    name: str = Field(max_length=200)
    id_number_enc: str
    id_number_hash: str = Field(index=True, max_length=64)
    id_number_masked: str = Field(max_length=32)
    phone_enc: str
    phone_hash: str = Field(index=True, max_length=64)
    phone_masked: str = Field(max_length=32)
    address: str = Field(max_length=500)
    contract_number: str | None = Field(default=None, max_length=64)
    contract_valid_until: date | None = None
    created_at: datetime | None = timestamp()


class Delivery(SQLModel, table=True):
    """A dispatch of full cylinders to one customer and its door-step confirmation."""

    __table_args__ = (Index("ix_delivery_worker_status", "worker_id", "status"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = references("enterprise.id")
    worker_id: uuid.UUID = references("app_user.id", index=False)
    vehicle_id: uuid.UUID = references("vehicle.id", index=False)
    customer_id: uuid.UUID = references("customer.id")
    station_id: uuid.UUID | None = None  # where the cylinders left from (empties go back there)
    codes: list[str] = Field(sa_column=Column(ARRAY(String), nullable=False))
    status: str = Field(default="dispatched", max_length=24)  # dispatched | delivered
    dispatched_at: datetime | None = timestamp()
    delivered_at: datetime | None = timestamp(nullable=True, default_now=False)  # at the door
    received_at: datetime | None = timestamp(nullable=True, default_now=False)  # by the service
    location: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    safety_check: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSONB, nullable=True)
    )
    empties: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String), nullable=False, server_default=text("'{}'")),
    )
    # The customer's side of the confirmation: a one-time code sent to their phone, or a signature.
    otp_hash: str | None = Field(default=None, max_length=64)
    otp_expires_at: datetime | None = timestamp(nullable=True, default_now=False)
    customer_confirmed_at: datetime | None = timestamp(nullable=True, default_now=False)
    customer_confirmation: str | None = Field(default=None, max_length=16)  # otp | signature
    # Wrong codes typed for the current code (void at the limit) and codes sent in all.
    otp_attempts: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    otp_sends: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    signature_png: str | None = None  # base64, when signed on the phone


class Hazard(SQLModel, table=True):
    """A safety-check finding (隐患) followed until it is closed out (整改销号)."""

    __table_args__ = (Index("ix_hazard_open_deadline", "enterprise_id", "status", "deadline"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = references("enterprise.id", index=False)
    region_code: str = Field(max_length=6, index=True)
    customer_id: uuid.UUID = references("customer.id")
    delivery_id: uuid.UUID | None = None
    item: str = Field(max_length=64)
    note: str | None = Field(default=None, max_length=1000)
    owner: str = Field(max_length=200)  # who must fix it
    deadline: date
    status: str = Field(default="open", max_length=12)  # open | closed
    found_at: datetime | None = timestamp()
    found_by: uuid.UUID | None = None
    closed_at: datetime | None = timestamp(nullable=True, default_now=False)
    closed_by: uuid.UUID | None = None
    close_note: str | None = Field(default=None, max_length=1000)


class RecallCampaign(SQLModel, table=True):
    """A recall: who ordered it, the criteria, the cylinders it caught."""

    __tablename__ = "recall_campaign"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    ordered_by: uuid.UUID
    ordered_by_role: str | None = Field(default=None, max_length=32)  # who may close it
    region_codes: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String), nullable=False, server_default=text("'{}'")),
    )
    enterprise_id: uuid.UUID | None = None  # a company's own recall
    reason: str = Field(max_length=1000)
    criteria: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    matched: int = 0
    status: str = Field(default="open", max_length=12)  # open | closed
    created_at: datetime | None = timestamp()
    closed_at: datetime | None = timestamp(nullable=True, default_now=False)


class RecallItem(SQLModel, table=True):
    __tablename__ = "recall_item"

    recall_id: uuid.UUID = Field(foreign_key="recall_campaign.id", primary_key=True)
    cylinder_id: int = Field(sa_column=Column(BigInteger, primary_key=True))


class Deposit(SQLModel, table=True):
    """A cylinder deposit paid or refunded (产权置换: 200 yuan on a company cylinder)."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = references("enterprise.id", index=False)
    customer_id: uuid.UUID = references("customer.id")
    cylinder_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    kind: str = Field(max_length=12)  # paid | refunded
    amount_yuan: float
    at: datetime | None = timestamp()


class Handover(SQLModel, table=True):
    """Who handed in a recovered cylinder for scrapping (real name, as the regulations ask)."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    cylinder_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    name: str = Field(max_length=200)
    id_number_enc: str
    id_number_hash: str = Field(max_length=64)
    id_number_masked: str = Field(max_length=32)
    phone_enc: str
    phone_masked: str = Field(max_length=32)
    address: str = Field(max_length=500)
    at: datetime | None = timestamp()
