"""The `cylinder-trace` command: serve, migrate, create-admin, demo, import."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import subprocess
import sys

from .config import get_settings


def _database_url() -> str:
    from .db.engine import resolve_database_url

    return resolve_database_url(get_settings())


def cmd_migrate(_: argparse.Namespace) -> int:
    from .db.migrate import upgrade

    upgrade(_database_url())
    print("migrations applied / 迁移已完成")
    return 0


def cores() -> int:
    """The CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .db.migrate import upgrade

    url = _database_url()
    upgrade(url)
    workers = args.workers or cores()
    # Workers are separate processes: hand them the resolved URL so they join the same
    # database (the embedded server stays owned by this process and stops with it).
    os.environ["DATABASE_URL"] = url
    # The scheduled jobs run in one process of their own, beside the workers and at a lower CPU
    # priority, never inside a serving process: they took CPU and tail latency from the
    # requests (docs/performance.md). Each run also takes its job's advisory lock, so other
    # instances on the database never double it.
    jobs = start_jobs_process() if get_settings().scheduler_enabled else None
    os.environ["CYLINDER_TRACE_SCHEDULER_ENABLED"] = "false"  # not again in the workers
    from .parent import SERVE_PID

    os.environ[SERVE_PID] = str(os.getpid())  # the workers stop when this process dies
    get_settings.cache_clear()
    logging.getLogger("cylinder_trace.serve").warning(
        "serving http://%s:%d with %d worker(s)%s; scheduled jobs %s / %d 个工作进程",
        args.host, args.port, workers,
        " (one per core; --workers N to change)" if not args.workers else "",
        f"in their own process (pid {jobs.pid}, nice +{JOBS_NICE}), stopped with this one"
        if jobs else "off (CYLINDER_TRACE_SCHEDULER_ENABLED=false)", workers)
    from .db.engine import embedded_stopped_on_exit

    # SIGTERM and Ctrl-C stop the jobs process and the embedded PostgreSQL too
    with embedded_stopped_on_exit():
        try:
            uvicorn.run(
                "cylinder_trace.main:app",
                host=args.host,
                port=args.port,
                workers=workers,
                log_level=get_settings().log_level.lower(),
                # Our access line (route template, no path or query) replaces uvicorn's, and
                # every logger, uvicorn's included, goes through the one formatter set up in
                # main().
                access_log=False,
                log_config=None,
                # one socket write an answer, not two (api/protocol.py)
                http="cylinder_trace.api.protocol:OneWriteProtocol",
            )
        finally:
            if jobs is not None:
                stop_jobs_process(jobs)
    return 0


# How much lower the jobs process runs than the workers (os.nice): a digest or a compaction
# waits for a free core rather than taking one from a request.
JOBS_NICE = 10


def start_jobs_process() -> subprocess.Popen[bytes]:
    """`cylinder-trace worker` as a child of this process, on the same database (DATABASE_URL is
    the resolved one by now). It ends when this process ends, however that happens: stopped
    here on the way out, sent SIGTERM by the kernel if this process dies (Linux), and it
    watches its parent in any case."""

    # (the child lowers its own priority and asks for the signal: no code between fork and
    # exec here, where the log writer's thread already runs)
    return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "cylinder_trace", "worker", "--parent", str(os.getpid())],
        env={**os.environ})


def stop_jobs_process(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM, then wait for the running job's transaction to end; SIGKILL after ``timeout``."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cmd_create_admin(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from .db.engine import init_engine
    from .db.migrate import upgrade
    from .services.accounts import create_admin

    password = os.environ.get("CYLINDER_TRACE_ADMIN_PASSWORD") or getpass.getpass(
        "Password / 密码: "
    )
    if len(password) < 8:
        print("password must have at least 8 characters / 密码至少 8 位", file=sys.stderr)
        return 2
    url = _database_url()
    upgrade(url)
    with Session(init_engine(url)) as session:
        create_admin(session, args.username, password)
    print(f"platform admin '{args.username}' ready / 平台管理员已就绪")
    return 0


def cmd_demo(_: argparse.Namespace) -> int:
    from sqlmodel import Session

    from .db.engine import init_engine
    from .db.migrate import upgrade
    from .services.demo import load_demo

    url = _database_url()
    upgrade(url)
    with Session(init_engine(url), expire_on_commit=False) as session:
        summary = load_demo(session)
    print(summary)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Bulk registration from a CSV file, with a progress bar and a summary."""
    import uuid
    from pathlib import Path

    from sqlmodel import Session, col, select

    from .api.deps import Principal, Role
    from .db.engine import init_engine
    from .db.migrate import upgrade
    from .db.tables.accounts import Enterprise
    from .domain.errors import DomainError
    from .services.importer import import_csv

    path = Path(args.file)
    if not path.is_file():
        print(f"no such file / 文件不存在: {path}", file=sys.stderr)
        return 2
    url = _database_url()
    upgrade(url)

    def bar(phase: str, done: int, total: int) -> None:
        if total:
            filled = int(30 * done / total)
            print(f"\r{phase:>9} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}",
                  end="", file=sys.stderr, flush=True)
        else:
            print(f"\r{phase:>9} {done} rows", end="", file=sys.stderr, flush=True)

    with Session(init_engine(url)) as session:
        owner = session.exec(select(Enterprise).where(
            col(Enterprise.credit_code) == args.owner.upper())).first()
        if owner is None:
            try:
                owner = session.get(Enterprise, uuid.UUID(args.owner))
            except ValueError:
                owner = None
        if owner is None:
            print(f"no enterprise with id or credit code {args.owner} / 未找到该企业",
                  file=sys.stderr)
            return 2
        system = Principal(kind="system", id=uuid.UUID(int=0), role=Role.PLATFORM_ADMIN,
                           username="cli")
        try:
            report = import_csv(session, system, path.read_bytes(), owner.id, progress=bar)
        except DomainError as exc:
            print(f"\nimport refused / 导入被拒绝: {exc.detail}", file=sys.stderr)
            return 1
        session.commit()
    print(file=sys.stderr)
    print(f"imported / 已导入 {report.imported} of {report.total}, rejected / 拒绝 "
          f"{report.rejected}, in {report.seconds:.2f} s")
    for err in report.errors[:50]:
        print(f"  line {err.row}: {err.field or '-'}: {err.code}: {err.message}")
    if len(report.errors) > 50:
        print(f"  ... and {len(report.errors) - 50} more")
    return 0 if report.rejected == 0 else 1


def cmd_worker(args: argparse.Namespace) -> int:
    """The scheduler alone (run it beside `serve --workers N`, or on another machine); `serve`
    starts one itself. SIGTERM or Ctrl-C stop it cleanly: no new run starts, the one running
    finishes its transaction, the exit status is 0."""
    import signal
    import threading

    from .db.engine import init_engine
    from .db.migrate import upgrade
    from .jobs import make_scheduler

    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    parent = getattr(args, "parent", None)
    url = _database_url()
    if parent is None:
        from .db.migrate import upgrade

        upgrade(url)
    else:  # started by serve, which has migrated already
        os.nice(JOBS_NICE)
        from .parent import follow

        if not follow(parent):  # SIGTERM from the kernel when serve dies; False: gone already
            return 0
    init_engine(url)
    scheduler = make_scheduler()
    scheduler.start()
    log = logging.getLogger("cylinder_trace.worker")
    if parent is None:
        print("scheduler running / 定时任务已启动 (Ctrl-C to stop)", flush=True)
    else:
        log.info("scheduled jobs running for serve (pid %d)", parent)
    try:
        # the parent's watch: serve gone (even by SIGKILL, where no signal reaches us) = stop
        while not stop.wait(1.0):
            if parent is not None and os.getppid() != parent:
                log.warning("serve (pid %d) is gone: stopping the scheduled jobs", parent)
                break
    finally:
        scheduler.shutdown(wait=True)
        from .db.engine import dispose_engine

        dispose_engine()
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Walk every cylinder's hash chain (or one cylinder's) and report any break."""
    from sqlmodel import Session

    from .db.engine import init_engine
    from .services.verify import verify

    with Session(init_engine(_database_url())) as session:
        cylinder_id = None
        if args.cylinder:
            from .api.deps import Principal, Role
            from .services.registry import cylinder_for

            system = Principal(kind="system", id=__import__("uuid").UUID(int=0),
                               role=Role.PLATFORM_ADMIN)
            cylinder_id = cylinder_for(session, system, args.cylinder).id
        report = verify(session, cylinder_id)
    print(f"checked {report.events} events of {report.cylinders} cylinders and "
          f"{report.audit_entries} audit entries / 已校验")
    for p in report.problems:
        print("  BROKEN / 链断裂: " + ", ".join(f"{k}={v}" for k, v in p.items()))
    print("history intact / 记录完整" if report.ok else
          f"{len(report.problems)} problem(s) / 发现篡改")
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cylinder-trace", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="apply migrations, then serve HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=None,
                       help="worker processes (default: one per core)")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="apply migrations").set_defaults(func=cmd_migrate)
    admin = sub.add_parser("create-admin", help="create or reset a platform admin")
    admin.add_argument("username")
    admin.set_defaults(func=cmd_create_admin)
    sub.add_parser("demo", help="load the demo data set").set_defaults(func=cmd_demo)
    worker = sub.add_parser("worker", help="run the scheduled jobs alone")
    # (given by serve to the jobs process it starts: stop when that process is gone)
    worker.add_argument("--parent", type=int, default=None, help=argparse.SUPPRESS)
    worker.set_defaults(func=cmd_worker)
    ver = sub.add_parser("verify", help="check the tamper-evident event chains")
    ver.add_argument("--cylinder", help="only this cylinder (code)")
    ver.set_defaults(func=cmd_verify)
    imp = sub.add_parser("import", help="register cylinders from a CSV file")
    imp.add_argument("file")
    imp.add_argument("--owner", required=True, help="owner enterprise: id or credit code")
    imp.set_defaults(func=cmd_import)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("serve", "worker"):
        from .observe import configure_logging

        configure_logging(get_settings().log_level, get_settings().log_format)
    else:
        logging.basicConfig(level=get_settings().log_level,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
