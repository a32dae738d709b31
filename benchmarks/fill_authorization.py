"""Fill authorizations per second and p99 at 32 connections, beside a bare FastAPI floor.

Run: .venv/bin/python benchmarks/fill_authorization.py [--cylinders 100000] [--duration 15]
     [--rounds 2] [--workers N] [--profile]

In one run, on this machine: loads the cylinders with COPY into a fresh database, starts
`cylinder-trace serve` as a user does (its defaults: one worker per core) and, beside it, the bare
floor (benchmarks/_bare_floor.py: a minimal FastAPI app, one POST route returning its JSON body,
no middleware) under uvicorn with the same worker count. wrk (apt-get install wrk) drives each
in turn on loopback with the same script (same connections, threads, headers and bodies: random
signed labels): the bare floor, our own `POST /api/v1/echo` (the cost of our stack in front of
every request), then `POST /api/v1/fill-authorizations`. Each round measures the three back to
back, so the ratios compare figures taken minutes apart on the same machine; with --rounds N it
prints every round and the best. Goal (issue 20): authorizations >= 33 % of the bare floor,
p99 <= 25 ms and <= 3x the floor's p99.

`serve` runs as a user starts it: its scheduled jobs on (in their own process, whose CPU is
printed) and its access line for every request (log level INFO); set
CYLINDER_TRACE_SCHEDULER_ENABLED / CYLINDER_TRACE_LOG_LEVEL to measure otherwise. The 1-minute
load is printed beside each run: on a shared machine, measure when it is below ~0.7. So are
PostgreSQL's WAL a request (bytes and full-page images, from pg_stat_wal) and the checkpoints
that began during the run: the write volume behind the authorizations' PostgreSQL CPU.

Profiling (py-spy: `.venv/bin/pip install py-spy`; as root or with ptrace allowed): `--profile`
samples one worker during each measured run and prints the top entries (self time by module and
by function, and the inclusive share of the request-path frames worth naming). By hand, while a
run is under way:
    .venv/bin/py-spy top --pid <worker pid>
    .venv/bin/py-spy record --nonblocking --gil --rate 250 --duration 10 --format raw \
        -o fill.txt --pid <worker pid>
`--profile` and `--gil` sample only the thread holding the GIL: the Python CPU, without the
time a worker spends preempted by PostgreSQL or wrk on a busy machine (which plain sampling
counts, in `RequestResponseCycle.send` and psycopg's `_send_query_prepared`). `--format
speedscope` gives a flame graph instead. The worker pids are the `multiprocessing.spawn`
children of the `cylinder-trace serve` process; its `worker --parent` child is the scheduled
jobs' process.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from _common import (
    JOBS_GIVEN,
    LOG_LEVEL_GIVEN,
    ROOT,
    SERVERS,
    admin_headers,
    backends_of,
    cpu_ticks,
    flush_ms,
    free_port,
    fresh_database,
    jobs_pids,
    licensed_station,
    machine,
    served,
    wait_healthy,
    worker_pids,
)
from sqlalchemy.engine import make_url


def load_cylinders(url: str, owner: str, n: int) -> list[str]:
    """COPY n cylinders owned by ``owner`` and their registrations; returns their codes."""
    from cylinder_trace.domain.codes import make_code

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    codes = []
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        cur.execute("SELECT setval(pg_get_serial_sequence('cylinder', 'id'), %s)", (n + 10,))
        with cur.copy(
            "COPY cylinder (id, code, owner_enterprise_id, region_code, manufacturer, "
            "serial_number, model, water_capacity_l, tare_kg, max_fill_kg, manufacture_date, "
            "design_life_years, valve_type, smart_valve_id, refurbished, status, seized, "
            "recalled, filled, last_inspection_date, last_inspection_result, "
            "next_inspection_due) FROM STDIN"
        ) as copy:
            for i in range(1, n + 1):
                code = make_code("CT", i)
                codes.append(code)
                copy.write_row((i, code, owner, "500103", "bench", f"B{i:09d}", "YSP-35.5",
                                35.5, 16.0, 14.9, "2022-01-01", 8, "single_phase", None, False,
                                "active", False, False, False, "2024-01-01", "pass",
                                "2028-01-01"))
        # each cylinder's `registered` event, as the importer writes it: the chain trigger
        # computes its hash and the head the first fill links to
        with cur.copy("COPY cylinder_event (cylinder_id, occurred_at, kind, actor_kind, actor_id, "
                      "enterprise_id, payload) FROM STDIN") as copy:
            registered = datetime.now(UTC) - timedelta(minutes=1)
            for i, code in enumerate(codes, start=1):
                copy.write_row((i, registered, "registered", "system", "bench",
                                owner, f'{{"code": "{code}"}}'))
        conn.commit()
        cur.execute("ANALYZE cylinder")
    return codes


@contextmanager
def bare_floor(workers: int) -> Iterator[str]:
    """The bare FastAPI app under uvicorn, same worker count, no access log (as our serve)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "_bare_floor:app", "--port", str(port),
         "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT / "benchmarks", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    SERVERS[base] = proc.pid
    try:
        wait_healthy(f"{base}/docs", "the bare floor")
        yield base
    finally:
        SERVERS.pop(base, None)
        proc.terminate()
        proc.wait(timeout=30)


def _machine_busy() -> tuple[int, int, int]:
    """(busy, all, stolen) clock ticks of the machine so far: stolen is the time a virtual
    machine's cores were runnable but the host ran something else (a neighbour's load)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4], sum(fields), fields[7]


# the benchmark database's name: its PostgreSQL backends are found by it; and its conninfo
DATABASE: list[str] = []
CONNINFO: list[str] = []


def wal_totals() -> tuple[int, int, int, int]:
    """(WAL bytes, full-page images, checkpoints started, buffers written by checkpoints) of
    the whole server so far: what each request costs PostgreSQL beyond its backend's CPU."""
    if not CONNINFO:
        return 0, 0, 0, 0
    with psycopg.connect(CONNINFO[0], autocommit=True) as conn:
        wal = conn.execute("SELECT wal_bytes, wal_fpi FROM pg_stat_wal").fetchone()
        new = conn.execute("SELECT to_regclass('pg_catalog.pg_stat_checkpointer') IS NOT NULL"
                           ).fetchone()
        ckpt = conn.execute(
            "SELECT num_timed + num_requested, buffers_written FROM pg_stat_checkpointer"
            if new and new[0] else
            "SELECT checkpoints_timed + checkpoints_req, buffers_checkpoint FROM pg_stat_bgwriter"
        ).fetchone()
    assert wal and ckpt
    return int(wal[0]), int(wal[1]), int(ckpt[0]), int(ckpt[1])

Run = tuple[float, float, float, float, float]


def wrk(url: str, script: Path, duration: int, connections: int) -> Run:
    """(req/s, p50 ms, p99 ms, worker CPU µs a request, PostgreSQL CPU µs a request) of one wrk
    run. CPU time a request is what a shared machine does not blur: req/s there depends on what
    else runs. Prints the cores the workers, wrk and the whole machine used meanwhile."""
    server = SERVERS.get(url.split("/api/")[0].removesuffix("/echo"))
    pids = worker_pids(server) if server else []
    jobs = jobs_pids(server) if server else []
    jobs_ticks = cpu_ticks(jobs)
    backends = backends_of(DATABASE[0]) if DATABASE else []
    ticks, busy, wrk_before = cpu_ticks(pids), _machine_busy(), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    pg_ticks = cpu_ticks(backends)
    wal_before = wal_totals() if backends else None
    started = time.perf_counter()
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"{p}%\s+([\d.]+)(us|ms|s)", out)
        assert m, out
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    seconds = time.perf_counter() - started
    hz = os.sysconf("SC_CLK_TCK")
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (wrk_after.ru_utime + wrk_after.ru_stime - wrk_before.ru_utime - wrk_before.ru_stime)
    now_busy = _machine_busy()
    worker_s = (cpu_ticks(pids) - ticks) / hz
    pg_s = (cpu_ticks(backends) - pg_ticks) / hz
    machine_cores = (now_busy[0] - busy[0]) / max(now_busy[1] - busy[1], 1) * (os.cpu_count() or 1)
    stolen = (now_busy[2] - busy[2]) / max(now_busy[1] - busy[1], 1)
    jobs_s = (cpu_ticks(jobs) - jobs_ticks) / hz
    if duration > 5:
        print(f"  {url}: {len(pids)} worker(s) used {worker_s / seconds:.2f} cores"
              + (f", the jobs process {jobs_s / seconds:.2f}" if jobs else "")
              + f", wrk {used / seconds:.2f}, the machine {machine_cores:.2f} of "
              f"{os.cpu_count()} ({stolen:.0%} stolen by the host); load average "
              f"{os.getloadavg()[0]:.2f}")
    if wal_before is not None and duration > 5:
        wal = [b - a for a, b in zip(wal_before, wal_totals(), strict=True)]
        served_n = rps * seconds
        print(f"    PostgreSQL: WAL {wal[0] / served_n / 1024:.1f} kB and {wal[1] / served_n:.2f} "
              f"full-page images a request; {wal[2]} checkpoint(s) began, "
              f"{wal[3]:,} buffers written by checkpoints")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"  warning: {errors.group(1)} non-2xx responses from {url}")
    count = rps * seconds
    return rps, pct("50"), pct("99"), worker_s / count * 1e6, pg_s / count * 1e6


def profiled(base: str, seconds: int) -> subprocess.Popen[bytes] | None:
    """py-spy sampling one worker of the server at ``base`` (raw collapsed stacks)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("  (py-spy not installed: pip install py-spy)")
        return None
    pid = worker_pids(SERVERS[base])[0]
    out = Path(tempfile.gettempdir()) / f"ct-profile-{pid}.txt"
    # (--gil: the Python CPU, not the time the worker waits preempted on a busy machine)
    return subprocess.Popen([spy, "record", "--nonblocking", "--gil", "--format", "raw",
                             "--rate", "200",
                             "--duration", str(seconds), "--pid", str(pid), "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def profile_top(proc: subprocess.Popen[bytes], n: int = 12) -> str:
    """Where one worker's time went: the share of samples whose innermost frame is in each
    module (self time, so the shares add up to 100 %), and the inclusive share of the
    request-path frames worth naming (route matching, middleware, logging, metrics, JSON)."""
    proc.wait(timeout=60)
    assert isinstance(proc.args, list)  # as profiled() starts it: py-spy ... -o <out>
    out = Path(proc.args[-1])
    by_module: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        frames = [re.match(r"(.*?) \((.*?)(?::\d+)?\)$", f) for f in stack.split(";")]
        names = [(m.group(1), m.group(2)) for m in frames if m]
        if not names:
            continue
        func, file = names[-1]
        by_module[_module(file)] += int(count)
        by_function[f"{func} ({_module(file)})"] += int(count)
        for key in {f"{fn} ({Path(fl).name})" for fn, fl in names if _named(fn, fl)}:
            inclusive[key] += int(count)
    out.unlink(missing_ok=True)
    lines = ["    self time by module:"]
    lines += [f"    {v / max(total, 1):6.1%}  {k}" for k, v in by_module.most_common(n)]
    lines += ["    self time by function:"]
    lines += [f"    {v / max(total, 1):6.1%}  {k}" for k, v in by_function.most_common(n)]
    lines += ["    inclusive, request-path frames:"]
    lines += [f"    {v / max(total, 1):6.1%}  {k}" for k, v in inclusive.most_common(n)]
    return "\n".join(lines)


def _module(file: str) -> str:
    """site-packages/starlette/routing.py -> starlette/routing.py; our files by package path."""
    parts = Path(file).parts
    for anchor in ("site-packages", "python3.11", "src"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) + 1:])
    return Path(file).name


_NAMED = ("matches", "Router.__call__", "Router.app", "Observe.__call__", "Front.__call__",
          "BodyLimit.__call__", "RateLimit.__call__", "SecurityHeaders.__call__",
          "Logger.info", "Logger._log", "Handler.handle", "JsonFormatter.format",
          "Formatter.format", "labels", "observe", "inc", "dumps", "request_response",
          "serialize_response", "solve_dependencies", "get_request_handler", "authorize_fill",
          "Authorizer.authorize", "json", "ExceptionMiddleware.__call__",
          "ServerErrorMiddleware.__call__", "run_endpoint_function", "echo", "gc")


def _named(func: str, file: str) -> bool:
    return func.endswith(_NAMED) or func.rsplit(".", 1)[-1] in _NAMED


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cylinders", type=int, default=100_000)
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--workers", type=int, default=None,
                    help="default: as `cylinder-trace serve` starts (one per core)")
    ap.add_argument("--labels", type=int, default=20_000, help="distinct labels scanned")
    ap.add_argument("--profile", action="store_true", help="py-spy one worker of each server")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk (make bench installs it as root)")
    os.environ["CYLINDER_TRACE_BENCH_ECHO"] = "true"
    if not JOBS_GIVEN:  # serve as a user starts it: its scheduled jobs on
        os.environ["CYLINDER_TRACE_SCHEDULER_ENABLED"] = "true"
    if not LOG_LEVEL_GIVEN:  # ... and its access line for every request (INFO)
        os.environ.pop("CYLINDER_TRACE_LOG_LEVEL")
    jobs_on = os.environ["CYLINDER_TRACE_SCHEDULER_ENABLED"].lower() in ("1", "true", "yes")
    os.environ["CYLINDER_TRACE_AUTHORIZATION_TTL_SECONDS"] = "3600"
    workers = args.workers or os.cpu_count() or 1
    print(f"machine: {machine()}; {workers} worker(s) each, wrk -t2 -c{args.connections}, "
          f"{args.duration} s a run; scheduled jobs {'on' if jobs_on else 'off'}, log level "
          f"{os.environ.get('CYLINDER_TRACE_LOG_LEVEL', 'INFO (serve default)')}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(flush_ms())

    with fresh_database() as url, served(url, args.workers) as base, \
            bare_floor(workers) as floor_base:
        DATABASE.append(str(make_url(url).database))
        CONNINFO.append(url.replace("postgresql+psycopg://", "postgresql://", 1))
        headers = admin_headers(url, base)
        eid, key = licensed_station(base, headers, 3)
        started = time.perf_counter()
        codes = load_cylinders(url, eid, args.cylinders)
        print(f"loaded {args.cylinders:,} cylinders in {time.perf_counter() - started:.1f} s")

        from cylinder_trace.domain.codes import qr_text, signing_keys

        signer = signing_keys("", os.environ["CYLINDER_TRACE_SECRET_KEY"])[0]
        rnd = random.Random(5)
        labels = [qr_text("http://127.0.0.1:8000", c, signer)
                  for c in rnd.sample(codes, min(args.labels, len(codes)))]
        probe = httpx.post(f"{base}/api/v1/fill-authorizations", headers={"X-API-Key": key},
                           json={"scan": labels[0]}).json()
        assert probe["decision"] == "allow", probe
        targets = {"bare floor": f"{floor_base}/echo", "our echo": f"{base}/api/v1/echo",
                   "authorizations": f"{base}/api/v1/fill-authorizations"}
        results: dict[str, list[Run]] = {k: [] for k in targets}
        with tempfile.TemporaryDirectory() as tmp:
            # One script for all three: the same headers and the same random label bodies.
            script = Path(tmp) / "scan.lua"
            table = ",".join(f'"{x}"' for x in labels)
            script.write_text(
                f"local labels = {{{table}}}\n"
                'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                f'wrk.headers["X-API-Key"] = "{key}"\n'
                "math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))\n"
                "request = function()\n"
                '  local body = \'{"scan": "\' .. labels[math.random(#labels)] .. \'"}\'\n'
                "  return wrk.format(nil, nil, nil, body)\nend\n")
            # (no Lua `response` callback: it makes wrk parse every body and wrk becomes the
            # bottleneck; non-2xx answers are counted by wrk itself)
            for target in targets.values():  # warm up every worker of both servers
                wrk(target, script, 3, args.connections)
            for _ in range(args.rounds):
                for name, target in targets.items():
                    spy = profiled(target.rsplit("/", 1)[0].removesuffix("/api/v1"),
                                   args.duration - 2) if args.profile else None
                    results[name].append(wrk(target, script, args.duration, args.connections))
                    if spy is not None:
                        print(f"  profile of one worker, {name}:\n{profile_top(spy)}")
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
            events = conn.execute("SELECT count(*) FROM cylinder_event").fetchone()

    print(f"\n{args.cylinders:,} cylinders, {events[0] if events else 0:,} events written")
    print(f"{'round':>5}  {'bare floor':>22}  {'our echo':>22}  {'authorizations':>22}  "
          "echo/floor  auth/floor")
    best = 0
    for i in range(args.rounds):
        row = [results[k][i] for k in targets]
        cells = "  ".join(f"{r[0]:8.0f}/s p99 {r[2]:6.2f} ms" for r in row)
        ratio = row[2][0] / row[0][0]
        print(f"{i + 1:>5}  {cells}  {row[1][0] / row[0][0]:9.1%}  {ratio:9.1%}")
        print(f"{'':>5}  " + "  ".join(f"CPU {r[3]:5.0f} µs + PG {r[4]:4.0f} µs/req" for r in row))
        if ratio > results["authorizations"][best][0] / results["bare floor"][best][0]:
            best = i
    floor = results["bare floor"][best]
    rps, p50, p99 = results["authorizations"][best][:3]
    ok = rps / floor[0] >= 0.33 and p99 <= 25 and p99 <= 3 * floor[2]
    print(f"best round {best + 1}: authorizations {rps / floor[0]:.1%} of the bare floor "
          f"(goal >= 33 %), p50 {p50:.2f} ms, p99 {p99:.2f} ms = {p99 / floor[2]:.1f}x the "
          f"floor's (goal <= 25 ms and <= 3x): {'OK' if ok else 'MISSED'}")
    cpu = {k: min(r[3] + r[4] for r in v) for k, v in results.items()}
    print(f"CPU a request (workers + PostgreSQL), best of the rounds: bare floor "
          f"{cpu['bare floor']:.0f} µs, our echo {cpu['our echo']:.0f} µs, authorizations "
          f"{cpu['authorizations']:.0f} µs: on cores of their own the ratio would be about "
          f"{cpu['bare floor'] / cpu['authorizations']:.0%}")


if __name__ == "__main__":
    main()
