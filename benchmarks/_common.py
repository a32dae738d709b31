"""Shared by the benchmarks: a fresh database, a served app, an admin token, machine facts."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

os.environ.setdefault("CYLINDER_TRACE_SECRET_KEY", "benchmark-secret-key")
# (the scheduled jobs are off in the benchmarks unless asked for, or unless a benchmark starts
# `serve` as a user does: fill_authorization.py)
JOBS_GIVEN = "CYLINDER_TRACE_SCHEDULER_ENABLED" in os.environ
os.environ.setdefault("CYLINDER_TRACE_SCHEDULER_ENABLED", "false")
os.environ.setdefault("CYLINDER_TRACE_DATA_DIR", str(ROOT / ".data" / "bench"))
LOG_LEVEL_GIVEN = "CYLINDER_TRACE_LOG_LEVEL" in os.environ
os.environ.setdefault("CYLINDER_TRACE_LOG_LEVEL", "WARNING")

ADMIN_PASSWORD = "benchmark-password"


def machine() -> str:
    cpus = os.cpu_count()
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {cpus} cores {model}, Python {platform.python_version()}"


def flush_ms(samples: int = 40) -> str:
    """p50/p99 of an 8 kB write + fdatasync beside the data: what each commit waits for. On a
    shared disk this, not Python, sets the pace of the write paths."""
    folder = Path(os.environ["CYLINDER_TRACE_DATA_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"flush-probe-{os.getpid()}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    times = []
    try:
        for _ in range(samples):
            os.write(fd, b"x" * 8192)
            t0 = time.perf_counter()
            os.fdatasync(fd)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        os.close(fd)
        path.unlink()
    return (f"disk flush (fdatasync) p50 {percentile(times, 50):.2f} ms, "
            f"p99 {percentile(times, 99):.2f} ms")


def server_url() -> str:
    from cylinder_trace.db.engine import embedded_url, sqlalchemy_url, start_embedded

    url = os.environ.get("DATABASE_URL")
    if url:
        return sqlalchemy_url(url)
    server = start_embedded(Path(os.environ["CYLINDER_TRACE_DATA_DIR"]))
    return embedded_url(server, "postgres")


@contextmanager
def fresh_database(keep: bool = False) -> Iterator[str]:
    """A new, migrated database on the server under test; dropped afterwards."""
    base = make_url(server_url())
    name = f"ct_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    from cylinder_trace.db.migrate import upgrade

    upgrade(url)
    try:
        yield url
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, what: str = "the service") -> None:
    for _ in range(600):
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


@contextmanager
def served(url: str, workers: int | None = None) -> Iterator[str]:
    """`cylinder-trace serve` on a free port against ``url``; yields its base URL.

    ``workers=None`` starts it as a user does, with serve's default (one worker per core).
    """
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url}
    flags = [] if workers is None else ["--workers", str(workers)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cylinder_trace", "serve", "--port", str(port), *flags],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    SERVERS[base] = proc.pid
    try:
        wait_healthy(f"{base}/api/v1/health")
        yield base
    finally:
        SERVERS.pop(base, None)
        proc.terminate()
        proc.wait(timeout=30)


# base URL -> pid of the process serving it (the supervisor when there are several workers)
SERVERS: dict[str, int] = {}


def worker_pids(pid: int) -> list[int]:
    """The uvicorn worker processes under ``pid`` (or ``pid`` itself with one worker)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            cmdline = (stat.parent / "cmdline").read_bytes()
            if b"spawn_main" in cmdline:
                kids.append(int(stat.parent.name))
    return sorted(kids) or [pid]


def jobs_pids(pid: int) -> list[int]:
    """The scheduled jobs' process `serve` starts beside its workers (`worker --parent`)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and b"--parent" in (stat.parent / "cmdline").read_bytes():
                found.append(int(stat.parent.name))
        except OSError:
            continue
    return found


def admin_headers(url: str, base: str) -> dict[str, str]:
    from sqlmodel import Session

    from cylinder_trace.db.engine import make_engine
    from cylinder_trace.services.accounts import create_admin

    engine = make_engine(url)
    with Session(engine) as session:
        create_admin(session, "bench", ADMIN_PASSWORD)
    engine.dispose()
    r = httpx.post(f"{base}/api/v1/auth/token",
                   data={"username": "bench", "password": ADMIN_PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def licensed_station(base: str, headers: dict[str, str], n: int = 1) -> tuple[str, str]:
    """A licensed enterprise with one station; returns (enterprise id, the station's API key)."""
    from cylinder_trace.domain.identifiers import credit_code_check

    body = f"91500000MA{n:07d}"
    e = httpx.post(f"{base}/api/v1/enterprises", headers=headers, json={
        "name": "基准燃气", "credit_code": body + credit_code_check(body), "region_code": "500103",
        "filling_licence": {"number": "TS1", "valid_until": "2099-01-01", "status": "valid"}})
    e.raise_for_status()
    s = httpx.post(f"{base}/api/v1/stations", headers=headers,
                   json={"enterprise_id": e.json()["id"], "name": "基准站"}).json()
    key = httpx.post(f"{base}/api/v1/stations/{s['id']}/api-keys", headers=headers,
                     json={}).json()["key"]
    return str(e.json()["id"]), str(key)


def cpu_ticks(pids: list[int]) -> int:
    """CPU time (clock ticks, user + system) the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total


def backends_of(database: str) -> list[int]:
    """The PostgreSQL backend processes connected to ``database`` (on this machine)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes()
        except OSError:
            continue
        if text.startswith(b"postgres: ") and f" {database} ".encode() in text:
            found.append(int(cmdline.parent.name))
    return found
