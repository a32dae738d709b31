"""The tables, one module per aggregate. Importing this package puts every table in
SQLModel's metadata (the migrations' check compares it with what Alembic built)."""

from . import (  # noqa: F401
    accounts,
    agencies,
    audit,
    fills,
    lifecycle,
    notifications,
    registry,
    reports,
    service,
    stats,
    supervision,
)
