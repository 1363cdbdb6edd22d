"""On PostgreSQL the app's own role cannot change the audit trail (ORG-03, ASVS V16/V8).

A deployment runs the migrations as the database's owner and the app as a separate role
named by DATABASE_APP_ROLE (deploy/README.md, "The database roles"). Here, on a
throwaway database of the PostgreSQL server (TEST_DATABASE_URL, or the local server when
that is unset; skipped only when no server answers): two fresh roles without superuser
rights, the migrations run as the owner, then every check connects as the app role.
Roles are cluster-wide, so their names are unique to the run and they are dropped after.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

import tests.databases
from tests.conftest import post
from tests.databases import throwaway_database
from webapp import create_app
from webapp.config import TestConfig
from webapp.core.audit import AuditTrailIsAppendOnly
from webapp.core.models import AuditEvent
from webapp.extensions import db
from webapp.slips.models import Slip

LOCAL_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SERVER_URL = tests.databases.TEST_DATABASE_URL or LOCAL_SERVER
APP_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")


def _server_or_skip() -> sa.Engine:
    engine = sa.create_engine(
        SERVER_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as connection:
            can_create_roles = connection.execute(
                sa.text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
            ).scalar()
    except sa.exc.OperationalError as exc:
        engine.dispose()
        pytest.skip(f"no PostgreSQL server answers at {sa.engine.make_url(SERVER_URL).host}: {exc}")
    if not can_create_roles:
        engine.dispose()
        pytest.skip("the PostgreSQL test user may not create roles")
    return engine


def _url_as(url: str, role: str, password: str) -> str:
    return (
        sa.engine.make_url(url).set(username=role, password=password).render_as_string(hide_password=False)
    )


def _app(url: str, media_dir: str):
    return create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url, "MEDIA_DIR": media_dir})


def _previous_revision() -> str:
    config = flask_migrate.current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_revision("ab2c3d4e0015").down_revision


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[SimpleNamespace]:
    """Owner and app roles, a database owned by the owner, migrated by the owner with
    DATABASE_APP_ROLE naming the app role."""
    server = _server_or_skip()
    suffix = f"{os.getpid()}_{secrets.token_hex(3)}"
    owner, app_role = f"estatedesk_owner_{suffix}", f"estatedesk_app_{suffix}"
    owner_password, app_password = secrets.token_hex(12), secrets.token_hex(12)
    media_dir = str(tmp_path_factory.mktemp("media"))
    try:
        with server.connect() as connection:
            connection.execute(sa.text(f'CREATE ROLE "{owner}" LOGIN PASSWORD \'{owner_password}\''))
            connection.execute(sa.text(f'CREATE ROLE "{app_role}" LOGIN PASSWORD \'{app_password}\''))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(tests.databases, "TEST_DATABASE_URL", SERVER_URL)
            patch.setenv("DATABASE_APP_ROLE", app_role)
            with throwaway_database("estatedesk_roles_test") as url:
                database = sa.engine.make_url(url).database
                with server.connect() as connection:
                    connection.execute(sa.text(f'ALTER DATABASE "{database}" OWNER TO "{owner}"'))
                owner_url = _url_as(url, owner, owner_password)
                owner_app = _app(owner_url, media_dir)
                with owner_app.app_context():
                    flask_migrate.upgrade()
                    db.engine.dispose()
                yield SimpleNamespace(
                    owner=owner,
                    role=app_role,
                    owner_url=owner_url,
                    app_url=_url_as(url, app_role, app_password),
                    owner_app=owner_app,
                    media_dir=media_dir,
                    patch=patch,
                )
                with owner_app.app_context():
                    db.engine.dispose()
    finally:
        with server.connect() as connection:
            for role in (app_role, owner):
                exists = connection.execute(
                    sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
                ).scalar()
                if exists:
                    connection.execute(sa.text(f'DROP OWNED BY "{role}"'))
                    connection.execute(sa.text(f'DROP ROLE "{role}"'))
        server.dispose()


@pytest.fixture
def as_app(cluster) -> Iterator[sa.Engine]:
    """An engine connected as the app role."""
    engine = sa.create_engine(cluster.app_url)
    yield engine
    engine.dispose()


@pytest.fixture
def as_owner(cluster) -> Iterator[sa.Engine]:
    engine = sa.create_engine(cluster.owner_url)
    yield engine
    engine.dispose()


@pytest.fixture
def app(cluster, as_owner):
    """The app itself connected as the app role (overrides conftest's `app`, so `client`,
    `world` and `login` work on this database). Rows are removed by the owner after."""
    application = _app(cluster.app_url, cluster.media_dir)
    with application.app_context():
        assert db.session.scalar(sa.text("SELECT current_user")) == cluster.role
        db.session.remove()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    _empty_tables(as_owner)


def _empty_tables(owner_engine: sa.Engine) -> None:
    """Empty every table but the audit trail's; the events are removed with the database."""
    tables = ", ".join(
        f'"{t.name}"' for t in db.metadata.sorted_tables if t.name != AuditEvent.__tablename__
    )
    with owner_engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        connection.execute(sa.text(f"TRUNCATE {tables}, audit_events RESTART IDENTITY CASCADE"))
        connection.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER USER"))


def _refusal(engine: sa.Engine, sql: str) -> str:
    """Run one statement in its own transaction; the database's refusal, or '' if it ran."""
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(sql))
    except sa.exc.DBAPIError as exc:
        return f"{exc.orig.sqlstate} {exc.orig}"
    return ""


def _add_company_project_and_event(engine: sa.Engine) -> int:
    with engine.begin() as connection:
        company_id = connection.execute(
            sa.text("INSERT INTO companies (name) VALUES ('测试物业') RETURNING id")
        ).scalar_one()
        project_id = connection.execute(
            sa.text("INSERT INTO projects (company_id, code, name, active, version) "
                    "VALUES (:c, 'T', '测试项目', true, 1) RETURNING id"),
            {"c": company_id},
        ).scalar_one()
        connection.execute(
            sa.text("INSERT INTO audit_events (project_id, entity_type, entity_id, action, note, at) "
                    "VALUES (:p, 'projects', :p, 'created', 'original', now())"),
            {"p": project_id},
        )
    return project_id


# -------------------------------------------------------------------------------------


def test_sec_app_role_appends_and_reads_audit_events_but_update_delete_truncate_are_denied(as_app):
    project_id = _add_company_project_and_event(as_app)
    with as_app.connect() as connection:
        before = connection.execute(sa.text("SELECT id, note FROM audit_events ORDER BY id")).all()
    for sql in (
        "UPDATE audit_events SET note = 'rewritten'",
        f"UPDATE audit_events SET actor_id = NULL WHERE project_id = {project_id}",
        "DELETE FROM audit_events",
        f"DELETE FROM audit_events WHERE project_id = {project_id}",
        "TRUNCATE audit_events",
        "TRUNCATE projects CASCADE",
    ):
        refusal = _refusal(as_app, sql)
        assert refusal.startswith("42501") and "permission denied" in refusal, (sql, refusal)
    with as_app.connect() as connection:
        after = connection.execute(sa.text("SELECT id, note FROM audit_events ORDER BY id")).all()
    assert after == before and after[-1].note == "original"


def test_sec_app_role_privileges_as_the_database_reports_them(cluster, as_app):
    with as_app.connect() as connection:
        role = connection.execute(
            sa.text("SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls "
                    "FROM pg_roles WHERE rolname = current_user")
        ).one()

        def may(table: str, privilege: str) -> bool:
            return connection.execute(
                sa.text("SELECT has_table_privilege(current_user, :t, :p)"), {"t": table, "p": privilege}
            ).scalar()

        audit = {p: may("audit_events", p) for p in (*APP_TABLE_PRIVILEGES, "TRUNCATE")}
        version = {p: may("alembic_version", p) for p in (*APP_TABLE_PRIVILEGES, "TRUNCATE")}
        others = {
            (table, p): may(table, p)
            for table in db.metadata.tables
            if table != "audit_events"
            for p in (*APP_TABLE_PRIVILEGES, "TRUNCATE")
        }
        owned = connection.execute(
            sa.text("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
        ).scalar()
        may_create = connection.execute(
            sa.text("SELECT has_schema_privilege(current_user, current_schema(), 'CREATE')")
        ).scalar()
        sequences = connection.execute(
            sa.text("SELECT bool_and(has_sequence_privilege(current_user, c.oid, 'USAGE')) "
                    "FROM pg_class c WHERE c.relkind = 'S'")
        ).scalar()

    assert tuple(role) == (cluster.role, False, False, False, False)
    assert audit == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False, "TRUNCATE": False}
    assert version == {"SELECT": True, "INSERT": False, "UPDATE": False, "DELETE": False, "TRUNCATE": False}
    assert len(others) == 5 * (len(db.metadata.tables) - 1)
    denied = {key for key, allowed in others.items() if allowed != (key[1] != "TRUNCATE")}
    assert denied == set(), "the app role lacks (or has TRUNCATE on) these tables"
    assert (owned, may_create, sequences) == (0, False, True)


def test_sec_the_app_connected_as_its_role_does_its_ordinary_work(app, client, world, login):
    """Sign-in (session rows), filing a slip and receiving it at the desk (insert and
    update, each with its audit event) work through the real routes as the app role."""
    login(world.users[("staff", "own")])
    response = post(client, "/slips/new", {
        "submission_key": "k-roles", "category": "facility", "description": "消防通道堆放杂物",
        "place_text": "3栋地下车库", "source": "seen_on_site",
    })
    assert response.status_code == 303, response.get_data(as_text=True)
    slip_id = int(response.location.rsplit("/", 1)[1])
    post(client, "/logout")
    login(world.users[("receptionist", "own")])
    with app.app_context():
        version = db.session.get(Slip, slip_id, execution_options={"all_projects": True}).version
    response = post(client, f"/slips/{slip_id}/receive", {
        "version": str(version), "department_id": str(world.own.department_id),
    })
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        slip = db.session.get(Slip, slip_id, execution_options={"all_projects": True})
        assert slip.status == "assigned" and slip.version > version
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_type == "slips", AuditEvent.entity_id == slip_id)
            .order_by(AuditEvent.id).execution_options(all_projects=True)
        ).all()
        assert actions == ["slip_filed", "slip_received"]
        # The ORM's guard still answers first, before the database is asked.
        with pytest.raises(AuditTrailIsAppendOnly):
            db.session.execute(sa.update(AuditEvent).values(note="x"))
        db.session.rollback()
    # And bypassing the ORM, the database refuses.
    with app.app_context():
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            with db.engine.begin() as connection:
                connection.execute(AuditEvent.__table__.update().values(note="x"))


def test_sec_tables_of_later_migrations_are_the_app_roles_by_default(as_owner, as_app):
    with as_owner.begin() as connection:
        connection.execute(sa.text("CREATE TABLE later_things (id serial PRIMARY KEY, name text)"))
    try:
        with as_app.begin() as connection:
            connection.execute(sa.text("INSERT INTO later_things (name) VALUES ('a')"))
            connection.execute(sa.text("UPDATE later_things SET name = 'b'"))
            assert connection.execute(sa.text("SELECT name FROM later_things")).scalars().all() == ["b"]
            connection.execute(sa.text("DELETE FROM later_things"))
        assert _refusal(as_app, "TRUNCATE later_things").startswith("42501")
        assert _refusal(as_app, "DROP TABLE later_things").startswith("42501")
    finally:
        with as_owner.begin() as connection:
            connection.execute(sa.text("DROP TABLE later_things"))


def test_sec_the_privileges_migration_refuses_an_unknown_role_and_downgrades_cleanly(cluster, as_app, caplog):
    with cluster.owner_app.app_context():
        previous = _previous_revision()
        flask_migrate.downgrade(revision=previous)
        with as_app.connect() as connection:
            revoked = connection.execute(
                sa.text("SELECT has_table_privilege(current_user, 'slips', 'SELECT')")
            ).scalar()
        assert revoked is False

        cluster.patch.setenv("DATABASE_APP_ROLE", f"{cluster.role}_missing")
        with pytest.raises(SystemExit):  # `flask db upgrade` stops with the message
            flask_migrate.upgrade()
        assert f"{cluster.role}_missing: no such PostgreSQL role" in caplog.text
        cluster.patch.setenv("DATABASE_APP_ROLE", cluster.role)
        flask_migrate.upgrade()
        db.engine.dispose()
    with as_app.connect() as connection:
        granted = connection.execute(
            sa.text("SELECT has_table_privilege(current_user, 'slips', 'UPDATE'), "
                    "has_table_privilege(current_user, 'audit_events', 'UPDATE')")
        ).one()
    assert tuple(granted) == (True, False)


def test_sec_the_privileges_migration_does_nothing_on_sqlite(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_APP_ROLE", "estatedesk_app")
    application = _app(f"sqlite:///{tmp_path / 'roles.db'}", str(tmp_path))
    with application.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            head = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        config = flask_migrate.current_app.extensions["migrate"].migrate.get_config()
        heads = set(ScriptDirectory.from_config(config).get_heads())
        db.engine.dispose()
    assert {head} == heads


def _readme_grants(owner: str, role: str) -> str:
    """The statements deploy/README.md gives for an installation that adds the app role
    after the migration ran, for these roles."""
    text = (Path(__file__).resolve().parents[2] / "deploy" / "README.md").read_text(encoding="utf-8")
    block = text.split("psql -v ON_ERROR_STOP=1 -d estatedesk <<'SQL'\n", 1)[1].split("\nSQL\n", 1)[0]
    return block.replace("estatedesk_app", "\0").replace("FOR ROLE estatedesk ", f'FOR ROLE "{owner}" ').replace(
        "\0", f'"{role}"'
    )


def test_sec_the_guides_grants_for_an_existing_installation_match_the_migration(cluster, tmp_path):
    """deploy/README.md's statements, run by the superuser on a database migrated without
    DATABASE_APP_ROLE, give the app role exactly what the migration gives."""
    statements = _readme_grants(cluster.owner, cluster.role)
    assert "REVOKE UPDATE, DELETE, TRUNCATE ON audit_events" in statements
    with throwaway_database("estatedesk_roles_guide") as url:
        database = sa.engine.make_url(url).database
        superuser = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with superuser.connect() as connection:
                connection.execute(sa.text(f'ALTER DATABASE "{database}" OWNER TO "{cluster.owner}"'))
            cluster.patch.delenv("DATABASE_APP_ROLE")
            try:
                owner_app = _app(_url_as(url, cluster.owner, sa.engine.make_url(cluster.owner_url).password),
                                 cluster.media_dir)
                with owner_app.app_context():
                    flask_migrate.upgrade()
                    db.engine.dispose()
            finally:
                cluster.patch.setenv("DATABASE_APP_ROLE", cluster.role)
            app_url = _url_as(url, cluster.role, sa.engine.make_url(cluster.app_url).password)
            as_app = sa.create_engine(app_url)
            try:
                with as_app.connect() as connection:
                    before = connection.execute(
                        sa.text("SELECT has_table_privilege(current_user, 'slips', 'SELECT')")
                    ).scalar()
                with superuser.connect() as connection:
                    for statement in filter(None, (s.strip() for s in statements.split(";"))):
                        connection.execute(sa.text(statement))
                    connection.execute(sa.text(f'SET ROLE "{cluster.owner}"'))
                    connection.execute(sa.text("CREATE TABLE later_things (id serial PRIMARY KEY)"))
                    connection.execute(sa.text("RESET ROLE"))
                with as_app.begin() as connection:
                    after = {
                        (table, p): connection.execute(
                            sa.text("SELECT has_table_privilege(current_user, :t, :p)"), {"t": table, "p": p}
                        ).scalar()
                        for table in ("slips", "audit_events", "alembic_version", "later_things")
                        for p in (*APP_TABLE_PRIVILEGES, "TRUNCATE")
                    }
                    connection.execute(sa.text("INSERT INTO later_things DEFAULT VALUES"))
            finally:
                as_app.dispose()
        finally:
            superuser.dispose()
    assert before is False
    expected = {
        "slips": {"SELECT", "INSERT", "UPDATE", "DELETE"},
        "audit_events": {"SELECT", "INSERT"},
        "alembic_version": {"SELECT"},
        "later_things": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    }
    assert {key for key, allowed in after.items() if allowed} == {
        (table, p) for table, granted in expected.items() for p in granted
    }


# The main workflows of tests/security/test_integrity_audit.py once more, the app connected
# as its own role: every step works without the owner's privileges, writes one event, and
# nothing rewrites the trail.
from tests.security.test_integrity_audit import (  # noqa: E402, F401, I001 - fixtures and tests reused
    services,
    trail,
    test_sec_a_complaint_from_recording_to_callback_writes_one_event_per_step as test_sec_as_app_role_a_complaint_workflow,
    test_sec_a_paid_service_from_registration_to_closed_writes_one_event_per_step as test_sec_as_app_role_a_paid_service_workflow,
    test_sec_a_slip_from_filing_to_closed_writes_one_event_per_step as test_sec_as_app_role_a_slip_workflow,
    test_sec_an_activity_plan_through_its_approval_writes_one_event_per_step as test_sec_as_app_role_an_activity_plan_workflow,
    test_sec_disabling_enabling_and_granting_write_one_event_each as test_sec_as_app_role_user_administration,
    test_sec_reception_entries_write_one_event_per_step as test_sec_as_app_role_reception_workflow,
)
