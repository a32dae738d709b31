"""Routes of seizure, release, scrapping, transfer, entrustment and recalls."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from ...schemas.lifecycle import (
    EntrustCreate,
    Reason,
    RecallCreate,
    RecallOut,
    ScrapCreate,
    TransferCreate,
)
from ...schemas.registry import CylinderOut
from ...services import custody, inspections
from ..deps import Action, CurrentPrincipal, SessionDep, acts
from .cylinders import cylinder_out

router = APIRouter(prefix="/api/v1")


def _done(session: SessionDep, c: object) -> CylinderOut:
    session.flush()
    session.refresh(c)
    return cylinder_out(c)  # type: ignore[arg-type]


@router.post("/cylinders/{code}/seizure",
             dependencies=[acts(Action.SEIZE)], response_model=CylinderOut, tags=["custody"])
def seize(code: str, body: Reason, session: SessionDep,
          principal: CurrentPrincipal) -> CylinderOut:
    """查封扣押: every fill is refused (SEIZED) until release."""
    return _done(session, custody.seize(session, principal, code, body.reason))


@router.post("/cylinders/{code}/release",
             dependencies=[acts(Action.RELEASE)], response_model=CylinderOut, tags=["custody"])
def release(code: str, body: Reason, session: SessionDep,
            principal: CurrentPrincipal) -> CylinderOut:
    return _done(session, custody.release(session, principal, code, body.reason))


@router.post("/cylinders/{code}/scrap",
             dependencies=[acts(Action.SCRAP)], response_model=CylinderOut, tags=["custody"])
def scrap(code: str, body: ScrapCreate, session: SessionDep,
          principal: CurrentPrincipal) -> CylinderOut:
    """Hand the cylinder to an inspection agency for scrapping (报废): it waits there, refused at
    every scale, until the agency scraps it (…/scrap/accept). A recovered cylinder records who
    handed it in."""
    return _done(session, inspections.hand_over(session, principal, code, body))


@router.post("/cylinders/{code}/transfer",
             dependencies=[acts(Action.TRANSFER)], response_model=CylinderOut, tags=["custody"])
def transfer(code: str, body: TransferCreate, session: SessionDep,
             principal: CurrentPrincipal) -> CylinderOut:
    """产权置换: ownership moves to another enterprise."""
    return _done(session, custody.transfer(session, principal, code, body))


@router.post("/cylinders/{code}/entrust",
             dependencies=[acts(Action.ENTRUST)], response_model=CylinderOut, tags=["custody"])
def entrust(code: str, body: EntrustCreate, session: SessionDep,
            principal: CurrentPrincipal) -> CylinderOut:
    """托管: another company may fill it until a date (NOT_OWNED does not apply there)."""
    return _done(session, custody.entrust(session, principal, code, body))


@router.post("/recalls",
             dependencies=[acts(Action.RECALL)], response_model=RecallOut,
             status_code=status.HTTP_201_CREATED,
             tags=["recalls"])
def start_recall(body: RecallCreate, session: SessionDep,
                 principal: CurrentPrincipal) -> RecallOut:
    """A recall campaign: every matching cylinder in scope is marked recalled at once."""
    campaign = custody.start_recall(session, principal, body)
    session.flush()
    return custody.recall_out(session, campaign)


@router.get("/recalls", response_model=list[RecallOut], tags=["recalls"])
def list_recalls(session: SessionDep, principal: CurrentPrincipal) -> list[RecallOut]:
    """The campaigns in the caller's scope with their progress, open ones first."""
    return [custody.recall_out(session, c) for c in custody.list_recalls(session, principal)]


@router.get("/recalls/{recall_id}", response_model=RecallOut, tags=["recalls"])
def get_recall(recall_id: uuid.UUID, session: SessionDep,
               principal: CurrentPrincipal) -> RecallOut:
    """The campaign and its progress: back at a station, scrapped, outstanding."""
    return custody.recall_out(session, custody.recall_for(session, principal, recall_id))


@router.post("/recalls/{recall_id}/close",
             dependencies=[acts(Action.CLOSE_RECALL)], response_model=RecallOut, tags=["recalls"])
def close_recall(recall_id: uuid.UUID, session: SessionDep,
                 principal: CurrentPrincipal) -> RecallOut:
    campaign = custody.close_recall(session, principal, recall_id)
    session.flush()
    return custody.recall_out(session, campaign)
