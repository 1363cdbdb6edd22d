"""The xlsx writer keeps owners' and staff's text from running as a formula (OWASP "CSV
injection"): a cell that starts with = + - @ TAB or CR, or a full-width ＝ ＋ － ＠, is
stored as text led by an apostrophe; numbers, dates and other text are left alone."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from webapp.core.spreadsheets import book_bytes, neutralise, write_table

FORMULA_LIKE = [
    "=HYPERLINK(\"http://evil.example\",\"点我\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(1)",
]


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_sec_text_a_spreadsheet_would_run_gets_a_leading_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["楼道灯坏了", "a=b", "1-2", "'=already quoted", "—", "", -5, 3.5, None,
                                   date(2026, 11, 29)])
def test_sec_other_values_are_left_as_they_are(value):
    assert neutralise(value) == value


def test_sec_a_written_table_holds_no_formula_anywhere():
    book = Workbook()
    write_table(book.active, "=title", ["=header", "@header"], [[text, -5] for text in FORMULA_LIKE],
                totals=["+total", 3])
    sheet = load_workbook(io.BytesIO(book_bytes(book))).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert len(texts) == 1 + 2 + len(FORMULA_LIKE) + 1
    assert all(text.startswith("'") for text in texts)
    # the text itself is kept after the apostrophe; numbers stay numbers
    assert sheet["A3"].value == "'" + FORMULA_LIKE[0]
    assert sheet["B3"].value == -5 and sheet["B3"].data_type == "n"
