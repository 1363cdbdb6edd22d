"""The deadline suite passes whatever zone the server process runs in (REQUIREMENTS, Time:
every deadline is computed in Asia/Shanghai time, never in the machine's zone).

The suite below is run in a fresh interpreter with TZ set to UTC (most servers and
containers), Asia/Shanghai (the company's own machines) and America/Los_Angeles (far
behind both: a date taken from the process zone there is a day off for most of the
Shanghai day). The runs use SQLite: the process zone is Python's concern, since
PostgreSQL keeps timestamps with their zone and its session zone does not follow the
client's TZ; the boundary cases of test_time_boundaries.py run on PostgreSQL in the main
suite.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ZONES = ("UTC", "Asia/Shanghai", "America/Los_Angeles")

#: The deadline suite: why each file is in.
DEADLINE_SUITE = (
    # -- pure rules that compute deadlines, local dates and periods (time is a parameter)
    "tests/unit/test_slip_rules.py",  # SLIP-03 desk clock, SLIP-04 same-day rectification, SLIP-09 weeks
    "tests/unit/test_complaint_rules.py",  # CMP-04/05 commitment and resolution dues, CMP-02 one month
    "tests/unit/test_complaint_report_rules.py",  # CMP-07/RCP-06 report periods, the 25th cut-off
    "tests/unit/test_reception_rules.py",  # RCP-03 same-day return slip, developer and chase dues
    "tests/unit/test_reception_follow_up_rules.py",  # RCP-04 repair and call-back dues
    "tests/unit/test_reception_register_rules.py",  # RCP-07 a moment counts in its local month
    "tests/unit/test_paid_service_rules.py",  # SVC-01 a price applies from its start, never before approval
    "tests/unit/test_activity_rules.py",  # ACT-01 plan due 30 Dec, ACT-11 dates, ACT-13 22:00
    "tests/unit/test_activity_timeline_rules.py",  # ACT-04…15 milestone dues from the local day
    "tests/unit/test_activity_preparation_rules.py",  # ACT-09 a shift is a local time on the activity day
    "tests/unit/test_activity_reschedule_rules.py",  # moving an activity: 22:00, the start after now
    "tests/unit/test_activity_holidays.py",  # ACT-11 the holiday and work calendar
    "tests/unit/test_activity_poster_rules.py",  # ACT-06 the poster and RSVP around the start
    "tests/unit/test_activity_survey_rules.py",  # ACT-01 the plan year turns with the local new year; ACT-11 schedule
    "tests/unit/test_evaluation_rules.py",  # evaluation months and quarters in local time
    # -- the SLA sweep (flask sla sweep) and the operations that store the dues
    "tests/integration/test_cli_sla.py",  # CMP-02/08 the sweep: upgrade and notify once
    "tests/integration/test_sla_sweep_concurrency.py",  # two sweeps at once (PostgreSQL only)
    "tests/integration/test_complaint_operations.py",  # dues stored on reception, extensions, pauses
    "tests/integration/test_slip_operations.py",  # dues stored on filing and receiving
    "tests/integration/test_complaint_summary.py",  # CMP-07 monthly counts and the analysis reminder
    "tests/integration/test_slip_summary.py",  # SLIP-09 weekly summary bounds
    "tests/integration/test_reception_follow_ups.py",  # RCP-03/04 chasing overdue slips and repairs
    # -- pages that turn stored UTC dues into local times and late flags
    "tests/web/test_my_work.py",  # APP-03 due times in Shanghai time, overdue flags
    "tests/web/test_complaint_reports.py",  # RCP-06 monthly summary page, the current month
    "tests/web/test_slip_workflow.py",  # SLIP-03/04/05 desk countdown, rectification due shown
    "tests/web/test_activity_timeline.py",  # ACT-04…15 milestone dues and states on the page
    # -- the edges themselves: midnight, month end, 22:00, the 25th
    "tests/security/test_time_boundaries.py",
)

#: per zone; the suite takes two to three minutes on a quiet machine
SUBPROCESS_TIMEOUT = 1200


def test_sec_the_deadline_suite_files_exist():
    missing = [name for name in DEADLINE_SUITE if not (ROOT / name).is_file()]
    assert not missing, f"deadline suite files not found: {missing}"
    assert len(set(DEADLINE_SUITE)) == len(DEADLINE_SUITE)


def _summary(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


@pytest.mark.slow
@pytest.mark.parametrize("zone", ZONES)
def test_sec_deadline_suite_passes_with_the_process_zone_set_to(zone):
    env = {name: value for name, value in os.environ.items() if name != "TEST_DATABASE_URL"}
    env["TZ"] = zone
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *DEADLINE_SUITE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    output = result.stdout + result.stderr
    failures = "\n".join(line for line in output.splitlines() if line.startswith(("FAILED", "ERROR")))
    assert result.returncode == 0, (
        f"with TZ={zone} the deadline suite exits {result.returncode}: {_summary(output)}\n"
        f"{failures}\n--- last output ---\n{output[-6000:]}"
    )
    passed = re.search(r"(\d+) passed", _summary(output))
    assert passed and int(passed.group(1)) > 900, _summary(output)
