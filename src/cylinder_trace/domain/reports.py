"""The public's reports (举报): what may be reported, how a case moves, its reference number and
its deadline. Pure. The plans ask for 公众举报监督和核查处理机制 (receive the public's reports,
verify them, answer): a report is a case with a deadline for the regulator of its region."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum


class ReportKind(StrEnum):
    BLACK_MARKET = "black_market"  # 黑气瓶 / unregistered or another company's cylinder sold
    ILLEGAL_DECANTING = "illegal_decanting"  # 非法倒气
    UNSAFE_DELIVERY = "unsafe_delivery"  # 违规配送
    FORBIDDEN_PREMISES = "forbidden_premises"  # 地下、半地下空间用气
    SUSPECT_LABEL = "suspect_label"  # a label that does not verify
    OTHER = "other"


KIND_TEXT: dict[ReportKind, tuple[str, str]] = {
    ReportKind.BLACK_MARKET: ("黑气瓶、非法经营", "Black-market cylinder or unlicensed sale"),
    ReportKind.ILLEGAL_DECANTING: ("非法倒气、充装", "Illegal decanting or filling"),
    ReportKind.UNSAFE_DELIVERY: ("违规配送", "Unsafe delivery"),
    ReportKind.FORBIDDEN_PREMISES: ("地下、半地下场所用气",
                                    "Gas used in a basement or semi-basement"),
    ReportKind.SUSPECT_LABEL: ("标签可疑", "Suspect label"),
    ReportKind.OTHER: ("其他安全问题", "Another safety problem"),
}


class ReportStatus(StrEnum):
    OPEN = "open"  # received, nobody has taken it yet
    VERIFYING = "verifying"  # a regulator is checking it (核查中)
    ANSWERED = "answered"  # verified and answered to the reporter (已办结)
    UNFOUNDED = "unfounded"  # checked and not confirmed (查无实据)


STATUS_TEXT: dict[ReportStatus, tuple[str, str]] = {
    ReportStatus.OPEN: ("已受理", "Received"),
    ReportStatus.VERIFYING: ("核查中", "Being verified"),
    ReportStatus.ANSWERED: ("已办结", "Answered"),
    ReportStatus.UNFOUNDED: ("查无实据", "Not confirmed"),
}

CLOSED = frozenset({ReportStatus.ANSWERED, ReportStatus.UNFOUNDED})

# A closed case stays closed: a reopened complaint is a new report with its own reference.
_NEXT: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.OPEN: frozenset({ReportStatus.VERIFYING, *CLOSED}),
    ReportStatus.VERIFYING: CLOSED,
    ReportStatus.ANSWERED: frozenset(),
    ReportStatus.UNFOUNDED: frozenset(),
}


def may_move(current: ReportStatus, new: ReportStatus) -> bool:
    return new in _NEXT[current]


# Crockford-style: no I, L, O, U, so a reference read over the phone is not misheard.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference(today: date) -> str:
    """``JB-20261201-7K3QZ9M2``: the day it was made and 40 random bits (unguessable, so the
    reference is all a reporter needs to look the case up)."""
    tail = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"JB-{today:%Y%m%d}-{tail}"


def is_reference(text: str) -> bool:
    parts = text.split("-")
    return (len(parts) == 3 and parts[0] == "JB" and len(parts[1]) == 8 and parts[1].isdigit()
            and len(parts[2]) == 8 and all(ch in _ALPHABET for ch in parts[2]))


def answer_due(received: datetime, days: int) -> datetime:
    return received + timedelta(days=days)


@dataclass(frozen=True)
class Photo:
    media_type: str
    data: bytes


def photo_type(data: bytes) -> str | None:
    """The photo's media type from its first bytes (JPEG or PNG only), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None
