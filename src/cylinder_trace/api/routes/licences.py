"""Routes of licence changes (suspend, reinstate, revoke, renew) and enforcement records
(penalties, summons, warnings): the regulators write, the company and the regulators read."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Form, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...db.tables.supervision import EnforcementRecord, LicenceChange
from ...domain.errors import Invalid
from ...services import licences
from ..deps import Action, CurrentPrincipal, Principal, Role, SessionDep, acts
from ..pages.session import form_post

router = APIRouter(prefix="/api/v1", tags=["regulation"])


class LicenceChangeIn(BaseModel):
    action: str = Field(description="suspend | reinstate | revoke | renew")
    reason: str = Field(min_length=2, max_length=500)
    effective_on: date | None = Field(default=None, description="today when absent")
    number: str | None = Field(default=None, max_length=64, description="renew: new number")
    valid_until: date | None = Field(default=None, description="renew: new validity")


class LicenceChangeOut(BaseModel):
    id: uuid.UUID
    enterprise_id: uuid.UUID
    station_id: uuid.UUID | None
    licence: str
    action: str
    reason: str
    effective_on: date
    number: str | None
    valid_until: date | None
    status_before: str | None
    status_after: str
    actor: str
    actor_role: str
    applied_at: datetime | None
    created_at: datetime | None


class EnforcementIn(BaseModel):
    kind: str = Field(description="penalty | summons | warning")
    decided_on: date
    reason: str = Field(min_length=2, max_length=1000)
    document_number: str | None = Field(default=None, max_length=64)
    amount_yuan: int | None = Field(default=None, ge=0, le=100_000_000)


class EnforcementOut(BaseModel):
    id: uuid.UUID
    enterprise_id: uuid.UUID
    kind: str
    decided_on: date
    reason: str
    document_number: str | None
    amount_yuan: int | None
    actor: str
    created_at: datetime | None


def change_out(c: LicenceChange) -> LicenceChangeOut:
    return LicenceChangeOut.model_validate(c, from_attributes=True)


@router.post("/enterprises/{enterprise_id}/licences/{licence}/changes",
             dependencies=[acts(Action.CHANGE_LICENCE)],
             response_model=LicenceChangeOut, status_code=status.HTTP_201_CREATED)
def change_enterprise_licence(enterprise_id: uuid.UUID, licence: str, body: LicenceChangeIn,
                              session: SessionDep,
                              principal: CurrentPrincipal) -> LicenceChangeOut:
    """A regulator suspends, reinstates, revokes or renews a company's filling or operating
    licence. Effective today unless a later day is given; the company is notified."""
    return change_out(licences.change_licence(
        session, principal, enterprise_id, licence=licence, **body.model_dump()))


@router.post("/stations/{station_id}/licences/filling/changes",
             dependencies=[acts(Action.CHANGE_LICENCE)],
             response_model=LicenceChangeOut, status_code=status.HTTP_201_CREATED)
def change_station_licence(station_id: uuid.UUID, body: LicenceChangeIn, session: SessionDep,
                           principal: CurrentPrincipal) -> LicenceChangeOut:
    """The same for one station's own filling licence."""
    from ...db.tables.accounts import Station

    station = session.get(Station, station_id)
    enterprise_id = station.enterprise_id if station else uuid.UUID(int=0)
    return change_out(licences.change_licence(
        session, principal, enterprise_id, licence="filling", station_id=station_id,
        **body.model_dump()))


@router.get("/enterprises/{enterprise_id}/licence-changes",
            response_model=list[LicenceChangeOut])
def list_licence_changes(enterprise_id: uuid.UUID, session: SessionDep,
                         principal: CurrentPrincipal) -> list[LicenceChangeOut]:
    return [change_out(c) for c in licences.changes_of(session, principal, enterprise_id)]


@router.post("/enterprises/{enterprise_id}/enforcement",
             dependencies=[acts(Action.RECORD_ENFORCEMENT)], response_model=EnforcementOut,
             status_code=status.HTTP_201_CREATED)
def record_enforcement(enterprise_id: uuid.UUID, body: EnforcementIn, session: SessionDep,
                       principal: CurrentPrincipal) -> EnforcementOut:
    """行政处罚、约谈、警告 recorded against the company (it is notified and reads them)."""
    r: EnforcementRecord = licences.record_enforcement(session, principal, enterprise_id,
                                                       **body.model_dump())
    return EnforcementOut.model_validate(r, from_attributes=True)


@router.get("/enterprises/{enterprise_id}/enforcement", response_model=list[EnforcementOut])
def list_enforcement(enterprise_id: uuid.UUID, session: SessionDep,
                     principal: CurrentPrincipal) -> list[EnforcementOut]:
    return [EnforcementOut.model_validate(r, from_attributes=True)
            for r in licences.enforcement_of(session, principal, enterprise_id)]


# -- on the enterprise page ---------------------------------------------------------------

pages = APIRouter(include_in_schema=False)


def context(session: SessionDep, principal: Principal, enterprise_id: uuid.UUID,
            stations: list[Any], error: str | None) -> dict[str, Any]:
    """What the enterprise page shows of licence changes and enforcement, and whether the
    caller may act on them (a regulator over the region, or the platform)."""
    from ...domain import licences as rules

    return {"changes": licences.changes_of(session, principal, enterprise_id),
            "enforcement": licences.enforcement_of(session, principal, enterprise_id),
            "actions": dict(rules.ACTION_TEXT), "enforcement_kinds": dict(rules.ENFORCEMENT_TEXT),
            "station_names": {s.id: s.name for s in stations},
            "can_regulate": principal.role in (Role.REGULATOR, Role.PLATFORM_ADMIN),
            "error": error[:300] if error else None}


def _form_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise Invalid("Dates are YYYY-MM-DD") from exc


@pages.post("/enterprises/{enterprise_id}/licence-changes")
def licence_change_form(
    enterprise_id: uuid.UUID, session: SessionDep, csrf: Annotated[str, Form(max_length=64)],
    target: Annotated[str, Form(max_length=60)], action: Annotated[str, Form(max_length=12)],
    reason: Annotated[str, Form(min_length=2, max_length=500)],
    effective_on: Annotated[str | None, Form(max_length=10)] = None,
    number: Annotated[str | None, Form(max_length=64)] = None,
    valid_until: Annotated[str | None, Form(max_length=10)] = None,
    ct_session: Annotated[str | None, Cookie()] = None,
) -> Response:
    def act(principal: Principal) -> object:
        station_id = uuid.UUID(target.split(":", 1)[1]) if target.startswith("station:") \
            else None
        return licences.change_licence(
            session, principal, enterprise_id, licence="filling" if station_id else target,
            action=action, reason=reason, effective_on=_form_date(effective_on),
            number=number or None, valid_until=_form_date(valid_until), station_id=station_id)
    return form_post(session, ct_session, csrf, f"/enterprises/{enterprise_id}", act)


@pages.post("/enterprises/{enterprise_id}/enforcement")
def enforcement_form(
    enterprise_id: uuid.UUID, session: SessionDep, csrf: Annotated[str, Form(max_length=64)],
    kind: Annotated[str, Form(max_length=12)], decided_on: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(min_length=2, max_length=1000)],
    document_number: Annotated[str | None, Form(max_length=64)] = None,
    amount_yuan: Annotated[str | None, Form(max_length=12)] = None,
    ct_session: Annotated[str | None, Cookie()] = None,
) -> Response:
    def act(principal: Principal) -> object:
        if amount_yuan and not amount_yuan.isdigit():
            raise Invalid("The amount is a whole number of yuan")
        return licences.record_enforcement(
            session, principal, enterprise_id, kind=kind,
            decided_on=_form_date(decided_on) or date.min, reason=reason,
            document_number=document_number or None,
            amount_yuan=int(amount_yuan) if amount_yuan else None)
    return form_post(session, ct_session, csrf, f"/enterprises/{enterprise_id}", act)
