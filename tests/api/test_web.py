"""The regulator's pages: cookie login, dashboard and refused-fill feed, same access rules."""

from __future__ import annotations

import re
from typing import Any

from tests.factories import (
    GOOD,  # in service on any day the suite runs
    PASSWORD,
)


def test_login_dashboard_feed_and_logout(world: Any) -> None:
    cq, gd = world.enterprise("500103"), world.enterprise("440106")
    key = world.api_key(world.station(cq["id"])["id"])
    bad = world.cylinder(cq["id"], model="YSP-118-II", **GOOD)
    world.client.post("/api/v1/fill-authorizations", json={"scan": bad["qr_text"]}, headers=key)
    world.cylinder(gd["id"], **GOOD)
    reg = world.user("regulator", region_codes=["500000"])
    c = world.client
    c.cookies.clear()
    assert c.get("/dashboard", follow_redirects=False).headers["location"] == "/login"
    wrong = c.post("/login", data={"username": reg["username"], "password": "nope"})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    r = c.post("/login", data={"username": reg["username"], "password": PASSWORD},
               follow_redirects=False)
    assert r.status_code == 303 and "httponly" in r.headers["set-cookie"].lower()
    assert "samesite=strict" in r.headers["set-cookie"].lower()
    page = c.get("/dashboard")
    assert page.status_code == 200 and "监管看板" in page.text and "<svg" in page.text
    assert "气液双相" in page.text and bad["code"] in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    totals = re.search(r"气瓶总数.*?<dd>(\d+)</dd>", page.text, re.S)
    assert totals and totals.group(1) == "1"  # only its region's cylinder
    feed = c.get("/feed", params={"reason": "TWO_PHASE_VALVE"})
    assert bad["code"] in feed.text
    assert bad["code"] not in c.get("/feed", params={"reason": "SEIZED"}).text
    # logging out needs the CSRF token of this session
    c.post("/logout", data={"csrf": "forged"})
    assert c.get("/dashboard", follow_redirects=False).status_code == 200
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert token
    c.post("/logout", data={"csrf": token.group(1)})
    assert c.get("/dashboard", follow_redirects=False).status_code == 303
    c.cookies.clear()
