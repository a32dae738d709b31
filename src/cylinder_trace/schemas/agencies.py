"""Request and response models of the API: inspection agencies, their inspectors, and the acts
only they record (inspections, valve conversions, accepting a cylinder for scrapping)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from .accounts import Certificate, OrganisationCreate, Strict


class Approval(Strict):
    """The agency's approval (核准证): number, validity and state."""

    number: str = Field(min_length=1, max_length=64)
    valid_from: date | None = None
    valid_until: date
    status: Literal["valid", "suspended", "revoked"] = "valid"

    @model_validator(mode="after")
    def _order(self) -> Approval:
        if self.valid_from is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self


class AgencyCreate(OrganisationCreate):
    approval: Approval


class AgencyUpdate(Strict):
    """Renew, suspend or revoke the approval (platform admin)."""

    approval: Approval


class AgencyOut(BaseModel):
    id: uuid.UUID
    name: str
    credit_code: str
    region_code: str
    approval: Approval
    approval_valid_today: bool
    created_at: datetime | None


class InspectorCreate(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    certificate: Certificate


class InspectionCreate(Strict):
    """A periodic inspection (GB/T 8334) recorded by the agency's inspector: the agency is the
    caller's, never a field of the body."""

    inspected_on: date
    result: Literal["pass", "fail"]
    report_number: str = Field(min_length=1, max_length=64)
    next_due: date | None = Field(
        default=None, description="Stamped by the agency; required when the result is pass")
    # A two-phase valve converted in the same visit: recorded as its own event too.
    valve_converted: bool = False
    smart_valve_id: str | None = Field(default=None, max_length=64)
    notes: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _due(self) -> InspectionCreate:
        if self.result == "pass" and self.next_due is None:
            raise ValueError("a passed inspection needs next_due, the date the agency stamps")
        if self.next_due is not None and self.next_due <= self.inspected_on:
            raise ValueError("next_due must be after inspected_on")
        return self


class ValveConversionCreate(Strict):
    """气液双相 → single phase, by the agency; optionally fitting a smart angle valve."""

    converted_on: date
    report_number: str = Field(min_length=1, max_length=64)
    smart_valve_id: str | None = Field(default=None, max_length=64)
    notes: str | None = Field(default=None, max_length=1000)


class ScrapAccept(Strict):
    """The agency accepts a handed-over cylinder and destroys it (报废)."""

    certificate_number: str = Field(min_length=1, max_length=64,
                                    description="The agency's scrapping certificate (报废证明)")
    notes: str | None = Field(default=None, max_length=1000)


class InspectionOut(BaseModel):
    id: int
    code: str
    kind: str
    agency_id: uuid.UUID | None
    agency_name: str
    registered_agency: bool = Field(description="False for records made before agencies were "
                                    "registered: history only")
    inspector_id: uuid.UUID | None
    inspected_on: date
    result: str | None
    next_due: date | None
    report_number: str | None
    recorded_at: datetime | None
