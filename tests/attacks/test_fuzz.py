"""Schemathesis against /openapi.json of the running service: no 500s, every error is
problem+json, and every answer is what the document declares (status, media type, schema).
Bounded (8 generated requests per operation, a few hundred in all)."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err, Ok

from tests.live import LiveService

CHECKED = 0
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]


def check(case: Any, live: LiveService, headers: dict[str, str]) -> None:
    global CHECKED
    response = case.call(base_url=live.url, headers=headers)
    # the document tells the truth: a declared status, media type and body schema
    case.validate_response(response, checks=CONFORMANCE)
    CHECKED += 1
    where = (case.method, case.path, response.status_code,
             response.content[:300].decode(errors="replace"))
    assert response.status_code < 500, where
    if response.status_code >= 400:
        ctype = response.headers.get("content-type")
        ctype = ctype[0] if isinstance(ctype, list) else ctype
        assert ctype and ctype.startswith("application/problem+json"), where
        body = response.json()
        assert body["code"] and body["status"] == response.status_code, where


def test_no_server_errors_and_every_error_is_problem_json(database_url: str, world: Any) -> None:
    live = LiveService(database_url)
    live.start()
    try:
        schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
        loaded = list(schema.get_all_operations())
        assert not [r.err() for r in loaded if isinstance(r, Err)]  # every operation loads
        operations = [r.ok() for r in loaded if isinstance(r, Ok)]
        assert len(operations) > 30
        def fuzz(op: Any, headers: dict[str, str]) -> None:
            @settings(max_examples=6, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=op.as_strategy())
            def run(case: Any) -> None:
                check(case, live, headers)

            run()

        e = world.enterprise()
        station_key = world.api_key(world.station(e["id"])["id"])
        world.cylinder(e["id"])
        for op in operations:
            fuzz(op, {})  # anonymous
            # (logging the admin out would leave every later operation a bare 401)
            if not op.path.startswith(("/c/", "/C/")) and op.path != "/api/v1/auth/logout":
                fuzz(op, dict(world.admin))
            if "fill" in op.path:
                fuzz(op, station_key)
        assert CHECKED > 200
    finally:
        live.stop()
