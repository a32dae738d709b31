"""Column shapes every table uses: a timestamp with the server's now(), a foreign key; the columns
of a stored photo."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    LargeBinary,
    func,
)
from sqlmodel import Field, SQLModel


def timestamp(nullable: bool = False, default_now: bool = True) -> Any:
    # sa_type rather than sa_column: each table builds its own column, so a shared base class
    # (PhotoColumns) may hold one
    return Field(
        default=None,
        sa_type=DateTime(timezone=True),
        nullable=nullable,
        sa_column_kwargs={"server_default": func.now() if default_now else None},
    )


def references(target: str, nullable: bool = False, index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(ForeignKey(target), nullable=nullable, index=index),
    )


class PhotoColumns(SQLModel):
    """A photo someone sent (a public report's, an inspection visit's), type-checked and
    size-limited before it is stored (services/photos.py); each table adds the key of its owner."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    media_type: str = Field(max_length=20)
    size: int
    data: bytes = Field(sa_type=LargeBinary, nullable=False)
    created_at: datetime | None = timestamp()
