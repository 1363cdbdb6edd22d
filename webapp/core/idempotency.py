"""A double submit creates one record (APP-06), and a replayed submission returns the
record it created the first time (SLIP-11's offline queue relies on the same).

A create form carries a random `submission_key`. The operation that creates the record
calls ``remember`` in the same transaction; a repeat of the same key by the same user
finds it with ``previous`` and is sent to that record instead. The same key with a
different body is refused: it is not a repeat but a mistake.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.clock import now as clock_now
from webapp.core.models import Submission
from webapp.core.rulekit import N_, RuleViolation


def new_key() -> str:
    return secrets.token_urlsafe(16)


def fingerprint(values: dict[str, Any]) -> str:
    """A stable hash of what was submitted (keys sorted, values as text)."""
    text = json.dumps({k: values[k] for k in sorted(values)}, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def previous(session: so.Session, key: str | None, user_id: int, body_fingerprint: str) -> Submission | None:
    """The earlier submission with this key, if any; RuleViolation if its body differs."""
    if not key:
        return None
    earlier = session.scalar(
        sa.select(Submission).where(Submission.key == key, Submission.user_id == user_id)
    )
    if earlier is not None and earlier.fingerprint != body_fingerprint:
        raise RuleViolation(N_("This form was already sent with different content. Reload the page and fill it in again."))
    return earlier


def remember(session: so.Session, key: str | None, user_id: int, entity: Any, body_fingerprint: str) -> None:
    if not key:
        return
    if entity.id is None:
        session.flush()
    session.add(
        Submission(
            key=key,
            user_id=user_id,
            entity_type=entity.__tablename__,
            entity_id=entity.id,
            fingerprint=body_fingerprint,
            created_at=clock_now(),
        )
    )
