"""The contract as an integrator meets it: a client generated from the running service's
document type-checks under `mypy --strict` and does a whole first day's work on its own."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from tests.contract.conftest import mypy_strict
from tests.factories import PASSWORD, credit_code

HERE = Path(__file__).parent


def test_the_generated_client_and_the_scenario_pass_mypy_strict(generated: Path) -> None:
    shutil.copy(HERE / "scenario.py", generated / "scenario.py")
    out = mypy_strict(generated, "ct_client", "scenario.py")
    assert out.returncode == 0, out.stdout[-4000:]


def test_a_first_day_through_the_generated_client_alone(
    generated: Path, live: Any, world: Any
) -> None:
    sys.path.insert(0, str(generated))  # where `ct_client` was generated
    try:
        from tests.contract import scenario

        seen = scenario.run(live.url, "root", PASSWORD, credit_code(990001))
    finally:
        sys.path.remove(str(generated))
    conflict, validation = seen["conflict"], seen["validation"]
    assert (conflict.status, conflict.code) == (409, "CONFLICT")
    assert conflict.title_zh and conflict.detail
    assert (validation.status, validation.code) == (422, "VALIDATION_ERROR")
    assert [e.field for e in validation.errors] == ["net_kg"]
    # one event per page, newest first: filled, fill_authorized, registered
    assert seen["history_kinds"] == ["filled", "fill_authorized", "registered"]
    assert seen["pages"] == 3
    events = seen["epcis"].epcis_body.event_list
    assert {e.ctkind for e in events} >= {"registered", "filled"}
    report = seen["report"]
    assert (report.total, report.imported, report.rejected) == (2, 1, 1)
    assert (report.errors[0].row, report.errors[0].field) == (3, "manufacture_date")
    assert "TWO_PHASE_VALVE" in [r.code for r in seen["refused"].reasons]
    fills = world.client.get(f"/api/v1/cylinders/{seen['fill'].cylinder_code}/history",
                             headers=world.admin).json()["items"]
    assert [e["kind"] for e in fills].count("filled") == 1  # the retry made no second fill
