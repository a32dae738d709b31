"""Codes and identifiers judged by vectors nobody here wrote (tests/data/standards, origins in its
README): the GS1 Barcode Syntax Engine's verdicts on AI 8003 scans and Digital Links, EPC GRAI
URIs and GRAI-96 tags from epcpy / openepcis / RalphTro / epcGS1coder, python-stdnum's ISO/IEC
7064 MOD 37,36, GB 32100 and GB 11643 vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cylinder_trace.domain.codes import ScanError, ScanForm, check_char, parse_scan, signing_keys
from cylinder_trace.domain.epcis import epc_of
from cylinder_trace.domain.identifiers import is_valid_credit_code, is_valid_id_number

DATA = Path(__file__).resolve().parents[1] / "data" / "standards"
KEYS = signing_keys("", "test-secret")


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def grai_of(element_string: str) -> str:
    """The element string `(8003)…` as our normal form of the identifier."""
    assert element_string.startswith("(8003)")
    return "GRAI:" + element_string[6:]


SCANS = load("gs1_grai_scans.json")


@pytest.mark.parametrize("v", SCANS, ids=[v["scan"] for v in SCANS])
def test_grai_scans_as_the_gs1_syntax_engine_judges_them(v: dict[str, Any]) -> None:
    parsed = parse_scan(v["scan"], KEYS, ())
    if v["valid"]:
        assert parsed.ok, (parsed.error, parsed.detail)
        assert parsed.external == grai_of(v["grai"])
    else:
        assert not parsed.ok and parsed.external is None, parsed
        assert parsed.error is not None and parsed.detail


DL_OUT = load("gs1_digital_link_out.json")["vectors"]


@pytest.mark.parametrize("v", DL_OUT, ids=[v["element_string"] for v in DL_OUT])
def test_our_digital_link_is_the_engines_canonical_one_and_reads_back(v: dict[str, Any]) -> None:
    external = grai_of(v["element_string"])
    link = epc_of("CT0000001ZK", external, "https://ct.example.cn")
    assert link == v["canonical_dl"]
    assert parse_scan(link, KEYS, ()).external == external


EPC = load("epc_grai.json")


@pytest.mark.parametrize("v", EPC["uris"], ids=[v["uri"] for v in EPC["uris"]])
def test_epc_grai_uris(v: dict[str, Any]) -> None:
    parsed = parse_scan(v["uri"], KEYS, ())
    if v["valid"]:
        assert parsed.ok and parsed.form == ScanForm.EPC_GRAI96, parsed
        assert parsed.external == grai_of(v["element_string"])
    else:
        assert not parsed.ok and parsed.external is None, (v["why"], parsed)


@pytest.mark.parametrize("v", EPC["grai96_hex"], ids=[v["hex"] for v in EPC["grai96_hex"]])
def test_grai96_tags(v: dict[str, Any]) -> None:
    parsed = parse_scan(v["hex"], KEYS, ())
    if v["valid"]:
        assert parsed.ok and parsed.external == grai_of(v["element_string"]), parsed
        # the tag and its pure-identity URI name the same asset
        assert parse_scan(v["uri"], KEYS, ()).external == parsed.external
    else:
        assert parsed.error == ScanError.BAD_EPC, (v["why"], parsed)


def test_nul_after_percent_decoding_is_refused_not_passed_on() -> None:
    for scan in ("https://id.gs1.org/8003/02112345678900A%00B",
                 "urn:epc:id:grai:0614141.12345.%00", "https://id.gs1.org/8003/02112345678900A%G0"):
        parsed = parse_scan(scan, KEYS, ())
        assert parsed.error == ScanError.BAD_GRAI or parsed.error == ScanError.BAD_EPC, scan
        assert parsed.external is None


def test_camera_and_serial_scanner_forms_of_one_gs1_qr_name_one_cylinder() -> None:
    # zxing-cpp gives a GS1 QR's text in its human-readable form; a serial scanner sends it raw
    # with its AIM id ]Q3 and FNC1 as GS.
    hri = parse_scan("(8003)02112345678900ABC(99)CYL-7", KEYS, ())
    raw = parse_scan("]Q3800302112345678900ABC\x1d99CYL-7", KEYS, ())
    assert hri.ok and raw.ok and hri.external == raw.external == "GRAI:02112345678900ABC"


MOD37 = load("iso7064_mod37_36.json")


def test_iso7064_mod_37_36_published_and_generated_vectors() -> None:
    cases = MOD37["published"] + MOD37["generated"]
    assert len(cases) > 300
    for v in cases:
        assert check_char(v["body"]) == v["check"], v
    for v in MOD37["published_invalid"]:
        assert check_char(v["number"][:-1]) != v["number"][-1]


def test_gb32100_credit_codes() -> None:
    d = load("gb32100_uscc.json")
    assert len(d["valid"]) == 200
    for code in d["valid"]:
        assert is_valid_credit_code(code), code
    for v in d["invalid"]:
        assert not is_valid_credit_code(v["number"]), v


def test_gb11643_id_numbers() -> None:
    d = load("gb11643_ric.json")
    for number in d["valid"]:
        assert is_valid_id_number(number), number
    assert is_valid_id_number(d["lower_case_x"])
    for v in d["invalid"]:
        assert not is_valid_id_number(v["number"]), v
