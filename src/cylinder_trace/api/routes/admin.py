"""Admin endpoints: enterprises, stations and their API keys, users, vehicles; login; health."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from ...db.engine import database_ok
from ...db.tables.accounts import ApiKey, AppUser, Enterprise, Station, Vehicle
from ...schemas.accounts import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    Certificate,
    EnterpriseCreate,
    EnterpriseOut,
    Health,
    PasswordChange,
    PasswordReset,
    StationCreate,
    StationLock,
    StationOut,
    TokenOut,
    UserCreate,
    UserOut,
    VehicleCreate,
    VehicleOut,
)
from ...services import accounts, sessions
from ...services.accounts import get_licence
from ..deps import Action, CurrentPrincipal, SessionDep, acts
from ..problems import problem
from . import from_row

router = APIRouter(prefix="/api/v1")


def enterprise_out(e: Enterprise) -> EnterpriseOut:
    return from_row(EnterpriseOut, e, operating_licence=get_licence(e, "operating_licence"),
                    filling_licence=get_licence(e, "filling_licence"))


def station_out(s: Station) -> StationOut:
    return from_row(StationOut, s, filling_licence=get_licence(s, "filling_licence"))


def user_out(u: AppUser) -> UserOut:
    cert = (
        Certificate(number=u.certificate_number, valid_until=u.certificate_valid_until)
        if u.certificate_number and u.certificate_valid_until
        else None
    )
    return from_row(UserOut, u, region_codes=list(u.region_codes or []), certificate=cert)


def key_out(k: ApiKey) -> ApiKeyOut:
    return from_row(ApiKeyOut, k)


@router.get("/health", response_model=Health, tags=["health"])
def health() -> object:
    if database_ok():
        return Health(status="ok", database="ok")
    return problem(
        503,
        "DATABASE_UNAVAILABLE",
        "Database unavailable",
        "PostgreSQL does not answer",
        title_zh="数据库不可用",
        database="failing",
    )


@router.post("/auth/token", response_model=TokenOut, tags=["auth"])
def login(session: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenOut:
    from ...config import get_settings

    token = sessions.login(session, form.username, form.password)
    return TokenOut(access_token=token, expires_in=get_settings().token_ttl_minutes * 60)


@router.post("/auth/logout", dependencies=[acts(Action.OWN_ACCOUNT)],
             status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
def logout(session: SessionDep, principal: CurrentPrincipal) -> Response:
    """End this session on the server: the same token is refused from the next request on."""
    sessions.logout(session, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/password", dependencies=[acts(Action.OWN_ACCOUNT)],
             response_model=TokenOut, tags=["auth"])
def change_password(body: PasswordChange, session: SessionDep,
                    principal: CurrentPrincipal) -> TokenOut:
    """Change one's own password (the current one is asked): every session of the account
    ends, this one too, and a fresh token comes back."""
    from ...config import get_settings

    token = sessions.change_password(session, principal, body.current_password,
                                     body.new_password)
    return TokenOut(access_token=token, expires_in=get_settings().token_ttl_minutes * 60)


@router.get("/users/me", response_model=UserOut, tags=["users"])
def me(session: SessionDep, principal: CurrentPrincipal) -> UserOut:
    user = session.get(AppUser, principal.id) if principal.kind == "user" else None
    if user is None:
        from ...domain.errors import NotFound

        raise NotFound("A station key has no user account")
    return user_out(user)


@router.post(
    "/enterprises", dependencies=[acts(Action.CREATE_ENTERPRISE)],
    response_model=EnterpriseOut,
    status_code=status.HTTP_201_CREATED,
    tags=["enterprises"],
)
def create_enterprise(
    body: EnterpriseCreate, session: SessionDep, principal: CurrentPrincipal
) -> EnterpriseOut:
    return enterprise_out(accounts.create_enterprise(session, principal, body))


@router.get("/enterprises", response_model=list[EnterpriseOut], tags=["enterprises"])
def list_enterprises(session: SessionDep, principal: CurrentPrincipal) -> list[EnterpriseOut]:
    return [enterprise_out(e) for e in accounts.list_enterprises(session, principal)]


@router.get("/enterprises/{enterprise_id}", response_model=EnterpriseOut, tags=["enterprises"])
def get_enterprise(
    enterprise_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> EnterpriseOut:
    return enterprise_out(accounts.get_enterprise(session, principal, enterprise_id))


@router.post(
    "/stations",
    dependencies=[acts(Action.MANAGE_STATION)], response_model=StationOut,
    status_code=status.HTTP_201_CREATED, tags=["stations"]
)
def create_station(
    body: StationCreate, session: SessionDep, principal: CurrentPrincipal
) -> StationOut:
    return station_out(accounts.create_station(session, principal, body))


@router.get("/stations", response_model=list[StationOut], tags=["stations"])
def list_stations(
    session: SessionDep, principal: CurrentPrincipal, enterprise_id: uuid.UUID | None = None
) -> list[StationOut]:
    return [station_out(s) for s in accounts.list_stations(session, principal, enterprise_id)]


@router.get("/stations/{station_id}", response_model=StationOut, tags=["stations"])
def get_station(
    station_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> StationOut:
    return station_out(accounts.get_station(session, principal, station_id))


@router.post("/stations/{station_id}/lock",
             dependencies=[acts(Action.LOCK_STATION)], response_model=StationOut, tags=["stations"])
def lock_station(
    station_id: uuid.UUID, body: StationLock, session: SessionDep, principal: CurrentPrincipal
) -> StationOut:
    return station_out(accounts.set_station_lock(session, principal, station_id, True, body.reason))


@router.post("/stations/{station_id}/unlock",
             dependencies=[acts(Action.UNLOCK_STATION)], response_model=StationOut,
             tags=["stations"])
def unlock_station(
    station_id: uuid.UUID, body: StationLock, session: SessionDep, principal: CurrentPrincipal
) -> StationOut:
    return station_out(
        accounts.set_station_lock(session, principal, station_id, False, body.reason)
    )


@router.post(
    "/stations/{station_id}/api-keys", dependencies=[acts(Action.MANAGE_KEYS)],
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["stations"],
)
def create_api_key(
    station_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    body: ApiKeyCreate | None = None,
) -> ApiKeyCreated:
    record, key = accounts.create_api_key(
        session, principal, station_id, body.label if body else ""
    )
    return ApiKeyCreated(id=record.id, station_id=record.station_id, key=key, prefix=record.prefix)


@router.get("/stations/{station_id}/api-keys",
            dependencies=[acts(Action.MANAGE_KEYS)], response_model=list[ApiKeyOut],
            tags=["stations"])
def list_api_keys(
    station_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[ApiKeyOut]:
    return [key_out(k) for k in accounts.list_api_keys(session, principal, station_id)]


@router.delete(
    "/stations/{station_id}/api-keys/{key_id}",
    dependencies=[acts(Action.MANAGE_KEYS)], response_model=ApiKeyOut, tags=["stations"]
)
def revoke_api_key(
    station_id: uuid.UUID, key_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> ApiKeyOut:
    return key_out(accounts.revoke_api_key(session, principal, station_id, key_id))


@router.post("/stations/{station_id}/api-keys/{key_id}/disable", response_model=ApiKeyOut,
             dependencies=[acts(Action.MANAGE_KEYS)], tags=["stations"])
def disable_api_key(station_id: uuid.UUID, key_id: uuid.UUID, session: SessionDep,
                    principal: CurrentPrincipal) -> ApiKeyOut:
    """Switch a station key off for a while (refused from the next request; enable undoes)."""
    return key_out(sessions.set_key_enabled(session, principal, station_id, key_id, False))


@router.post("/stations/{station_id}/api-keys/{key_id}/enable", response_model=ApiKeyOut,
             dependencies=[acts(Action.MANAGE_KEYS)], tags=["stations"])
def enable_api_key(station_id: uuid.UUID, key_id: uuid.UUID, session: SessionDep,
                   principal: CurrentPrincipal) -> ApiKeyOut:
    return key_out(sessions.set_key_enabled(session, principal, station_id, key_id, True))


@router.post("/users",
             dependencies=[acts(Action.CREATE_USER)], response_model=UserOut,
             status_code=status.HTTP_201_CREATED, tags=["users"])
def create_user(body: UserCreate, session: SessionDep, principal: CurrentPrincipal) -> UserOut:
    return user_out(accounts.create_user(session, principal, body))


@router.get("/users",
            dependencies=[acts(Action.LIST_USERS)], response_model=list[UserOut], tags=["users"])
def list_users(session: SessionDep, principal: CurrentPrincipal) -> list[UserOut]:
    return [user_out(u) for u in accounts.list_users(session, principal)]


@router.post("/users/{user_id}/disable", dependencies=[acts(Action.MANAGE_USER)],
             response_model=UserOut, tags=["users"])
def disable_user(user_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> UserOut:
    """Switch an account off: its sessions end and it cannot log in (platform admin, or the
    enterprise admin for its own enterprise's staff)."""
    return user_out(sessions.set_user_enabled(session, principal, user_id, False))


@router.post("/users/{user_id}/enable", dependencies=[acts(Action.MANAGE_USER)],
             response_model=UserOut, tags=["users"])
def enable_user(user_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> UserOut:
    """Switch an account back on (it logs in afresh). What a platform admin disabled, only a
    platform admin enables."""
    return user_out(sessions.set_user_enabled(session, principal, user_id, True))


@router.post("/users/{user_id}/password", dependencies=[acts(Action.MANAGE_USER)],
             response_model=UserOut, tags=["users"])
def reset_password(user_id: uuid.UUID, body: PasswordReset, session: SessionDep,
                   principal: CurrentPrincipal) -> UserOut:
    """An admin sets a new password: every session of the account ends."""
    return user_out(sessions.reset_password(session, principal, user_id, body.new_password))


def vehicle_out(session: SessionDep, v: Vehicle) -> VehicleOut:
    return from_row(VehicleOut, v,
                    permit=Certificate(number=v.permit_number, valid_until=v.permit_valid_until),
                    workers=accounts.vehicle_workers(session, v.id))


@router.post(
    "/vehicles",
    dependencies=[acts(Action.MANAGE_VEHICLE)], response_model=VehicleOut,
    status_code=status.HTTP_201_CREATED, tags=["vehicles"]
)
def create_vehicle(
    body: VehicleCreate, session: SessionDep, principal: CurrentPrincipal
) -> VehicleOut:
    return vehicle_out(session, accounts.create_vehicle(session, principal, body))


@router.get("/vehicles", response_model=list[VehicleOut], tags=["vehicles"])
def list_vehicles(session: SessionDep, principal: CurrentPrincipal) -> list[VehicleOut]:
    return [vehicle_out(session, v) for v in accounts.list_vehicles(session, principal)]
