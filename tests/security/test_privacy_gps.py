"""PIPL: a staff member's position is recorded only as the place of a slip they file
(SLIP-01: the phone's GPS with its accuracy, once, when filing), never tracked.

- the only columns that hold a position are the slip's (where the problem is) and the
  facility's (typed by the administrator, the patrol point's own place);
- no other form or endpoint takes a position, and a position posted anywhere else is
  stored nowhere;
- the browser is asked for the position once, on the slip form, never watched;
- a photo's own EXIF GPS is removed when it is stored: that is proven by
  tests/unit/test_media_images.py::test_slip10_phone_photo_is_turned_upright_and_loses_its_gps_position
  and tests/security/test_upload_corpus.py, not repeated here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sqlalchemy as sa

from tests import factories
from tests.conftest import post
from webapp.extensions import db
from webapp.reception.models import ReceptionEntry
from webapp.slips.models import Slip

REPO = Path(__file__).resolve().parents[2]
POSITION = re.compile(r"latitude|longitude|accuracy|gps|geo|coord|^lat$|^lng$|^lon$", re.I)
#: the columns allowed to hold a position: a slip's place, a facility's typed coordinates
ALLOWED_COLUMNS = {
    ("slips", "latitude"), ("slips", "longitude"), ("slips", "accuracy_m"),
    ("facilities", "latitude"), ("facilities", "longitude"),
}


def test_sec_gps_only_slips_and_facilities_have_a_place_for_a_position(app):
    found = {
        (table.name, column.name)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if POSITION.search(column.name)
    }
    assert found == ALLOWED_COLUMNS
    users = {column.name for column in db.metadata.tables["users"].columns}
    assert not {name for name in users if POSITION.search(name)}, "a user row holds no position"


def _form_fields_named_like_a_position() -> set[tuple[str, str]]:
    """(module, class) of every form class with a field named like a position."""
    found = set()
    for path in sorted((REPO / "webapp").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
                    names = [t.id for t in statement.targets if isinstance(t, ast.Name)]
                    if any(POSITION.search(name) for name in names):
                        found.add((str(path.relative_to(REPO)), node.name))
    return found


def test_sec_gps_only_the_slip_form_and_the_facility_form_take_a_position():
    forms = {(module, name) for module, name in _form_fields_named_like_a_position() if "models" not in module}
    assert forms == {("webapp/slips/forms.py", "SlipForm"), ("webapp/estate/forms.py", "FacilityForm")}
    # and no view reads a position from the request by hand
    for path in sorted((REPO / "webapp").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"request\.(form|args|values|json|get_json\(\))[^\n]*(latitude|longitude|accuracy)", text), path


def test_sec_gps_the_browser_is_asked_once_on_the_slip_form_and_never_watched():
    scripts = [p for p in (REPO / "static").rglob("*.js") if "vendor" not in p.parts]
    asking = {str(p.relative_to(REPO)) for p in scripts if "geolocation" in p.read_text(encoding="utf-8")}
    assert asking == {"static/js/slip-form.js"}
    code = (REPO / "static/js/slip-form.js").read_text(encoding="utf-8")
    assert "getCurrentPosition" in code
    assert "watchPosition" not in code and "setInterval" not in code.split("function locate", 1)[1].split("function ", 1)[0]
    templates = [p for p in (REPO / "templates").rglob("*.html") if "geolocation" in p.read_text(encoding="utf-8")]
    assert templates == []


def _slip_form(**values) -> dict:
    return {
        "submission_key": "gps-" + str(factories._next()), "category": "facility", "description": "井盖松动",
        "place_text": "3栋地下车库", "source": "seen_on_site", **values,
    }


def test_sec_gps_a_slip_keeps_the_position_it_was_filed_with_and_other_forms_keep_none(app, client, world, login):
    login(world.users[("receptionist", "own")])
    assert post(client, "/slips/new", _slip_form(latitude="22.543100", longitude="114.057900",
                                                 accuracy_m="12")).status_code == 303
    assert post(client, "/slips/new", _slip_form()).status_code == 303
    # a position sent with another form is not taken
    assert post(client, "/reception/new", {
        "submission_key": "gps-r", "channel": "visit", "content": "门禁坏了",
        "owner_choice": f"{world.own.unit_id}:{world.own.owner_id}",
        "latitude": "22.5", "longitude": "114.0", "accuracy_m": "5",
    }).status_code == 303
    client.get("/?latitude=22.5&longitude=114.0")
    with app.app_context():
        slips = db.session.execute(
            sa.select(Slip.latitude, Slip.longitude, Slip.accuracy_m).order_by(Slip.id)
        ).all()
        assert [tuple(row) for row in slips] == [(22.5431, 114.0579, 12.0), (None, None, None)]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReceptionEntry)) == 1
        # nothing else anywhere holds the position sent with the other requests
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if POSITION.search(column.name) and (table.name, column.name) != ("slips", "latitude"):
                    values = db.session.scalars(sa.select(column).where(column.is_not(None))).all()
                    assert 22.5 not in values and 114.0 not in values, (table.name, column.name)
