"""Estate rules (EST-01 import rows, EST-02 codes and tokens, EST-03 masking): no app."""

from __future__ import annotations

import pytest

from webapp.estate.rules import (
    FacilityKind,
    ImportRow,
    OccupantRelation,
    duplicate_rows,
    facility_code,
    facility_code_prefix,
    floor_groups,
    inconsistent_units,
    map_headers,
    mask_phone,
    new_qr_token,
    next_facility_sequence,
    normalise_phone,
    parse_row,
    search_terms,
    unit_sort_key,
)

# ---------------------------------------------------------------- EST-03 masking


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("138 1234 1234", "138****1234"),
        ("021-12345678", "021****5678"),
        ("0571-87654321", "057****4321"),
        ("87654321", "****4321"),
        ("12345", "*2345"),
        ("1234", "****"),
        ("12", "**"),
        ("", ""),
        (None, ""),
    ],
)
def test_est03_mask_phone_keeps_at_most_the_first_three_and_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked


def test_est03_masked_mobile_never_contains_the_middle_digits():
    assert "5678" not in mask_phone("13956781234")


# ---------------------------------------------------------------- phone normalising


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("13812341234", "13812341234"),
        ("+86 138 1234 1234", "13812341234"),
        ("8613812341234", "13812341234"),
        ("(021)12345678", "02112345678"),
        ("021-12345678", "021-12345678"),
        ("0571-8765432", "0571-8765432"),
    ],
)
def test_est01_normalise_phone_accepts_mobiles_and_landlines(raw, normal):
    assert normalise_phone(raw) == normal


@pytest.mark.parametrize("raw", ["12812341234", "1381234123", "abc", "", None, "138123412345"])
def test_est01_normalise_phone_refuses_what_is_no_phone_number(raw):
    assert normalise_phone(raw) is None


# ---------------------------------------------------------------- EST-02 tokens and codes


def test_est02_qr_tokens_are_128_bit_and_unique():
    tokens = {new_qr_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(token) == 22 for token in tokens)  # 16 bytes, url-safe base64


@pytest.mark.parametrize(
    ("building", "code"),
    [
        ("3栋", "CH-3-012"),
        ("12号楼", "CH-12-012"),
        ("A座", "CH-A-012"),
        ("t2栋", "CH-T2-012"),
        ("会所", "CH-B-012"),
        (None, "CH-G-012"),
    ],
)
def test_est02_facility_code_names_project_building_and_sequence(building, code):
    assert facility_code("CH", building, 12) == code


def test_est02_buildings_with_letters_get_distinct_codes():
    assert len({facility_code_prefix("JX", name) for name in ("A座", "B座", "C座", None)}) == 4


def test_est02_next_facility_sequence_follows_the_highest_used_under_the_prefix():
    codes = ["CH-3-001", "CH-3-007", "CH-3-002", "CH-33-050", "CH-3-x", "XX-3-099"]
    assert next_facility_sequence(codes, "CH-3") == 8
    assert next_facility_sequence([], "CH-3") == 1


def test_est02_facility_kinds_and_relations_are_closed_vocabularies():
    assert {k.value for k in FacilityKind} == {"patrol_point", "equipment", "public_area"}
    assert {r.value for r in OccupantRelation} == {"owner", "tenant", "family"}


# ---------------------------------------------------------------- EST-01 headers


def test_est01_map_headers_recognises_chinese_and_english_headers():
    columns, missing = map_headers(["楼栋", " 房号 ", "楼层", "建筑面积", "业主姓名", "手机", "身份"])
    assert columns == {"building": 0, "unit": 1, "floor": 2, "area": 3, "name": 4, "phone": 5, "relation": 6}
    assert missing == []
    columns, missing = map_headers(["Building", "Unit", "Phone"])
    assert columns == {"building": 0, "unit": 1, "phone": 2}


def test_est01_map_headers_reports_missing_required_columns():
    columns, missing = map_headers(["姓名", "电话", None])
    assert missing == ["building", "unit"]


def test_est01_map_headers_keeps_the_first_of_two_columns_for_one_field():
    columns, _ = map_headers(["楼栋", "房号", "电话", "手机"])
    assert columns["phone"] == 2


# ---------------------------------------------------------------- EST-01 rows


def _cells(**overrides):
    cells = {"building": "3栋", "unit": "1502", "floor": "15", "area": "89.5", "name": "张三",
             "phone": "13812341234", "relation": "业主"}
    cells.update(overrides)
    return cells


def test_est01_parse_row_reads_a_complete_row():
    row = parse_row(7, _cells(relation="租户"))
    assert row.errors == []
    assert (row.line, row.building, row.unit, row.floor) == (7, "3栋", "1502", 15)
    assert row.area_centi_m2 == 8950
    assert (row.name, row.phone, row.relation) == ("张三", "13812341234", OccupantRelation.TENANT)


def test_est01_parse_row_accepts_a_unit_without_people():
    row = parse_row(2, {"building": "3栋", "unit": "101"})
    assert row.errors == [] and row.name is None and row.relation is OccupantRelation.OWNER


def test_est01_parse_row_takes_excel_floats_for_floors():
    assert parse_row(2, _cells(floor="15.0")).floor == 15


def _columns(row: ImportRow) -> list[str]:
    return [column for column, _, _ in row.errors]


@pytest.mark.parametrize(
    ("overrides", "column"),
    [
        ({"building": ""}, "building"),
        ({"building": "栋" * 51}, "building"),
        ({"unit": " "}, "unit"),
        ({"unit": "1" * 31}, "unit"),
        ({"floor": "十五"}, "floor"),
        ({"area": "大"}, "area"),
        ({"area": "0"}, "area"),
        ({"area": "-3"}, "area"),
        ({"area": "100001"}, "area"),
        ({"name": "名" * 51}, "name"),
        ({"phone": "12345"}, "phone"),
        ({"name": ""}, "name"),  # a phone without a name
        ({"relation": "朋友"}, "relation"),
    ],
)
def test_est01_parse_row_names_the_column_of_each_problem(overrides, column):
    row = parse_row(3, _cells(**overrides))
    assert _columns(row) == [column]
    assert all(message for _, message, _ in row.errors)


def test_est01_parse_row_collects_every_problem_of_a_row():
    row = parse_row(4, {"building": "", "unit": "", "floor": "x", "phone": "1"})
    assert _columns(row) == ["building", "unit", "floor", "phone", "name"]


def test_est01_relation_words_are_case_insensitive_english_too():
    assert parse_row(2, _cells(relation="Family")).relation is OccupantRelation.FAMILY


# ---------------------------------------------------------------- EST-01 rows together


def test_est01_duplicate_rows_flags_the_same_person_twice_for_a_unit():
    rows = [parse_row(2, _cells()), parse_row(3, _cells(relation="家属")), parse_row(4, _cells(unit="1503"))]
    flagged = duplicate_rows(rows)
    assert [r.line for r in flagged] == [3]
    column, message, params = rows[1].errors[0]
    assert column == "unit" and params == {"line": 2}


def test_est01_duplicate_rows_ignores_rows_without_people():
    rows = [parse_row(2, {"building": "3栋", "unit": "1"}), parse_row(3, {"building": "3栋", "unit": "1"})]
    assert duplicate_rows(rows) == []


def test_est01_two_people_of_one_unit_are_no_duplicates():
    rows = [parse_row(2, _cells()), parse_row(3, _cells(name="李四", phone="13900001111"))]
    assert duplicate_rows(rows) == []


def test_est01_inconsistent_units_flags_another_floor_or_area_for_the_same_unit():
    rows = [
        parse_row(2, _cells()),
        parse_row(3, _cells(name="李四", phone="", floor="16")),
        parse_row(4, _cells(name="王五", phone="", area="90")),
        parse_row(5, _cells(name="赵六", phone="", floor="", area="")),
    ]
    flagged = inconsistent_units(rows)
    assert [r.line for r in flagged] == [3, 4]
    assert rows[1].errors[0][0] == "floor" and rows[2].errors[0][0] == "area"
    assert rows[3].errors == []


# ---------------------------------------------------------------- ordering and search


def test_est01_units_sort_naturally():
    assert sorted(["1502", "902", "101"], key=unit_sort_key) == ["101", "902", "1502"]
    assert sorted(["2-1001", "2-901", "1-1502"], key=unit_sort_key) == ["1-1502", "2-901", "2-1001"]
    assert sorted(["B12", "B2", "A3"], key=unit_sort_key) == ["A3", "B2", "B12"]


def test_est01_floor_groups_put_the_top_floor_first_and_unknown_last():
    units = [("101", 1), ("x", None), ("1501", 15), ("102", 1)]
    groups = floor_groups(units, lambda unit: unit[1])
    assert [floor for floor, _ in groups] == [15, 1, None]
    assert [u[0] for u in groups[1][1]] == ["101", "102"]


def test_est01_search_terms_split_on_spaces_and_are_bounded():
    assert search_terms("  3栋   1502 ") == ["3栋", "1502"]
    assert search_terms("") == []
    assert len(search_terms("a b c d e f g")) == 5
    assert search_terms("x" * 80) == ["x" * 50]


def test_est01_search_terms_split_a_building_written_together_with_its_unit():
    assert search_terms("3栋1502") == ["3栋", "1502"]
    assert search_terms("2号楼301 张") == ["2号楼", "301", "张"]
    assert search_terms("B座1203") == ["B座", "1203"]
    # a number before the building word, or a name, stays whole
    assert search_terms("1502室") == ["1502室"]
    assert search_terms("张栋梁") == ["张栋梁"]
