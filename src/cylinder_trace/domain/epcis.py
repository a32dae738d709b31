"""Our events as GS1 EPCIS 2.0 ObjectEvents with Core Business Vocabulary steps and
dispositions (domain.md's mapping, checked against the CBV 2.0 lists). Pure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
NAMESPACE = "https://cylinder-trace.org/epcis#"
_EVENT_IDS = uuid.uuid5(uuid.NAMESPACE_URL, NAMESPACE)

# kind -> (action, bizStep, disposition). Where domain.md names a value that CBV 2.0 lacks
# ("filling", "returning"), the nearest CBV value is used: loading, collecting.
MAPPING: dict[str, tuple[str, str, str]] = {
    "registered": ("ADD", "commissioning", "active"),
    "tag_bound": ("OBSERVE", "encoding", "active"),
    "inspected": ("OBSERVE", "inspecting", "conformant"),
    "valve_converted": ("OBSERVE", "repairing", "active"),
    "fill_authorized": ("OBSERVE", "inspecting", "conformant"),
    "fill_denied": ("OBSERVE", "inspecting", "non_conformant"),
    "filled": ("OBSERVE", "loading", "active"),
    "dispatched": ("OBSERVE", "shipping", "in_transit"),
    "delivered": ("OBSERVE", "receiving", "in_progress"),
    "returned": ("OBSERVE", "collecting", "returned"),
    "transferred": ("OBSERVE", "other", "active"),
    "entrusted": ("OBSERVE", "other", "active"),
    "recalled": ("OBSERVE", "holding", "recalled"),
    "recall_closed": ("OBSERVE", "holding", "active"),
    "seized": ("OBSERVE", "holding", "unavailable"),
    "released": ("OBSERVE", "holding", "active"),
    "scrapped": ("DELETE", "decommissioning", "destroyed"),
}


def object_event(kind: str, occurred_at: datetime, epc: str, event_hash: str | None,
                 station_id: str | None, payload: dict[str, Any]) -> dict[str, Any]:
    action, step, disposition = MAPPING.get(kind, ("OBSERVE", "other", "active"))
    if kind == "inspected" and payload.get("result") == "fail":
        disposition = "non_conformant"
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": occurred_at.isoformat(),
        "eventTimeZoneOffset": occurred_at.strftime("%z")[:3] + ":" +
        occurred_at.strftime("%z")[3:] if occurred_at.utcoffset() is not None else "+00:00",
        "epcList": [epc],
        "action": action,
        "bizStep": step,
        "disposition": disposition,
        "ct:kind": kind,
    }
    if event_hash:
        # A `ni:///sha-256;…?ver=CBV2.0` eventID claims to be CBV 2.0's event hash, which a
        # partner recomputes from the event's content; our chain hash is not that. So the chain
        # hash is our own extension, and the eventID a name-based UUID of it (EPCIS 2.0 allows
        # urn:uuid event IDs): stable across exports, unique per event.
        event["eventID"] = f"urn:uuid:{uuid.uuid5(_EVENT_IDS, event_hash)}"
        event["ct:chainHash"] = event_hash
    if station_id:
        event["readPoint"] = {"id": f"urn:cylinder-trace:station:{station_id}"}
    return event


def document(events: list[dict[str, Any]], created: datetime,
             chain_head: str | None) -> dict[str, Any]:
    return {
        "@context": [CONTEXT, {"ct": NAMESPACE}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created.isoformat(),
        "ct:chainHead": chain_head,
        "epcisBody": {"eventList": events},
    }


def epc_of(code: str, external: str | None, public_base_url: str) -> str:
    """A GS1 Digital Link for a cylinder with a GRAI, else our page's URL for its code.

    The serial is percent-encoded (GS1 Digital Link URI Syntax: every character outside the
    RFC 3986 unreserved set), as GS1's own Syntax Engine writes it: `A/B` → `A%2FB`."""
    if external and external.startswith("GRAI:"):
        grai, serial = external[5:19], external[19:]
        return f"https://id.gs1.org/8003/{grai}{quote(serial, safe='')}"
    return f"{public_base_url.rstrip('/')}/c/{code}"
