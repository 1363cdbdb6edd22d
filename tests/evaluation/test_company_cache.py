"""The company view's figures are kept a few minutes (EVAL, webapp/core/cache.py): a
company's month is a tenth of a second of SQL at company size, and GM, VP and QA see the
same figures; the page says when they were computed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

import tests.factories as f
from tests.evaluation.test_company_view import NOV_START, NOW, Spec, build
from webapp.extensions import db
from webapp.org.models import Project, User

REDIS_DB = "redis://127.0.0.1:6379/14"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "EVALUATION_CACHE_SECONDS": 300}


def _add_complaint(app, project_name: str) -> None:
    with app.app_context():
        session = db.session
        project = session.scalar(db.select(Project).where(Project.name == project_name))
        desk = session.scalar(db.select(User).where(User.username.like("user%")).limit(1))
        f.make_complaint(session, project, desk, received_at=NOV_START + timedelta(days=3))
        session.commit()


def _per_thousand(html: str, project_id: int) -> str:
    row = html[html.index(f'id="project-{project_id}"') :]
    cell = row[row.index('data-measure="complaints_per_thousand"') :]
    return cell[cell.index("<a") : cell.index("</a>")].rsplit(">", 1)[1]


def test_eval_company_view_figures_are_kept_five_minutes_with_the_moment_they_were_computed(
    app, client, login
):
    """A complaint recorded two minutes after the GM opened the company view shows in it
    once the kept figures are five minutes old, not before; the page says as of when."""
    ids = build(app, {"东苑": Spec(units=10, complaints=1)})
    east = ids["projects"]["东苑"]
    with time_machine.travel(NOW, tick=False) as clock:
        login(ids["users"]["gm"])
        first = client.get("/evaluation/company?period=2026-11").get_data(as_text=True)
        assert _per_thousand(first, east) == "100.00"
        _add_complaint(app, "东苑")
        clock.move_to(NOW + timedelta(minutes=2))
        kept = client.get("/evaluation/company?period=2026-11").get_data(as_text=True)
        assert _per_thousand(kept, east) == "100.00"
        assert "2026-11-28 12:00" in kept  # as of the first computation, Beijing time
        clock.move_to(NOW + timedelta(minutes=5, seconds=1))
        fresh = client.get("/evaluation/company?period=2026-11").get_data(as_text=True)
    assert _per_thousand(fresh, east) == "200.00"
    assert "2026-11-28 12:05" in fresh


def test_eval_company_view_figures_are_shared_through_redis(app, client, login):
    """With Redis every worker reads the same kept figures; the key expires by itself."""
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_DB, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_DB}")
    for key in connection.scan_iter("estatedesk:cache:evaluation:*"):
        connection.delete(key)
    app.config["REDIS_URL"] = REDIS_DB
    ids = build(app, {"东苑": Spec(units=10, complaints=1)})
    with time_machine.travel(NOW, tick=False):
        login(ids["users"]["gm"])
        assert client.get("/evaluation/company?period=2026-11").status_code == 200
        keys = list(connection.scan_iter("estatedesk:cache:evaluation:company:2026-11:*"))
        assert len(keys) == 1
        assert 0 < connection.ttl(keys[0]) <= 300
        _add_complaint(app, "东苑")
        kept = client.get("/evaluation/company?period=2026-11").get_data(as_text=True)
    assert _per_thousand(kept, ids["projects"]["东苑"]) == "100.00"
    connection.delete(*keys)
