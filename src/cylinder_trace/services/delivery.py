"""Delivery: dispatch to a real-name customer, door-step confirmation with the safety check,
hazards (隐患) and their close-out, returns of empties."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from ..adapters import pii
from ..adapters import sms as messages
from ..config import get_settings
from ..db.scope import visible
from ..db.tables.accounts import AppUser, Enterprise, Station, Vehicle, VehicleWorker
from ..db.tables.lifecycle import Customer, Delivery, Hazard
from ..db.tables.registry import Cylinder
from ..domain import licences as licence_rules
from ..domain.access import Action
from ..domain.checklists import checklist
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..domain.lifecycle import EventKind, not_deliverable, owned_or_entrusted
from ..domain.principal import Principal, Role, may, require_may
from ..domain.status import PublicStatus
from ..schemas.lifecycle import DeliveryConfirm, DeliveryCreate, HazardClose, ReturnCreate
from . import registry
from .custody import move
from .customers import customer_for
from .events import lock_cylinders, state_of


def _problem(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "detail": detail, **extra}


def dispatch(session: Session, principal: Principal, body: DeliveryCreate) -> Delivery:
    """Hand full cylinders to a certified worker in a permitted vehicle for one customer.
    Every refusal is listed, not only the first."""
    today = registry.today()
    customer = customer_for(session, principal, body.customer_id)
    require_may(principal, Action.DISPATCH, customer.enterprise_id, customer.region_code)
    eid = customer.enterprise_id
    problems: list[dict[str, Any]] = []
    enterprise = session.get(Enterprise, eid)
    if enterprise is not None and licence_rules.stops_dispatch(enterprise.operating_licence_status):
        problems.append(_problem("OPERATING_LICENCE_NOT_VALID",
                                 "the company's gas operating licence is suspended or revoked"))
    worker = session.get(AppUser, body.worker_id)
    if worker is None or worker.enterprise_id != eid or worker.role != Role.DELIVERY_WORKER:
        problems.append(_problem("UNKNOWN_WORKER", "not a delivery worker of this company"))
    elif not worker.active or not worker.certificate_valid_until or \
            worker.certificate_valid_until < today:
        problems.append(_problem("WORKER_NOT_CERTIFIED",
                                 "the delivery worker has no valid certificate"))
    if not principal.assigned(body.worker_id):  # the row's "own" for a delivery worker
        raise Forbidden("A delivery worker dispatches only to themself")
    vehicle = session.get(Vehicle, body.vehicle_id)
    if vehicle is None or vehicle.enterprise_id != eid:
        problems.append(_problem("UNKNOWN_VEHICLE", "not a vehicle of this company"))
    else:
        if vehicle.permit_valid_until < today:
            problems.append(_problem("VEHICLE_PERMIT_EXPIRED",
                                     "the vehicle's dangerous-goods transport permit has expired"))
        if worker is not None and session.get(VehicleWorker, (vehicle.id, worker.id)) is None:
            problems.append(_problem("WORKER_NOT_BOUND_TO_VEHICLE",
                                     "the worker is not bound to this vehicle (人车对应)"))
    if customer.kind == "non_resident" and (
        customer.contract_valid_until is None or customer.contract_valid_until < today
    ):
        problems.append(_problem("NO_VALID_CONTRACT",
                                 "a non-resident customer needs a supply contract in force"))
    cylinders: list[Cylinder] = []
    # Lock every named cylinder (in id order, so two dispatches never deadlock) before looking
    # at where it is: of two dispatches racing for one cylinder, the second waits here, then
    # sees it on the first one's truck and is refused. One cylinder, one open dispatch.
    named = {code: registry.find_cylinder(session, code) for code in dict.fromkeys(body.codes)}
    lock_cylinders(session, [c.id for c in named.values() if c is not None and c.id])
    for code, c in named.items():
        why = "not a cylinder of this company" if c is None else not_deliverable(
            state_of(c), str(eid), today, registry.status_of(c, today) == PublicStatus.IN_SERVICE)
        if why:
            problems.append(_problem("CYLINDER_NOT_READY", why, cylinder=code))
        elif c is not None:
            cylinders.append(c)
    if problems:
        raise Conflict("Dispatch refused: " + "; ".join(p["detail"] for p in problems),
                       reason="DISPATCH_REFUSED", problems=problems)
    delivery = Delivery(enterprise_id=eid, worker_id=body.worker_id, vehicle_id=body.vehicle_id,
                        customer_id=customer.id, codes=[c.code for c in cylinders],
                        station_id=uuid.UUID(cylinders[0].location_id or "") if cylinders
                        and cylinders[0].location_id else None)
    session.add(delivery)
    for c in sorted(cylinders, key=lambda c: c.id or 0):  # row locks in one order: no deadlock
        move(session, principal, c, EventKind.DISPATCHED, {
            "delivery_id": str(delivery.id), "vehicle_id": str(body.vehicle_id),
            "worker_id": str(body.worker_id), "customer_id": str(customer.id)})
    return delivery


def delivery_for(session: Session, principal: Principal, delivery_id: uuid.UUID,
                 *, for_update: bool = False) -> Delivery:
    query = select(Delivery).where(col(Delivery.id) == delivery_id)
    delivery = session.exec(query.with_for_update() if for_update else query).first()
    if delivery is None:
        raise NotFound("No such delivery")
    customer = session.get(Customer, delivery.customer_id)
    principal.require_sees(delivery.enterprise_id, customer.region_code if customer else None)
    if not principal.assigned(delivery.worker_id):
        raise NotFound("No such delivery in your scope")
    return delivery


def _codes(session: Session, scans: list[str]) -> list[str]:
    out = []
    for scan in scans:
        parsed = registry.parse(scan)
        if parsed.code:
            out.append(parsed.code)
        else:
            c = registry.find_cylinder(session, scan)
            out.append(c.code if c else scan.strip())
    return out


def _made_at(made_at: datetime | None, received: datetime) -> datetime:
    """The door-step time: the phone's, when it sent one that is believable."""
    if made_at is None:
        return received
    if made_at > received + timedelta(minutes=5):
        raise Invalid("made_at is in the future: check the phone's clock", field="made_at",
                      reason="MADE_AT_IN_FUTURE")
    if made_at < received - timedelta(days=7):
        raise Invalid("made_at is more than 7 days ago", field="made_at",
                      reason="MADE_AT_TOO_OLD")
    return made_at


def confirm(session: Session, principal: Principal, delivery_id: uuid.UUID,
            body: DeliveryConfirm) -> tuple[Delivery, list[uuid.UUID]]:
    """The drop-off at the door: every cylinder scanned, the safety check, empties collected.
    Returns the delivery and the hazards found; the request commits (and its route keeps the
    answer for an Idempotency-Key: api/idempotent.py)."""
    delivery = delivery_for(session, principal, delivery_id, for_update=True)
    require_may(principal, Action.CONFIRM_DELIVERY, delivery.enterprise_id, None)
    if delivery.status != "dispatched":
        raise Conflict("This delivery is already confirmed", reason="ALREADY_CONFIRMED")
    scanned = _codes(session, body.scans)
    missing = sorted(set(delivery.codes) - set(scanned))
    extra = sorted(set(scanned) - set(delivery.codes))
    if missing or extra:
        raise Conflict("Every dispatched cylinder, and only those, must be scanned at the door",
                       reason="SCAN_MISMATCH", missing=missing, extra=extra)
    customer = session.get(Customer, delivery.customer_id)
    assert customer is not None
    known = checklist(customer.kind)
    unknown = [i.item for i in body.safety_check.items if i.item not in known]
    if unknown:
        raise Invalid(f"Unknown checklist items: {', '.join(unknown)}", field="safety_check",
                      reason="UNKNOWN_CHECK_ITEM", known=sorted(known))
    empties = [c for c in dict.fromkeys(_codes(session, body.empties))]
    if set(empties) & set(delivery.codes):
        raise Invalid("A cylinder just delivered cannot be collected as an empty",
                      field="empties", reason="EMPTY_IS_DELIVERED")
    received = datetime.now(UTC)
    now = _made_at(body.made_at, received)
    location = body.location.model_dump()
    for code in delivery.codes:
        c = registry.cylinder_for(session, principal, code, for_update=True)
        # seized or recalled on the truck: it is not handed over (CYLINDER_HELD)
        move(session, principal, c, EventKind.DELIVERED, {
            "delivery_id": str(delivery.id), "customer_id": str(customer.id),
            "location": location, "safety_check_passed": body.safety_check.passed},
            occurred_at=now)
    for code in empties:
        c = registry.cylinder_for(session, principal, code, for_update=True)
        if not owned_or_entrusted(delivery.enterprise_id, c.owner_enterprise_id,
                                  c.entrusted_to_enterprise_id, c.entrusted_until,
                                  registry.today()):
            raise Invalid(f"{code} is not this company's cylinder", field="empties",
                          reason="FOREIGN_EMPTY")
        move(session, principal, c, EventKind.RETURNED, {
            "delivery_id": str(delivery.id), "customer_id": str(customer.id),
            "station_id": str(delivery.station_id) if delivery.station_id else None},
            to_enterprise_id=delivery.enterprise_id, occurred_at=now)
    hazards = []
    deadline = registry.today() + timedelta(days=get_settings().hazard_deadline_days)
    for item in body.safety_check.items:
        if not item.ok:
            hazard = Hazard(enterprise_id=delivery.enterprise_id, region_code=customer.region_code,
                            customer_id=customer.id, delivery_id=delivery.id, item=item.item,
                            note=item.note, owner=customer.name, deadline=deadline,
                            found_by=principal.id)
            session.add(hazard)
            hazards.append(hazard)
    delivery.status = "delivered"
    delivery.delivered_at = now
    delivery.received_at = received
    delivery.location = location
    delivery.safety_check = body.safety_check.model_dump()
    delivery.empties = empties
    if body.signature_png_base64:
        delivery.signature_png = body.signature_png_base64
        delivery.customer_confirmation = "signature"
        delivery.customer_confirmed_at = now
    else:
        _send_code(delivery, customer, now)
    session.add(delivery)
    session.flush()
    return delivery, [h.id for h in hazards]


def _send_code(delivery: Delivery, customer: Customer, now: datetime) -> None:
    """A fresh one-time code to the customer's phone; the one before it is void."""
    code = f"{secrets.randbelow(10**6):06d}"
    delivery.otp_hash = hashlib.sha256(f"{delivery.id}:{code}".encode()).hexdigest()
    delivery.otp_expires_at = now + timedelta(minutes=get_settings().otp_ttl_minutes)
    delivery.otp_attempts = 0
    delivery.otp_sends += 1
    messages.provider().send(pii.decrypt(customer.phone_enc),
                             f"【气瓶配送】确认码 {code}，请交给送气工以确认收货。"
                             f" Delivery code {code}.")


def _code_delivery(session: Session, principal: Principal, delivery_id: uuid.UUID) -> Delivery:
    """The delivery whose customer code this caller may type or re-send: its own worker, or
    its company's admin. Not a station key, an operator or a regulator: the code proves the
    customer received the cylinders from the worker at the door."""
    delivery = delivery_for(session, principal, delivery_id, for_update=True)
    if may(principal, Action.CUSTOMER_CODE, delivery.enterprise_id, None) and \
            principal.assigned(delivery.worker_id):
        return delivery
    raise Forbidden("Only the delivery's worker or its company's admin enters the customer's code")


def customer_confirm(session: Session, principal: Principal, delivery_id: uuid.UUID,
                     code: str) -> Delivery:
    """The customer's side: the one-time code they received, typed on the worker's phone.
    Each wrong code counts (the row is locked, so concurrent guesses count one by one); at
    otp_max_attempts the code is void and a new one must be sent. A wrong answer commits its
    count here, since the error that follows rolls the request back."""
    delivery = _code_delivery(session, principal, delivery_id)
    if delivery.customer_confirmed_at is not None:
        return delivery
    expected = hashlib.sha256(f"{delivery.id}:{code.strip()}".encode()).hexdigest()
    if delivery.otp_sends == 0:
        raise Conflict("No code was sent for this delivery", reason="NO_CODE_SENT")
    if delivery.otp_hash is None or delivery.otp_expires_at is None:
        raise Conflict("Too many wrong codes: this code is void, send a new one",
                       reason="CODE_VOID")
    if delivery.otp_expires_at < datetime.now(UTC):
        raise Conflict("The code has expired", reason="CODE_EXPIRED")
    if not hmac.compare_digest(expected, delivery.otp_hash):
        delivery.otp_attempts += 1
        left = max(0, get_settings().otp_max_attempts - delivery.otp_attempts)
        if left == 0:
            delivery.otp_hash, delivery.otp_expires_at = None, None
        session.add(delivery)
        session.commit()  # the wrong try counts: the error that follows rolls the request back
        raise Invalid("The code is wrong", field="code", reason="WRONG_CODE",
                      attempts_left=left)
    delivery.customer_confirmation = "otp"
    delivery.customer_confirmed_at = datetime.now(UTC)
    delivery.otp_hash, delivery.otp_expires_at = None, None  # used: it cannot confirm twice
    session.add(delivery)
    return delivery


def resend_code(session: Session, principal: Principal, delivery_id: uuid.UUID) -> Delivery:
    """A new code to the customer (the last expired, was lost, or was void after wrong tries).
    At most otp_max_sends per delivery: guessing stays bounded, and the phone is not spammed."""
    delivery = _code_delivery(session, principal, delivery_id)
    if delivery.customer_confirmed_at is not None:
        raise Conflict("The customer has already confirmed", reason="ALREADY_CONFIRMED")
    if delivery.status != "delivered" or delivery.otp_sends == 0:
        raise Conflict("No code was sent for this delivery", reason="NO_CODE_SENT")
    if delivery.otp_sends >= get_settings().otp_max_sends:
        raise Conflict("No more codes for this delivery: confirm it with a signature",
                       reason="TOO_MANY_CODES")
    customer = session.get(Customer, delivery.customer_id)
    assert customer is not None
    _send_code(delivery, customer, datetime.now(UTC))
    session.add(delivery)
    return delivery


def return_cylinder(session: Session, principal: Principal, code: str,
                    body: ReturnCreate) -> Cylinder:
    """An empty brought back without a delivery (a customer returns it at the station): to a
    station of its owner, or of the company it is entrusted to while the entrustment lasts."""
    c = registry.cylinder_for(session, principal, code, for_update=True)
    require_may(principal, Action.RETURN, c.owner_enterprise_id, c.region_code)
    station = session.get(Station, body.station_id)
    if station is None or not owned_or_entrusted(
            station.enterprise_id, c.owner_enterprise_id, c.entrusted_to_enterprise_id,
            c.entrusted_until, registry.today()):
        raise Invalid("station_id is not a station of the cylinder's company",
                      field="station_id", reason="FOREIGN_STATION")
    if c.location_kind == "station" and c.location_id == str(station.id) and not c.filled:
        # already back here, empty: a second tap (or a retry) is the same return, not another
        return c
    move(session, principal, c, EventKind.RETURNED, {
        "station_id": str(station.id),
        "customer_id": str(body.customer_id) if body.customer_id else c.location_id
        if c.location_kind == "customer" else None}, to_enterprise_id=station.enterprise_id)
    return c


# --- hazards -------------------------------------------------------------------------------------

def hazards(session: Session, principal: Principal, status: str | None, overdue: bool | None,
            enterprise_id: uuid.UUID | None, customer_id: uuid.UUID | None) -> list[Hazard]:
    """The ledger (台账), within the caller's scope, most urgent first."""
    query = select(Hazard).where(
        visible(principal, col(Hazard.enterprise_id), col(Hazard.region_code)))
    if status:
        query = query.where(col(Hazard.status) == status)
    if overdue is not None:
        late = (col(Hazard.status) == "open") & (col(Hazard.deadline) < registry.today())
        query = query.where(late if overdue else ~late)
    if enterprise_id:
        query = query.where(col(Hazard.enterprise_id) == enterprise_id)
    if customer_id:
        query = query.where(col(Hazard.customer_id) == customer_id)
    return list(session.exec(query.order_by(col(Hazard.status).desc(), col(Hazard.deadline))
                             .limit(1000)).all())


def close_hazard(session: Session, principal: Principal, hazard_id: uuid.UUID,
                 body: HazardClose) -> Hazard:
    hazard = session.get(Hazard, hazard_id)
    if hazard is None:
        raise NotFound("No such hazard")
    principal.require_sees(hazard.enterprise_id, hazard.region_code)
    require_may(principal, Action.CLOSE_HAZARD, hazard.enterprise_id, hazard.region_code)
    if hazard.status == "closed":
        raise Conflict("This hazard is already closed", reason="ALREADY_CLOSED")
    hazard.status = "closed"
    hazard.closed_at = datetime.now(UTC)
    hazard.closed_by = principal.id
    hazard.close_note = body.note
    session.add(hazard)
    return hazard
