"""Rules of complaint handling (篇4, and 篇3 §4.7 for the reception). Pure: standard
library only; time is a parameter.

Lifecycle of a valid complaint (major / important / minor)::

    received ──commitment (CMP-04: handed to QA+GM / supervisor or PM / PM)──▶ committed
                                                                                  │ start handling
                              ┌──────────── resume ◀── waiting (paused, reason) ◀─┤
                              ▼                                                   ▼
                          in_progress ──────────── pause ─────────────────▶ (waiting)
                              │ answer given to the owner       ▲
                              ▼                                 │ more work after the answer
                           answered ────────────────────────────┘
                              │ handling complete ("resolved")
                              ▼
                       awaiting_callback ──call-back with satisfaction (CMP-07)──▶ closed

An invalid complaint (CMP-06) is explained, forwarded to the developer or the agency
concerned, and answered within 3 days; it is called back and closed like the others::

    received ──▶ committed ──▶ explained ──▶ forwarded ──▶ answered ──▶ awaiting_callback ──▶ closed

No complaint is closed without its call-back.

Clocks (all in Asia/Shanghai, see webapp.core.clock):
- commitment (CMP-04): never pauses; stopped by the hand-over (``committed``).
- handling start (CMP-04, minor only): 2 days or the owner's requested time.
- resolution (CMP-05): minor 2 days / important 3 days until resolved; major: a clear
  answer within 2 days; invalid: a reply within 3 days. It pauses only while ``waiting``
  and moves only by an approved extension.
- one month (CMP-02 c): a valid non-major complaint still unresolved one calendar month
  after reception is upgraded to major by the server. Waiting does not stop this clock:
  the owner's month passes either way, and a long wait is exactly what QA must see.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from webapp.core.clock import end_of_day, local_date, local_midnight, to_local
from webapp.core.rulekit import N_, RuleViolation

#: CMP-04: an important complaint reaches the department supervisor or PM within 1 hour
IMPORTANT_COMMITMENT_LIMIT = timedelta(hours=1)
#: CMP-04: a minor complaint's handling starts within 2 days (unless the owner asks a time)
MINOR_HANDLING_START_LIMIT = timedelta(days=2)
#: the default monthly cut-off day (CMP-07, RCP-06: the summary is due by the 25th)
DEFAULT_CUTOFF_DAY = 25


class ComplaintClass(StrEnum):
    MAJOR = "major"  # 重大投诉
    IMPORTANT = "important"  # 重要投诉
    MINOR = "minor"  # 轻微投诉
    INVALID = "invalid"  # 无效投诉


VALID_CLASSES = frozenset({ComplaintClass.MAJOR, ComplaintClass.IMPORTANT, ComplaintClass.MINOR})
#: kept in 业主投诉记录表 (CMP-03 b)
REGISTER_CLASSES = frozenset({ComplaintClass.MAJOR, ComplaintClass.IMPORTANT})


class InvalidReason(StrEnum):
    DEVELOPER_LEGACY = "developer_legacy"  # 地产遗留 / 房屋质量 → the developer
    EXTERNAL = "external"  # 外部环境 / 非管辖区域 / 其他社会问题 → the agency concerned


class MajorGround(StrEnum):
    UNDELIVERED_REPEATED = "undelivered_repeated"  # a) 承诺或合同服务未实施/明显差错, 多次提出未解决
    MAJOR_LOSS_OR_INJURY = "major_loss_or_injury"  # b) 管理责任造成重大经济损失或人身伤害
    UNRESOLVED_ONE_MONTH = "unresolved_one_month"  # c) 一个月内未合理解决 (set by the server only)


#: grounds staff may mark; (c) is the server's alone
STAFF_MAJOR_GROUNDS = frozenset({MajorGround.UNDELIVERED_REPEATED, MajorGround.MAJOR_LOSS_OR_INJURY})


class ComplaintStatus(StrEnum):
    RECEIVED = "received"  # recorded at the desk, commitment clock running
    COMMITTED = "committed"  # handed to the people CMP-04 names
    IN_PROGRESS = "in_progress"  # the department's measures
    WAITING = "waiting"  # paused with a reason (owner unreachable, parts on order)
    ANSWERED = "answered"  # the answer has been given to the owner
    AWAITING_CALLBACK = "awaiting_callback"  # handling complete, CS calls back (CMP-07)
    CLOSED = "closed"
    EXPLAINED = "explained"  # invalid: explanation recorded (CMP-06)
    FORWARDED = "forwarded"  # invalid: passed to the developer / the agency concerned


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意


class Clock(StrEnum):
    COMMITMENT = "commitment"
    HANDLING_START = "handling_start"
    RESOLUTION = "resolution"


S = ComplaintStatus

TRANSITIONS: dict[ComplaintStatus, frozenset[ComplaintStatus]] = {
    S.RECEIVED: frozenset({S.COMMITTED}),
    S.COMMITTED: frozenset({S.IN_PROGRESS}),
    S.IN_PROGRESS: frozenset({S.WAITING, S.ANSWERED}),
    S.WAITING: frozenset({S.IN_PROGRESS}),
    S.ANSWERED: frozenset({S.IN_PROGRESS, S.AWAITING_CALLBACK}),
    S.AWAITING_CALLBACK: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.EXPLAINED: frozenset(),
    S.FORWARDED: frozenset(),
}

INVALID_TRANSITIONS: dict[ComplaintStatus, frozenset[ComplaintStatus]] = {
    S.RECEIVED: frozenset({S.COMMITTED}),
    S.COMMITTED: frozenset({S.EXPLAINED}),
    S.EXPLAINED: frozenset({S.FORWARDED}),
    S.FORWARDED: frozenset({S.ANSWERED}),
    S.ANSWERED: frozenset({S.AWAITING_CALLBACK}),
    S.AWAITING_CALLBACK: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.IN_PROGRESS: frozenset(),
    S.WAITING: frozenset(),
}

OPEN_STATUSES = frozenset(ComplaintStatus) - {S.CLOSED}
#: the resolution clock runs in every open state except these
RESOLUTION_STOPPED_STATUSES = frozenset({S.WAITING, S.AWAITING_CALLBACK, S.CLOSED})

del S


def allowed_transitions(current: str, complaint_class: str) -> frozenset[ComplaintStatus]:
    table = INVALID_TRANSITIONS if ComplaintClass(complaint_class) is ComplaintClass.INVALID else TRANSITIONS
    return table[ComplaintStatus(current)]


def check_transition(current: str, target: str, complaint_class: str) -> None:
    if ComplaintStatus(target) not in allowed_transitions(current, complaint_class):
        raise RuleViolation(
            N_("A complaint that is %(current)s cannot become %(target)s."), current=current, target=target
        )


# ---------------------------------------------------------------------------- CMP-01/02 class


@dataclass(frozen=True)
class Suggestion:
    """What the form proposes; the receptionist confirms or changes it (CMP-01)."""

    complaint_class: ComplaintClass
    invalid_reason: InvalidReason | None
    major_ground: MajorGround | None
    why: str  # msgid


def suggest_class(
    *,
    injury_or_major_loss: bool = False,
    repeated_unresolved: bool = False,
    about_developer_or_housing_quality: bool = False,
    outside_managed_area: bool = False,
    service_fault: bool = False,
) -> Suggestion:
    """A transparent first guess from the reception fields (篇4 §4.2), checked in this order:

    1. major loss or injury through the management's fault → major (b): safety first;
    2. developer legacy or housing quality → invalid (a), even when asked repeatedly: it is
       the developer's to solve, not a service the company promised;
    3. outside the managed area, external or social → invalid (b);
    4. a promised service not delivered, asked for repeatedly in vain → major (a);
    5. a fault of management or service (attitude, quality, timeliness, equipment) → important;
    6. otherwise a minor inconvenience from the estate's limits → minor.
    """
    if injury_or_major_loss:
        return Suggestion(ComplaintClass.MAJOR, None, MajorGround.MAJOR_LOSS_OR_INJURY,
                          N_("Major loss or personal injury through the management's fault."))
    if about_developer_or_housing_quality:
        return Suggestion(ComplaintClass.INVALID, InvalidReason.DEVELOPER_LEGACY, None,
                          N_("Developer legacy or housing quality: forward it to the developer."))
    if outside_managed_area:
        return Suggestion(ComplaintClass.INVALID, InvalidReason.EXTERNAL, None,
                          N_("External, outside the managed area or a social issue: forward it to the agency concerned."))
    if repeated_unresolved:
        return Suggestion(ComplaintClass.MAJOR, None, MajorGround.UNDELIVERED_REPEATED,
                          N_("A promised service was not delivered and repeated requests went unresolved."))
    if service_fault:
        return Suggestion(ComplaintClass.IMPORTANT, None, None,
                          N_("A fault in management or service: attitude, quality, timeliness or equipment."))
    return Suggestion(ComplaintClass.MINOR, None, None,
                      N_("A minor inconvenience that improvement can easily remove."))


def check_classification(
    complaint_class: str, invalid_reason: str | None, major_grounds: Iterable[str] = (), *, by_server: bool = False
) -> None:
    """CMP-01/02: an invalid complaint names its reason; only a major one has grounds;
    ground (c) is set by the server alone."""
    cls = ComplaintClass(complaint_class)
    grounds = {MajorGround(g) for g in major_grounds}
    if cls is ComplaintClass.INVALID and not invalid_reason:
        raise RuleViolation(N_("Say why the complaint is invalid."), field="invalid_reason")
    if cls is not ComplaintClass.INVALID and invalid_reason:
        raise RuleViolation(N_("Only an invalid complaint has an invalid reason."), field="invalid_reason")
    if invalid_reason:
        InvalidReason(invalid_reason)
    if grounds and cls is not ComplaintClass.MAJOR:
        raise RuleViolation(N_("Only a major complaint has major grounds."), field="major_grounds")
    if not by_server and MajorGround.UNRESOLVED_ONE_MONTH in grounds:
        raise RuleViolation(N_("The one-month upgrade is made by the system."), field="major_grounds")


def is_registered(complaint_class: str) -> bool:
    """CMP-03 b: major and important complaints are also kept in 业主投诉记录表."""
    return ComplaintClass(complaint_class) in REGISTER_CLASSES


# ---------------------------------------------------------------------------- CMP-04 commitment


_COMMITMENT_RECIPIENTS: dict[ComplaintClass, tuple[str, ...]] = {
    ComplaintClass.MAJOR: ("qa", "gm"),
    ComplaintClass.IMPORTANT: ("dept_supervisor", "pm"),
    ComplaintClass.MINOR: ("pm",),
    ComplaintClass.INVALID: ("pm",),
}


def commitment_due(complaint_class: str, received_at: datetime) -> datetime:
    """CMP-04: important → within 1 hour; every other class → the same local day."""
    if ComplaintClass(complaint_class) is ComplaintClass.IMPORTANT:
        return received_at + IMPORTANT_COMMITMENT_LIMIT
    return end_of_day(received_at)


def commitment_recipients(complaint_class: str) -> tuple[str, ...]:
    """CMP-04: the roles (webapp.org.rules.Role values) the complaint is handed to.
    Important: the department supervisor *or* the PM, whoever takes it first."""
    return _COMMITMENT_RECIPIENTS[ComplaintClass(complaint_class)]


def handling_start_due(
    complaint_class: str, received_at: datetime, requested_at: datetime | None = None
) -> datetime | None:
    """CMP-04 (§4.3.2 c): a minor complaint's handling starts 不超过2天内或在住户要求的时限内.

    The owner's requested time wins in both directions: earlier (a leak that cannot wait
    two days) because the SOP grants the owner's time limit, and later (the owner is away,
    come next Saturday) because handling needs the owner and starting before the owner
    can receive anyone helps nobody. Other classes have no separate start clock."""
    if ComplaintClass(complaint_class) is not ComplaintClass.MINOR:
        return None
    if requested_at is not None:
        return requested_at
    return received_at + MINOR_HANDLING_START_LIMIT


def check_requested_time(requested_at: datetime | None, received_at: datetime) -> None:
    """The owner's requested time lies after the reception."""
    if requested_at is not None and requested_at <= received_at:
        raise RuleViolation(N_("The owner's requested time must be after the complaint was received."),
                            field="requested_at")


# ---------------------------------------------------------------------------- CMP-05 resolution


RESOLUTION_LIMITS: dict[ComplaintClass, timedelta] = {
    ComplaintClass.MINOR: timedelta(days=2),  # 处理完毕
    ComplaintClass.IMPORTANT: timedelta(days=3),  # 处置完毕
    ComplaintClass.MAJOR: timedelta(days=2),  # a clear answer to the owner
    ComplaintClass.INVALID: timedelta(days=3),  # a reply to the owner
}

_EXTENSION_APPROVERS: dict[ComplaintClass, str | None] = {
    ComplaintClass.MINOR: "pm",
    ComplaintClass.IMPORTANT: "gm",
    ComplaintClass.MAJOR: None,
    ComplaintClass.INVALID: None,
}


def resolution_due(
    complaint_class: str,
    received_at: datetime,
    *,
    paused: timedelta = timedelta(0),
    extension: timedelta | None = None,
) -> datetime:
    """CMP-05: reception + the class's limit + the time spent waiting + approved extensions.

    `paused`: from paused_duration(); `extension`: the total of approved extensions."""
    due = received_at + RESOLUTION_LIMITS[ComplaintClass(complaint_class)] + paused
    return due + extension if extension else due


def resolution_done_at(complaint_class: str, answered_at: datetime | None, resolved_at: datetime | None) -> datetime | None:
    """What stops the resolution clock: for major and invalid complaints the answer to the
    owner (§4.7.3/4); for important and minor ones the completed handling (§4.7.1/2)."""
    if ComplaintClass(complaint_class) in (ComplaintClass.MAJOR, ComplaintClass.INVALID):
        return answered_at
    return resolved_at


def extension_approver(complaint_class: str) -> str | None:
    """CMP-05: minor → the PM; important → the GM; major and invalid cannot be extended."""
    return _EXTENSION_APPROVERS[ComplaintClass(complaint_class)]


def check_extension_request(complaint_class: str, current_due: datetime, requested_due: datetime, reason: str | None) -> None:
    if extension_approver(complaint_class) is None:
        raise RuleViolation(N_("The time limit of a major or invalid complaint cannot be extended."),
                            field="requested_due")
    if requested_due <= current_due:
        raise RuleViolation(N_("The new time limit must be later than the current one."), field="requested_due")
    if not (reason or "").strip():
        raise RuleViolation(N_("Give the reason for more time."), field="reason")


def due_after_extension(current_due: datetime, requested_due: datetime, approved: bool) -> datetime:
    """The clock moves only when the approver says yes."""
    return requested_due if approved else current_due


def extension_length(current_due: datetime, requested_due: datetime, approved: bool) -> timedelta:
    """What an approved request adds to the `extension` total given to resolution_due()."""
    return due_after_extension(current_due, requested_due, approved) - current_due


# ---------------------------------------------------------------------------- waiting


def paused_duration(pauses: Iterable[tuple[datetime, datetime | None]], now: datetime) -> timedelta:
    """Total time spent waiting up to `now`; an open pause (end None) runs until `now`.
    Overlapping pauses count once; time after `now` does not count yet."""
    spans = []
    for start, end in pauses:
        stop = now if end is None else min(end, now)
        if end is not None and end < start:
            raise ValueError("pause ends before it starts")
        if stop > start:
            spans.append((start, stop))
    total = timedelta(0)
    current_start: datetime | None = None
    current_end: datetime | None = None
    for start, stop in sorted(spans):
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, stop
        else:
            current_end = max(current_end, stop)
    if current_end is not None:
        total += current_end - current_start
    return total


def check_pause_reason(reason: str | None) -> None:
    if not (reason or "").strip():
        raise RuleViolation(N_("Say what the complaint is waiting for."), field="reason")


# ---------------------------------------------------------------------------- CMP-02 c upgrade


def one_month_after(moment: datetime) -> datetime:
    """The same local day and time one month later (Asia/Shanghai), clamped to the end of
    a shorter month: Jan 31 10:00 → Feb 28 10:00 (Feb 29 in a leap year); Mar 15 → Apr 15."""
    local = to_local(moment)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(UTC)


def needs_upgrade_to_major(
    complaint_class: str, received_at: datetime, resolved_at: datetime | None, now: datetime
) -> bool:
    """CMP-02 c: a valid, not-yet-major complaint still unresolved after one month."""
    cls = ComplaintClass(complaint_class)
    if cls is ComplaintClass.MAJOR or cls is ComplaintClass.INVALID or resolved_at is not None:
        return False
    return now > one_month_after(received_at)


UPGRADE_REASON = N_("Not resolved within one month (received %(received)s, limit %(limit)s): upgraded to major.")


def upgrade_reason(received_at: datetime) -> tuple[str, dict[str, str]]:
    """The msgid and its parameters (local times) recorded with the upgrade."""
    fmt = "%Y-%m-%d %H:%M"
    return UPGRADE_REASON, {
        "received": to_local(received_at).strftime(fmt),
        "limit": to_local(one_month_after(received_at)).strftime(fmt),
    }


# ---------------------------------------------------------------------------- CMP-08 breaches


@dataclass(frozen=True)
class Breach:
    clock: Clock
    due_at: datetime


def breaches(
    now: datetime,
    *,
    commitment_due: datetime,
    commitment_done_at: datetime | None,
    resolution_due: datetime,
    resolution_done_at: datetime | None,
    handling_start_due: datetime | None = None,
    handling_started_at: datetime | None = None,
) -> tuple[Breach, ...]:
    """The clocks that are overdue at `now` and not yet stopped (the sweep's work list).
    A clock is breached only after its due moment: at the due second it is still in time."""
    found = []
    for clock, due, done in (
        (Clock.COMMITMENT, commitment_due, commitment_done_at),
        (Clock.HANDLING_START, handling_start_due, handling_started_at),
        (Clock.RESOLUTION, resolution_due, resolution_done_at),
    ):
        if due is not None and done is None and now > due:
            found.append(Breach(clock, due))
    return tuple(found)


def met_on_time(due_at: datetime | None, done_at: datetime | None, now: datetime) -> bool | None:
    """CMP-07 on-time rates: True/False once decided; None while open and not yet late."""
    if due_at is None:
        return None
    if done_at is not None:
        return done_at <= due_at
    return False if now > due_at else None


def dedupe_key(complaint_id: int, clock: str, due_at: datetime) -> str:
    """One notification per breach: the same complaint, clock and due moment give the same
    key; an approved extension (a new due moment) is a new breach."""
    return f"complaint:{complaint_id}:{Clock(clock).value}:{due_at.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


# ---------------------------------------------------------------------------- CMP-07 month


def _cutoff_date(year: int, month: int, cutoff_day: int) -> date:
    return date(year, month, min(cutoff_day, calendar.monthrange(year, month)[1]))


def check_cutoff_day(cutoff_day: int) -> None:
    if not 1 <= cutoff_day <= 31:
        raise RuleViolation(N_("The cut-off day must be between 1 and 31."), field="cutoff_day")


def report_period(month_of: date, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> tuple[date, date]:
    """CMP-07 / RCP-06: the report named after `month_of`'s month covers the day after the
    previous month's cut-off through this month's cut-off (local dates, both included):
    Dec 26 – Jan 25 for January. A cut-off past a month's end is that month's last day, so
    periods always follow each other without a gap or overlap."""
    check_cutoff_day(cutoff_day)
    end = _cutoff_date(month_of.year, month_of.month, cutoff_day)
    prev_year, prev_month = (month_of.year - 1, 12) if month_of.month == 1 else (month_of.year, month_of.month - 1)
    start = _cutoff_date(prev_year, prev_month, cutoff_day) + timedelta(days=1)
    return start, end


def report_due(month_of: date, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> date:
    """The summary is due on the cut-off day itself (by the 25th)."""
    return report_period(month_of, cutoff_day)[1]


def report_bounds(month_of: date, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> tuple[datetime, datetime]:
    """The period as UTC instants [start 00:00 local, the day after the end 00:00 local)."""
    start, end = report_period(month_of, cutoff_day)
    return local_midnight(start), local_midnight(end + timedelta(days=1))


def report_month_of(moment: datetime, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> date:
    """The first day of the report month a moment counts in (Dec 27 → January's report)."""
    check_cutoff_day(cutoff_day)
    day = local_date(moment)
    if day <= _cutoff_date(day.year, day.month, cutoff_day):
        return day.replace(day=1)
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


# ---------------------------------------------------------------------------- CMP-07 analysis

#: a complaint repeats an earlier one received at most this long before it
REPEAT_WINDOW = timedelta(days=90)
#: the month's analysis report is in its writers' work from the start of the period's
#: last week: the due day and the six days before it
REPORT_REMINDER_DAYS = 6
#: the trend chart's length, in report periods
TREND_PERIODS = 12


class RepeatKind(StrEnum):
    OWNER = "owner"  # the same owner complained again
    MATTER = "matter"  # the same unit, about the same department, again


@dataclass(frozen=True)
class ComplaintKey:
    """What repeat detection needs to know of a complaint."""

    id: int
    received_at: datetime
    owner_id: int | None
    unit_id: int | None
    department_id: int | None


@dataclass(frozen=True)
class Repeat:
    complaint_id: int
    kinds: frozenset[RepeatKind]
    #: the latest earlier complaint it repeats
    previous_id: int


def find_repeats(complaints: Iterable[ComplaintKey], window: timedelta = REPEAT_WINDOW) -> dict[int, Repeat]:
    """CMP-07 repeats (重复投诉). A complaint is a repeat when an earlier complaint was
    received no more than `window` (90 × 24 h) before it and

    * **owner**: came from the same owner (both complaints name the owner), or
    * **matter**: came from the same unit about the same department (both complaints name
      the unit and the department complained about): the same matter, whoever in the
      household raised it.

    "Earlier" is by reception time, the lower id first at the same moment. Every class
    counts, invalid ones too: a developer issue raised again is a repeat the PM must see.
    The first complaint of a series is not a repeat; the second and later ones are. Pass
    the complaints of the `window` before the period too, or their successors are missed.
    Returns {complaint id: Repeat} for the repeats only."""
    last_by_key: dict[tuple, ComplaintKey] = {}
    found: dict[int, Repeat] = {}
    for complaint in sorted(complaints, key=lambda c: (c.received_at, c.id)):
        keys = []
        if complaint.owner_id is not None:
            keys.append((RepeatKind.OWNER, complaint.owner_id))
        if complaint.unit_id is not None and complaint.department_id is not None:
            keys.append((RepeatKind.MATTER, complaint.unit_id, complaint.department_id))
        kinds: set[RepeatKind] = set()
        previous: ComplaintKey | None = None
        for key in keys:
            earlier = last_by_key.get(key)
            if earlier is not None and complaint.received_at - earlier.received_at <= window:
                kinds.add(key[0])
                if previous is None or (earlier.received_at, earlier.id) > (previous.received_at, previous.id):
                    previous = earlier
            last_by_key[key] = complaint
        if previous is not None:
            found[complaint.id] = Repeat(complaint.id, frozenset(kinds), previous.id)
    return found


def rate(part: int, whole: int) -> float | None:
    """part / whole; None when there is nothing to count over (shown as "—", never 0 %)."""
    return part / whole if whole else None


#: call-backs that count as satisfied in the satisfaction rate (满意率)
SATISFIED_LEVELS = frozenset({Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED})


def satisfaction_rate(counts: dict[str, int]) -> float | None:
    """(satisfied + basically satisfied) / all call-backs, the usual 满意率."""
    total = sum(counts.values())
    return rate(sum(n for level, n in counts.items() if level in SATISFIED_LEVELS), total)


def waiting_within(
    pauses: Iterable[tuple[datetime, datetime | None]], start: datetime, end: datetime, now: datetime
) -> timedelta:
    """One complaint's waiting time inside [start, end), up to `now`: each pause clipped
    to the period, an open pause running until `now`, overlapping pauses counted once."""
    limit = min(end, now)
    clipped = [(max(s, start), min(e or limit, limit)) for s, e in pauses]
    return paused_duration([(s, e) for s, e in clipped if e > s], limit)


def report_months(month_of: date, count: int = TREND_PERIODS) -> list[date]:
    """The first days of `count` report months ending with `month_of`'s, oldest first."""
    months = []
    year, month = month_of.year, month_of.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def next_report_month(month_of: date, step: int = 1) -> date:
    """The first day of the report month `step` months after (before, if negative)."""
    index = month_of.year * 12 + month_of.month - 1 + step
    return date(index // 12, index % 12 + 1, 1)


def analysis_reminder_opens(month_of: date, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> date:
    """The local day the month's analysis report enters its writers' work."""
    return report_due(month_of, cutoff_day) - timedelta(days=REPORT_REMINDER_DAYS)


def analysis_to_remind(moment: datetime, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> date | None:
    """The report month whose analysis should be in the writers' work at `moment` (from
    the start of its period's last week on), or None earlier in the period."""
    month_of = report_month_of(moment, cutoff_day)
    return month_of if local_date(moment) >= analysis_reminder_opens(month_of, cutoff_day) else None


def analysis_dedupe_key(project_id: int, period_start: date) -> str:
    """One reminder per project and period, however often the sweep runs."""
    return f"complaint-analysis:{project_id}:{period_start.isoformat()}"


# ---------------------------------------------------------------------------- RCP-05 reception duties (篇3 §4.7)

#: §4.7 e: a serious case (通报批评) is called back by a leader (有关领导及时回访), not the
#: desk: the PM or the PM's assistant (§4.7 b names them as the ones who come out to explain)
LEADER_CALLBACK_ROLES = ("pm", "pm_assistant")


def check_handling_complete(
    complaint_class: str,
    *,
    municipal_cause: bool,
    utility_follow_up: str | None,
    cause: str | None,
    responsible_person: str | None,
    supervisor_apology_required: bool,
    supervisor_apologised: bool,
) -> None:
    """RCP-05 (篇3 §4.7 c–e): what must be on record before the handling of a valid
    complaint is complete (an interim answer needs none of it yet):

    * c) caused by municipal water, power, gas, roads, post or telecoms: what was taken up
      with the utility and its outcome (交涉, 决不允许推托了事);
    * d) any other cause is the centre's own: the cause found and the person responsible
      (查出原因和责任人);
    * e) about service attitude or quality: the department supervisor has apologised.

    An invalid complaint is explained and forwarded instead (CMP-06)."""
    if ComplaintClass(complaint_class) is ComplaintClass.INVALID:
        return
    if municipal_cause:
        if not (utility_follow_up or "").strip():
            raise RuleViolation(
                N_("Write down what was taken up with the utility and the outcome."), field="utility_follow_up"
            )
    else:
        if not (cause or "").strip():
            raise RuleViolation(N_("Write down the cause found."), field="cause")
        if not (responsible_person or "").strip():
            raise RuleViolation(N_("Name the person responsible."), field="responsible_person")
    if supervisor_apology_required and not supervisor_apologised:
        raise RuleViolation(
            N_("The department supervisor must apologise to the owner first."), field="supervisor_apologised"
        )


def callback_roles(criticised: bool, desk_roles: Iterable[str]) -> tuple[str, ...]:
    """Who calls the owner back (CMP-07): the desk, or for a serious case criticised in a
    notice a leader (RCP-05, §4.7 e)."""
    return LEADER_CALLBACK_ROLES if criticised else tuple(desk_roles)


def check_callback_caller(criticised: bool, caller_roles: Iterable[str]) -> None:
    """RCP-05 (§4.7 e): a complaint criticised in a notice is called back by a leader."""
    if criticised and not set(caller_roles) & set(LEADER_CALLBACK_ROLES):
        raise RuleViolation(
            N_("The person was criticised in a notice: the project manager or the assistant calls the owner back.")
        )
