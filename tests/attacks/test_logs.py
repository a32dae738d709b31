"""No personal data and no raw query string in any log line, whoever writes it.

A real `cylinder-trace serve` (its default workers, DEBUG logging, the scheduler on) is asked
what an attacker reading its logs would want written there: customers searched by full ID number
and phone, the same in a query string on a path that does not exist, a password at login, and a
malformed request carrying an ID number that uvicorn itself refuses. Then everything the process
printed, from every logger (ours, uvicorn's, SQLAlchemy's, APScheduler's), is searched.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.factories import PASSWORD

ID_NUMBER = "11010519491231002X"  # valid GB 11643 (check character X)
PHONE = "13800138000"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(port: int, database_url: str, out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": database_url, "CYLINDER_TRACE_LOG_LEVEL": "DEBUG",
           "CYLINDER_TRACE_LOG_FORMAT": "json", "CYLINDER_TRACE_SCHEDULER_ENABLED": "true"}
    with out.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "cylinder_trace", "serve", "--port",
                                 str(port)], env=env, stdout=sink, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the service did not start: " + out.read_text(errors="replace")[-2000:])


def _raw(port: int, request: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request)
        try:
            s.recv(4096)
        except OSError:
            pass


def test_logs_of_a_served_customer_search_hold_no_id_number_phone_or_query(
        world: Any, database_url: str, tmp_path: Path) -> None:
    port = _port()
    base = f"http://127.0.0.1:{port}"
    out = tmp_path / "serve.log"
    proc = _serve(port, database_url, out)
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            token = http.post("/api/v1/auth/token", data={"username": "root",
                                                          "password": PASSWORD})
            assert token.status_code == 200, token.text
            root = {"Authorization": f"Bearer {token.json()['access_token']}"}
            e = world.enterprise()
            r = http.post("/api/v1/users", headers=root, json={
                "username": "logs-admin", "password": PASSWORD, "role": "enterprise_admin",
                "enterprise_id": e["id"]})
            assert r.status_code == 201, r.text
            admin = {"Authorization": "Bearer " + http.post("/api/v1/auth/token", data={
                "username": "logs-admin", "password": PASSWORD}).json()["access_token"]}
            made = http.post("/api/v1/customers", headers=admin, json={
                "kind": "resident", "name": "张三", "id_number": ID_NUMBER, "phone": PHONE,
                "address": "重庆市渝中区解放碑1号"})
            assert made.status_code == 201, made.text
            for params in ({"id_number": ID_NUMBER}, {"id_number": ID_NUMBER.lower()},
                           {"phone": PHONE}, {"id_number": ID_NUMBER, "phone": PHONE}):
                found = http.get("/api/v1/customers", params=params, headers=admin)
                assert found.status_code == 200 and found.json()[0]["id"] == made.json()["id"]
            # refused ones too: unknown path, bad token, a duplicate, a wrong password
            assert http.get("/api/v1/no-such-thing", params={"id_number": ID_NUMBER,
                                                             "phone": PHONE}).status_code == 404
            assert http.get("/api/v1/customers", params={"phone": PHONE}, headers={
                "Authorization": f"Bearer {ID_NUMBER}"}).status_code == 401
            http.post("/api/v1/customers", headers=admin, json={
                "kind": "resident", "name": "张三", "id_number": ID_NUMBER, "phone": PHONE,
                "address": "x"})
            http.post("/api/v1/auth/token", data={"username": PHONE, "password": ID_NUMBER})
        # and one uvicorn refuses before any route runs
        _raw(port, f"GET /api/v1/customers?id_number={ID_NUMBER} HTTP/1.1\r\nHost: x\r\n"
                   f"Bad Header {PHONE}\r\n\r\n".encode())
        time.sleep(0.5)  # the log writer flushes every few milliseconds
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    printed = out.read_text(errors="replace")
    lines = [line for line in printed.splitlines() if line.strip()]
    access = [json.loads(line) for line in lines if '"cylinder_trace.access"' in line]
    # the run was logged (so the searches below can fail): one access line per request, with
    # the route template
    assert sum(a["route"] == "/api/v1/customers" and a["method"] == "GET" for a in access) >= 5
    assert any(a["route"] == "unmatched" and a["status"] == 404 for a in access)
    assert any('"logger": "uvicorn' in line for line in lines)
    # serve said how many workers it started: one per core by default
    cores = len(os.sched_getaffinity(0))
    assert any(f"with {cores} worker(s) (one per core" in line for line in lines), lines[:5]
    assert any('"logger": "apscheduler' in line for line in lines)
    for secret in (ID_NUMBER, ID_NUMBER.lower(), PHONE, PASSWORD, "id_number=", "phone="):
        assert secret not in printed, f"{secret!r} reached the log"
    # every line from every logger went through the one formatter
    for line in lines:
        entry = json.loads(line)
        assert {"ts", "level", "logger", "message"} <= entry.keys(), line
