"""Bulk registration from CSV: every row validated, valid rows written through COPY, one
transaction, a per-row report."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text
from sqlmodel import Session

from ..config import get_settings
from ..domain import codes
from ..domain.errors import DomainError, Invalid
from ..domain.principal import Principal
from ..schemas.registry import CylinderCreate, ImportReport, ImportRowError
from . import registry
from .events import actor_of

# Columns a file may carry: the registration fields (station_id and owner come per file).
COLUMNS = frozenset(CylinderCreate.model_fields) - {"station_id"}
REQUIRED = frozenset({"manufacturer", "serial_number", "model", "manufacture_date"})
MAX_REPORTED_ERRORS = 10_000

Progress = Callable[[str, int, int], None]

_CYLINDER_COLUMNS = (
    "id", "code", "owner_enterprise_id", *registry.RECORD_FIELDS,
    "status", "seized", "recalled", "filled",
)
_EVENT_COLUMNS = (
    "cylinder_id", "occurred_at", "kind", "actor_kind", "actor_id", "enterprise_id", "payload",
)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # with or without a BOM
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"The file is not UTF-8 (byte {exc.start}); save it as UTF-8 CSV",
            reason="NOT_UTF8",
        ) from exc


def _row_error(line: int, exc: Exception) -> list[ImportRowError]:
    if isinstance(exc, ValidationError):
        return [
            ImportRowError(
                row=line,
                field=".".join(str(p) for p in e["loc"]) or None,
                code="INVALID_VALUE",
                message=e["msg"],
            )
            for e in exc.errors()
        ]
    if isinstance(exc, DomainError):
        return [ImportRowError(row=line, field=exc.extra.get("field"),
                               code=str(exc.extra.get("reason") or exc.code),
                               message=exc.detail)]
    raise exc


def import_csv(
    session: Session,
    principal: Principal,
    data: bytes,
    owner_enterprise_id: uuid.UUID | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate every row, write the valid ones, report the rest. The caller commits."""
    started = time.perf_counter()
    owner = registry.owner_for(session, principal, owner_enterprise_id)
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    header = [h.strip() for h in next(reader, [])]
    if not header or header == [""]:
        raise Invalid("The file is empty: a header row is needed", reason="EMPTY_FILE")
    unknown = [h for h in header if h not in COLUMNS]
    missing = sorted(REQUIRED - set(header))
    if unknown or missing or len(set(header)) != len(header):
        raise Invalid(
            "The header row does not match: "
            + (f"unknown columns {unknown}; " if unknown else "")
            + (f"missing columns {missing}; " if missing else "")
            + ("a column appears twice" if len(set(header)) != len(header) else ""),
            reason="BAD_HEADER", columns=sorted(COLUMNS),
        )

    on = registry.today()
    interval = registry.inspection_interval(owner.region_code)
    errors: list[ImportRowError] = []
    good: list[tuple[int, dict[str, Any]]] = []
    seen_serial: dict[tuple[str, str], int] = {}
    seen_tag: dict[str, int] = {}
    seen_external: dict[str, int] = {}
    total = 0
    for total, row in enumerate(reader, start=1):
        line = total + 1
        if len(row) != len(header):
            if not any(cell.strip() for cell in row):
                total -= 1
                continue  # blank lines are not rows
            errors.append(ImportRowError(row=line, field=None, code="BAD_ROW",
                                         message=f"{len(row)} cells, header has {len(header)}"))
            continue
        raw = {k: v.strip() for k, v in zip(header, row, strict=True) if v.strip() != ""}
        try:
            body = CylinderCreate.model_validate(raw)
            values = registry.resolve(body, owner.region_code, on, interval)
        except (ValidationError, DomainError) as exc:
            errors.extend(_row_error(line, exc))
            continue
        clash = _clash(values, line, seen_serial, seen_tag, seen_external)
        if clash is not None:
            errors.append(clash)
            continue
        good.append((line, values))
        if progress and total % 10_000 == 0:
            progress("validated", total, 0)

    good, db_errors = _refuse_registered(session, good)
    errors.extend(db_errors)
    errors.sort(key=lambda e: e.row)
    new_codes = _write(session, principal, owner.id, good, progress)
    return ImportReport(
        total=total,
        imported=len(new_codes),
        rejected=total - len(new_codes),
        errors=errors[:MAX_REPORTED_ERRORS],
        codes=new_codes,
        seconds=round(time.perf_counter() - started, 3),
    )


def _clash(
    values: dict[str, Any], line: int, seen_serial: dict[tuple[str, str], int],
    seen_tag: dict[str, int], seen_external: dict[str, int],
) -> ImportRowError | None:
    """A second row in the same file naming the same cylinder, tag or external code."""
    key = (values["manufacturer"], values["serial_number"])
    if key in seen_serial:
        return ImportRowError(row=line, field="serial_number", code="DUPLICATE_IN_FILE",
                              message=f"same manufacturer and serial as row {seen_serial[key]}")
    if values["rfid"] and values["rfid"] in seen_tag:
        return ImportRowError(row=line, field="rfid", code="DUPLICATE_IN_FILE",
                              message=f"same RFID tag as row {seen_tag[values['rfid']]}")
    ext = values["external_code"]
    if ext and ext in seen_external:
        return ImportRowError(row=line, field="external_code", code="DUPLICATE_IN_FILE",
                              message=f"same external code as row {seen_external[ext]}")
    seen_serial[key] = line
    if values["rfid"]:
        seen_tag[values["rfid"]] = line
    if ext:
        seen_external[ext] = line
    return None


def _refuse_registered(
    session: Session, good: list[tuple[int, dict[str, Any]]]
) -> tuple[list[tuple[int, dict[str, Any]]], list[ImportRowError]]:
    """Drop rows whose serial, tag or external code is already in the registry."""
    if not good:
        return good, []
    params = {
        "m": [v["manufacturer"] for _, v in good],
        "s": [v["serial_number"] for _, v in good],
        "r": [v["rfid"] for _, v in good if v["rfid"]],
        "e": [v["external_code"] for _, v in good if v["external_code"]],
    }
    serials = {tuple(r) for r in session.execute(text(
        "SELECT c.manufacturer, c.serial_number FROM cylinder c "
        "JOIN unnest(CAST(:m AS text[]), CAST(:s AS text[])) AS f(m, s) "
        "ON c.manufacturer = f.m AND c.serial_number = f.s"), params)}
    tags = set(session.execute(text(
        "SELECT rfid FROM cylinder WHERE rfid = ANY(CAST(:r AS text[]))"), params).scalars())
    externals = set(session.execute(text(
        "SELECT external_code FROM cylinder WHERE external_code = ANY(CAST(:e AS text[]))"),
        params).scalars())
    kept, errors = [], []
    for line, v in good:
        if (v["manufacturer"], v["serial_number"]) in serials:
            errors.append(ImportRowError(row=line, field="serial_number",
                                         code="ALREADY_REGISTERED",
                                         message="this manufacturer's serial is registered"))
        elif v["rfid"] in tags:
            errors.append(ImportRowError(row=line, field="rfid", code="TAG_IN_USE",
                                         message="this RFID tag is bound to another cylinder"))
        elif v["external_code"] in externals:
            errors.append(ImportRowError(row=line, field="external_code",
                                         code="EXTERNAL_CODE_IN_USE",
                                         message="this external code is bound to another cylinder"))
        else:
            kept.append((line, v))
    return kept, errors


def _write(
    session: Session, principal: Principal, owner_id: uuid.UUID,
    good: list[tuple[int, dict[str, Any]]], progress: Progress | None,
) -> list[str]:
    """COPY the cylinders and their `registered` events (one transaction with the caller's)."""
    if not good:
        return []
    prefix = get_settings().code_prefix
    ids = registry.next_ids(session, len(good))
    now = datetime.now(UTC)
    actor_kind, actor_id = actor_of(principal)
    conn = session.connection().connection.driver_connection
    assert conn is not None
    new_codes: list[str] = []
    payloads: list[str] = []
    with conn.cursor() as cur:
        with cur.copy(f"COPY cylinder ({', '.join(_CYLINDER_COLUMNS)}) FROM STDIN") as copy:
            for n, ((_, v), cid) in enumerate(zip(good, ids, strict=True), start=1):
                code = codes.make_code(prefix, cid)
                new_codes.append(code)
                copy.write_row((cid, code, owner_id, *(v[f] for f in registry.RECORD_FIELDS),
                                "active", False, False, False))
                payloads.append(json.dumps(
                    registry.registered_payload(code, owner_id, v, {}), ensure_ascii=False))
                if progress and n % 10_000 == 0:
                    progress("written", n, len(good))
        with cur.copy(f"COPY cylinder_event ({', '.join(_EVENT_COLUMNS)}) FROM STDIN") as copy:
            for cid, payload in zip(ids, payloads, strict=True):
                copy.write_row((cid, now, "registered", actor_kind, actor_id,
                                principal.enterprise_id, payload))
    if progress:
        progress("written", len(good), len(good))
    return new_codes
