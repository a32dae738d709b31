"""Our EPCIS 2.0 events judged by GS1's JSON schema (formats checked), GS1's SHACL shapes and the
CBV 2.0 event-hash reference implementation; each judge is first shown to bite."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from cylinder_trace.domain import epcis
from tests.domain.epcis_validation import (
    DATA,
    assert_no_false_cbv_claim,
    assert_valid_epcis,
    cbv_hashes,
    schema_errors,
    shacl_report,
)

EPC = "https://id.gs1.org/8003/02112345678900A%2FB"


def life() -> dict[str, Any]:
    """One event of every kind we export, each with its own chain hash."""
    start = datetime(2025, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    events = [epcis.object_event(kind, start + timedelta(hours=i), EPC, f"{i:064x}",
                                 "0b8f6c5e-7f57-4bd1-9b1f-3f1f1f1f1f1f" if i % 2 else None,
                                 {"result": "fail"} if kind == "inspected" else {})
              for i, kind in enumerate(epcis.MAPPING)]
    return epcis.document(events, datetime.now(UTC), f"{len(events) - 1:064x}")


def test_the_hash_generator_reproduces_its_own_reference_example() -> None:
    example = json.loads((DATA / "standards" / "cbv-hash-reference.jsonld").read_text())
    expected = (DATA / "standards" / "cbv-hash-reference.hashes").read_text().split()
    assert cbv_hashes(example) == expected


def test_an_event_in_the_last_half_millisecond_of_a_second_is_hashed() -> None:
    """The reference generator rounds to milliseconds and fails at .9995 s and above (its
    fault: "microsecond must be in 0..999999"); ours carries such a time into the next second
    as its rounding means, so an export at that moment is judged, not skipped."""
    late = datetime(2026, 12, 2, 2, 53, 9, 999769, tzinfo=UTC)
    doc = epcis.document([epcis.object_event("filled", late, EPC, "0" * 64, None, {})],
                         datetime.now(UTC), "0" * 64)
    assert len(cbv_hashes(doc)) == 1


def test_every_kind_of_event_is_valid_epcis_by_schema_and_shapes() -> None:
    assert_valid_epcis(life())


def test_event_ids_do_not_claim_to_be_cbv_hashes_and_the_chain_hash_is_ours() -> None:
    doc = life()
    events = doc["epcisBody"]["eventList"]
    assert all(ev["eventID"].startswith("urn:uuid:") for ev in events)
    assert len({ev["eventID"] for ev in events}) == len(events)
    assert [ev["ct:chainHash"] for ev in events] == [f"{i:064x}" for i in range(len(events))]
    assert life()["epcisBody"]["eventList"][3]["eventID"] == events[3]["eventID"]  # stable
    assert_no_false_cbv_claim(doc)
    # the judge bites: our chain hash dressed as a CBV 2.0 hash (what we exported before)
    claimed = copy.deepcopy(doc)
    for ev in claimed["epcisBody"]["eventList"]:
        ev["eventID"] = f"ni:///sha-256;{ev['ct:chainHash']}?ver=CBV2.0"
    with pytest.raises(AssertionError):
        assert_no_false_cbv_claim(claimed)


def test_format_checking_is_on() -> None:
    doc = life()
    doc["creationDate"] = "2025-13-45T99:00:00Z"
    doc["epcisBody"]["eventList"][0]["eventTime"] = "yesterday"
    errors = schema_errors(doc)
    assert any("creationDate" in e for e in errors) and any("eventTime" in e for e in errors)


def test_the_shapes_bite() -> None:
    doc = life()
    events = doc["epcisBody"]["eventList"]
    events[1]["eventID"] = events[0]["eventID"]  # two events merged into one node
    conforms, text = shacl_report(doc)
    assert not conforms and "maxCount" in text.replace("MaxCount", "maxCount")
    doc = life()
    doc["epcisBody"]["eventList"][0]["eventID"] = "https://example.com/not-an-event-id"
    assert not shacl_report(doc)[0]
