"""Judges of an EPCIS 2.0 document that nobody here wrote: GS1's JSON schema with format checking
on, GS1's SHACL shapes run by pySHACL on the document's RDF (the JSON-LD context served offline),
and the CBV 2.0 event-hash reference implementation (epcis-event-hash-generator)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data"
CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


@cache
def _json_validator() -> Any:
    import jsonschema

    schema = json.loads((DATA / "epcis" / "EPCIS-JSON-Schema.json").read_text())
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    # without the format extras jsonschema skips these formats silently: make sure they bite
    missing = {"date-time", "uri"} - set(checker.checkers)
    assert not missing, f"format checkers missing (install jsonschema[format-nongpl]): {missing}"
    return jsonschema.Draft7Validator(schema, format_checker=checker)


def schema_errors(doc: dict[str, Any]) -> list[str]:
    errors = sorted(_json_validator().iter_errors(doc), key=lambda e: list(e.path))
    return [f"{list(e.path)}: {e.message}" for e in errors]


@cache
def _shapes() -> Any:
    """GS1's draft shapes, repaired in memory as gs1/EPCIS#282 describes: several shapes that
    carry `sh:path` are typed `sh:NodeShape` and used through `sh:node`, which SHACL (2.2, 2.3)
    does not allow and pySHACL refuses to load; they are property shapes, used via
    `sh:property`. Nothing else is changed."""
    import rdflib
    from rdflib.namespace import RDF, SH

    shapes = rdflib.Graph().parse(DATA / "standards" / "EPCIS-SHACL.ttl")
    with_path = set(shapes.subjects(SH.path, None))
    for shape in with_path:
        if (shape, RDF.type, SH.NodeShape) in shapes:
            shapes.remove((shape, RDF.type, SH.NodeShape))
            shapes.add((shape, RDF.type, SH.PropertyShape))
    for user, shape in list(shapes.subject_objects(SH.node)):
        if shape in with_path:
            shapes.remove((user, SH.node, shape))
            shapes.add((user, SH.property, shape))
    return shapes


@cache
def _context() -> Any:
    return json.loads((DATA / "standards" / "epcis-context.jsonld").read_text())["@context"]


def as_rdf(doc: dict[str, Any]) -> Any:
    """The document's RDF graph, the GS1 context taken from tests/data (no network)."""
    import rdflib

    local = copy.deepcopy(doc)
    contexts = local["@context"] if isinstance(local["@context"], list) else [local["@context"]]
    local["@context"] = [_context() if c == CONTEXT_URL else c for c in contexts]
    assert CONTEXT_URL not in json.dumps(local["@context"])
    return rdflib.Graph().parse(data=json.dumps(local), format="json-ld")


def shacl_report(doc: dict[str, Any]) -> tuple[bool, str]:
    import pyshacl

    conforms, _, text = pyshacl.validate(as_rdf(doc), shacl_graph=_shapes())
    return bool(conforms), str(text)


def assert_valid_epcis(doc: dict[str, Any], shacl: bool = True) -> None:
    errors = schema_errors(doc)
    assert not errors, errors[:5]
    if shacl:
        conforms, text = shacl_report(doc)
        assert conforms, text[:3000]


def _to_milliseconds(stamp: str) -> str:
    """The time at millisecond precision, rounded as the reference generator rounds it
    (``round(microsecond, -3)``), carried into the next second where that gives 1000 ms: the
    generator itself fails there ("microsecond must be in 0..999999", at .9995 s and above, one
    event in ~2000), which is its fault, not the document's. Every other time is unchanged by it."""
    from datetime import datetime, timedelta

    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    rounded = round(moment.microsecond, -3)
    moment = moment.replace(microsecond=0) + timedelta(microseconds=rounded)
    return moment.isoformat(timespec="milliseconds")


def cbv_hashes(doc: dict[str, Any]) -> list[str]:
    """The CBV 2.0 event hash of every event, as the reference implementation computes it."""
    from epcis_event_hash_generator import hash_generator, json_to_py

    doc = copy.deepcopy(doc)
    for event in doc["epcisBody"]["eventList"]:
        for name in ("eventTime", "recordTime"):
            if isinstance(event.get(name), str):
                event[name] = _to_milliseconds(event[name])
    events = json_to_py.event_list_from_epcis_document_json(doc)
    hashes = list(hash_generator.epcis_hashes_from_events(events))
    # the generator logs and skips an event it cannot read: a skipped event is a failure here
    assert len(hashes) == len(doc["epcisBody"]["eventList"]), "an event was not hashed"
    return hashes


def assert_no_false_cbv_claim(doc: dict[str, Any]) -> None:
    """An eventID of the `ni:` form claims to be the CBV 2.0 hash: then it must be that hash."""
    events = doc["epcisBody"]["eventList"]
    for event, recomputed in zip(events, cbv_hashes(doc), strict=True):
        event_id = event.get("eventID", "")
        if event_id.startswith("ni:"):
            assert event_id == recomputed, (event_id, recomputed)
