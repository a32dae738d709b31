"""SQLModel tables: accounts and access, the cylinder registry and its append-only event log."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False, default_now: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(
            DateTime(timezone=True),
            nullable=nullable,
            server_default=func.now() if default_now else None,
        ),
    )


def _fk(target: str, nullable: bool = False, index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(ForeignKey(target), nullable=nullable, index=index),
    )


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
    created_at: datetime | None = _ts()


class Station(SQLModel, table=True):
    """A filling station (充装站) of one enterprise."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = _fk("enterprise.id")
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
    locked_at: datetime | None = _ts(nullable=True, default_now=False)
    # Who locked it (their role decides who may unlock: domain/access.py).
    locked_by: uuid.UUID | None = None
    locked_by_role: str | None = Field(default=None, max_length=32)
    created_at: datetime | None = _ts()


class AppUser(SQLModel, table=True):
    """A person who logs in: admin, operator, delivery worker, inspector or regulator."""

    __tablename__ = "app_user"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    username: str = Field(unique=True)
    password_hash: str
    role: str = Field(index=True)
    # a regulator's department (domain.access.Department); none for other roles
    department: str | None = Field(default=None, max_length=16)
    enterprise_id: uuid.UUID | None = _fk("enterprise.id", nullable=True)
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
    locked_until: datetime | None = _ts(nullable=True, default_now=False)
    created_at: datetime | None = _ts()
    # Who disabled the account (a role): one disabled by a platform admin is enabled only by one.
    disabled_at: datetime | None = _ts(nullable=True, default_now=False)
    disabled_by_role: str | None = Field(default=None, max_length=24)


class ApiKey(SQLModel, table=True):
    """A station appliance's key: only its SHA-256 is stored (a long random secret needs no KDF)."""

    __tablename__ = "api_key"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: uuid.UUID = _fk("station.id")
    key_hash: str = Field(unique=True, max_length=64)
    prefix: str = Field(max_length=12)
    label: str = ""
    created_by: uuid.UUID | None = None
    created_at: datetime | None = _ts()
    revoked_at: datetime | None = _ts(nullable=True, default_now=False)
    # Disabled is reversible (revoked is not); the role that disabled it, as for users.
    disabled_at: datetime | None = _ts(nullable=True, default_now=False)
    disabled_by_role: str | None = Field(default=None, max_length=24)


class UserSession(SQLModel, table=True):
    """A login: the bearer token or page cookie carries this row's id as its ``jti``, and every
    request checks the row, so ending it (logout, password change, disable) is immediate on every
    instance."""

    __tablename__ = "user_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = _fk("app_user.id")
    created_at: datetime | None = _ts()
    expires_at: datetime | None = _ts()
    ended_at: datetime | None = _ts(nullable=True, default_now=False)
    ended_reason: str | None = Field(default=None, max_length=24)


class DeploymentKey(SQLModel, table=True):
    """The deployment's root secret when none is configured: created once by the first
    instance, read by every other, so labels and sessions verify on all of them."""

    __tablename__ = "deployment_key"

    name: str = Field(primary_key=True, max_length=32)
    secret: str
    created_at: datetime | None = _ts()


class Vehicle(SQLModel, table=True):
    """A delivery vehicle with its dangerous-goods road transport permit."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = _fk("enterprise.id")
    plate: str = Field(unique=True)
    permit_number: str
    permit_valid_until: date
    created_at: datetime | None = _ts()


class VehicleWorker(SQLModel, table=True):
    """The delivery workers bound to a vehicle (人车对应)."""

    __tablename__ = "vehicle_worker"

    vehicle_id: uuid.UUID = Field(foreign_key="vehicle.id", primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", primary_key=True)


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a retried write, returned again for the same key and caller."""

    __tablename__ = "idempotency_record"
    __table_args__ = (PrimaryKeyConstraint("scope", "key"),)

    scope: str
    key: str = Field(max_length=200)
    request_hash: str
    status_code: int
    response: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime | None = _ts()


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
    owner_enterprise_id: uuid.UUID = _fk("enterprise.id", index=False)
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
    last_fill_at: datetime | None = _ts(nullable=True, default_now=False)
    last_fill_station_id: uuid.UUID | None = None
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()


class CylinderChain(SQLModel, table=True):
    """The hash of each cylinder's newest event, kept by the database's chain trigger."""

    __tablename__ = "cylinder_chain"

    cylinder_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    head: str | None = Field(default=None, max_length=64)


class StatCylinder(SQLModel, table=True):
    """Cylinders counted per owner, region, state and due date (migration 0007: kept by
    triggers through an append-only delta table, folded in by the compact_stats job)."""

    __tablename__ = "stat_cylinder"

    owner_enterprise_id: uuid.UUID = Field(primary_key=True)
    region_code: str = Field(primary_key=True, max_length=6)
    status: str = Field(primary_key=True)
    seized: bool = Field(primary_key=True)
    recalled: bool = Field(primary_key=True)
    failed: bool = Field(primary_key=True)
    due: date = Field(primary_key=True)
    n: int = Field(sa_column=Column(BigInteger, nullable=False))


class StatFill(SQLModel, table=True):
    """Fills, refusals and refusal reasons per day (Asia/Shanghai) and the station's company
    and region (0007)."""

    __tablename__ = "stat_fill"

    day: date = Field(primary_key=True)
    enterprise_id: uuid.UUID = Field(primary_key=True)
    region_code: str = Field(primary_key=True, max_length=6)
    kind: str = Field(primary_key=True, max_length=16)
    reason: str = Field(primary_key=True, max_length=40)
    n: int = Field(sa_column=Column(BigInteger, nullable=False))


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
    recorded_at: datetime | None = _ts()
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


# --- fill authorization (issue 4) ---------------------------------------------------------------


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
    station_id: uuid.UUID = _fk("station.id", index=False)
    operator_id: uuid.UUID | None = None
    status: str = Field(default="open", max_length=12)  # open | used | expired
    created_at: datetime | None = _ts()
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    closed_at: datetime | None = _ts(nullable=True, default_now=False)


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
    station_id: uuid.UUID = _fk("station.id", index=False)
    operator_id: uuid.UUID | None = None
    net_kg: float
    gross_kg: float | None = None
    gas_batch: str | None = Field(default=None, max_length=64)
    flags: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String), nullable=False, server_default=text("'{}'")),
    )
    filled_at: datetime | None = _ts()


class UnregisteredScan(SQLModel, table=True):
    """A scan at a station that named no registered cylinder (or a forged one): evidence."""

    __tablename__ = "unregistered_scan"
    __table_args__ = (Index("ix_unregistered_scan_station_time", "station_id", "scanned_at"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=False), primary_key=True)
    )
    station_id: uuid.UUID = _fk("station.id", index=False)
    scanned_at: datetime | None = _ts()
    scan: str = Field(max_length=512)
    rfid: str | None = Field(default=None, max_length=80)
    reason: str = Field(max_length=40)
    detail: str = ""


# --- lifecycle: customers, deliveries, hazards, recalls (issue 5) -------------------------------


class Customer(SQLModel, table=True):
    """A real-name customer (实名制). ID number and phone: encrypted, keyed hash, masked copy."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = _fk("enterprise.id")
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
    created_at: datetime | None = _ts()


class Delivery(SQLModel, table=True):
    """A dispatch of full cylinders to one customer and its door-step confirmation."""

    __table_args__ = (Index("ix_delivery_worker_status", "worker_id", "status"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = _fk("enterprise.id")
    worker_id: uuid.UUID = _fk("app_user.id", index=False)
    vehicle_id: uuid.UUID = _fk("vehicle.id", index=False)
    customer_id: uuid.UUID = _fk("customer.id")
    station_id: uuid.UUID | None = None  # where the cylinders left from (empties go back there)
    codes: list[str] = Field(sa_column=Column(ARRAY(String), nullable=False))
    status: str = Field(default="dispatched", max_length=24)  # dispatched | delivered
    dispatched_at: datetime | None = _ts()
    delivered_at: datetime | None = _ts(nullable=True, default_now=False)  # at the door
    received_at: datetime | None = _ts(nullable=True, default_now=False)  # by the service
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
    otp_expires_at: datetime | None = _ts(nullable=True, default_now=False)
    customer_confirmed_at: datetime | None = _ts(nullable=True, default_now=False)
    customer_confirmation: str | None = Field(default=None, max_length=16)  # otp | signature
    # Wrong codes typed for the current code (void at the limit) and codes sent in all.
    otp_attempts: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    otp_sends: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    signature_png: str | None = None  # base64, when signed on the phone


class Hazard(SQLModel, table=True):
    """A safety-check finding (隐患) followed until it is closed out (整改销号)."""

    __table_args__ = (Index("ix_hazard_open_deadline", "enterprise_id", "status", "deadline"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = _fk("enterprise.id", index=False)
    region_code: str = Field(max_length=6, index=True)
    customer_id: uuid.UUID = _fk("customer.id")
    delivery_id: uuid.UUID | None = None
    item: str = Field(max_length=64)
    note: str | None = Field(default=None, max_length=1000)
    owner: str = Field(max_length=200)  # who must fix it
    deadline: date
    status: str = Field(default="open", max_length=12)  # open | closed
    found_at: datetime | None = _ts()
    found_by: uuid.UUID | None = None
    closed_at: datetime | None = _ts(nullable=True, default_now=False)
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
    created_at: datetime | None = _ts()
    closed_at: datetime | None = _ts(nullable=True, default_now=False)


class RecallItem(SQLModel, table=True):
    __tablename__ = "recall_item"

    recall_id: uuid.UUID = Field(foreign_key="recall_campaign.id", primary_key=True)
    cylinder_id: int = Field(sa_column=Column(BigInteger, primary_key=True))


class Deposit(SQLModel, table=True):
    """A cylinder deposit paid or refunded (产权置换: 200 yuan on a company cylinder)."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = _fk("enterprise.id", index=False)
    customer_id: uuid.UUID = _fk("customer.id")
    cylinder_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    kind: str = Field(max_length=12)  # paid | refunded
    amount_yuan: float
    at: datetime | None = _ts()


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
    at: datetime | None = _ts()


# --- notifications and jobs (issue 8) -----------------------------------------------------------


class Webhook(SQLModel, table=True):
    """Where notifications go: an enterprise's or a regulator region's receiver."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID | None = _fk("enterprise.id", nullable=True)
    region_code: str | None = Field(default=None, max_length=6)  # a regulator's region prefix
    url: str = Field(max_length=500)
    secret: str = Field(max_length=100)  # signs each body (HMAC-SHA256); shown once
    active: bool = True
    created_at: datetime | None = _ts()


class Notification(SQLModel, table=True):
    """The outbox: written in the transaction that caused it; its id is the receivers'
    de-duplication key. (kind, dedupe_key) makes a digest once per enterprise and day."""

    __table_args__ = (UniqueConstraint("kind", "dedupe_key", name="uq_notification_dedupe"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=40)
    dedupe_key: str = Field(max_length=200)
    enterprise_id: uuid.UUID | None = Field(default=None, index=True)
    region_code: str | None = Field(default=None, max_length=6, index=True)
    title_zh: str
    title_en: str
    payload: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime | None = _ts()


class NotificationDelivery(SQLModel, table=True):
    """One notification to one webhook: retried with backoff, dead-lettered after N tries."""

    __tablename__ = "notification_delivery"
    __table_args__ = (
        Index("ix_notification_delivery_due", "next_attempt_at",
              postgresql_where=text("status = 'pending'")),
    )

    notification_id: uuid.UUID = Field(foreign_key="notification.id", primary_key=True)
    webhook_id: uuid.UUID = Field(foreign_key="webhook.id", primary_key=True)
    status: str = Field(default="pending", max_length=12)  # pending | delivered | dead
    attempts: int = 0
    next_attempt_at: datetime | None = _ts()
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = _ts(nullable=True, default_now=False)


class JobRun(SQLModel, table=True):
    """Each run of a scheduled job: what it did, or why it failed."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_name_started", "name", "started_at"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=False), primary_key=True)
    )
    name: str = Field(max_length=60)
    started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    finished_at: datetime | None = _ts(nullable=True, default_now=False)
    status: str = Field(max_length=12)  # ok | error | skipped
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    error: str | None = Field(default=None, max_length=1000)


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
    enterprise_id: uuid.UUID | None = _fk("enterprise.id", nullable=True)
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
    answered_at: datetime | None = _ts(nullable=True, default_now=False)
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime | None = _ts()


class ReportPhoto(SQLModel, table=True):
    """A photo sent with a report: type-checked and size-limited before it is stored."""

    __tablename__ = "report_photo"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    report_id: uuid.UUID = _fk("public_report.id")
    media_type: str = Field(max_length=20)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime | None = _ts()


class LicenceChange(SQLModel, table=True):
    """A regulator's change of a company's or a station's licence: suspend, reinstate, revoke,
    renew; applied on its effective day (at once when that is today)."""

    __tablename__ = "licence_change"
    __table_args__ = (Index("ix_licence_change_pending", "effective_on",
                            postgresql_where=text("applied_at IS NULL")),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = _fk("enterprise.id")
    station_id: uuid.UUID | None = _fk("station.id", nullable=True)
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
    applied_at: datetime | None = _ts(nullable=True, default_now=False)
    created_at: datetime | None = _ts()


class EnforcementRecord(SQLModel, table=True):
    """A penalty, a summons of the managers (约谈) or a warning recorded against a company."""

    __tablename__ = "enforcement_record"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID = _fk("enterprise.id")
    kind: str = Field(max_length=12)
    decided_on: date
    reason: str = Field(max_length=1000)
    document_number: str | None = Field(default=None, max_length=64)
    amount_yuan: int | None = None
    actor: str = Field(max_length=60)
    created_at: datetime | None = _ts()


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
    at: datetime | None = _ts()
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
    created_at: datetime | None = _ts()


class SupervisionVisit(SQLModel, table=True):
    """A regulator's inspection of a station, a company or a delivery point: who (real name,
    signed), when, findings by item, the deadline to rectify, and its re-inspection."""

    __tablename__ = "supervision_visit"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subject: str = Field(max_length=16)
    enterprise_id: uuid.UUID = _fk("enterprise.id")
    station_id: uuid.UUID | None = _fk("station.id", nullable=True, index=False)
    customer_id: uuid.UUID | None = _fk("customer.id", nullable=True, index=False)
    region_code: str = Field(max_length=6, index=True)
    visited_on: date
    inspector_id: uuid.UUID = Field(foreign_key="app_user.id")
    inspector_name: str = Field(max_length=60)
    department: str | None = Field(default=None, max_length=16)
    signed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    findings: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    rectify_by: date | None = None
    status: str = Field(max_length=12)
    reinspection_of: uuid.UUID | None = _fk("supervision_visit.id", nullable=True, index=False)
    reinspected_by_visit: uuid.UUID | None = None
    created_at: datetime | None = _ts()


class SupervisionPhoto(SQLModel, table=True):
    __tablename__ = "supervision_photo"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    visit_id: uuid.UUID = _fk("supervision_visit.id")
    media_type: str = Field(max_length=20)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime | None = _ts()


class MajorHazard(SQLModel, table=True):
    """A major hazard (重大隐患) a visit found, followed under 五定 to its close-out."""

    __tablename__ = "major_hazard"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    visit_id: uuid.UUID = _fk("supervision_visit.id")
    enterprise_id: uuid.UUID = _fk("enterprise.id")
    region_code: str = Field(max_length=6)
    item: str = Field(max_length=64)
    description: str = Field(max_length=1000)
    responsible_person: str | None = Field(default=None, max_length=60)
    measures: str | None = Field(default=None, max_length=2000)
    funds_yuan: int | None = None
    deadline: date | None = None
    contingency_plan: str | None = Field(default=None, max_length=2000)
    status: str = Field(default="open", max_length=12)  # open | closed
    closed_at: datetime | None = _ts(nullable=True, default_now=False)
    closed_by: str | None = Field(default=None, max_length=60)
    close_note: str | None = Field(default=None, max_length=1000)
    created_at: datetime | None = _ts()


class CaseHandover(SQLModel, table=True):
    """A case handed from one department to another (线索移交): both keep seeing it."""

    __tablename__ = "case_handover"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    report_id: uuid.UUID = _fk("public_report.id")
    from_department: str = Field(max_length=16)
    to_department: str = Field(max_length=16)
    note: str = Field(max_length=1000)
    actor: str = Field(max_length=60)
    created_at: datetime | None = _ts()
