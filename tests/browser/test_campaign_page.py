"""The campaign's monthly ranking as a regulator reads it and prints it: every company of the
region, ranked, the deadlines, a CSV with the same rows."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import shot
from tests.browser.test_regulator_actions import _login
from tests.browser.test_web_pages import _demo


def test_regulator_reads_prints_and_exports_the_ranking(browser: Any, live: Any,
                                                        client: Any) -> None:
    _demo(client)
    page = _login(browser, live.url, "regulator-chen")
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.click("nav >> text=整治进度")
    page.wait_for_url("**/campaign")
    ranks = page.locator("[data-progress] tbody tr")
    assert ranks.count() == 2
    assert [ranks.nth(i).get_attribute("data-rank") for i in range(2)] == ["1", "2"]
    assert page.locator("[data-deadlines] tr").count() >= 2
    page.emulate_media(media="print")
    assert page.locator("nav").is_hidden()  # the printed report has no navigation
    shot(page, "campaign-print")
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.click("[data-campaign-csv]")
    lines = open(download.value.path(), encoding="utf-8-sig").read().strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("rank,enterprise")
    shot(page, "campaign")
    assert errors == []
