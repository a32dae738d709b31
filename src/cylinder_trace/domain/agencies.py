"""Who may record an inspection, a valve conversion or a scrapping: an inspection agency's
inspector (气瓶检验机构), judged on facts passed in. Pure: no I/O, no clock.

The rule (issue 19): the caller is an inspector of a registered agency; the agency's approval
(核准证) is valid and covers every day from the inspection day to the day it is recorded (an
agency whose approval lapsed cannot back-date work into its valid years); the inspector's own
certificate is valid on both days; the cylinder is registered in the agency's region (an agency
inspects the cylinders presented to it in its region).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .identifiers import region_covers
from .rules import Licence


class AgencyRefusal(StrEnum):
    """Why a caller may not record an agency's act (403, as the problem's `reason`)."""

    AGENCY_INSPECTOR_REQUIRED = "AGENCY_INSPECTOR_REQUIRED"
    AGENCY_APPROVAL_INVALID = "AGENCY_APPROVAL_INVALID"
    INSPECTOR_CERTIFICATE_INVALID = "INSPECTOR_CERTIFICATE_INVALID"
    OUTSIDE_AGENCY_REGION = "OUTSIDE_AGENCY_REGION"


REFUSAL_TEXT: dict[AgencyRefusal, tuple[str, str]] = {
    AgencyRefusal.AGENCY_INSPECTOR_REQUIRED: (
        "检验、阀门改造和报废只能由已登记的气瓶检验机构的检验人员记录",
        "Inspections, valve conversions and scrapping are recorded only by an inspector of a "
        "registered inspection agency"),
    AgencyRefusal.AGENCY_APPROVAL_INVALID: (
        "检验机构核准证在检验日或记录日无效（过期、暂停或吊销）",
        "The agency's approval is not valid on the inspection day or today "
        "(expired, suspended or revoked)"),
    AgencyRefusal.INSPECTOR_CERTIFICATE_INVALID: (
        "检验人员无有效的检验员证",
        "The inspector holds no valid inspector certificate"),
    AgencyRefusal.OUTSIDE_AGENCY_REGION: (
        "气瓶不在本检验机构的区域内",
        "The cylinder is not registered in the agency's region"),
}


@dataclass(frozen=True)
class AgencyFacts:
    region_code: str
    approval: Licence


@dataclass(frozen=True)
class InspectorFacts:
    agency: AgencyFacts | None  # None: the caller is no agency's inspector
    certificate_valid_until: date | None


def refusal(inspector: InspectorFacts, cylinder_region: str | None, on: date,
            today: date) -> AgencyRefusal | None:
    """Why this inspector may not record an act done on ``on`` (recorded ``today``), or None."""
    agency = inspector.agency
    if agency is None:
        return AgencyRefusal.AGENCY_INSPECTOR_REQUIRED
    first, last = min(on, today), max(on, today)
    if not (agency.approval.valid_on(first) and agency.approval.valid_on(last)):
        return AgencyRefusal.AGENCY_APPROVAL_INVALID
    cert = inspector.certificate_valid_until
    if cert is None or cert < last:
        return AgencyRefusal.INSPECTOR_CERTIFICATE_INVALID
    if cylinder_region is not None and not region_covers(agency.region_code, cylinder_region):
        return AgencyRefusal.OUTSIDE_AGENCY_REGION
    return None
