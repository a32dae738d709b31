"""The public page at the QR label's URL: safety summary, no login, no personal data."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from cylinder_trace.domain import codes
from tests.factories import days_ago


def path_of(qr_text: str) -> str:
    return urlsplit(qr_text).path


def test_the_labels_url_opens_the_safety_summary(world: Any) -> None:
    e = world.enterprise(name="渝通燃气有限公司")
    made, inspected = days_ago(3 * 365), days_ago(200)  # in service on any day
    due = days_ago(-700)  # before the cycle's bound (four years after the inspection)
    c = world.cylinder(e["id"], model="YSP-35.5", manufacture_date=made,
                       last_inspection_date=inspected, next_inspection_due=due)
    r = world.client.get(path_of(c["qr_text"]))  # /C/{code}/{sig}, no login
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    for expected in (c["code"], "YSP-35.5", "渝通燃气有限公司", made, inspected,
                     due, "可以使用", "In service", "12315"):
        assert expected in page, expected
    assert 'data-signature="bad"' not in page
    # the lower-case path of product.md works too
    assert world.client.get(f"/c/{c['code']}").status_code == 200


def test_status_words_follow_the_cylinder(world: Any) -> None:
    e = world.enterprise()
    c = world.cylinder(e["id"], manufacture_date="2020-01-01", last_inspection_date="2021-01-01",
                       next_inspection_due="2023-01-01")
    assert "超期未检" in world.client.get(f"/c/{c['code']}").text
    # past its 8-year design life with no inspection since: the same refusal as at the scale
    old = world.cylinder(e["id"], manufacture_date="2017-01-01",
                         last_inspection_date="2024-01-01", next_inspection_due="2028-01-01")
    assert "超出使用年限" in world.client.get(f"/c/{old['code']}").text
    bad = world.cylinder(e["id"])
    assert world.inspect(bad, "fail", inspected_on="2025-01-01").status_code == 201
    assert "检验不合格" in world.client.get(f"/c/{bad['code']}").text


def test_a_forged_signature_or_unknown_code_gets_a_clear_page(world: Any) -> None:
    e = world.enterprise()
    c = world.cylinder(e["id"])
    code, sig = path_of(c["qr_text"]).split("/")[-2:]
    forged = sig[0] + ("A" if sig[1] != "A" else "B") + sig[2:]
    r = world.client.get(f"/C/{code}/{forged}")
    assert r.status_code == 200 and 'data-signature="bad"' in r.text
    assert "伪造" in r.text
    unknown = codes.make_code("CT", 888_888)
    r = world.client.get(f"/c/{unknown}")
    assert r.status_code == 404 and "未登记" in r.text and "Not registered" in r.text
    assert "Traceback" not in r.text
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    r = world.client.get(f"/c/{typo}")
    assert r.status_code == 404 and "校验位" in r.text
    assert world.client.get("/c/%00%01<script>").status_code == 404


def test_the_public_page_shows_no_personal_data(world: Any) -> None:
    e = world.enterprise()
    c = world.cylinder(e["id"])
    page = world.client.get(f"/c/{c['code']}").text
    assert e["credit_code"] not in page  # not personal, but not the public's business either
    assert "location_id" not in page
