"""`make bench`: the hot pages under load at company size, against /healthz as the ceiling.

    make bench                       # BENCH_DATABASE_URL, BENCH_SCALE, BENCH_REBUILD=1,
                                     # BENCH_DURATION (s), BENCH_CONNECTIONS, BENCH_THREADS,
                                     # BENCH_PAGES=company,desk (only those, not written)

1. bench.generate makes (or keeps) the dataset in its own PostgreSQL database;
2. gunicorn serves the app with deploy/gunicorn.conf.py, ESTATEDESK_ENV=production, a fresh
   SECRET_KEY and Redis for the rate limits, on a free port of 127.0.0.1;
3. every page's user signs in for real (CSRF token scraped from the form), and wrk loads
   each page with that session for a fixed time after a warm-up;
4. the table (req/s, p50, p99, errors, cost per request relative to /healthz, and the
   targets) is printed and written to bench/results/<date>-<rev>.md and latest.md, and the
   SQL each page runs is EXPLAINed into bench/results/explain.md (bench.explain).
"""

from __future__ import annotations

import http.client
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg

from bench import generate

REPO = generate.REPO
RESULTS = REPO / "bench" / "results"
WRK_SCRIPTS = REPO / "bench" / "wrk"
#: what nginx adds in front of the app; ProxyFix trusts it from 127.0.0.1
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}
#: a Redis database of its own for the rate-limit counters of the bench's gunicorn
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"

P99_TARGET_MS = 100.0
LIST_COST_TARGET = 15.0
SUMMARY_SQL_TARGET_MS = 300.0


@dataclass
class Page:
    key: str
    title: str
    #: the bench user (generate.username) whose session loads it; None: no sign-in
    user: str | None
    paths: list[str] = field(default_factory=list)
    hx: bool = False
    post: bool = False
    #: a list page: held to LIST_COST_TARGET × /healthz
    is_list: bool = False
    #: text the page must contain to count as answered (an error page does not)
    marker: str = ""


@dataclass
class Result:
    page: Page
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    unexpected: int
    raw: str

    def cost(self, ceiling: Result) -> float:
        return ceiling.requests_per_second / self.requests_per_second if self.requests_per_second else float("inf")


def _settings() -> dict:
    return {
        "duration": int(os.environ.get("BENCH_DURATION") or 15),
        "warmup": int(os.environ.get("BENCH_WARMUP") or 3),
        "connections": int(os.environ.get("BENCH_CONNECTIONS") or 8),
        "threads": int(os.environ.get("BENCH_THREADS") or 2),
    }


# ---------------------------------------------------------------------------- the pages


def report_months(today: date, count: int = 12) -> list[str]:
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def pages(database_url: str, today: date) -> list[Page]:
    """The pages of the shared interface list, with the paths each one rotates through."""
    with psycopg.connect(generate._psycopg_url(database_url)) as connection:
        # recent complaints (the ones people open) and a deterministic spread of older ones
        complaint_ids = [
            row[0]
            for row in connection.execute(
                """
                (SELECT id FROM complaints WHERE project_id = 1 ORDER BY received_at DESC LIMIT 100)
                UNION ALL
                (SELECT id FROM complaints WHERE project_id = 1 ORDER BY hashint4(id) LIMIT 100)
                """
            )
        ]
    return [
        Page("healthz", "GET /healthz (ceiling: no database, no template)", None, ["/healthz"]),
        Page("desk", "CS desk queue GET /slips/desk", generate.username(1, "reception"), ["/slips/desk"], is_list=True),
        Page(
            "desk_refresh",
            "CS desk queue, HTMX refresh (fragment)",
            generate.username(1, "reception"),
            ["/slips/desk"],
            hx=True,
            is_list=True,
        ),
        Page(
            "slip_list",
            "Filtered slip list GET /slips/?…",
            generate.username(1, "maint.lead"),
            [
                "/slips/?scope=department&status=open",
                "/slips/?scope=department",
                "/slips/?status=open",
                "/slips/?status=open&urgent=1",
                "/slips/?status=closed",
                "/slips/?status=withdrawn",
                "/slips/?scope=mine",
                "/slips/?page=5",
            ],
            is_list=True,
        ),
        Page("my_work", "My work GET /", generate.username(1, "cs"), ["/"], is_list=True),
        Page(
            "complaint",
            "Complaint detail GET /complaints/<id>",
            generate.username(1, "cs"),
            [f"/complaints/{i}" for i in complaint_ids],
        ),
        Page(
            "summary",
            "Monthly complaint summary GET /complaints/summary?project=…&month=…",
            generate.username(1, "pm"),
            [f"/complaints/summary?project=1&month={m}" for m in report_months(today)],
        ),
        Page(
            "company",
            "Company view GET /evaluation/company?period=… (every project, 16 measures; figures kept 5 min, SQL column uncached)",
            "gm",
            [f"/evaluation/company?period={m}" for m in report_months(today)],
            marker='id="company-table"',
        ),
        Page("file_slip", "File a slip POST /slips/new (no photo)", generate.username(50, "patrol"), post=True),
    ]


# ---------------------------------------------------------------------------- gunicorn


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn as production runs it, on a free port; stopped by its own pid."""

    def __init__(self, database_url: str, workdir: Path):
        self.port = _free_port()
        self.log_path = workdir / "gunicorn.log"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ESTATEDESK_", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "RATELIMIT_", "WEB_CONCURRENCY"))
        }
        env.update(
            ESTATEDESK_ENV="production",
            SECRET_KEY=secrets.token_hex(32),
            DATABASE_URL=generate._sqlalchemy_url(database_url),
            REDIS_URL=os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL,
            ESTATEDESK_INSTANCE=str(workdir / "instance"),
            MEDIA_DIR=str(workdir / "media"),
            ESTATEDESK_BIND=f"127.0.0.1:{self.port}",
            # no access log: its writes would take CPU from the same two cores
            ESTATEDESK_ACCESS_LOG="",
            ESTATEDESK_LOG_LEVEL="warning",
            PYTHONPATH=str(REPO),
        )
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn and configuration
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                str(REPO / "deploy" / "gunicorn.conf.py"),
                # the conf recycles a worker after ~2,000 requests; at /healthz's rate all of
                # them would restart within each run and the restarts (a few seconds of
                # booting each) would set the ceiling's p99, not the app
                "--max-requests",
                "0",
                "webapp:create_app()",
            ],
            env=env,
            cwd=workdir,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.log_path.read_text()}")
            try:
                status, _, _ = request(self.port, "GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /healthz within {seconds} s:\n{self.log_path.read_text()}")

    def workers(self) -> int:
        pid = self.process.pid
        return len(Path(f"/proc/{pid}/task/{pid}/children").read_text().split())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# ---------------------------------------------------------------------------- signing in


def request(port: int, method: str, path: str, *, cookies: dict | None = None, body: str | None = None, hx=False):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = dict(PROXY_HEADERS)
    if cookies:
        headers["Cookie"] = cookie_header(cookies)
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        # over https (X-Forwarded-Proto) Flask-WTF also wants a same-origin Referer
        headers["Referer"] = f"https://127.0.0.1:{port}{path}"
    if hx:
        headers["HX-Request"] = "true"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        if cookies is not None:
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    cookies[name] = morsel.value
        return response.status, response.headers, text
    finally:
        connection.close()


def cookie_header(cookies: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    if match is None:
        raise SystemExit("no CSRF token in the form")
    return match.group(1)


def sign_in(port: int, username: str) -> dict:
    """The cookies of a real sign-in: the form's CSRF token, the username and password."""
    cookies: dict = {}
    status, _, html = request(port, "GET", "/login", cookies=cookies)
    if status != 200:
        raise SystemExit(f"GET /login answered {status}")
    form = urlencode(
        {"username": username, "password": generate.BENCH_PASSWORD, "remember": "y", "csrf_token": csrf_token(html)}
    )
    status, headers, _ = request(port, "POST", "/login", cookies=cookies, body=form)
    if status != 303:
        raise SystemExit(f"signing in as {username} answered {status}")
    return cookies


def check_page(port: int, page: Page, cookies: dict) -> None:
    """Every path answers 200 with a page of the app (not the sign-in form) before it is
    loaded: a broken path would otherwise be measured as a fast error."""
    for path in page.paths:
        status, _, html = request(port, "GET", path, cookies=cookies, hx=page.hx)
        if status != 200 or 'name="password"' in html:
            raise SystemExit(f"{page.key}: GET {path} as {page.user} answered {status}")
        if page.hx and "<html" in html:
            raise SystemExit(f"{page.key}: GET {path} with HX-Request answered a whole page, not the fragment")


# ---------------------------------------------------------------------------- wrk


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict:
    def grab(pattern: str, default="0"):
        match = re.search(pattern, output)
        return match.group(1) if match else default

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests_per_second": float(grab(r"Requests/sec:\s+([\d.]+)")),
        "p50_ms": _ms(grab(r"\n\s+50%\s+(\S+)", "0ms")),
        "p99_ms": _ms(grab(r"\n\s+99%\s+(\S+)", "0ms")),
        "requests": int(grab(r"(\d+) requests in")),
        "errors": int(grab(r"Non-2xx or 3xx responses: (\d+)"))
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
        "unexpected": int(grab(r"unexpected_status: (\d+)")),
    }


def run_wrk(port: int, page: Page, cookies: dict, settings: dict, workdir: Path, seconds: int, latency: bool) -> str:
    base = [
        shutil.which("wrk"),
        f"-t{settings['threads']}",
        f"-c{settings['connections']}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
    ]
    if latency:
        base.append("--latency")
    if page.post:
        arguments = [
            "-s",
            str(WRK_SCRIPTS / "file_slip.lua"),
            f"http://127.0.0.1:{port}/slips/new",
            "--",
            cookie_header(cookies),
            page_csrf_token(port, cookies),
            secrets.token_hex(4),
            f"https://127.0.0.1:{port}/slips/new",
        ]
    else:
        paths_file = workdir / f"{page.key}.paths"
        paths_file.write_text("\n".join(page.paths) + "\n")
        arguments = [
            "-s",
            str(WRK_SCRIPTS / "pages.lua"),
            f"http://127.0.0.1:{port}",
            "--",
            str(paths_file),
            cookie_header(cookies) if cookies else "",
            "hx" if page.hx else "",
            page.marker,
        ]
    done = subprocess.run(base + arguments, capture_output=True, text=True, check=True)  # noqa: S603 - fixed arguments
    return done.stdout


def page_csrf_token(port: int, cookies: dict) -> str:
    """The token the filing form carries in this session (stored in its session cookie)."""
    status, _, html = request(port, "GET", "/slips/new", cookies=cookies)
    if status != 200:
        raise SystemExit(f"GET /slips/new answered {status}")
    return csrf_token(html)


def load(port: int, page_list: list[Page], settings: dict, workdir: Path) -> list[Result]:
    results = []
    sessions: dict[str, dict] = {}
    for page in page_list:
        cookies: dict = {}
        if page.user:
            cookies = sessions.get(page.user) or sign_in(port, page.user)
            sessions[page.user] = cookies
        if not page.post:
            check_page(port, page, cookies)
        if settings["warmup"]:
            run_wrk(port, page, cookies, settings, workdir, settings["warmup"], latency=False)
        output = run_wrk(port, page, cookies, settings, workdir, settings["duration"], latency=True)
        figures = parse_wrk(output)
        result = Result(page=page, raw=output, **figures)
        results.append(result)
        print(
            f"  {page.key:<13} {result.requests_per_second:9.1f} req/s  p50 {result.p50_ms:8.2f} ms"
            f"  p99 {result.p99_ms:8.2f} ms  errors {result.errors}  unexpected {result.unexpected}",
            flush=True,
        )
    return results


# ---------------------------------------------------------------------------- the report


def _git_revision() -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown"
    done = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)  # noqa: S603
    revision = done.stdout.strip() or "unknown"
    # a working tree with changes is marked: the numbers are not those of the revision alone
    dirty = subprocess.run([git, "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout.strip()  # noqa: S603
    return revision + ("+" if dirty else "")


def machine(database_url: str) -> dict:
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
        platform.processor(),
    )
    with psycopg.connect(generate._psycopg_url(database_url)) as connection:
        pg_version = connection.execute("SHOW server_version").fetchone()[0]
        shared_buffers = connection.execute("SHOW shared_buffers").fetchone()[0]
        size = connection.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    wrk_version = subprocess.run([shutil.which("wrk"), "-v"], capture_output=True, text=True).stdout.splitlines()  # noqa: S603
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(memory_kb / 1024 / 1024, 1),
        "postgresql": f"{pg_version} (shared_buffers {shared_buffers}, database {size})",
        "python": platform.python_version(),
        "wrk": wrk_version[0] if wrk_version else "wrk",
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _verdict(result: Result, ceiling: Result) -> tuple[str, bool]:
    """The targets this page is held to, and whether it met them (with the miss)."""
    if result.page.key == "healthz":
        return "ceiling", True
    notes, met = [], True
    if result.p99_ms >= P99_TARGET_MS:
        met = False
        notes.append(f"p99 {result.p99_ms - P99_TARGET_MS:+.0f} ms over {P99_TARGET_MS:.0f}")
    else:
        notes.append(f"p99 < {P99_TARGET_MS:.0f} ms")
    if result.page.is_list:
        cost = result.cost(ceiling)
        if cost > LIST_COST_TARGET:
            met = False
            notes.append(f"cost {cost:.1f}× > {LIST_COST_TARGET:.0f}× ({cost / LIST_COST_TARGET:.1f}× over)")
        else:
            notes.append(f"cost ≤ {LIST_COST_TARGET:.0f}×")
    if result.errors or result.unexpected:
        met = False
        notes.append("errors")
    return "; ".join(notes), met


def _sql_cell(result: Result, sql: dict | None) -> str:
    """Statements and SQL time of one warm request, of the whole request's time in-process
    (the page's slowest path)."""
    rows = (sql or {}).get("per_page", {}).get(result.page.key)
    if not rows:
        return "–"
    _, statements, sql_ms, request_ms = max(rows, key=lambda row: row[3])
    return f"{statements} st., {sql_ms:.0f} of {request_ms:.0f} ms"


def table(results: list[Result], sql: dict | None = None) -> list[str]:
    ceiling = next(r for r in results if r.page.key == "healthz")
    lines = [
        "| page | user | req/s | p50 ms | p99 ms | errors | cost × /healthz | SQL per request (statements, SQL of whole ms) | targets | met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for result in results:
        notes, met = _verdict(result, ceiling)
        errors = str(result.errors) + (f" (+{result.unexpected} wrong status)" if result.unexpected > result.errors else "")
        lines.append(
            f"| {result.page.title} | {result.page.user or '–'} | {result.requests_per_second:.1f} | "
            f"{result.p50_ms:.1f} | {result.p99_ms:.1f} | {errors} | {result.cost(ceiling):.1f} | "
            f"{_sql_cell(result, sql)} | {notes} | "
            f"{'yes' if met else '**no**'} |"
        )
    return lines


_COUNT_ORDER = [
    "projects",
    "users",
    "units",
    "owners",
    "slips",
    "complaints",
    "complaint_callbacks",
    "reception_entries",
    "audit_events",
    "work_items",
    "open work_items",
]


def _ordered_counts(counts: dict) -> list[tuple[str, int]]:
    def position(item):
        return (_COUNT_ORDER.index(item[0]) if item[0] in _COUNT_ORDER else len(_COUNT_ORDER), item[0])

    return sorted(counts.items(), key=position)


def write_report(
    results: list[Result],
    dataset: generate.Dataset,
    settings: dict,
    box: dict,
    workers: int,
    timings: dict,
    summary_sql: dict | None,
) -> Path:
    revision = _git_revision()
    started = timings["started"]
    lines = [
        f"# EstateDesk bench, {started:%Y-%m-%d %H:%M} (revision {revision})",
        "",
        "`make bench` on one machine: PostgreSQL, Redis, gunicorn and wrk share its cores.",
        "",
        "## Results",
        "",
        *table(results, summary_sql),
        "",
        "SQL per request: statements and their time in one warm request of the page's slowest path,",
        "of the whole request's time in-process without load (bench/explain.py; plans in explain.md);",
        "the rest is Python (views, templates).",
        "Cost × /healthz: /healthz's req/s divided by the page's (how many health checks one",
        f"request of the page costs). Targets: every page p99 < {P99_TARGET_MS:.0f} ms; list pages",
        f"(desk, its refresh, slip list, My work) within {LIST_COST_TARGET:.0f}× /healthz; the monthly",
        f"summary's SQL aggregation < {SUMMARY_SQL_TARGET_MS:.0f} ms.",
        "",
    ]
    # only the load before the run tells of other work: during it the bench itself keeps
    # every core busy
    if timings["load_before"] > (box["cores"] or 1):
        lines += [
            f"**The machine was busy with other work** (load average {timings['load_before']:.1f} before the run "
            f"on {box['cores']} cores): these figures understate the app. "
            "Re-run `make bench` on a quiet machine for the numbers to keep.",
            "",
        ]
    if summary_sql:
        verdict = "met" if summary_sql["max_ms"] < SUMMARY_SQL_TARGET_MS else (
            f"**missed** by {summary_sql['max_ms'] - SUMMARY_SQL_TARGET_MS:.0f} ms"
        )
        lines += [
            f"Monthly summary SQL aggregation (`webapp.complaints.reports.monthly_summary`, project 1, "
            f"{summary_sql['months']} report months, in-process, warm): median {summary_sql['median_ms']:.0f} ms, "
            f"slowest month {summary_sql['max_ms']:.0f} ms; target < {SUMMARY_SQL_TARGET_MS:.0f} ms {verdict}.",
            "",
        ]
    lines += [
        "## Setup",
        "",
        f"- Machine: {box['cores']} cores ({box['cpu']}), {box['ram_gb']} GB RAM; load average before the run "
        f"{timings['load_before']:.2f} (after it, the bench's own load included: {box['load_average']})",
        f"- PostgreSQL {box['postgresql']}; Python {box['python']}; {box['wrk']}",
        f"- gunicorn with deploy/gunicorn.conf.py: {workers} workers × gthread threads "
        f"(ESTATEDESK_THREADS default), ESTATEDESK_ENV=production, Redis for the rate limits, access log off, "
        "worker recycling (max_requests) off so that restarts do not set the ceiling's p99",
        f"- wrk: {settings['threads']} threads, {settings['connections']} connections, {settings['warmup']} s warm-up "
        f"then {settings['duration']} s measured per page, --latency, timeout 10 s; every page with its "
        "user's session from a real sign-in; list pages rotate through the paths below",
        f"- Dataset v{dataset.version}, scale {dataset.scale:g}, dates up to {dataset.anchor:%Y-%m-%d %H:%M} UTC, "
        f"generated in {dataset.seconds:.0f} s"
        + (" (this run)" if dataset.generated_now else " (kept from an earlier run)"),
        "",
        "| table | rows |",
        "|---|---:|",
        *[f"| {name} | {count:,} |" for name, count in _ordered_counts(dataset.counts)],
        "",
        f"- Run time: dataset {timings['dataset']:.0f} s"
        + (" (generated)" if dataset.generated_now else " (checked, kept)")
        + f", load {timings['load']:.0f} s, EXPLAIN capture {timings.get('explain', 0):.0f} s",
        "",
        "## Paths",
        "",
    ]
    for result in results:
        shown = result.page.paths[:8] if not result.page.post else ["POST /slips/new"]
        more = len(result.page.paths) - len(shown)
        lines.append(
            f"- {result.page.key}: " + ", ".join(f"`{p}`" for p in shown) + (f" … and {more} more" if more > 0 else "")
        )
    lines.append("")
    text = "\n".join(lines)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{started:%Y-%m-%d}-{revision.rstrip('+')}.md"
    path.write_text(text)
    (RESULTS / "latest.md").write_text(text)
    return path


# ---------------------------------------------------------------------------- main


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    settings = _settings()
    database_url = os.environ.get("BENCH_DATABASE_URL") or generate.DEFAULT_DATABASE_URL
    timings: dict = {"started": datetime.now(), "load_before": os.getloadavg()[0]}
    began = time.monotonic()
    dataset = generate.ensure_dataset(database_url, generate.scale_from_environment(), os.environ.get("BENCH_REBUILD") == "1")
    timings["dataset"] = time.monotonic() - began
    page_list = pages(database_url, date.today())
    # BENCH_PAGES=company,desk: those pages only (with /healthz, the ceiling), printed and
    # not written to bench/results/, for trying a change
    chosen = {key for key in os.environ.get("BENCH_PAGES", "").split(",") if key}
    if chosen:
        page_list = [page for page in page_list if page.key in chosen | {"healthz"}]
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="estatedesk-bench-") as directory:
        workdir = Path(directory)
        server = Server(database_url, workdir)
        try:
            server.wait_ready()
            workers = server.workers()
            print(
                f"gunicorn on 127.0.0.1:{server.port} with {workers} workers; wrk -t{settings['threads']} "
                f"-c{settings['connections']} -d{settings['duration']}s after {settings['warmup']} s warm-up",
                flush=True,
            )
            results = load(server.port, page_list, settings, workdir)
        finally:
            server.stop()
    timings["load"] = time.monotonic() - began
    if chosen:
        print()
        print("\n".join(table(results, None)))
        return
    summary_sql = None
    if os.environ.get("BENCH_EXPLAIN", "1") != "0":
        from bench import explain

        began = time.monotonic()
        summary_sql = explain.capture(database_url, page_list, RESULTS / "explain.md")
        timings["explain"] = time.monotonic() - began
    path = write_report(results, dataset, settings, machine(database_url), workers, timings, summary_sql)
    print()
    print("\n".join(table(results, summary_sql)))
    if summary_sql:
        print(
            f"\nmonthly summary SQL: median {summary_sql['median_ms']:.0f} ms, slowest month {summary_sql['max_ms']:.0f} ms"
        )
    print(f"\nwritten to {path.relative_to(REPO)} and bench/results/latest.md")


if __name__ == "__main__":
    main()
