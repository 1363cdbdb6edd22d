"""EST-01: reading import sheets (.xlsx, .csv in UTF-8 or GBK) without an app."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from webapp.estate.imports import ImportFileError, check_sheet, read_sheet, template_workbook

HEADERS = ["楼栋", "房号", "楼层", "面积", "姓名", "电话", "身份"]


def xlsx(rows: list[list], *, blank_first: bool = False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if blank_first:
        sheet.append([])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    text = "\r\n".join(delimiter.join(str(cell) for cell in row) for row in rows) + "\r\n"
    return text.encode(encoding)


def test_est01_xlsx_numbers_come_back_as_typed():
    data = xlsx([HEADERS, ["3栋", 1502, 15, 89.5, "张三", 13812341234, "业主"]])
    sheet = read_sheet("units.xlsx", data, max_rows=100)
    assert sheet.headers == HEADERS
    assert sheet.rows == [(2, ["3栋", "1502", "15", "89.5", "张三", "13812341234", "业主"])]


def test_est01_line_numbers_are_the_sheet_rows_even_after_blank_rows():
    data = xlsx([HEADERS, ["3栋", "101"], [], ["3栋", "102"]], blank_first=True)
    sheet = read_sheet("units.xlsx", data, max_rows=100)
    assert [line for line, _ in sheet.rows] == [3, 5]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_est01_csv_in_every_encoding_excel_writes_is_read(encoding):
    data = csv_bytes([HEADERS, ["3栋", "1502", "15", "", "张三", "13812341234", "租户"]], encoding)
    sheet = read_sheet("units.csv", data, max_rows=100)
    assert sheet.headers == HEADERS
    assert sheet.rows[0][1][4] == "张三"


def test_est01_csv_with_semicolons_is_read():
    sheet = read_sheet("units.csv", csv_bytes([HEADERS, ["3栋", "1502"]], delimiter=";"), max_rows=10)
    assert sheet.rows[0][1][:2] == ["3栋", "1502"]


def test_est01_xlsx_is_recognised_by_content_whatever_the_name():
    sheet = read_sheet("导出", xlsx([HEADERS, ["3栋", "1"]]), max_rows=10)
    assert sheet.rows[0][1][0] == "3栋"


@pytest.mark.parametrize(
    ("filename", "data", "fragment"),
    [
        ("units.pdf", b"%PDF-1.4 ...", "xlsx"),
        ("units.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
        ("units.xlsx", b"PK\x03\x04 not really a zip", "Excel"),
        ("units.xlsx", b"garbage", "Excel"),
        ("units.csv", b"", "empty"),
        ("units.csv", b"\n\n ,, \n", "empty"),
        ("units.csv", b"\xff\xfe\xfa\x00\x00\x00\x00", "UTF-8"),
        ("units.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "xlsx"),
    ],
)
def test_est01_malformed_files_are_refused_with_a_message(filename, data, fragment):
    with pytest.raises(ImportFileError) as refused:
        read_sheet(filename, data, max_rows=10)
    assert fragment in refused.value.message


def test_est01_a_zip_that_is_no_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ImportFileError):
        read_sheet("units.xlsx", buffer.getvalue(), max_rows=10)


def test_est01_too_many_rows_are_refused_before_reading_them_all():
    rows = [HEADERS] + [["3栋", str(n)] for n in range(12)]
    with pytest.raises(ImportFileError) as refused:
        read_sheet("units.csv", csv_bytes(rows), max_rows=10)
    assert refused.value.params == {"count": 10}
    assert len(read_sheet("units.csv", csv_bytes(rows), max_rows=12).rows) == 12


def test_est01_missing_required_column_is_named_in_chinese():
    sheet = read_sheet("units.csv", csv_bytes([["姓名", "电话"], ["张三", "13812341234"]]), max_rows=10)
    with pytest.raises(ImportFileError) as refused:
        check_sheet(sheet)
    assert refused.value.params == {"columns": "楼栋、房号"}


def test_est01_header_without_rows_is_refused():
    with pytest.raises(ImportFileError):
        check_sheet(read_sheet("units.csv", csv_bytes([HEADERS]), max_rows=10))


def test_est01_check_sheet_reports_line_column_header_and_message():
    data = csv_bytes(
        [
            ["房号", "栋", "电话", "姓名"],
            ["1502", "3栋", "13812341234", "张三"],
            ["", "3栋", "123", "李四"],
            ["1502", "3栋", "13812341234", "张三"],
        ]
    )
    checked = check_sheet(read_sheet("units.csv", data, max_rows=10))
    assert [(line, column) for line, column, _, _ in checked.errors] == [
        (3, "房号"),
        (3, "电话"),
        (4, "房号"),
    ]
    assert checked.errors[2][3] == {"line": 2}


def test_est01_short_rows_read_missing_cells_as_empty():
    checked = check_sheet(read_sheet("units.csv", b"\xe6\xa5\xbc\xe6\xa0\x8b,\xe6\x88\xbf\xe5\x8f\xb7,\xe5\xa7\x93\xe5\x90\x8d\n3\xe6\xa0\x8b,101\n", max_rows=10))
    assert checked.errors == []
    assert checked.rows[0].name is None


def test_est01_template_has_the_chinese_headers_and_reads_back_clean():
    data = template_workbook()
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    first = next(workbook.worksheets[0].iter_rows(values_only=True))
    assert list(first) == HEADERS
    assert "说明" in workbook.sheetnames
    sheet = read_sheet("template.xlsx", data, max_rows=10)
    assert sheet.headers == HEADERS and sheet.rows == []
