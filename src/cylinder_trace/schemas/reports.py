"""Response models of the read-only reports: statistics, the fill check, a worker's open
dispatches, unregistered scans, checklists and EPCIS documents. They are what the routes
already answered, written down so that a generated client gets types instead of `Any`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .fills import Message
from .lifecycle import DeliveryOut


class CylinderCounts(BaseModel):
    total: int
    in_service: int
    overdue: int
    due_30_days: int
    failed: int
    recalled: int
    seized: int
    scrapped: int


class EnterpriseCylinderCounts(CylinderCounts):
    enterprise_id: uuid.UUID
    name: str


class CylinderStats(BaseModel):
    totals: CylinderCounts
    by_enterprise: list[EnterpriseCylinderCounts]


class FillsOnDay(BaseModel):
    day: date = Field(description="An Asia/Shanghai day")
    fills: int
    denied: int


class DenyReasonCount(BaseModel):
    code: str
    count: int
    message_zh: str
    message_en: str


class ChecklistItem(BaseModel):
    item: str
    zh: str
    en: str


class StationBrief(BaseModel):
    id: uuid.UUID
    name: str


class PublicStatus(BaseModel):
    code: str
    zh: str
    en: str
    colour: str


class FillCheckCylinder(BaseModel):
    code: str
    public_status: PublicStatus
    # Only for a cylinder in the caller's scope; absent for another company's.
    model: str | None = None
    next_inspection_due: date | None = None
    location_kind: str | None = None
    filled: bool | None = None


class FillCheckOut(BaseModel):
    decision: Literal["allow", "deny"]
    reasons: list[Message]
    warnings: list[Message]
    station: StationBrief
    signed: bool
    cylinder: FillCheckCylinder | None


class DoorCustomer(BaseModel):
    name: str
    address: str
    phone: str = Field(description="Masked, e.g. 138****5678")
    kind: str


class OpenDelivery(DeliveryOut):
    customer: DoorCustomer
    checklist: list[ChecklistItem]


class UnregisteredScanOut(BaseModel):
    id: int
    station_id: uuid.UUID
    station: str
    scanned_at: datetime | None
    scan: str
    rfid: str | None
    reason: str
    detail: str


class EpcisReadPoint(BaseModel):
    id: str


class EpcisObjectEvent(BaseModel):
    """One GS1 EPCIS 2.0 ObjectEvent; `ct:*` members are this service's extensions."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    # member names as EPCIS spells them
    type: Literal["ObjectEvent"]
    eventTime: datetime
    eventTimeZoneOffset: str
    epcList: list[str]
    action: Literal["ADD", "OBSERVE", "DELETE"]
    bizStep: str
    disposition: str
    eventID: str | None = None
    readPoint: EpcisReadPoint | None = None
    ct_kind: str = Field(alias="ct:kind")


class EpcisBody(BaseModel):
    eventList: list[EpcisObjectEvent]


class EpcisDocument(BaseModel):
    """A GS1 EPCIS 2.0 document (JSON-LD), as `GET …/epcis` and `GET /epcis/events` stream it."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    context: list[Any] = Field(alias="@context")
    type: Literal["EPCISDocument"]
    schemaVersion: str
    creationDate: datetime
    chain_head: str | None = Field(
        default=None, alias="ct:chainHead",
        description="Hash of the newest event of the cylinder (one cylinder's export only)")
    epcisBody: EpcisBody
