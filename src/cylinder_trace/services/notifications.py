"""Notifications: an outbox written with what caused it, delivered to webhooks by a job.

Each notification has one id for ever; a receiver that sees the same id twice (a retry after a
crash between sending and recording) drops the second. Bodies are signed: the header
``X-CylinderTrace-Signature: sha256=<hex HMAC-SHA256 of the body with the webhook's secret>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlmodel import Session, col, select

from ..config import get_settings
from ..db.scope import visible as in_scope
from ..db.tables.accounts import Enterprise
from ..db.tables.notifications import Notification, Webhook
from ..domain.access import Action, Scope, scope_of
from ..domain.errors import Forbidden, Invalid
from ..domain.identifiers import region_prefix
from ..domain.principal import Principal
from . import audit, outbound

log = logging.getLogger(__name__)

Sender = Callable[[str, bytes, dict[str, str]], int]


def notify(
    session: Session, kind: str, dedupe_key: str, *, enterprise_id: uuid.UUID | None,
    region_code: str | None, title_zh: str, title_en: str, payload: dict[str, Any],
    now: datetime | None = None,
) -> bool:
    """Add a notification (once per kind and key) and its deliveries, due at ``now`` (the job's
    injected clock; the database's clock when not given); the caller commits."""
    nid = uuid.uuid4()
    inserted = session.execute(text(
        "INSERT INTO notification (id, kind, dedupe_key, enterprise_id, region_code, title_zh, "
        "title_en, payload) VALUES (:id, :k, :d, :e, :r, :zh, :en, CAST(:p AS jsonb)) "
        "ON CONFLICT (kind, dedupe_key) DO NOTHING RETURNING id"),
        {"id": nid, "k": kind, "d": dedupe_key, "e": enterprise_id, "r": region_code,
         "zh": title_zh, "en": title_en, "p": json.dumps(payload, default=str,
                                                         ensure_ascii=False)}).first()
    if inserted is None:
        return False
    # Fan out: the enterprise's webhooks, and regulators' webhooks whose region covers it.
    session.execute(text(
        "INSERT INTO notification_delivery (notification_id, webhook_id, status, attempts, "
        "next_attempt_at) SELECT :id, w.id, 'pending', 0, "
        "COALESCE(CAST(:now AS timestamptz), now()) FROM webhook w WHERE w.active "
        "AND ((w.enterprise_id IS NOT NULL AND w.enterprise_id = CAST(:e AS uuid)) OR "
        "(w.region_code IS NOT NULL AND CAST(:r AS text) LIKE w.region_code || '%')) "
        "ON CONFLICT DO NOTHING"), {"id": nid, "e": enterprise_id, "r": region_code, "now": now})
    return True


def notify_holders(
    session: Session, kind: str, dedupe_key: str, cylinder_ids: list[int], *,
    told: uuid.UUID | None, title_zh: str, title_en: str, payload: dict[str, Any],
) -> int:
    """Tell every company whose cylinders an action touched (owner, or the company they are
    entrusted to) and that the action's own notification did not name (``told``): an
    action is never news only to the one who took it. Region audiences already heard of it."""
    if not cylinder_ids:
        return 0
    companies = session.execute(text(
        "SELECT DISTINCT e FROM cylinder c, LATERAL (VALUES (c.owner_enterprise_id), "
        "(c.entrusted_to_enterprise_id)) AS v(e) WHERE c.id = ANY(:ids) AND e IS NOT NULL"),
        {"ids": cylinder_ids}).scalars().all()
    written = 0
    for eid in sorted(companies, key=str):
        if eid != told:
            written += notify(session, kind, f"{dedupe_key}:{eid}", enterprise_id=eid,
                              region_code=None, title_zh=title_zh, title_en=title_en,
                              payload={**payload, "enterprise_id": str(eid)})
    return written


def body_of(n: Notification) -> bytes:
    return json.dumps({
        "id": str(n.id), "kind": n.kind, "created_at": n.created_at.isoformat()
        if n.created_at else None, "enterprise_id": str(n.enterprise_id)
        if n.enterprise_id else None, "region_code": n.region_code, "title_zh": n.title_zh,
        "title_en": n.title_en, "payload": n.payload,
    }, ensure_ascii=False, sort_keys=True).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def http_send(url: str, body: bytes, headers: dict[str, str]) -> int:
    # resolved and checked again now: what was public at registration may not be any more
    return outbound.post(url, body, headers, get_settings().webhook_timeout_seconds)


def deliver_due(
    session: Session, now: datetime, send: Sender = http_send,
    after_send: Callable[[], None] | None = None, limit: int = 200,
) -> dict[str, Any]:
    """Send what is due; record each outcome. A crash after sending and before the commit
    sends again next time with the same notification id (receivers de-duplicate on it)."""
    settings = get_settings()
    rows = session.execute(text(
        "SELECT d.notification_id, d.webhook_id, d.attempts, w.url, w.secret "
        "FROM notification_delivery d JOIN webhook w ON w.id = d.webhook_id "
        "WHERE d.status = 'pending' AND d.next_attempt_at <= :now "
        "ORDER BY d.next_attempt_at LIMIT :n FOR UPDATE OF d SKIP LOCKED"),
        {"now": now, "n": limit}).all()
    counts: dict[str, Any] = {"delivered": 0, "retry": 0, "dead": 0}
    for nid, wid, attempts, url, secret in rows:
        n = session.get(Notification, nid)
        assert n is not None
        body = body_of(n)
        headers = {"Content-Type": "application/json", "X-CylinderTrace-Notification": str(nid),
                   "X-CylinderTrace-Signature": sign(secret, body)}
        try:
            status = send(url, body, headers)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except outbound.BlockedAddress:
            error = "ADDRESS_REFUSED"
        except Exception as exc:  # any failure of one receiver is its own
            # refused, timed out, a URL that no longer parses: recorded against this receiver,
            # and the next one is still served
            error = type(exc).__name__
            log.warning("webhook %s failed: %s", wid, error)
        if after_send is not None:
            after_send()
        params: dict[str, Any] = {"n": nid, "w": wid, "now": now, "a": attempts + 1,
                                  "err": error}
        if error is None:
            session.execute(text(
                "UPDATE notification_delivery SET status = 'delivered', attempts = :a, "
                "delivered_at = :now, last_error = NULL WHERE notification_id = :n AND "
                "webhook_id = :w"), params)
            counts["delivered"] += 1
        elif attempts + 1 >= settings.webhook_max_attempts:
            session.execute(text(
                "UPDATE notification_delivery SET status = 'dead', attempts = :a, "
                "last_error = :err WHERE notification_id = :n AND webhook_id = :w"), params)
            counts["dead"] += 1
        else:
            params["next"] = now + timedelta(
                seconds=settings.webhook_backoff_seconds * 2**attempts)
            session.execute(text(
                "UPDATE notification_delivery SET attempts = :a, last_error = :err, "
                "next_attempt_at = :next WHERE notification_id = :n AND webhook_id = :w"),
                params)
            counts["retry"] += 1
    return counts


def create_webhook(session: Session, principal: Principal, url: str,
                   enterprise_id: uuid.UUID | None, region_code: str | None) -> Webhook:
    """A receiver; the secret that signs its bodies is returned once."""
    outbound.check_receiver(url)
    scope = scope_of(principal.role, Action.WEBHOOK)  # the permission table's row
    if scope == Scope.OWN:  # a company: its own enterprise's notifications
        enterprise_id, region_code = principal.enterprise_id, None
    elif scope == Scope.REGION:
        if not region_code or not principal.sees(None, region_code):
            raise Forbidden("A regulator subscribes to its own regions")
        enterprise_id = None
    elif scope != Scope.PLATFORM:
        raise Forbidden("Webhooks are set up by admins and regulators")
    if (enterprise_id is None) == (region_code is None):
        raise Invalid("give enterprise_id or region_code", reason="ONE_AUDIENCE")
    hook = Webhook(enterprise_id=enterprise_id,
                   region_code=region_prefix(region_code) if region_code else None,
                   url=url, secret=secrets.token_urlsafe(24))
    session.add(hook)
    # the host only: a receiver's URL may carry its own token in the path or query
    owner = session.get(Enterprise, enterprise_id) if enterprise_id else None
    audit.record(session, principal, "webhook.create", "webhook", hook.id,
                 enterprise_id=enterprise_id,
                 region_code=owner.region_code if owner else region_code,
                 after={"host": urlsplit(url).hostname, "scheme": urlsplit(url).scheme})
    return hook


def visible(session: Session, principal: Principal, limit: int = 100) -> list[Notification]:
    query = select(Notification).where(
        in_scope(principal, col(Notification.enterprise_id), col(Notification.region_code)))
    return list(session.exec(
        query.order_by(col(Notification.created_at).desc()).limit(limit)).all())
