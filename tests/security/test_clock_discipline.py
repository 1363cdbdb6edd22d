"""One clock (REQUIREMENTS, Time; DESIGN, Rules): the app reads the time only through
webapp.core.clock, as timezone-aware UTC, and turns it into Asia/Shanghai time there.

Anything that reads the server process's own zone or hands out naive datetimes gives
deadlines that move with the machine's TZ setting. This scans every module under
webapp/ (webapp/core/clock.py excepted) and fails on:

* ``date.today()``, ``datetime.today()``: the process zone's date;
* ``datetime.now()`` without a zone, ``datetime.utcnow()``, ``datetime.utcfromtimestamp()``
  and ``datetime.fromtimestamp(x)`` without a zone: naive datetimes;
* ``.astimezone()`` without a zone: converts to the process zone;
* ``time.localtime``, ``time.mktime``, ``time.ctime``, ``time.asctime``,
  ``time.strftime`` (and importing them from ``time``): the process zone again.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
CLOCK = WEBAPP / "core" / "clock.py"
MODULES = sorted(path for path in WEBAPP.rglob("*.py") if path != CLOCK)

#: functions of the `time` module that read or assume the process zone
LOCAL_TIME_FUNCTIONS = frozenset({"localtime", "mktime", "ctime", "asctime", "strftime"})
DATE_CLASSES = frozenset({"date", "datetime"})


def _base_name(node: ast.expr) -> str | None:
    """`date` for date.today, `datetime` for datetime.datetime.now, `time` for time.x."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _has_zone(call: ast.Call, positional: int) -> bool:
    """Whether a zone is passed: a `tz` keyword or the `positional`-th argument."""
    return len(call.args) >= positional or any(k.arg in ("tz", "tzinfo") for k in call.keywords)


def offences(source: str) -> list[str]:
    """The clock reads of a module's source that bypass webapp.core.clock, as
    "line: what" strings."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            bad = sorted(alias.name for alias in node.names if alias.name in LOCAL_TIME_FUNCTIONS)
            if bad:
                found.append(f"{node.lineno}: from time import {', '.join(bad)}")
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, base = node.func.attr, _base_name(node.func.value)
        what = None
        if base in DATE_CLASSES and method == "today":
            what = f"{base}.today()"
        elif base == "datetime" and method in ("utcnow", "utcfromtimestamp"):
            what = f"datetime.{method}()"
        elif base == "datetime" and method == "now" and not _has_zone(node, 1):
            what = "datetime.now() without a zone"
        elif base == "datetime" and method == "fromtimestamp" and not _has_zone(node, 2):
            what = "datetime.fromtimestamp() without a zone"
        elif method == "astimezone" and not node.args and not node.keywords:
            what = ".astimezone() without a zone"
        elif base == "time" and method in LOCAL_TIME_FUNCTIONS:
            what = f"time.{method}()"
        if what:
            found.append(f"{node.lineno}: {what}")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(WEBAPP)))
def test_sec_no_module_reads_the_server_zone_or_a_naive_clock(path):
    found = offences(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(WEBAPP.parent)} bypasses webapp.core.clock: {found}"


def test_sec_the_clock_module_reads_aware_utc():
    source = CLOCK.read_text(encoding="utf-8")
    assert "datetime.now(UTC)" in source
    assert offences(source) == []


@pytest.mark.parametrize(
    "source",
    [
        "from datetime import date\nd = date.today()",
        "import datetime\nd = datetime.date.today()",
        "from datetime import datetime\nd = datetime.today()",
        "from datetime import datetime\nd = datetime.now()",
        "import datetime\nd = datetime.datetime.utcnow()",
        "from datetime import datetime\nd = datetime.utcfromtimestamp(0)",
        "from datetime import datetime\nd = datetime.fromtimestamp(0)",
        "d = moment.astimezone()",
        "import time\nt = time.localtime()",
        "import time\nt = time.mktime(parts)",
        "import time\nt = time.strftime('%H:%M')",
        "from time import localtime\nt = localtime()",
    ],
)
def test_sec_the_scan_catches_each_way_round_the_clock(source):
    assert len(offences(source)) == 1, source


@pytest.mark.parametrize(
    "source",
    [
        "from datetime import UTC, datetime\nd = datetime.now(UTC)",
        "from datetime import UTC, datetime\nd = datetime.now(tz=UTC)",
        "from datetime import UTC, datetime\nd = datetime.fromtimestamp(0, UTC)",
        "d = moment.astimezone(LOCAL_TZ)",
        "import time\nt = time.monotonic()",
        "from datetime import time\nt = time(22, 0).strftime('%H:%M')",
    ],
)
def test_sec_the_scan_lets_aware_and_monotonic_clocks_pass(source):
    assert offences(source) == [], source


def test_sec_there_are_modules_to_scan():
    assert len(MODULES) > 50
