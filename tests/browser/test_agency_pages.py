"""The inspection agencies' pages in a real Chromium over the demo: the agency's inspector logs
in, opens the list, its agency (approval, inspectors, recent records) and a cylinder it
inspected, whose timeline names the agency. Each page is kept as a screenshot."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from cylinder_trace.db.engine import get_engine
from cylinder_trace.services.demo import DEMO_PASSWORD, load_demo
from tests.browser.conftest import shot


def test_an_inspector_reads_its_agency_and_a_cylinder_it_inspected(
    browser: Any, live: Any, client: Any
) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        load_demo(session)
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live.url}/login")
    page.fill("input[name=username]", "inspector-zhao")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")

    page.click("nav >> text=检验机构")
    page.wait_for_url("**/agencies")
    rows = page.locator("[data-agencies] tbody tr[data-agency]")
    assert rows.count() == 1 and "有效" in rows.first.inner_text()
    shot(page, "agencies")

    rows.first.locator("a").click()
    page.wait_for_url("**/agencies/*")
    assert page.locator("h1").inner_text().startswith("【演示】")
    assert "inspector-zhao" in page.locator("[data-inspectors]").inner_text()
    kinds = {page.locator("[data-register] tbody tr").nth(i).get_attribute("data-kind")
             for i in range(page.locator("[data-register] tbody tr").count())}
    assert {"inspection", "valve_conversion", "scrap"} <= kinds
    shot(page, "agency")

    page.locator("[data-register] tr[data-kind=inspection] a").first.click()
    page.wait_for_url("**/cylinders/*")
    inspected = page.locator("[data-timeline] li[data-kind=inspected]").first
    assert "检验机构" in inspected.inner_text() and "【演示】" in inspected.inner_text()
    assert errors == []
    context.close()
