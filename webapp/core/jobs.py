"""Background work: on Redis (RQ) when REDIS_URL is set, in the same process otherwise.

The database stays the source of truth; a job is only a wake-up that says "look at row
N now". So every job function takes ids (JSON-able values), loads what it needs, and is
idempotent: running it twice, or after the periodic sweep already did the work, changes
nothing more than running it once. A lost job therefore costs a delay, never data: the
sweep (``flask sla sweep``, the webhook runner) and the photo views' on-demand fallback
pick up whatever a job did not do.

``enqueue_after_commit(session, "package.module:function", *ids, job_id=…)`` remembers
the job with the session's transaction and acts only once it commits (nothing happens
on a rollback, or when the session closes without committing):

* REDIS_URL set: the job goes to the "estatedesk" queue. A deterministic `job_id` makes
  the same wake-up queued twice run once while the first is still waiting or running.
* REDIS_URL unset, or Redis unreachable: a job that may run inline runs right after the
  commit in a fresh app context and session; any error is logged and swallowed, because
  the user's request has already succeeded. A job that must not hold a request (a post
  to an outside service) is left to its periodic runner instead.

``flask --app webapp jobs worker`` (webapp/cli.py) runs `AppWorker`: every job in
``app.app_context()`` with a clean ``db.session`` removed afterwards.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app, has_app_context

log = logging.getLogger(__name__)

QUEUE_NAME = "estatedesk"
#: a job taking longer is stopped (and retried): a webhook post gives up after seconds,
#: a watermark takes well under one
DEFAULT_TIMEOUT = 300
#: attempts after a failure and the seconds before each (RQ Retry)
RETRY_MAX = 3
RETRY_INTERVALS = (10, 60, 300)
#: how long a finished job's id is kept (``jobs status``); a failed one is kept longer
RESULT_TTL = 3600
FAILURE_TTL = 7 * 24 * 3600
#: a web request waits this long at most for Redis before doing without it
ENQUEUE_SOCKET_TIMEOUT = 2.0

#: a job with this id waiting or running makes another enqueue of the same id a no-op
_PENDING_STATES = ("queued", "scheduled", "deferred", "started")
_SESSION_KEY = "jobs.after_commit"


@dataclass
class Job:
    path: str
    args: tuple
    job_id: str | None
    inline: bool
    timeout: int
    app: Flask | None = field(default=None, repr=False)


# ---------------------------------------------------------------------------- configuration


def redis_url(app: Flask | None = None) -> str | None:
    if app is None:
        if not has_app_context():
            return None
        app = current_app
    return app.config.get("REDIS_URL") or None


_connections: dict[tuple[int, str], Any] = {}
_connections_lock = threading.Lock()


def connection(url: str):
    """This process's Redis client for enqueueing, made on first use: never in gunicorn's
    master before it forks (the pid is part of the key, so a forked child makes its own)."""
    key = (os.getpid(), url)
    found = _connections.get(key)
    if found is None:
        from redis import Redis

        with _connections_lock:
            found = _connections.get(key)
            if found is None:
                found = Redis.from_url(
                    url, socket_connect_timeout=ENQUEUE_SOCKET_TIMEOUT, socket_timeout=ENQUEUE_SOCKET_TIMEOUT
                )
                _connections[key] = found
    return found


def queue(url: str, redis=None):
    from rq import Queue

    return Queue(QUEUE_NAME, connection=redis or connection(url))


def rq_function(path: str) -> str:
    """RQ names a function "package.module.function"; ours say "package.module:function"
    so the module part is unambiguous."""
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError(f"a job is named 'package.module:function', not {path!r}")
    return f"{module}.{name}"


def resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


# ---------------------------------------------------------------------------- enqueueing


def enqueue_after_commit(
    session: so.Session,
    path: str,
    *args: Any,
    job_id: str | None = None,
    inline: bool = True,
    timeout: int = DEFAULT_TIMEOUT,
) -> None:
    """Run `path` ("package.module:function") with `args` once the session's current
    transaction commits: on Redis when configured, otherwise right after the commit in
    this process (unless `inline` is False: then its periodic runner does the work)."""
    rq_function(path)  # a misspelt name fails here, in the caller's test, not in a worker
    if isinstance(session, so.scoped_session):
        session = session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        transaction = session.begin()
    app = current_app._get_current_object() if has_app_context() else None
    session.info.setdefault(_SESSION_KEY, []).append(
        [transaction, Job(path, tuple(args), job_id, inline, timeout, app)]
    )


def _enqueue_on_redis(job: Job, url: str) -> bool:
    """Put `job` on the queue; False when a job with its id is already waiting or running."""
    from rq import Retry
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob

    redis = connection(url)
    if job.job_id is not None:
        try:
            existing = RQJob.fetch(job.job_id, connection=redis)
        except NoSuchJobError:
            existing = None
        if existing is not None:
            if existing.get_status(refresh=False) in _PENDING_STATES:
                return False
            # a finished or failed run of the same wake-up: this is a new one
            existing.delete()
    queue(url, redis).enqueue(
        rq_function(job.path),
        args=job.args,
        job_id=job.job_id,
        job_timeout=job.timeout,
        result_ttl=RESULT_TTL,
        failure_ttl=FAILURE_TTL,
        retry=Retry(max=RETRY_MAX, interval=list(RETRY_INTERVALS)),
        description=f"{job.path}{job.args!r}",
    )
    return True


def run_inline(app: Flask, path: str, *args: Any) -> bool:
    """Run a job function now in a fresh app context and session; True if it succeeded.
    Errors are logged, never raised: the work it would have done is left for the sweep."""
    from webapp.extensions import db

    with app.app_context():
        try:
            resolve(path)(*args)
            return True
        except Exception:
            log.exception("job %s%r failed inline; the periodic sweep will retry it", path, args)
            try:
                db.session.rollback()
            except Exception:  # a broken connection: removing the session below is enough
                log.debug("rollback after a failed inline job failed", exc_info=True)
            return False
        finally:
            db.session.remove()


def dispatch(job: Job) -> str:
    """Send one committed job on its way: "queued", "duplicate", "inline", "failed" or
    "left" (not run inline: its periodic runner will). Never raises."""
    app = job.app
    url = redis_url(app) if app is not None else None
    if url:
        try:
            return "queued" if _enqueue_on_redis(job, url) else "duplicate"
        except Exception as exc:  # Redis down or unreachable: the request must still succeed
            log.warning("could not queue job %s%r on Redis (%s)", job.path, job.args, exc)
    if not job.inline or app is None:
        return "left"
    return "inline" if run_inline(app, job.path, *job.args) else "failed"


# ---------------------------------------------------------------------------- transaction hooks


def _entries(session: so.Session) -> list[list]:
    return session.info.get(_SESSION_KEY) or []


def _drop(session: so.Session, transaction) -> None:
    entries = session.info.get(_SESSION_KEY)
    if entries:
        entries[:] = [entry for entry in entries if entry[0] is not transaction]


_installed: set[type] = set()


def install(session_class: type[so.Session] = so.Session) -> None:
    """Listen to commits and rollbacks of every session, once per session class."""
    if session_class in _installed:
        return
    _installed.add(session_class)

    @sa.event.listens_for(session_class, "after_commit")
    def _committed(session: so.Session) -> None:
        entries = _entries(session)
        if not entries:
            return
        committed = session.get_nested_transaction() or session.get_transaction()
        if committed is not None and committed.nested:
            # a released savepoint: its jobs now wait for the enclosing transaction
            outer = committed.parent
            for entry in entries:
                if entry[0] is committed:
                    entry[0] = outer
            return
        ready = [entry[1] for entry in entries if entry[0] is committed or committed is None]
        entries[:] = [entry for entry in entries if not (entry[0] is committed or committed is None)]
        for job in ready:
            dispatch(job)

    @sa.event.listens_for(session_class, "after_soft_rollback")
    def _rolled_back(session: so.Session, previous_transaction) -> None:
        _drop(session, previous_transaction)
        if previous_transaction.parent is None:
            session.info.pop(_SESSION_KEY, None)

    @sa.event.listens_for(session_class, "after_transaction_end")
    def _ended(session: so.Session, transaction) -> None:
        # closed without a commit (session.close(), the end of a request)
        _drop(session, transaction)


install(so.Session)


# ---------------------------------------------------------------------------- the worker


def worker_class():
    """An RQ Worker whose jobs run inside the Flask app: a fresh app context and
    db.session for each job, the session removed afterwards. The work horse is a forked
    child, so it drops the database connections it inherited before using its own."""
    from rq import Worker

    from webapp.extensions import db

    class AppWorker(Worker):
        flask_app: Flask

        def main_work_horse(self, job, queue):
            with self.flask_app.app_context():
                db.engine.dispose(close=False)
            return super().main_work_horse(job, queue)

        def perform_job(self, job, queue, execution):
            with self.flask_app.app_context():
                try:
                    return super().perform_job(job, queue, execution)
                finally:
                    db.session.remove()

    return AppWorker


def make_worker(app: Flask, url: str):
    from redis import Redis

    worker = worker_class()([QUEUE_NAME], connection=Redis.from_url(url))
    worker.flask_app = app
    return worker


@dataclass(frozen=True)
class QueueStatus:
    queued: int
    started: int
    scheduled: int
    failed: int
    finished: int
    workers: int


def status(url: str) -> QueueStatus:
    from redis import Redis
    from rq import Worker
    from rq.registry import (
        FailedJobRegistry,
        FinishedJobRegistry,
        ScheduledJobRegistry,
        StartedJobRegistry,
    )

    redis = Redis.from_url(url, socket_connect_timeout=ENQUEUE_SOCKET_TIMEOUT)
    found = queue(url, redis)
    return QueueStatus(
        queued=found.count,
        started=StartedJobRegistry(queue=found).count,
        scheduled=ScheduledJobRegistry(queue=found).count,
        failed=FailedJobRegistry(queue=found).count,
        finished=FinishedJobRegistry(queue=found).count,
        workers=Worker.count(queue=found),
    )
