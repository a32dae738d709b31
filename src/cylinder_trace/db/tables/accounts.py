"""Accounts and access: enterprises, stations, users, API keys, sessions, vehicles."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Column,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from .columns import references, timestamp


class Enterprise(SQLModel, table=True):
    """A gas company / filling unit (燃气经营企业 / 充装单位)."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str
    credit_code: str = Field(unique=True)
    region_code: str = Field(index=True, max_length=6)
    operating_licence_number: str | None = None
    operating_licence_valid_from: date | None = None
    operating_licence_valid_until: date | None = None
    operating_licence_status: str | None = None
    filling_licence_number: str | None = None
    filling_licence_valid_from: date | None = None
    filling_licence_valid_until: date | None = None
    filling_licence_status: str | None = None
    webhook_url: str | None = None
    # Shown on the public page of the company's cylinders (投诉举报电话、24小时应急抢险电话).
    complaint_phone: str | None = Field(default=None, max_length=30)
    emergency_phone: str | None = Field(default=None, max_length=30)
    created_at: datetime | None = timestamp()


class Station(SQLModel, table=True):
    """A filling station (充装站) of one enterprise."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = references("enterprise.id")
    name: str
    address: str = ""
    region_code: str = Field(index=True, max_length=6)
    filling_licence_number: str | None = None
    filling_licence_valid_from: date | None = None
    filling_licence_valid_until: date | None = None
    filling_licence_status: str | None = None
    # A regulator can lock a station's filling remotely (STATION_LOCKED).
    locked: bool = False
    locked_reason: str | None = None
    locked_at: datetime | None = timestamp(nullable=True, default_now=False)
    # Who locked it (their role decides who may unlock: domain/access.py).
    locked_by: uuid.UUID | None = None
    locked_by_role: str | None = Field(default=None, max_length=32)
    created_at: datetime | None = timestamp()


class AppUser(SQLModel, table=True):
    """A person who logs in: admin, operator, delivery worker, inspector or regulator."""

    __tablename__ = "app_user"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    username: str = Field(unique=True)
    password_hash: str
    role: str = Field(index=True)
    # a regulator's department (domain.access.Department); none for other roles
    department: str | None = Field(default=None, max_length=16)
    enterprise_id: uuid.UUID | None = references("enterprise.id", nullable=True)
    # An inspector belongs to one inspection agency (models_agencies.Agency), not an enterprise.
    agency_id: uuid.UUID | None = references("agency.id", nullable=True)
    region_codes: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String), nullable=False, server_default=text("'{}'")),
    )
    certificate_number: str | None = None
    certificate_valid_until: date | None = None
    # The badge an operator scans at the scale; defaults to the username.
    badge: str | None = Field(default=None, unique=True)
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = timestamp(nullable=True, default_now=False)
    created_at: datetime | None = timestamp()
    # Who disabled the account (a role): one disabled by a platform admin is enabled only by one.
    disabled_at: datetime | None = timestamp(nullable=True, default_now=False)
    disabled_by_role: str | None = Field(default=None, max_length=24)


class ApiKey(SQLModel, table=True):
    """A station appliance's key: only its SHA-256 is stored (a long random secret needs no KDF)."""

    __tablename__ = "api_key"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: uuid.UUID = references("station.id")
    key_hash: str = Field(unique=True, max_length=64)
    prefix: str = Field(max_length=12)
    label: str = ""
    created_by: uuid.UUID | None = None
    created_at: datetime | None = timestamp()
    revoked_at: datetime | None = timestamp(nullable=True, default_now=False)
    # Disabled is reversible (revoked is not); the role that disabled it, as for users.
    disabled_at: datetime | None = timestamp(nullable=True, default_now=False)
    disabled_by_role: str | None = Field(default=None, max_length=24)


class UserSession(SQLModel, table=True):
    """A login: the bearer token or page cookie carries this row's id as its ``jti``, and every
    request checks the row, so ending it (logout, password change, disable) is immediate on every
    instance."""

    __tablename__ = "user_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = references("app_user.id")
    created_at: datetime | None = timestamp()
    expires_at: datetime | None = timestamp()
    ended_at: datetime | None = timestamp(nullable=True, default_now=False)
    ended_reason: str | None = Field(default=None, max_length=24)


class Vehicle(SQLModel, table=True):
    """A delivery vehicle with its dangerous-goods road transport permit."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = references("enterprise.id")
    plate: str = Field(unique=True)
    permit_number: str
    permit_valid_until: date
    created_at: datetime | None = timestamp()


class VehicleWorker(SQLModel, table=True):
    """The delivery workers bound to a vehicle (人车对应)."""

    __tablename__ = "vehicle_worker"

    vehicle_id: uuid.UUID = Field(foreign_key="vehicle.id", primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", primary_key=True)
