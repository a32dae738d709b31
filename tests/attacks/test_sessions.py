"""Sessions and accounts, attacked through HTTP: a token after logout, after a password change,
of a disabled account; a disabled station key; concurrent wrong passwords against the lock-out;
guessing the customer's delivery code; forged tokens; two instances on one database."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from sqlalchemy import text

from cylinder_trace.adapters import sms as messages
from cylinder_trace.adapters.security import make_token
from cylinder_trace.config import get_settings
from cylinder_trace.db.engine import get_engine
from cylinder_trace.db.secrets import root_secret
from tests.api.test_health_and_errors import assert_problem
from tests.api.test_lifecycle import co, customer, full_cylinder  # noqa: F401
from tests.factories import GOOD, PASSWORD

ME = "/api/v1/users/me"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_of(world: Any, username: str, password: str = PASSWORD) -> str:
    r = world.client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def at_once(n: int, call: Callable[[int], Any]) -> list[Any]:
    """n calls released together from n threads (a barrier), their answers in order."""
    barrier = threading.Barrier(n)
    answers: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        answers[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


# --- sessions end on the server ------------------------------------------------------------------

def test_token_is_refused_after_logout(world: Any) -> None:
    user = world.user("operator", world.enterprise()["id"])
    token, other = token_of(world, user["username"]), token_of(world, user["username"])
    assert world.client.get(ME, headers=bearer(token)).status_code == 200
    r = world.client.post("/api/v1/auth/logout", headers=bearer(token))
    assert r.status_code == 204, r.text
    body = assert_problem(world.client.get(ME, headers=bearer(token)), 401, "SESSION_ENDED")
    assert body["reason"] == "logout"
    assert_problem(world.client.post("/api/v1/auth/logout", headers=bearer(token)), 401)
    # only that session ended: the same user's other login still works
    assert world.client.get(ME, headers=bearer(other)).status_code == 200
    # a station key has no session to end
    key = world.api_key(world.station(user["enterprise_id"])["id"])
    assert_problem(world.client.post("/api/v1/auth/logout", headers=key), 403)


def test_page_cookie_is_refused_after_logout_in_pages_and_as_bearer(world: Any) -> None:
    reg = world.user("regulator", region_codes=["500000"])
    c = world.client
    c.cookies.clear()
    r = c.post("/login", data={"username": reg["username"], "password": PASSWORD},
               follow_redirects=False)
    assert r.status_code == 303
    cookie = c.cookies["ct_session"]
    page = c.get("/dashboard")
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert page.status_code == 200 and csrf
    assert c.get(ME, headers=bearer(cookie)).status_code == 200
    c.post("/logout", data={"csrf": csrf.group(1)}, follow_redirects=False)
    # the copied cookie, sent again, opens nothing: not the pages, not the API
    c.cookies.set("ct_session", cookie)
    assert c.get("/dashboard", follow_redirects=False).headers["location"] == "/login"
    assert_problem(c.get(ME, headers=bearer(cookie)), 401, "SESSION_ENDED")
    c.cookies.clear()


def test_old_tokens_are_refused_after_a_password_change(world: Any) -> None:
    user = world.user("delivery_worker", world.enterprise()["id"])
    phone, laptop = token_of(world, user["username"]), token_of(world, user["username"])
    url = "/api/v1/auth/password"
    wrong = world.client.post(url, headers=bearer(phone), json={
        "current_password": "not-the-password", "new_password": "a-new-password-1"})
    assert assert_problem(wrong, 403)["reason"] == "WRONG_PASSWORD"
    assert world.client.get(ME, headers=bearer(phone)).status_code == 200
    r = world.client.post(url, headers=bearer(phone), json={
        "current_password": PASSWORD, "new_password": "a-new-password-1"})
    assert r.status_code == 200, r.text
    fresh = r.json()["access_token"]
    for old in (phone, laptop):
        body = assert_problem(world.client.get(ME, headers=bearer(old)), 401, "SESSION_ENDED")
        assert body["reason"] == "password_changed"
    assert world.client.get(ME, headers=bearer(fresh)).status_code == 200
    assert_problem(world.client.post("/api/v1/auth/token", data={
        "username": user["username"], "password": PASSWORD}), 401)
    token_of(world, user["username"], "a-new-password-1")


def test_admin_password_reset_ends_every_session(world: Any) -> None:
    e = world.enterprise()
    admin, worker = world.user("enterprise_admin", e["id"]), world.user("operator", e["id"])
    old = token_of(world, worker["username"])
    url = f"/api/v1/users/{worker['id']}/password"
    stranger = world.user("enterprise_admin", world.enterprise()["id"])
    assert_problem(world.client.post(url, headers=stranger["headers"],
                                     json={"new_password": "taken-over-1"}), 404)
    r = world.client.post(url, headers=admin["headers"], json={"new_password": "reset-by-admin"})
    assert r.status_code == 200, r.text
    assert_problem(world.client.get(ME, headers=bearer(old)), 401, "SESSION_ENDED")
    token_of(world, worker["username"], "reset-by-admin")


def test_disabled_user_is_refused_at_the_next_request(world: Any) -> None:
    e = world.enterprise()
    admin, worker = world.user("enterprise_admin", e["id"]), world.user("operator", e["id"])
    token = token_of(world, worker["username"])
    r = world.client.post(f"/api/v1/users/{worker['id']}/disable", headers=admin["headers"])
    assert r.status_code == 200 and r.json()["active"] is False, r.text
    assert_problem(world.client.get(ME, headers=bearer(token)), 401, "ACCOUNT_DISABLED")
    assert_problem(world.client.post("/api/v1/auth/token", data={
        "username": worker["username"], "password": PASSWORD}), 401)
    # a retry changes nothing; enabling does not bring the old session back
    assert world.client.post(f"/api/v1/users/{worker['id']}/disable",
                             headers=admin["headers"]).status_code == 200
    r = world.client.post(f"/api/v1/users/{worker['id']}/enable", headers=admin["headers"])
    assert r.status_code == 200 and r.json()["active"] is True
    assert_problem(world.client.get(ME, headers=bearer(token)), 401, "SESSION_ENDED")
    assert world.client.get(ME, headers=bearer(token_of(world, worker["username"]))).status_code \
        == 200


def test_company_admin_cannot_disable_outsiders_or_lift_a_platform_disable(world: Any) -> None:
    e, other = world.enterprise(), world.enterprise()
    admin, worker = world.user("enterprise_admin", e["id"]), world.user("operator", e["id"])
    foreign = world.user("operator", other["id"])
    regulator = world.user("regulator", region_codes=["500000"])
    operator = world.user("operator", e["id"])
    h = admin["headers"]
    assert_problem(world.client.post(f"/api/v1/users/{foreign['id']}/disable", headers=h), 404)
    assert_problem(world.client.post(f"/api/v1/users/{regulator['id']}/disable", headers=h), 404)
    assert_problem(world.client.post(f"/api/v1/users/{worker['id']}/disable",
                                     headers=operator["headers"]), 403)
    assert_problem(world.client.post(f"/api/v1/users/{regulator['id']}/disable",
                                     headers=regulator["headers"]), 403)
    self_off = world.client.post(f"/api/v1/users/{admin['id']}/disable", headers=h)
    assert assert_problem(self_off, 409)["reason"] == "CANNOT_DISABLE_SELF"
    # what the platform admin switched off, the company cannot switch back on
    assert world.client.post(f"/api/v1/users/{worker['id']}/disable",
                             headers=world.admin).status_code == 200
    lift = world.client.post(f"/api/v1/users/{worker['id']}/enable", headers=h)
    assert assert_problem(lift, 403)["reason"] == "DISABLED_BY_PLATFORM_ADMIN"
    assert world.client.post(f"/api/v1/users/{worker['id']}/enable",
                             headers=world.admin).json()["active"] is True
    assert_problem(world.client.post(f"/api/v1/users/{uuid.uuid4()}/disable",
                                     headers=world.admin), 404)


def test_disabled_station_key_is_refused_at_the_next_request(world: Any) -> None:
    e = world.enterprise()
    station = world.station(e["id"])
    key = world.api_key(station["id"])
    c = world.cylinder(e["id"], **GOOD)
    keys = world.client.get(f"/api/v1/stations/{station['id']}/api-keys",
                            headers=world.admin).json()
    url = f"/api/v1/stations/{station['id']}/api-keys/{keys[0]['id']}"
    stranger = world.user("enterprise_admin", world.enterprise()["id"])
    assert_problem(world.client.post(url + "/disable", headers=stranger["headers"]), 403)
    admin = world.user("enterprise_admin", e["id"])
    r = world.client.post(url + "/disable", headers=admin["headers"])
    assert r.status_code == 200 and r.json()["disabled_at"], r.text
    assert_problem(world.client.get("/api/v1/stations", headers=key), 401, "API_KEY_DISABLED")
    scan = {"scan": c["qr_text"]}
    assert_problem(world.client.post("/api/v1/fill-authorizations", json=scan, headers=key), 401)
    assert world.client.post(url + "/enable", headers=admin["headers"]).status_code == 200
    r = world.client.post("/api/v1/fill-authorizations", json=scan, headers=key)
    assert r.status_code == 200 and r.json()["decision"] == "allow", r.text
    # a revoked key stays revoked
    world.client.delete(url, headers=admin["headers"])
    gone = world.client.post(url + "/enable", headers=admin["headers"])
    assert assert_problem(gone, 409)["reason"] == "KEY_REVOKED"
    assert_problem(world.client.get("/api/v1/stations", headers=key), 401)


def test_forged_tokens_are_refused(world: Any) -> None:
    user = world.user("operator", world.enterprise()["id"])
    token = token_of(world, user["username"])
    claims = jwt.decode(token, options={"verify_signature": False})
    now = int(time.time())
    forged = [
        jwt.encode({**claims, "sub": str(world.user("enterprise_admin",
                                                      user["enterprise_id"])["id"])},
                   "guessed-key", algorithm="HS256"),
        jwt.encode(claims, key=None, algorithm="none"),  # type: ignore[arg-type]
        token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
        jwt.encode({**claims, "exp": now - 10}, "x", algorithm="HS256"),
        # rightly signed, but it names no session: the signature alone opens nothing
        make_token(root_secret(get_settings()), claims["sub"], str(uuid.uuid4()),
                   datetime.now(UTC) + timedelta(hours=1)),
        "not-a-token",
    ]
    for bad in forged:
        assert_problem(world.client.get(ME, headers=bearer(bad)), 401, "NOT_AUTHENTICATED")


# --- lock-out ------------------------------------------------------------------------------------

def test_concurrent_wrong_passwords_cannot_get_around_the_lockout(world: Any) -> None:
    name = world.user("operator", world.enterprise()["id"])["username"]

    def guess(i: int) -> int:
        r = world.client.post("/api/v1/auth/token",
                              data={"username": name, "password": f"guess-{i}"})
        return int(r.status_code)

    answers = Counter(at_once(20, guess))
    # exactly login_max_failures (5) passwords were checked; the rest never were
    assert answers == {401: 5, 429: 15}, answers
    right = world.client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
    assert_problem(right, 429, "TOO_MANY_REQUESTS")


# --- the customer's delivery code ----------------------------------------------------------------

def delivered(world: Any, co: dict[str, Any]) -> tuple[str, str]:  # noqa: F811
    """A delivery dropped at the door without a signature: its id and the code sent."""
    cust, c = customer(world, co), full_cylinder(world, co)
    d = world.client.post("/api/v1/deliveries", headers=co["admin"]["headers"], json={
        "worker_id": co["worker"]["id"], "vehicle_id": co["vehicle"]["id"],
        "customer_id": cust["id"], "codes": [c["code"]]}).json()
    r = world.client.post(f"/api/v1/deliveries/{d['id']}/confirm", headers=co["worker"]["headers"],
                          json={"scans": [c["qr_text"]], "location": {"lat": 29.5, "lon": 106.5},
                                "safety_check": {"passed": True, "items": [
                                    {"item": "no_leak", "ok": True}]}})
    assert r.status_code == 200, r.text
    return d["id"], sent_code()


def sent_code() -> str:
    return str(messages.provider().sent[-1][1].split("确认码 ")[1][:6])  # type: ignore[attr-defined]


def not_(code: str, n: int) -> str:
    """The n-th six-digit code that is not the real one."""
    return f"{(int(code) + 1 + n) % 10**6:06d}"


def test_delivery_code_cannot_be_guessed_without_limit(world: Any, co: Any) -> None:  # noqa: F811
    did, code = delivered(world, co)
    url, h = f"/api/v1/deliveries/{did}/customer-confirmation", co["worker"]["headers"]
    left = [assert_problem(world.client.post(url, headers=h, json={"code": not_(code, i)}), 422)
            ["attempts_left"] for i in range(5)]
    assert left == [4, 3, 2, 1, 0]
    # void now: even the right code is refused until a new one is sent
    void = world.client.post(url, headers=h, json={"code": code})
    assert assert_problem(void, 409)["reason"] == "CODE_VOID"
    r = world.client.post(f"/api/v1/deliveries/{did}/customer-code", headers=h)
    assert r.status_code == 200, r.text
    new = sent_code()
    if new != code:
        assert_problem(world.client.post(url, headers=h, json={"code": code}), 422)
    r = world.client.post(url, headers=h, json={"code": new})
    assert r.status_code == 200 and r.json()["customer_confirmation"] == "otp", r.text
    done = world.client.post(f"/api/v1/deliveries/{did}/customer-code", headers=h)
    assert assert_problem(done, 409)["reason"] == "ALREADY_CONFIRMED"


def test_resending_codes_is_bounded(world: Any, co: Any) -> None:  # noqa: F811
    did, _ = delivered(world, co)
    url, h = f"/api/v1/deliveries/{did}/customer-code", co["admin"]["headers"]
    answers = [world.client.post(url, headers=h).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 409]  # five codes in all, the first included
    assert assert_problem(world.client.post(url, headers=h), 409)["reason"] == "TOO_MANY_CODES"


def test_concurrent_code_guesses_are_each_counted(world: Any, co: Any) -> None:  # noqa: F811
    did, code = delivered(world, co)
    url, h = f"/api/v1/deliveries/{did}/customer-confirmation", co["worker"]["headers"]

    def guess(i: int) -> int:
        return int(world.client.post(url, headers=h, json={"code": not_(code, i)}).status_code)

    assert Counter(at_once(12, guess)) == {422: 5, 409: 7}
    assert_problem(world.client.post(url, headers=h, json={"code": code}), 409)


def test_only_the_deliverys_worker_or_company_submits_the_code(world: Any,
                                                              co: Any) -> None:  # noqa: F811
    did, code = delivered(world, co)
    url = f"/api/v1/deliveries/{did}/customer-confirmation"
    eid = co["e"]["id"]
    other_worker = world.user("delivery_worker", eid)
    operator = world.user("operator", eid)
    regulator = world.user("regulator", region_codes=["500000"])
    stranger = world.user("enterprise_admin", world.enterprise()["id"])
    for headers, status in ((co["key"], 403), (operator["headers"], 403),
                            (regulator["headers"], 403), (other_worker["headers"], 404),
                            (stranger["headers"], 404)):
        assert_problem(world.client.post(url, headers=headers, json={"code": code}), status)
        assert_problem(world.client.post(f"/api/v1/deliveries/{did}/customer-code",
                                         headers=headers), status)
    # none of those counted as an attempt: the company's admin still confirms with the code
    r = world.client.post(url, headers=co["admin"]["headers"], json={"code": code})
    assert r.status_code == 200 and r.json()["customer_confirmation"] == "otp", r.text


# --- several instances ---------------------------------------------------------------------------

def serve(data_dir: Any, database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    """`cylinder-trace serve` as the README starts it: DATABASE_URL set, no key configured,
    its own data directory."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYLINDER_TRACE_SECRET")}
    env.update({"DATABASE_URL": database_url, "CYLINDER_TRACE_DATA_DIR": str(data_dir),
                "CYLINDER_TRACE_SCHEDULER_ENABLED": "false"})
    proc = subprocess.Popen([sys.executable, "-m", "cylinder_trace", "serve", "--port",
                             str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the service did not start")


def test_labels_tokens_and_logouts_hold_across_two_instances(world: Any, database_url: str,
                                                             tmp_path: Any) -> None:
    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "secret_key").write_text("key-an-older-version-kept-on-disk")
    a, b = serve(tmp_path / "a", database_url), serve(tmp_path / "b", database_url)
    try:
        with httpx.Client(base_url=a[1], timeout=10) as one, \
                httpx.Client(base_url=b[1], timeout=10) as two:
            login = one.post("/api/v1/auth/token", data={"username": "root",
                                                         "password": PASSWORD})
            assert login.status_code == 200, login.text
            h = bearer(login.json()["access_token"])
            # a label issued through one instance is accepted by the other
            r = one.post("/api/v1/cylinders", headers=h, json={
                "owner_enterprise_id": e["id"], "manufacturer": "百工钢瓶厂",
                "serial_number": f"SN-{uuid.uuid4().hex[:8]}", "model": "YSP-35.5",
                **GOOD})
            assert r.status_code == 201, r.text
            scan = two.post("/api/v1/fill-authorizations", headers=key,
                            json={"scan": r.json()["qr_text"]})
            assert scan.json()["decision"] == "allow", scan.text
            # ... while a label signed with another key is refused (the check is real)
            forged = world.cylinder(e["id"])["qr_text"]  # signed by this test's own key
            refused = two.post("/api/v1/fill-authorizations", headers=key, json={"scan": forged})
            assert refused.json()["decision"] == "deny", refused.text
            # a token from one works on the other; a logout on the other holds on the first
            assert two.get(ME, headers=h).status_code == 200
            assert two.post("/api/v1/auth/logout", headers=h).status_code == 204
            assert_problem(one.get(ME, headers=h), 401, "SESSION_ENDED")
    finally:
        for proc, _ in (a, b):
            proc.terminate()
            proc.wait(timeout=30)
    # one key for the deployment, in the database: the older on-disk key seeded it (labels
    # and personal data it protected stay readable), and no instance wrote a key of its own
    with get_engine().connect() as conn:
        stored = conn.execute(text("SELECT secret FROM deployment_key")).scalars().all()
    assert stored == ["key-an-older-version-kept-on-disk"]
    assert not (tmp_path / "b" / "secret_key").exists()
