"""The group-robot outbox (APP-04): a project's WeCom (企业微信) or DingTalk (钉钉) group
chat hears of the urgent matters, off the request path, retried until sent or given up.

* ``enqueue`` writes one ``WebhookDelivery`` in the caller's transaction, so a change and
  its announcement land together or not at all. A dedupe key makes one message per event
  however often a sweep runs. Slices reach it through ``webapp.core.notify.tell_group``.
* ``deliver_due`` is the runner (``flask webhooks deliver``, the end of ``flask sla
  sweep``, and ``deliver_queued``: the background job each new row wakes up once its
  transaction commits, on Redis when REDIS_URL is set). It claims due rows in one short transaction by moving their
  ``next_attempt_at`` past a lease (rows picked with ``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL, so several runners never claim the same row), sends outside any
  transaction, then records each result: sent, retried on the ``webhooks.next_attempt_at``
  schedule, or given up with ``last_error``. A runner that dies mid-pass leaves its rows
  to fall due again when the lease ends. A robot is paced: at most its vendor's limit of
  messages a minute is claimed for it, the rest wait their turn in order. The claim is the
  only guard against sending twice: a job, the polling runner and the sweep may all try,
  one claims.
* ``save_robot``, ``send_test_message`` and ``recent_deliveries`` serve the admin page.

Nothing here sends inside a web request except the admin's explicit test message.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, has_app_context
from flask_babel import force_locale, gettext
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from webapp.core import audit, jobs, locking
from webapp.core.clock import now as clock_now
from webapp.core.models import GroupRobot, WebhookDelivery
from webapp.core.rulekit import N_, RuleViolation
from webapp.core.webhooks import (
    DINGTALK,
    KINDS,
    VENDOR_HOSTS,
    WECOM,
    DeliveryResult,
    build_payload,
    deliver,
    next_attempt_at,
    sign_dingtalk_url,
    url_refusal,
)

log = logging.getLogger(__name__)

#: messages claimed by one pass; each send is bounded by SEND_TIMEOUT
BATCH = 20
SEND_TIMEOUT = 5.0
#: a claimed row stays claimed at least this long (longer for a long batch, see _lease);
#: WEBHOOK_LEASE_SECONDS and WEBHOOK_SEND_TIMEOUT override both in the app's config
LEASE_MIN = timedelta(minutes=2)
#: WeCom and DingTalk take at most 20 messages a minute from one robot; DingTalk silences
#: a robot that sends more for ten minutes. WEBHOOK_MESSAGES_PER_MINUTE overrides it.
MESSAGES_PER_MINUTE = 20
PACING_WINDOW = timedelta(minutes=1)
DELIVERY_JOB = "webapp.core.outbox:deliver_queued"

#: why a message was given up without being sent (stored in last_error, shown translated)
ROBOT_DISABLED = N_("The robot was switched off before this message was sent.")
ROBOT_KIND_CHANGED = N_("The robot was moved to another service before this message was sent.")

_VENDOR_HOST = {WECOM: "qyapi.weixin.qq.com", DINGTALK: "oapi.dingtalk.com"}
#: characters the markdown escaping replaces: a keyword containing one would no longer
#: appear verbatim in the message, and DingTalk would refuse it
_KEYWORD_FORBIDDEN = set("<>[]()*_`#~|\\&!")
_HIDDEN_VALUE = "●●●●●●"

_T = WebhookDelivery.__table__
_R = GroupRobot.__table__

audit.FIELD_LABELS.setdefault("url", N_("Webhook address"))
audit.FIELD_LABELS.setdefault("secret", N_("Secret"))
audit.FIELD_LABELS.setdefault("keyword", N_("Keyword"))
audit.FIELD_LABELS.setdefault("enabled", N_("Enabled"))


# ---------------------------------------------------------------------------- settings


def configured_allow_hosts() -> tuple[str, ...]:
    """WEBHOOK_ALLOW_HOSTS: hosts besides WeCom's and DingTalk's a robot may post to."""
    if not has_app_context():
        return ()
    hosts = current_app.config.get("WEBHOOK_ALLOW_HOSTS") or ()
    if isinstance(hosts, str):
        hosts = hosts.split(",")
    return tuple(h.strip().lower() for h in hosts if h and h.strip())


@contextmanager
def group_language() -> Iterator[None]:
    """A group chat is read by many: its messages are in the company's language
    (BABEL_DEFAULT_LOCALE), whatever the acting user reads the app in."""
    if not has_app_context():
        yield
        return
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        yield


def absolute_link(link: str | None) -> str | None:
    """A link the group can open: absolute on PUBLIC_BASE_URL; none without it (an address
    guessed from a request could be one the phones cannot reach)."""
    if not link:
        return None
    if urllib.parse.urlsplit(link).scheme in ("http", "https"):
        return link
    base = current_app.config.get("PUBLIC_BASE_URL") if has_app_context() else None
    if not base or not link.startswith("/"):
        return None
    return base.rstrip("/") + link


def _payload(robot: GroupRobot, title: str, lines: Iterable[str], link: str | None,
             link_label: str | None) -> dict:
    # DingTalk's keyword security accepts a message only if it contains the keyword
    if robot.kind == DINGTALK and robot.keyword and robot.keyword not in title:
        title = f"【{robot.keyword}】{title}"
    return build_payload(robot.kind, title, lines, link=absolute_link(link), link_label=link_label)


# ---------------------------------------------------------------------------- enqueue


def _insert(session: so.Session):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(_T)
    if dialect == "sqlite":
        return sqlite.insert(_T)
    raise RuntimeError(f"the outbox supports PostgreSQL and SQLite, not {dialect}")


def enqueue(
    session: so.Session,
    project_id: int,
    title: str,
    lines: Sequence[str],
    link: str | None = None,
    dedupe_key: str | None = None,
    *,
    link_label: str | None = None,
) -> int | None:
    """Queue one message for the project's robot in the caller's transaction; the id of
    the new row, or None when the project has no enabled robot or `dedupe_key` was
    queued before. `title` and `lines` are shown as given (the caller translates)."""
    robot = session.scalar(sa.select(GroupRobot).where(GroupRobot.project_id == project_id))
    if robot is None or not robot.enabled:
        return None
    moment = clock_now()
    statement = _insert(session).values(
        project_id=project_id,
        robot_id=robot.id,
        kind=robot.kind,
        payload=_payload(robot, title, lines, link, link_label),
        dedupe_key=dedupe_key,
        created_at=moment,
        attempts=0,
        next_attempt_at=moment,
    )
    if dedupe_key is not None:
        # two sweeps announcing the same breach at once: the second insert does nothing
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    delivery_id = session.execute(statement.returning(_T.c.id)).scalar()
    if delivery_id is not None:
        # never inline: a slow vendor must not hold the user's request; without Redis the
        # polling runner (``webhooks deliver --follow``) sends it within seconds
        jobs.enqueue_after_commit(session, DELIVERY_JOB, delivery_id, job_id=f"webhook-{delivery_id}", inline=False)
    return delivery_id


# ---------------------------------------------------------------------------- the runner


@dataclass(frozen=True)
class _Claimed:
    id: int
    kind: str
    payload: dict
    #: attempts counted with this one
    attempts: int
    robot_kind: str | None
    robot_enabled: bool
    url: str | None
    secret: str | None


@dataclass
class DeliveryPass:
    """What one pass did."""

    sent: int = 0
    retrying: int = 0
    gave_up: int = 0
    #: why the pass ended early (database unreachable…), for the log; None when it did not
    error: str | None = None

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.gave_up


def _setting(name: str, default: float) -> float:
    if has_app_context() and current_app.config.get(name) is not None:
        return float(current_app.config[name])
    return default


def _lease(limit: int, timeout: float) -> timedelta:
    # a batch is claimed at once and sent one by one: the lease outlasts the slowest batch
    minimum = timedelta(seconds=_setting("WEBHOOK_LEASE_SECONDS", LEASE_MIN.total_seconds()))
    return max(minimum, timedelta(seconds=2 * limit * (timeout + 1)))


def _within_pace(now: datetime, per_minute: int):
    """A due message whose robot has room for it this minute: the messages claimed for that
    robot in the last minute, plus those due before it, are fewer than `per_minute`.

    Counting the earlier due messages, rather than only the claimed ones, keeps a robot's
    messages in order and its pace also when two runners claim at the same moment: the
    second one still sees the first one's rows as due (not yet committed) and locked, so
    it neither takes them nor the ones after them."""
    recent = _T.alias("recent")
    ahead = _T.alias("ahead")
    claimed_lately = (
        sa.select(sa.func.count())
        .select_from(recent)
        .where(recent.c.robot_id == _T.c.robot_id, recent.c.last_attempt_at > now - PACING_WINDOW)
        .scalar_subquery()
    )
    due_before = (
        sa.select(sa.func.count())
        .select_from(ahead)
        .where(
            ahead.c.robot_id == _T.c.robot_id,
            ahead.c.sent_at.is_(None),
            ahead.c.gave_up_at.is_(None),
            ahead.c.next_attempt_at <= now,
            sa.or_(
                ahead.c.next_attempt_at < _T.c.next_attempt_at,
                sa.and_(ahead.c.next_attempt_at == _T.c.next_attempt_at, ahead.c.id < _T.c.id),
            ),
        )
        .scalar_subquery()
    )
    return claimed_lately + due_before < per_minute


def _claim(
    engine: sa.Engine, now: datetime, limit: int, lease: timedelta, ids: Sequence[int] | None = None
) -> list[_Claimed]:
    per_minute = int(_setting("WEBHOOK_MESSAGES_PER_MINUTE", MESSAGES_PER_MINUTE))
    due = [
        _T.c.sent_at.is_(None),
        _T.c.gave_up_at.is_(None),
        _T.c.next_attempt_at <= now,
        _within_pace(now, per_minute),
    ]
    if ids is not None:
        due.append(_T.c.id.in_(list(ids)))
    picked = (
        sa.select(_T.c.id)
        .where(*due)
        .order_by(_T.c.next_attempt_at, _T.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
    )
    claim = (
        sa.update(_T)
        .where(_T.c.id.in_(sa.select(picked.c.id)))
        .values(attempts=_T.c.attempts + 1, next_attempt_at=now + lease, last_attempt_at=now)
        .returning(_T.c.id, _T.c.robot_id, _T.c.kind, _T.c.payload, _T.c.attempts)
    )
    with engine.begin() as connection:
        rows = connection.execute(claim).all()
        robots = {}
        if rows:
            robots = {
                robot.id: robot
                for robot in connection.execute(
                    sa.select(_R.c.id, _R.c.kind, _R.c.url, _R.c.secret, _R.c.enabled).where(
                        _R.c.id.in_({row.robot_id for row in rows})
                    )
                )
            }
    claimed = []
    for row in sorted(rows, key=lambda r: r.id):
        robot = robots.get(row.robot_id)
        claimed.append(
            _Claimed(
                id=row.id,
                kind=row.kind,
                payload=row.payload,
                attempts=row.attempts,
                robot_kind=robot.kind if robot else None,
                robot_enabled=bool(robot and robot.enabled),
                url=robot.url if robot else None,
                secret=robot.secret if robot else None,
            )
        )
    return claimed


def _send(item: _Claimed, now: datetime, allow_hosts: Iterable[str], timeout: float) -> DeliveryResult:
    if not item.robot_enabled:
        return DeliveryResult(False, ROBOT_DISABLED)
    if item.robot_kind != item.kind:
        return DeliveryResult(False, ROBOT_KIND_CHANGED)
    url = item.url or ""
    if item.kind == DINGTALK:
        # DingTalk accepts a signature up to an hour old: signed now, never when queued
        url = sign_dingtalk_url(url, item.secret, int(now.timestamp() * 1000))
    return deliver(url, item.payload, timeout=timeout, allow_hosts=allow_hosts)


def _record(engine: sa.Engine, item: _Claimed, result: DeliveryResult, now: datetime) -> str:
    """Store the outcome; returns "sent", "retrying" or "gave_up"."""
    if result.ok:
        outcome, values = "sent", {"sent_at": now, "last_error": None}
    else:
        retry_at = next_attempt_at(item.attempts, now) if result.retryable else None
        reason = result.reason[:300]
        if retry_at is None:
            outcome, values = "gave_up", {"gave_up_at": now, "last_error": reason}
        else:
            outcome, values = "retrying", {"next_attempt_at": retry_at, "last_error": reason}
    with engine.begin() as connection:
        # only our own claim: a row whose lease ran out and was claimed again is not ours
        connection.execute(
            sa.update(_T)
            .where(
                _T.c.id == item.id,
                _T.c.attempts == item.attempts,
                _T.c.sent_at.is_(None),
                _T.c.gave_up_at.is_(None),
            )
            .values(**values)
        )
    return outcome


def deliver_due(
    engine: sa.Engine,
    now: datetime,
    limit: int = BATCH,
    *,
    allow_hosts: Iterable[str] | None = None,
    timeout: float | None = None,
    ids: Sequence[int] | None = None,
) -> DeliveryPass:
    """One pass: send up to `limit` messages due at `now` (only those of `ids` if given).
    Never raises: a database or network failure ends up in the result (and the log), the
    rows fall due again."""
    hosts = tuple(configured_allow_hosts() if allow_hosts is None else allow_hosts)
    if timeout is None:
        timeout = _setting("WEBHOOK_SEND_TIMEOUT", SEND_TIMEOUT)
    result = DeliveryPass()
    try:
        claimed = _claim(engine, now, limit, _lease(limit, timeout), ids)
    except Exception as exc:  # the runner must outlive a database restart
        log.exception("claiming group-robot messages failed")
        result.error = f"claiming failed: {exc}"[:300]
        return result
    for item in claimed:
        try:
            outcome = _record(engine, item, _send(item, now, hosts, timeout), now)
        except Exception as exc:  # this row falls due again when its lease ends
            log.exception("group-robot message %s: recording the result failed", item.id)
            result.error = f"recording failed: {exc}"[:300]
            continue
        setattr(result, outcome, getattr(result, outcome) + 1)
        if outcome != "sent":
            log.warning("group-robot message %s not sent (attempt %s, %s)", item.id, item.attempts, outcome)
    return result


def deliver_queued(delivery_id: int) -> str:
    """Background job: send one queued message now, if it is still due and no other runner
    holds it ("sent", "retrying", "gave_up", or "skipped" when there was nothing to do:
    already sent, given up, waiting for its retry time, or claimed by another runner).
    A failed send is retried on the outbox's own schedule by the polling runner and the
    sweep; only a database failure raises, for the queue to retry the job."""
    from webapp.extensions import db

    result = deliver_due(db.engine, clock_now(), limit=1, ids=[delivery_id])
    if result.error:
        raise RuntimeError(f"group-robot message {delivery_id}: {result.error}")
    for outcome in ("sent", "retrying", "gave_up"):
        if getattr(result, outcome):
            return outcome
    return "skipped"


# ---------------------------------------------------------------------------- the admin page


_BAD_URL = N_(
    "Paste the webhook address shown in the robot's settings, "
    "https://qyapi.weixin.qq.com/… for WeCom or https://oapi.dingtalk.com/… for DingTalk."
)
_WRONG_SERVICE = {
    WECOM: N_("This is a DingTalk address: choose DingTalk, or paste the WeCom robot's address."),
    DINGTALK: N_("This is a WeCom address: choose WeCom, or paste the DingTalk robot's address."),
}


def robot_of(session: so.Session, project_id: int) -> GroupRobot | None:
    return session.scalar(sa.select(GroupRobot).where(GroupRobot.project_id == project_id))


def _check_url(kind: str, url: str, allow_hosts: Iterable[str]) -> None:
    if not url:
        raise RuleViolation(N_("Paste the robot's webhook address."), field="url")
    if len(url) > 500:
        raise RuleViolation(N_("At most %(count)s characters."), field="url", count=500)
    if url_refusal(url, allow_hosts):
        raise RuleViolation(_BAD_URL, field="url")
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in VENDOR_HOSTS:
        if parts.scheme != "https":
            # the address carries the robot's key: never in clear text
            raise RuleViolation(_BAD_URL, field="url")
        if host != _VENDOR_HOST[kind]:
            raise RuleViolation(_WRONG_SERVICE[kind], field="url")


def _masked_url(url: str | None) -> str | None:
    """The address for the audit trail: the key or token in it is a credential."""
    if not url:
        return url
    parts = urllib.parse.urlsplit(url)
    query = "&".join(
        f"{urllib.parse.quote(name)}=…{value[-4:] if len(value) > 8 else ''}"
        for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    )
    return urllib.parse.urlunsplit(parts._replace(query=query))


def save_robot(
    session: so.Session,
    actor,
    project,
    robot: GroupRobot | None,
    *,
    version: int | str | None,
    kind: str,
    url: str,
    secret: str | None,
    clear_secret: bool,
    keyword: str | None,
    enabled: bool,
    allow_hosts: Iterable[str] = (),
) -> GroupRobot:
    """Set up or change a project's robot, with one audit event. An empty `secret` keeps
    the saved one (`clear_secret` removes it); the secret never enters the audit trail,
    and the address only with its key shortened."""
    if robot is not None:
        locking.check_version(session, robot, version)
    if kind not in KINDS:
        raise RuleViolation(N_("Choose WeCom or DingTalk."), field="kind")
    url = (url or "").strip()
    _check_url(kind, url, allow_hosts)
    secret = (secret or "").strip() or None
    keyword = (keyword or "").strip() or None
    old_secret = robot.secret if robot else None
    if kind == WECOM:
        if secret:
            raise RuleViolation(N_("WeCom robots have no secret: leave it empty."), field="secret")
        # a DingTalk robot's keyword stays in the form when switching: it means nothing here
        keyword = None
        new_secret = None
    else:
        new_secret = secret or (None if clear_secret else old_secret)
        if secret and len(secret) > 200:
            raise RuleViolation(N_("At most %(count)s characters."), field="secret", count=200)
        if keyword and (len(keyword) > 50 or _KEYWORD_FORBIDDEN & set(keyword)):
            raise RuleViolation(
                N_("Use the keyword exactly as set in DingTalk, without symbols such as # * [ ] < >."),
                field="keyword",
            )
    values = {"kind": kind, "url": url, "keyword": keyword, "enabled": bool(enabled)}
    actor_id = actor.id if actor else None
    if robot is None:
        robot = GroupRobot(project_id=project.id, secret=new_secret, updated_by_id=actor_id, **values)
        changes = {name: [None, value] for name, value in values.items()}
        action = "created"
        session.add(robot)
        try:
            session.flush()
        except IntegrityError:
            # another admin set the robot up between this page loading and saving
            session.rollback()
            raise RuleViolation(
                N_("Someone else set up this robot meanwhile: check the current settings and save again.")
            ) from None
    else:
        changes = audit.diff(robot, values)
        for name, value in values.items():
            setattr(robot, name, value)
        action = "updated"
    if new_secret != old_secret:
        robot.secret = new_secret
        changes["secret"] = [_HIDDEN_VALUE if old_secret else None, _HIDDEN_VALUE if new_secret else None]
    if "url" in changes:
        changes["url"] = [_masked_url(v) for v in changes["url"]]
    if action == "updated":
        if not changes:
            return robot
        locking.touch(robot, actor_id)
    audit.record(session, robot, action, actor_id=actor_id, changes=changes)
    return robot


def send_test_message(robot: GroupRobot, project_name: str, now: datetime,
                      *, allow_hosts: Iterable[str] | None = None,
                      timeout: float = SEND_TIMEOUT) -> DeliveryResult:
    """The admin's "send a test message": posted right away with the saved settings (also
    when switched off, to try a robot before turning it on); nothing is queued."""
    with group_language():
        title = gettext("Test message from EstateDesk")
        lines = [gettext("Urgent matters of %(project)s will be posted in this group.", project=project_name)]
    url = robot.url
    if robot.kind == DINGTALK:
        url = sign_dingtalk_url(url, robot.secret, int(now.timestamp() * 1000))
    hosts = configured_allow_hosts() if allow_hosts is None else tuple(allow_hosts)
    return deliver(url, _payload(robot, title, lines, None, None), timeout=timeout, allow_hosts=hosts)


def recent_deliveries(session: so.Session, project_id: int, limit: int = 20) -> list[WebhookDelivery]:
    return list(
        session.scalars(
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.project_id == project_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def error_label(last_error: str | None) -> str:
    """A delivery's last error as the admin reads it: ours translated, the vendor's as sent."""
    if last_error in (ROBOT_DISABLED, ROBOT_KIND_CHANGED):
        return gettext(last_error)
    return last_error or ""


def headline(payload: dict) -> str:
    """The first line of a queued message, to recognise it in the delivery list."""
    if not isinstance(payload, dict):
        return ""
    body = payload.get("markdown") or payload.get("text") or {}
    text = body.get("title") or body.get("content") or body.get("text") or ""
    return str(text).split("\n", 1)[0].removeprefix("### ").strip()
