"""Community cultural activities 社区文化活动 (篇1): the holiday table ACT-11 decides on, the
owners' activity-preference survey (ACT-01), the annual plan and its approval (ACT-01…03,
14), each activity with its detailed plan (ACT-04, 10), its timeline of milestones
(ACT-04…09, 12), the households notified (ACT-06), the preparation checklist (ACT-07),
the day's roster (ACT-09), the owners' replies (ACT-16) and the summary (ACT-15).

Money is in integer fen. An activity's day, start and end are local (Asia/Shanghai)
calendar values, as printed on the poster; instants are UTC (webapp.core.clock)."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core.db import Base, ProjectScoped, Versioned, utcnow


class HolidayDay(Base):
    """A row of the administrators' holiday table (webapp.activities.holidays.HolidayRow):
    a rest day or a make-up working day of a year the chinese-calendar package does not
    know yet, or a correction of one it does. Company-wide: the State Council's schedule
    is the same for every project."""

    __tablename__ = "holiday_days"
    __table_args__ = (sa.UniqueConstraint("day", name="uq_holiday_days_day"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    day: so.Mapped[date]
    #: a holidays.DayKind
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: the festival as typed (春节, 国庆节…); holidays.festival_from_name reads it
    name: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))


class ActivitySurvey(Versioned, ProjectScoped, Base):
    """ACT-01 the owners' activity-preference survey for a plan year, answered on a public
    page reached from its QR poster."""

    __tablename__ = "activity_surveys"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "year", name="uq_activity_surveys_project_year"),
        sa.UniqueConstraint("public_token", name="uq_activity_surveys_public_token"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the plan year the answers inform (the survey runs in the year before)
    year: so.Mapped[int]
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: what the owners read above the options
    intro: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: the activity kinds offered, in order (rules.check_survey_options)
    options: so.Mapped[list[str]] = so.mapped_column(sa.JSON)
    #: a rules.SurveyStatus
    status: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: the public page's address; names nobody
    public_token: so.Mapped[str] = so.mapped_column(sa.String(40))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    opened_at: so.Mapped[datetime | None]
    closed_at: so.Mapped[datetime | None]


class ActivitySurveyAnswer(ProjectScoped, Base):
    """One household's answer (one per unit and survey); it stores the unit, never who
    answered."""

    __tablename__ = "activity_survey_answers"
    __table_args__ = (sa.UniqueConstraint("survey_id", "unit_id", name="uq_activity_survey_answers_survey_unit"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    survey_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("activity_surveys.id"), index=True)
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"))
    #: the options chosen, in the survey's order
    choices: so.Mapped[list[str]] = so.mapped_column(sa.JSON)
    #: anything else the household would like
    comment: so.Mapped[str | None] = so.mapped_column(sa.Text)
    answered_at: so.Mapped[datetime]


class PlanApproval:
    """The approval steps a plan goes through (rules.check_plan_action): submitted, the
    PM's confirmation of feasibility and budget, the VP's approval with the content
    confirmed (ACT-14), and the latest return with its reasons (earlier ones are in the
    audit trail)."""

    #: a rules.PlanStatus
    status: so.Mapped[str] = so.mapped_column(sa.String(20))
    submitted_at: so.Mapped[datetime | None]
    pm_confirmed_at: so.Mapped[datetime | None]
    approved_at: so.Mapped[datetime | None]
    #: ACT-14: the VP confirmed the content is healthy, positive and lawful
    content_confirmed: so.Mapped[bool] = so.mapped_column(default=False)
    returned_at: so.Mapped[datetime | None]
    return_reasons: so.Mapped[str | None] = so.mapped_column(sa.Text)

    @so.declared_attr
    def submitted_by_id(cls) -> so.Mapped[int | None]:
        return so.mapped_column(sa.ForeignKey("users.id"))

    @so.declared_attr
    def pm_confirmed_by_id(cls) -> so.Mapped[int | None]:
        return so.mapped_column(sa.ForeignKey("users.id"))

    @so.declared_attr
    def approved_by_id(cls) -> so.Mapped[int | None]:
        return so.mapped_column(sa.ForeignKey("users.id"))

    @so.declared_attr
    def returned_by_id(cls) -> so.Mapped[int | None]:
        return so.mapped_column(sa.ForeignKey("users.id"))


class ActivityPlan(PlanApproval, Versioned, ProjectScoped, Base):
    """ACT-01…03 社区文化活动计划: a project's plan for a year, by the publicist, due by 30
    December of the year before (rules.plan_due)."""

    __tablename__ = "activity_plans"
    __table_args__ = (sa.UniqueConstraint("project_id", "year", name="uq_activity_plans_project_year"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    year: so.Mapped[int]
    # ACT-03 (§4.3.1 a, c, e); the activities (b) and budget lines (d) are rows of their own
    purpose: so.Mapped[str | None] = so.mapped_column(sa.Text)
    facilities: so.Mapped[str | None] = so.mapped_column(sa.Text)
    organisation: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: the survey the plan was drafted from, shown beside it
    survey_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("activity_surveys.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    survey: so.Mapped[ActivitySurvey | None] = so.relationship()
    activities: so.Mapped[list[Activity]] = so.relationship(
        back_populates="plan", order_by="Activity.position"
    )
    budget_lines: so.Mapped[list[ActivityMoneyLine]] = so.relationship(
        order_by="ActivityMoneyLine.position", viewonly=True
    )


class Activity(Versioned, ProjectScoped, Base):
    """One activity of an annual plan (§4.3.1 b: method, time and place). Its timeline
    (milestones) is generated when the plan is approved; its public page and poster exist
    from then on."""

    __tablename__ = "activities"
    __table_args__ = (
        sa.UniqueConstraint("public_token", name="uq_activities_public_token"),
        # the calendar and the year's 一览表
        sa.Index("ix_activities_project_day", "project_id", "day"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    plan_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("activity_plans.id"), index=True)
    #: its order within the plan
    position: so.Mapped[int]
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: 活动方式: how it is run
    method: so.Mapped[str] = so.mapped_column(sa.Text)
    #: what the poster and the public page tell owners
    description: so.Mapped[str | None] = so.mapped_column(sa.Text)
    day: so.Mapped[date]
    start_time: so.Mapped[time]
    #: ACT-13: by 22:00
    end_time: so.Mapped[time]
    place: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: ACT-11: a rules.DateBasis, and the planner's reason when the date needs one
    date_basis: so.Mapped[str | None] = so.mapped_column(sa.String(30))
    date_reason: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    #: ACT-06: every household is notified, unit by unit
    important: so.Mapped[bool] = so.mapped_column(default=False)
    #: a rules.ActivityStatus
    status: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: the public page's address, printed as the poster's QR code
    public_token: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: when the milestones were generated (the plan's approval); None while planned
    scheduled_at: so.Mapped[datetime | None]
    ready_at: so.Mapped[datetime | None]
    held_at: so.Mapped[datetime | None]
    cancelled_at: so.Mapped[datetime | None]
    cancel_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)

    # ACT-15 the summary: the row of 社区文化活动组织一览表
    attendance: so.Mapped[int | None]
    went_well: so.Mapped[str | None] = so.mapped_column(sa.Text)
    shortcomings: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: the replies (ACT-16) when the summary was written
    rsvp_units: so.Mapped[int | None]
    rsvp_heads: so.Mapped[int | None]
    summarised_at: so.Mapped[datetime | None]
    summarised_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    plan: so.Mapped[ActivityPlan] = so.relationship(back_populates="activities")
    detailed_plan: so.Mapped[ActivityDetailedPlan | None] = so.relationship(back_populates="activity")
    milestones: so.Mapped[list[ActivityMilestone]] = so.relationship(
        back_populates="activity", order_by="(ActivityMilestone.due_at, ActivityMilestone.id)"
    )


class ActivityDetailedPlan(PlanApproval, Versioned, ProjectScoped, Base):
    """ACT-04 详细活动组织方案 with its purchase list (物品采购计划), by the CS supervisor a
    month before, approved by the PM and the VP; it names the host (ACT-10)."""

    __tablename__ = "activity_detailed_plans"
    __table_args__ = (sa.UniqueConstraint("activity_id", name="uq_activity_detailed_plans_activity_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    activity_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("activities.id"))
    organisation: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: ACT-10 an experienced host
    host: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    activity: so.Mapped[Activity] = so.relationship(back_populates="detailed_plan")


class ActivityMoneyLine(ProjectScoped, Base):
    """A line of money: the annual plan's budget (kind ``budget``, on the plan), an
    activity's purchase list (``purchase``, its approved total is the activity's budget)
    or what it cost (``cost``, ACT-15)."""

    __tablename__ = "activity_money_lines"
    __table_args__ = (sa.Index("ix_activity_money_lines_activity_kind", "activity_id", "kind"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: a rules.MoneyKind value: budget, purchase, cost
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    plan_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("activity_plans.id"), index=True)
    activity_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("activities.id"))
    position: so.Mapped[int]
    item: so.Mapped[str] = so.mapped_column(sa.String(200))
    amount_fen: so.Mapped[int] = so.mapped_column(sa.BigInteger)


class ActivityMilestone(ProjectScoped, Base):
    """A step of an activity's timeline (rules.activity_timeline), with its due, the role
    that owns it, and when and by whom it was done; the note keeps the minutes, the
    safety plan or what the rehearsal covered."""

    __tablename__ = "activity_milestones"
    __table_args__ = (
        sa.UniqueConstraint("activity_id", "code", name="uq_activity_milestones_activity_code"),
        # the overdue sweep and a person's upcoming steps
        sa.Index("ix_activity_milestones_project_done_due", "project_id", "done_at", "due_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    activity_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("activities.id"))
    #: a rules.MilestoneCode
    code: so.Mapped[str] = so.mapped_column(sa.String(30))
    #: the requirement it proves (ACT-04…)
    rule: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: a webapp.org.rules.Role value, and for dept_supervisor the DepartmentKind
    role: so.Mapped[str] = so.mapped_column(sa.String(30))
    department_kind: so.Mapped[str | None] = so.mapped_column(sa.String(30))
    due_at: so.Mapped[datetime]
    earliest_at: so.Mapped[datetime | None]
    #: created too late for the usual due (rules.activity_timeline)
    compressed: so.Mapped[bool] = so.mapped_column(default=False)
    done_at: so.Mapped[datetime | None]
    done_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)

    activity: so.Mapped[Activity] = so.relationship(back_populates="milestones")
    done_by: so.Mapped[User | None] = so.relationship(foreign_keys=[done_by_id])  # noqa: F821


class ActivityChecklistTick(ProjectScoped, Base):
    """ACT-07 an item of the preparation checklist (rules.CHECKLIST_ITEMS) ticked."""

    __tablename__ = "activity_checklist_ticks"
    __table_args__ = (sa.UniqueConstraint("activity_id", "item", name="uq_activity_checklist_ticks_activity_item"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    activity_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("activities.id"))
    item: so.Mapped[str] = so.mapped_column(sa.String(30))
    note: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    ticked_at: so.Mapped[datetime]
    ticked_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))


class ActivityHouseholdNotice(ProjectScoped, Base):
    """ACT-06 a household told of an important activity: which unit, how, by whom, when."""

    __tablename__ = "activity_household_notices"
    __table_args__ = (
        sa.UniqueConstraint("activity_id", "unit_id", name="uq_activity_household_notices_activity_unit"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    activity_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("activities.id"))
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"))
    #: a rules.NoticeMethod
    method: so.Mapped[str] = so.mapped_column(sa.String(20))
    note: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    notified_at: so.Mapped[datetime]
    notified_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))


class ActivityRosterEntry(ProjectScoped, Base):
    """ACT-09 a staff member on site on the day, with the shift and the duty."""

    __tablename__ = "activity_roster_entries"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    activity_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("activities.id"), index=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: the webapp.org.rules.Role they serve in that day (the PM is in charge)
    role: so.Mapped[str] = so.mapped_column(sa.String(30))
    duty: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    shift_start: so.Mapped[datetime]
    shift_end: so.Mapped[datetime]

    user: so.Mapped[User] = so.relationship()  # noqa: F821


class ActivityRsvp(ProjectScoped, Base):
    """ACT-16 a household's reply from the public page: one per unit, changeable until the
    start; a head count of None is a cancelled reply."""

    __tablename__ = "activity_rsvps"
    __table_args__ = (sa.UniqueConstraint("activity_id", "unit_id", name="uq_activity_rsvps_activity_unit"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    activity_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("activities.id"))
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"))
    head_count: so.Mapped[int | None]
    first_at: so.Mapped[datetime]
    changed_at: so.Mapped[datetime]
