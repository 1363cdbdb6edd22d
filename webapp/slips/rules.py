"""Rules of the information-transfer slip (篇2). Pure: standard library only; time is a
parameter.

Lifecycle::

    filed ──receive & assign──▶ assigned ──record measures──▶ rectifying
      │                           │  ▲                          │
      │ withdraw                  │  └──────── verification fails ◀───┐
      ▼                           ▼ escalate (SLIP-05)              │
    withdrawn                  escalated ──record measures──▶ rectifying
                                                                 │ report done
                                                                 ▼
                                                        awaiting_verification
                                                                 │ verification passes
                                       owner-raised ─────────────┤
                                                                 ▼
                                          awaiting_callback ──call-back──▶ closed
                                         (site-seen slips close on a pass directly)
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from enum import StrEnum

from webapp.core.clock import end_of_day, local_date, local_midnight
from webapp.core.rulekit import N_, RuleViolation

#: SLIP-03: an urgent slip must reach the CS desk within 15 minutes of filing
URGENT_DESK_LIMIT = timedelta(minutes=15)
#: SLIP-01: a phone's capture time may run a little ahead of the server's clock
CAPTURE_CLOCK_SKEW = timedelta(minutes=5)
#: SLIP-11: a slip queued offline longer than this is refused as stale (a lost phone)
MAX_OFFLINE_AGE = timedelta(days=7)


class SlipStatus(StrEnum):
    FILED = "filed"
    ASSIGNED = "assigned"
    ESCALATED = "escalated"
    RECTIFYING = "rectifying"
    AWAITING_VERIFICATION = "awaiting_verification"
    AWAITING_CALLBACK = "awaiting_callback"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class SlipSource(StrEnum):
    SEEN_ON_SITE = "seen_on_site"  # 现场查看
    OWNER = "owner"  # 业主当面反映


class SlipCategory(StrEnum):
    SECURITY = "security"  # 安全秩序
    FACILITY = "facility"  # 设施设备
    CLEANING = "cleaning"  # 环境卫生
    LANDSCAPING = "landscaping"  # 绿化
    SERVICE_QUALITY = "service_quality"  # 员工服务质量 (SLIP-04)
    PARKING = "parking"  # 车辆停放
    OTHER = "other"


class Verification(StrEnum):
    PASS = "pass"  # noqa: S105 - a verification result, not a password
    FAIL = "fail"


TRANSITIONS: dict[SlipStatus, frozenset[SlipStatus]] = {
    SlipStatus.FILED: frozenset({SlipStatus.ASSIGNED, SlipStatus.WITHDRAWN}),
    SlipStatus.ASSIGNED: frozenset({SlipStatus.RECTIFYING, SlipStatus.ESCALATED}),
    SlipStatus.ESCALATED: frozenset({SlipStatus.RECTIFYING}),
    SlipStatus.RECTIFYING: frozenset({SlipStatus.AWAITING_VERIFICATION, SlipStatus.ESCALATED}),
    SlipStatus.AWAITING_VERIFICATION: frozenset(
        {SlipStatus.CLOSED, SlipStatus.AWAITING_CALLBACK, SlipStatus.ASSIGNED}
    ),
    SlipStatus.AWAITING_CALLBACK: frozenset({SlipStatus.CLOSED}),
    SlipStatus.CLOSED: frozenset(),
    SlipStatus.WITHDRAWN: frozenset(),
}

OPEN_STATUSES = frozenset(TRANSITIONS) - {SlipStatus.CLOSED, SlipStatus.WITHDRAWN}


def allowed_transitions(current: str) -> frozenset[SlipStatus]:
    return TRANSITIONS[SlipStatus(current)]


def check_transition(current: str, target: str) -> None:
    if SlipStatus(target) not in allowed_transitions(current):
        raise RuleViolation(
            N_("A slip that is %(current)s cannot become %(target)s."), current=current, target=target
        )


def desk_due(filed_at: datetime, urgent: bool) -> datetime:
    """SLIP-03: urgent → at the desk within 15 minutes; otherwise collected the same day."""
    return filed_at + URGENT_DESK_LIMIT if urgent else end_of_day(filed_at)


def desk_breached(filed_at: datetime, urgent: bool, received_at: datetime | None, now: datetime) -> bool:
    """Whether the desk clock ran out before the slip was received (or is out now)."""
    moment = received_at if received_at is not None else now
    return moment > desk_due(filed_at, urgent)


def rectification_due(assigned_at: datetime) -> datetime:
    """SLIP-04: rectification is due by the end of the day the department is given it
    (整改期限不得超过当天)."""
    return end_of_day(assigned_at)


def check_escalation_deadline(new_due: datetime, now: datetime) -> None:
    """SLIP-05: an escalation plan's new deadline lies in the future."""
    if new_due <= now:
        raise RuleViolation(N_("The new deadline must be in the future."), field="new_due")


def rectified_on_time(due_at: datetime | None, completed_at: datetime | None, now: datetime) -> bool | None:
    """True/False once decided; None while still open and not yet late."""
    if due_at is None:
        return None
    if completed_at is not None:
        return completed_at <= due_at
    return False if now > due_at else None


def needs_callback(source: str) -> bool:
    """SLIP-08: an owner-raised slip is called back before it closes."""
    return SlipSource(source) is SlipSource.OWNER


def status_after_verification(result: str, source: str) -> SlipStatus:
    """SLIP-07: pass closes (or waits for the call-back); fail sends it back for new measures."""
    if Verification(result) is Verification.FAIL:
        return SlipStatus.ASSIGNED
    return SlipStatus.AWAITING_CALLBACK if needs_callback(source) else SlipStatus.CLOSED


def accepted_capture_time(captured_at: datetime | None, received_at: datetime) -> datetime:
    """SLIP-11: the phone's capture time, kept when plausible; the receipt time otherwise."""
    if captured_at is None:
        return received_at
    if captured_at > received_at + CAPTURE_CLOCK_SKEW:
        raise RuleViolation(N_("The phone's clock is ahead; check the date and time settings."), field="captured_at")
    if received_at - captured_at > MAX_OFFLINE_AGE:
        raise RuleViolation(N_("This slip waited on the phone for more than 7 days; file it again."), field="captured_at")
    return min(captured_at, received_at)


def check_place(facility_id: int | None, latitude: float | None, longitude: float | None, place_text: str | None) -> None:
    """SLIP-01: a slip says where: a scanned facility, the phone's position, or words."""
    if (latitude is None) != (longitude is None):
        raise RuleViolation(N_("A position needs both latitude and longitude."), field="place_text")
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise RuleViolation(N_("The position is not on Earth."), field="place_text")
    if facility_id is None and latitude is None and not (place_text or "").strip():
        raise RuleViolation(N_("Say where: scan a facility's code, allow the location, or type the place."), field="place_text")


def check_owner_details(
    source: str,
    owner_id: int | None,
    unit_id: int | None,
    owner_contact: str | None,
    owner_unit_ids: Collection[int] | None = None,
) -> None:
    """SLIP-02: an owner-raised slip records the owner, the unit and a contact.

    `owner_unit_ids`: the units the chosen owner is recorded at (in the slip's project);
    when given, the owner must be one of the unit's people."""
    if SlipSource(source) is not SlipSource.OWNER:
        return
    if unit_id is None:
        raise RuleViolation(N_("Choose the owner's unit."), field="unit")
    if owner_id is None and not (owner_contact or "").strip():
        raise RuleViolation(N_("Record the owner or a contact for the call-back."), field="owner_contact")
    if owner_id is not None and owner_unit_ids is not None and unit_id not in owner_unit_ids:
        raise RuleViolation(N_("This person is not recorded at the chosen unit."), field="owner")


def week_bounds(day_in_week: datetime) -> tuple[datetime, datetime]:
    """SLIP-09: the summary week, Monday 00:00 to the next Monday 00:00, local time, as UTC."""
    day = local_date(day_in_week)
    monday = day - timedelta(days=day.weekday())
    return local_midnight(monday), local_midnight(monday + timedelta(days=7))
