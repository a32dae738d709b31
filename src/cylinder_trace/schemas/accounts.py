"""Request and response models of the API: accounts and access."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..domain.access import Department
from ..domain.identifiers import is_valid_credit_code, is_valid_region_code
from ..domain.principal import Role


class Strict(BaseModel):
    """Unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Licence(Strict):
    number: str = Field(min_length=1, max_length=64)
    valid_from: date | None = None
    valid_until: date | None = None
    status: Literal["valid", "suspended", "revoked"] = "valid"


class Certificate(Strict):
    number: str = Field(min_length=1, max_length=64)
    valid_until: date


def _region(value: str) -> str:
    if not is_valid_region_code(value):
        raise ValueError("must be a six-digit administrative division code (行政区划代码)")
    return value


class OrganisationCreate(Strict):
    """What registers a company or an inspection agency: its name, its unified social credit
    code (GB 32100, check character verified) and its region."""

    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(min_length=18, max_length=18)
    region_code: str

    @field_validator("credit_code")
    @classmethod
    def _credit(cls, value: str) -> str:
        value = value.upper()
        if not is_valid_credit_code(value):
            raise ValueError("not a valid unified social credit code (GB 32100 check character)")
        return value

    _check_region = field_validator("region_code")(classmethod(lambda cls, v: _region(v)))


class EnterpriseCreate(OrganisationCreate):
    operating_licence: Licence | None = None
    filling_licence: Licence | None = None
    webhook_url: str | None = Field(default=None, max_length=500)


class EnterpriseOut(BaseModel):
    id: uuid.UUID
    name: str
    credit_code: str
    region_code: str
    operating_licence: Licence | None
    filling_licence: Licence | None
    created_at: datetime | None


class StationCreate(Strict):
    enterprise_id: uuid.UUID
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(default="", max_length=500)
    region_code: str | None = None
    filling_licence: Licence | None = None

    @field_validator("region_code")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return None if value is None else _region(value)


class StationOut(BaseModel):
    id: uuid.UUID
    enterprise_id: uuid.UUID
    name: str
    address: str
    region_code: str
    filling_licence: Licence | None
    locked: bool
    locked_reason: str | None


class StationLock(Strict):
    reason: str = Field(min_length=1, max_length=500)


class ApiKeyCreate(Strict):
    label: str = Field(default="", max_length=100)


class ApiKeyCreated(BaseModel):
    id: uuid.UUID
    station_id: uuid.UUID
    key: str = Field(description="Shown once; only its hash is stored")
    prefix: str


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    station_id: uuid.UUID
    prefix: str
    label: str
    created_at: datetime | None
    revoked_at: datetime | None
    disabled_at: datetime | None = None


class UserCreate(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    role: Role
    enterprise_id: uuid.UUID | None = None
    region_codes: list[str] = Field(default_factory=list, max_length=50)
    certificate: Certificate | None = None
    badge: str | None = Field(default=None, max_length=64)
    department: Department | None = Field(
        default=None, description="a regulator's: market (default), housing, transport, "
        "emergency, fire")

    @field_validator("role")
    @classmethod
    def _not_station(cls, value: Role) -> Role:
        if value == Role.STATION:
            raise ValueError("stations authenticate with API keys, not user accounts")
        return value

    @field_validator("region_codes")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        return [_region(v) for v in value]


class UserOut(BaseModel):
    id: uuid.UUID
    username: str
    role: str
    department: str | None = None
    enterprise_id: uuid.UUID | None
    agency_id: uuid.UUID | None = None  # an inspector's inspection agency
    region_codes: list[str]
    certificate: Certificate | None
    badge: str | None
    active: bool


class VehicleCreate(Strict):
    enterprise_id: uuid.UUID
    plate: str = Field(min_length=2, max_length=20)
    permit: Certificate
    workers: list[uuid.UUID] = Field(default_factory=list, max_length=20)


class VehicleOut(BaseModel):
    id: uuid.UUID
    enterprise_id: uuid.UUID
    plate: str
    permit: Certificate
    workers: list[uuid.UUID]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class PasswordChange(Strict):
    current_password: str = Field(max_length=200)
    new_password: str = Field(min_length=8, max_length=200)


class PasswordReset(Strict):
    new_password: str = Field(min_length=8, max_length=200)


class Health(BaseModel):
    status: str
    database: str
