"""Server-side sessions and switching access off: a login is a row the token names (``jti``);
logout, a password change and disabling a user end rows, and every request checks its row,
so the next request is refused on every instance. Station keys are disabled the same way."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update
from sqlmodel import Session, col

from ..adapters.security import hash_password, make_token, verify_password
from ..config import get_settings
from ..db.secrets import root_secret
from ..db.tables.accounts import ApiKey, AppUser, Enterprise, Station, UserSession
from ..domain.access import ACCOUNT_RULES, Action, Scope, may_lift, scope_of
from ..domain.errors import Conflict, Forbidden, NotAuthenticated, NotFound, TooMany
from ..domain.principal import Principal, Role, require_may
from . import audit


def start(session: Session, user: AppUser, now: datetime | None = None) -> str:
    """A new session row and the bearer token that names it (committed with the request)."""
    settings = get_settings()
    now = now or datetime.now(UTC)
    row = UserSession(user_id=user.id, created_at=now,
                      expires_at=now + timedelta(minutes=settings.token_ttl_minutes))
    session.add(row)
    assert row.expires_at is not None
    return make_token(root_secret(settings), str(user.id), str(row.id), row.expires_at)


def end(session: Session, session_id: uuid.UUID, reason: str) -> None:
    """End one session (a no-op when it has ended already: logging out twice is fine)."""
    session.execute(
        update(UserSession)
        .where(col(UserSession.id) == session_id, col(UserSession.ended_at).is_(None))
        .values(ended_at=datetime.now(UTC), ended_reason=reason))


def end_all(session: Session, user_id: uuid.UUID, reason: str) -> None:
    """End every open session of a user (password changed or reset, account disabled)."""
    session.execute(
        update(UserSession)
        .where(col(UserSession.user_id) == user_id, col(UserSession.ended_at).is_(None))
        .values(ended_at=datetime.now(UTC), ended_reason=reason))


def session_id_of(principal: Principal) -> uuid.UUID:
    if principal.kind != "user" or "session_id" not in principal.extra:
        raise Forbidden("Only a signed-in user has a session; a station key is disabled instead")
    return uuid.UUID(principal.extra["session_id"])


def logout(session: Session, principal: Principal) -> None:
    end(session, session_id_of(principal), "logout")


def change_password(session: Session, principal: Principal, current: str, new: str) -> str:
    """The user's own change, with the current password: every older session ends (a thief
    holding an old token is out), and the caller gets a fresh token."""
    session_id_of(principal)
    try:
        user = check_password(session, principal.username or "", current)
    except NotAuthenticated as exc:
        # 403, not 401: the session is fine, the password typed is not.
        raise Forbidden("The current password is wrong", reason="WRONG_PASSWORD") from exc
    session.refresh(user, with_for_update=True)  # two changes at once: one after the other
    user.password_hash = hash_password(new)
    session.add(user)
    end_all(session, user.id, "password_changed")
    token = start(session, user)
    return token


# --- who may switch whom off -------------------------------------------------------------------

def _managed_user(session: Session, principal: Principal, user_id: uuid.UUID) -> AppUser:
    """A platform admin manages every account; an enterprise admin its own enterprise's
    enterprise roles (not an inspector or regulator, whose scope is regional)."""
    user = session.scalars(select(AppUser).where(col(AppUser.id) == user_id)
                           .with_for_update()).first()
    scope = scope_of(principal.role, Action.MANAGE_USER)  # the permission table's row
    if scope is None:
        raise Forbidden("Only a platform admin or the user's enterprise admin may do this")
    if user is None or (scope == Scope.OWN and user.enterprise_id != principal.enterprise_id):
        raise NotFound("No such user in your scope")
    if principal.role not in ACCOUNT_RULES[Role(user.role)].creators:
        # managed by who may create it: an enterprise admin its enterprise's own staff
        raise Forbidden("An enterprise admin manages only its enterprise's own staff")
    return user


def _may_lift(principal: Principal, disabled_by_role: str | None) -> None:
    # What a platform admin switched off, an enterprise admin cannot switch back on.
    if disabled_by_role is not None and not may_lift(disabled_by_role, principal.role):
        raise Forbidden("A platform admin disabled this; only a platform admin enables it",
                        reason="DISABLED_BY_PLATFORM_ADMIN")


def set_user_enabled(session: Session, principal: Principal, user_id: uuid.UUID,
                     enabled: bool) -> AppUser:
    user = _managed_user(session, principal, user_id)
    if not enabled and user.id == principal.id:
        raise Conflict("You cannot disable your own account", reason="CANNOT_DISABLE_SELF")
    if enabled and not user.active:
        _may_lift(principal, user.disabled_by_role)
        user.active, user.disabled_at, user.disabled_by_role = True, None, None
        user.failed_logins, user.locked_until = 0, None
    elif not enabled and user.active:
        user.active, user.disabled_at = False, datetime.now(UTC)
        user.disabled_by_role = principal.role.value
        end_all(session, user.id, "disabled")
    # Enabling does not bring back the sessions disabling ended: the user logs in again.
    session.add(user)
    _audit_user(session, principal, "user.enable" if enabled else "user.disable", user)
    session.flush()
    return user


def _audit_user(session: Session, principal: Principal, action: str, user: AppUser) -> None:
    owner = session.get(Enterprise, user.enterprise_id) if user.enterprise_id else None
    audit.record(session, principal, action, "user", user.id, enterprise_id=user.enterprise_id,
                 region_code=owner.region_code if owner else next(iter(user.region_codes or []),
                                                                  None),
                 after={"username": user.username, "role": user.role, "active": user.active})


def reset_password(session: Session, principal: Principal, user_id: uuid.UUID,
                   new: str) -> AppUser:
    """An admin sets a new password (the user forgot it, or it leaked): every session ends."""
    user = _managed_user(session, principal, user_id)
    user.password_hash = hash_password(new)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    end_all(session, user.id, "password_reset")
    _audit_user(session, principal, "user.password_reset", user)
    session.flush()
    return user


def set_key_enabled(session: Session, principal: Principal, station_id: uuid.UUID,
                    key_id: uuid.UUID, enabled: bool) -> ApiKey:
    record = session.scalars(select(ApiKey).where(col(ApiKey.id) == key_id)
                             .with_for_update()).first()
    station = session.get(Station, station_id)
    if record is None or station is None or record.station_id != station_id:
        raise NotFound("No such API key")
    require_may(principal, Action.MANAGE_STATION, station.enterprise_id, None)
    if record.revoked_at is not None:
        raise Conflict("This key is revoked for good; create a new one", reason="KEY_REVOKED")
    if enabled and record.disabled_at is not None:
        _may_lift(principal, record.disabled_by_role)
        record.disabled_at, record.disabled_by_role = None, None
    elif not enabled and record.disabled_at is None:
        record.disabled_at, record.disabled_by_role = datetime.now(UTC), principal.role.value
    session.add(record)
    audit.record(session, principal, "api_key.enable" if enabled else "api_key.disable",
                 "station", station.id, enterprise_id=station.enterprise_id,
                 region_code=station.region_code, after={"key_id": record.id,
                                                          "prefix": record.prefix})
    session.flush()
    return record


# The attempt is counted before the password is checked, in one statement: concurrent wrong
# passwords each get their own number, so no more than login_max_failures of them are ever
# checked per lock-out, however many arrive at once. An expired lock starts the count again.
_RESERVE_ATTEMPT = text("""
UPDATE app_user SET
    failed_logins = CASE WHEN locked_until <= :now THEN 1 ELSE failed_logins + 1 END,
    locked_until = CASE WHEN locked_until <= :now THEN NULL ELSE locked_until END
WHERE username = :username
RETURNING id, failed_logins, locked_until
""")
_LOCK = text("UPDATE app_user SET locked_until = :until WHERE id = :id AND "
             "(locked_until IS NULL OR locked_until < :until)")


def check_password(session: Session, username: str, password: str,
                   now: datetime | None = None) -> AppUser:
    """The active user these credentials name, else NotAuthenticated; TooMany while locked.
    Logging in and changing one's password both pass here: one lock-out for both."""
    settings = get_settings()
    now = now or datetime.now(UTC)
    until = now + timedelta(seconds=settings.login_lockout_seconds)
    row = session.execute(_RESERVE_ATTEMPT, {"now": now, "username": username}).first()
    session.commit()  # mid-request on purpose: the count holds before the slow check, frees the row
    if row is not None and row.locked_until is not None and row.locked_until > now:
        raise TooMany("Too many failed logins; try again later")
    if row is not None and row.failed_logins > settings.login_max_failures:
        session.execute(_LOCK, {"id": row.id, "until": until})
        session.commit()  # the lock holds: the error that follows rolls the request back
        raise TooMany("Too many failed logins; try again later")
    user = session.get(AppUser, row.id) if row is not None else None
    # Checked for an unknown name too (against a dummy hash): the time does not tell names.
    matches = verify_password(password, user.password_hash if user is not None else None)
    if user is None or not matches or not user.active:
        if row is not None and row.failed_logins >= settings.login_max_failures:
            session.execute(_LOCK, {"id": row.id, "until": until})
            session.commit()  # the lock holds: the error that follows rolls the request back
        raise NotAuthenticated("Wrong username or password")
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    return user


def login(session: Session, username: str, password: str, now: datetime | None = None) -> str:
    """A bearer token for valid credentials; repeated failures lock the account for a while."""
    user = check_password(session, username, password, now)
    token = start(session, user, now)
    return token
