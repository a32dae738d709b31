"""The phone app's "check a cylinder" screen, attacked: a forged label must get the scale's
answer (DENY), each scan's message replaces the last one, nothing reads "null", and receiving
the same empty twice records one return."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from cylinder_trace.db.engine import get_engine
from tests.browser.test_phone_app import PHONE
from tests.factories import GOOD, PASSWORD


def _returns(code: str) -> int:
    with get_engine().connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM cylinder_event e JOIN cylinder c ON c.id = e.cylinder_id "
            "WHERE c.code = :c AND e.kind = 'returned'"), {"c": code}).scalar_one())


def _scan(page: Any, typed: str) -> None:
    page.evaluate("document.querySelector('[data-result]').replaceChildren()")
    page.fill("section.scan input", typed)
    page.press("section.scan input", "Enter")


def test_a_forged_label_on_the_phones_check_screen(browser: Any, live: Any, world: Any) -> None:
    e = world.enterprise()
    world.station(e["id"])
    operator = world.user("operator", e["id"])
    c = world.cylinder(e["id"], **GOOD)
    code, sig = c["qr_text"].split("/")[-2:]
    forged = c["qr_text"][: -len(sig)] + sig[0] + ("A" if sig[1] != "A" else "B") + sig[2:]
    context = browser.new_context(**PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{live.url}/app/")
    page.fill("input[name=username]", operator["username"])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("a[href='#check']")
    # the forged label: DENY, as the scale says, not the bare code's ALLOW
    _scan(page, forged)
    page.wait_for_selector("[data-decision]")
    assert page.locator("[data-decision]").get_attribute("data-decision") == "deny"
    assert page.locator("[data-reason='UNREGISTERED']").count() == 1
    # a misread label says so; the next good scan clears that message
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    _scan(page, typo)
    page.wait_for_selector(".scan-msg.bad")
    assert "校验位" in page.locator(".scan-msg").inner_text()
    _scan(page, c["qr_text"])
    page.wait_for_selector("[data-decision]")
    assert page.locator("[data-decision]").get_attribute("data-decision") == "allow"
    assert page.locator(".scan-msg").inner_text() == ""
    shown = page.locator("#view").inner_text()
    assert "null" not in shown and "undefined" not in shown
    # receive it as a returned empty, twice (the button once, then a second scan and tap)
    page.click("[data-result] button")
    page.wait_for_selector("[data-returned]")
    assert page.locator("[data-result] button").is_disabled()
    _scan(page, c["qr_text"])
    page.wait_for_selector("[data-decision]")
    page.click("[data-result] button")
    page.wait_for_selector("[data-returned]")
    assert _returns(code) == 1
    assert "null" not in page.locator("#view").inner_text()
    assert errors == []
    context.close()
