"""Who is calling and what they may see: users (bearer tokens), stations (API keys), roles."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy import select
from sqlmodel import col

from .config import get_settings
from .db import SessionDep
from .domain.access import ENTERPRISE_ROLES, Action, Role, Scope, scope_of
from .domain.identifiers import region_covers
from .errors import Forbidden, NotAuthenticated
from .models import ApiKey, AppUser, Enterprise, Station
from .security import api_key_hash, read_token

__all__ = [
    "ENTERPRISE_ROLES",
    "Action",
    "CurrentPrincipal",
    "Principal",
    "Role",
    "acts",
    "allowed",
    "may",
    "require_may",
]


@dataclass(frozen=True)
class Principal:
    """The caller, resolved once per request."""

    kind: str  # "user" | "station"
    id: uuid.UUID
    role: Role
    enterprise_id: uuid.UUID | None = None
    region_codes: tuple[str, ...] = ()
    station_id: uuid.UUID | None = None
    username: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def actor(self) -> str:
        """How events name this caller: no personal data, just the role and id."""
        return f"{self.kind}:{self.id}"

    def sees(self, enterprise_id: uuid.UUID | None, region_code: str | None) -> bool:
        """Whether this caller may see a record of this enterprise in this region."""
        if self.role == Role.PLATFORM_ADMIN:
            return True
        if self.role in ENTERPRISE_ROLES:
            return enterprise_id is not None and enterprise_id == self.enterprise_id
        # Regulators and inspection agencies see their regions (inspectors of an
        # enterprise's own inspection unit also see that enterprise).
        if self.enterprise_id is not None and enterprise_id == self.enterprise_id:
            return True
        return region_code is not None and any(
            region_covers(scope, region_code) for scope in self.region_codes
        )

    def require_sees(self, enterprise_id: uuid.UUID | None, region_code: str | None) -> None:
        if not self.sees(enterprise_id, region_code):
            # 404, not 403: another company's records are not even confirmed to exist.
            from .errors import NotFound

            raise NotFound("No such record in your scope")


oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)


def principal_for_token(session: SessionDep, token: str) -> Principal:
    claims = read_token(get_settings().resolved_secret_key(), token)
    if claims is None:
        raise NotAuthenticated("The bearer token is invalid or has expired")
    try:
        user_id = uuid.UUID(str(claims.get("sub")))
    except ValueError as exc:
        raise NotAuthenticated("The bearer token is invalid") from exc
    user = session.get(AppUser, user_id)
    if user is None or not user.active:
        raise NotAuthenticated("The account is unknown or disabled")
    return Principal(
        kind="user",
        id=user.id,
        role=Role(user.role),
        enterprise_id=user.enterprise_id,
        region_codes=tuple(user.region_codes or ()),
        username=user.username,
    )


def principal_for_api_key(session: SessionDep, key: str) -> Principal:
    row = session.execute(
        select(col(ApiKey.station_id), col(Station.enterprise_id), col(Enterprise.region_code))
        .join(Station, col(Station.id) == col(ApiKey.station_id))
        .join(Enterprise, col(Enterprise.id) == col(Station.enterprise_id))
        .where(col(ApiKey.key_hash) == api_key_hash(key), col(ApiKey.revoked_at).is_(None))
    ).first()
    if row is None:
        raise NotAuthenticated("The API key is unknown or revoked")
    station_id, enterprise_id, region_code = row
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
        if scope_of(principal.role, action) is None:
            raise Forbidden(f"A {principal.role.value} may not {action.value.replace('_', ' ')}",
                            reason="ROLE_NOT_ALLOWED", action=action.value)
        return principal

    _check.action = action  # type: ignore[attr-defined]
    return _check


def acts(action: Action) -> Any:
    """For a route's ``dependencies=[acts(Action.X)]``: declares and enforces its action."""
    return Depends(allowed(action))


def may(principal: Principal, action: Action, enterprise_id: uuid.UUID | None,
        region_code: str | None) -> bool:
    """Whether the caller may do ``action`` to a target of this enterprise in this region."""
    scope = scope_of(principal.role, action)
    if scope is None:
        return False
    if scope == Scope.PLATFORM:
        return True
    if scope == Scope.OWN:
        return enterprise_id is not None and enterprise_id == principal.enterprise_id
    return principal.sees(enterprise_id, region_code)


def require_may(principal: Principal, action: Action, enterprise_id: uuid.UUID | None,
                region_code: str | None) -> None:
    """403 unless the permission table lets the caller do this to this target (the caller
    already sees the target: out of sight is 404 before this)."""
    if not may(principal, action, enterprise_id, region_code):
        raise Forbidden(f"Not in your scope to {action.value.replace('_', ' ')} this",
                        reason="OUT_OF_SCOPE", action=action.value)


def enterprise_scope(principal: Principal, enterprise_id: uuid.UUID | None) -> uuid.UUID | None:
    """The enterprise a listing is limited to (None = no limit beyond region rules)."""
    if principal.role in ENTERPRISE_ROLES:
        return principal.enterprise_id
    return enterprise_id


def region_scopes(principal: Principal) -> Iterable[str] | None:
    """Region codes a listing is limited to (None = all)."""
    if principal.role == Role.PLATFORM_ADMIN or principal.role in ENTERPRISE_ROLES:
        return None
    return principal.region_codes
