"""Estate operations against a real database: import (EST-01), facilities (EST-02),
phone reveals (EST-03)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tests.conftest import count_queries
from webapp.core.locking import EditConflict
from webapp.core.models import AuditEvent
from webapp.estate import operations
from webapp.estate.models import Building, Facility, Occupancy, Owner, Unit
from webapp.estate.rules import duplicate_rows, parse_row
from webapp.extensions import db
from webapp.org.models import Project, User


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _rows(specs: list[dict]):
    rows = [parse_row(n, spec) for n, spec in enumerate(specs, start=2)]
    duplicate_rows(rows)
    return rows


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_est01_import_matches_owners_by_name_and_phone_within_the_project_only(app, world):
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        actor = _user(world.users[("pm", "own")])
        rows = _rows([
            {"building": "own1栋", "unit": "1502", "name": "own业主", "phone": "13900001111"},  # known here
            {"building": "own1栋", "unit": "1503", "name": "other业主", "phone": "13722223333"},  # known elsewhere
            {"building": "own1栋", "unit": "1504", "name": "own业主", "phone": "13900002222"},  # same name, new phone
        ])
        event = operations.import_units(db.session, actor, project, rows)
        db.session.commit()
        counts = {key: value[1] for key, value in event.changes.items()}
        assert counts["owners_matched"] == 1 and counts["owners_created"] == 2
        assert counts["occupancies_added"] == 2  # the known owner was already linked to 1502
        in_own = db.session.scalars(sa.select(Owner.name).where(Owner.project_id == world.own.id)).all()
        assert sorted(in_own) == ["other业主", "own业主", "own业主"]
        assert db.session.get(Owner, world.other.owner_id).occupancies[0].unit_id == world.other.unit_id


def test_est01_import_changes_the_relation_of_a_known_occupant(app, world):
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        rows = _rows([{"building": "own1栋", "unit": "1502", "name": "own业主", "phone": "13900001111",
                       "relation": "租户"}])
        event = operations.import_units(db.session, _user(world.users[("pm", "own")]), project, rows)
        db.session.commit()
        assert event.changes["occupancies_updated"] == [None, 1]
        occupancy = db.session.scalar(sa.select(Occupancy).where(Occupancy.owner_id == world.own.owner_id))
        assert occupancy.relation == "tenant"


def test_est01_import_refuses_rows_with_errors(app, world):
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        rows = _rows([{"building": "own1栋", "unit": ""}])
        with pytest.raises(ValueError):
            operations.import_units(db.session, _user(world.users[("pm", "own")]), project, rows)


def test_est01_import_runs_a_fixed_number_of_selects_whatever_the_sheet_length(app, world):
    def selects_for(n: int, building: str) -> int:
        specs = [{"building": building, "unit": f"{i:04d}", "floor": str(i // 4 + 1), "name": f"人{building}{i}",
                  "phone": f"138{i:08d}"} for i in range(n)]
        with app.app_context():
            project = db.session.get(Project, world.own.id)
            actor = _user(world.users[("pm", "own")])
            rows = _rows(specs)
            with count_queries(app) as statements:
                operations.import_units(db.session, actor, project, rows)
                db.session.flush()
            db.session.commit()
            return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))

    assert selects_for(5, "A座") == selects_for(200, "B座")


def test_est01_a_failed_import_leaves_nothing_behind(app, world):
    with app.app_context():
        before = (_count(Building), _count(Unit), _count(Owner), _count(Occupancy))
        project = db.session.get(Project, world.own.id)
        rows = _rows([{"building": "新楼", "unit": "101", "name": "甲", "phone": "13800000001"}])
        operations.import_units(db.session, _user(world.users[("pm", "own")]), project, rows)
        db.session.rollback()  # what the request does when anything fails before commit
        assert (_count(Building), _count(Unit), _count(Owner), _count(Occupancy)) == before
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_est02_facility_codes_are_unique_within_a_project(app, world):
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        code = db.session.get(Facility, world.own.facility_id).code
        db.session.add(Facility(project_id=project.id, name="重号", qr_token="t" * 22, code=code))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        other = db.session.get(Project, world.other.id)
        db.session.add(Facility(project_id=other.id, name="别的项目同号", qr_token="u" * 22, code=code))
        db.session.flush()  # the same code in another project is fine


def test_est02_new_code_follows_the_highest_one_even_after_gaps(app, world):
    with app.app_context():
        project = db.session.get(Project, world.own.id)
        building = db.session.get(Building, world.own.building_id)
        actor = _user(world.users[("pm", "own")])
        db.session.add(Facility(project_id=project.id, building_id=building.id, name="旧", qr_token="v" * 22,
                                code="OWN-OWN1-007"))
        db.session.flush()
        facility = operations.create_facility(db.session, actor, project, building, {"name": "新", "kind": "equipment"})
        db.session.commit()
        assert facility.code == "OWN-OWN1-008"


def test_est01_update_facility_refuses_a_stale_version_naming_the_editor(app, world):
    with app.app_context():
        facility = db.session.get(Facility, world.own.facility_id)
        pm = _user(world.users[("pm", "own")])
        pm.display_name = "李经理"
        operations.update_facility(db.session, pm, facility, None, {"name": "A"}, 1)
        db.session.commit()
        with pytest.raises(EditConflict) as conflict:
            operations.update_facility(db.session, _user(world.users[("cs_supervisor", "own")]),
                                       facility, None, {"name": "B"}, 1)
        assert conflict.value.changed_by == "李经理"
        assert db.session.get(Facility, world.own.facility_id).name == "A"


def test_est03_reveal_phone_appends_an_event_by_the_actor(app, world):
    with app.app_context():
        owner = db.session.get(Owner, world.own.owner_id)
        actor = _user(world.users[("receptionist", "own")])
        assert operations.reveal_phone(db.session, actor, owner) == "13900001111"
        db.session.commit()
        event = db.session.scalar(sa.select(AuditEvent))
        assert (event.action, event.entity_type, event.entity_id, event.actor_id) == (
            "phone_revealed", "owners", owner.id, actor.id)
