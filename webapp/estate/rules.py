"""Estate rules: phone masking (EST-03), import-row validation (EST-01), QR tokens (EST-02).

Pure: standard library only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from webapp.core.rulekit import N_


class OccupantRelation(StrEnum):
    OWNER = "owner"  # 业主
    TENANT = "tenant"  # 租户
    FAMILY = "family"  # 家属


class FacilityKind(StrEnum):
    PATROL_POINT = "patrol_point"  # 巡检点
    EQUIPMENT = "equipment"  # 设备
    PUBLIC_AREA = "public_area"  # 公共区域


def mask_phone(phone: str | None) -> str:
    """138****1234 (EST-03). Short or odd numbers keep at most their last 4 digits."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "*" * len(digits)


MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalise_phone(raw: str) -> str | None:
    """A mainland mobile (11 digits) or landline; None when it is neither."""
    text = re.sub(r"[\s()]", "", raw or "")
    text = re.sub(r"^(\+?86)", "", text)
    if MOBILE.match(text):
        return text
    if LANDLINE.match(text):
        return text
    return None


def new_qr_token() -> str:
    """128 bits from the OS: a label's code cannot be guessed from another's."""
    return secrets.token_urlsafe(16)


#: the columns an import sheet may have, by every header people actually type
IMPORT_HEADERS = {
    "building": ("楼栋", "栋", "楼号", "building"),
    "unit": ("房号", "单元房号", "unit", "room"),
    "floor": ("楼层", "floor"),
    "area": ("面积", "建筑面积", "area"),
    "name": ("姓名", "业主", "业主姓名", "name", "owner"),
    "phone": ("电话", "手机", "联系电话", "phone", "mobile"),
    "relation": ("身份", "关系", "relation"),
}
REQUIRED_HEADERS = ("building", "unit")
RELATION_WORDS = {
    "业主": OccupantRelation.OWNER,
    "owner": OccupantRelation.OWNER,
    "租户": OccupantRelation.TENANT,
    "tenant": OccupantRelation.TENANT,
    "家属": OccupantRelation.FAMILY,
    "family": OccupantRelation.FAMILY,
}


def map_headers(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Column index per known field, and the problems (missing required columns)."""
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = (header or "").strip().lower()
        for name, words in IMPORT_HEADERS.items():
            if key in words and name not in found:
                found[name] = index
    problems = [name for name in REQUIRED_HEADERS if name not in found]
    return found, problems


@dataclass
class ImportRow:
    line: int
    building: str
    unit: str
    floor: int | None = None
    area_centi_m2: int | None = None
    name: str | None = None
    phone: str | None = None
    relation: OccupantRelation = OccupantRelation.OWNER
    #: (column, msgid, params) per problem; a row with any is not imported
    errors: list[tuple[str, str, dict]] = field(default_factory=list)

    def fail(self, column: str, message: str, **params: object) -> None:
        self.errors.append((column, message, params))


def parse_row(line: int, cells: dict[str, str]) -> ImportRow:
    """One sheet row to a checked ImportRow; errors name the column and the problem."""
    row = ImportRow(line=line, building=cells.get("building", "").strip(), unit=cells.get("unit", "").strip())
    if not row.building:
        row.fail("building", N_("Building is empty."))
    elif len(row.building) > 50:
        row.fail("building", N_("Building name is longer than 50 characters."))
    if not row.unit:
        row.fail("unit", N_("Unit number is empty."))
    elif len(row.unit) > 30:
        row.fail("unit", N_("Unit number is longer than 30 characters."))
    floor = cells.get("floor", "").strip()
    if floor:
        try:
            row.floor = int(float(floor))
        except ValueError:
            row.fail("floor", N_("Floor is not a number."))
    area = cells.get("area", "").strip()
    if area:
        try:
            value = float(area)
            if value <= 0 or value > 100000:
                raise ValueError
            row.area_centi_m2 = round(value * 100)
        except ValueError:
            row.fail("area", N_("Area is not a positive number."))
    name = cells.get("name", "").strip()
    phone = cells.get("phone", "").strip()
    if name:
        if len(name) > 50:
            row.fail("name", N_("Name is longer than 50 characters."))
        row.name = name
    if phone:
        row.phone = normalise_phone(phone)
        if row.phone is None:
            row.fail("phone", N_("Not a mobile or landline number."))
        if not name:
            row.fail("name", N_("A phone number needs the owner's name."))
    relation = cells.get("relation", "").strip().lower()
    if relation:
        if relation in RELATION_WORDS:
            row.relation = RELATION_WORDS[relation]
        else:
            row.fail("relation", N_("Relation must be 业主, 租户 or 家属."))
    return row


def duplicate_rows(rows: list[ImportRow]) -> list[ImportRow]:
    """Rows naming the same person twice for the same unit: flagged, not merged silently."""
    seen: dict[tuple, int] = {}
    duplicates = []
    for row in rows:
        if not row.name:
            continue
        key = (row.building, row.unit, row.name, row.phone)
        if key in seen:
            row.fail("unit", N_("Same person and unit as line %(line)s."), line=seen[key])
            duplicates.append(row)
        else:
            seen[key] = row.line
    return duplicates


def inconsistent_units(rows: list[ImportRow]) -> list[ImportRow]:
    """Rows giving the same unit another floor or area than an earlier row: which is right
    cannot be guessed, so the sheet is sent back."""
    first: dict[tuple[str, str], ImportRow] = {}
    flagged = []
    for row in rows:
        key = (row.building, row.unit)
        earlier = first.setdefault(key, row)
        if earlier is row:
            continue
        for column, attribute in (("floor", "floor"), ("area", "area_centi_m2")):
            mine, theirs = getattr(row, attribute), getattr(earlier, attribute)
            if mine is not None and theirs is not None and mine != theirs:
                row.fail(column, N_("Differs from line %(line)s for the same unit."), line=earlier.line)
                flagged.append(row)
                break
    return flagged


#: the building part of a facility code when the facility belongs to no building
SITE_PART = "G"
#: the building part when a building's name has no Latin letters or digits ("会所")
UNNAMED_BUILDING_PART = "B"


def facility_code_prefix(project_code: str, building_name: str | None) -> str:
    """CH-3 for "3栋", JX-A for "A座", CH-G for a site-wide facility."""
    if building_name is None:
        return f"{project_code}-{SITE_PART}"
    ascii_part = re.sub(r"[^0-9A-Za-z]", "", building_name).upper()
    digits = re.sub(r"\D", "", ascii_part)
    # "3栋" → 3, "A座" → A, "T2" → T2; a purely Chinese name gets a fixed letter.
    part = digits if digits and len(digits) == len(ascii_part) else ascii_part
    return f"{project_code}-{part[:8] or UNNAMED_BUILDING_PART}"


def facility_code(project_code: str, building_name: str | None, sequence: int) -> str:
    """Printed under the QR: project, building, sequence (CH-3-012)."""
    return f"{facility_code_prefix(project_code, building_name)}-{sequence:03d}"


def next_facility_sequence(existing_codes: list[str], prefix: str) -> int:
    """One more than the highest sequence already used under `prefix` (gaps stay gaps, so
    a printed code is never handed to another facility)."""
    pattern = re.compile(re.escape(prefix) + r"-(\d+)$")
    used = [int(m.group(1)) for code in existing_codes if (m := pattern.match(code))]
    return max(used, default=0) + 1


def unit_sort_key(number: str) -> tuple:
    """Natural order: 2-902 before 2-1502, 101 before 1001."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.findall(r"\d+|\D+", number or "")
    )


def floor_groups(units: list, floor_of) -> list[tuple[int | None, list]]:
    """Units grouped by floor, top floor first as on the building; unknown floor last."""
    groups: dict[int | None, list] = {}
    for unit in units:
        groups.setdefault(floor_of(unit), []).append(unit)
    floors = sorted((f for f in groups if f is not None), reverse=True)
    ordered = [(f, groups[f]) for f in floors]
    if None in groups:
        ordered.append((None, groups[None]))
    return ordered


#: where a building word written together with its unit number ends: "3栋1502", "2号楼301"
_BUILDING_THEN_NUMBER = re.compile(r"(?<=[栋幢座楼])(?=\d)")


def search_terms(query: str, *, limit: int = 5) -> list[str]:
    """The words of a search box ("3栋 1502" → ["3栋", "1502"]), at most `limit`. A unit
    written the way owners write it, building and number together ("3栋1502"), is two
    words too."""
    words = [part for word in (query or "").split() for part in _BUILDING_THEN_NUMBER.split(word) if part]
    return [word[:50] for word in words][:limit]
