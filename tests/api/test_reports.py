"""The public's reports (举报): sent without an account from a cylinder's page or the form,
routed to the regulator of the region, followed by reference, answered by a regulator in scope."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text

from cylinder_trace.db.engine import get_engine
from tests.api.test_health_and_errors import assert_problem
from tests.conftest import client_with_settings

REPORT = "/api/v1/public/reports"


def png(size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def send(client: Any, files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
         **form: str) -> Any:
    form.setdefault("kind", "illegal_decanting")
    form.setdefault("description", "有人在地下室倒气 decanting in a basement")
    return client.post(REPORT, data=form, files=files or None)


def test_a_report_from_a_cylinder_reaches_the_regulator_of_its_region(world: Any) -> None:
    e = world.enterprise(region_code="500103")
    c = world.cylinder(e["id"])
    r = send(world.client, code=c["qr_text"], contact_phone="13800138000", contact_name="王")
    assert r.status_code == 201, r.text
    ref = r.json()["reference"]
    assert re.fullmatch(r"JB-\d{8}-[0-9A-HJKMNP-TV-Z]{8}", ref)
    near = world.user("regulator", region_codes=["500100"])
    far = world.user("regulator", region_codes=["310000"])
    [seen] = world.client.get("/api/v1/reports", headers=near["headers"]).json()
    assert seen["reference"] == ref and seen["cylinder_code"] == c["code"]
    assert seen["region_code"] == "500103" and seen["status"] == "open"
    assert seen["contact_phone_masked"] == "138****8000" and not seen["overdue"]
    assert world.client.get("/api/v1/reports", headers=far["headers"]).json() == []
    assert_problem(world.client.get(f"/api/v1/reports/{seen['id']}", headers=far["headers"]),
                   404, "NOT_FOUND")
    # the company the report may be about does not read it
    admin = world.user("enterprise_admin", e["id"])
    assert_problem(world.client.get("/api/v1/reports", headers=admin["headers"]), 403,
                   "FORBIDDEN")
    # the region's regulators are notified, with the cylinder and without the reporter
    with get_engine().connect() as conn:
        payload = conn.execute(text("SELECT payload::text FROM notification WHERE "
                                    "kind = 'public_report'")).scalar_one()
    assert c["code"] in payload and "13800138000" not in payload and "王" not in payload


def test_the_reporter_follows_the_case_by_reference_alone(world: Any) -> None:
    e = world.enterprise()
    c = world.cylinder(e["id"])
    ref = send(world.client, code=c["code"], contact_phone="13912345678").json()["reference"]
    public = world.client.get(f"{REPORT}/{ref}")
    assert public.status_code == 200 and public.json()["status"] == "open"
    assert "13912345678" not in public.text and "contact" not in public.text
    reg = world.user("regulator", region_codes=["500000"])
    rid = world.client.get("/api/v1/reports", headers=reg["headers"]).json()[0]["id"]
    answer = f"/api/v1/reports/{rid}/answer"
    assert world.client.post(answer, json={"status": "verifying"},
                             headers=reg["headers"]).json()["status"] == "verifying"
    assert_problem(world.client.post(answer, json={"status": "answered"},
                                     headers=reg["headers"]), 422, "INVALID")
    done = world.client.post(answer, json={"status": "answered", "answer": "已查处，罚款"},
                             headers=reg["headers"])
    assert done.status_code == 200 and done.json()["answered_by"].startswith("user:")
    body = assert_problem(world.client.post(answer, json={"status": "verifying"},
                                            headers=reg["headers"]), 409, "CONFLICT")
    assert body["reason"] == "REPORT_STATE"
    seen = world.client.get(f"{REPORT}/{ref}").json()
    assert seen["status"] == "answered" and seen["answer"] == "已查处，罚款"
    assert_problem(world.client.get(f"{REPORT}/JB-20260101-00000000"), 404, "NOT_FOUND")
    assert_problem(world.client.get(f"{REPORT}/not-a-reference"), 404, "NOT_FOUND")
    # a company admin cannot close the regulator's case either
    admin = world.user("enterprise_admin", e["id"])
    assert_problem(world.client.post(answer, json={"status": "unfounded", "answer": "x"},
                                     headers=admin["headers"]), 403, "FORBIDDEN")


def test_an_unknown_label_is_kept_as_scanned_and_needs_a_region(world: Any) -> None:
    fake = "HTTPS://CT.EXAMPLE.CN/C/CT00000001X/FORGED"
    body = assert_problem(send(world.client, code=fake, kind="suspect_label"), 422, "INVALID")
    assert body["reason"] == "REPORT_REGION"
    r = send(world.client, code=fake, kind="suspect_label", region_code="500103")
    assert r.status_code == 201, r.text
    reg = world.user("regulator", region_codes=["500000"])
    [seen] = world.client.get("/api/v1/reports", headers=reg["headers"]).json()
    assert seen["cylinder_code"] is None and seen["scanned"] == fake


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("fake.jpg", b"\xff\xd8\xff" + b"not really a jpeg" * 10, "PHOTO_TYPE"),
    ("page.html", b"<html><script>alert(1)</script></html>", "PHOTO_TYPE"),
    ("huge.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024), "PHOTO_TOO_LARGE"),
])
def test_a_photo_that_is_not_a_small_image_is_refused_and_nothing_is_stored(
    world: Any, name: str, data: bytes, reason: str
) -> None:
    r = send(world.client, region_code="500103", files=[("photos", (name, data, "image/png"))])
    assert assert_problem(r, 422, "INVALID")["reason"] == reason
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM public_report")).scalar_one() == 0


def test_photos_are_stored_and_shown_to_the_regulator_only(world: Any) -> None:
    photo = png()
    r = send(world.client, region_code="500103",
             files=[("photos", ("a.png", photo, "image/png")), ("photos", ("b.png", png((4, 4)),
                                                                       "image/png"))])
    assert r.status_code == 201, r.text
    reg = world.user("regulator", region_codes=["500000"])
    [seen] = world.client.get("/api/v1/reports", headers=reg["headers"]).json()
    assert len(seen["photo_ids"]) == 2
    url = f"/api/v1/reports/{seen['id']}/photos/{seen['photo_ids'][0]}"
    got = world.client.get(url, headers=reg["headers"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert got.content in (photo, png((4, 4)))
    assert world.client.get(url).status_code == 401
    far = world.user("regulator", region_codes=["310000"])
    assert world.client.get(url, headers=far["headers"]).status_code == 404
    four = [("photos", (f"{i}.png", photo, "image/png")) for i in range(4)]
    assert assert_problem(send(world.client, region_code="500103", files=four), 422,
                          "INVALID")["reason"] == "PHOTO_COUNT"


def test_the_reporters_phone_is_stored_encrypted(world: Any) -> None:
    send(world.client, region_code="500103", contact_phone="13700001111")
    with get_engine().connect() as conn:
        row = conn.execute(text("SELECT row_to_json(r)::text FROM public_report r")).scalar_one()
    assert "13700001111" not in row and "7000011" not in row


@pytest.mark.parametrize("form", [
    {"kind": "gossip"},
    {"description": "x"},
    {"description": "a\x00bcdef"},
    {"region_code": "12345"},
    {"contact_phone": "call me maybe"},
])
def test_bad_reports_are_refused_with_a_problem(world: Any, form: dict[str, str]) -> None:
    form.setdefault("region_code", "500103")
    assert_problem(send(world.client, files=None, **form), 422)


def test_the_form_and_the_status_page_work_without_an_account(world: Any) -> None:
    e = world.enterprise()
    c = world.cylinder(e["id"])
    page = world.client.get(f"/c/{c['code']}")
    assert f'href="/report?code={c["code"]}"' in page.text
    form = world.client.get(f"/report?code={c['code']}")
    assert form.status_code == 200 and c["code"] in form.text and "举报" in form.text
    sent = world.client.post("/report", data={"kind": "unsafe_delivery", "code": c["code"],
                                              "description": "送气工没有安检 no check at the door"},
                             follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/report/JB-")
    status = world.client.get(sent.headers["location"])
    assert status.status_code == 200 and "已受理" in status.text and "data-received" in status.text
    bad = world.client.post("/report", data={"kind": "unsafe_delivery", "description": "x",
                                             "region_code": "500103"})
    assert bad.status_code == 422 and "data-error" in bad.text
    assert world.client.get("/report/JB-20260101-00000000").status_code == 404


def test_the_company_sets_its_public_numbers_and_the_public_page_shows_them(world: Any) -> None:
    e, other = world.enterprise(), world.enterprise()
    c = world.cylinder(e["id"])
    admin = world.user("enterprise_admin", e["id"])
    url = f"/api/v1/enterprises/{e['id']}/public-contacts"
    body = {"complaint_phone": "023-6000 1234", "emergency_phone": "023-96999"}
    r = world.client.put(url, json=body, headers=admin["headers"])
    assert r.status_code == 200 and r.json() == body
    page = world.client.get(f"/c/{c['code']}").text
    assert "023-96999" in page and "023-6000 1234" in page and "24小时应急抢险" in page
    stranger = world.user("enterprise_admin", other["id"])
    assert world.client.put(url, json=body, headers=stranger["headers"]).status_code == 404
    assert_problem(world.client.put(url, json={"complaint_phone": "<script>"},
                                    headers=admin["headers"]), 422, "INVALID")


@pytest.fixture
def strict_client(database_url: str, monkeypatch: pytest.MonkeyPatch,
                  client: Any) -> Iterator[TestClient]:
    yield from client_with_settings(database_url, monkeypatch, rate_report_per_minute="2")


def test_reports_from_one_address_are_rate_limited(strict_client: TestClient) -> None:
    codes = [send(strict_client, region_code="500103").status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    # looking a case up is the public bucket's, not the report bucket's
    assert strict_client.get(f"{REPORT}/JB-20260101-00000000").status_code == 404


def test_a_case_handed_to_another_department_shows_in_both(world: Any) -> None:
    e = world.enterprise()
    c = world.cylinder(e["id"])
    send(world.client, code=c["code"], kind="unsafe_delivery",
         description="送气车辆无危险品标志 an unmarked delivery van")
    market = world.user("regulator", region_codes=["500000"])
    transport = world.user("regulator", region_codes=["500000"], department="transport")
    fire = world.user("regulator", region_codes=["500000"], department="fire")
    assert world.client.get("/api/v1/reports", headers=transport["headers"]).json() == []
    [case] = world.client.get("/api/v1/reports", headers=market["headers"]).json()
    assert case["department"] == "market"
    url = f"/api/v1/reports/{case['id']}"
    moved = world.client.post(f"{url}/handover", headers=market["headers"],
                              json={"to_department": "transport", "note": "车辆问题，移交交通"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["department"] == "transport"
    assert [h["to_department"] for h in moved.json()["handovers"]] == ["transport"]
    # both sides see it and its state; a third department does not
    for who in (market, transport):
        [seen] = world.client.get("/api/v1/reports", headers=who["headers"]).json()
        assert seen["id"] == case["id"] and seen["department"] == "transport"
    assert world.client.get("/api/v1/reports", headers=fire["headers"]).json() == []
    assert_problem(world.client.get(url, headers=fire["headers"]), 404)
    # the holder answers; the department that handed it over no longer does
    r = world.client.post(f"{url}/answer", json={"status": "verifying"}, headers=market["headers"])
    assert assert_problem(r, 403)["reason"] == "NOT_YOUR_CASE"
    done = world.client.post(f"{url}/answer", json={"status": "answered", "answer": "已立案查处"},
                             headers=transport["headers"])
    assert done.status_code == 200
    seen = world.client.get(url, headers=market["headers"]).json()
    assert seen["status"] == "answered"
    again = world.client.post(f"{url}/handover", headers=transport["headers"],
                              json={"to_department": "fire", "note": "再移交"})
    assert assert_problem(again, 409)["reason"] == "REPORT_STATE"
