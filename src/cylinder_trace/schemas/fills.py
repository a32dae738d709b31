"""Request and response models of the API: fill authorizations and fills."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from .accounts import Strict


class FillAuthorizationRequest(Strict):
    scan: str = Field(default="", max_length=512, description="Raw text from the scanner")
    rfid: str | None = Field(default=None, max_length=80, description="Tag id read, as hex")
    operator: str | None = Field(default=None, min_length=1, max_length=64,
                                 description="The operator's badge, when scanned")

    @model_validator(mode="after")
    def _something_read(self) -> FillAuthorizationRequest:
        if not self.scan.strip() and not (self.rfid and self.rfid.strip()):
            raise ValueError("give the scanned text (scan), a tag id (rfid), or both")
        return self


class Message(BaseModel):
    code: str
    message_zh: str
    message_en: str


class CylinderBrief(BaseModel):
    code: str
    model: str
    tare_kg: float
    max_fill_kg: float


class ScanInfo(BaseModel):
    form: str | None
    error: str | None
    detail: str | None


class FillAuthorizationOut(BaseModel):
    decision: Literal["allow", "deny"]
    reasons: list[Message]
    warnings: list[Message]
    authorization_id: uuid.UUID | None
    expires_at: datetime | None
    cylinder: CylinderBrief | None
    scan: ScanInfo


class PreFillItem(Strict):
    item: str = Field(min_length=1, max_length=64)
    ok: bool
    note: str | None = Field(default=None, max_length=500)


class PreFillCheck(Strict):
    passed: bool
    items: list[PreFillItem] = Field(default_factory=list, max_length=50)


class FillCreate(Strict):
    authorization_id: uuid.UUID
    net_kg: float = Field(gt=0, le=500)
    gross_kg: float | None = Field(default=None, gt=0, le=1000)
    operator: str | None = Field(default=None, min_length=1, max_length=64,
                                 description="The operator's badge")
    gas_batch: str | None = Field(default=None, max_length=64)
    pre_fill_check: PreFillCheck | None = None

    @model_validator(mode="after")
    def _gross_above_net(self) -> FillCreate:
        if self.gross_kg is not None and self.gross_kg <= self.net_kg:
            raise ValueError("gross_kg must be more than net_kg")
        return self


class FillOut(BaseModel):
    id: uuid.UUID
    authorization_id: uuid.UUID
    cylinder_code: str
    station_id: uuid.UUID
    operator_id: uuid.UUID | None
    net_kg: float
    gross_kg: float | None
    gas_batch: str | None
    flags: list[Message]
    filled_at: datetime
