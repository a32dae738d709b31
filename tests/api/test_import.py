"""Bulk CSV import: per-row report, valid rows in, invalid rows listed, nothing half-written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import text

from cylinder_trace.db.engine import get_engine
from tests.api.test_health_and_errors import assert_problem

HEADER = "manufacturer,serial_number,model,manufacture_date,rfid,tare_kg,valve_type\n"


def post_csv(world: Any, data: bytes, owner: str, headers: dict[str, str] | None = None) -> Any:
    return world.client.post(
        f"/api/v1/cylinders/import?owner_enterprise_id={owner}",
        content=data,
        headers={**(headers or world.admin), "Content-Type": "text/csv"},
    )


def count(sql: str, **params: Any) -> int:
    with get_engine().connect() as conn:
        return int(conn.execute(text(sql), params).scalar() or 0)


def test_a_file_of_mixed_rows_imports_the_good_and_lists_the_bad(world: Any) -> None:
    e = world.enterprise()
    world.cylinder(e["id"], manufacturer="百工", serial_number="OLD-1")
    rows = [
        "百工,A-1,YSP-12,2021-01-05,,,",                      # 2 good
        "百工,A-2,YSP-35.5,2020-07-01,E28011606000020A1B2C3D4E,15.2,",  # 3 good, with tag
        "百工,A-3,YSP-99,2020-07-01,,,",                      # 4 unknown model, no capacities
        "百工,A-4,YSP-12,2020-13-01,,,",                      # 5 bad date
        "百工,A-1,YSP-12,2021-01-05,,,",                      # 6 same serial as line 2
        "百工,OLD-1,YSP-12,2021-01-05,,,",                    # 7 already registered
        "百工,A-5,YSP-12,2021-01-05,zz,,",                    # 8 bad tag
        "百工,A-6,YSP-12,2021-01-05,,,two-phase",             # 9 bad valve type
        "百工,A-7,YSP-118-II,2019-01-05,,,",                  # 10 good
        "百工,A-8,YSP-12",                                   # 11 short row
        "",                                                  # blank line: not a row
    ]
    data = "\ufeff".encode() + (HEADER + "\n".join(rows) + "\n").encode()
    r = post_csv(world, data, e["id"])
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["total"] == 10
    assert report["imported"] == 3 and report["rejected"] == 7
    by_row = {err["row"]: err for err in report["errors"]}
    assert set(by_row) == {4, 5, 6, 7, 8, 9, 11}
    assert by_row[4]["code"] == "UNKNOWN_MODEL"
    assert by_row[5]["field"] == "manufacture_date"
    assert by_row[6]["code"] == "DUPLICATE_IN_FILE"
    assert by_row[7]["code"] == "ALREADY_REGISTERED"
    assert by_row[8]["code"] == "BAD_TAG_ID"
    assert by_row[9]["field"] == "valve_type"
    assert by_row[11]["code"] == "BAD_ROW"
    assert len(report["codes"]) == 3
    # the good rows are real cylinders with their registration event
    for code in report["codes"]:
        c = world.client.get(f"/api/v1/cylinders/{code}", headers=world.admin)
        assert c.status_code == 200
        hist = world.client.get(f"/api/v1/cylinders/{code}/history", headers=world.admin).json()
        assert [ev["kind"] for ev in hist["items"]] == ["registered"]
    tagged = world.client.get(f"/api/v1/cylinders/{report['codes'][1]}", headers=world.admin)
    assert tagged.json()["rfid"] == "E28011606000020A1B2C3D4E"
    assert tagged.json()["tare_kg"] == 15.2
    two_phase = world.client.get(f"/api/v1/cylinders/{report['codes'][2]}", headers=world.admin)
    assert two_phase.json()["valve_type"] == "two_phase"


def test_a_bad_header_or_encoding_refuses_the_whole_file(world: Any) -> None:
    e = world.enterprise()
    before = count("SELECT count(*) FROM cylinder")
    r = post_csv(world, b"maker,serial\nx,y\n", e["id"])
    assert assert_problem(r, 422)["reason"] == "BAD_HEADER"
    r = post_csv(world, HEADER.encode("utf-16"), e["id"])
    assert_problem(r, 422)
    r = post_csv(world, (HEADER + "百工钢瓶厂,1,YSP-12,2020-01-01,,,\n").encode("gbk"), e["id"])
    assert assert_problem(r, 422)["reason"] == "NOT_UTF8"
    assert_problem(post_csv(world, b"", e["id"]), 422)
    assert count("SELECT count(*) FROM cylinder") == before


def test_an_enterprise_imports_only_its_own_cylinders(world: Any) -> None:
    mine, other = world.enterprise(), world.enterprise()
    admin = world.user("enterprise_admin", mine["id"])
    data = (HEADER + "m,Z-1,YSP-12,2021-01-01,,,\n").encode()
    r = post_csv(world, data, other["id"], headers=admin["headers"])
    assert r.status_code in (403, 404)
    r = world.client.post("/api/v1/cylinders/import", content=data,
                          headers={**admin["headers"], "Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["imported"] == 1


def test_multipart_upload_works_too(world: Any) -> None:
    e = world.enterprise()
    data = (HEADER + "m,U-1,YSP-12,2021-01-01,,,\n").encode()
    r = world.client.post(f"/api/v1/cylinders/import?owner_enterprise_id={e['id']}",
                          files={"file": ("cyl.csv", data, "text/csv")}, headers=world.admin)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 1


def test_the_command_line_import_shows_a_summary(world: Any, tmp_path: Path,
                                                  database_url: str) -> None:
    e = world.enterprise()
    f = tmp_path / "cylinders.csv"
    f.write_text(HEADER + "m,CLI-1,YSP-12,2021-01-01,,,\nm,CLI-2,YSP-99,2021-01-01,,,\n",
                 encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "cylinder_trace", "import", str(f), "--owner", e["credit_code"]],
        capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "DATABASE_URL": database_url},
    )
    assert out.returncode == 1, out.stderr  # one row was rejected
    assert "imported / 已导入 1 of 2" in out.stdout
    assert "UNKNOWN_MODEL" in out.stdout
    assert count("SELECT count(*) FROM cylinder WHERE serial_number = 'CLI-1'") == 1


def test_an_imported_due_date_past_the_inspection_cycle_is_refused(world: Any) -> None:
    """The CSV path keeps the same bound as the JSON one: one interval after manufacture or the
    last inspection (registry.resolve → models_spec.latest_registered_due)."""
    e = world.enterprise()
    data = ("manufacturer,serial_number,model,manufacture_date,last_inspection_date,"
            "next_inspection_due\n"
            "百工,D-1,YSP-12,2021-01-05,,2025-01-05\n"        # 2 at the bound: kept
            "百工,D-2,YSP-12,2021-01-05,,2025-01-06\n"        # 3 a day later: refused
            "百工,D-3,YSP-12,2021-01-05,2023-06-01,2027-06-01\n"  # 4 after the inspection: kept
            "百工,D-4,YSP-12,2021-01-05,2023-06-01,2099-01-01\n"  # 5 refused
            "百工,D-5,YSP-12,2021-01-05,,2022-01-01\n")       # 6 earlier: kept
    r = post_csv(world, data.encode(), e["id"])
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["imported"] == 3 and report["rejected"] == 2
    assert {(err["row"], err["field"], err["code"]) for err in report["errors"]} == {
        (3, "next_inspection_due", "NEXT_INSPECTION_TOO_LATE"),
        (5, "next_inspection_due", "NEXT_INSPECTION_TOO_LATE")}
    assert count("SELECT count(*) FROM cylinder WHERE next_inspection_due > "
                 "manufacture_date + interval '4 years' AND last_inspection_date IS NULL") == 0
