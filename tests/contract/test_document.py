"""The OpenAPI document as an integrator's generator reads it: stable operationIds, every error
a Problem, security per operation, typed answers, and a clean lint with recommended rules."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

HERE = Path(__file__).parent
LINT_DIR = ROOT / "tools" / "openapi-lint"
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    from cylinder_trace.app import create_app

    return create_app().openapi()


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, ops in doc["paths"].items() for m, op in ops.items()
            if m in METHODS]


def checked_in() -> set[str]:
    text = (HERE / "operation_ids.txt").read_text()
    return {line for line in text.splitlines() if line and not line.startswith("#")}


def test_operation_ids_are_the_checked_in_ones(doc: dict[str, Any]) -> None:
    """Integrators' code calls these names: one changed by accident breaks it. A new route
    gets its function's name; add its line (operationId METHOD path) to operation_ids.txt."""
    now = {f"{op['operationId']} {m.upper()} {p}" for m, p, op in operations(doc)}
    assert not now - checked_in(), ("operations not in tests/contract/operation_ids.txt "
                                    "(add them if they are new):\n" + "\n".join(sorted(
                                        now - checked_in())))
    assert not checked_in() - now, ("operations gone or renamed (clients calling them "
                                    "break):\n" + "\n".join(sorted(checked_in() - now)))


def test_operation_ids_are_meaningful_and_unique(doc: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(doc)]
    assert len(ids) == len(set(ids)) > 60
    for op_id in ids:
        # FastAPI's path-derived defaults look like authorize_fill_api_v1_fill_authorizations_post
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+){0,5}", op_id), op_id
        assert "api_v1" not in op_id, op_id
    bodies = [name for name in doc["components"]["schemas"] if name.startswith("Body_")]
    # generated (form) body names follow the operationId too
    assert "Body_login" in bodies and all(name[len("Body_"):] in ids for name in bodies), bodies


def test_every_error_is_the_problem_schema_as_problem_json(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    problem = schemas["Problem"]
    assert {"type", "title", "title_zh", "status", "detail", "code", "reason",
            "errors"} <= set(problem["properties"])
    named = doc["components"]["responses"]
    for m, p, op in operations(doc):
        errors = {s: r for s, r in op["responses"].items() if s[0] in "45"}
        assert any(s.startswith("4") for s in errors) or op["operationId"] == "get_health", p
        for status, response in errors.items():
            if "$ref" in response:
                response = named[response["$ref"].rsplit("/", 1)[-1]]
            assert list(response["content"]) == ["application/problem+json"], (m, p, status)
            assert response["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"}, (m, p, status)
        if op.get("parameters") or "requestBody" in op:
            assert "422" in errors, (m, p)
        if op["security"]:
            assert {"401", "403"} <= set(errors), (m, p)
        if "{" in p:
            assert "404" in errors, (m, p)
    by_id = {op["operationId"]: op for _, _, op in operations(doc)}
    assert "409" in by_id["record_fill"]["responses"]
    assert "409" in by_id["register_cylinder"]["responses"]
    assert "429" in by_id["login"]["responses"]


def test_security_is_declared_per_operation(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"]["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    assert schemes["stationKey"] == {**schemes["stationKey"], "type": "apiKey",
                                     "in": "header", "name": "X-API-Key"}
    by_id = {op["operationId"]: op for _, _, op in operations(doc)}
    for op_id in ("authorize_fill", "record_fill"):
        assert by_id[op_id]["security"] == [{"stationKey": []}], op_id
    for op_id in ("get_health", "login", "get_checklist"):
        assert by_id[op_id]["security"] == [], op_id
    assert by_id["register_cylinder"]["security"] == [{"bearer": []}, {"stationKey": []}]
    for m, p, op in operations(doc):
        assert "security" in op, (m, p)
        loose = [x["name"].lower() for x in op.get("parameters", []) if x["in"] == "header"]
        assert not {"x-api-key", "authorization", "content-type"} & set(loose), (m, p, loose)


def test_answers_are_typed(doc: dict[str, Any]) -> None:
    for m, p, op in operations(doc):
        for status, response in op["responses"].items():
            if not status.startswith("2"):
                continue
            for media, body in response.get("content", {}).items():
                assert body.get("schema"), (m, p, status, media)
    paths = doc["paths"]
    epcis = paths["/api/v1/epcis/events"]["get"]["responses"]["200"]["content"]
    ref = {"$ref": "#/components/schemas/EpcisDocument"}
    assert epcis["application/json"]["schema"] == ref == epcis["application/ld+json"]["schema"]
    png = paths["/api/v1/cylinders/{code}/label.png"]["get"]["responses"]["200"]["content"]
    assert png == {"image/png": {"schema": {"type": "string", "format": "binary"}}}
    sheet = paths["/api/v1/labels"]["get"]["responses"]["200"]["content"]
    assert set(sheet) == {"application/pdf", "image/svg+xml"}
    for path in ("/api/v1/stats/cylinders", "/api/v1/fill-check", "/api/v1/deliveries/open",
                 "/api/v1/unregistered-scans", "/api/v1/stats/fills-per-day"):
        schema = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in schema or "$ref" in schema.get("items", {}), path


def test_csv_import_body_paging_links_servers_and_licence(doc: dict[str, Any]) -> None:
    body = doc["paths"]["/api/v1/cylinders/import"]["post"]["requestBody"]
    assert body["content"]["text/csv"]["schema"] == {"type": "string", "format": "binary"}
    assert "multipart/form-data" in body["content"]
    for column in ("manufacturer", "serial_number", "model", "manufacture_date", "tare_kg"):
        assert column in body["description"]
    for path, op_id in (("/api/v1/cylinders/{code}/history", "get_history"),
                        ("/api/v1/cylinders", "search_cylinders")):
        ok = doc["paths"][path]["get"]["responses"]["200"]
        link = ok["links"]["next_page"]
        assert link["operationId"] == op_id
        assert link["parameters"]["cursor"] == "$response.body#/next_cursor"
        page = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert "next_cursor" in doc["components"]["schemas"][page]["required"]
    assert doc["servers"][0]["url"].startswith("http")
    assert doc["info"]["license"]["identifier"] == "Apache-2.0"


def redocly() -> Path:
    binary = LINT_DIR / "node_modules" / ".bin" / "redocly"
    if not shutil.which("node"):
        pytest.skip("Node.js is not installed: the OpenAPI lint (Redocly CLI) cannot run")
    if not binary.exists():
        pytest.skip("Redocly CLI is not installed: `make bootstrap` puts it in "
                    "tools/openapi-lint/node_modules (needs npm)")
    return binary


def test_the_lint_with_recommended_rules_reports_no_errors(
    doc: dict[str, Any], tmp_path: Path
) -> None:
    binary = redocly()
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(doc, ensure_ascii=False))
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
           "NO_COLOR": "1"}
    out = subprocess.run(
        [str(binary), "lint", str(spec), "--config", str(LINT_DIR / "redocly.yaml"),
         "--format", "json"], capture_output=True, text=True, env=env, timeout=120,
        check=False)
    report = json.loads(out.stdout[out.stdout.index("{"):])
    problems = [(p["ruleId"], p["severity"], p["message"],
                 [loc.get("pointer") for loc in p.get("location", [])])
                for p in report["problems"]]
    errors = [p for p in problems if p[1] == "error"]
    assert not errors, errors
    # the one warning left: the health check answers no 4xx (it has no input to refuse)
    assert all(p[0] == "operation-4xx-response" for p in problems), problems
    assert len(problems) <= 1, problems
    assert out.returncode == 0, out.stderr[-2000:]
