"""The scheduled jobs run in one process of their own beside `cylinder-trace serve`'s workers:
started by serve, at a lower CPU priority, and gone when serve is gone (SIGTERM, or killed).
`cylinder-trace worker` alone stops cleanly on SIGTERM. Real processes, a real database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import create_engine, text

from tests.databases import new_database


@pytest.fixture(scope="module")
def own_database(database_url: str) -> Iterator[str]:
    """A database of this module's own: the jobs started here must not act on other tests' rows."""
    with new_database(database_url, "ct_jobs") as url:
        from cylinder_trace.db.migrate import upgrade

        upgrade(url)
        yield url


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "CYLINDER_TRACE_SCHEDULER_ENABLED": "true",
            "CYLINDER_TRACE_LOG_LEVEL": "INFO"}


def _serve(url: str, out: Path, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with out.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "cylinder_trace", "serve", "--port",
                                 str(port), "--workers", str(workers)], env=_env(url),
                                stdout=sink,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    raise AssertionError("serve did not start: " + out.read_text(errors="replace")[-2000:])


def _jobs_children(pid: int) -> list[psutil.Process]:
    return [p for p in psutil.Process(pid).children()
            if "worker" in p.cmdline() and "--parent" in p.cmdline()]


def _gone(proc: psutil.Process, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.2)
    return False


def test_serve_runs_the_jobs_in_one_lower_priority_process_that_stops_with_it(
        own_database: str, tmp_path: Path) -> None:
    out = tmp_path / "serve.log"
    proc, _ = _serve(own_database, out)
    try:
        jobs = _jobs_children(proc.pid)
        assert len(jobs) == 1, [p.cmdline() for p in psutil.Process(proc.pid).children()]
        # (the child lowers its own priority as it starts)
        deadline = time.monotonic() + 30
        while jobs[0].nice() < psutil.Process(proc.pid).nice() + 10 \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert jobs[0].nice() >= psutil.Process(proc.pid).nice() + 10
        # serve says so at start, naming the process
        assert f"scheduled jobs in their own process (pid {jobs[0].pid}" in out.read_text()
        # and the jobs do run there: the 15-second notification job records its first run
        engine = create_engine(own_database)
        try:
            deadline = time.monotonic() + 60
            ran = 0
            while time.monotonic() < deadline and not ran:
                with engine.connect() as conn:
                    ran = conn.execute(text(
                        "SELECT count(*) FROM job_run WHERE name = 'deliver_notifications' "
                        "AND status = 'ok'")).scalar_one()
                time.sleep(0.5)
        finally:
            engine.dispose()
        assert ran == 1  # once, not once per process
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert _gone(jobs[0]), "the jobs process outlived serve's SIGTERM"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_jobs_process_and_the_workers_stop_when_serve_is_killed(
        own_database: str, tmp_path: Path) -> None:
    proc, _ = _serve(own_database, tmp_path / "serve.log", workers=2)
    try:
        jobs = _jobs_children(proc.pid)
        assert len(jobs) == 1
        children = psutil.Process(proc.pid).children()
        workers = [p for p in children if p not in jobs and "multiprocessing" in " ".join(
            p.cmdline())]
        assert workers, [p.cmdline() for p in children]
    finally:
        proc.kill()  # no handler runs: the kernel (or the jobs process's own watch) must see it
        proc.wait()
    assert _gone(jobs[0]), "the jobs process outlived a SIGKILLed serve"
    for worker in workers:
        assert _gone(worker), "a serving worker outlived a SIGKILLed serve"


def test_worker_alone_stops_cleanly_on_sigterm(own_database: str, tmp_path: Path) -> None:
    out = tmp_path / "worker.log"
    with out.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "cylinder_trace", "worker"],
                                env=_env(own_database), stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "scheduler running" not in out.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, out.read_text()
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, out.read_text()
        assert "Traceback" not in out.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
