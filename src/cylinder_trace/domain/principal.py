"""The caller and its role, as plain values: who is asking, and which records it may see.

No web framework here: services take a ``Principal`` without importing the HTTP layer
(``auth.py`` resolves one per request and re-exports these names). ``Principal.sees`` is the one
statement of "who sees what"; ``scope.py`` turns the same ``Reach`` into SQL for lists.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from .access import ENTERPRISE_ROLES, Action, Role, Scope, department_allows, scope_of
from .errors import Forbidden
from .identifiers import region_prefix

__all__ = ["ENTERPRISE_ROLES", "Principal", "Reach", "Role", "may", "may_act", "require_allowed",
           "require_may"]




@dataclass(frozen=True)
class Reach:
    """What a caller sees, as data: everything; or one enterprise's records and the records in
    some regions (region-code prefixes: 330000 -> "33")."""

    everything: bool = False
    enterprise_id: uuid.UUID | None = None
    region_prefixes: tuple[str, ...] = ()

    def covers(self, enterprise_id: uuid.UUID | None, region_code: str | None) -> bool:
        if self.everything:
            return True
        if enterprise_id is not None and enterprise_id == self.enterprise_id:
            return True
        return region_code is not None and any(
            region_code.startswith(p) for p in self.region_prefixes)


@dataclass(frozen=True)
class Principal:
    """The caller, resolved once per request."""

    kind: str  # "user" | "station"
    id: uuid.UUID
    role: Role
    enterprise_id: uuid.UUID | None = None
    region_codes: tuple[str, ...] = ()
    station_id: uuid.UUID | None = None
    department: str | None = None  # a regulator's (domain.access.Department)
    username: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def actor(self) -> str:
        """How events name this caller: no personal data, just the role and id."""
        return f"{self.kind}:{self.id}"

    @property
    def reach(self) -> Reach:
        if self.role == Role.PLATFORM_ADMIN:
            return Reach(everything=True)
        if self.role in ENTERPRISE_ROLES:
            return Reach(enterprise_id=self.enterprise_id)
        # Regulators and inspection agencies see their regions (inspectors of an
        # enterprise's own inspection unit also see that enterprise, wherever it is).
        return Reach(enterprise_id=self.enterprise_id,
                     region_prefixes=tuple(region_prefix(r) for r in self.region_codes))

    def sees(self, enterprise_id: uuid.UUID | None, region_code: str | None) -> bool:
        """Whether this caller may see a record of this enterprise in this region."""
        return self.reach.covers(enterprise_id, region_code)

    @property
    def assignee_only(self) -> bool:
        """A delivery worker handles only what is assigned to them (their deliveries)."""
        return self.role == Role.DELIVERY_WORKER

    def assigned(self, assignee_id: uuid.UUID | None) -> bool:
        """Whether a record assigned to ``assignee_id`` is this caller's to handle."""
        return not self.assignee_only or assignee_id == self.id

    def require_sees(self, enterprise_id: uuid.UUID | None, region_code: str | None) -> None:
        if not self.sees(enterprise_id, region_code):
            # 404, not 403: another company's records are not even confirmed to exist.
            from .errors import NotFound

            raise NotFound("No such record in your scope")


def require_allowed(principal: Principal, action: Action) -> None:
    """403 unless the caller's role has a row for ``action`` at all (the check a route's
    ``acts`` dependency makes; for services reached from a page form too)."""
    if scope_of(principal.role, action) is None:
        raise Forbidden(f"A {principal.role.value} may not {action.value.replace('_', ' ')}",
                        reason="ROLE_NOT_ALLOWED", action=action.value)
    if not department_allows(principal.role, principal.department, action):
        raise Forbidden(f"The {principal.department or 'market'} department may not "
                        f"{action.value.replace('_', ' ')}", reason="DEPARTMENT_NOT_ALLOWED",
                        action=action.value)


def may_act(principal: Principal, action: Action) -> bool:
    """Whether the caller's role (and a regulator's department) may do ``action`` at all: what a
    page asks before it shows the form."""
    return scope_of(principal.role, action) is not None and department_allows(
        principal.role, principal.department, action)


def may(principal: Principal, action: Action, enterprise_id: uuid.UUID | None,
        region_code: str | None) -> bool:
    """Whether the caller may do ``action`` to a target of this enterprise in this region."""
    scope = scope_of(principal.role, action)
    if scope is None or not department_allows(principal.role, principal.department, action):
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
