"""APP-06: a double submit creates one record; a key reused with other content is refused."""

import pytest
import sqlalchemy as sa

from webapp.core import idempotency
from webapp.core.models import Submission
from webapp.core.rulekit import RuleViolation
from webapp.estate.models import Facility
from webapp.extensions import db
from webapp.org.models import User


def _pm(world):
    return db.session.scalar(sa.select(User).where(User.username == world.users[("pm", "own")]))


def test_app06_the_same_key_and_body_finds_the_first_record(app, world):
    with app.app_context():
        pm = _pm(world)
        facility = db.session.get(Facility, world.own.facility_id)
        body = idempotency.fingerprint({"name": "水泵房", "floor": "B1"})
        assert idempotency.previous(db.session, "k1", pm.id, body) is None
        idempotency.remember(db.session, "k1", pm.id, facility, body)
        db.session.commit()
        again = idempotency.previous(db.session, "k1", pm.id, idempotency.fingerprint({"floor": "B1", "name": "水泵房"}))
        assert (again.entity_type, again.entity_id) == ("facilities", facility.id)


def test_app06_the_same_key_with_another_body_is_refused(app, world):
    with app.app_context():
        pm = _pm(world)
        facility = db.session.get(Facility, world.own.facility_id)
        idempotency.remember(db.session, "k2", pm.id, facility, idempotency.fingerprint({"name": "A"}))
        db.session.commit()
        with pytest.raises(RuleViolation):
            idempotency.previous(db.session, "k2", pm.id, idempotency.fingerprint({"name": "B"}))


def test_app06_keys_belong_to_one_user(app, world):
    with app.app_context():
        pm = _pm(world)
        other = db.session.scalar(sa.select(User).where(User.username == world.users[("receptionist", "own")]))
        facility = db.session.get(Facility, world.own.facility_id)
        body = idempotency.fingerprint({"name": "A"})
        idempotency.remember(db.session, "k3", pm.id, facility, body)
        db.session.commit()
        assert idempotency.previous(db.session, "k3", other.id, body) is None


def test_app06_a_racing_second_insert_of_the_same_key_fails_at_the_database(app, world):
    with app.app_context():
        pm = _pm(world)
        facility = db.session.get(Facility, world.own.facility_id)
        body = idempotency.fingerprint({"name": "A"})
        idempotency.remember(db.session, "k4", pm.id, facility, body)
        idempotency.remember(db.session, "k4", pm.id, facility, body)
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0
