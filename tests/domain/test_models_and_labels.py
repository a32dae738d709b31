"""The model table, service-life dates and QR labels that decode back to their text."""

from __future__ import annotations

import ctypes.util
import io
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from PIL import Image

from cylinder_trace.adapters import labels
from cylinder_trace.domain.models_spec import (
    MODELS,
    add_years,
    design_life_years,
    latest_registered_due,
    lookup,
    max_life_years,
    next_inspection_due,
)
from cylinder_trace.domain.policy import RegionPolicy, policy_for

QR = "HTTPS://CT.EXAMPLE.CN/C/CT0000001ZK/1ABCDEFGH"


@pytest.mark.parametrize(
    "name, water, fill, valve",
    [("YSP-4.7", 4.7, 2.0, "single_phase"), ("YSP-12", 12, 5.0, "single_phase"),
     ("YSP-26.2", 26.2, 11.0, "single_phase"), ("YSP-35.5", 35.5, 14.9, "single_phase"),
     ("YSP-118", 118, 49.5, "single_phase"), ("YSP-118-II", 118, 49.5, "two_phase")],
)
def test_each_model_of_gb5842(name: str, water: float, fill: float, valve: str) -> None:
    m = MODELS[name]
    assert (m.water_capacity_l, m.max_fill_kg, m.valve_type) == (water, fill, valve)
    assert m.max_fill_kg == pytest.approx(m.water_capacity_l * 0.42, abs=0.1)


def test_model_lookup_is_tolerant() -> None:
    for spelling in ("YSP-12", "ysp12", "YSP 12", " ysp-12"):
        found = lookup(spelling.strip())
        assert found is not None and found.name == "YSP-12", spelling
    assert lookup("ysp118ii") == MODELS["YSP-118-II"]
    assert lookup("YSP-118-Ⅱ") == MODELS["YSP-118-II"]
    assert lookup("YSP-118") == MODELS["YSP-118"]
    assert lookup("ABC") is None


def test_service_life_turns_on_2007_02_01() -> None:
    assert design_life_years(date(2007, 1, 31)) == 15
    assert design_life_years(date(2007, 2, 1)) == 8
    assert max_life_years(date(2007, 1, 31)) == 15
    assert max_life_years(date(2007, 2, 1)) == 12
    assert max_life_years(date(2010, 1, 1), override=10) == 10


def test_leap_days_fall_back_to_the_28th() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert next_inspection_due(date(2024, 2, 29), 3) == date(2027, 2, 28)


def test_a_registered_due_date_is_one_interval_after_manufacture_or_inspection() -> None:
    assert latest_registered_due(date(2022, 3, 1), None) == date(2026, 3, 1)
    assert latest_registered_due(date(2022, 3, 1), date(2023, 5, 10)) == date(2027, 5, 10)
    assert latest_registered_due(date(2024, 2, 29), None, 3) == date(2027, 2, 28)


def test_region_policy_longest_prefix_wins() -> None:
    policies: dict[str, dict[str, object]] = {
        "50": {"inspection_interval_years": 3}, "5001": {"require_smart_valve": True},
        "44": {"unknown_knob": 1}}
    assert policy_for("500103", policies) == RegionPolicy(require_smart_valve=True)
    assert policy_for("500230", policies).inspection_interval_years == 3
    assert policy_for("440106", policies) == RegionPolicy()
    assert policy_for("110101", {}) == RegionPolicy()


def test_the_png_label_decodes_back_to_its_text_with_zxing() -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    png = labels.label_png(QR, ["CT0000001ZK", "渝通燃气有限公司"])
    img = Image.open(io.BytesIO(png))
    assert img.size[0] == pytest.approx(25 / 25.4 * 300, abs=30)  # 25 mm at 300 dpi
    results = zxingcpp.read_barcodes(img)
    assert [r.text for r in results] == [QR]


@pytest.mark.skipif(ctypes.util.find_library("zbar") is None,
                    reason="libzbar0 is not installed (make bootstrap installs it as root)")
def test_the_png_label_decodes_back_to_its_text_with_pyzbar() -> None:
    from pyzbar import pyzbar

    img = Image.open(io.BytesIO(labels.label_png(QR, ["CT0000001ZK"])))
    assert [d.data.decode() for d in pyzbar.decode(img)] == [QR]


def test_svg_label_and_sheets() -> None:
    svg = labels.label_svg(QR, ["CT0000001ZK", "渝通 & 燃气"])
    root = ET.fromstring(svg)
    assert root.get("width") == "25.0mm"
    assert "渝通 &amp; 燃气" in svg
    items = [(QR, [f"CT{n:09d}", "owner"]) for n in range(100)]
    pages = labels.label_sheet_svg(items)
    assert len(pages) >= 2
    for page in pages:
        ET.fromstring(page)
    pdf = labels.label_sheet_pdf(items[:10])
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type/Page") >= 1
