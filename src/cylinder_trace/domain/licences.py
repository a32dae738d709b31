"""Licence state changes a regulator makes (吊销、暂停、恢复、换证) and the enforcement it records
against a company (处罚、约谈). Pure: which change is allowed from which state, and what follows.

The filling licence (气瓶充装许可证) is the market regulator's (市场监管); the gas operating licence
(燃气经营许可证) is the housing/city-management department's (住建/城管). A suspended or revoked
filling licence refuses fills at once (STATION_NOT_LICENSED); a suspended or revoked operating
licence stops dispatch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class LicenceKind(StrEnum):
    FILLING = "filling"
    OPERATING = "operating"


class LicenceAction(StrEnum):
    SUSPEND = "suspend"  # 暂停: until reinstated
    REINSTATE = "reinstate"  # 恢复: lifts a suspension
    REVOKE = "revoke"  # 吊销: final; only a newly issued licence (renew) replaces it
    RENEW = "renew"  # 换证/延续: a licence issued anew, with its number and validity


# The department that issues, and so acts on, each licence.
DEPARTMENT_OF: dict[LicenceKind, str] = {
    LicenceKind.FILLING: "market",
    LicenceKind.OPERATING: "housing",
}

ACTION_TEXT: dict[LicenceAction, tuple[str, str]] = {
    LicenceAction.SUSPEND: ("暂停", "suspended"),
    LicenceAction.REINSTATE: ("恢复", "reinstated"),
    LicenceAction.REVOKE: ("吊销", "revoked"),
    LicenceAction.RENEW: ("换发", "renewed"),
}

_STATE_TEXT: dict[str | None, tuple[str, str]] = {
    "valid": ("有效", "valid"), "suspended": ("已暂停", "suspended"),
    "revoked": ("已吊销", "revoked"),
}

_FROM: dict[LicenceAction, frozenset[str | None]] = {
    LicenceAction.SUSPEND: frozenset({"valid"}),
    LicenceAction.REINSTATE: frozenset({"suspended"}),
    LicenceAction.REVOKE: frozenset({"valid", "suspended"}),
    LicenceAction.RENEW: frozenset({"valid", "suspended", "revoked", None}),
}
_TO: dict[LicenceAction, str] = {
    LicenceAction.SUSPEND: "suspended",
    LicenceAction.REINSTATE: "valid",
    LicenceAction.REVOKE: "revoked",
    LicenceAction.RENEW: "valid",
}


@dataclass(frozen=True)
class Change:
    status_after: str
    refusal: str | None = None  # why the change cannot be made, when it cannot


def change(action: LicenceAction, status_before: str | None, *, number: str | None,
           valid_until: date | None, effective_on: date) -> Change:
    """The licence's status after the action, or why the action does not apply."""
    if status_before not in _FROM[action]:
        zh, en = _STATE_TEXT.get(status_before, ("缺失", "missing"))
        return Change(status_before or "missing",
                      f"{zh}的许可证不能{ACTION_TEXT[action][0]} · A {en} licence cannot be "
                      f"{ACTION_TEXT[action][1]}")
    if action == LicenceAction.RENEW and (not number or valid_until is None
                                          or valid_until < effective_on):
        return Change(status_before or "missing",
                      "换发需填写新证编号和有效期 · A renewal needs the new licence's number "
                      "and a validity after it starts")
    return Change(_TO[action])


class EnforcementKind(StrEnum):
    PENALTY = "penalty"  # 行政处罚
    SUMMONS = "summons"  # 约谈
    WARNING = "warning"  # 警告 / 责令整改


ENFORCEMENT_TEXT: dict[EnforcementKind, tuple[str, str]] = {
    EnforcementKind.PENALTY: ("行政处罚", "Penalty"),
    EnforcementKind.SUMMONS: ("约谈", "Summons of the managers"),
    EnforcementKind.WARNING: ("警告、责令整改", "Warning, order to rectify"),
}


def stops_dispatch(operating_status: str | None) -> bool:
    """A suspended or revoked operating licence stops deliveries (a company recorded without an
    operating licence, as the first wave's data allows, is not stopped by this rule)."""
    return operating_status in ("suspended", "revoked")
