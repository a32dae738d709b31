"""The schema is made by the migrations, and the models agree with it."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

import cylinder_trace.db.tables  # noqa: F401


def test_models_and_migrations_agree(database_url: str) -> None:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "ct_env_filter", Path(__file__).resolve().parents[2] / "migrations" / "env_filter.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": module.include_object, "compare_type": True}
        )
        diff = compare_metadata(ctx, SQLModel.metadata)
    engine.dispose()
    assert diff == [], diff


def test_events_cannot_be_updated_or_deleted(database_url: str, client: Any) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO cylinder_event (cylinder_id, occurred_at, kind, actor_kind) "
                "VALUES (1, now(), 'registered', 'system')"
            )
        )
    for statement in (
        "UPDATE cylinder_event SET kind = 'x'",
        "DELETE FROM cylinder_event",
        "TRUNCATE cylinder_event",
    ):
        with engine.connect() as conn:
            try:
                conn.execute(text(statement))
                conn.commit()
                raise AssertionError(f"{statement} was allowed")
            except Exception as exc:
                assert "append-only" in str(exc)
    engine.dispose()


def test_event_partitions_exist_ahead(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM pg_inherits WHERE inhparent = 'cylinder_event'::regclass")
        ).scalar()
        made = conn.execute(text("SELECT ct_ensure_event_partitions(current_date, 14)")).scalar()
    engine.dispose()
    assert n is not None and n >= 24
    assert made == 2
