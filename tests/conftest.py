"""Fixtures in the style of Flask's tutorial: app, client, login; factory fixtures.

Every app test runs on SQLite (a fresh file per test) and, when TEST_DATABASE_URL is
set, again on PostgreSQL in a database of the run's own on that server (schema built
once, tables emptied after each test): the `database` fixture's parameter, shown in the
test id as [sqlite]/[postgresql].

Do not hold an app context open across client requests: a request reuses an open
context, and with it `g` (the project scope) and the session. Build records inside
`with app.app_context():` and pass plain values (ids, usernames) to requests.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests import factories
from tests.databases import TEST_DATABASE_URL, throwaway_database
from webapp import create_app
from webapp.config import ProductionConfig, TestConfig
from webapp.extensions import db

_pg_schema_ready = False


DATABASES = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


@pytest.fixture(params=DATABASES)
def database(request) -> str:
    """Every app test runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set."""
    return request.param


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """This run's own database on the TEST_DATABASE_URL server (see tests/databases.py)."""
    with throwaway_database("estatedesk_tests") as url:
        yield url


@pytest.fixture
def app_config(tmp_path) -> dict:
    """Override in a test module to change configuration before the app is created."""
    return {}


@pytest.fixture
def app(request, tmp_path, app_config, database):
    global _pg_schema_ready
    on_postgresql = database == "postgresql"
    database_url = (
        request.getfixturevalue("postgresql_url") if on_postgresql else f"sqlite:///{tmp_path / 'test.db'}"
    )
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MEDIA_DIR": str(tmp_path / "media"),
        **app_config,
    }
    application = create_app(TestConfig, config)
    with application.app_context():
        if on_postgresql:
            if not _pg_schema_ready:
                db.drop_all()
                with db.engine.begin() as connection:
                    connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
                db.create_all()
                _pg_schema_ready = True
        else:
            db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        if on_postgresql:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of this client's session, read from a page as a browser would
    (signed in, /login leads on to My work, which carries it too)."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = CSRF_PATTERN.search(html)
    assert match, f"no CSRF token on {path}"
    return next(group for group in match.groups() if group)


def post(client, path: str, data: dict | None = None, **kwargs):
    """POST with this client's CSRF token added, like a form in the browser."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client))
    return client.post(path, data=data, **kwargs)


@pytest.fixture
def login(client):
    """login("ch.pm") signs the test client in as that user."""

    def do_login(username: str, password: str = factories.PASSWORD, remember: bool = False):
        data = {"username": username, "password": password}
        if remember:
            data["remember"] = "y"
        response = post(client, "/login", data)
        assert response.status_code == 303, f"login as {username} failed: {response.status_code}"
        return response

    return do_login


@pytest.fixture
def session(app) -> Iterator:
    """The database session inside an app context, for arranging and checking records.

    Only for tests that make no client requests while it is open."""
    with app.app_context():
        yield db.session


@pytest.fixture
def world(app):
    """Two projects of one company with a user for every role in each, and one building,
    unit, owner and facility per project. Returns plain ids and usernames.

    `world.own` is the project the tests act in, `world.other` the one that must stay
    invisible; `world.users[(role, "own"|"other")]` a username; company roles have
    `world.users[(role, None)]`.
    """
    from webapp.org.rules import COMPANY_ROLES, DEPARTMENT_ROLES, PROJECT_ROLES

    with app.app_context():
        session = db.session
        company = factories.make_company(session)
        result = SimpleNamespace(users={}, projects={})
        for key, code in (("own", "OWN"), ("other", "OTH")):
            project = factories.make_project(session, company, code=code, name=f"{key}项目")
            department = factories.make_department(session, project, "security", f"{key}安全部")
            building = factories.make_building(session, project, name=f"{key}1栋")
            unit = factories.make_unit(session, building, number="1502")
            owner = factories.make_owner(
                session, unit, name=f"{key}业主", phone="13900001111" if key == "own" else "13722223333"
            )
            facility = factories.make_facility(session, project, building, name=f"{key}水泵房")
            for role in sorted(PROJECT_ROLES):
                user = factories.make_user(session, f"{key}.{role}", roles=[(role, project, None)])
                result.users[(role, key)] = user.username
            for role in sorted(DEPARTMENT_ROLES):
                user = factories.make_user(session, f"{key}.{role}", roles=[(role, project, department)])
                result.users[(role, key)] = user.username
            result.projects[key] = SimpleNamespace(
                id=project.id,
                code=project.code,
                department_id=department.id,
                building_id=building.id,
                unit_id=unit.id,
                owner_id=owner.id,
                owner_name=owner.name,
                owner_phone=owner.phone,
                facility_id=facility.id,
                facility_token=facility.qr_token,
            )
        for role in sorted(COMPANY_ROLES):
            user = factories.make_user(session, f"company.{role}", roles=[(role, None, None)])
            result.users[(role, None)] = user.username
        session.commit()
    result.own = result.projects["own"]
    result.other = result.projects["other"]
    return result


@contextmanager
def count_queries(app) -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block (N+1 checks)."""
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def queries(app):
    return lambda: count_queries(app)


HX = {"HX-Request": "true"}


@pytest.fixture
def production_app(tmp_path, monkeypatch):
    """The production settings (secure cookies and all) on a SQLite file, with one PM."""
    monkeypatch.setenv("ESTATEDESK_ALLOW_SQLITE", "1")
    application = create_app(
        ProductionConfig,
        {
            "SECRET_KEY": secrets.token_hex(32),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'production.db'}",
            "MEDIA_DIR": str(tmp_path / "media"),
            "RATELIMIT_STORAGE_URI": "memory://",
        },
    )
    with application.app_context():
        db.create_all()
        company = factories.make_company(db.session)
        project = factories.make_project(db.session, company, code="PRD")
        factories.make_user(db.session, "prod.pm", roles=[("pm", project, None)])
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
