"""Test fixtures: a fresh database per run (embedded PostgreSQL or DATABASE_URL), built by the
migrations; every test starts from empty tables; HTTP goes through the real app."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("CYLINDER_TRACE_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("CYLINDER_TRACE_PUBLIC_BASE_URL", "https://ct.example.cn")
os.environ.setdefault("CYLINDER_TRACE_SCHEDULER_ENABLED", "false")
# Cheap password hashing in tests only: the suite logs in hundreds of times.
os.environ.setdefault("CYLINDER_TRACE_PASSWORD_TIME_COST", "1")
os.environ.setdefault("CYLINDER_TRACE_PASSWORD_MEMORY_KIB", "1024")
os.environ.setdefault("CYLINDER_TRACE_DATA_DIR", str(ROOT / ".data" / "test"))
# Every test client comes from one address; tests/attacks/test_limits.py checks the limits.
os.environ.setdefault("CYLINDER_TRACE_RATE_LOGIN_PER_MINUTE", "1000000")
os.environ.setdefault("CYLINDER_TRACE_RATE_PUBLIC_PER_MINUTE", "1000000")
os.environ.setdefault("CYLINDER_TRACE_RATE_REPORT_PER_MINUTE", "1000000")
# Webhook receivers in tests listen on 127.0.0.1 only (never beyond the machine); internal
# addresses are refused unless listed, so the suite lists exactly that one.
os.environ.setdefault("CYLINDER_TRACE_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from cylinder_trace.db.engine import embedded_url, sqlalchemy_url, start_embedded  # noqa: E402


def _server_url() -> str:
    """A URL on the server under test, pointing at its maintenance database."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return sqlalchemy_url(url)
    server = start_embedded(Path(os.environ["CYLINDER_TRACE_DATA_DIR"]))
    return embedded_url(server, "postgres")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    base = make_url(_server_url())
    name = f"ct_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    from cylinder_trace.db.migrate import upgrade

    upgrade(url)
    os.environ["DATABASE_URL"] = url
    from cylinder_trace.config import get_settings

    get_settings.cache_clear()
    yield url
    from cylinder_trace.db.engine import dispose_engine

    dispose_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Any:
    from cylinder_trace.db.engine import init_engine

    return init_engine(database_url)


@pytest.fixture(scope="session")
def app(database_url: str) -> Any:
    from cylinder_trace.app import create_app

    return create_app(database_url)


@pytest.fixture(scope="session")
def _client(app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _truncate_all(engine: Any) -> None:
    with engine.begin() as conn:
        tables = conn.execute(
            text(
                "SELECT string_agg(format('%I', c.relname), ', ') FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
                "AND c.relname <> 'alembic_version'"
            )
        ).scalar()
        conn.execute(text("SET LOCAL cylinder_trace.allow_truncate = 'on'"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def client(_client: Any, engine: Any) -> Iterator[Any]:
    """The HTTP client, on empty tables."""
    _truncate_all(engine)
    yield _client


@pytest.fixture
def world(client: Any) -> Any:
    from tests.factories import World

    return World(client)


def client_with_settings(database_url: str, monkeypatch: pytest.MonkeyPatch,
                         **env: str) -> Iterator[Any]:
    """A client of an app built with some settings changed (``CYLINDER_TRACE_<NAME>`` = value),
    on the same database; the settings are restored after it."""
    from fastapi.testclient import TestClient

    from cylinder_trace.app import create_app
    from cylinder_trace.config import get_settings

    for name, value in env.items():
        monkeypatch.setenv(f"CYLINDER_TRACE_{name.upper()}", value)
    get_settings.cache_clear()
    app = create_app(database_url)
    get_settings.cache_clear()
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    monkeypatch.undo()
    get_settings.cache_clear()
