"""Statistics tallies, kept by triggers (migration 0007)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    BigInteger,
    Column,
)
from sqlmodel import Field, SQLModel


class StatCylinder(SQLModel, table=True):
    """Cylinders counted per owner, region, state and due date (migration 0007: kept by
    triggers through an append-only delta table, folded in by the compact_stats job)."""

    __tablename__ = "stat_cylinder"

    owner_enterprise_id: uuid.UUID = Field(primary_key=True)
    region_code: str = Field(primary_key=True, max_length=6)
    status: str = Field(primary_key=True)
    seized: bool = Field(primary_key=True)
    recalled: bool = Field(primary_key=True)
    failed: bool = Field(primary_key=True)
    due: date = Field(primary_key=True)
    n: int = Field(sa_column=Column(BigInteger, nullable=False))


class StatFill(SQLModel, table=True):
    """Fills, refusals and refusal reasons per day (Asia/Shanghai) and the station's company
    and region (0007)."""

    __tablename__ = "stat_fill"

    day: date = Field(primary_key=True)
    enterprise_id: uuid.UUID = Field(primary_key=True)
    region_code: str = Field(primary_key=True, max_length=6)
    kind: str = Field(primary_key=True, max_length=16)
    reason: str = Field(primary_key=True, max_length=40)
    n: int = Field(sa_column=Column(BigInteger, nullable=False))
