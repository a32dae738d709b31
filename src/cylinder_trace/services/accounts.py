"""Use cases for enterprises, stations, API keys, users, vehicles and logging in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from ..adapters.security import api_key_hash, hash_password, new_api_key
from ..db.scope import visible
from ..db.tables.accounts import ApiKey, AppUser, Enterprise, Station, Vehicle, VehicleWorker
from ..domain import access
from ..domain.access import Action
from ..domain.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RegulatorHold,
)
from ..domain.principal import Principal, Role, require_may
from ..schemas.accounts import EnterpriseCreate, Licence, StationCreate, UserCreate, VehicleCreate
from . import audit, sessions


def set_licence(obj: Any, prefix: str, licence: Licence | None) -> None:
    for name in ("number", "valid_from", "valid_until", "status"):
        setattr(obj, f"{prefix}_{name}", getattr(licence, name) if licence else None)


def get_licence(obj: Any, prefix: str) -> Licence | None:
    number = getattr(obj, f"{prefix}_number")
    if number is None:
        return None
    return Licence(
        number=number,
        valid_from=getattr(obj, f"{prefix}_valid_from"),
        valid_until=getattr(obj, f"{prefix}_valid_until"),
        status=getattr(obj, f"{prefix}_status") or "valid",
    )


def _commit(session: Session, what: str) -> None:
    """Send the writes now (the request commits them) so a duplicate is told as a 409."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"{what} already exists or refers to something that does not") from exc


# --- enterprises -------------------------------------------------------------------------


def create_enterprise(session: Session, principal: Principal, data: EnterpriseCreate) -> Enterprise:
    require_may(principal, Action.CREATE_ENTERPRISE, None, data.region_code)
    if data.webhook_url:
        from .outbound import check_receiver

        check_receiver(data.webhook_url, field="webhook_url")
    enterprise = Enterprise(
        name=data.name,
        credit_code=data.credit_code,
        region_code=data.region_code,
        webhook_url=data.webhook_url,
    )
    set_licence(enterprise, "operating_licence", data.operating_licence)
    set_licence(enterprise, "filling_licence", data.filling_licence)
    session.add(enterprise)
    _commit(session, "An enterprise with this credit code")
    return enterprise


def get_enterprise(session: Session, principal: Principal, enterprise_id: uuid.UUID) -> Enterprise:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound("No such enterprise")
    principal.require_sees(enterprise.id, enterprise.region_code)
    return enterprise


def list_enterprises(session: Session, principal: Principal) -> list[Enterprise]:
    query = select(Enterprise).order_by(col(Enterprise.name)).where(
        visible(principal, col(Enterprise.id), col(Enterprise.region_code)))
    return list(session.scalars(query).all())


def _manage_enterprise(principal: Principal, enterprise_id: uuid.UUID,
                       action: Action = Action.MANAGE_STATION) -> None:
    """Platform admins manage every enterprise; an enterprise admin only its own."""
    require_may(principal, action, enterprise_id, None)


# --- stations ----------------------------------------------------------------------------


def create_station(session: Session, principal: Principal, data: StationCreate) -> Station:
    _manage_enterprise(principal, data.enterprise_id)
    enterprise = session.get(Enterprise, data.enterprise_id)
    if enterprise is None:
        raise Invalid("enterprise_id names no enterprise")
    station = Station(
        enterprise_id=enterprise.id,
        name=data.name,
        address=data.address,
        region_code=data.region_code or enterprise.region_code,
    )
    set_licence(station, "filling_licence", data.filling_licence)
    session.add(station)
    _commit(session, "This station")
    return station


def get_station(session: Session, principal: Principal, station_id: uuid.UUID) -> Station:
    station = session.get(Station, station_id)
    if station is None:
        raise NotFound("No such station")
    principal.require_sees(station.enterprise_id, station.region_code)
    return station


def list_stations(
    session: Session, principal: Principal, enterprise_id: uuid.UUID | None = None
) -> list[Station]:
    query = select(Station).order_by(col(Station.name)).where(
        visible(principal, col(Station.enterprise_id), col(Station.region_code)))
    if enterprise_id is not None:
        query = query.where(col(Station.enterprise_id) == enterprise_id)
    return list(session.scalars(query).all())


def set_station_lock(
    session: Session, principal: Principal, station_id: uuid.UUID, locked: bool, reason: str
) -> Station:
    """A regulator (in its region) or platform admin locks or unlocks a station's filling; the
    locker's role is kept, and only its side may unlock."""
    station = get_station(session, principal, station_id)
    action = Action.LOCK_STATION if locked else Action.UNLOCK_STATION
    require_may(principal, action, station.enterprise_id, station.region_code)
    if not locked and station.locked and not access.may_lift(station.locked_by_role,
                                                              principal.role):
        raise RegulatorHold("This station was locked by a regulator: only a regulator in scope "
                            "or a platform admin unlocks it")
    station.locked = locked
    station.locked_reason = reason if locked else None
    station.locked_at = datetime.now(UTC) if locked else None
    station.locked_by = principal.id if locked else None
    station.locked_by_role = principal.role.value if locked else None
    session.add(station)
    audit.record(session, principal, "station.lock" if locked else "station.unlock", "station",
                 station.id, enterprise_id=station.enterprise_id, region_code=station.region_code,
                 after={"locked": locked, "reason": reason})
    session.flush()
    return station


# --- API keys ----------------------------------------------------------------------------


def create_api_key(
    session: Session, principal: Principal, station_id: uuid.UUID, label: str
) -> tuple[ApiKey, str]:
    station = session.get(Station, station_id)
    if station is None:
        raise NotFound("No such station")
    _manage_enterprise(principal, station.enterprise_id, Action.MANAGE_KEYS)
    key = new_api_key()
    record = ApiKey(
        station_id=station.id,
        key_hash=api_key_hash(key),
        prefix=key[:12],
        label=label,
        created_by=principal.id,
    )
    session.add(record)
    audit.record(session, principal, "api_key.create", "station", station.id,
                 enterprise_id=station.enterprise_id, region_code=station.region_code,
                 after={"key_id": record.id, "prefix": record.prefix, "label": label})
    session.flush()
    return record, key


def list_api_keys(session: Session, principal: Principal, station_id: uuid.UUID) -> list[ApiKey]:
    station = session.get(Station, station_id)
    if station is None:
        raise NotFound("No such station")
    _manage_enterprise(principal, station.enterprise_id, Action.MANAGE_KEYS)
    return list(
        session.scalars(
            select(ApiKey)
            .where(col(ApiKey.station_id) == station_id)
            .order_by(col(ApiKey.created_at))
        ).all()
    )


def revoke_api_key(
    session: Session, principal: Principal, station_id: uuid.UUID, key_id: uuid.UUID
) -> ApiKey:
    record = session.get(ApiKey, key_id)
    station = session.get(Station, station_id)
    if record is None or station is None or record.station_id != station_id:
        raise NotFound("No such API key")
    _manage_enterprise(principal, station.enterprise_id, Action.MANAGE_KEYS)
    if record.revoked_at is None:
        record.revoked_at = datetime.now(UTC)
        session.add(record)
        audit.record(session, principal, "api_key.revoke", "station", station.id,
                     enterprise_id=station.enterprise_id, region_code=station.region_code,
                     after={"key_id": record.id, "prefix": record.prefix})
        session.flush()
    return record


# --- users -------------------------------------------------------------------------------

def create_user(session: Session, principal: Principal, data: UserCreate) -> AppUser:
    """An account, as the role rule (``access.new_account``) says: enterprise roles get their
    creator's enterprise and no regions; region-scoped roles come from a platform admin only."""
    if access.scope_of(principal.role, Action.CREATE_USER) is None:
        raise Forbidden("Only admins create users", reason="ROLE_NOT_ALLOWED")
    try:
        grant = access.new_account(principal.role, principal.enterprise_id, data.role,
                                   data.enterprise_id, data.region_codes)
    except access.AccountRefused as exc:
        error = Forbidden if exc.forbidden else Invalid
        raise error(str(exc), reason=exc.code) from exc
    enterprise_id = grant.enterprise_id
    if enterprise_id is not None and session.get(Enterprise, enterprise_id) is None:
        raise Invalid("enterprise_id names no enterprise")
    if data.department is not None and data.role != Role.REGULATOR:
        raise Invalid("Only a regulator belongs to a department", reason="NO_DEPARTMENT_FOR_ROLE")
    user = AppUser(
        username=data.username,
        password_hash=hash_password(data.password),
        role=data.role.value,
        department=(data.department or access.Department.MARKET).value
        if data.role == Role.REGULATOR else None,
        enterprise_id=enterprise_id,
        region_codes=list(grant.region_codes),
        certificate_number=data.certificate.number if data.certificate else None,
        certificate_valid_until=data.certificate.valid_until if data.certificate else None,
        badge=data.badge or (data.username if data.role == Role.OPERATOR else None),
    )
    session.add(user)
    owner = session.get(Enterprise, enterprise_id) if enterprise_id else None
    audit.record(session, principal, "user.create", "user", user.id, enterprise_id=enterprise_id,
                 region_code=owner.region_code if owner else next(iter(data.region_codes or []),
                                                                   None),
                 after={"username": user.username, "role": user.role,
                        "department": user.department, "region_codes": user.region_codes,
                        "certificate_valid_until": user.certificate_valid_until})
    _commit(session, "A user with this username or badge")
    return user


def list_users(session: Session, principal: Principal) -> list[AppUser]:
    query = select(AppUser).order_by(col(AppUser.username))
    scope = access.scope_of(principal.role, Action.LIST_USERS)
    if scope == access.Scope.OWN:
        query = query.where(col(AppUser.enterprise_id) == principal.enterprise_id)
    elif scope != access.Scope.PLATFORM:
        raise Forbidden("Only admins list users", reason="ROLE_NOT_ALLOWED")
    return list(session.scalars(query).all())


def create_admin(session: Session, username: str, password: str) -> AppUser:
    """The first platform admin, from the command line."""
    existing = session.scalars(select(AppUser).where(col(AppUser.username) == username)).first()
    if existing is not None:
        existing.password_hash = hash_password(password)
        existing.role = Role.PLATFORM_ADMIN.value
        existing.active, existing.disabled_at, existing.disabled_by_role = True, None, None
        existing.failed_logins, existing.locked_until = 0, None
        session.add(existing)
        sessions.end_all(session, existing.id, "password_reset")
        session.commit()  # the command line's own transaction (no request around it)
        return existing
    user = AppUser(
        username=username, password_hash=hash_password(password), role=Role.PLATFORM_ADMIN.value
    )
    session.add(user)
    session.commit()  # the command line's own transaction (no request around it)
    return user


# --- vehicles ----------------------------------------------------------------------------


def create_vehicle(session: Session, principal: Principal, data: VehicleCreate) -> Vehicle:
    _manage_enterprise(principal, data.enterprise_id, Action.MANAGE_VEHICLE)
    if session.get(Enterprise, data.enterprise_id) is None:
        raise Invalid("enterprise_id names no enterprise")
    vehicle = Vehicle(
        enterprise_id=data.enterprise_id,
        plate=data.plate,
        permit_number=data.permit.number,
        permit_valid_until=data.permit.valid_until,
    )
    session.add(vehicle)
    for worker_id in dict.fromkeys(data.workers):
        worker = session.get(AppUser, worker_id)
        if (
            worker is None
            or worker.enterprise_id != data.enterprise_id
            or worker.role != Role.DELIVERY_WORKER
        ):
            raise Invalid(f"worker {worker_id} is not a delivery worker of this enterprise")
        session.add(VehicleWorker(vehicle_id=vehicle.id, user_id=worker_id))
    _commit(session, "A vehicle with this plate")
    return vehicle


def vehicle_workers(session: Session, vehicle_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(col(VehicleWorker.user_id)).where(col(VehicleWorker.vehicle_id) == vehicle_id)
        ).all()
    )


def list_vehicles(session: Session, principal: Principal) -> list[Vehicle]:
    # a vehicle is where its company is (it has no region of its own)
    query = select(Vehicle).join(Enterprise, col(Enterprise.id) == col(Vehicle.enterprise_id))
    query = query.where(visible(principal, col(Vehicle.enterprise_id),
                                col(Enterprise.region_code))).order_by(col(Vehicle.plate))
    return list(session.scalars(query).all())
