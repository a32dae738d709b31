"""Who is calling and what they may see: users (bearer tokens), stations (API keys), roles."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from ..adapters.security import api_key_hash, read_token
from ..config import get_settings
from ..db.engine import new_session
from ..db.secrets import root_secret
from ..db.tables.accounts import ApiKey, AppUser, Enterprise, Station, UserSession
from ..domain.access import Action, Scope
from ..domain.errors import AccountDisabled, KeyDisabled, NotAuthenticated, SessionEnded
from ..domain.principal import (
    ENTERPRISE_ROLES,
    Principal,
    Role,
    may,
    may_act,
    require_allowed,
    require_may,
)

__all__ = [
    "ENTERPRISE_ROLES",
    "Action",
    "CurrentPrincipal",
    "Principal",
    "Role",
    "Scope",
    "acts",
    "allowed",
    "may",
    "may_act",
    "require_may",
]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def request_session(request: Request) -> AsyncIterator[Session]:
    """The request's session and its one transaction: committed when the route returned,
    rolled back when anything raised.

    Async on purpose: FastAPI runs a sync generator's start and end each in a pool thread, two
    thread hand-overs per request on top of the route's own (a tenth of a short read's CPU,
    docs/performance.md). Making a Session does no I/O; a read's COMMIT writes no WAL and runs
    here on the loop; a write's COMMIT waits for the WAL flush, so it runs in a thread and
    never stalls the other requests of this worker."""
    session = new_session()
    try:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        if request.method in SAFE_METHODS:
            session.commit()
        else:
            await run_in_threadpool(session.commit)
    finally:
        session.close()


# One database session and one transaction per request, shared by every dependency of the
# route. scope="function": its exit (the commit, or the rollback on an exception) runs when the
# route has returned and its answer is built, BEFORE the answer is sent; the default scope
# ("request", FastAPI >= 0.118) would commit only after the client had its 2xx. A streamed
# answer (the CSV and EPCIS exports) reads on its own session, since this one has ended by then.
SessionDep = Annotated[Session, Depends(request_session, scope="function")]


def principal_for_token(session: SessionDep, token: str) -> Principal:
    """The user a bearer token (or page cookie) names, if its session still holds. The user and
    the session are read in one query, every request, no cache: a logout, a password change
    or a disabled account is refused at the next request, on every instance."""
    ids = token_ids(token)
    user = session.connection().execute(
        principal_sql(), {"session_id": ids[1], "user_id": ids[0]}).first()
    return principal_of(user, ids[1])


def token_ids(token: str) -> tuple[uuid.UUID, uuid.UUID]:
    """(user id, session id) a bearer token names, when its signature and time hold."""
    claims = read_token(root_secret(get_settings()), token)
    if claims is None:
        raise NotAuthenticated("The bearer token is invalid or has expired")
    try:
        return uuid.UUID(str(claims["sub"])), uuid.UUID(str(claims["jti"]))
    except (KeyError, ValueError) as exc:
        raise NotAuthenticated("The bearer token is invalid") from exc


def principal_of(user: Any, session_id: uuid.UUID) -> Principal:
    """The principal of a row of ``principal_sql`` (None: no such session), or the refusal."""
    if user is None:
        raise NotAuthenticated("The bearer token names no session")
    ended_at, ended_reason, expires_at = user.ended_at, user.ended_reason, user.expires_at
    if not user.active:
        raise AccountDisabled("The account is disabled")
    if ended_at is not None:
        raise SessionEnded(f"The session has ended ({ended_reason}); log in again",
                           reason=ended_reason)
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise SessionEnded("The session has expired; log in again", reason="expired")
    return Principal(
        kind="user",
        id=user.id,
        role=Role(user.role),
        enterprise_id=user.enterprise_id,
        region_codes=tuple(user.region_codes or ()),
        username=user.username,
        department=user.department,
        extra={"session_id": str(session_id)},
    )


@lru_cache(maxsize=1)
def principal_sql() -> Any:
    """The user a session names and the session's state, in one Core statement built once: the
    columns a principal is made of, not the ORM entity (building and tracking an AppUser, and
    the query anew, on every request cost more than the query: docs/performance.md)."""
    u, s = AppUser.__table__.c, UserSession.__table__.c  # type: ignore[attr-defined]
    return (select(u.id, u.role, u.enterprise_id, u.region_codes, u.username, u.department,
                   u.active, s.ended_at, s.ended_reason, s.expires_at)
            .join_from(AppUser.__table__, UserSession.__table__,  # type: ignore[attr-defined]
                       s.user_id == u.id)
            .where(s.id == bindparam("session_id"), u.id == bindparam("user_id")))


def principal_for_api_key(session: SessionDep, key: str) -> Principal:
    row = session.execute(
        select(col(ApiKey.station_id), col(Station.enterprise_id), col(Enterprise.region_code),
               col(ApiKey.disabled_at))
        .join(Station, col(Station.id) == col(ApiKey.station_id))
        .join(Enterprise, col(Enterprise.id) == col(Station.enterprise_id))
        .where(col(ApiKey.key_hash) == api_key_hash(key), col(ApiKey.revoked_at).is_(None))
    ).first()
    if row is None:
        raise NotAuthenticated("The API key is unknown or revoked")
    station_id, enterprise_id, region_code, disabled_at = row
    if disabled_at is not None:
        raise KeyDisabled("The API key is disabled")
    return Principal(
        kind="station",
        id=station_id,
        role=Role.STATION,
        enterprise_id=enterprise_id,
        region_codes=(region_code,),
        station_id=station_id,
    )


def get_principal(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    if api_key:
        principal = principal_for_api_key(session, api_key)
    elif token:
        principal = principal_for_token(session, token)
    else:
        raise NotAuthenticated("Log in (bearer token) or send the station's X-API-Key")
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def allowed(action: Action) -> Callable[[Principal], Principal]:
    """The dependency a route declares for its action: the caller's role must have a row in the
    permission table (domain/access.py); the service then checks the target with
    ``require_may``. The action is kept on the function so a test can find every route's."""

    def _check(principal: CurrentPrincipal) -> Principal:
        require_allowed(principal, action)  # the row, and a regulator's department
        return principal

    _check.action = action  # type: ignore[attr-defined]
    return _check


def acts(action: Action) -> Any:
    """For a route's ``dependencies=[acts(Action.X)]``: declares and enforces its action."""
    return Depends(allowed(action))
