"""Preparing an activity (篇1 §4.4.4–4.4.8): the checklist (ACT-07), the households told of
an important activity (ACT-06) and the day's roster (ACT-09). Each completes its
milestone on the timeline when it is whole: all four items ticked, every unit of the
project notified, the roster marked complete with the PM on it.

Operations take the session, the acting user and `now`, check the permission and the
state, audit what changed and leave the commit to the caller."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.activities import operations, rules
from webapp.activities.models import (
    Activity,
    ActivityChecklistTick,
    ActivityHouseholdNotice,
    ActivityRosterEntry,
)
from webapp.activities.rules import MilestoneCode
from webapp.core import audit
from webapp.core.rulekit import N_, RuleViolation
from webapp.estate.models import Building, Unit
from webapp.org.access import check
from webapp.org.models import RoleAssignment, User
from webapp.org.rules import Permission, Role

audit.ACTION_LABELS.update({
    "checklist_ticked": N_("ticked a checklist item"),
    "checklist_unticked": N_("unticked a checklist item"),
    "households_notified": N_("recorded households notified"),
    "roster_added": N_("put a staff member on the day's roster"),
    "roster_removed": N_("took a staff member off the day's roster"),
    "roster_completed": N_("completed the day's roster"),
})
audit.FIELD_LABELS.update({
    "item": N_("Item"),
    "units": N_("Units"),
    "method": N_("How"),
    "duty": N_("Duty"),
    "shift": N_("Shift"),
})


def _open(actor, activity: Activity) -> None:
    check(actor, Permission.ORGANISE_ACTIVITIES, activity.project_id)
    rules.check_preparation_open(activity.status, activity.scheduled_at is not None)


def _complete(session: so.Session, activity: Activity, code: MilestoneCode, actor, now: datetime) -> bool:
    row = operations.milestone(session, activity, code)
    if row is None or row.done_at is not None:
        return False
    operations.complete_milestone(session, row, actor_id=actor.id, now=now)
    return True


# ---------------------------------------------------------------------------- ACT-07 checklist


def ticks(session: so.Session, activity: Activity) -> dict[str, ActivityChecklistTick]:
    rows = session.scalars(sa.select(ActivityChecklistTick).where(ActivityChecklistTick.activity_id == activity.id))
    return {row.item: row for row in rows}


def tick(session: so.Session, actor, activity: Activity, item: str | None, note: str | None, *, now: datetime) -> bool:
    """Tick an item (or change the note of a ticked one); the fourth tick completes the
    PREPARATION_CHECKLIST milestone. Returns whether it did."""
    _open(actor, activity)
    item = rules.check_checklist_item(item)
    note = rules.clean_text(note, "note", None, rules.TICK_NOTE_LIMIT)
    done = ticks(session, activity)
    row = done.get(item)
    if row is None:
        row = ActivityChecklistTick(project_id=activity.project_id, activity_id=activity.id, item=item, note=note,
                                    ticked_at=now, ticked_by_id=actor.id)
        session.add(row)
        done[item] = row
    elif row.note == note:
        return False
    else:
        row.note = note
    audit.record(session, activity, "checklist_ticked", actor_id=actor.id, note=note, changes={"item": [None, item]})
    session.flush()
    if rules.checklist_complete(done):
        return _complete(session, activity, MilestoneCode.PREPARATION_CHECKLIST, actor, now)
    return False


def untick(session: so.Session, actor, activity: Activity, item: str | None, *, now: datetime) -> None:
    """Take a tick back, until the checklist is complete (its milestone done)."""
    _open(actor, activity)
    item = rules.check_checklist_item(item)
    row = operations.milestone(session, activity, MilestoneCode.PREPARATION_CHECKLIST)
    rules.check_untick(row is not None and row.done_at is not None)
    found = ticks(session, activity).get(item)
    if found is None:
        return
    session.delete(found)
    audit.record(session, activity, "checklist_unticked", actor_id=actor.id, changes={"item": [item, None]})
    session.flush()


# ---------------------------------------------------------------------------- ACT-06 households


@dataclass(frozen=True)
class HouseholdRow:
    unit_id: int
    number: str
    notice: ActivityHouseholdNotice | None
    notified_by: str | None


@dataclass(frozen=True)
class BuildingGroup:
    building_id: int
    name: str
    units: list[HouseholdRow]
    notified: int
    total: int


def project_units(session: so.Session, project_id: int) -> list[tuple[int, str, int, str]]:
    """(unit id, number, building id, building name) of every unit of the project, by
    building and number. One query."""
    return list(
        session.execute(
            sa.select(Unit.id, Unit.number, Building.id, Building.name)
            .join(Building, Building.id == Unit.building_id)
            .where(Unit.project_id == project_id)
            .order_by(Building.name, Building.id, Unit.number, Unit.id)
        )
    )


def notices(session: so.Session, activity: Activity) -> dict[int, tuple[ActivityHouseholdNotice, str | None]]:
    """unit id → (the notice, who gave it). One query."""
    rows = session.execute(
        sa.select(ActivityHouseholdNotice, User.display_name)
        .outerjoin(User, User.id == ActivityHouseholdNotice.notified_by_id)
        .where(ActivityHouseholdNotice.activity_id == activity.id)
    )
    return {notice.unit_id: (notice, name) for notice, name in rows}


def household_groups(session: so.Session, activity: Activity, *, outstanding_only: bool = False):
    """The units grouped by building with their notices, and (notified, total) for the
    whole project. Two queries."""
    units = project_units(session, activity.project_id)
    done = notices(session, activity)
    groups: list[BuildingGroup] = []
    by_building: dict[int, list[HouseholdRow]] = {}
    names: dict[int, str] = {}
    counts: dict[int, list[int]] = {}
    for unit_id, number, building_id, building_name in units:
        if building_id not in by_building:
            by_building[building_id] = []
            names[building_id] = building_name
            counts[building_id] = [0, 0]
        notice, who = done.get(unit_id, (None, None))
        counts[building_id][1] += 1
        if notice is not None:
            counts[building_id][0] += 1
            if outstanding_only:
                continue
        by_building[building_id].append(HouseholdRow(unit_id, number, notice, who))
    for building_id, rows in by_building.items():
        notified, total = counts[building_id]
        if outstanding_only and not rows:
            continue
        groups.append(BuildingGroup(building_id, names[building_id], rows, notified, total))
    notified_total = sum(1 for unit_id, *_ in units if unit_id in done)
    return groups, notified_total, len(units)


def notify_households(
    session: so.Session,
    actor,
    activity: Activity,
    unit_ids: Iterable[int],
    method: str | None,
    note: str | None,
    *,
    now: datetime,
    building_id: int | None = None,
) -> int:
    """Record units of the project as notified (those already notified keep their first
    record); with `building_id`, every unit of that building not yet notified. When no
    unit of the project remains, the HOUSEHOLD_NOTICE milestone is done. Returns how many
    units were newly recorded."""
    _open(actor, activity)
    if not activity.important:
        raise RuleViolation(N_("Only an important activity is announced to every household."))
    units = project_units(session, activity.project_id)
    project_unit_ids = {unit_id for unit_id, *_ in units}
    if building_id is not None:
        chosen = [unit_id for unit_id, _, building, _ in units if building == building_id]
        if not chosen:
            raise RuleViolation(N_("Choose the units that were notified."), field="unit_ids")
    else:
        chosen = list(dict.fromkeys(int(unit_id) for unit_id in unit_ids))
        if any(unit_id not in project_unit_ids for unit_id in chosen):
            # another project's unit (or one that is gone): refuse the whole submission
            raise RuleViolation(N_("A chosen unit is not one of this project's."), field="unit_ids")
    chosen_method, note = rules.check_notice(method, note, len(chosen))
    done = set(session.scalars(
        sa.select(ActivityHouseholdNotice.unit_id).where(ActivityHouseholdNotice.activity_id == activity.id)
    ))
    new = rules.households_outstanding(chosen, done)
    for unit_id in new:
        session.add(ActivityHouseholdNotice(
            project_id=activity.project_id, activity_id=activity.id, unit_id=unit_id, method=chosen_method,
            note=note, notified_at=now, notified_by_id=actor.id,
        ))
    if new:
        audit.record(session, activity, "households_notified", actor_id=actor.id, note=note,
                     changes={"units": [None, len(new)], "method": [None, chosen_method.value]})
        session.flush()
    if not rules.households_outstanding([unit_id for unit_id, *_ in units], done | set(new)):
        _complete(session, activity, MilestoneCode.HOUSEHOLD_NOTICE, actor, now)
    return len(new)


# ---------------------------------------------------------------------------- ACT-09 roster


def roster(session: so.Session, activity: Activity) -> list[ActivityRosterEntry]:
    """The day's roster by shift start, with each person. One query."""
    return list(session.scalars(
        sa.select(ActivityRosterEntry)
        .where(ActivityRosterEntry.activity_id == activity.id)
        .options(so.joinedload(ActivityRosterEntry.user))
        .order_by(ActivityRosterEntry.shift_start, ActivityRosterEntry.id)
    ).unique())


def project_staff(session: so.Session, project_id: int) -> list[tuple[User, list[str]]]:
    """The active people holding a role in the project, with those roles (the PM first).
    One query."""
    order = {role.value: i for i, role in enumerate(Role)}
    rows = session.execute(
        sa.select(User, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.project_id == project_id, User.active)
        .order_by(User.display_name, User.id)
    )
    people: dict[int, tuple[User, list[str]]] = {}
    for user, role in rows:
        entry = people.setdefault(user.id, (user, []))
        if role not in entry[1]:
            entry[1].append(role)
    result = [(user, sorted(roles, key=lambda r: order.get(r, 99))) for user, roles in people.values()]
    result.sort(key=lambda pair: (order.get(pair[1][0], 99), pair[0].display_name, pair[0].id))
    return result


def add_to_roster(
    session: so.Session,
    actor,
    activity: Activity,
    *,
    user_id: int | None,
    role: str | None,
    duty: str | None,
    shift_start: time | None,
    shift_end: time | None,
    now: datetime,
) -> ActivityRosterEntry:
    """Put a person of the project on the day's roster, in a role they hold there, with
    the duty and the shift (local times on the activity's day)."""
    _open(actor, activity)
    held = [r for person, roles in project_staff(session, activity.project_id) if person.id == user_id for r in roles]
    if user_id is None or not held:
        raise RuleViolation(N_("Choose a staff member of this project."), field="user_id")
    role = rules.check_roster_role(role, held)
    duty, start, end = rules.check_roster_entry(
        duty,
        rules.shift_moment(activity.day, shift_start) if shift_start else None,
        rules.shift_moment(activity.day, shift_end) if shift_end else None,
    )
    same = session.scalar(sa.select(ActivityRosterEntry).where(
        ActivityRosterEntry.activity_id == activity.id, ActivityRosterEntry.user_id == user_id,
        ActivityRosterEntry.role == role, ActivityRosterEntry.shift_start == start,
        ActivityRosterEntry.shift_end == end, ActivityRosterEntry.duty.is_(None) if duty is None
        else ActivityRosterEntry.duty == duty,
    ))
    if same is not None:
        # the same line submitted twice: one line
        return same
    entry = ActivityRosterEntry(project_id=activity.project_id, activity_id=activity.id, user_id=user_id, role=role,
                                duty=duty, shift_start=start, shift_end=end)
    session.add(entry)
    session.flush()
    audit.record(session, activity, "roster_added", actor_id=actor.id, note=duty,
                 changes={"role": [None, role], "shift": [None, f"{shift_start:%H:%M}–{shift_end:%H:%M}"]})
    return entry


def _checked(entries: list[ActivityRosterEntry]) -> None:
    rules.check_roster([
        rules.RosterEntry(entry.user.display_name, entry.role, entry.shift_start, entry.shift_end) for entry in entries
    ])


def remove_from_roster(session: so.Session, actor, activity: Activity, entry_id: int, *, now: datetime) -> bool:
    """Take an entry off the roster (one already gone: nothing to do). A complete roster
    stays complete: the PM cannot be taken off it."""
    _open(actor, activity)
    entries = roster(session, activity)
    found = next((entry for entry in entries if entry.id == entry_id), None)
    if found is None:
        return False
    row = operations.milestone(session, activity, MilestoneCode.DAY_ROSTER)
    if row is not None and row.done_at is not None:
        _checked([entry for entry in entries if entry.id != entry_id])
    session.delete(found)
    audit.record(session, activity, "roster_removed", actor_id=actor.id,
                 changes={"role": [found.role, None]}, note=found.user.display_name)
    session.flush()
    return True


def complete_roster(session: so.Session, actor, activity: Activity, *, now: datetime) -> None:
    """ACT-09: the roster is complete when rules.check_roster passes (the PM on it, every
    shift ending after it starts); its DAY_ROSTER milestone is done."""
    _open(actor, activity)
    _checked(roster(session, activity))
    if _complete(session, activity, MilestoneCode.DAY_ROSTER, actor, now):
        audit.record(session, activity, "roster_completed", actor_id=actor.id)
