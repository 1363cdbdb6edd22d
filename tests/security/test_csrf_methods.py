"""CSRF and HTTP methods (ASVS 5.0 V3.5, V4.1): every state-changing route refuses a
missing, foreign or expired token and changes nothing; every URL rule answers 405 to the
methods it does not implement; no GET changes data.

Each test walks every line of the access matrix (tests/security/access_matrix.toml) inside
one app, collects what went wrong with the route's name, and fails with the whole list.
"Changes nothing" is a sha256 over every table of the database (tests/security/crawl.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from werkzeug.exceptions import HTTPException

from tests import factories
from tests.conftest import HX, csrf_token
from tests.security.crawl import (
    GET_ROUTES,
    POST_ROUTES,
    Ledger,
    crawlers,
    database_checksum,
    get_variants,
    user_for,
)
from tests.security.matrix import ROUTES, arrange, signed_in
from tests.web.test_headers_security import assert_secure_headers
from webapp.core.clock import now as clock_now

#: what every refused form says (the CSRF error page, and the owners' forms that come back
#: with what was typed): "The form expired"
EXPIRED_NOTICE = "表单已过期"
#: the methods a browser, a crawler or a script might send
PROBED_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


def signed_in_remembered(app, username: str):
    """A client signed in with "remember me": its session has no idle limit, so a client
    coming back after the CSRF time limit is refused for its token, not for its session."""
    client = app.test_client()
    response = client.post(
        "/login",
        data={"username": username, "password": factories.PASSWORD, "remember": "y",
              "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303, username
    return client


class Clients:
    """One client per user (signed in once), and a second user's client for foreign tokens."""

    def __init__(self, app, world, remembered: bool = False):
        self.app, self.world, self.remembered = app, world, remembered
        self._clients: dict[str | None, object] = {}

    def client(self, username: str | None):
        if username not in self._clients:
            if username is None:
                self._clients[username] = self.app.test_client()
            elif self.remembered:
                self._clients[username] = signed_in_remembered(self.app, username)
            else:
                self._clients[username] = signed_in(self.app, username)
        return self._clients[username]

    def foreign_token(self, username: str | None) -> str:
        """A valid token of someone else's session: another user's, or for a visitor
        another visitor's."""
        other = None if username is None else self.world.users[("receptionist", "other")]
        if other == username:
            other = self.world.users[("receptionist", "own")]
        foreign = self.app.test_client() if other is None else self.client(other)
        return csrf_token(foreign)


def _refusal_problems(response) -> list[str]:
    problems = []
    if response.status_code != 400:
        problems.append(f"answered {response.status_code}, expected 400")
    elif EXPIRED_NOTICE not in response.get_data(as_text=True):
        problems.append("the 400 page does not say the form expired")
    return problems


REFUSALS = ("no token", "another session's token", "HTMX without the header", "HTMX with another session's header")


@pytest.mark.parametrize("refusal", REFUSALS)
def test_sec_every_post_refuses_a_missing_or_foreign_csrf_token_and_changes_nothing(app, world, refusal):
    arrange(app, world)
    clients = Clients(app, world)
    # everyone signs in (and the foreign tokens are fetched) before the checksum is taken
    foreign = {}
    for route in POST_ROUTES:
        who = user_for(world, route)
        username = who[1] if who else None
        clients.client(username)
        if username not in foreign:
            foreign[username] = clients.foreign_token(username)
    failures = []
    start = database_checksum(app)
    with Ledger(app) as ledger:
        for route in POST_ROUTES:
            who = user_for(world, route)
            username = who[1] if who else None
            client = clients.client(username)
            data = dict(route.data)
            headers = {}
            if refusal == "another session's token":
                data["csrf_token"] = foreign[username]
            elif refusal == "HTMX without the header":
                headers = dict(HX)
            elif refusal == "HTMX with another session's header":
                headers = {**HX, "X-CSRFToken": foreign[username]}
            response = client.open(route.url_for(world.own), method="POST", data=data, headers=headers)
            label = f"{route.endpoint} POST as {who[0].value if who else 'visitor'}"
            failures += [f"{label}: {problem}" for problem in _refusal_problems(response)]
            if changed := ledger.check():
                failures.append(f"{label}: changed {changed}")
    assert failures == []
    assert database_checksum(app) == start


def test_sec_every_post_refuses_an_expired_csrf_token_and_changes_nothing(app, world):
    """A token taken from a page, sent back after WTF_CSRF_TIME_LIMIT (12 hours), by a
    remembered session that is itself still valid."""
    arrange(app, world)
    clients = Clients(app, world, remembered=True)
    limit = timedelta(seconds=app.config["WTF_CSRF_TIME_LIMIT"])
    tokens = {}
    for route in POST_ROUTES:
        who = user_for(world, route)
        username = who[1] if who else None
        if username not in tokens:
            tokens[username] = csrf_token(clients.client(username))
    failures = []
    start = database_checksum(app)
    with time_machine.travel(clock_now() + limit + timedelta(minutes=1), tick=False), Ledger(app) as ledger:
        for route in POST_ROUTES:
            who = user_for(world, route)
            username = who[1] if who else None
            data = {**route.data, "csrf_token": tokens[username]}
            response = clients.client(username).post(route.url_for(world.own), data=data)
            label = f"{route.endpoint} POST as {who[0].value if who else 'visitor'}"
            failures += [f"{label}: {problem}" for problem in _refusal_problems(response)]
            if changed := ledger.check():
                failures.append(f"{label}: changed {changed}")
    assert failures == []
    assert database_checksum(app) == start


def test_sec_a_fresh_token_is_accepted_so_the_refusals_above_are_about_the_token(app, world):
    # The refusals must be able to fail: the same request with the session's own token goes
    # through (here: switching the language, a public POST that writes nothing).
    client = app.test_client()
    route = ROUTES[("org.set_language", "POST")]
    response = client.post(route.url, data={**route.data, "csrf_token": csrf_token(client)})
    assert response.status_code in {302, 303}
    assert _refusal_problems(response)


def _served_by_another_rule(adapter, url: str, method: str, rule) -> bool:
    """/activities/plans/1/print with POST is the plan's verb URL (/plans/<id>/<action>),
    not the print page's: that answer is the other rule's, tested on its own line."""
    try:
        endpoint, _ = adapter.match(url.split("?", 1)[0], method)
    except HTTPException:
        return False
    return endpoint != rule.endpoint


def test_sec_every_rule_answers_405_to_methods_it_does_not_implement_and_changes_nothing(app, world):
    arrange(app, world)
    admin = signed_in(app, world.users[("admin", None)])
    token = csrf_token(admin)
    urls = {endpoint: route.url_for(world.own) for (endpoint, _), route in sorted(ROUTES.items())}
    adapter = app.url_map.bind("localhost")
    failures, tried = [], 0
    start = database_checksum(app)
    with Ledger(app) as ledger:
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            implemented = rule.methods - {"HEAD", "OPTIONS"}
            url = urls[rule.endpoint]
            for method in PROBED_METHODS:
                if method in implemented or _served_by_another_rule(adapter, url, method, rule):
                    continue
                tried += 1
                response = admin.open(url, method=method, data={"csrf_token": token},
                                      headers={"X-CSRFToken": token})
                label = f"{method} {rule.endpoint} ({url})"
                if response.status_code != 405:
                    failures.append(f"{label}: answered {response.status_code}, expected 405")
                    continue
                allow = set(response.headers.get("Allow", "").replace(" ", "").split(","))
                if not implemented <= allow:
                    failures.append(f"{label}: Allow {sorted(allow)} lacks {sorted(implemented)}")
                try:
                    assert_secure_headers(response)
                except (AssertionError, KeyError) as error:
                    failures.append(f"{label}: security headers: {error!r}")
                if changed := ledger.check():
                    failures.append(f"{label}: changed {changed}")
    assert tried > 400
    assert failures == []
    assert database_checksum(app) == start


def test_sec_no_get_changes_data_for_any_role(app, world):
    """Every GET line, as a visitor and as every role, for the own and the other project's
    records, as a page and as an HTMX fragment: the database checksum never moves."""
    arrange(app, world)
    failures, requests = [], 0
    for who, client in crawlers(app, world):
        start = database_checksum(app)
        with Ledger(app) as ledger:
            for route in GET_ROUTES:
                for label, url, headers in get_variants(route, world):
                    response = client.get(url, headers=headers)
                    requests += 1
                    if response.status_code >= 500:
                        failures.append(f"{who} {route.endpoint} {label}: answered {response.status_code}")
                    if changed := ledger.check():
                        failures.append(f"{who} {route.endpoint} {label} ({url}): changed {changed}")
        if database_checksum(app) != start:
            failures.append(f"{who}: the crawl changed the database")
    assert requests > 4000
    assert failures == []


def test_sec_the_get_crawl_catches_a_get_that_writes(app, world):
    # The crawl must be able to fail: a page that marks its notifications read when shown
    # (the lazy "mark as read" a GET must never do) is named with the table it changed.
    import sqlalchemy as sa

    from webapp.core.notify import Notification
    from webapp.extensions import db

    def lazy_inbox():
        db.session.execute(sa.update(Notification).values(read_at=clock_now()))
        db.session.commit()
        return "ok"

    app.add_url_rule("/probe/lazy-inbox", "probe_lazy_inbox", lazy_inbox)
    arrange(app, world)
    client = signed_in(app, world.users[("pm", "own")])
    with Ledger(app) as ledger:
        client.get("/inbox")
        assert ledger.check() == []
        client.get("/probe/lazy-inbox")
        assert ledger.check() == ["notifications"]
