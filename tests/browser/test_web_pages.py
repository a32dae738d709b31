"""The regulator's pages and the public page in a real Chromium: log in, dashboard, search a
cylinder, its timeline, the CSV export with its progress, recalls, hazards, companies; the
public page on a phone-sized screen. Each page is kept as a screenshot."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from cylinder_trace.db.engine import get_engine
from cylinder_trace.services.demo import DEMO_PASSWORD, load_demo
from tests.browser.conftest import shot


def _demo(client: Any) -> dict[str, str]:
    with Session(get_engine(), expire_on_commit=False) as session:
        load_demo(session)
    token = client.post("/api/v1/auth/token", data={"username": "regulator-chen",
                                                    "password": DEMO_PASSWORD}).json()
    h = {"Authorization": f"Bearer {token['access_token']}"}
    pick = {}
    for name, params in (("overdue", {"overdue": "true"}),
                         ("at_customer", {"location_kind": "customer"})):
        pick[name] = client.get("/api/v1/cylinders", params=params,
                                headers=h).json()["items"][0]["code"]
    return pick


def test_regulator_logs_in_searches_and_reads_a_timeline(browser: Any, live: Any,
                                                          client: Any) -> None:
    codes = _demo(client)
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN",
                                  accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{live.url}/dashboard")
    assert page.url.endswith("/login")
    shot(page, "login")
    page.fill("input[name=username]", "regulator-chen")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    assert page.locator("h1").inner_text().startswith("监管看板")
    assert int(page.locator("[data-totals] dd").first.inner_text()) > 0
    assert page.locator("svg[role=img] rect").count() > 0
    shot(page, "dashboard")

    page.click("nav >> text=查询")
    page.wait_for_url("**/search")
    page.fill("input[name=q]", codes["at_customer"])
    page.press("input[name=q]", "Enter")
    page.wait_for_url(f"**/cylinders/{codes['at_customer']}")
    timeline = page.locator("[data-timeline] li")
    kinds = [timeline.nth(i).get_attribute("data-kind") for i in range(timeline.count())]
    assert {"registered", "filled", "dispatched", "delivered"} <= set(kinds)
    assert "用户处" in page.locator("[data-place]").inner_text()
    shot(page, "cylinder-timeline")

    page.goto(f"{live.url}/search?overdue=1")
    total = int(page.locator("a[data-export]").get_attribute("data-total") or 0)
    assert total > 0
    with page.expect_download() as download:
        page.click("a[data-export]")
    page.wait_for_selector("#export-status[data-done]")
    assert int(page.locator("#export-progress").evaluate("p => p.value")) == total
    assert f"{total} 行" in page.locator("#export-status").inner_text()
    lines = open(download.value.path(), encoding="utf-8-sig").read().strip().splitlines()
    assert len(lines) == total + 1
    shot(page, "search-export")

    for path, marker, name in (("/feed", "[data-feed]", "feed"),
                               ("/recalls", "[data-recall] progress", "recalls"),
                               ("/hazards", "[data-hazard]", "hazards"),
                               ("/enterprises", "[data-enterprises] a", "enterprises")):
        page.goto(live.url + path)
        assert page.locator(marker).count() > 0, path
        shot(page, name)
    page.click("[data-enterprises] a >> nth=0")
    assert page.locator("[data-stations] tbody tr").count() > 0
    shot(page, "enterprise")
    assert errors == []  # no script error, nothing the CSP blocked
    context.close()


def test_public_page_on_a_phone(browser: Any, live: Any, client: Any) -> None:
    codes = _demo(client)
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live.url}/c/{codes['overdue']}")
    badge = page.locator(".badge")
    assert badge.get_attribute("data-status") == "overdue"
    assert "超期" in badge.inner_text()
    assert badge.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(179, 38, 30)"
    box = badge.bounding_box()
    assert box is not None and box["width"] > 300  # big, full width on the phone
    # nothing wider than the screen: no sideways scrolling on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "public-phone")
    page.goto(f"{live.url}/c/CTNOTACODE")
    assert page.locator("h1").count() == 1
    shot(page, "public-unknown-phone")
    context.close()
