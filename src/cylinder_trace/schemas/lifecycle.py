"""Request and response models of the API: customers, deliveries, hazards, recalls, custody."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from .accounts import Strict

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


class Contract(Strict):
    number: str = Field(min_length=1, max_length=64)
    valid_until: date


class CustomerCreate(Strict):
    enterprise_id: uuid.UUID | None = None
    kind: Literal["resident", "non_resident"]
    name: str = Field(min_length=1, max_length=200)
    id_number: str = Field(min_length=6, max_length=32, description="ID document number")
    phone: str = Field(min_length=7, max_length=20)
    address: str = Field(min_length=1, max_length=500)
    contract: Contract | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        value = value.replace(" ", "")
        if not _PHONE.match(value):
            raise ValueError("not a mobile (11 digits) or landline number")
        return value

    @model_validator(mode="after")
    def _contract(self) -> CustomerCreate:
        if self.kind == "non_resident" and self.contract is None:
            raise ValueError("a non-resident customer needs a supply contract (用气合同)")
        return self


class CustomerOut(BaseModel):
    id: uuid.UUID
    enterprise_id: uuid.UUID
    kind: str
    name: str
    id_number: str = Field(description="Masked")
    phone: str = Field(description="Masked")
    address: str
    contract: Contract | None
    cylinders_held: list[dict[str, Any]] = Field(default_factory=list)
    deposits_paid_yuan: float = 0
    deposits_refunded_yuan: float = 0


class DepositCreate(Strict):
    kind: Literal["paid", "refunded"]
    amount_yuan: float = Field(gt=0, le=10000)
    cylinder_code: str | None = Field(default=None, max_length=200)


class DeliveryCreate(Strict):
    worker_id: uuid.UUID
    vehicle_id: uuid.UUID
    customer_id: uuid.UUID
    codes: list[str] = Field(min_length=1, max_length=50)


class Location(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=100000)


class CheckItem(Strict):
    item: str = Field(min_length=1, max_length=64)
    ok: bool
    note: str | None = Field(default=None, max_length=1000)


class SafetyCheck(Strict):
    passed: bool
    items: list[CheckItem] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> SafetyCheck:
        if self.passed != all(i.ok for i in self.items):
            raise ValueError("passed must be true exactly when every item is ok")
        return self


class DeliveryConfirm(Strict):
    scans: list[str] = Field(min_length=1, max_length=50)
    location: Location
    safety_check: SafetyCheck
    empties: list[str] = Field(default_factory=list, max_length=50)
    signature_png_base64: str | None = Field(default=None, max_length=400_000)
    # when the worker confirmed at the door, by the phone's clock (a confirmation made offline
    # arrives later); at most 7 days old and not in the future (5 minutes of clock skew)
    made_at: AwareDatetime | None = None


class CustomerConfirm(Strict):
    code: str = Field(min_length=4, max_length=12)


class DeliveryOut(BaseModel):
    id: uuid.UUID
    enterprise_id: uuid.UUID
    worker_id: uuid.UUID
    vehicle_id: uuid.UUID
    customer_id: uuid.UUID
    codes: list[str]
    status: str
    dispatched_at: datetime | None
    delivered_at: datetime | None
    received_at: datetime | None = None
    location: dict[str, Any] | None
    safety_check: dict[str, Any] | None
    empties: list[str]
    hazards: list[uuid.UUID] = Field(default_factory=list)
    customer_confirmed_at: datetime | None
    customer_confirmation: str | None


class HazardOut(BaseModel):
    id: uuid.UUID
    enterprise_id: uuid.UUID
    region_code: str
    customer_id: uuid.UUID
    delivery_id: uuid.UUID | None
    item: str
    item_zh: str | None
    item_en: str | None
    note: str | None
    owner: str
    deadline: date
    overdue: bool
    status: str
    found_at: datetime | None
    closed_at: datetime | None
    close_note: str | None


class HazardClose(Strict):
    note: str = Field(min_length=1, max_length=1000)


class RecallCriteria(Strict):
    manufacturer: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=32)
    made_from: date | None = None
    made_until: date | None = None
    valve_type: Literal["single_phase", "two_phase"] | None = None
    codes: list[str] | None = Field(default=None, max_length=10000)

    @model_validator(mode="after")
    def _something(self) -> RecallCriteria:
        if not any(v is not None for v in self.model_dump().values()):
            raise ValueError("a recall needs at least one criterion")
        return self


class RecallCreate(Strict):
    reason: str = Field(min_length=1, max_length=1000)
    criteria: RecallCriteria
    enterprise_id: uuid.UUID | None = Field(default=None,
                                            description="Limit to one company's cylinders")


class RecallOut(BaseModel):
    id: uuid.UUID
    reason: str
    criteria: dict[str, Any]
    status: str
    matched: int
    returned_to_station: int
    scrapped: int
    outstanding: int
    created_at: datetime | None
    closed_at: datetime | None


class Reason(Strict):
    reason: str = Field(min_length=1, max_length=1000)


class HandedInBy(Strict):
    name: str = Field(min_length=1, max_length=200)
    id_number: str = Field(min_length=6, max_length=32)
    phone: str = Field(min_length=7, max_length=20)
    address: str = Field(min_length=1, max_length=500)


class ScrapCreate(Strict):
    """A hand-over for scrapping (报废): the named inspection agency scraps it (issue 19)."""

    agency_id: uuid.UUID = Field(description="The inspection agency the cylinder goes to")
    reason: str = Field(min_length=1, max_length=1000)
    handed_in_by: HandedInBy | None = Field(
        default=None, description="Who handed a recovered cylinder in (real name)")


class TransferCreate(Strict):
    to_enterprise_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=1000)


class EntrustCreate(Strict):
    to_enterprise_id: uuid.UUID
    until: date
    reason: str | None = Field(default=None, max_length=1000)


class ReturnCreate(Strict):
    station_id: uuid.UUID
    customer_id: uuid.UUID | None = None
