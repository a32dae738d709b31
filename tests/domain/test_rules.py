"""The fill-authorization rules: one case per reason and warning, boundaries, combinations, and
a property: never allow when any deny condition holds."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cylinder_trace.domain.policy import RegionPolicy
from cylinder_trace.domain.reasons import MESSAGES, FillFlag, ReasonCode, WarningCode, as_dict
from cylinder_trace.domain.rules import (
    CylinderFacts,
    FillFacts,
    Licence,
    OperatorFacts,
    StationFacts,
    assess_fill,
    authorize_fill,
)

TODAY = date(2026, 11, 25)
OURS = uuid.UUID(int=1)
THEIRS = uuid.UUID(int=2)
R, W = ReasonCode, WarningCode
DEFAULT = RegionPolicy()

GOOD_CYLINDER = CylinderFacts(
    id=7, owner_enterprise_id=OURS, status="active", seized=False, recalled=False,
    manufacture_date=date(2022, 3, 1), design_life_years=8, valve_type="single_phase",
    refurbished=False, next_inspection_due=date(2027, 6, 1), last_inspection_result="pass",
    last_inspection_date=date(2023, 6, 1), smart_valve_id="SV-1",
)
GOOD_STATION = StationFacts(
    id=uuid.UUID(int=10), enterprise_id=OURS, locked=False,
    enterprise_licence=Licence("valid", date(2020, 1, 1), date(2030, 1, 1)),
)
CERTIFIED = OperatorFacts(known=True, enterprise_id=OURS, certificate_valid_until=date(2028, 1, 1))
GOOD = FillFacts(station=GOOD_STATION, cylinder=GOOD_CYLINDER)


def cyl(**kw: Any) -> FillFacts:
    return replace(GOOD, cylinder=replace(GOOD_CYLINDER, **kw))


def station(**kw: Any) -> FillFacts:
    return replace(GOOD, station=replace(GOOD_STATION, **kw))


CASES: list[tuple[str, FillFacts, set[ReasonCode], set[WarningCode]]] = [
    ("good cylinder", GOOD, set(), set()),
    ("unknown code", replace(GOOD, cylinder=None), {R.UNREGISTERED}, set()),
    ("forged or unsigned label", replace(GOOD, scan_accepted=False), {R.UNREGISTERED}, set()),
    ("tag of another cylinder", replace(GOOD, tag_read=True, tag_cylinder_id=8),
     {R.CODE_MISMATCH}, set()),
    ("unknown tag on a tagged cylinder",
     replace(cyl(rfid="AA11"), tag_read=True, tag_cylinder_id=None), {R.CODE_MISMATCH}, set()),
    ("tag of this cylinder", replace(cyl(rfid="AA11"), tag_read=True, tag_cylinder_id=7),
     set(), set()),
    ("scrapped", cyl(status="scrapped"), {R.SCRAPPED}, set()),
    ("recalled", cyl(recalled=True), {R.RECALLED}, set()),
    ("seized", cyl(seized=True), {R.SEIZED}, set()),
    ("due yesterday", cyl(next_inspection_due=TODAY - timedelta(days=1)),
     {R.INSPECTION_OVERDUE}, set()),
    ("due today", cyl(next_inspection_due=TODAY), set(), {W.INSPECTION_DUE_SOON}),
    ("due in 30 days", cyl(next_inspection_due=TODAY + timedelta(days=30)), set(),
     {W.INSPECTION_DUE_SOON}),
    ("due in 31 days", cyl(next_inspection_due=TODAY + timedelta(days=31)), set(), set()),
    ("failed inspection", cyl(last_inspection_result="fail"), {R.INSPECTION_FAILED}, set()),
    ("max life ends today", cyl(manufacture_date=date(2014, 11, 25), last_inspection_result="pass",
                                last_inspection_date=date(2023, 1, 1)),
     {R.SERVICE_LIFE_EXCEEDED}, set()),
    ("max life ends tomorrow", cyl(manufacture_date=date(2014, 11, 26),
                                   last_inspection_date=date(2023, 1, 1)),
     set(), {W.SERVICE_LIFE_ENDING}),
    ("past design life, not inspected since", cyl(manufacture_date=date(2018, 1, 1),
                                                  last_inspection_date=date(2025, 12, 1)),
     {R.SERVICE_LIFE_EXCEEDED}, set()),
    ("past design life, passed since", cyl(manufacture_date=date(2018, 1, 1),
                                           last_inspection_date=date(2026, 1, 2)), set(), set()),
    ("design life ends in 90 days", cyl(manufacture_date=date(2019, 2, 23)), set(),
     {W.SERVICE_LIFE_ENDING}),
    ("old GB 5842-1996 cylinder at 14 years", cyl(manufacture_date=date(2006, 12, 1),
                                                  design_life_years=15,
                                                  next_inspection_due=date(2027, 1, 1)),
     {R.SERVICE_LIFE_EXCEEDED}, set()),
    ("refurbished", cyl(refurbished=True), {R.REFURBISHED}, set()),
    ("another company's", cyl(owner_enterprise_id=THEIRS), {R.NOT_OWNED}, set()),
    ("entrusted to us in writing", cyl(owner_enterprise_id=THEIRS, entrusted_to_enterprise_id=OURS,
                                       entrusted_until=TODAY), set(), set()),
    ("entrustment ended yesterday", cyl(owner_enterprise_id=THEIRS,
                                        entrusted_to_enterprise_id=OURS,
                                        entrusted_until=TODAY - timedelta(days=1)),
     {R.NOT_OWNED}, set()),
    ("two-phase valve", cyl(valve_type="two_phase"), {R.TWO_PHASE_VALVE}, set()),
    ("enterprise licence expires today", station(enterprise_licence=Licence(
        "valid", date(2020, 1, 1), TODAY)), set(), set()),
    ("enterprise licence expired yesterday", station(enterprise_licence=Licence(
        "valid", date(2020, 1, 1), TODAY - timedelta(days=1))), {R.STATION_NOT_LICENSED}, set()),
    ("licence suspended", station(enterprise_licence=Licence("suspended")),
     {R.STATION_NOT_LICENSED}, set()),
    ("licence missing", station(enterprise_licence=Licence(None)), {R.STATION_NOT_LICENSED},
     set()),
    ("station's own licence revoked", station(station_licence=Licence("revoked")),
     {R.STATION_NOT_LICENSED}, set()),
    ("station locked by the regulator", station(locked=True), {R.STATION_LOCKED}, set()),
    ("certified operator", replace(GOOD, operator=CERTIFIED), set(), set()),
    ("certificate expired", replace(GOOD, operator=replace(
        CERTIFIED, certificate_valid_until=TODAY - timedelta(days=1))),
     {R.OPERATOR_NOT_CERTIFIED}, set()),
    ("unknown badge", replace(GOOD, operator=OperatorFacts(known=False)),
     {R.OPERATOR_NOT_CERTIFIED}, set()),
    ("another company's operator", replace(GOOD, operator=replace(CERTIFIED, enterprise_id=THEIRS)),
     {R.OPERATOR_NOT_CERTIFIED}, set()),
    ("open at another station", replace(GOOD, open_elsewhere=True), {R.FILL_IN_PROGRESS}, set()),
    ("at a customer", cyl(location_kind="customer"), set(), {W.NOT_RETURNED}),
    ("handed to an agency for scrapping", cyl(location_kind="inspection"),
     {R.AT_INSPECTION_AGENCY}, set()),
    ("everything wrong at once", replace(
        cyl(status="scrapped", seized=True, recalled=True, valve_type="two_phase",
            owner_enterprise_id=THEIRS, refurbished=True),
        station=replace(GOOD_STATION, locked=True)),
     {R.SCRAPPED, R.SEIZED, R.RECALLED, R.TWO_PHASE_VALVE, R.NOT_OWNED, R.REFURBISHED,
      R.STATION_LOCKED}, set()),
]


@pytest.mark.parametrize("name, facts, reasons, warnings", CASES, ids=[c[0] for c in CASES])
def test_rule_table(name: str, facts: FillFacts, reasons: set[ReasonCode],
                    warnings: set[WarningCode]) -> None:
    decision = authorize_fill(facts, DEFAULT, TODAY)
    assert set(decision.reasons) == reasons
    assert set(decision.warnings) == warnings
    assert decision.allow == (not reasons)


def test_every_reason_and_warning_is_covered_and_has_both_messages() -> None:
    covered = set().union(*(c[2] for c in CASES)) | {R.NO_SMART_VALVE, R.PRE_FILL_CHECK_FAILED}
    assert covered == set(ReasonCode)
    assert set().union(*(c[3] for c in CASES)) == set(WarningCode)
    for code in [*ReasonCode, *WarningCode, *FillFlag]:
        d = as_dict(code)
        assert d["code"] == code and d["message_zh"] and d["message_en"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in MESSAGES[code][0])


def test_a_region_that_requires_smart_valves() -> None:
    policy = RegionPolicy(require_smart_valve=True)
    assert authorize_fill(GOOD, policy, TODAY).allow
    d = authorize_fill(cyl(smart_valve_id=None), policy, TODAY)
    assert d.reasons == (R.NO_SMART_VALVE,)
    assert authorize_fill(cyl(smart_valve_id=None), DEFAULT, TODAY).allow


def test_policy_changes_the_windows() -> None:
    soon = cyl(next_inspection_due=TODAY + timedelta(days=45))
    assert authorize_fill(soon, DEFAULT, TODAY).warnings == ()
    assert authorize_fill(soon, RegionPolicy(due_soon_days=60), TODAY).warnings == (
        W.INSPECTION_DUE_SOON,)
    old = cyl(manufacture_date=date(2015, 1, 1), last_inspection_date=date(2024, 1, 1))
    assert authorize_fill(old, DEFAULT, TODAY).allow
    assert not authorize_fill(old, RegionPolicy(max_life_years=10), TODAY).allow


def test_fill_flags() -> None:
    assert assess_fill(14.9, None, 14.9, 16.0, 1.0) == ()
    assert assess_fill(14.95, None, 14.9, 16.0, 1.0) == (FillFlag.OVERFILL,)
    assert assess_fill(14.0, 30.0, 14.9, 16.0, 1.0) == ()
    # a two-phase 50 kg cylinder relabelled with a 15 kg cylinder's code: tare 48 vs 16
    assert assess_fill(14.0, 62.0, 14.9, 16.0, 1.0) == (FillFlag.MASS_MISMATCH,)


deny_conditions = st.fixed_dictionaries({
    "unknown": st.booleans(), "forged": st.booleans(), "mismatch": st.booleans(),
    "scrapped": st.booleans(), "recalled": st.booleans(), "seized": st.booleans(),
    "overdue_days": st.integers(-400, 400), "failed": st.booleans(),
    "age_days": st.integers(0, 365 * 16), "refurbished": st.booleans(),
    "foreign": st.booleans(), "two_phase": st.booleans(), "locked": st.booleans(),
    "licence": st.sampled_from(["valid", "suspended", "revoked", None]),
    "licence_days": st.integers(-30, 30), "operator": st.sampled_from(["none", "ok", "bad"]),
    "busy": st.booleans(), "smart": st.booleans(), "require_smart": st.booleans(),
})


@settings(max_examples=600, deadline=None)
@given(deny_conditions)
def test_never_allows_when_any_deny_condition_holds(x: dict[str, Any]) -> None:
    made = TODAY - timedelta(days=x["age_days"])
    c = replace(
        GOOD_CYLINDER, status="scrapped" if x["scrapped"] else "active", recalled=x["recalled"],
        seized=x["seized"], next_inspection_due=TODAY + timedelta(days=x["overdue_days"]),
        last_inspection_result="fail" if x["failed"] else "pass", manufacture_date=made,
        design_life_years=None, refurbished=x["refurbished"],
        owner_enterprise_id=THEIRS if x["foreign"] else OURS,
        valve_type="two_phase" if x["two_phase"] else "single_phase",
        smart_valve_id="SV" if x["smart"] else None, last_inspection_date=TODAY,
    )
    licence = Licence(x["licence"], None, TODAY + timedelta(days=x["licence_days"]))
    op = {"none": None, "ok": CERTIFIED, "bad": OperatorFacts(known=False)}[x["operator"]]
    facts = FillFacts(
        station=replace(GOOD_STATION, locked=x["locked"], enterprise_licence=licence),
        cylinder=None if x["unknown"] else c, scan_accepted=not x["forged"],
        tag_read=x["mismatch"], tag_cylinder_id=99 if x["mismatch"] else None,
        operator=op, open_elsewhere=x["busy"],
    )
    policy = RegionPolicy(require_smart_valve=x["require_smart"])
    must_deny = (
        x["unknown"] or x["forged"] or x["scrapped"] or x["recalled"] or x["seized"]
        or x["overdue_days"] < 0 or x["failed"] or x["refurbished"] or x["foreign"]
        or x["two_phase"] or x["locked"] or x["licence"] != "valid" or x["licence_days"] < 0
        or x["operator"] == "bad" or x["age_days"] >= 365 * 12 or (not x["unknown"] and (
            x["mismatch"] or x["busy"] or (x["require_smart"] and not x["smart"])))
    )
    decision = authorize_fill(facts, policy, TODAY)
    if must_deny:
        assert not decision.allow and decision.reasons
    assert decision.allow == (not decision.reasons)
