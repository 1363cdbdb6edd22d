"""Optimistic locking: the later of two saves is refused and names who saved meanwhile."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.core import locking
from webapp.core.models import AuditEvent
from webapp.extensions import db
from webapp.org import operations
from webapp.org.models import Project, User


def _user(session, username: str) -> User:
    return session.scalar(sa.select(User).where(User.username == username))


def test_org01_check_version_with_a_stale_version_names_who_saved(world, session):
    admin = _user(session, world.users[("admin", None)])
    admin.display_name = "赵管理"
    project = session.get(Project, world.own.id)
    operations.update_project(
        session, admin, project, version=1, code="OWN", name="第一次保存", address=None, active=True
    )
    locking.commit(session, project)
    assert project.version == 2

    with pytest.raises(locking.EditConflict) as caught:
        locking.check_version(session, project, "1")
    assert caught.value.changed_by == "赵管理"
    assert "赵管理" in str(caught.value)


@pytest.mark.parametrize("submitted", [None, "", "abc", "3"])
def test_org01_a_missing_or_unknown_version_is_a_conflict_too(world, session, submitted):
    project = session.get(Project, world.own.id)
    with pytest.raises(locking.EditConflict) as caught:
        locking.check_version(session, project, submitted)
    assert caught.value.changed_by is None


def test_org01_the_current_version_passes(world, session):
    project = session.get(Project, world.own.id)
    locking.check_version(session, project, str(project.version))


def test_org01_a_concurrent_update_in_another_session_is_caught_at_commit(world, app):
    """Both sessions read version 1 and pass check_version; the second UPDATE finds the
    row at version 2, and locking.commit turns that into EditConflict."""
    with app.app_context():
        first = so.Session(db.engine)
        second = so.Session(db.engine)
        try:
            alice = _user(first, world.users[("admin", None)])
            bob = _user(second, world.users[("gm", None)])
            alice.display_name = "艾丽斯"
            mine = first.get(Project, world.own.id)
            theirs = second.get(Project, world.own.id)

            operations.update_project(
                first, alice, mine, version=1, code="OWN", name="艾丽斯的名字", address=None, active=True
            )
            operations.update_project(
                second, bob, theirs, version=1, code="OWN", name="鲍勃的名字", address="鲍勃路", active=True
            )
            locking.commit(first, mine)
            with pytest.raises(locking.EditConflict) as caught:
                locking.commit(second, theirs)
            assert caught.value.changed_by == "艾丽斯"
        finally:
            first.close()
            second.close()

        stored = db.session.get(Project, world.own.id)
        assert (stored.name, stored.address, stored.version) == ("艾丽斯的名字", None, 2)
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity_type == "projects", AuditEvent.action == "updated")
        ).all()
        assert [e.changes["name"][1] for e in events] == ["艾丽斯的名字"]
