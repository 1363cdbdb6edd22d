"""Rules stay pure (DESIGN: functional core): a rules.py imports only the standard
library and the stdlib-only helpers every rules module shares."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
#: modules rules may import: themselves standard-library only (checked below)
PURE_HELPERS = {"webapp.core.rulekit", "webapp.core.clock"}
RULE_FILES = sorted(WEBAPP.rglob("rules.py"))


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _is_stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names or name == "__future__"


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: str(p.relative_to(WEBAPP)))
def test_rules_import_only_the_standard_library(path):
    foreign = {n for n in _imports(path) if not _is_stdlib(n) and n not in PURE_HELPERS}
    assert not foreign, f"{path} imports {sorted(foreign)}"


@pytest.mark.parametrize("module", sorted(PURE_HELPERS))
def test_helpers_rules_may_use_are_standard_library_only(module):
    path = WEBAPP.parent / (module.replace(".", "/") + ".py")
    foreign = {n for n in _imports(path) if not _is_stdlib(n)}
    assert not foreign, f"{module} imports {sorted(foreign)}"


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: str(p.relative_to(WEBAPP)))
def test_rules_never_read_the_clock(path):
    source = path.read_text(encoding="utf-8")
    assert ".now(" not in source and "clock.now" not in source and "import now" not in source


def test_there_are_rule_modules_to_check():
    assert len(RULE_FILES) >= 2
