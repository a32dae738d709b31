"""A regulator records a signed station visit from its checklist, follows the major hazard it
found (it cannot close before the five are fixed), hands a public report to the transport
department, and reads all of it in the audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cylinder_trace.services.registry import today
from tests.browser.conftest import shot
from tests.browser.test_regulator_actions import _login
from tests.browser.test_web_pages import _demo


def test_regulator_inspects_a_station_hands_a_case_over_and_reads_the_trail(
    browser: Any, live: Any, client: Any
) -> None:
    _demo(client)
    page = _login(browser, live.url, "regulator-chen")
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.click("nav >> text=监督检查")
    page.wait_for_url("**/supervision")
    form = page.locator("[data-visit-form]")
    form.locator("input[name=ok_own_cylinders_only]").uncheck()
    form.locator("input[name=major_own_cylinders_only]").check()
    form.locator("input[name=note_own_cylinders_only]").fill("发现他人产权气瓶3只")
    form.locator("input[name=rectify_by]").fill(str(today() + timedelta(days=15)))
    form.locator("input[name=inspector_name]").fill("陈检查")
    form.locator("input[name=signed]").check()
    form.locator("button").click()
    page.wait_for_selector("[data-visit][data-status=rectifying]")
    hazard = page.locator("[data-major-hazard][data-status=open]")
    assert hazard.count() == 1
    hazard.locator("input[name=note]").fill("已整改")
    hazard.locator("button").click()
    page.wait_for_selector("[data-error]")
    assert "五定" in page.locator("[data-error]").inner_text()
    shot(page, "supervision")

    page.click("nav >> text=群众举报")
    page.wait_for_url("**/reports")
    page.locator("[data-reports] a").first.click()
    page.wait_for_selector("[data-handover-form]")
    page.select_option("[data-handover-form] select", "transport")
    page.fill("[data-handover-form] input[name=note]", "涉及配送车辆，移交交通部门")
    page.click("[data-handover-form] button")
    page.wait_for_selector("[data-department=transport]")
    assert page.locator("[data-handover-form]").count() == 0  # no longer this department's
    shot(page, "report-handed-over")

    page.click("nav >> text=审计")
    page.wait_for_url("**/audit")
    actions = page.locator("[data-audit-action]")
    seen = {actions.nth(i).get_attribute("data-audit-action") for i in range(actions.count())}
    assert {"supervision.visit", "report.hand_over"} <= seen
    shot(page, "audit")
    assert errors == []
