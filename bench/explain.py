"""The SQL the bench pages run, with EXPLAIN (ANALYZE, BUFFERS), into bench/results/explain.md.

The app itself renders each page (Flask's test client, signed in as the page's user, on the
bench database), and a SQLAlchemy cursor event records every statement with its parameters
and time; each SELECT is then explained with those same parameters. So the plans are those
of the queries the views really send, scoping filter included, not hand-written copies.

It also times webapp.complaints.reports.monthly_summary (the SQL aggregation behind the
monthly summary) directly for the report months the bench loads.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bench import generate


@dataclass
class Statement:
    sql: str
    parameters: object
    ms: float


def _paths_to_explain(page) -> list[str]:
    if page.key == "complaint":
        return [page.paths[0], page.paths[-1]]  # the newest complaint and an older one
    if page.key in ("summary", "company"):
        return page.paths[:2]
    return page.paths


def capture(database_url: str, pages, out: Path) -> dict:
    """Write `out`; returns the monthly summary's timings (median_ms, max_ms, months) and,
    per page key, (path, statements, SQL ms, whole request ms) of each path rendered."""
    from webapp import create_app
    from webapp.complaints import reports
    from webapp.config import Config
    from webapp.core.clock import now as clock_now
    from webapp.extensions import db

    app = create_app(
        Config,
        {
            "SQLALCHEMY_DATABASE_URI": generate._sqlalchemy_url(database_url),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_ENABLED": False,
            # the company view keeps its figures a few minutes; here every request computes
            # them, so that its statements are the ones EXPLAINed and timed
            "EVALUATION_CACHE_SECONDS": 0,
        },
    )
    recorded: list[Statement] = []
    recording = {"on": False}

    with app.app_context():
        engine = db.engine

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _before(connection, cursor, statement, parameters, context, executemany):
            connection.info.setdefault("bench_started", []).append(time.perf_counter())

        @sa.event.listens_for(engine, "after_cursor_execute")
        def _after(connection, cursor, statement, parameters, context, executemany):
            started = connection.info["bench_started"].pop()
            if recording["on"]:
                recorded.append(Statement(statement, parameters, (time.perf_counter() - started) * 1000))

        sections: list[str] = [
            "# What the bench pages ask PostgreSQL",
            "",
            "Each page rendered once (warm) by the app on the bench database as the bench user;",
            "every statement with its time, and EXPLAIN (ANALYZE, BUFFERS) of each SELECT with the",
            "same parameters. Written by `make bench` (bench/explain.py).",
            "",
        ]
        overview = [
            "| page | path | statements | SQL ms | whole request ms (in-process, median) |",
            "|---|---|---:|---:|---:|",
        ]
        per_page: dict[str, list[tuple[str, int, float, float]]] = {}
        for page in pages:
            if page.key == "healthz":
                continue
            client = app.test_client()
            response = client.post(
                "/login", data={"username": page.user, "password": generate.BENCH_PASSWORD, "remember": "y"}
            )
            if response.status_code != 303:
                raise SystemExit(f"explain: signing in as {page.user} answered {response.status_code}")
            headers = {"HX-Request": "true"} if page.hx else {}
            targets = ["/slips/new"] if page.post else _paths_to_explain(page)
            for path in targets:
                def send(path=path, headers=headers, page=page, client=client):
                    if page.post:
                        return client.post(
                            path,
                            data={
                                "submission_key": generate.BENCH_PASSWORD + str(time.time_ns()),
                                "category": "facility",
                                "source": "seen_on_site",
                                "description": "楼道灯不亮（压力测试）",
                                "place_text": "3栋大堂",
                            },
                        )
                    return client.get(path, headers=headers)

                if not page.post:
                    send()  # warm the caches the way the load did
                recorded.clear()
                recording["on"] = True
                started = time.perf_counter()
                response = send()
                whole = [(time.perf_counter() - started) * 1000]
                recording["on"] = False
                statements = list(recorded)
                total = sum(s.ms for s in statements)
                if not page.post:
                    # the whole request in-process, without the load: what is not SQL is Python
                    for _ in range(5):
                        started = time.perf_counter()
                        send()
                        whole.append((time.perf_counter() - started) * 1000)
                request_ms = statistics.median(whole)
                overview.append(f"| {page.key} | `{path}` | {len(statements)} | {total:.1f} | {request_ms:.1f} |")
                per_page.setdefault(page.key, []).append((path, len(statements), total, request_ms))
                sections += [
                    f"## {page.title}: `{'POST ' if page.post else ''}{path}`",
                    "",
                    f"As {page.user}; answered {response.status_code}; {len(statements)} statements, "
                    f"{total:.1f} ms in SQL.",
                    "",
                ]
                for number, statement in enumerate(statements, 1):
                    sections += [f"### {number}. {statement.ms:.2f} ms", "", "```sql", statement.sql.strip()]
                    if statement.parameters:
                        sections.append(f"-- parameters: {statement.parameters!r}"[:2000])
                    sections.append("```")
                    if statement.sql.lstrip().upper().startswith("SELECT"):
                        with engine.connect() as connection:
                            plan = connection.exec_driver_sql(
                                "EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, statement.parameters or {}
                            ).scalars().all()
                            connection.rollback()
                        sections += ["", "```", *plan, "```"]
                    sections.append("")

        summary_times = []
        months = []
        with app.test_request_context():
            now = clock_now()
            summary_page = next(p for p in pages if p.key == "summary")
            for path in summary_page.paths:
                year, month = (int(x) for x in path.rsplit("=", 1)[1].split("-"))
                months.append(date(year, month, 1))
            for month_of in months:
                reports.monthly_summary(db.session, 1, month_of, 25, now)  # warm
                runs = []
                for _ in range(3):
                    started = time.perf_counter()
                    reports.monthly_summary(db.session, 1, month_of, 25, now)
                    runs.append((time.perf_counter() - started) * 1000)
                summary_times.append(min(runs))
            db.session.rollback()
        engine.dispose()

    summary = {
        "months": len(summary_times),
        "median_ms": statistics.median(summary_times),
        "max_ms": max(summary_times),
        "per_page": per_page,
    }
    text = "\n".join(
        sections[:6]
        + overview
        + [
            "",
            f"monthly_summary() for project 1 over {summary['months']} report months (best of 3 each): "
            f"median {summary['median_ms']:.1f} ms, slowest {summary['max_ms']:.1f} ms.",
            "",
        ]
        + sections[6:]
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return summary
