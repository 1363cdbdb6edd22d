"""Signing in and out, with server-side sessions that can be ended from anywhere."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.core.clock import now as clock_now
from webapp.org.models import AuthSession, RoleAssignment, User


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """Checked against when the username is unknown, with the configured method, so an
    unknown user and a wrong password cost the same time (no enumeration by timing)."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


#: how stale last_seen_at may get before a request writes it (saves a write per request)
_TOUCH_EVERY = timedelta(minutes=5)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(session: so.Session, username: str, password: str) -> User | None:
    user = session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def start_session(
    session: so.Session, user: User, *, remember: bool, user_agent: str | None
) -> AuthSession:
    moment = clock_now()
    config = current_app.config
    lifetime = config["REMEMBER_COOKIE_DURATION"] if remember else config["SESSION_IDLE_TIMEOUT"]
    token = secrets.token_urlsafe(32)
    auth = AuthSession(
        user_id=user.id,
        token_hash=_token_hash(token),
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + min(lifetime, config["SESSION_ABSOLUTE_TIMEOUT"]),
        remember=remember,
        user_agent=(user_agent or "")[:200],
    )
    auth.token = token
    session.add(auth)
    user.auth_session = auth
    return auth


def load_user(session: so.Session, token: str) -> User | None:
    """The user of a live session token, with their roles; None when ended or expired.

    One statement: every request runs it, and a user holds only a few roles, so joining
    them costs less than a second round trip."""
    row = session.execute(
        sa.select(AuthSession, User)
        .join(User, AuthSession.user_id == User.id)
        .where(AuthSession.token_hash == _token_hash(token), AuthSession.revoked_at.is_(None))
        .options(so.joinedload(User.roles).joinedload(RoleAssignment.project))
    ).unique().first()
    if row is None:
        return None
    auth, user = row
    moment = clock_now()
    idle_limit = current_app.config["SESSION_IDLE_TIMEOUT"]
    idle_expired = not auth.remember and moment - auth.last_seen_at > idle_limit
    if not user.active or moment >= auth.expires_at or idle_expired:
        return None
    if moment - auth.last_seen_at > _TOUCH_EVERY:
        auth.last_seen_at = moment
        if not auth.remember:
            auth.expires_at = min(moment + idle_limit, auth.created_at + current_app.config["SESSION_ABSOLUTE_TIMEOUT"])
        session.commit()
    auth.token = token
    user.auth_session = auth
    return user


def end_session(session: so.Session, auth: AuthSession) -> None:
    auth.revoked_at = clock_now()


def end_all_sessions(session: so.Session, user_id: int) -> int:
    """Revoke every live session of a user (password change, disabling)."""
    result = session.execute(
        sa.update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=clock_now())
    )
    return result.rowcount or 0
