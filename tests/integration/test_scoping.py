"""ORG-02: one mechanism scopes every query; writes outside the scope are refused."""

import pytest
import sqlalchemy as sa

from webapp.core import scoping
from webapp.core.scoping import ScopeViolation
from webapp.estate.models import Building, Facility, Unit
from webapp.extensions import db
from webapp.org.models import Project


def test_org02_select_sees_only_projects_in_scope(app, world):
    with app.test_request_context():
        scoping.set_scope(frozenset({world.own.id}))
        names = db.session.scalars(sa.select(Building.name)).all()
        assert names == ["own1栋"]
        assert db.session.get(Building, world.other.building_id) is None
        projects = db.session.scalars(sa.select(Project.code)).all()
        assert projects == ["OWN"]


def test_org02_joins_and_relationships_are_scoped_too(app, world):
    with app.test_request_context():
        scoping.set_scope(frozenset({world.own.id}))
        rows = db.session.execute(sa.select(Unit.number, Building.name).join(Unit.building)).all()
        assert [tuple(r) for r in rows] == [("1502", "own1栋")]
        counted = db.session.scalar(sa.select(sa.func.count()).select_from(Facility))
        assert counted == 1


def test_org02_company_scope_sees_every_project(app, world):
    with app.test_request_context():
        scoping.set_scope(None)
        assert len(db.session.scalars(sa.select(Building)).all()) == 2


def test_org02_empty_scope_sees_nothing(app, world):
    with app.test_request_context():
        scoping.set_scope(frozenset())
        assert db.session.scalars(sa.select(Building)).all() == []


def test_org02_bulk_update_cannot_reach_another_project(app, world):
    with app.test_request_context():
        scoping.set_scope(frozenset({world.own.id}))
        db.session.execute(sa.update(Building).values(floors=99))
        db.session.commit()
        scoping.set_scope(None)
        floors = dict(db.session.execute(sa.select(Building.project_id, Building.floors)).all())
        assert floors[world.own.id] == 99
        assert floors[world.other.id] != 99


def test_org02_writing_into_another_project_is_refused(app, world):
    with app.test_request_context():
        scoping.set_scope(frozenset({world.own.id}))
        db.session.add(Building(project_id=world.other.id, name="sneaky"))
        with pytest.raises(ScopeViolation):
            db.session.flush()
        db.session.rollback()
        scoping.set_scope(None)
        assert db.session.scalar(sa.select(Building).where(Building.name == "sneaky")) is None


def test_org02_unrestricted_block_lifts_and_restores_the_scope(app, world):
    with app.test_request_context():
        scoping.set_scope(frozenset({world.own.id}))
        with scoping.unrestricted():
            assert len(db.session.scalars(sa.select(Building)).all()) == 2
        assert len(db.session.scalars(sa.select(Building)).all()) == 1
