"""Who may record an agency's act (domain/agencies.py): a table of cases, each the one thing
wrong, on fixed dates (pure: no clock)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import TypedDict, Unpack

import pytest

from cylinder_trace.domain.agencies import (
    REFUSAL_TEXT,
    AgencyFacts,
    AgencyRefusal,
    InspectorFacts,
    refusal,
)
from cylinder_trace.domain.rules import Licence

TODAY = date(2026, 6, 15)
A = AgencyRefusal
AGENCY = AgencyFacts("500000", Licence("valid", date(2024, 1, 1), date(2028, 12, 31)))
GOOD = InspectorFacts(AGENCY, certificate_valid_until=date(2027, 1, 1))


class ApprovalChange(TypedDict, total=False):
    status: str | None
    valid_from: date | None
    valid_until: date | None


def approval(**kw: Unpack[ApprovalChange]) -> InspectorFacts:
    return replace(GOOD, agency=replace(AGENCY, approval=replace(AGENCY.approval, **kw)))


CASES = [
    ("valid, inspected yesterday", GOOD, "500103", TODAY - timedelta(days=1), None),
    ("no agency", InspectorFacts(None, None), "500103", TODAY, A.AGENCY_INSPECTOR_REQUIRED),
    ("approval expired yesterday", approval(valid_until=TODAY - timedelta(days=1)), "500103",
     TODAY - timedelta(days=5), A.AGENCY_APPROVAL_INVALID),
    ("approval ends today", approval(valid_until=TODAY), "500103", TODAY, None),
    ("inspected before the approval began", approval(valid_from=TODAY - timedelta(days=2)),
     "500103", TODAY - timedelta(days=3), A.AGENCY_APPROVAL_INVALID),
    ("suspended", approval(status="suspended"), "500103", TODAY, A.AGENCY_APPROVAL_INVALID),
    ("revoked", approval(status="revoked"), "500103", TODAY, A.AGENCY_APPROVAL_INVALID),
    ("certificate expired yesterday", replace(GOOD, certificate_valid_until=TODAY -
                                              timedelta(days=1)), "500103",
     TODAY - timedelta(days=9), A.INSPECTOR_CERTIFICATE_INVALID),
    ("no certificate", replace(GOOD, certificate_valid_until=None), "500103", TODAY,
     A.INSPECTOR_CERTIFICATE_INVALID),
    ("another province's cylinder", GOOD, "440305", TODAY, A.OUTSIDE_AGENCY_REGION),
    ("no cylinder yet (the caller only)", GOOD, None, TODAY, None),
]


@pytest.mark.parametrize("name, who, region, on, expected", CASES, ids=[c[0] for c in CASES])
def test_who_may_record(name: str, who: InspectorFacts, region: str | None, on: date,
                        expected: AgencyRefusal | None) -> None:
    assert refusal(who, region, on, TODAY) == expected


def test_every_refusal_is_covered_and_has_both_texts() -> None:
    assert {c[4] for c in CASES} - {None} == set(AgencyRefusal)
    for code in AgencyRefusal:
        zh, en = REFUSAL_TEXT[code]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) and en
