"""Stopping `cylinder-trace serve`, from outside the process as an operator (or a crash) would:
SIGTERM, Ctrl-C and SIGKILL, on its own embedded PostgreSQL. docs/security.md lists it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psutil


def _serve(data_dir: Path, *options: str) -> subprocess.Popen[bytes]:
    """`cylinder-trace serve` on its own embedded PostgreSQL (no DATABASE_URL), until healthy."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.update(CYLINDER_TRACE_DATA_DIR=str(data_dir), CYLINDER_TRACE_SCHEDULER_ENABLED="false")
    proc = subprocess.Popen([sys.executable, "-m", "cylinder_trace", "serve", "--port",
                             str(port), *options], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    raise AssertionError("the service did not start")


def _postgres_of(pgdata: Path) -> list[psutil.Process]:
    """The postgres processes serving this data directory (the server and its workers)."""
    found = []
    for p in psutil.process_iter(["name", "cmdline"]):
        cmdline = p.info["cmdline"] or []
        if p.info["name"] == "postgres" and str(pgdata) in " ".join(cmdline):
            found.append(p)
    return found


def _gone(pgdata: Path, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while _postgres_of(pgdata) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _postgres_of(pgdata)


def test_stopping_serve_by_signal_leaves_no_embedded_postgresql_behind() -> None:
    data_dir = Path(__file__).resolve().parents[2] / ".data" / f"stop-{uuid.uuid4().hex[:8]}"
    pgdata = data_dir / "pg"
    try:
        # `kill`, and Ctrl-C after `make run`: one worker (uvicorn raises the signal again
        # after its shutdown) and several (the supervisor stops its workers and returns)
        for sig, workers in ((signal.SIGTERM, "1"), (signal.SIGINT, "1"), (signal.SIGTERM, "2")):
            proc = _serve(data_dir, "--workers", workers)
            assert _postgres_of(pgdata)
            proc.send_signal(sig)
            status = proc.wait(timeout=60)
            assert _gone(pgdata), f"PostgreSQL still runs after {sig.name} ({workers} workers)"
            if workers == "1":
                assert status == 128 + sig  # and the exit status still says which signal
        # a crash: the embedded server outlives its SIGKILLed owner ...
        proc = _serve(data_dir)
        proc.kill()
        proc.wait()
        stale = _postgres_of(pgdata)
        assert stale, "the embedded server was expected to outlive a SIGKILL"
        # ... and the next start finds it, and stops it when it is stopped itself
        proc = _serve(data_dir)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert _gone(pgdata), "the stale server was neither reused and stopped nor stopped"
    finally:
        for p in _postgres_of(pgdata):  # only the servers of this test's own data directory
            p.kill()
        shutil.rmtree(data_dir, ignore_errors=True)
