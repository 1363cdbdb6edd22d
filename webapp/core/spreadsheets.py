"""xlsx exports of the summary tables (APP-05): one way to write a titled table, keep
owners' and staff's text from running as a formula, size the columns and send the file.

openpyxl is imported inside the functions: only the export routes pay for loading it.
"""

from __future__ import annotations

import io
import re
from urllib.parse import quote

from flask import Response

#: the xlsx is the company's paperwork: Chinese whatever the reader's language
PAPERWORK_LOCALE = "zh_CN"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: a cell starting with one of these is a formula to a spreadsheet (CSV/formula injection,
#: OWASP's list); the full-width forms too, which Chinese input methods type and Excel and
#: WPS take for the ASCII ones when a cell is edited
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def display_width(value) -> int:
    """Columns a value takes in a spreadsheet: CJK characters are twice as wide."""
    text = "" if value is None else str(value)
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in longest)


def fit_columns(sheet, first_row: int, minimum: int = 8, maximum: int = 40) -> None:
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            widths[cell.column] = max(widths.get(cell.column, 0), display_width(cell.value))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, minimum), maximum)


def write_table(
    sheet,
    title: str,
    header: list[str],
    rows: list[list],
    totals: list | None = None,
    *,
    freeze: str = "B3",
    maximum_width: int = 40,
) -> None:
    """A bold title in row 1 (merged across the table), the header in row 2, the rows,
    and a bold totals row when given. Every value is neutralised."""
    from openpyxl.styles import Alignment, Font

    sheet.append([neutralise(title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([neutralise(text) for text in header])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for values in rows:
        sheet.append([neutralise(value) for value in values])
    if totals is not None:
        sheet.append([neutralise(value) for value in totals])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    if len(header) > 1:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.freeze_panes = freeze
    fit_columns(sheet, first_row=2, maximum=maximum_width)


def percent_column(sheet, column: int, first_row: int = 3) -> None:
    """Show a column of shares (0.25) as percentages (25%)."""
    for row in sheet.iter_rows(min_row=first_row, min_col=column, max_col=column):
        row[0].number_format = "0%"


def share(rate: float | None) -> float | None:
    """A rate as stored in a cell: four decimals, empty when there is nothing to count."""
    return None if rate is None else round(rate, 4)


def book_bytes(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(data: bytes, ascii_name: str, readable_name: str) -> Response:
    """The download: a plain ASCII file name for old clients, the readable (Chinese) one
    for the others; never cached (the sheets carry owners' data)."""
    response = Response(data, mimetype=XLSX_MIME)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", ascii_name)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{safe}"; filename*=UTF-8\'\'{quote(readable_name, safe="")}'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
