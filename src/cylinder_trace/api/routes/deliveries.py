"""Routes of customers, deliveries, door-step confirmation, hazards and returns."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, status
from fastapi.responses import JSONResponse
from sqlmodel import col, select

from ...db.scope import visible
from ...db.tables.lifecycle import Delivery, Hazard
from ...domain.checklists import checklist
from ...schemas.lifecycle import (
    CustomerConfirm,
    CustomerCreate,
    CustomerOut,
    DeliveryConfirm,
    DeliveryCreate,
    DeliveryOut,
    DepositCreate,
    HazardClose,
    HazardOut,
    ReturnCreate,
)
from ...schemas.registry import CylinderOut
from ...schemas.reports import ChecklistItem
from ...services import customers, delivery, registry
from ..deps import Action, CurrentPrincipal, Principal, SessionDep, acts
from ..idempotent import Answer, answered_once
from .cylinders import cylinder_out

router = APIRouter(prefix="/api/v1")


def delivery_out(d: Delivery, hazards: list[uuid.UUID] | None = None) -> DeliveryOut:
    return DeliveryOut(
        id=d.id, enterprise_id=d.enterprise_id, worker_id=d.worker_id, vehicle_id=d.vehicle_id,
        customer_id=d.customer_id, codes=d.codes, status=d.status,
        dispatched_at=d.dispatched_at, delivered_at=d.delivered_at, received_at=d.received_at,
        location=d.location,
        safety_check=d.safety_check, empties=d.empties, hazards=hazards or [],
        customer_confirmed_at=d.customer_confirmed_at,
        customer_confirmation=d.customer_confirmation)


def hazard_out(h: Hazard) -> HazardOut:
    labels = checklist("non_resident").get(h.item, (None, None))
    return HazardOut(
        id=h.id, enterprise_id=h.enterprise_id, region_code=h.region_code,
        customer_id=h.customer_id, delivery_id=h.delivery_id, item=h.item, item_zh=labels[0],
        item_en=labels[1], note=h.note, owner=h.owner, deadline=h.deadline,
        overdue=h.status == "open" and h.deadline < registry.today(), status=h.status,
        found_at=h.found_at, closed_at=h.closed_at, close_note=h.close_note)


@router.post("/customers",
             dependencies=[acts(Action.MANAGE_CUSTOMER)], response_model=CustomerOut,
             status_code=status.HTTP_201_CREATED,
             tags=["customers"])
def create_customer(body: CustomerCreate, session: SessionDep,
                    principal: CurrentPrincipal) -> CustomerOut:
    """A real-name customer; the ID number and phone are stored encrypted and shown masked."""
    customer = customers.create_customer(session, principal, body)
    session.flush()
    return customers.customer_out(session, customer)


@router.get("/customers",
            dependencies=[acts(Action.SEARCH_CUSTOMERS)], response_model=list[CustomerOut],
            tags=["customers"])
def search_customers(
    session: SessionDep, principal: CurrentPrincipal,
    id_number: str | None = Query(default=None, max_length=32),
    phone: str | None = Query(default=None, max_length=20),
) -> list[CustomerOut]:
    """Find a customer by the full ID number or phone (exact match only)."""
    found = customers.search_customers(session, principal, id_number, phone)
    return [customers.customer_out(session, c) for c in found]


@router.get("/customers/{customer_id}", response_model=CustomerOut, tags=["customers"])
def get_customer(customer_id: uuid.UUID, session: SessionDep,
                 principal: CurrentPrincipal) -> CustomerOut:
    """The customer, masked, with the cylinders they hold and their deposits."""
    return customers.customer_out(session, customers.customer_for(session, principal,
                                                                  customer_id))


@router.post("/customers/{customer_id}/deposits",
             dependencies=[acts(Action.MANAGE_CUSTOMER)], status_code=status.HTTP_201_CREATED,
             response_model=CustomerOut, tags=["customers"])
def add_deposit(customer_id: uuid.UUID, body: DepositCreate, session: SessionDep,
                principal: CurrentPrincipal) -> CustomerOut:
    customers.add_deposit(session, principal, customer_id, body)
    session.flush()
    return customers.customer_out(session, customers.customer_for(session, principal,
                                                                  customer_id))


@router.get("/checklists/{kind}", tags=["deliveries"], response_model=list[ChecklistItem])
def get_checklist(kind: Literal["resident", "non_resident"]) -> list[dict[str, str]]:
    """The door-step safety checklist (随瓶安检) for a kind of customer."""
    return [{"item": k, "zh": zh, "en": en} for k, (zh, en) in checklist(kind).items()]


@router.post("/deliveries",
             dependencies=[acts(Action.DISPATCH)], response_model=DeliveryOut,
             status_code=status.HTTP_201_CREATED,
             tags=["deliveries"])
def dispatch(body: DeliveryCreate, session: SessionDep,
             principal: CurrentPrincipal) -> DeliveryOut:
    """Dispatch full cylinders to a customer; every refusal is listed in `problems`."""
    d = delivery.dispatch(session, principal, body)
    session.flush()
    return delivery_out(d)


def scoped_deliveries(principal: Principal, query: Any) -> Any:
    """The deliveries a caller may list: a worker's own, an enterprise's, or all. By
    enterprise only (region=None): a list of customers' doorsteps is the company's."""
    return query.where(visible(principal, col(Delivery.enterprise_id), None,
                               assignee=col(Delivery.worker_id)))


@router.get("/deliveries", response_model=list[DeliveryOut], tags=["deliveries"])
def list_deliveries(session: SessionDep, principal: CurrentPrincipal,
                    status_: Literal["dispatched", "delivered"] | None = Query(
                        default=None, alias="status")) -> list[DeliveryOut]:
    """A worker's own deliveries (or the company's, for an admin), newest first."""
    query = scoped_deliveries(principal, select(Delivery))
    if status_:
        query = query.where(col(Delivery.status) == status_)
    rows = session.exec(query.order_by(col(Delivery.dispatched_at).desc()).limit(200)).all()
    return [delivery_out(d) for d in rows]


@router.get("/deliveries/{delivery_id}", response_model=DeliveryOut, tags=["deliveries"])
def get_delivery(delivery_id: uuid.UUID, session: SessionDep,
                 principal: CurrentPrincipal) -> DeliveryOut:
    return delivery_out(delivery.delivery_for(session, principal, delivery_id))


@router.post("/deliveries/{delivery_id}/confirm",
             dependencies=[acts(Action.CONFIRM_DELIVERY)], response_model=DeliveryOut,
             tags=["deliveries"])
def confirm(delivery_id: uuid.UUID, body: DeliveryConfirm, session: SessionDep,
            principal: CurrentPrincipal,
            idempotency_key: Annotated[str | None, Header()] = None) -> JSONResponse:
    """The drop-off at the door: scans, place, safety check, empties. A one-time code goes to
    the customer's phone for their side of the confirmation. `Idempotency-Key` honoured."""
    def write() -> Answer:
        d, hazards = delivery.confirm(session, principal, delivery_id, body)
        return 200, delivery_out(d, hazards).model_dump(mode="json")

    return answered_once(session, f"delivery-confirm:{delivery_id}", idempotency_key, body,
                         write)


@router.post("/deliveries/{delivery_id}/customer-confirmation",
             dependencies=[acts(Action.CUSTOMER_CODE)], response_model=DeliveryOut,
             tags=["deliveries"])
def customer_confirmation(delivery_id: uuid.UUID, body: CustomerConfirm, session: SessionDep,
                          principal: CurrentPrincipal) -> DeliveryOut:
    d = delivery.customer_confirm(session, principal, delivery_id, body.code)
    session.flush()
    return delivery_out(d)


@router.post("/deliveries/{delivery_id}/customer-code",
             dependencies=[acts(Action.CUSTOMER_CODE)], response_model=DeliveryOut,
             tags=["deliveries"])
def resend_customer_code(delivery_id: uuid.UUID, session: SessionDep,
                         principal: CurrentPrincipal) -> DeliveryOut:
    """Send the customer a new one-time code (the last one is void from now on)."""
    d = delivery.resend_code(session, principal, delivery_id)
    session.flush()
    return delivery_out(d)


@router.get("/hazards", response_model=list[HazardOut], tags=["hazards"])
def list_hazards(
    session: SessionDep, principal: CurrentPrincipal,
    status_: Literal["open", "closed"] | None = Query(default=None, alias="status"),
    overdue: bool | None = None, enterprise_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
) -> list[HazardOut]:
    """The hazard ledger (隐患台账): the company's, or a regulator's regions'."""
    rows = delivery.hazards(session, principal, status_, overdue, enterprise_id, customer_id)
    return [hazard_out(h) for h in rows]


@router.post("/hazards/{hazard_id}/close",
             dependencies=[acts(Action.CLOSE_HAZARD)], response_model=HazardOut, tags=["hazards"])
def close_hazard(hazard_id: uuid.UUID, body: HazardClose, session: SessionDep,
                 principal: CurrentPrincipal) -> HazardOut:
    """Close out a hazard with what was done (整改销号)."""
    h = delivery.close_hazard(session, principal, hazard_id, body)
    session.flush()
    return hazard_out(h)


@router.post("/cylinders/{code}/return",
             dependencies=[acts(Action.RETURN)], response_model=CylinderOut, tags=["cylinders"])
def return_cylinder(code: str, body: ReturnCreate, session: SessionDep,
                    principal: CurrentPrincipal) -> CylinderOut:
    """An empty brought back to a station without a delivery."""
    c = delivery.return_cylinder(session, principal, code, body)
    session.flush()
    session.refresh(c)
    return cylinder_out(c)
