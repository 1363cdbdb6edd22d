"""What an evaluation sheet shows: its figures, by SOP, each defined once as a column of a
facts family (webapp.evaluation.facts) or a rate of two columns, with the column whose
records are its evidence. Pages, prints and the xlsx show these and nothing else.

The families (and the SOP reports they share their definitions with):

* ``slips_filed`` (篇2 §4.1/§4.9; at = filed): person = the filer, department = the
  filer's department at filing, project. Columns: filed, closed, open, withdrawn.
* ``slips_against`` (篇2 §4.4–§4.9, the weekly summary 信息传递汇总表's "against"
  figures; at = filed): department = the responsible department, project. Columns:
  against, on_time, late, failures, open, escalated.
* ``complaints_received`` (篇4 §4.1–§4.5, 篇3 §4.7 e; at = received): person = the staff
  member complained about, department = the department complained about, project.
  Columns: complaints, valid, major, important, still_open.
* ``complaint_commitment`` / ``complaint_resolution`` (CMP-04 / CMP-05, the monthly
  summary's clocks; at = the due moment): the same subjects. Columns: on_time, late,
  pending.
* ``complaint_callbacks`` (CMP-07 satisfaction; at = the call-back): the complaint's
  subjects. Columns: callbacks, satisfied (satisfied or basically satisfied).
* ``praise`` (篇3 §4.6, RCP-04; at = credited): person = the staff member credited,
  department = their departments, project. A record is one credit. Column: praises.
* ``paid_jobs`` (篇5 §4.5.2, 家政服务汇总表; at = work finished): person = each
  technician on the job when it was done, department = the order's department, project.
  Columns: jobs, revenue_fen, rating_total, rated, qualified, unqualified, refusals.
* ``activities`` (篇1 §4.6.2, ACT-15; at = the activity's local day): person = on its
  roster or the summary's writer, department = those people's departments, project.
  Columns: activities (held), summarised, attendance.
* ``work_overdue`` (APP-03 My work; at = due): person = the assignee (an item addressed
  to a role: whoever did it), department = the item's department or its holder's,
  project. Columns: due, overdue (done after its due moment, or not done and past it at
  now), open_overdue (not done and past due at now).
* ``open_items`` (snapshot at now; the open work items by SOP): department, project.
  Columns: open_<sop>, overdue_<sop> for each SOP in SOP_AREAS.
* ``units`` (snapshot): project. Column: units.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from webapp.evaluation.rules import Better, Kind, mean, per_thousand, rate

#: the work items' records by SOP (WorkItem.entity_type → area), for ``open_items``
SOP_AREAS = ("activities", "slips", "reception", "complaints", "services")
AREA_TABLES = {
    "activities": ("activities", "activity_plans", "activity_detailed_plans", "activity_surveys", "activity_milestones"),
    "slips": ("slips",),
    "reception": (
        "reception_entries", "return_slips", "repair_work_orders", "praises", "suggestions", "found_items", "major_events",
    ),
    "complaints": ("complaints", "complaint_extensions", "corrective_actions", "complaint_monthly_reports"),
    "services": ("service_orders", "service_items", "rental_commissions", "in_home_clearances"),
}
AREA_LABELS = {
    "activities": _l("Community activities (篇1)"),
    "slips": _l("Information-transfer slips (篇2)"),
    "reception": _l("Owner reception (篇3)"),
    "complaints": _l("Complaints (篇4)"),
    "services": _l("Paid services (篇5)"),
}

#: the open_items family's figures: work items open now, and those of them past due
OPEN_LABELS = {
    "activities": _l("Open items: activities"),
    "slips": _l("Open items: slips"),
    "reception": _l("Open items: reception"),
    "complaints": _l("Open items: complaints"),
    "services": _l("Open items: paid services"),
}
OVERDUE_LABELS = {
    "activities": _l("Overdue items: activities"),
    "slips": _l("Overdue items: slips"),
    "reception": _l("Overdue items: reception"),
    "complaints": _l("Overdue items: complaints"),
    "services": _l("Overdue items: paid services"),
}


@dataclass(frozen=True)
class Measure:
    """One figure of a sheet.

    A plain measure is the sum of `column`; a rate is `column` / (`column` + `versus`)
    when `versus` is set, else `column` / `over`; a mean is `column` / `over` to one
    decimal; per_thousand is `column` per 1,000 of the `units` family's units.
    """

    key: str
    label: object
    family: str
    column: str
    #: the column whose records are the evidence (default: `column`)
    evidence_column: str | None = None
    #: count | money | rate | mean | per_thousand
    shape: str = "count"
    versus: str | None = None
    over: str | None = None
    better: Better = Better.HIGHER
    kinds: frozenset[Kind] = frozenset(Kind)

    @property
    def evidence(self) -> str:
        return self.evidence_column or self.column

    def value(self, counts: dict[str, int] | None, units: int | None = None):
        """The figure from its family's sums (None: nothing to count over)."""
        counts = counts or {}
        part = counts.get(self.column, 0)
        if self.shape in ("count", "money"):
            return part
        if self.shape == "rate":
            whole = part + counts.get(self.versus, 0) if self.versus else counts.get(self.over or "", 0)
            return rate(part, whole)
        if self.shape == "mean":
            return mean(part, counts.get(self.over or "", 0))
        if self.shape == "per_thousand":
            return per_thousand(part, units or 0)
        raise ValueError(self.shape)


_ALL = frozenset(Kind)
_GROUPS = frozenset({Kind.DEPARTMENT, Kind.PROJECT})
_PROJECT = frozenset({Kind.PROJECT})


def _m(key, label, family, column, **kw) -> Measure:
    return Measure(key, label, family, column, **kw)


#: the sheet's sections, by SOP, in the order the page shows them
SECTIONS: list[tuple[str, object, list[Measure]]] = [
    (
        "slips",
        _l("Information-transfer slips (篇2)"),
        [
            _m("slips_filed", _l("Slips filed"), "slips_filed", "filed"),
            _m("slips_filed_closed", _l("of which closed"), "slips_filed", "closed"),
            _m("slips_filed_open", _l("of which still open"), "slips_filed", "open", better=Better.LOWER),
            _m("slips_filed_withdrawn", _l("of which withdrawn"), "slips_filed", "withdrawn", better=Better.LOWER),
            _m("slips_against", _l("Slips assigned for rectification"), "slips_against", "against",
               better=Better.LOWER, kinds=_GROUPS),
            _m("slips_on_time", _l("Rectified on time"), "slips_against", "on_time", kinds=_GROUPS),
            _m("slips_late", _l("Rectified late"), "slips_against", "late", better=Better.LOWER, kinds=_GROUPS),
            _m("slips_on_time_rate", _l("Rectification on-time rate"), "slips_against", "on_time",
               shape="rate", versus="late", kinds=_GROUPS),
            _m("slips_failures", _l("Verification failures"), "slips_against", "failures",
               better=Better.LOWER, kinds=_GROUPS),
            _m("slips_escalated", _l("Escalated to the PM"), "slips_against", "escalated",
               better=Better.LOWER, kinds=_GROUPS),
        ],
    ),
    (
        "complaints",
        _l("Complaints (篇4, 篇3 §4.7)"),
        [
            _m("complaints", _l("Complaints against"), "complaints_received", "complaints", better=Better.LOWER),
            _m("complaints_valid", _l("of which valid"), "complaints_received", "valid", better=Better.LOWER),
            _m("complaints_major", _l("of which major"), "complaints_received", "major", better=Better.LOWER),
            _m("complaints_important", _l("of which important"), "complaints_received", "important",
               better=Better.LOWER),
            _m("complaints_open", _l("still open"), "complaints_received", "still_open", better=Better.LOWER),
            _m("complaints_per_thousand", _l("Complaints per 1,000 units"), "complaints_received", "complaints",
               shape="per_thousand", better=Better.LOWER, kinds=_PROJECT),
            _m("commitment_rate", _l("Commitment on-time rate"), "complaint_commitment", "on_time",
               shape="rate", versus="late"),
            _m("commitment_late", _l("Commitments late"), "complaint_commitment", "late", better=Better.LOWER),
            _m("resolution_rate", _l("Resolution on-time rate"), "complaint_resolution", "on_time",
               shape="rate", versus="late"),
            _m("resolution_late", _l("Resolutions late"), "complaint_resolution", "late", better=Better.LOWER),
            _m("callbacks", _l("Call-backs"), "complaint_callbacks", "callbacks"),
            _m("satisfaction_rate", _l("Satisfaction rate"), "complaint_callbacks", "satisfied",
               shape="rate", over="callbacks", evidence_column="callbacks"),
        ],
    ),
    (
        "praise",
        _l("Praise (篇3 §4.6)"),
        [_m("praises", _l("Praise verified and credited"), "praise", "praises")],
    ),
    (
        "services",
        _l("Paid services (篇5)"),
        [
            _m("paid_jobs", _l("Paid jobs done"), "paid_jobs", "jobs"),
            _m("paid_revenue", _l("Revenue"), "paid_jobs", "revenue_fen", shape="money", evidence_column="jobs"),
            _m("paid_satisfaction", _l("Average satisfaction"), "paid_jobs", "rating_total", shape="mean",
               over="rated", evidence_column="rated"),
            _m("paid_quality_rate", _l("Up to standard"), "paid_jobs", "qualified", shape="rate",
               versus="unqualified"),
            _m("paid_unqualified", _l("Not up to standard"), "paid_jobs", "unqualified", better=Better.LOWER),
            _m("paid_refusals", _l("Owner refused to sign"), "paid_jobs", "refusals", better=Better.LOWER),
        ],
    ),
    (
        "activities",
        _l("Community activities (篇1)"),
        [
            _m("activities", _l("Activities organised"), "activities", "activities"),
            _m("activities_summarised", _l("Summaries written"), "activities", "summarised"),
            _m("activity_attendance", _l("Attendance"), "activities", "attendance", evidence_column="activities"),
        ],
    ),
    (
        "work",
        _l("My work: items held"),
        [
            _m("work_due", _l("Items due"), "work_overdue", "due"),
            _m("work_overdue", _l("Items overdue"), "work_overdue", "overdue", better=Better.LOWER),
            _m("work_open_overdue", _l("still overdue now"), "work_overdue", "open_overdue", better=Better.LOWER),
        ],
    ),
    (
        "open_items",
        _l("Open and overdue items by SOP, now"),
        [
            measure
            for area in SOP_AREAS
            for measure in (
                _m(f"open_{area}", OPEN_LABELS[area], "open_items", f"open_{area}", better=Better.LOWER,
                   kinds=_GROUPS),
                _m(f"overdue_{area}", OVERDUE_LABELS[area], "open_items", f"overdue_{area}", better=Better.LOWER,
                   kinds=_GROUPS),
            )
        ],
    ),
]

MEASURES: dict[str, Measure] = {measure.key: measure for _, _, measures in SECTIONS for measure in measures}


def measures_for(kind: Kind) -> list[tuple[str, object, list[Measure]]]:
    """The sections of a sheet of this kind, each with the measures it shows."""
    return [(key, label, [m for m in measures if kind in m.kinds]) for key, label, measures in SECTIONS]


def families_for(kind: Kind) -> list[str]:
    """The families a sheet of this kind queries (one statement each)."""
    seen: dict[str, None] = {}
    for _, _, measures in measures_for(kind):
        for measure in measures:
            seen.setdefault(measure.family, None)
    return list(seen)
