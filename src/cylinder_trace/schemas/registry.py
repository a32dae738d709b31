"""Request and response models of the API: the cylinder registry and history (inspections are
the agencies': schemas_agencies.py)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from .accounts import Strict

ValveType = Literal["single_phase", "two_phase"]


class CylinderCreate(Strict):
    """Registration (建档). Capacities, tare, valve and service life default from the model."""

    owner_enterprise_id: uuid.UUID | None = Field(
        default=None, description="Defaults to the caller's enterprise"
    )
    manufacturer: str = Field(min_length=1, max_length=200)
    serial_number: str = Field(min_length=1, max_length=64, description="出厂编号")
    model: str = Field(min_length=1, max_length=32, examples=["YSP-35.5"])
    manufacture_date: date
    water_capacity_l: float | None = Field(default=None, gt=0, le=1000)
    tare_kg: float | None = Field(default=None, gt=0, le=500)
    max_fill_kg: float | None = Field(default=None, gt=0, le=500)
    valve_type: ValveType | None = None
    design_life_years: int | None = Field(default=None, ge=1, le=50)
    last_inspection_date: date | None = None
    next_inspection_due: date | None = None
    rfid: str | None = Field(default=None, max_length=80)
    external_code: str | None = Field(
        default=None, max_length=200, description="A GS1 GRAI or GB/T 36051 code it already carries"
    )
    smart_valve_id: str | None = Field(default=None, max_length=64)
    refurbished: bool = False
    insurance_policy: str | None = Field(default=None, max_length=64)
    insurance_valid_until: date | None = None
    station_id: uuid.UUID | None = Field(default=None, description="Where it is now (optional)")

    @model_validator(mode="after")
    def _dates(self) -> CylinderCreate:
        if self.last_inspection_date and self.last_inspection_date < self.manufacture_date:
            raise ValueError("last_inspection_date is before manufacture_date")
        if self.next_inspection_due and self.next_inspection_due < self.manufacture_date:
            raise ValueError("next_inspection_due is before manufacture_date")
        return self


class CylinderStatusOut(BaseModel):
    code: str
    zh: str
    en: str


class CylinderOut(BaseModel):
    id: int
    code: str
    qr_text: str
    owner_enterprise_id: uuid.UUID
    region_code: str
    manufacturer: str
    serial_number: str
    model: str
    water_capacity_l: float
    tare_kg: float
    max_fill_kg: float
    manufacture_date: date
    design_life_years: int | None
    service_life_ends: date
    valve_type: str
    smart_valve_id: str | None
    refurbished: bool
    rfid: str | None
    external_code: str | None
    status: str
    seized: bool
    recalled: bool
    filled: bool
    public_status: CylinderStatusOut
    location_kind: str | None
    location_id: str | None
    last_inspection_date: date | None
    last_inspection_result: str | None
    next_inspection_due: date | None
    last_fill_at: datetime | None
    last_fill_station_id: uuid.UUID | None
    insurance_policy: str | None
    insurance_valid_until: date | None
    created_at: datetime | None


class CylinderPage(BaseModel):
    items: list[CylinderOut]
    next_cursor: str | None


class TagBind(Strict):
    rfid: str = Field(min_length=1, max_length=80)
    reason: str | None = Field(default=None, max_length=500)


class EventOut(BaseModel):
    id: int
    kind: str
    occurred_at: datetime
    recorded_at: datetime | None
    actor_kind: str
    actor_id: str | None
    station_id: uuid.UUID | None
    enterprise_id: uuid.UUID | None
    payload: dict[str, Any]
    prev_hash: str | None = None
    hash: str | None = None


class HistoryPage(BaseModel):
    code: str
    chain_head: str | None = Field(
        default=None, description="Hash of the newest event: a copy of the history can be "
        "checked against it (cylinder-trace verify)")
    items: list[EventOut]
    next_cursor: str | None


class ImportRowError(BaseModel):
    row: int = Field(description="Line number in the file (the header is line 1)")
    field: str | None
    code: str
    message: str


class ImportReport(BaseModel):
    total: int
    imported: int
    rejected: int
    errors: list[ImportRowError]
    codes: list[str] = Field(description="The new codes, in the order of the valid rows")
    seconds: float
