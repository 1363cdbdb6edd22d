"""Time: now() in UTC and the Asia/Shanghai calendar every deadline is computed in.

Standard library only, so rules.py modules may import the pure functions here; rules
never call now() themselves, they receive the time as a parameter.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current instant, timezone-aware UTC. The one place the app reads the clock."""
    return datetime.now(UTC)


def to_local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(LOCAL_TZ)


def local_date(moment: datetime) -> date:
    return to_local(moment).date()


def local_midnight(day: date) -> datetime:
    """00:00 of a local calendar day, as UTC."""
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ).astimezone(UTC)


def end_of_day(moment: datetime) -> datetime:
    """23:59:59 local time of the day `moment` falls on, as UTC ("the same day")."""
    day = local_date(moment)
    return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_TZ).astimezone(UTC)


def add_days(moment: datetime, days: int) -> datetime:
    """N days means N × 24 h (REQUIREMENTS, Time)."""
    return moment + timedelta(days=days)
