"""Keep the Simplified Chinese (zh_Hans_CN) catalogue complete.

    python tools/translations.py update            extract msgids, update the .po, compile
    python tools/translations.py fill FILE.json    add {msgid: 中文} pairs, then update
    python tools/translations.py missing           list msgids with no translation (exit 1 if any)

Run it under `flock /tmp/estatedesk-i18n.lock` when several people edit at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "webapp" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
PYBABEL = str(Path(sys.executable).with_name("pybabel"))


def _run(*args: str) -> None:
    subprocess.run([PYBABEL, *args], cwd=ROOT, check=True, capture_output=True)  # noqa: S603 - our own fixed arguments


def update() -> None:
    # --ignore-dirs: the default skips folders starting with "_", such as templates/_macros.
    _run("extract", "-F", "babel.cfg", "-k", "_l", "-k", "N_", "--no-location", "--sort-output",
         "--ignore-dirs", ".* __pycache__",
         "--project", "EstateDesk", "-o", str(POT), ".")
    if PO.exists():
        _run("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", "zh_Hans_CN",
             "--no-fuzzy-matching", "--ignore-obsolete")
    else:
        _run("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", "zh_Hans_CN")
    _run("compile", "-d", str(TRANSLATIONS), "-l", "zh_Hans_CN")


def _catalog():
    with PO.open("rb") as handle:
        return read_po(handle, locale="zh_Hans_CN")


def fill(pairs: dict[str, str]) -> None:
    update()
    catalog = _catalog()
    for msgid, text in pairs.items():
        message = catalog.get(msgid)
        if message is not None:
            message.string = text
    with PO.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, omit_header=False, width=100)
    update()


def missing() -> list[str]:
    return [m.id for m in _catalog() if m.id and not m.string]


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "update"
    if command == "update":
        update()
    elif command == "fill":
        fill(json.loads(Path(argv[2]).read_text(encoding="utf-8")))
    elif command == "missing":
        update()
        gaps = missing()
        for msgid in gaps:
            print(msgid)
        return 1 if gaps else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
