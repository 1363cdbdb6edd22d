"""Figures worth keeping a few minutes: an aggregation over a whole company's records
(the company view) costs far more than showing it, and the figures of five minutes ago
serve a manager as well as this second's. Each kept value carries the moment it was
computed, which the page shows.

With REDIS_URL the values are shared by every worker (a Redis key with an expiry);
without it each process keeps its own, per app. ``EVALUATION_CACHE_SECONDS`` = 0 turns
keeping off (the tests' default, so every figure they check is computed afresh).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from flask import current_app

from webapp.core import clock, jobs

_PREFIX = "estatedesk:cache:"
_lock = threading.Lock()


def _local() -> dict[str, tuple[float, str]]:
    return current_app.extensions.setdefault("estatedesk_cache", {})


def remembered(key: str, seconds: int, compute: Callable[[], Any]) -> Any:
    """compute()'s value (JSON-serialisable), kept for `seconds` under `key`. A Redis that
    does not answer costs a computation, never the page."""
    if seconds <= 0:
        return compute()
    url = current_app.config.get("REDIS_URL")
    if url:
        return _on_redis(url, _PREFIX + key, seconds, compute)
    store = _local()
    found = store.get(key)
    moment = clock.now().timestamp()
    if found is not None and found[0] > moment:
        return json.loads(found[1])
    value = compute()
    with _lock:
        store[key] = (moment + seconds, json.dumps(value))
    return value


def _on_redis(url: str, key: str, seconds: int, compute: Callable[[], Any]) -> Any:
    from redis.exceptions import RedisError

    redis = jobs.connection(url)
    try:
        found = redis.get(key)
    except RedisError:
        return compute()
    if found is not None:
        return json.loads(found)
    value = compute()
    try:
        redis.set(key, json.dumps(value), ex=seconds)
    except RedisError:
        pass
    return value
