"""A member of the public reports a problem from a cylinder's page on a phone, with a photo, and
follows it by reference; the regulator of the region takes the case and answers it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cylinder_trace.services.demo import DEMO_PASSWORD
from tests.api.test_reports import png
from tests.browser.conftest import shot
from tests.browser.test_web_pages import _demo


def test_the_public_report_a_cylinder_and_the_regulator_answers(
    browser: Any, live: Any, client: Any, tmp_path: Path
) -> None:
    code = _demo(client)["at_customer"]
    photo = tmp_path / "basement.png"
    photo.write_bytes(png((64, 48)))
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                is_mobile=True, has_touch=True, locale="zh-CN")
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live.url}/c/{code}")
    page.click("[data-report-link]")
    page.wait_for_url(f"**/report?code={code}")
    assert page.locator("input[name=code]").input_value() == code
    page.select_option("select[name=kind]", "forbidden_premises")
    page.fill("textarea[name=description]", "饭店把气瓶放在地下室 cylinders kept in a basement")
    page.fill("input[name=place]", "解放碑某饭店")
    page.set_input_files("input[name=photos]", str(photo))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "report-form-phone")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-received]")
    reference = page.locator("[data-reference]").inner_text()
    assert reference.startswith("JB-")
    assert page.locator("[data-status]").get_attribute("data-status") == "open"
    shot(page, "report-received-phone")

    desk = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    office = desk.new_page()
    office.on("pageerror", lambda e: errors.append(str(e)))
    office.goto(f"{live.url}/login")
    office.fill("input[name=username]", "regulator-chen")
    office.fill("input[name=password]", DEMO_PASSWORD)
    office.click("button[type=submit]")
    office.wait_for_url("**/dashboard")
    office.click("nav >> text=群众举报")
    office.wait_for_url("**/reports")
    row = office.locator(f"[data-report='{reference}']")
    assert row.count() == 1 and code in row.inner_text()
    shot(office, "reports")
    row.locator("a").first.click()
    office.wait_for_selector("[data-answer-form]")
    # the photo loads (waited for: the form can be there before the image has come)
    office.wait_for_function("() => document.querySelector('img').complete")
    assert office.locator("img").evaluate("i => i.naturalWidth") == 64
    office.select_option("select[name=status]", "verifying")
    office.click("[data-answer-form] button")
    office.wait_for_selector("[data-status=verifying]")
    office.select_option("select[name=status]", "answered")
    office.fill("textarea[name=answer]", "已现场核查，责令搬离地下室并立案处罚。")
    office.click("[data-answer-form] button")
    office.wait_for_selector("[data-status=answered]")
    shot(office, "report-case")

    page.goto(f"{live.url}/report/{reference}")
    assert page.locator("[data-status]").get_attribute("data-status") == "answered"
    assert "责令搬离" in page.locator("[data-answer]").inner_text()
    shot(page, "report-answered-phone")
    assert errors == []
    phone.close()
    desk.close()
