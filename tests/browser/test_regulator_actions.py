"""A regulator acts inside the system from a company's page: suspends its filling licence (the
next fill at its station is refused), records a summons; the company's admin sees both."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from cylinder_trace.db.engine import get_engine
from cylinder_trace.db.tables.accounts import Enterprise
from cylinder_trace.services.demo import DEMO_PASSWORD
from tests.browser.conftest import shot
from tests.browser.test_web_pages import _demo


def _login(browser: Any, url: str, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    return page


def test_regulator_suspends_a_licence_and_records_a_summons(
    browser: Any, live: Any, client: Any
) -> None:
    _demo(client)
    with Session(get_engine()) as session:
        e = session.exec(select(Enterprise).order_by(Enterprise.name)).first()
        assert e is not None
        eid = e.id
    page = _login(browser, live.url, "regulator-chen")
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{live.url}/enterprises/{eid}")
    assert page.locator("[data-licence=filling]").get_attribute("data-status") == "valid"
    form = page.locator("[data-licence-form]")
    form.locator("select[name=target]").select_option("filling")
    form.locator("select[name=action]").select_option("suspend")
    form.locator("input[name=reason]").fill("检查发现充装非自有产权气瓶，责令停业整改")
    form.locator("button").click()
    page.wait_for_selector("[data-change=suspend]")
    assert page.locator("[data-licence=filling]").get_attribute("data-status") == "suspended"
    form = page.locator("[data-enforcement-form]")
    form.locator("select[name=kind]").select_option("summons")
    form.locator("input[name=reason]").fill("约谈企业主要负责人")
    form.locator("button").click()
    page.wait_for_selector("[data-enforcement-kind=summons]")
    # a refused change says why, on the same page
    form = page.locator("[data-licence-form]")
    form.locator("select[name=action]").select_option("reinstate")
    form.locator("select[name=target]").select_option("operating")
    form.locator("input[name=reason]").fill("误操作")
    form.locator("button").click()
    page.wait_for_selector("[data-error]")
    shot(page, "enterprise-regulated")
    assert errors == []
