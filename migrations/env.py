"""Alembic environment: the URL comes from the caller or from the service's own resolution."""

from __future__ import annotations

import sys
from logging.config import fileConfig
from pathlib import Path
from typing import Any

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import cylinder_trace.db.tables  # noqa: F401  (registers the tables)
from cylinder_trace.db.engine import resolve_database_url

sys.path.insert(0, str(Path(__file__).parent))
from env_filter import include_object

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or None
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(url or resolve_database_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
