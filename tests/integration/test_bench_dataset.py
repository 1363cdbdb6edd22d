"""The bench's dataset generator at a tiny scale: the counts it promises, an audit event per
record, the marker that keeps a generated database, and the bench pages rendering its data.

`make bench` itself (millions of rows, gunicorn, wrk) stays out of `make test`; this keeps
the generator from rotting silently when the schema moves on.
"""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from bench import generate
from tests.databases import TEST_DATABASE_URL, throwaway_database
from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db

pytestmark = [
    pytest.mark.slow,
    pytest.mark.pg,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL: set TEST_DATABASE_URL"),
]

SCALE = 0.0005


@pytest.fixture(scope="module")
def bench_database():
    with throwaway_database("estatedesk_bench_test") as url:
        dataset = generate.ensure_dataset(url, SCALE)
        yield url, dataset


def _count(url: str, sql: str) -> int:
    with psycopg.connect(generate._psycopg_url(url)) as connection:
        return connection.execute(sql).fetchone()[0]


def test_scale_dataset_has_the_promised_counts(bench_database):
    url, dataset = bench_database
    expected = generate.sizes(SCALE)
    assert dataset.generated_now
    assert dataset.counts["projects"] == generate.PROJECTS
    assert dataset.counts["units"] == expected["units"]
    assert dataset.counts["owners"] == expected["units"]
    assert dataset.counts["slips"] == expected["slips"] == 1500
    assert dataset.counts["complaints"] == expected["complaints"] == 250
    assert dataset.counts["reception_entries"] == expected["reception_entries"] == 1000
    assert _count(url, "SELECT count(*) FROM slips WHERE status = 'closed'") > 1000


def test_scale_every_generated_record_has_an_audit_event(bench_database):
    url, _ = bench_database
    for table in ("slips", "complaints", "reception_entries", "units", "owners"):
        missing = _count(
            url,
            f"SELECT count(*) FROM {table} t WHERE NOT EXISTS "  # noqa: S608 - fixed table names
            f"(SELECT 1 FROM audit_events e WHERE e.entity_type = '{table}' AND e.entity_id = t.id)",
        )
        assert missing == 0, f"{table} rows without an audit event"


def test_scale_generated_rows_keep_their_projects_apart(bench_database):
    url, _ = bench_database
    # the scoping mechanism relies on it: a record's owner, unit and people are of its project
    assert _count(url, "SELECT count(*) FROM slips s JOIN units u ON u.id = s.unit_id WHERE u.project_id <> s.project_id") == 0
    assert _count(
        url,
        "SELECT count(*) FROM complaints c JOIN departments d ON d.id = c.complained_department_id "
        "WHERE d.project_id <> c.project_id",
    ) == 0
    assert _count(
        url,
        "SELECT count(*) FROM reception_entries e JOIN complaints c "
        "ON e.follow_up_type = 'complaints' AND c.id = e.follow_up_id WHERE c.project_id <> e.project_id",
    ) == 0


def test_scale_a_generated_database_is_kept_not_regenerated(bench_database):
    url, dataset = bench_database
    again = generate.ensure_dataset(url, SCALE)
    assert not again.generated_now
    assert again.anchor == dataset.anchor
    assert again.counts == dataset.counts


def test_scale_generator_refuses_a_database_that_is_not_a_bench_one():
    with throwaway_database("estatedesk_bench_foreign") as url:
        with psycopg.connect(generate._psycopg_url(url), autocommit=True) as connection:
            connection.execute("CREATE TABLE someone_elses (id int)")
        with pytest.raises(SystemExit, match="no bench marker"):
            generate.ensure_dataset(url, SCALE, rebuild=True)
        assert _count(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'someone_elses'") == 1


@pytest.fixture()
def bench_client(bench_database, tmp_path):
    url, _ = bench_database
    app = create_app(
        TestConfig,
        {"SQLALCHEMY_DATABASE_URI": url, "MEDIA_DIR": str(tmp_path), "WTF_CSRF_ENABLED": False},
    )

    def signed_in(username: str):
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": generate.BENCH_PASSWORD})
        assert response.status_code == 303, f"{username} could not sign in"
        return client

    yield app, signed_in
    with app.app_context():
        db.engine.dispose()


def _latest(url: str, table: str, column: str) -> tuple[int, str]:
    with psycopg.connect(generate._psycopg_url(url)) as connection:
        return connection.execute(
            f"SELECT id, number FROM {table} WHERE project_id = 1 ORDER BY {column} DESC LIMIT 1"  # noqa: S608
        ).fetchone()


def test_scale_bench_pages_render_the_generated_data(bench_database, bench_client):
    url, _ = bench_database
    app, signed_in = bench_client
    slip_id, slip_number = _latest(url, "slips", "filed_at")
    complaint_id, complaint_number = _latest(url, "complaints", "received_at")

    supervisor = signed_in(generate.username(1, "maint.lead"))
    page = supervisor.get("/slips/")
    assert page.status_code == 200
    assert slip_number in page.get_data(as_text=True)

    desk = signed_in(generate.username(1, "reception"))
    assert desk.get("/slips/desk").status_code == 200
    fragment = desk.get("/slips/desk", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)

    cs = signed_in(generate.username(1, "cs"))
    assert cs.get("/").status_code == 200
    detail = cs.get(f"/complaints/{complaint_id}")
    assert detail.status_code == 200
    assert complaint_number in detail.get_data(as_text=True)

    pm = signed_in(generate.username(1, "pm"))
    assert pm.get("/complaints/summary?project=1").status_code == 200
    # the company view the bench loads as the GM: every project (what bench/wrk/company.lua checks)
    company = signed_in("gm").get("/evaluation/company")
    assert company.status_code == 200 and 'id="company-table"' in company.get_data(as_text=True)
    assert company.get_data(as_text=True).count('data-project="') == generate.PROJECTS
    # another project's record stays out of reach for a project user
    with app.app_context():
        other = db.session.scalar(sa.text("SELECT id FROM complaints WHERE project_id = 2 LIMIT 1"))
    if other is not None:
        assert cs.get(f"/complaints/{other}").status_code == 404


def test_scale_bench_patrol_user_files_a_slip_without_a_photo(bench_database, bench_client):
    url, _ = bench_database
    _, signed_in = bench_client
    patrol = signed_in(generate.username(50, "patrol"))
    before = _count(url, "SELECT count(*) FROM slips WHERE project_id = 50")
    form = {
        "submission_key": "bench-test-key-1",
        "category": "facility",
        "source": "seen_on_site",
        "description": "楼道灯不亮",
        "place_text": "3栋大堂",
    }
    response = patrol.post("/slips/new", data=form)
    assert response.status_code == 303
    assert "/slips/" in response.headers["Location"]
    assert _count(url, "SELECT count(*) FROM slips WHERE project_id = 50") == before + 1
