"""The deployment's root secret: the configured one, or else one kept in the database (created
once by the first instance), so every instance behind a balancer signs and verifies alike."""

from __future__ import annotations

import logging
import secrets
import threading

from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from ..config import Settings
from .engine import get_engine

log = logging.getLogger(__name__)


def root_secret(settings: Settings) -> str:
    """The configured secret key, or the deployment's stored one."""
    return settings.secret_key or stored_secret(settings)


def root_secret_at_hand(settings: Settings) -> bool:
    """Whether ``root_secret`` answers without a query: configured, or read once already (a
    caller on the event loop, which must not block on the database, asks first)."""
    return bool(settings.secret_key) or \
        get_engine().url.render_as_string(hide_password=True) in _stored


_stored: dict[str, str] = {}
_stored_lock = threading.Lock()

_INSERT_ROOT = ("INSERT INTO deployment_key (name, secret) VALUES ('root', :secret) "
                "ON CONFLICT (name) DO NOTHING")
_SELECT_ROOT = "SELECT secret FROM deployment_key WHERE name = 'root'"


def stored_secret(settings: Settings) -> str:
    """The root secret every instance of this deployment shares: created once in the database
    by whichever instance comes first (INSERT ... ON CONFLICT DO NOTHING, then read), so a
    label or a token made by one instance verifies on all. A key an older version kept in
    data_dir/secret_key seeds it, so labels and personal data written before stay readable.
    It never changes once written, so each process reads it once."""
    engine = get_engine()
    where = engine.url.render_as_string(hide_password=True)
    with _stored_lock:
        if where in _stored:
            return _stored[where]
        path = settings.data_dir / "secret_key"
        local = path.read_text().strip() if path.exists() else ""
        try:
            with engine.begin() as conn:
                conn.execute(text(_INSERT_ROOT), {"secret": local or secrets.token_urlsafe(32)})
                secret = str(conn.execute(text(_SELECT_ROOT)).scalar_one())
        except ProgrammingError as exc:
            raise RuntimeError(
                "No secret key is configured and the database has no deployment_key table: "
                "run `cylinder-trace migrate`, or set CYLINDER_TRACE_SECRET_KEY") from exc
        if local and local != secret:
            log.warning("data_dir/secret_key differs from the deployment's key in the "
                        "database; the database's key is used")
        _stored[where] = secret
        return secret
