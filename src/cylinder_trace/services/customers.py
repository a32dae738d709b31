"""Real-name customers (实名制): registration, look-up by full ID number or phone, balances."""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..adapters import pii
from ..db.scope import visible
from ..db.tables.accounts import Enterprise
from ..db.tables.lifecycle import Customer, Deposit
from ..db.tables.registry import Cylinder
from ..domain.access import Action, Scope, scope_of
from ..domain.errors import Forbidden, Invalid, NotFound
from ..domain.identifiers import is_valid_id_number
from ..domain.principal import Principal, require_may
from ..schemas.lifecycle import Contract, CustomerCreate, CustomerOut, DepositCreate
from . import audit, registry


def _enterprise_for(session: Session, principal: Principal,
                    enterprise_id: uuid.UUID | None) -> Enterprise:
    if scope_of(principal.role, Action.MANAGE_CUSTOMER) is None:
        raise Forbidden("Only enterprise admins and platform admins manage customers",
                        reason="ROLE_NOT_ALLOWED")
    enterprise = session.get(Enterprise, enterprise_id or principal.enterprise_id)
    if enterprise is None:
        raise Invalid("enterprise_id names no enterprise", field="enterprise_id")
    if scope_of(principal.role, Action.MANAGE_CUSTOMER) != Scope.PLATFORM and \
            enterprise.id != principal.enterprise_id:
        raise NotFound("No such record in your scope")
    return enterprise


def create_customer(session: Session, principal: Principal, body: CustomerCreate) -> Customer:
    enterprise = _enterprise_for(session, principal, body.enterprise_id)
    id_number = pii.normalize(body.id_number)
    if body.kind == "resident" and not is_valid_id_number(id_number):
        # the message never repeats the number itself
        raise Invalid("id_number is not a valid resident identity card number (GB 11643 check "
                      "character)", field="id_number", reason="BAD_ID_NUMBER")
    customer = Customer(
        enterprise_id=enterprise.id, region_code=enterprise.region_code, kind=body.kind,
        name=body.name, address=body.address,
        id_number_enc=pii.encrypt(id_number), id_number_hash=pii.lookup_hash(id_number),
        id_number_masked=pii.mask_id(id_number),
        phone_enc=pii.encrypt(body.phone), phone_hash=pii.lookup_hash(body.phone),
        phone_masked=pii.mask_phone(body.phone),
        contract_number=body.contract.number if body.contract else None,
        contract_valid_until=body.contract.valid_until if body.contract else None,
    )
    session.add(customer)
    session.flush()
    audit.record(session, principal, "customer.create", "customer", customer.id,
                 enterprise_id=enterprise.id, region_code=enterprise.region_code,
                 after={"kind": customer.kind, "id_number": id_number, "phone": body.phone,
                        "contract_number": customer.contract_number})
    return customer


def customer_for(session: Session, principal: Principal, customer_id: uuid.UUID) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("No such customer")
    principal.require_sees(customer.enterprise_id, customer.region_code)
    return customer


def search_customers(session: Session, principal: Principal, id_number: str | None,
                     phone: str | None) -> list[Customer]:
    """Exact look-up by the full ID number or phone (never by a fragment)."""
    scope = scope_of(principal.role, Action.SEARCH_CUSTOMERS)
    if scope is None:
        raise Forbidden("Only enterprise admins and platform admins search customers",
                        reason="ROLE_NOT_ALLOWED")
    if not id_number and not phone:
        raise Invalid("give id_number or phone", reason="SEARCH_TERM_REQUIRED")
    query = select(Customer)
    if id_number:
        query = query.where(col(Customer.id_number_hash) == pii.lookup_hash(id_number))
    if phone:
        query = query.where(col(Customer.phone_hash) == pii.lookup_hash(phone))
    # by enterprise only (region=None): personal data is looked up within the company
    query = query.where(visible(principal, col(Customer.enterprise_id), None))
    return list(session.exec(query.limit(100)).all())


def customer_out(session: Session, c: Customer) -> CustomerOut:
    held = session.exec(
        select(Cylinder).where(col(Cylinder.location_kind) == "customer",
                               col(Cylinder.location_id) == str(c.id))
    ).all()
    sums = dict(session.execute(
        select(col(Deposit.kind), func.sum(col(Deposit.amount_yuan)))
        .where(col(Deposit.customer_id) == c.id).group_by(col(Deposit.kind))
    ).tuples().all())
    return CustomerOut(
        id=c.id, enterprise_id=c.enterprise_id, kind=c.kind, name=c.name,
        id_number=c.id_number_masked, phone=c.phone_masked, address=c.address,
        contract=Contract(number=c.contract_number, valid_until=c.contract_valid_until)
        if c.contract_number and c.contract_valid_until else None,
        cylinders_held=[{"code": cy.code, "model": cy.model,
                         "since": cy.updated_at.isoformat() if cy.updated_at else None}
                        for cy in held],
        deposits_paid_yuan=float(sums.get("paid") or 0),
        deposits_refunded_yuan=float(sums.get("refunded") or 0),
    )


def add_deposit(session: Session, principal: Principal, customer_id: uuid.UUID,
                body: DepositCreate) -> Deposit:
    customer = customer_for(session, principal, customer_id)
    require_may(principal, Action.MANAGE_CUSTOMER, customer.enterprise_id, customer.region_code)
    cylinder_id = None
    if body.cylinder_code:
        cylinder_id = registry.cylinder_for(session, principal, body.cylinder_code).id
    deposit = Deposit(enterprise_id=customer.enterprise_id, customer_id=customer.id,
                      cylinder_id=cylinder_id, kind=body.kind, amount_yuan=body.amount_yuan)
    session.add(deposit)
    return deposit
