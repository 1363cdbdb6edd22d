"""Signing in and out, with server-side sessions that can be ended from anywhere."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, g
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
    session: so.Session,
    user: User,
    *,
    remember: bool,
    user_agent: str | None,
    shared_device: bool = False,
) -> AuthSession:
    """A new session (a new token) for this device. A shared tablet is never remembered:
    whoever picks it up next must not find the last person still signed in."""
    moment = clock_now()
    remember = remember and not shared_device
    auth = AuthSession(
        user_id=user.id,
        created_at=moment,
        last_seen_at=moment,
        remember=remember,
        shared_device=shared_device,
        user_agent=(user_agent or "")[:200],
    )
    idle_limit, absolute_limit = session_limits(auth)
    lifetime = current_app.config["REMEMBER_COOKIE_DURATION"] if remember else idle_limit
    auth.expires_at = moment + min(lifetime, absolute_limit)
    token = secrets.token_urlsafe(32)
    auth.token_hash = _token_hash(token)
    auth.token = token
    session.add(auth)
    user.auth_session = auth
    return auth


def session_limits(auth: AuthSession) -> tuple[timedelta | None, timedelta]:
    """How long this session may stay unused (None: a remembered phone, no idle limit)
    and how long it may last at all."""
    config = current_app.config
    if auth.shared_device:
        return config["SHARED_DEVICE_IDLE_TIMEOUT"], config["SHARED_DEVICE_ABSOLUTE_TIMEOUT"]
    if auth.handed_over_at is not None:
        return config["SHARED_DEVICE_IDLE_TIMEOUT"], config["SESSION_ABSOLUTE_TIMEOUT"]
    if auth.remember:
        return None, config["SESSION_ABSOLUTE_TIMEOUT"]
    return config["SESSION_IDLE_TIMEOUT"], config["SESSION_ABSOLUTE_TIMEOUT"]


#: why the last request's session token no longer opened a session (g.session_ended)
IDLE, ENDED = "idle", "ended"


def _ended(why: str, idle_limit: timedelta | None = None) -> None:
    g.session_ended = why
    g.session_idle_limit = idle_limit


def load_user(session: so.Session, token: str) -> User | None:
    """The user of a live session token, with their roles; None when ended or expired
    (and then `g.session_ended` says why, for the sign-in page's message).

    One statement: every request runs it, and a user holds only a few roles, so joining
    them costs less than a second round trip."""
    row = session.execute(
        sa.select(AuthSession, User)
        .join(User, AuthSession.user_id == User.id)
        .where(AuthSession.token_hash == _token_hash(token))
        .options(so.joinedload(User.roles).joinedload(RoleAssignment.project))
    ).unique().first()
    if row is None:
        return None
    auth, user = row
    moment = clock_now()
    idle_limit, absolute_limit = session_limits(auth)
    if auth.revoked_at is not None or not user.active:
        _ended(ENDED)
        return None
    if moment >= auth.created_at + absolute_limit:
        _ended(ENDED)
        return None
    if idle_limit is not None and moment - auth.last_seen_at >= idle_limit:
        _ended(IDLE, idle_limit)
        return None
    if moment >= auth.expires_at:  # a remembered phone's cookie lifetime
        _ended(ENDED)
        return None
    # last_seen_at is written at most every few minutes, and often enough that a short
    # idle limit is measured from the last request within a tenth of that limit
    touch_every = min(_TOUCH_EVERY, idle_limit / 10) if idle_limit is not None else _TOUCH_EVERY
    if moment - auth.last_seen_at > touch_every:
        _seen(auth, moment)
        session.commit()
    auth.token = token
    user.auth_session = auth
    return user


# The owner signs a paid-service order on the technician's phone or the service centre's
# tablet (SVC-06): for those minutes a signed-in staff device is in an owner's hands, with
# other owners' names and phone numbers a tap away. A property company expects that device
# to sign itself out as soon as it lies unused, as a shared tablet does, and the technician
# who gets it back to work on without signing in for every job. So opening the signing page
# puts the session on the shared tablet's idle timeout, and recording the owner's signature
# or refusal (the moment the device goes back to the technician) restores its own; a
# signing left unfinished keeps the short timeout until the technician signs in again.
HANDOVER_STARTS = frozenset({"paid_services.job_signing"})
HANDOVER_ENDS = frozenset({"paid_services.job_sign", "paid_services.job_refuse"})


def hand_over(session: so.Session, auth: AuthSession) -> None:
    """The device is in an owner's hands: the shared idle timeout applies from now."""
    if auth.handed_over_at is None:
        auth.handed_over_at = clock_now()
        _seen(auth, auth.handed_over_at)


def take_back(session: so.Session, auth: AuthSession) -> None:
    """The owner signed or refused: the device is the staff member's again."""
    if auth.handed_over_at is not None:
        auth.handed_over_at = None
        _seen(auth, clock_now())


def _seen(auth: AuthSession, moment) -> None:
    """The session was used at `moment`: its idle clock restarts under its current limits."""
    auth.last_seen_at = moment
    idle_limit, absolute_limit = session_limits(auth)
    if idle_limit is not None and not auth.remember:
        auth.expires_at = min(moment + idle_limit, auth.created_at + absolute_limit)


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
