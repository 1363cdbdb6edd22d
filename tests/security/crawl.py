"""Crawling the access matrix: a checksum of the whole database (to prove a request changed
nothing) and the requests of every GET line, as each role, for the own and the other
project, as a page and as an HTMX fragment.

Used by the CSRF/method tests and the header tests (tests/security/test_csrf_methods.py,
tests/security/test_headers_everywhere.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from tests.conftest import HX
from tests.security.matrix import PUBLIC, ROUTES, SIGNED_IN_ROLES, Route, signed_in, username_for
from webapp.extensions import db
from webapp.org.rules import Role

#: Columns a request writes about its own sign-in session, not about the company's data:
#: every few minutes a signed-in request moves its session's last_seen_at and, with it, the
#: idle expiry (expires_at); opening the paid-service signing page puts the device on the
#: shared tablet's short timeout (handed_over_at, webapp.org.auth.hand_over). All three only
#: shorten or extend how long that one session lives; leaving them in would make any request
#: "change" the database.
BOOKKEEPING_COLUMNS = {
    ("auth_sessions", "last_seen_at"),
    ("auth_sessions", "expires_at"),
    ("auth_sessions", "handed_over_at"),
}
WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "MERGE", "TRUNCATE", "ALTER", "DROP", "CREATE")


def table_digests(app) -> dict[str, str]:
    """One sha256 per table of the app's metadata: every row, ordered by primary key, every
    column except the bookkeeping ones above."""
    digests = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in BOOKKEEPING_COLUMNS]
            digest = hashlib.sha256()
            rows = db.session.execute(sa.select(*columns).order_by(*table.primary_key.columns))
            for row in rows:
                digest.update(repr(tuple(row)).encode())
                digest.update(b"\n")
            digests[table.name] = digest.hexdigest()
        db.session.rollback()
    return digests


def database_checksum(app) -> str:
    """A sha256 over every table (see table_digests)."""
    return hashlib.sha256(repr(sorted(table_digests(app).items())).encode()).hexdigest()


@contextmanager
def write_statements(app) -> Iterator[list[str]]:
    """The data-changing SQL statements sent to the database inside the block. A request
    that sent none cannot have changed the checksum, so the crawls recompute the checksum
    only after a request that did (a full checksum per request would take minutes)."""
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split(None, 1)[0].upper() in WRITE_VERBS:
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


class Ledger:
    """The database's state over a crawl: `check(who_what)` after each request names the
    tables that request changed (recomputing the checksum only when it wrote)."""

    def __init__(self, app):
        self.app = app
        self.digests = table_digests(app)
        self._writes = write_statements(app)
        self.statements = self._writes.__enter__()

    def check(self) -> list[str]:
        if not self.statements:
            return []
        self.statements.clear()
        after = table_digests(self.app)
        changed = changed_tables(self.digests, after)
        self.digests = after
        return changed

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self._writes.__exit__(None, None, None)


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in after if before.get(name) != after[name])


GET_ROUTES = sorted((route for route in ROUTES.values() if route.method == "GET"), key=lambda r: r.endpoint)
POST_ROUTES = sorted((route for route in ROUTES.values() if route.method == "POST"), key=lambda r: r.endpoint)


def get_variants(route: Route, world) -> Iterator[tuple[str, str, dict]]:
    """(label, url, headers): the page and the HTMX fragment, for the own project's ids and,
    where the URL names a project's record, for the other project's too."""
    projects = [("own", world.own)] + ([("other", world.other)] if route.project_bound else [])
    for key, ids in projects:
        url = route.url_for(ids)
        yield f"{key} page", url, {}
        yield f"{key} fragment", url, HX


def crawlers(app, world) -> Iterator[tuple[str, object]]:
    """(who, test client): a visitor, then every role signed in in turn."""
    yield "anonymous", app.test_client()
    for role in SIGNED_IN_ROLES:
        yield role.value, signed_in(app, username_for(world, role))


def user_for(world, route: Route) -> tuple[Role, str] | None:
    """A role the matrix line allows on its own project and that role's username (None for a
    public line). A line allowing nobody by role is the notification's own PM."""
    if route.allowed == PUBLIC:
        return None
    if not route.allowed:
        return Role.PM, world.users[("pm", "own")]
    role = min(route.allowed)
    return role, username_for(world, role)
