"""The OpenAPI document as an integrator generates a client from it.

FastAPI's own document is rewritten in one place, here, so that routes stay plain:
- operationId: the route function's name (`operation_id`), or its entry in OPERATION_IDS
  when that name says too little outside its module. A new route needs nothing more than a
  meaningful, unique function name (verb_noun) and a line in tests/contract/operation_ids.txt.
- Errors: every error status an operation can answer is declared with the one `Problem`
  schema (RFC 9457, `application/problem+json`), from what the route is: authenticated (401,
  403), a path id or an authenticated input that may name a record (404), inputs (422, 413),
  a write (409), plus EXTRA_STATUSES and whatever the route's own `responses=` names (its
  description is kept, the body becomes a Problem).
- Security: per operation from the route's real dependencies (FastAPI finds them), under the
  names `bearer` (a person: OAuth2 password flow) and `stationKey` (an appliance: X-API-Key);
  public operations say `security: []`.
- Bodies and answers FastAPI cannot see (CSV upload, label images, EPCIS JSON-LD), cursor
  links, servers and the licence.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from .problems import PROBLEM_JSON

# Route function name (module.function) -> operationId, where the bare name is too vague.
OPERATION_IDS: dict[str, str] = {
    "reports.report_photo": "get_report_photo",
    "reports.report_status": "get_report_status",
    "campaign.campaign_progress": "get_campaign_progress",
    "campaign.campaign_progress_csv": "export_campaign_progress",
    "stats.cylinders": "get_cylinder_stats",
    "stats.fills_per_day": "get_fills_per_day",
    "stats.deny_reasons": "get_deny_reasons",
    "admin.health": "get_health",
    "admin.me": "get_me",
    "mobile.open_dispatches": "list_open_deliveries",
    "deliveries.dispatch": "dispatch_delivery",
    "deliveries.confirm": "confirm_delivery",
    "deliveries.customer_confirmation": "confirm_delivery_by_customer",
    "custody.seize": "seize_cylinder",
    "custody.release": "release_cylinder",
    "custody.scrap": "scrap_cylinder",
    "custody.transfer": "transfer_cylinder",
    "custody.entrust": "entrust_cylinder",
    "cylinders.label_png": "get_label_png",
    "cylinders.label_svg": "get_label_svg",
    "cylinders.label_sheet": "get_label_sheet",
    "cylinders.epcis_export": "export_cylinder_epcis",
    "cylinders.export_csv": "export_cylinders_csv",
    "cylinders.epcis_period": "export_epcis_events",
    "fills.unregistered_scans": "list_unregistered_scans",
    "agencies.convert_valve": "convert_cylinder_valve",
    "agencies.accept_scrap": "accept_cylinder_scrap",
    "agencies.return_handover": "return_cylinder_handover",
    "agencies.list_agency_inspections": "list_agency_records",
}

# Error statuses an operation answers beyond those its shape implies.
EXTRA_STATUSES: dict[str, tuple[int, ...]] = {
    "login": (401, 429),  # wrong password; too many attempts from one address or account
    "get_health": (503,),
    "get_me": (404,),  # a station key has no user account
    "record_fill": (404,),  # the authorization named in the body
    "get_label_sheet": (404,),
    "fill_check": (404,),
}
# Writes that never meet a state they conflict with.
NO_CONFLICT = frozenset({"login", "authorize_fill", "run_job"})
WRITES = frozenset({"post", "put", "patch", "delete"})
PAGED = {"search_cylinders": {}, "get_history": {"code": "$request.path.code"}}


def operation_id(route: APIRoute) -> str:
    """The operationId (and the prefix of generated body schema names) of a route."""
    module = route.endpoint.__module__.rsplit(".", 1)[-1]
    return OPERATION_IDS.get(f"{module}.{route.name}", route.name)


def _problem_example(status: int, code: str, title: str, title_zh: str, detail: str,
                     **extra: Any) -> dict[str, Any]:
    return {"type": f"/problems/{code.lower().replace('_', '-')}", "title": title,
            "title_zh": title_zh, "status": status, "detail": detail, "code": code, **extra}


# status -> (component name, description, example)
ERRORS: dict[int, tuple[str, str, dict[str, Any]]] = {
    401: ("Unauthorized", "Not logged in, or the token or key is invalid, expired or revoked "
          "(NOT_AUTHENTICATED)",
          _problem_example(401, "NOT_AUTHENTICATED", "Not authenticated", "未登录或凭证无效",
                           "Log in (bearer token) or send the station's X-API-Key")),
    403: ("Forbidden", "The caller's role may not do this (FORBIDDEN; `reason` says more)",
          _problem_example(403, "FORBIDDEN", "Not allowed", "无权执行此操作",
                           "This needs one of the roles: platform_admin")),
    404: ("NotFound", "No such record in the caller's scope (another company's records are "
          "not even confirmed to exist)",
          _problem_example(404, "NOT_FOUND", "Not found", "未找到",
                           "No such record in your scope")),
    409: ("Conflict", "The current state refuses this write (CONFLICT and others; `reason` "
          "names the rule), or an Idempotency-Key was reused with another body",
          _problem_example(409, "CONFLICT", "Conflict with the current state", "与当前状态冲突",
                           "This manufacturer's serial number is already registered",
                           reason="SERIAL_IN_USE")),
    413: ("TooLarge", "The request body is over the limit (BODY_TOO_LARGE)",
          _problem_example(413, "BODY_TOO_LARGE", "Request body too large", "请求体过大",
                           "The limit is 1048576 bytes")),
    422: ("ValidationFailed", "Invalid input: VALIDATION_ERROR lists each field in `errors`; "
          "INVALID and others name the rule in `reason` and the field in `field`",
          _problem_example(422, "VALIDATION_ERROR", "Validation failed", "请求字段校验失败",
                           "The request has invalid fields", errors=[
                               {"field": "net_kg", "message": "Input should be greater than 0",
                                "type": "greater_than"}])),
    429: ("TooManyRequests", "Too many requests from this address or for this account "
          "(TOO_MANY_REQUESTS); `Retry-After` says when to try again",
          _problem_example(429, "TOO_MANY_REQUESTS", "Too many requests", "请求过于频繁",
                           "At most 20 a minute; retry in 31 s")),
    503: ("Unavailable", "The database does not answer (DATABASE_UNAVAILABLE)",
          _problem_example(503, "DATABASE_UNAVAILABLE", "Database unavailable", "数据库不可用",
                           "PostgreSQL does not answer", database="failing")),
}

PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "title": "Problem",
        "description": "RFC 9457 problem details, as every error of this service is sent. "
                       "`code` is stable: branch on it, not on `title` or `detail`. Some "
                       "answers carry more members (`failed_items`, `problems`, `columns`).",
        "type": "object",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string", "format": "uri-reference",
                     "description": "Identifies the kind of problem, e.g. /problems/not-found"},
            "title": {"type": "string", "description": "Short summary in English"},
            "title_zh": {"type": "string", "description": "Short summary in Chinese"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "description": "This occurrence, in English"},
            "code": {"type": "string", "description": "Stable machine-readable code",
                     "examples": ["VALIDATION_ERROR", "NOT_FOUND", "CONFLICT"]},
            "reason": {"type": "string",
                       "description": "The rule that refused the request, when one did"},
            "field": {"type": "string", "description": "The input at fault, when one is"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"},
                       "description": "Each invalid field (VALIDATION_ERROR)"},
        },
        "additionalProperties": True,
    },
    "FieldError": {
        "title": "FieldError",
        "type": "object",
        "required": ["field", "message", "type"],
        "properties": {
            "field": {"type": "string", "description": "Dotted path, e.g. query.limit"},
            "message": {"type": "string"},
            "type": {"type": "string", "description": "Pydantic's error type"},
        },
    },
}

SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "oauth2",
        "description": "A person: POST /api/v1/auth/token with username and password (form) "
                       "gives an access token; send it as `Authorization: Bearer <token>`.",
        "flows": {"password": {"tokenUrl": "/api/v1/auth/token", "scopes": {}}},
    },
    "stationKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "A filling station's appliance: the key made by "
                       "POST /api/v1/stations/{station_id}/api-keys (shown once).",
    },
}

TAGS = [
    {"name": "health", "description": "Is the service up (no login)"},
    {"name": "auth", "description": "Logging in: bearer tokens for people"},
    {"name": "users", "description": "Accounts and roles"},
    {"name": "enterprises", "description": "Gas companies (燃气经营企业) and their licences"},
    {"name": "stations", "description": "Filling stations and their appliances' API keys"},
    {"name": "vehicles", "description": "Delivery vehicles and their permits"},
    {"name": "cylinders", "description": "The registry: registration, search, history, tags, "
                                         "inspections, labels"},
    {"name": "filling", "description": "What the scanner appliance at the scale calls"},
    {"name": "customers", "description": "Real-name customers and deposits"},
    {"name": "deliveries", "description": "Dispatch, door-step confirmation and checklists"},
    {"name": "hazards", "description": "The hazard ledger (隐患台账)"},
    {"name": "custody", "description": "Seizure, release, scrapping, transfer, entrusting"},
    {"name": "recalls", "description": "Recall campaigns"},
    {"name": "exports", "description": "EPCIS 2.0 and CSV exports"},
    {"name": "stats", "description": "Statistics behind the dashboard"},
    {"name": "jobs", "description": "Scheduled jobs (platform admins)"},
    {"name": "notifications", "description": "Notifications and webhooks"},
]

BINARY = {"type": "string", "format": "binary"}
TEXT = {"type": "string"}
MEDIA: dict[str, dict[str, Any]] = {
    "image/png": BINARY, "image/jpeg": BINARY, "application/pdf": BINARY,
    "image/svg+xml": TEXT, "text/csv": TEXT,
    "text/csv; charset=utf-8": TEXT,
}


def _csv_body() -> dict[str, Any]:
    from ..services.importer import COLUMNS, REQUIRED

    optional = sorted(COLUMNS - REQUIRED)
    return {
        "required": True,
        "description": "A CSV file (UTF-8, with or without BOM) whose first row names the "
                       "columns, in any order: required " + ", ".join(sorted(REQUIRED))
                       + "; optional " + ", ".join(optional)
                       + " (each as in POST /api/v1/cylinders). Send it as the body "
                         "(text/csv) or as the `file` field of a multipart form.",
        "content": {
            "text/csv": {"schema": BINARY},
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {**BINARY, "description": "The CSV file"}}}},
        },
    }


def _error_statuses(op_id: str, method: str, op: dict[str, Any]) -> set[int]:
    params = op.get("parameters", [])
    statuses = set(EXTRA_STATUSES.get(op_id, ()))
    statuses |= {int(s) for s in op["responses"] if s.isdigit() and int(s) >= 400}
    if op.get("security"):
        statuses |= {401, 403}
    if any(p["in"] == "path" for p in params) or (
            op.get("security") and (params or "requestBody" in op)):
        statuses.add(404)  # a path id, or an id in the query or body, outside one's scope
    if params or "requestBody" in op or method in WRITES:
        statuses.add(422)
    if "requestBody" in op:
        statuses.add(413)
    if method in WRITES and op_id not in NO_CONFLICT:
        statuses.add(409)
    return statuses


def _declare_errors(op_id: str, method: str, op: dict[str, Any]) -> None:
    responses = op["responses"]
    for status in sorted(_error_statuses(op_id, method, op)):
        own = responses.get(str(status), {})
        description = own.get("description", "")
        if status not in ERRORS or (description and description != "Validation Error"):
            # the route said something more precise: keep it, with the Problem body
            responses[str(status)] = {"description": description or "Error", "content": {
                PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        else:
            responses[str(status)] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}
    op["responses"] = dict(sorted(responses.items()))


def _scheme_names(found: dict[str, Any]) -> dict[str, str]:
    """FastAPI's scheme names (its classes') -> ours: a person's token or a station's key,
    whichever FastAPI class a dependency uses; any other scheme keeps its name."""
    names = {}
    for name, scheme in found.items():
        if scheme["type"] == "oauth2" or scheme.get("scheme", "").lower() == "bearer":
            names[name] = "bearer"
        elif scheme["type"] == "apiKey" and scheme.get("name", "").lower() == "x-api-key":
            names[name] = "stationKey"
    return names


def _declare_security(op: dict[str, Any], names: dict[str, str]) -> None:
    op["security"] = [{names.get(k, k): v for k, v in req.items()}
                      for req in op.get("security", [])]


def _declare_media(op_id: str, op: dict[str, Any]) -> None:
    for status, response in op["responses"].items():
        if not status.startswith("2"):
            continue
        content = response.get("content", {})
        json_schema = content.get("application/json", {}).get("schema")
        for media, body in content.items():
            if body.get("schema"):
                continue
            if media in MEDIA:
                body["schema"] = MEDIA[media]
            elif media.endswith("+json") and json_schema:
                body["schema"] = json_schema
    if op_id == "import_cylinders":
        op["requestBody"] = _csv_body()
    if op_id in PAGED:
        parameters = {**PAGED[op_id], "cursor": "$response.body#/next_cursor",
                      "limit": "$request.query.limit"}
        op["responses"]["200"]["links"] = {"next_page": {
            "operationId": op_id, "parameters": parameters,
            "description": "The next page: the same request with `cursor` = `next_cursor` "
                           "(the last page has `next_cursor: null`)"}}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    from ..config import get_settings

    doc = get_openapi(
        title=app.title, version=app.version, summary=app.summary,
        description="Integrators: see docs/integrators.md (authentication for people and "
                    "stations, idempotency, paging, errors, a generated client).",
        routes=app.routes, tags=TAGS,
        servers=[{"url": get_settings().public_base_url.rstrip("/"),
                  "description": "This deployment"}],
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
    )
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas.update(copy.deepcopy(PROBLEM_SCHEMAS))
    found = components.get("securitySchemes", {})
    names = _scheme_names(found)
    components["securitySchemes"] = {
        **{k: v for k, v in found.items() if k not in names}, **copy.deepcopy(SECURITY_SCHEMES)}
    responses: dict[str, Any] = {}
    for status, (name, description, example) in ERRORS.items():
        responses[name] = {"description": description, "content": {PROBLEM_JSON: {
            "schema": {"$ref": "#/components/schemas/Problem"}, "example": example}}}
        if status == 401:
            responses[name]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"},
                                                               "description": "Bearer"}}
        if status == 429:
            responses[name]["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                                          "description": "Seconds to wait"}}
    used: set[str] = set()
    explicit = {operation_id(r) for r in app.routes if isinstance(r, APIRoute) and r.summary}
    for methods in doc.get("paths", {}).values():
        for method, op in methods.items():
            _declare_security(op, names)
            _declare_media(op["operationId"], op)
            _declare_errors(op["operationId"], method, op)
            if op["operationId"] not in explicit:
                # FastAPI's summary is the function name title-cased; the id reads better
                op["summary"] = op["operationId"].replace("_", " ").capitalize()
            used |= {r["$ref"].rsplit("/", 1)[-1] for r in op["responses"].values()
                     if "$ref" in r}
    components["responses"] = {k: v for k, v in responses.items() if k in used}
    return doc


def install_openapi(app: FastAPI) -> None:
    """Serve the rewritten document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
