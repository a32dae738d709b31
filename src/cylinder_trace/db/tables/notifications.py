"""Webhooks, the notification outbox and its deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from .columns import references, timestamp


class Webhook(SQLModel, table=True):
    """Where notifications go: an enterprise's or a regulator region's receiver."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_id: uuid.UUID | None = references("enterprise.id", nullable=True)
    region_code: str | None = Field(default=None, max_length=6)  # a regulator's region prefix
    url: str = Field(max_length=500)
    secret: str = Field(max_length=100)  # signs each body (HMAC-SHA256); shown once
    active: bool = True
    created_at: datetime | None = timestamp()


class Notification(SQLModel, table=True):
    """The outbox: written in the transaction that caused it; its id is the receivers'
    de-duplication key. (kind, dedupe_key) makes a digest once per enterprise and day."""

    __table_args__ = (UniqueConstraint("kind", "dedupe_key", name="uq_notification_dedupe"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=40)
    dedupe_key: str = Field(max_length=200)
    enterprise_id: uuid.UUID | None = Field(default=None, index=True)
    region_code: str | None = Field(default=None, max_length=6, index=True)
    title_zh: str
    title_en: str
    payload: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime | None = timestamp()


class NotificationDelivery(SQLModel, table=True):
    """One notification to one webhook: retried with backoff, dead-lettered after N tries."""

    __tablename__ = "notification_delivery"
    __table_args__ = (
        Index("ix_notification_delivery_due", "next_attempt_at",
              postgresql_where=text("status = 'pending'")),
    )

    notification_id: uuid.UUID = Field(foreign_key="notification.id", primary_key=True)
    webhook_id: uuid.UUID = Field(foreign_key="webhook.id", primary_key=True)
    status: str = Field(default="pending", max_length=12)  # pending | delivered | dead
    attempts: int = 0
    next_attempt_at: datetime | None = timestamp()
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = timestamp(nullable=True, default_now=False)
