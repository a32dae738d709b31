"""The permission table as data: each row says who may do what, how far, and what it lifts.

The expected rows are written out here, apart from the code, so that a change to who may do
what is a change to this file too (and shows in review); docs/security.md prints the same table.
"""

from __future__ import annotations

import os
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from cylinder_trace.domain import access
from cylinder_trace.domain.access import Action, Role, Scope
from cylinder_trace.domain.lifecycle import (
    DOOR_STOPS,
    CylinderState,
    EventKind,
    LifecycleError,
    Move,
    apply,
    movement_refusals,
    not_deliverable,
    owned_or_entrusted,
)

PA, EA, OP, DW = Role.PLATFORM_ADMIN, Role.ENTERPRISE_ADMIN, Role.OPERATOR, Role.DELIVERY_WORKER
IN, RG, ST = Role.INSPECTOR, Role.REGULATOR, Role.STATION
OWN, REGION, ALL = Scope.OWN, Scope.REGION, Scope.PLATFORM

EXPECTED: dict[Action, tuple[dict[Role, Scope], Action | None]] = {
    Action.REGISTER: ({PA: ALL, EA: OWN}, None),
    Action.IMPORT: ({PA: ALL, EA: OWN}, None),
    Action.BIND_TAG: ({PA: ALL, EA: OWN}, None),
    Action.RECORD_INSPECTION: ({IN: REGION}, None),
    Action.CONVERT_VALVE: ({IN: REGION}, None),
    Action.AUTHORIZE_FILL: ({ST: OWN}, None),
    Action.RECORD_FILL: ({ST: OWN}, None),
    Action.FILL_CHECK: ({PA: ALL, EA: OWN, OP: OWN, DW: OWN, ST: OWN}, None),
    Action.SEIZE: ({PA: ALL, EA: OWN, RG: REGION}, None),
    Action.RELEASE: ({PA: ALL, EA: OWN, RG: REGION}, Action.SEIZE),
    Action.RECALL: ({PA: ALL, EA: OWN, RG: REGION}, None),
    Action.CLOSE_RECALL: ({PA: ALL, EA: OWN, RG: REGION}, Action.RECALL),
    Action.LOCK_STATION: ({PA: ALL, RG: REGION}, None),
    Action.UNLOCK_STATION: ({PA: ALL, RG: REGION}, Action.LOCK_STATION),
    Action.SCRAP: ({PA: ALL, EA: OWN, RG: REGION}, None),
    Action.ACCEPT_SCRAP: ({IN: REGION}, None),
    Action.MANAGE_AGENCY: ({PA: ALL}, None),
    Action.TRANSFER: ({PA: ALL, EA: OWN}, None),
    Action.ENTRUST: ({PA: ALL, EA: OWN}, None),
    Action.DISPATCH: ({PA: ALL, EA: OWN, DW: OWN}, None),
    Action.CONFIRM_DELIVERY: ({PA: ALL, EA: OWN, DW: OWN}, None),
    Action.CUSTOMER_CODE: ({EA: OWN, DW: OWN}, None),
    Action.OPEN_DISPATCHES: ({PA: ALL, EA: OWN, DW: OWN}, None),
    Action.RETURN: ({PA: ALL, EA: OWN, OP: OWN, DW: OWN, ST: OWN}, None),
    Action.CLOSE_HAZARD: ({PA: ALL, EA: OWN, DW: OWN}, None),
    Action.MANAGE_CUSTOMER: ({PA: ALL, EA: OWN}, None),
    Action.SEARCH_CUSTOMERS: ({PA: ALL, EA: OWN}, None),
    Action.CREATE_ENTERPRISE: ({PA: ALL}, None),
    Action.MANAGE_STATION: ({PA: ALL, EA: OWN}, None),
    Action.MANAGE_KEYS: ({PA: ALL, EA: OWN}, None),
    Action.MANAGE_VEHICLE: ({PA: ALL, EA: OWN}, None),
    Action.CREATE_USER: ({PA: ALL, EA: OWN}, None),
    Action.LIST_USERS: ({PA: ALL, EA: OWN}, None),
    Action.MANAGE_USER: ({PA: ALL, EA: OWN}, None),
    Action.OWN_ACCOUNT: ({PA: ALL, EA: OWN, OP: OWN, DW: OWN, IN: REGION, RG: REGION}, None),
    Action.WEBHOOK: ({PA: ALL, EA: OWN, RG: REGION}, None),
    Action.RUN_JOBS: ({PA: ALL}, None),
    Action.CHANGE_LICENCE: ({PA: ALL, RG: REGION}, None),
    Action.RECORD_ENFORCEMENT: ({PA: ALL, RG: REGION}, None),
    Action.DECLARE_STOCK: ({PA: ALL, RG: REGION}, None),
    Action.ANSWER_REPORT: ({PA: ALL, RG: REGION}, None),
    Action.SET_PUBLIC_CONTACTS: ({PA: ALL, EA: OWN}, None),
    Action.RECORD_VISIT: ({PA: ALL, RG: REGION}, None),
    Action.FIX_FIVE: ({PA: ALL, EA: OWN, RG: REGION}, None),
    Action.CLOSE_MAJOR_HAZARD: ({PA: ALL, RG: REGION}, None),
    Action.HAND_OVER_CASE: ({PA: ALL, RG: REGION}, None),
    Action.READ: ({PA: ALL, EA: OWN, OP: OWN, DW: OWN, IN: REGION, RG: REGION, ST: OWN}, None),
    Action.READ_AUDIT: ({PA: ALL, RG: REGION}, None),
}


def test_every_action_has_one_row_and_one_expectation() -> None:
    assert set(access.TABLE) == set(Action) == set(EXPECTED)


@pytest.mark.parametrize("action", list(EXPECTED), ids=str)
def test_row(action: Action) -> None:
    grants, lifts = EXPECTED[action]
    row = access.TABLE[action]
    assert dict(row.grants) == grants
    assert row.lifts == lifts
    for role in Role:
        assert access.scope_of(role, action) == grants.get(role)
    if lifts is not None:
        assert access.lifted_by(lifts) == action
    assert row.zh and row.en


def test_an_unknown_role_may_do_nothing() -> None:
    assert access.scope_of("janitor", Action.READ) is None


@pytest.mark.parametrize("taken_by,lifter,ok", [
    (RG, EA, False), (RG, RG, True), (RG, PA, True), (PA, EA, False), (PA, RG, True),
    (None, EA, False), (None, PA, True), ("retired_role", EA, False),
    (EA, EA, True), (EA, RG, True), (EA, PA, True), (IN, EA, False), (IN, RG, True),
])
def test_a_regulators_action_is_lifted_only_by_the_regulators_side(
        taken_by: Role | str | None, lifter: Role, ok: bool) -> None:
    assert access.may_lift(taken_by, lifter) is ok


E1, E2 = uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize("creator,ce,role,eid,regions,expect", [
    (EA, E1, OP, None, [], (E1, ())),
    (EA, E1, EA, E1, [], (E1, ())),
    (EA, E1, DW, None, [], (E1, ())),
    (EA, E1, OP, E2, [], "FOREIGN_ENTERPRISE"),
    (EA, E1, OP, None, ["500000"], "NO_REGIONS_FOR_ROLE"),
    (EA, E1, IN, None, ["500000"], "ROLE_NOT_GRANTABLE"),
    (EA, E1, IN, None, [], "ROLE_NOT_GRANTABLE"),
    (EA, E1, RG, None, ["500000"], "ROLE_NOT_GRANTABLE"),
    (EA, E1, PA, None, [], "ROLE_NOT_GRANTABLE"),
    (RG, None, RG, None, ["500103"], "ROLE_NOT_GRANTABLE"),  # not even for its sub-region
    (RG, None, IN, None, ["500103"], "ROLE_NOT_GRANTABLE"),
    (OP, E1, OP, None, [], "ROLE_NOT_GRANTABLE"),
    (PA, None, OP, E2, [], (E2, ())),
    (PA, None, OP, None, [], "ENTERPRISE_REQUIRED"),
    (PA, None, OP, E2, ["500000"], "NO_REGIONS_FOR_ROLE"),
    (PA, None, RG, None, ["500000"], (None, ("500000",))),
    (PA, None, RG, None, [], "REGIONS_REQUIRED"),
    (PA, None, RG, E2, ["500000"], "NO_ENTERPRISE_FOR_ROLE"),
    # an inspector is an agency's: made with it (its region), never through /users alone
    (PA, None, IN, None, ["500000"], "INSPECTOR_NEEDS_AGENCY"),
    (PA, None, IN, E2, [], "INSPECTOR_NEEDS_AGENCY"),
    (PA, None, PA, None, [], (None, ())),
])
def test_the_role_rule_for_new_accounts(creator: Role, ce: uuid.UUID | None, role: Role,
                                        eid: uuid.UUID | None, regions: list[str],
                                        expect: object) -> None:
    if isinstance(expect, str):
        with pytest.raises(access.AccountRefused) as exc:
            access.new_account(creator, ce, role, eid, regions)
        assert exc.value.code == expect
    else:
        got = access.new_account(creator, ce, role, eid, regions)
        assert (got.enterprise_id, got.region_codes) == expect


def test_an_inspector_is_made_with_its_agency_and_belongs_to_no_enterprise() -> None:
    agency = uuid.UUID(int=9)
    got = access.new_account(PA, None, IN, None, ["500000"], agency_id=agency)
    assert (got.enterprise_id, got.region_codes) == (None, ("500000",))
    for eid, regions, code in ((E2, ["500000"], "NO_ENTERPRISE_FOR_ROLE"),
                               (None, [], "REGIONS_REQUIRED")):
        with pytest.raises(access.AccountRefused) as exc:
            access.new_account(PA, None, IN, eid, regions, agency_id=agency)
        assert exc.value.code == code
    with pytest.raises(access.AccountRefused) as exc:
        access.new_account(EA, E1, IN, None, ["500000"], agency_id=agency)
    assert exc.value.code == "ROLE_NOT_GRANTABLE" and exc.value.forbidden


def test_a_refusal_by_an_enterprise_admin_is_forbidden_a_missing_field_is_invalid() -> None:
    with pytest.raises(access.AccountRefused) as exc:
        access.new_account(EA, E1, OP, None, ["500000"])
    assert exc.value.forbidden
    with pytest.raises(access.AccountRefused) as exc:
        access.new_account(PA, None, RG, None, [])
    assert not exc.value.forbidden


# --- movements of a held cylinder --------------------------------------------------------------

A, B = "ent-a", "ent-b"
TODAY = date.today()


def state(**kw: object) -> CylinderState:
    return CylinderState(owner_enterprise_id=A, region_code="500103", **kw)  # type: ignore[arg-type]


MOVES = [EventKind.TRANSFERRED, EventKind.ENTRUSTED, EventKind.DISPATCHED, EventKind.DELIVERED]


@pytest.mark.parametrize("kind", MOVES, ids=str)
@pytest.mark.parametrize("held", [{"seized": True, "seized_by": "regulator"},
                                  {"seized": True, "seized_by": "enterprise_admin"},
                                  {"recalled": True}])
def test_a_held_cylinder_does_not_move(kind: EventKind, held: dict[str, object]) -> None:
    refused = movement_refusals(state(**held), kind, Move(by_role="platform_admin"))
    assert refused and set(refused) <= {"SEIZED", "RECALLED"}
    assert movement_refusals(state(), kind, Move(by_role="enterprise_admin")) == ()


def test_a_held_cylinder_comes_back_only_to_its_owner() -> None:
    s = state(recalled=True)
    assert movement_refusals(s, EventKind.RETURNED, Move(to_other_company=False)) == ()
    assert movement_refusals(s, EventKind.RETURNED, Move(to_other_company=True)) == ("RECALLED",)


@pytest.mark.parametrize("held,regulator_recall,by,refused", [
    ({"seized": True, "seized_by": "regulator"}, False, "enterprise_admin", True),
    ({"seized": True, "seized_by": None}, False, "enterprise_admin", True),
    ({"seized": True, "seized_by": "regulator"}, False, "inspector", False),
    ({"seized": True, "seized_by": "regulator"}, False, "platform_admin", False),
    ({"seized": True, "seized_by": "enterprise_admin"}, False, "enterprise_admin", False),
    ({"recalled": True}, True, "enterprise_admin", True),
    ({"recalled": True}, False, "enterprise_admin", False),  # its own company's recall
    ({"recalled": True}, True, "inspector", False),
    ({}, False, "enterprise_admin", False),
])
def test_scrapping_a_cylinder_the_regulator_holds_needs_the_regulators_side(
        held: dict[str, object], regulator_recall: bool, by: str, refused: bool) -> None:
    got = movement_refusals(state(**held), EventKind.SCRAPPED,
                            Move(by_role=by, regulator_recall=regulator_recall))
    assert bool(got) is refused


def test_a_regulators_seizure_takes_over_a_companys_own() -> None:
    now = __import__("datetime").datetime.now()
    own = apply(state(), EventKind.SEIZED, {"by_role": "enterprise_admin"}, now)
    taken = apply(own, EventKind.SEIZED, {"by_role": "regulator"}, now)
    assert taken.seized and taken.seized_by == "regulator"
    with pytest.raises(LifecycleError):
        apply(taken, EventKind.SEIZED, {"by_role": "enterprise_admin"}, now)
    with pytest.raises(LifecycleError):
        apply(taken, EventKind.SEIZED, {"by_role": "regulator"}, now)
    released = apply(taken, EventKind.RELEASED, {}, now)
    assert not released.seized and released.seized_by is None


@pytest.mark.parametrize("until,ok", [(None, True), (TODAY, True),
                                      (TODAY + timedelta(days=1), True),
                                      (TODAY - timedelta(days=1), False)])
def test_owned_or_entrusted_honours_the_end_of_the_entrustment(until: date | None,
                                                                ok: bool) -> None:
    assert owned_or_entrusted(A, A, None, None, TODAY)
    assert owned_or_entrusted(B, A, B, until, TODAY) is ok
    assert not owned_or_entrusted(B, A, None, None, TODAY)


def test_deliverable() -> None:
    full = {"filled": True, "location_kind": "station"}
    assert not_deliverable(state(**full), A, TODAY, True) is None
    assert not_deliverable(state(**full), B, TODAY, True) == "not a cylinder of this company"
    ended = state(**full, entrusted_to_enterprise_id=B,
                  entrusted_until=TODAY - timedelta(days=1))
    assert not_deliverable(ended, B, TODAY, True) == "not a cylinder of this company"
    assert not_deliverable(state(**full, seized=True), A, TODAY, True) == \
        "scrapped, seized or recalled"
    assert not_deliverable(state(filled=True), A, TODAY, True) == "not full and at a station"
    assert not_deliverable(state(**full, valve_type="two_phase"), A, TODAY, True)
    assert not_deliverable(state(**full), A, TODAY, False)


def test_the_phone_apps_door_stops_are_the_domains() -> None:
    import re

    from cylinder_trace.domain.reasons import ReasonCode

    screen = (Path(__file__).resolve().parents[2] / "src" / "cylinder_trace" / "web" / "app"
              / "screens" / "delivery.js").read_text(encoding="utf-8")
    found = re.search(r"const DOOR_STOP = new Set\(\[([^\]]*)\]", screen)
    assert found, "screens/delivery.js no longer has DOOR_STOP"
    assert set(re.findall(r'"([A-Z_]+)"', found.group(1))) == DOOR_STOPS
    assert DOOR_STOPS <= set(ReasonCode)


# --- the page ------------------------------------------------------------------------------------

SECURITY = Path(__file__).resolve().parents[2] / "docs" / "security.md"
BEGIN, END = "<!-- permission-table:begin -->", "<!-- permission-table:end -->"


def test_docs_security_prints_the_table_from_the_code() -> None:
    """`UPDATE_DOCS=1 pytest tests/domain/test_access.py -k docs` rewrites the section."""
    text = SECURITY.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    if os.environ.get("UPDATE_DOCS"):
        head, rest = text.split(BEGIN, 1)
        text = f"{head}{BEGIN}\n{access.markdown_table()}{END}{rest.split(END, 1)[1]}"
        SECURITY.write_text(text, encoding="utf-8")
    printed = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert printed == access.markdown_table().strip(), "docs/security.md is out of date"


def test_departments_narrow_a_regulators_rows() -> None:
    """A transport regulator reads and records its own enforcement but neither seizes nor
    locks; the market regulator does both; other roles are not narrowed."""
    from cylinder_trace.domain.access import Department, department_allows

    assert not department_allows(RG, "transport", Action.SEIZE)
    assert not department_allows(RG, "transport", Action.LOCK_STATION)
    assert department_allows(RG, "transport", Action.RECORD_ENFORCEMENT)
    assert department_allows(RG, None, Action.SEIZE)  # recorded before departments: market
    assert department_allows(RG, "housing", Action.CHANGE_LICENCE)
    assert not department_allows(RG, "fire", Action.CHANGE_LICENCE)
    assert department_allows(EA, "transport", Action.SEIZE)  # not a regulator: no narrowing
    for d in Department:
        assert department_allows(RG, d.value, Action.READ)
        assert department_allows(RG, d.value, Action.HAND_OVER_CASE)
