"""Supply chain (ASVS V15.2): every dependency is pinned to a compatible range, the installed
versions lie inside those ranges, bandit finds nothing of medium or high severity in webapp/
(once `make audit` has installed it), and each vendored front-end library keeps its licence,
its version and a checksum that matches the file served."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
VENDOR = ROOT / "static" / "vendor"

LOWER = {">=", ">", "~=", "=="}
UPPER = {"<", "<=", "~=", "=="}


def _requirements() -> dict[str, list[str]]:
    """Every requirement string of pyproject.toml by where it stands."""
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    found = {
        "build-system": data["build-system"]["requires"],
        "dependencies": data["project"]["dependencies"],
    }
    for group, items in data["project"].get("optional-dependencies", {}).items():
        found[f"optional-dependencies.{group}"] = items
    return found


def _unbounded(requirements: list[str]) -> list[str]:
    """The requirements that lack a lower or an upper version bound."""
    missing = []
    for text in requirements:
        operators = {spec.operator for spec in Requirement(text).specifier}
        if not operators & LOWER or not operators & UPPER:
            missing.append(text)
    return missing


def test_sec_bound_check_catches_open_and_bare_requirements():
    assert _unbounded(["ruff>=0.6", "flask", "pillow<14"]) == ["ruff>=0.6", "flask", "pillow<14"]
    assert _unbounded(["flask>=3.1,<4", "qrcode[pil]>=8.0,<9", "babel~=2.16", "six==1.17.0"]) == []


def test_sec_every_dependency_is_pinned_to_a_range_with_both_bounds():
    groups = _requirements()
    assert {"build-system", "dependencies", "optional-dependencies.test",
            "optional-dependencies.audit"} <= set(groups)
    open_ranges = {where: bad for where, items in groups.items() if (bad := _unbounded(items))}
    assert open_ranges == {}, f"dependencies without a lower and an upper bound: {open_ranges}"


def test_sec_installed_dependencies_lie_inside_the_pinned_ranges():
    """The ranges are the versions actually tested: the venv must not hold one outside them."""
    groups = _requirements()
    checked, outside = 0, []
    for where in ("dependencies", "optional-dependencies.test", "optional-dependencies.audit"):
        for text in groups[where]:
            requirement = Requirement(text)
            try:
                version = importlib.metadata.version(canonicalize_name(requirement.name))
            except importlib.metadata.PackageNotFoundError:
                if where == "optional-dependencies.audit":
                    continue  # installed by `make audit` only
                raise
            checked += 1
            if not requirement.specifier.contains(version, prereleases=True):
                outside.append(f"{requirement.name} {version} (wants {requirement.specifier})")
    assert checked >= 25
    assert outside == []


needs_bandit = pytest.mark.skipif(
    importlib.util.find_spec("bandit") is None,
    reason="bandit is installed by `make audit` (pip install -e '.[audit]')",
)


def _bandit(*targets: Path) -> dict:
    """bandit with the project's settings at medium severity and above, as `make audit` runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "bandit", "-c", str(PYPROJECT), "-ll", "-q", "-f", "json",
         "-r", *map(str, targets)],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )
    assert done.returncode in (0, 1), done.stderr  # 1 means findings; anything else is an error
    return json.loads(done.stdout)


@needs_bandit
def test_sec_bandit_flags_markup_built_from_request_text(tmp_path):
    """The gate can fail: an HTML-injection pattern in a view is reported at medium severity."""
    view = tmp_path / "view.py"
    view.write_text(
        "from flask import request\nfrom markupsafe import Markup\n\n\n"
        "def greet():\n    return Markup('<p>' + request.args['name'] + '</p>')\n",
        encoding="utf-8",
    )
    report = _bandit(view)
    assert [(r["test_id"], r["issue_severity"]) for r in report["results"]] == [("B704", "MEDIUM")]


@needs_bandit
@pytest.mark.slow
def test_sec_bandit_finds_no_medium_or_high_issue_in_webapp():
    report = _bandit(ROOT / "webapp")
    assert report["errors"] == []
    scanned = [name for name in report["metrics"] if name != "_totals"]
    assert len(scanned) > 100 and report["metrics"]["_totals"]["loc"] > 20_000
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_severity']}: {r['issue_text']}"
        for r in report["results"]
    ]
    assert findings == []


def _vendor_table() -> list[tuple[str, str, str, str]]:
    """(library, version, file, sha256) rows of static/vendor/README.md."""
    rows = []
    for line in (VENDOR / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"[0-9a-f]{64}", cells[3]):
            rows.append((cells[0], cells[1], cells[2].split()[0], cells[3]))
    return rows


def test_sec_vendored_libraries_keep_a_licence_a_version_and_a_matching_checksum():
    rows = _vendor_table()
    recorded = {file: (library, version, digest) for library, version, file, digest in rows}
    libraries = sorted(path for path in VENDOR.iterdir() if path.is_dir())
    assert len(libraries) >= 3  # htmx, idb-keyval, signature_pad
    for library in libraries:
        files = sorted(p.relative_to(VENDOR).as_posix() for p in library.rglob("*") if p.is_file())
        licences = [f for f in files if Path(f).name.upper() in {"LICENSE", "LICENCE"}]
        assert licences, f"{library.name} has no licence file"
        unrecorded = [f for f in files if f not in recorded]
        assert unrecorded == [], f"served from static/vendor/ without a recorded version: {unrecorded}"
    for file, (library, version, digest) in recorded.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{library}: version {version!r}"
        actual = hashlib.sha256((VENDOR / file).read_bytes()).hexdigest()
        assert actual == digest, f"{file} differs from {library} {version} recorded in README.md"
