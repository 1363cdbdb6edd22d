"""EST-01: bulk import of units and owners from .xlsx/.csv — all rows or none."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from tests.conftest import post
from webapp.core.models import AuditEvent
from webapp.estate.models import Building, Occupancy, Owner, Unit
from webapp.extensions import db

HEADERS = ["楼栋", "房号", "楼层", "面积", "姓名", "电话", "身份"]


def xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], encoding: str) -> bytes:
    return ("\r\n".join(",".join(str(c) for c in row) for row in rows) + "\r\n").encode(encoding)


def upload(client, project_id, data: bytes, filename: str):
    return post(client, "/estate/import", {"project": str(project_id), "sheet": (io.BytesIO(data), filename)},
                content_type="multipart/form-data")


def _html(response) -> str:
    return response.get_data(as_text=True)


def _count_on(page: str, key: str) -> int:
    match = re.search(rf'<dd id="count-{key}">(\d+)</dd>', page)
    assert match, key
    return int(match.group(1))


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Building, Unit, Owner, Occupancy, AuditEvent)
        }


GOOD_ROWS = [
    HEADERS,
    ["3栋", "1502", 15, 89.5, "张三", 13812341234, "业主"],
    ["3栋", "1502", 15, 89.5, "李四", "13912345678", "租户"],
    ["3栋", "1501", 15, None, "王五", None, None],
    ["own1栋", "1502", 5, 120, "own业主", "13900001111", "业主"],  # already on record
    ["own1栋", "1601", 16, None, None, None, None],
]


def test_est01_import_page_offers_the_projects_the_user_may_edit(client, world, login):
    login(world.users[("pm", "own")])
    response = client.get("/estate/import")
    html = _html(response)
    assert response.status_code == 200 and "<html" in html
    assert f'value="{world.own.id}"' in html and "other项目" not in html
    assert 'enctype="multipart/form-data"' in html


@pytest.mark.parametrize("role", ["receptionist", "staff", "publicist", "dept_supervisor"])
def test_est01_only_estate_editors_may_import(client, world, login, role):
    login(world.users[(role, "own")])
    assert client.get("/estate/import").status_code == 403
    assert client.get("/estate/import/template.xlsx").status_code == 403
    assert upload(client, world.own.id, xlsx(GOOD_ROWS), "units.xlsx").status_code == 403


def test_est01_xlsx_import_creates_and_updates_in_one_go_and_reports_counts(app, client, world, login):
    login(world.users[("cs_supervisor", "own")])
    before = counts(app)
    response = upload(client, world.own.id, xlsx(GOOD_ROWS), "units.xlsx")
    assert response.status_code == 303
    page = _html(client.get(response.location))
    after = counts(app)
    assert after["buildings"] == before["buildings"] + 1
    assert after["units"] == before["units"] + 3  # 3栋 1502, 3栋 1501, own1栋 1601
    assert after["owners"] == before["owners"] + 3  # the known owner is matched, not duplicated
    assert after["occupancies"] == before["occupancies"] + 3
    assert _count_on(page, "units-created") == 3
    assert _count_on(page, "units-updated") == 1
    assert _count_on(page, "owners-created") == 3
    assert _count_on(page, "owners-matched") == 1
    assert _count_on(page, "buildings-created") == 1
    with app.app_context():
        unit = db.session.scalar(sa.select(Unit).join(Building).where(Building.name == "3栋", Unit.number == "1502"))
        assert (unit.floor, unit.area_centi_m2) == (15, 8950)
        people = {o.owner.name: (o.owner.phone, o.relation) for o in unit.occupancies}
        assert people == {"张三": ("13812341234", "owner"), "李四": ("13912345678", "tenant")}
        known = db.session.get(Unit, world.own.unit_id)
        assert (known.floor, known.area_centi_m2) == (5, 12000)  # updated in place
        [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "imported")).all()
        assert event.entity_type == "projects" and event.entity_id == world.own.id
        assert event.changes["units_created"] == [None, 3]
        assert event.changes["units_updated"] == [None, 1]
        assert event.changes["owners_created"] == [None, 3]
        assert event.changes["owners_matched"] == [None, 1]
        assert event.changes["buildings_created"] == [None, 1]
        assert event.note == "units.xlsx"


def test_est01_importing_the_same_sheet_twice_adds_nothing_the_second_time(app, client, world, login):
    login(world.users[("cs_supervisor", "own")])
    upload(client, world.own.id, xlsx(GOOD_ROWS), "units.xlsx")
    first = counts(app)
    assert upload(client, world.own.id, xlsx(GOOD_ROWS), "units.xlsx").status_code == 303
    second = counts(app)
    assert {k: v for k, v in second.items() if k != "audit_events"} == {
        k: v for k, v in first.items() if k != "audit_events"}


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_est01_csv_saved_by_excel_in_gbk_or_utf8_imports(app, client, world, login, encoding):
    login(world.users[("pm", "own")])
    rows = [HEADERS, ["5栋", "0201", "2", "", "赵六", "021-12345678", "家属"]]
    response = upload(client, world.own.id, csv_bytes(rows, encoding), "业主名单.csv")
    assert response.status_code == 303
    with app.app_context():
        owner = db.session.scalar(sa.select(Owner).where(Owner.name == "赵六"))
        assert owner.phone == "021-12345678" and owner.project_id == world.own.id
        assert owner.occupancies[0].unit.number == "0201"
        assert owner.occupancies[0].relation == "family"


def test_est01_one_bad_row_imports_nothing_and_reports_line_and_column(app, client, world, login):
    login(world.users[("pm", "own")])
    before = counts(app)
    rows = GOOD_ROWS + [
        ["3栋", "", 3, None, "钱七", "13812340000", "业主"],          # line 7: no unit
        ["3栋", "1503", "三楼", None, "孙八", "12345", "朋友"],       # line 8: floor, phone, relation
        ["3栋", "1502", 15, 89.5, "张三", 13812341234, "家属"],       # line 9: duplicate of line 2
    ]
    response = upload(client, world.own.id, xlsx(rows), "units.xlsx")
    html = _html(response)
    assert response.status_code == 422
    assert counts(app) == before
    assert 'id="import-errors"' in html
    report = html[html.index('id="import-errors"'):]
    cells = [tuple(cell.strip() for cell in row) for row in
             re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", report)]
    assert [(line, column) for line, column, _ in cells] == [
        ("7", "房号"), ("8", "楼层"), ("8", "电话"), ("8", "身份"), ("9", "房号")]
    assert all(text for _, _, text in cells)
    assert "2" in cells[-1][2]  # names the line it repeats


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("units.pdf", b"%PDF-1.4"),
        ("units.xlsx", b"PK\x03\x04 broken"),
        ("units.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64),
        ("units.csv", b""),
        ("units.csv", "姓名,电话\n张三,13812341234\n".encode()),
    ],
)
def test_est01_malformed_file_changes_nothing_and_says_why(app, client, world, login, filename, data):
    login(world.users[("pm", "own")])
    before = counts(app)
    response = upload(client, world.own.id, data, filename)
    html = _html(response)
    assert response.status_code == 422
    assert counts(app) == before
    assert 'id="sheet-error"' in html


def test_est01_too_many_rows_changes_nothing(app, client, world, login):
    app.config["MAX_IMPORT_ROWS"] = 3
    login(world.users[("pm", "own")])
    before = counts(app)
    response = upload(client, world.own.id, xlsx(GOOD_ROWS), "units.xlsx")
    assert response.status_code == 422 and 'id="sheet-error"' in _html(response)
    assert counts(app) == before


def test_est01_import_without_a_file_asks_for_one(client, world, login):
    login(world.users[("pm", "own")])
    response = post(client, "/estate/import", {"project": str(world.own.id)})
    assert response.status_code == 422 and 'id="sheet-error"' in _html(response)


def test_est01_template_download_is_an_xlsx_with_the_chinese_headers(client, world, login):
    login(world.users[("pm", "own")])
    response = client.get("/estate/import/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    header = next(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert list(header) == HEADERS
