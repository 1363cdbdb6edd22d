"""Reading a units-and-owners sheet (EST-01): .xlsx or .csv bytes → checked ImportRows.

No Flask here: ``read_sheet`` and ``check_sheet`` take bytes and return plain data, so
the whole path from a file to its error report is testable without an app. Writing the
rows is webapp.estate.operations.import_units.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from webapp.core.rulekit import N_, RuleViolation
from webapp.estate.rules import (
    IMPORT_HEADERS,
    ImportRow,
    duplicate_rows,
    inconsistent_units,
    map_headers,
    parse_row,
)

XLSX_MAGIC = b"PK\x03\x04"
#: the old binary Excel format (and other OLE2 files)
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
#: the order and the words of the template's header row (the first of each field's words)
TEMPLATE_FIELDS = ("building", "unit", "floor", "area", "name", "phone", "relation")


class ImportFileError(RuleViolation):
    """The file as a whole cannot be imported (wrong type, unreadable, no header…)."""


@dataclass
class Sheet:
    """Header row and data rows as text, each data row with its line number in the file."""

    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


@dataclass
class CheckedSheet:
    rows: list[ImportRow]
    #: the header text the file used for each field, for the error report
    header_of: dict[str, str]

    @property
    def errors(self) -> list[tuple[int, str, str, dict]]:
        """(line, column header, msgid, params) of every problem, in file order."""
        return [
            (row.line, self.header_of.get(column, column), message, params)
            for row in sorted(self.rows, key=lambda r: r.line)
            for column, message, params in row.errors
        ]


def header_label(name: str) -> str:
    """The Chinese header a field is known by (楼栋, 房号…)."""
    return IMPORT_HEADERS[name][0]


def _text(value: object) -> str:
    """A cell as people typed it: 1502 not 1502.0, a phone number without exponent."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _blank(cells: list[str]) -> bool:
    return not any(cell for cell in cells)


def _collect(lines, max_rows: int) -> Sheet:
    """Header = the first non-blank row; blank rows are skipped but keep their numbers."""
    headers: list[str] | None = None
    sheet = Sheet(headers=[])
    for number, raw in lines:
        cells = [_text(value) for value in raw]
        if _blank(cells):
            continue
        if headers is None:
            headers = cells
            sheet.headers = cells
            continue
        if len(sheet.rows) >= max_rows:
            raise ImportFileError(
                N_("The file has more than %(count)s rows. Split it into several files."),
                count=max_rows,
            )
        sheet.rows.append((number, cells))
    if headers is None:
        raise ImportFileError(N_("The file is empty."))
    return sheet


def _read_xlsx(data: bytes, max_rows: int) -> Sheet:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, Exception) as exc:  # openpyxl raises many kinds on bad files
        raise ImportFileError(N_("The Excel file could not be read. Is it damaged?")) from exc
    try:
        worksheet = workbook.worksheets[0] if workbook.worksheets else None
        if worksheet is None:
            raise ImportFileError(N_("The file is empty."))
        lines = ((number, row) for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1))
        return _collect(lines, max_rows)
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else GB18030
    (what Excel in China saves as "CSV")."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(N_("The file's text encoding is not UTF-8 or GBK. Save it again as CSV."))


def _delimiter(text: str) -> str:
    """Comma as Excel writes it; a semicolon or tab when the header row clearly uses one."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {mark: header.count(mark) for mark in (",", ";", "\t")}
    best = max(counts, key=lambda mark: counts[mark])
    return best if counts[best] > 0 else ","


def _read_csv(data: bytes, max_rows: int) -> Sheet:
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        raise ImportFileError(N_("The file's text encoding is not UTF-8 or GBK. Save it again as CSV.")) from exc
    if "\x00" in text:
        raise ImportFileError(N_("Choose an .xlsx or .csv file."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return _collect(((reader.line_num, row) for row in reader), max_rows)
    except csv.Error as exc:
        raise ImportFileError(N_("The CSV file could not be read. Save it again from Excel.")) from exc


def read_sheet(filename: str, data: bytes, *, max_rows: int) -> Sheet:
    """The first worksheet of an .xlsx, or a .csv, as text rows. Raises ImportFileError."""
    name = (filename or "").lower()
    if not data:
        raise ImportFileError(N_("The file is empty."))
    if data.startswith(XLSX_MAGIC) and not name.endswith(".csv"):
        return _read_xlsx(data, max_rows)
    if name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, max_rows)
    if name.endswith(".xls") or data.startswith(XLS_MAGIC):
        raise ImportFileError(N_("Old .xls files cannot be read: save the sheet as .xlsx or .csv."))
    if name.endswith((".csv", ".txt")):
        return _read_csv(data, max_rows)
    raise ImportFileError(N_("Choose an .xlsx or .csv file."))


def check_sheet(sheet: Sheet) -> CheckedSheet:
    """Map the headers, parse every row and check the rows against each other.

    Raises ImportFileError when required columns are missing; row problems stay on the
    rows (see CheckedSheet.errors)."""
    columns, missing = map_headers(sheet.headers)
    if missing:
        raise ImportFileError(
            N_("Missing column: %(columns)s. Download the template to see the headers."),
            columns="、".join(header_label(name) for name in missing),
        )
    header_of = {name: sheet.headers[index] for name, index in columns.items()}
    rows = []
    for line, cells in sheet.rows:
        values = {name: cells[index] if index < len(cells) else "" for name, index in columns.items()}
        rows.append(parse_row(line, values))
    if not rows:
        raise ImportFileError(N_("The file has a header row but no units."))
    duplicate_rows(rows)
    inconsistent_units(rows)
    return CheckedSheet(rows=rows, header_of=header_of)


def template_workbook() -> bytes:
    """The empty sheet to fill in: the headers, text-formatted columns for numbers that
    must keep their zeros, and a second sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "房号业主"
    sheet.append([header_label(name) for name in TEMPLATE_FIELDS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFG", (10, 12, 8, 10, 12, 16, 8), strict=True):
        sheet.column_dimensions[letter].width = width
    # Unit numbers like 0201 and phone numbers must stay text in Excel.
    for letter in ("B", "F"):
        for row in range(2, 2001):
            sheet[f"{letter}{row}"].number_format = "@"
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("说明")
    notes.append(["列", "必填", "说明", "示例"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for row in (
        ("楼栋", "是", "楼栋名称，与系统中一致；没有的楼栋会新建", "3栋"),
        ("房号", "是", "同一楼栋内唯一", "1502"),
        ("楼层", "否", "整数", "15"),
        ("面积", "否", "建筑面积，平方米", "89.5"),
        ("姓名", "否", "业主或住户姓名；同一房号多人时每人一行", "张三"),
        ("电话", "否", "手机或座机；填电话时必须填姓名", "13812345678"),
        ("身份", "否", "业主、租户或家属；不填为业主", "业主"),
    ):
        notes.append(list(row))
    notes.append([])
    notes.append(["只读取第一个工作表；任何一行有错误时整个文件都不会导入。"])
    for letter, width in zip("ABCD", (8, 6, 44, 14), strict=True):
        notes.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
