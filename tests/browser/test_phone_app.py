"""The phone app (/app/) in Chromium at a phone's size: the real camera path (Chromium's fake
camera playing a video of a cylinder's label), a full door-step confirmation, refusals on the
spot, the station check, and a confirmation made offline that survives closing the browser and
arrives exactly once, with the phone's time."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from cylinder_trace.db.engine import get_engine
from cylinder_trace.services import registry
from cylinder_trace.services.demo import DEMO_PASSWORD, load_demo
from tests.browser.conftest import ARTIFACTS, chromium_path, launch, shot
from tests.browser.test_phone_shell import shell as shell_list
from tests.browser.video import write_y4m

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN",
         "permissions": ["camera", "geolocation"],
         "geolocation": {"latitude": 29.5576, "longitude": 106.5771, "accuracy": 12}}


def _token(base: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token",
                   data={"username": username, "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
def demo(live: Any) -> dict[str, Any]:
    with Session(get_engine(), expire_on_commit=False) as session:
        load_demo(session)
    worker = _token(live.url, "worker-wang")
    dispatches = httpx.get(f"{live.url}/api/v1/deliveries/open", headers=worker).json()
    assert len(dispatches) == 2
    regulator = _token(live.url, "regulator-chen")
    foreign = httpx.get(f"{live.url}/api/v1/cylinders", headers=regulator,
                        params={"limit": 500}).json()["items"]
    mine = {d["enterprise_id"] for d in dispatches}
    other = next(c for c in foreign if c["owner_enterprise_id"] not in mine)
    empty = httpx.get(f"{live.url}/api/v1/cylinders", headers=worker | regulator, params={
        "location_kind": "customer"}).json()["items"]
    return {"worker": worker, "two": next(d for d in dispatches if len(d["codes"]) == 2),
            "one": next(d for d in dispatches if len(d["codes"]) == 1),
            "foreign": other["code"], "empty": empty[0]["code"]}


def _login(page: Any, base: str, screenshot: bool = False) -> None:
    page.goto(f"{base}/app/")
    page.wait_for_selector("input[name=username]")
    if screenshot:
        shot(page, "app-login")
    page.fill("input[name=username]", "worker-wang")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("a[href='#deliveries']")


def _sign(page: Any) -> None:
    pad = page.locator("[data-signature]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 30, box["y"] + 60)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(box["x"] + 30 + i * 25, box["y"] + 60 + (i % 3) * 25)
    page.mouse.up()


def _answer_checklist(page: Any, hazard_item: str | None = None) -> None:
    for button in page.locator("button[data-ok='1']").all():
        item = button.get_attribute("data-item")
        if item == hazard_item:
            page.click(f"button[data-item='{item}'][data-ok='0']")
            page.fill(f"input[data-note='{item}']", "软管老化")
        else:
            button.click()


def _status(delivery_id: str) -> str:
    with get_engine().connect() as conn:
        return str(conn.execute(text("SELECT status FROM delivery WHERE id = :i"),
                                {"i": delivery_id}).scalar_one())


def _events(code: str, kind: str) -> int:
    with get_engine().connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM cylinder_event e JOIN cylinder c ON c.id = e.cylinder_id "
            "WHERE c.code = :c AND e.kind = :k"), {"c": code, "k": kind}).scalar_one())


def test_camera_scan_and_a_full_door_step_confirmation(pw: Any, live: Any, demo: dict[str, Any],
                                                       tmp_path: Path) -> None:
    d = demo["two"]
    first, second = d["codes"]
    video = write_y4m(tmp_path / "label.y4m", registry.qr_text_for(first))
    browser = launch(pw, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                     f"--use-file-for-fake-video-capture={video}")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url))
    _login(page, live.url, screenshot=True)
    shot(page, "app-home")
    page.click("a[href='#deliveries']")
    page.wait_for_selector(f"[data-delivery='{d['id']}']")
    shot(page, "app-deliveries")
    page.click(f"[data-delivery='{d['id']}'] a")
    page.wait_for_selector("[data-expected]")

    # the camera: the fake device plays the label; the page decodes it and ticks the cylinder
    page.locator("section.scan button").first.click()
    page.wait_for_selector(f"[data-expected] li.ok[data-code='{first}']", timeout=20000)
    page.wait_for_function("() => window.__scanTimings && window.__scanTimings.length > 0")
    timing = page.evaluate("window.__scanTimings[0]")
    page.locator("section.scan button").first.click()  # camera off
    # typed by hand: a typo in the check character is caught on the phone, nothing is sent
    typo = second[:-1] + ("0" if second[-1] != "0" else "1")
    page.locator("section.scan input").first.fill(typo)
    page.locator("section.scan input").first.press("Enter")
    assert "校验位错误" in page.locator(".scan-msg").first.inner_text()
    assert not any(typo in u for u in sent)
    # seized since it left the station: on the dispatch, but not handed over
    regulator = _token(live.url, "regulator-chen")
    assert httpx.post(f"{live.url}/api/v1/cylinders/{second}/seizure", headers=regulator,
                      json={"reason": "抽查"}).status_code == 200
    page.locator("section.scan input").first.fill(second)
    page.locator("section.scan input").first.press("Enter")
    page.wait_for_selector(f"[data-refused='{second}']")
    assert "禁止交付" in page.locator(f"[data-refused='{second}']").inner_text()
    assert "SEIZED" in page.locator(f"[data-refused='{second}']").inner_text()
    assert page.locator(f"[data-expected] li.ok[data-code='{second}']").count() == 0
    assert httpx.post(f"{live.url}/api/v1/cylinders/{second}/release", headers=regulator,
                      json={"reason": "抽查合格"}).status_code == 200
    page.locator("section.scan input").first.fill(second.lower())
    page.locator("section.scan input").first.press("Enter")
    page.wait_for_selector(f"[data-expected] li.ok[data-code='{second}']")
    # another company's cylinder at the door: refused on the spot, the reasons in Chinese
    page.locator("section.scan input").first.fill(demo["foreign"])
    page.locator("section.scan input").first.press("Enter")
    refused = page.locator(f"[data-refused='{demo['foreign']}']")
    assert "不在本次配送单上" in refused.inner_text()
    page.wait_for_function(f"() => document.querySelector(\"[data-refused='{demo['foreign']}']\")"
                           ".innerText.includes('NOT_OWNED')")
    assert "非本" in refused.inner_text() or "产权" in refused.inner_text()

    _answer_checklist(page, hazard_item="hose_ok")
    page.locator("section.scan input").nth(1).fill(demo["empty"])
    page.locator("section.scan input").nth(1).press("Enter")
    page.wait_for_selector(f"[data-empties] [data-code='{demo['empty']}']")
    page.wait_for_function("() => document.querySelector('[data-place]').innerText.includes('±12')")
    _sign(page)
    shot(page, "app-door-step")
    assert page.locator("[data-confirm]").is_enabled(), page.locator("[data-missing]").inner_text()
    before = datetime.now().astimezone()
    page.click("[data-confirm]")
    page.wait_for_selector(f"[data-delivery='{d['id']}'] .tag")
    page.wait_for_function("() => document.querySelector('[data-waiting]').dataset.waiting === '0'")
    got = httpx.get(f"{live.url}/api/v1/deliveries/{d['id']}", headers=demo["worker"]).json()
    assert got["status"] == "delivered" and got["empties"] == [demo["empty"]]
    assert got["location"]["accuracy_m"] == 12
    assert [i["ok"] for i in got["safety_check"]["items"] if i["item"] == "hose_ok"] == [False]
    assert got["customer_confirmation"] == "signature"
    assert datetime.fromisoformat(got["delivered_at"]) >= before.replace(microsecond=0)
    hazards = httpx.get(f"{live.url}/api/v1/hazards", headers=demo["worker"]).json()
    assert any(h["delivery_id"] == d["id"] and h["item"] == "hose_ok" for h in hazards)
    assert _events(first, "delivered") == 1 and _events(second, "delivered") == 1
    assert errors == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "scan-timing.json").write_text(json.dumps(timing, indent=1))
    print(f"camera first frame -> cylinder on screen: {timing['fromFirstFrame']:.0f} ms; "
          f"frame grabbed -> on screen {timing['fromGrab']:.0f} ms (decode {timing['decode']:.0f})")
    context.close()
    browser.close()


def test_station_check_shows_the_verdict_without_opening_an_authorization(
        browser: Any, live: Any, demo: dict[str, Any]) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live.url}/app/")
    page.fill("input[name=username]", "operator-li")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.click("a[href='#check']")
    operator = _token(live.url, "operator-li")
    two_phase = httpx.get(f"{live.url}/api/v1/cylinders", headers=_token(live.url, "yutong-admin"),
                          params={"valve_type": "two_phase"}).json()["items"][0]["code"]
    page.fill("section.scan input", two_phase)
    page.press("section.scan input", "Enter")
    page.wait_for_selector("[data-decision]")
    assert page.locator("[data-decision]").get_attribute("data-decision") == "deny"
    assert page.locator("[data-reason='TWO_PHASE_VALVE']").count() == 1
    assert "气液双相" in page.locator("[data-result]").inner_text()
    shot(page, "app-station-check")
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM fill_authorization")).scalar_one() == 0
    assert _events(two_phase, "fill_denied") == 0  # a check is not an attempt
    assert operator
    context.close()


def test_offline_confirmation_survives_a_restart_and_arrives_once(
        pw: Any, live: Any, demo: dict[str, Any], tmp_path: Path) -> None:
    d = demo["one"]
    code = d["codes"][0]
    profile = tmp_path / "phone-profile"
    options = {k: v for k, v in PHONE.items()}
    context = pw.chromium.launch_persistent_context(
        str(profile), executable_path=chromium_path(), headless=True,
        args=[*__import__("tests.browser.conftest", fromlist=["FLAGS"]).FLAGS], **options)
    page = context.new_page()
    _login(page, live.url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cached = page.evaluate("""async () => { const names = await caches.keys();
        const keys = await (await caches.open(names[0])).keys();
        return [names.length, keys.map((r) => new URL(r.url).pathname)]; }""")
    assert cached[0] == 1 and set(cached[1]) >= set(shell_list())  # the worker read shell.json
    page.click("a[href='#deliveries']")
    page.wait_for_selector(f"[data-delivery='{d['id']}']")  # today's dispatches, now cached

    # no signal: the browser offline, and the service out of reach for good measure (Chromium
    # lets a service worker's requests past the offline emulation: playwright issue 2311)
    context.set_offline(True)
    live.stop()
    page.click(f"[data-delivery='{d['id']}'] a")
    page.wait_for_selector("[data-expected]")
    page.locator("section.scan input").first.fill(code)
    page.locator("section.scan input").first.press("Enter")
    _answer_checklist(page)
    page.wait_for_function("() => document.querySelector('[data-place]').innerText.includes('±')")
    _sign(page)
    page.click("[data-confirm]")
    page.wait_for_selector(f"[data-delivery='{d['id']}'] .tag")
    assert page.locator("[data-waiting]").get_attribute("data-waiting") == "1"
    assert page.locator("[data-online]").get_attribute("data-online") == "false"
    shot(page, "app-offline-waiting")
    made_at = page.evaluate("""new Promise((ok) => { const r = indexedDB.open('cylinder-trace');
        r.onsuccess = () => { const q = r.result.transaction('outbox').objectStore('outbox')
        .getAll(); q.onsuccess = () => ok(q.result[0].body.made_at); }; })""")
    assert _status(d["id"]) == "dispatched"
    context.close()  # the phone is switched off with the confirmation still on it

    context = pw.chromium.launch_persistent_context(
        str(profile), executable_path=chromium_path(), headless=True,
        args=[*__import__("tests.browser.conftest", fromlist=["FLAGS"]).FLAGS], **options)
    context.set_offline(True)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{live.url}/app/#deliveries")  # the service worker serves the shell offline
    page.wait_for_selector("[data-waiting='1']")
    assert _status(d["id"]) == "dispatched"
    live.start()
    context.set_offline(False)  # back in signal: the page sends what waits
    page.wait_for_selector("[data-waiting='0']", timeout=30000)
    got = httpx.get(f"{live.url}/api/v1/deliveries/{d['id']}", headers=demo["worker"]).json()
    assert got["status"] == "delivered"
    assert datetime.fromisoformat(got["delivered_at"]) == datetime.fromisoformat(
        made_at.replace("Z", "+00:00"))  # the phone's time, not the arrival's
    assert datetime.fromisoformat(got["received_at"]) > datetime.fromisoformat(got["delivered_at"])
    assert _events(code, "delivered") == 1
    context.close()


def test_the_phones_check_character_is_the_services(browser: Any, live: Any) -> None:
    """codes.js against domain/codes.py: every code, every single-character error, every
    neighbour swap; the label's URL and CODE/SIG read as the code."""
    import random

    from cylinder_trace.domain.codes import ALPHABET, is_valid_code, make_code

    rng = random.Random(7)
    samples = []
    for _ in range(150):
        code = make_code(rng.choice(["CT", "YT", "A", "ZZZZ"]), rng.randrange(1, 36**8))
        i = rng.randrange(len(code))
        samples += [code, code[:i] + rng.choice(ALPHABET) + code[i + 1:]]
        if i + 1 < len(code):
            samples.append(code[:i] + code[i + 1] + code[i] + code[i + 2:])
    page = browser.new_page()
    page.goto(f"{live.url}/app/")
    got = page.evaluate("""async (codes) => { const m = await import('/app/codes.js');
        return codes.map((c) => m.readScan(c)); }""", samples)
    for text_, read in zip(samples, got, strict=True):
        assert ("code" in read and "error" not in read) == is_valid_code(text_), (text_, read)
    url = registry.qr_text_for(make_code("CT", 42))
    assert page.evaluate("async (t) => (await import('/app/codes.js')).readScan(t)",
                         url) == {"code": make_code("CT", 42)}
    page.close()


def test_the_app_is_installable_and_served_locally(client: Any) -> None:
    manifest = client.get("/app/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["start_url"] == "/app/" and body["display"] == "standalone"
    assert {i["sizes"] for i in body["icons"]} >= {"192x192", "512x512"}
    for icon in body["icons"]:
        assert client.get(icon["src"]).headers["content-type"] == "image/png"
    sw = client.get("/app/sw.js")
    assert sw.headers["content-type"].startswith("text/javascript")
    assert sw.headers["cache-control"] == "no-cache"
    shell = client.get("/app/")
    csp = shell.headers["content-security-policy"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp and "http" not in csp
    wasm = client.get("/app/vendor/zxing-wasm/zxing_reader.wasm")
    assert wasm.status_code == 200 and wasm.headers["content-type"] == "application/wasm"
    assert wasm.content[:4] == b"\0asm"
    # every file of the shell is served from here, and nothing the app loads comes from elsewhere
    for path in [*shell_list(), "/app/sw.js", "/app/shell.json"]:
        got = client.get(path)
        assert got.status_code == 200, path
        if path.endswith(".js"):
            assert got.headers["content-type"].startswith(("text/javascript",
                                                           "application/javascript")), path
        if path.endswith((".js", "/", ".css", ".json", ".webmanifest")):
            assert "cdn" not in got.text.lower(), path
