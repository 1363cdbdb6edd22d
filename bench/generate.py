"""A company-sized EstateDesk dataset in PostgreSQL, generated set-based in minutes.

    python -m bench.generate            # BENCH_DATABASE_URL, BENCH_SCALE, BENCH_REBUILD=1

At scale 1: 50 projects, 100,000 units with their owners, 3,000,000 slips, 500,000
complaints (with call-backs and pauses), 2,000,000 reception entries (a quarter of them
the start of a complaint), at least one audit event per record, and the work items the
records' duties leave in "My work", open and done. Dates span three years up to the moment
of generation; most records are closed, the last days keep a live tail (unreceived and
urgent slips on the desk, complaints in handling, entries not yet routed).

Every value is a function of the row number and a fixed salt (PostgreSQL's
hashint8extended), so a scale always yields the same data whatever order or parallelism
the server chooses; only the dates move with the day of generation.

The schema comes from `flask db upgrade`, like any real database. The load switches off
foreign-key and audit triggers for its own session (session_replication_role = replica)
and builds the secondary indexes of the big tables after their rows are in: both are the
usual bulk-load technique and keep the load to minutes. A marker table records what was
generated; a database holding the same version and scale is left as it is.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/estatedesk_bench"

#: bump when the generated data changes shape: a database of an older version is rebuilt
DATASET_VERSION = 1
#: every bench user's password (the users exist only in the bench database)
BENCH_PASSWORD = "bench-pass-1234"  # noqa: S105 - a known password for the load runs

FULL_SIZE = {"units": 100_000, "slips": 3_000_000, "complaints": 500_000, "reception_entries": 2_000_000}
PROJECTS = 50
BUILDINGS_PER_PROJECT = 20
FACILITIES_PER_PROJECT = 40
SPAN_DAYS = 3 * 365

#: departments of every project, in id order within the project (k = 1…6)
DEPARTMENTS = [
    ("customer_service", "客服中心"),
    ("security", "安全部"),
    ("maintenance", "维修部"),
    ("cleaning", "保洁部"),
    ("landscaping", "绿化部"),
    ("housekeeping", "家政部"),
]
COMPANY_USERS = [("admin", "系统管理员", "admin"), ("gm", "总经理", "gm"), ("vp", "分管副总", "vp"), ("qa", "品质部", "qa")]
#: the users of every project, slot j = 1…16: (username suffix, name, role, department k)
PROJECT_USERS = [
    ("pm", "项目经理", "pm", None),
    ("assistant", "经理助理", "pm_assistant", None),
    ("cs", "客服主管", "cs_supervisor", None),
    ("reception", "接待员", "receptionist", None),
    ("reception2", "接待员乙", "receptionist", None),
    ("publicist", "宣传员", "publicist", None),
    ("security.lead", "安全主管", "dept_supervisor", 2),
    ("maint.lead", "维修主管", "dept_supervisor", 3),
    ("clean.lead", "保洁主管", "dept_supervisor", 4),
    ("green.lead", "绿化主管", "dept_supervisor", 5),
    ("house.lead", "家政主管", "dept_supervisor", 6),
    ("patrol", "巡逻员", "staff", 2),
    ("patrol2", "巡逻员乙", "staff", 2),
    ("tech", "维修技工", "staff", 3),
    ("cleaner", "保洁员", "staff", 4),
    ("housekeeper", "家政员", "staff", 6),
]
USERS_PER_PROJECT = len(PROJECT_USERS)

#: the big tables whose secondary indexes are built after the load
BULK_TABLES = (
    "slips",
    "complaints",
    "complaint_callbacks",
    "complaint_pauses",
    "reception_entries",
    "audit_events",
    "work_items",
    "units",
    "owners",
    "occupancies",
)
#: tables given explicit ids, whose sequences are moved past them afterwards
EXPLICIT_ID_TABLES = (
    "companies",
    "projects",
    "departments",
    "users",
    "role_assignments",
    "buildings",
    "units",
    "owners",
    "occupancies",
    "facilities",
    "slips",
    "complaints",
    "reception_entries",
)


def project_code(project: int) -> str:
    return f"P{project:02d}"


def username(project: int, suffix: str) -> str:
    return f"{project_code(project).lower()}.{suffix}"


def user_id(project: int, suffix: str) -> int:
    slot = next(j for j, (s, *_) in enumerate(PROJECT_USERS, start=1) if s == suffix)
    return len(COMPANY_USERS) + (project - 1) * USERS_PER_PROJECT + slot


@dataclass
class Dataset:
    """What a bench database holds (the marker row)."""

    version: int
    scale: float
    anchor: datetime
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    generated_now: bool = False


def sizes(scale: float) -> dict[str, int]:
    counts = {name: max(PROJECTS, round(n * scale)) for name, n in FULL_SIZE.items()}
    # the units divide evenly between the projects (ids are computed from them)
    counts["units"] = max(1, counts["units"] // PROJECTS) * PROJECTS
    return counts


def _psycopg_url(url: str) -> str:
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlalchemy_url(url: str) -> str:
    parsed = sa.engine.make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def _log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- the database


def _maintenance_connection(url: str) -> psycopg.Connection:
    return psycopg.connect(_psycopg_url(sa.engine.make_url(url).set(database="postgres")), autocommit=True)


def _database_exists(url: str) -> bool:
    name = sa.engine.make_url(url).database
    with _maintenance_connection(url) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def _marker(url: str) -> tuple[bool, Dataset | None]:
    """(whether the database is a bench database or empty, its marker row if complete)."""
    with psycopg.connect(_psycopg_url(url)) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        }
        if "bench_dataset" not in tables:
            return not tables, None
        row = connection.execute(
            "SELECT version, scale, anchor, seconds, counts FROM bench_dataset ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    if row is None:
        return True, None
    return True, Dataset(version=row[0], scale=row[1], anchor=row[2], seconds=row[3], counts=row[4])


def _recreate_database(url: str) -> None:
    name = sa.engine.make_url(url).database
    with _maintenance_connection(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": _sqlalchemy_url(url), "ESTATEDESK_ENV": "development"}
    env.pop("ESTATEDESK_INSTANCE", None)
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "webapp", "db", "upgrade"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"flask db upgrade failed:\n{done.stdout}{done.stderr}")


def ensure_dataset(url: str, scale: float, rebuild: bool = False) -> Dataset:
    """The bench database at `url` holding this version and scale: generated unless it
    already does (or `rebuild`). Refuses to touch a database that is not a bench one."""
    url = _sqlalchemy_url(url)
    if not sa.engine.make_url(url).database:
        raise SystemExit("BENCH_DATABASE_URL names no database")
    if _database_exists(url):
        ours, dataset = _marker(url)
        if not ours:
            raise SystemExit(
                f"{sa.engine.make_url(url).database} holds tables but no bench marker: "
                "choose another BENCH_DATABASE_URL (the bench never drops a database it did not make)"
            )
        if dataset is not None and dataset.version == DATASET_VERSION and dataset.scale == scale and not rebuild:
            _log(f"dataset v{DATASET_VERSION} at scale {scale:g} already there (generated in {dataset.seconds:.0f} s)")
            _migrate(url)  # a newer migration (an index) still reaches the kept data
            return dataset
    _recreate_database(url)
    _migrate(url)
    started = time.monotonic()
    dataset = _generate(url, scale)
    dataset.seconds = time.monotonic() - started
    with psycopg.connect(_psycopg_url(url)) as connection:
        connection.execute(
            "INSERT INTO bench_dataset (version, scale, anchor, seconds, counts) VALUES (%s, %s, %s, %s, %s)",
            (dataset.version, dataset.scale, dataset.anchor, dataset.seconds, psycopg.types.json.Jsonb(dataset.counts)),
        )
    _log(f"dataset generated in {dataset.seconds:.0f} s: {dataset.counts}")
    dataset.generated_now = True
    return dataset


# ---------------------------------------------------------------------------- the SQL


_HELPERS = """
CREATE FUNCTION pg_temp.rnd(i bigint, salt bigint) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT (hashint8extended(i, salt) & 9007199254740991)::float8 / 9007199254740992.0';
CREATE FUNCTION pg_temp.pick(i bigint, salt bigint, n int) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT floor(pg_temp.rnd(i, salt) * n)::int';
CREATE FUNCTION pg_temp.local_eod(t timestamptz) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$SELECT (date_trunc('day', t AT TIME ZONE 'Asia/Shanghai') + interval '1 day') AT TIME ZONE 'Asia/Shanghai'$$;
CREATE FUNCTION pg_temp.secs(s float8) RETURNS interval
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT make_interval(secs => s)';
"""

_SLIP_TEXTS = [
    "楼道灯不亮，晚上看不清台阶",
    "地下车库入口积水",
    "消防通道被电动车堵住",
    "垃圾桶满溢，有异味",
    "草坪有枯黄一片，需要补种",
    "电梯按钮失灵",
    "单元门禁无法关闭",
    "外来车辆占用消防车道",
    "绿化带有大量落叶未清理",
    "保安岗亭无人值守",
    "儿童游乐设施螺丝松动",
    "楼顶水箱盖未锁",
]
_COMPLAINT_TEXTS = [
    "维修人员上门迟到两个小时",
    "保洁阿姨服务态度不好",
    "小区夜间噪音扰民，多次反映未解决",
    "停车位被他人长期占用",
    "物业费收费标准不清楚",
    "报修后三天无人处理",
    "快递放在门口丢失",
    "绿化修剪噪音太早",
]
_CAUSES = ["人员培训不足", "排班不合理", "设备老化", "沟通不及时", "流程执行不到位", "外部原因", "业主误解", "供应商延误"]
_ENTRY_TEXTS = [
    "业主来电报修厨房水龙头漏水",
    "业主来访咨询装修申请手续",
    "业主表扬保安帮忙搬运重物",
    "业主建议增加充电桩",
    "业主反映邻居养狗扰民",
    "业主来电询问快递柜位置",
    "业主来访办理门禁卡",
    "业主反映楼上漏水",
]


def _array(texts: list[str]) -> str:
    return "(ARRAY[" + ",".join("'" + t.replace("'", "''") + "'" for t in texts) + "])"


def _statements(counts: dict[str, int], anchor: datetime) -> list[tuple[str, str]]:
    """(label, SQL) in load order. Every constant is an int, a float or a fixed text."""
    c = {
        "P": PROJECTS,
        "NC": len(COMPANY_USERS),
        "UJ": USERS_PER_PROJECT,
        "UPP": counts["units"] // PROJECTS,
        "B": min(BUILDINGS_PER_PROJECT, counts["units"] // PROJECTS),
        "F": FACILITIES_PER_PROJECT,
        "NS": counts["slips"],
        "NCP": counts["complaints"],
        "NR": counts["reception_entries"],
        "SPAN": SPAN_DAYS * 86400,
        "ANCHOR": f"'{anchor.isoformat()}'::timestamptz",
        "SLIP_TEXTS": _array(_SLIP_TEXTS),
        "COMPLAINT_TEXTS": _array(_COMPLAINT_TEXTS),
        "CAUSES": _array(_CAUSES),
        "ENTRY_TEXTS": _array(_ENTRY_TEXTS),
    }
    c["RATIO"] = max(1, c["NR"] // c["NCP"])
    departments_values = ",".join(f"({k},'{kind}','{name}')" for k, (kind, name) in enumerate(DEPARTMENTS, 1))
    project_users_values = ",".join(
        f"({j},'{suffix}','{name}','{role}',{k if k else 'NULL'})"
        for j, (suffix, name, role, k) in enumerate(PROJECT_USERS, 1)
    )
    company_users_values = ",".join(
        f"({j},'{name}','{display}','{role}')" for j, (name, display, role) in enumerate(COMPANY_USERS, 1)
    )
    statements = [
        (
            "organisation",
            """
INSERT INTO companies (id, name, report_cutoff_day) VALUES (1, '基准物业服务有限公司', 25);
INSERT INTO projects (id, company_id, code, name, address, active, version)
SELECT p, 1, 'P' || lpad(p::text, 2, '0'), '基准花园' || lpad(p::text, 2, '0') || '期', '基准路' || p || '号', true, 1
FROM generate_series(1, {P}) p;
INSERT INTO departments (id, project_id, kind, name, active, version)
SELECT (p - 1) * 6 + d.k, p, d.kind, d.name, true, 1
FROM generate_series(1, {P}) p, (VALUES {departments}) AS d(k, kind, name);
INSERT INTO users (id, username, display_name, password_hash, active, must_change_password, created_at, version)
SELECT u.j, u.name, u.display, :password_hash, true, false, {ANCHOR} - interval '1100 days', 1
FROM (VALUES {company_users}) AS u(j, name, display, role);
INSERT INTO role_assignments (id, user_id, role, project_id, department_id)
SELECT u.j, u.j, u.role, NULL, NULL FROM (VALUES {company_users}) AS u(j, name, display, role);
INSERT INTO users (id, username, display_name, phone, password_hash, active, must_change_password, created_at, version)
SELECT {NC} + (p - 1) * {UJ} + u.j, 'p' || lpad(p::text, 2, '0') || '.' || u.suffix,
       u.name || lpad(p::text, 2, '0'), '139' || lpad(({NC} + (p - 1) * {UJ} + u.j)::text, 8, '0'),
       :password_hash, true, false, {ANCHOR} - interval '1100 days', 1
FROM generate_series(1, {P}) p, (VALUES {project_users}) AS u(j, suffix, name, role, k);
INSERT INTO role_assignments (id, user_id, role, project_id, department_id)
SELECT {NC} + (p - 1) * {UJ} + u.j, {NC} + (p - 1) * {UJ} + u.j, u.role, p, (p - 1) * 6 + u.k
FROM generate_series(1, {P}) p, (VALUES {project_users}) AS u(j, suffix, name, role, k);
""".format(
                **c,
                departments=departments_values,
                company_users=company_users_values,
                project_users=project_users_values,
            ),
        ),
        (
            "estate",
            """
INSERT INTO buildings (id, project_id, name, floors, sort_order, version)
SELECT (p - 1) * {B} + b, p, b || '栋', 33, b, 1
FROM generate_series(1, {P}) p, generate_series(1, {B}) b;
INSERT INTO units (id, project_id, building_id, number, floor, area_centi_m2, version)
SELECT (p - 1) * {UPP} + u, p, (p - 1) * {B} + 1 + mod(u - 1, {B}),
       (1 + mod((u - 1) / {B}, 2)) || '-' || lpad((1 + (u - 1) / ({B} * 2) / 4)::text, 2, '0')
           || lpad((1 + mod((u - 1) / ({B} * 2), 4))::text, 2, '0'),
       1 + (u - 1) / ({B} * 2) / 4, 8000 + pg_temp.pick(u, 31, 9000), 1
FROM generate_series(1, {P}) p, generate_series(1, {UPP}) u;
INSERT INTO owners (id, project_id, name, phone, created_at, version)
SELECT id, project_id,
       (ARRAY['王','李','张','刘','陈','杨','黄','赵','吴','周'])[1 + pg_temp.pick(id, 32, 10)]
           || (ARRAY['先生','女士','伟','芳','娜','敏','静','磊','强','洋'])[1 + pg_temp.pick(id, 33, 10)],
       '13' || lpad(mod(id::bigint * 7919, 1000000000)::text, 9, '0'), {ANCHOR} - interval '1100 days', 1
FROM units;
INSERT INTO occupancies (id, project_id, unit_id, owner_id, relation)
SELECT id, project_id, id, id, 'owner' FROM units;
INSERT INTO facilities (id, project_id, building_id, name, kind, floor, qr_token, code, active, version)
SELECT (p - 1) * {F} + f, p, (p - 1) * {B} + 1 + mod(f - 1, {B}),
       (ARRAY['消防栓','水泵房','配电房','电梯机房','大堂','地库入口','垃圾站','儿童乐园'])[1 + mod(f - 1, 8)]
           || ' ' || f,
       CASE WHEN mod(f, 2) = 0 THEN 'equipment' ELSE 'patrol_point' END, 'B1',
       md5('facility' || ((p - 1) * {F} + f)), 'P' || lpad(p::text, 2, '0') || '-' || lpad(f::text, 3, '0'), true, 1
FROM generate_series(1, {P}) p, generate_series(1, {F}) f;
""".format(**c),  # noqa: S608 - constants of this module only
        ),
        (
            "slips",
            """
INSERT INTO slips (id, project_id, number, status, urgent, category, source, about_service_quality,
    description, filed_by_id, filer_department_id, captured_at, filed_at, facility_id, place_text,
    latitude, longitude, accuracy_m, owner_id, unit_id, owner_contact, received_at, received_by_id,
    responsible_department_id, rectification_due_at, escalated_at, escalation_plan, closed_at, version)
SELECT i, p,
       'P' || lpad(p::text, 2, '0') || '-XD-' || to_char(filed_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
           || '-' || lpad(i::text, 7, '0'),
       status, urgent, category, source, category = 'service_quality',
       {SLIP_TEXTS}[1 + pg_temp.pick(i, 7, 12)],
       {NC} + (p - 1) * {UJ} + filer_slot,
       (p - 1) * 6 + (ARRAY[0,0,0,0,0,0,2,3,4,5,6,2,2,3,4,6])[filer_slot],
       filed_at - interval '20 seconds', filed_at,
       CASE WHEN r_place < 0.5 THEN (p - 1) * {F} + 1 + pg_temp.pick(i, 6, {F}) END,
       CASE WHEN r_place >= 0.5 THEN (ARRAY['3栋大堂','地下车库B区','中心花园','东门岗亭','5栋电梯厅'])[1 + pg_temp.pick(i, 8, 5)] END,
       CASE WHEN r_place >= 0.8 THEN 31.2 + pg_temp.rnd(i, 10) / 100 END,
       CASE WHEN r_place >= 0.8 THEN 121.4 + pg_temp.rnd(i, 11) / 100 END,
       CASE WHEN r_place >= 0.8 THEN 5 + pg_temp.rnd(i, 12) * 30 END,
       CASE WHEN source = 'owner' THEN unit END, CASE WHEN source = 'owner' THEN unit END,
       CASE WHEN source = 'owner' THEN '业主 13' || lpad(mod(i * 104729, 1000000000)::text, 9, '0') END,
       received_at,
       CASE WHEN received_at IS NOT NULL THEN {NC} + (p - 1) * {UJ} + 4 + pg_temp.pick(i, 13, 2) END,
       CASE WHEN received_at IS NOT NULL THEN (p - 1) * 6 + dept_k END,
       CASE WHEN received_at IS NOT NULL THEN pg_temp.local_eod(received_at) END,
       escalated_at,
       CASE WHEN escalated_at IS NOT NULL THEN '1. 联系厂家 2. 更换配件 3. 复查' END,
       CASE WHEN status = 'closed' THEN received_at + pg_temp.secs(3600 + pg_temp.rnd(i, 14) * 86400)
            WHEN status = 'withdrawn' THEN filed_at + interval '10 minutes' END,
       CASE WHEN status IN ('filed', 'withdrawn') THEN 1 WHEN status = 'closed' THEN 5 ELSE 2 END
FROM (
    SELECT b.*,
           CASE WHEN status IN ('filed', 'withdrawn') THEN NULL
                ELSE filed_at + pg_temp.secs(60 + pg_temp.rnd(i, 9) * CASE WHEN urgent THEN 1000 ELSE 14400 END)
           END AS received_at,
           CASE WHEN status = 'escalated' OR (status = 'closed' AND pg_temp.rnd(i, 15) < 0.03)
                THEN filed_at + interval '5 hours' END AS escalated_at
    FROM (
        SELECT a.*,
               CASE WHEN age < 1 THEN
                        CASE WHEN r_status < 0.25 THEN 'filed' WHEN r_status < 0.45 THEN 'assigned'
                             WHEN r_status < 0.60 THEN 'rectifying' WHEN r_status < 0.70 THEN 'awaiting_verification'
                             WHEN r_status < 0.75 AND source = 'owner' THEN 'awaiting_callback'
                             WHEN r_status < 0.98 THEN 'closed' ELSE 'withdrawn' END
                    WHEN age < 14 THEN
                        CASE WHEN r_status < 0.010 THEN 'escalated' WHEN r_status < 0.020 THEN 'rectifying'
                             WHEN r_status < 0.030 THEN 'awaiting_verification'
                             WHEN r_status < 0.040 AND source = 'owner' THEN 'awaiting_callback'
                             WHEN r_status < 0.045 THEN 'assigned'
                             WHEN r_status < 0.970 THEN 'closed' ELSE 'withdrawn' END
                    ELSE
                        CASE WHEN r_status < 0.0002 THEN 'escalated' WHEN r_status < 0.970 THEN 'closed'
                             ELSE 'withdrawn' END
               END AS status,
               CASE category WHEN 'security' THEN 2 WHEN 'parking' THEN 2 WHEN 'cleaning' THEN 4
                             WHEN 'landscaping' THEN 5 WHEN 'service_quality' THEN 1 ELSE 3 END AS dept_k
        FROM (
            SELECT i, p, filed_at, r_status, r_place, urgent, filer_slot,
                   (p - 1) * {UPP} + 1 + pg_temp.pick(i, 19, {UPP}) AS unit,
                   extract(epoch FROM {ANCHOR} - filed_at) / 86400 AS age,
                   CASE WHEN r_source < 0.3 THEN 'owner' ELSE 'seen_on_site' END AS source,
                   CASE WHEN r_cat < 0.15 THEN 'security' WHEN r_cat < 0.40 THEN 'facility'
                        WHEN r_cat < 0.62 THEN 'cleaning' WHEN r_cat < 0.72 THEN 'landscaping'
                        WHEN r_cat < 0.77 THEN 'service_quality' WHEN r_cat < 0.92 THEN 'parking'
                        ELSE 'other' END AS category
            FROM (
                SELECT i, 1 + pg_temp.pick(i, 1, {P}) AS p,
                       {ANCHOR} - pg_temp.secs({SPAN} * (1 - i::float8 / {NS}) + pg_temp.rnd(i, 16) * 300) AS filed_at,
                       pg_temp.rnd(i, 2) AS r_status, pg_temp.rnd(i, 3) AS r_cat, pg_temp.rnd(i, 5) AS r_source,
                       pg_temp.rnd(i, 17) AS r_place, pg_temp.rnd(i, 18) < 0.08 AS urgent,
                       (ARRAY[12,12,12,13,13,13,14,14,15,7,8,9])[1 + pg_temp.pick(i, 4, 12)] AS filer_slot
                FROM generate_series(1::bigint, {NS}) i
            ) z
        ) a
    ) b
) s;
""".format(**c),  # noqa: S608 - constants of this module only
        ),
        (
            "complaints",
            """
INSERT INTO complaints (id, project_id, number, status, complaint_class, suggested_class, invalid_reason,
    event_time, event_place, complained_department_id, complained_person, description, owner_request,
    owner_contact, owner_id, unit_id, channel, received_at, received_by_id, commitment_due_at,
    commitment_done_at, commitment_to_id, handling_start_due_at, handling_started_at, resolution_due_at,
    extension_seconds, answered_at, resolved_at, closed_at, measures, answer, cause, desk_apologised,
    supervisor_apology_required, criticised, municipal_cause, explanation, forwarded_at, version)
SELECT i, p,
       'P' || lpad(p::text, 2, '0') || '-TS-' || to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
           || '-' || lpad(i::text, 7, '0'),
       status, cls, cls, CASE WHEN cls = 'invalid' THEN 'external' END,
       received_at - interval '2 hours', '小区内',
       (p - 1) * 6 + 1 + pg_temp.pick(i, 24, 6), NULL,
       {COMPLAINT_TEXTS}[1 + pg_temp.pick(i, 25, 8)], '尽快处理并回复',
       CASE WHEN has_owner THEN '业主 13' || lpad(mod(i * 7907, 1000000000)::text, 9, '0') END,
       CASE WHEN has_owner THEN unit END, CASE WHEN has_owner THEN unit END,
       CASE WHEN pg_temp.rnd(i, 26) < 0.5 THEN 'phone' ELSE 'visit' END,
       received_at, {NC} + (p - 1) * {UJ} + 4 + pg_temp.pick(i, 27, 2),
       received_at + CASE WHEN cls IN ('major', 'important') THEN interval '1 hour' ELSE interval '1 day' END,
       CASE WHEN status <> 'received' THEN received_at + pg_temp.secs(600 + pg_temp.rnd(i, 28)
            * CASE WHEN pg_temp.rnd(i, 29) < 0.93 THEN 3000 ELSE 90000 END) END,
       CASE WHEN status <> 'received' THEN {NC} + (p - 1) * {UJ} + 3 END,
       CASE WHEN cls = 'minor' THEN received_at + interval '2 days' END,
       CASE WHEN cls = 'minor' AND status NOT IN ('received', 'committed') THEN received_at + interval '5 hours' END,
       received_at + limit_s * interval '1 second', 0,
       CASE WHEN status IN ('answered', 'awaiting_callback', 'closed', 'explained', 'forwarded') THEN done_at END,
       CASE WHEN status IN ('awaiting_callback', 'closed') THEN done_at END,
       CASE WHEN status IN ('closed', 'explained', 'forwarded') THEN done_at + interval '1 day' END,
       CASE WHEN status NOT IN ('received', 'committed') THEN '已安排专人处理' END,
       CASE WHEN status IN ('answered', 'awaiting_callback', 'closed') THEN '已处理完毕并回复业主' END,
       CASE WHEN status IN ('closed', 'awaiting_callback') AND pg_temp.rnd(i, 30) < 0.8
            THEN {CAUSES}[1 + pg_temp.pick(i, 31, 8)] END,
       pg_temp.rnd(i, 32) < 0.5, false, false, false,
       CASE WHEN status IN ('explained', 'forwarded') THEN '非物业管辖范围，已向业主解释' END,
       CASE WHEN status = 'forwarded' THEN done_at END,
       CASE WHEN status = 'received' THEN 1 WHEN status IN ('closed', 'explained', 'forwarded') THEN 6 ELSE 3 END
FROM (
    SELECT a.*,
           CASE WHEN cls = 'invalid' THEN
                    CASE WHEN age < 1 AND r_status < 0.5 THEN 'received' WHEN r_status < 0.75 THEN 'explained'
                         ELSE 'forwarded' END
                WHEN age < 1 THEN
                    CASE WHEN r_status < 0.20 THEN 'received' WHEN r_status < 0.40 THEN 'committed'
                         WHEN r_status < 0.60 THEN 'in_progress' WHEN r_status < 0.65 THEN 'waiting'
                         WHEN r_status < 0.75 THEN 'answered' WHEN r_status < 0.85 THEN 'awaiting_callback'
                         ELSE 'closed' END
                WHEN age < 14 THEN
                    CASE WHEN r_status < 0.02 THEN 'in_progress' WHEN r_status < 0.03 THEN 'waiting'
                         WHEN r_status < 0.05 THEN 'answered' WHEN r_status < 0.08 THEN 'awaiting_callback'
                         ELSE 'closed' END
                ELSE CASE WHEN r_status < 0.0005 THEN 'waiting' ELSE 'closed' END
           END AS status,
           received_at + limit_s * (0.1 + pg_temp.rnd(i, 33) * 1.0) * interval '1 second' AS done_at
    FROM (
        SELECT i, p, received_at, r_status, cls, has_owner,
               (p - 1) * {UPP} + 1 + pg_temp.pick(i, 35, {UPP}) AS unit,
               extract(epoch FROM {ANCHOR} - received_at) / 86400 AS age,
               CASE cls WHEN 'minor' THEN 2 WHEN 'major' THEN 2 ELSE 3 END * 86400 AS limit_s
        FROM (
            SELECT i, 1 + pg_temp.pick(i, 21, {P}) AS p,
                   {ANCHOR} - pg_temp.secs({SPAN} * (1 - i::float8 / {NCP}) + pg_temp.rnd(i, 22) * 300) AS received_at,
                   pg_temp.rnd(i, 23) AS r_status,
                   CASE WHEN pg_temp.rnd(i, 20) < 0.70 THEN 'minor' WHEN pg_temp.rnd(i, 20) < 0.90 THEN 'important'
                        WHEN pg_temp.rnd(i, 20) < 0.92 THEN 'major' ELSE 'invalid' END AS cls,
                   pg_temp.rnd(i, 34) < 0.85 AS has_owner
            FROM generate_series(1::bigint, {NCP}) i
        ) z
    ) a
) s;
INSERT INTO complaint_callbacks (project_id, complaint_id, method, satisfaction, comment, called_by_id, called_at)
SELECT project_id, id, CASE WHEN mod(id, 3) = 0 THEN 'visit' ELSE 'phone' END,
       CASE WHEN pg_temp.rnd(id, 36) < 0.80 THEN 'satisfied' WHEN pg_temp.rnd(id, 36) < 0.95 THEN 'basically_satisfied'
            ELSE 'dissatisfied' END,
       '业主表示认可', {NC} + (project_id - 1) * {UJ} + 3, closed_at - interval '1 hour'
FROM complaints WHERE status = 'closed' AND complaint_class <> 'invalid';
INSERT INTO complaint_pauses (project_id, complaint_id, started_at, ended_at, reason, started_by_id, ended_by_id)
SELECT project_id, id, received_at + interval '3 hours',
       CASE WHEN status = 'waiting' THEN NULL ELSE received_at + interval '27 hours' END,
       '等待配件到货', {NC} + (project_id - 1) * {UJ} + 3,
       CASE WHEN status = 'waiting' THEN NULL ELSE {NC} + (project_id - 1) * {UJ} + 3 END
FROM complaints
WHERE status = 'waiting' OR (status = 'closed' AND complaint_class <> 'invalid' AND pg_temp.rnd(id, 37) < 0.04);
""".format(**c),  # noqa: S608 - constants of this module only
        ),
        (
            "reception entries",
            """
INSERT INTO reception_entries (id, project_id, number, channel, category, status, received_at, received_by_id,
    owner_id, unit_id, contact, content, follow_up, follow_up_type, follow_up_id, routed_at, routed_by_id,
    closed_at, closed_by_id, discarded_at, discarded_by_id, discard_reason, version)
SELECT i, p,
       'P' || lpad(p::text, 2, '0') || '-JD-' || to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
           || '-' || lpad(i::text, 7, '0'),
       channel,
       CASE WHEN status = 'new' THEN NULL ELSE category END,
       status, received_at,
       CASE WHEN channel = 'qr_form' THEN NULL ELSE {NC} + (p - 1) * {UJ} + 4 + pg_temp.pick(i, 41, 2) END,
       unit, unit, '业主 13' || lpad(mod(i * 7877, 1000000000)::text, 9, '0'),
       CASE WHEN complaint_id IS NOT NULL THEN {COMPLAINT_TEXTS}[1 + pg_temp.pick(complaint_id, 25, 8)]
            ELSE {ENTRY_TEXTS}[1 + pg_temp.pick(i, 42, 8)] END,
       CASE WHEN status IN ('new', 'discarded') THEN NULL WHEN complaint_id IS NOT NULL THEN 'complaint' ELSE 'note' END,
       CASE WHEN status NOT IN ('new', 'discarded') AND complaint_id IS NOT NULL THEN 'complaints' END,
       CASE WHEN status NOT IN ('new', 'discarded') THEN complaint_id END,
       CASE WHEN status IN ('open', 'closed') THEN received_at + interval '5 minutes' END,
       CASE WHEN status IN ('open', 'closed') THEN {NC} + (p - 1) * {UJ} + 4 END,
       CASE WHEN status = 'closed' THEN received_at + interval '3 days' END,
       CASE WHEN status = 'closed' THEN {NC} + (p - 1) * {UJ} + 3 END,
       CASE WHEN status = 'discarded' THEN received_at + interval '10 minutes' END,
       CASE WHEN status = 'discarded' THEN {NC} + (p - 1) * {UJ} + 3 END,
       CASE WHEN status = 'discarded' THEN '重复登记' END,
       CASE WHEN status = 'new' THEN 1 WHEN status = 'open' THEN 2 ELSE 3 END
FROM (
    SELECT a.*,
           CASE WHEN age < 1 THEN
                    CASE WHEN r_status < 0.30 THEN 'new' WHEN r_status < 0.80 THEN 'open' ELSE 'closed' END
                WHEN age < 14 THEN
                    CASE WHEN r_status < 0.05 THEN 'open' WHEN r_status < 0.98 THEN 'closed' ELSE 'discarded' END
                ELSE CASE WHEN r_status < 0.98 THEN 'closed' ELSE 'discarded' END
           END AS status
    FROM (
        SELECT i, complaint_id, r_status,
               coalesce(c.project_id, 1 + pg_temp.pick(i, 43, {P})) AS p,
               coalesce(c.received_at - interval '5 minutes',
                        {ANCHOR} - pg_temp.secs({SPAN} * (1 - i::float8 / {NR}) + pg_temp.rnd(i, 44) * 300)) AS received_at,
               extract(epoch FROM {ANCHOR} - coalesce(c.received_at,
                        {ANCHOR} - pg_temp.secs({SPAN} * (1 - i::float8 / {NR})))) / 86400 AS age,
               CASE WHEN c.id IS NOT NULL THEN 'complaint'
                    ELSE (ARRAY['repair','repair','repair','service','after_sales','praise','suggestion','other'])[1 + pg_temp.pick(i, 45, 8)]
               END AS category,
               CASE WHEN pg_temp.rnd(i, 46) < 0.40 THEN 'visit' WHEN pg_temp.rnd(i, 46) < 0.85 THEN 'phone'
                    WHEN pg_temp.rnd(i, 46) < 0.88 THEN 'email' WHEN pg_temp.rnd(i, 46) < 0.90 THEN 'letter'
                    ELSE 'qr_form' END AS channel,
               CASE WHEN c.id IS NOT NULL THEN c.unit_id
                    WHEN pg_temp.rnd(i, 49) < 0.9
                    THEN (coalesce(c.project_id, 1 + pg_temp.pick(i, 43, {P})) - 1) * {UPP} + 1 + pg_temp.pick(i, 48, {UPP})
               END AS unit
        FROM (
            SELECT i, pg_temp.rnd(i, 47) AS r_status,
                   CASE WHEN mod(i, {RATIO}) = 0 AND i / {RATIO} <= {NCP} THEN i / {RATIO} END AS complaint_id
            FROM generate_series(1::bigint, {NR}) i
        ) z
        LEFT JOIN complaints c ON c.id = z.complaint_id
    ) a
) s;
""".format(**c),  # noqa: S608 - constants of this module only
        ),
        (
            "audit events",
            """
INSERT INTO audit_events (project_id, entity_type, entity_id, action, from_state, to_state, actor_id, at)
SELECT project_id, 'units', id, 'created', NULL, NULL, {NC} + (project_id - 1) * {UJ} + 1, {ANCHOR} - interval '1100 days'
FROM units;
INSERT INTO audit_events (project_id, entity_type, entity_id, action, from_state, to_state, actor_id, at)
SELECT project_id, 'owners', id, 'created', NULL, NULL, {NC} + (project_id - 1) * {UJ} + 1, created_at FROM owners;
INSERT INTO audit_events (project_id, entity_type, entity_id, action, from_state, to_state, actor_id, at)
SELECT project_id, 'slips', id, 'slip_filed', NULL, 'filed', filed_by_id, filed_at FROM slips ORDER BY id;
INSERT INTO audit_events (project_id, entity_type, entity_id, action, from_state, to_state, actor_id, at)
SELECT project_id, 'slips', id,
       CASE status WHEN 'closed' THEN 'slip_verified' WHEN 'withdrawn' THEN 'slip_withdrawn'
                   WHEN 'escalated' THEN 'slip_escalated' WHEN 'awaiting_verification' THEN 'slip_done'
                   WHEN 'awaiting_callback' THEN 'slip_verified' WHEN 'rectifying' THEN 'slip_measures'
                   ELSE 'slip_received' END,
       'filed', status, coalesce(received_by_id, filed_by_id), coalesce(closed_at, escalated_at, received_at)
FROM slips WHERE status <> 'filed' ORDER BY id;
INSERT INTO audit_events (project_id, entity_type, entity_id, action, from_state, to_state, note, actor_id, at)
SELECT project_id, 'complaints', id, 'complaint_recorded', NULL, 'received', complaint_class, received_by_id, received_at
FROM complaints ORDER BY id;
INSERT INTO audit_events (project_id, entity_type, entity_id, action, from_state, to_state, actor_id, at)
SELECT project_id, 'complaints', id,
       CASE status WHEN 'closed' THEN 'complaint_called_back' WHEN 'committed' THEN 'complaint_committed'
                   WHEN 'explained' THEN 'complaint_invalid_handled' WHEN 'forwarded' THEN 'complaint_invalid_handled'
                   WHEN 'answered' THEN 'complaint_answered' WHEN 'awaiting_callback' THEN 'complaint_resolved'
                   WHEN 'waiting' THEN 'complaint_paused' ELSE 'complaint_started' END,
       'received', status, coalesce(commitment_to_id, received_by_id),
       coalesce(closed_at, resolved_at, answered_at, handling_started_at, commitment_done_at)
FROM complaints WHERE status <> 'received' ORDER BY id;
INSERT INTO audit_events (project_id, entity_type, entity_id, action, from_state, to_state, note, actor_id, at)
SELECT project_id, 'reception_entries', id, 'reception_logged', NULL, 'new', channel, received_by_id, received_at
FROM reception_entries ORDER BY id;
""".format(**c),  # noqa: S608 - constants of this module only
        ),
        (
            "work items",
            # the duties records leave in "My work": done ones for the history (one per
            # received slip, one per committed complaint), open ones for the live tail
            """
INSERT INTO work_items (project_id, kind, title, link, entity_type, entity_id, assignee_role, department_id,
    due_at, created_at, done_at, done_by_id)
SELECT project_id, 'slip_desk', number || ' · 新信息传递单：当天收取', '/slips/' || id, 'slips', id, 'receptionist', NULL,
       pg_temp.local_eod(filed_at), filed_at, received_at, received_by_id
FROM slips WHERE received_at IS NOT NULL ORDER BY id;
INSERT INTO work_items (project_id, kind, title, link, entity_type, entity_id, assignee_role, department_id,
    due_at, created_at, done_at, done_by_id)
SELECT project_id, 'complaint_commit', number || ' · 投诉：1小时内承诺处理', '/complaints/' || id, 'complaints', id,
       'cs_supervisor', NULL, commitment_due_at, received_at, commitment_done_at, commitment_to_id
FROM complaints WHERE commitment_done_at IS NOT NULL ORDER BY id;
INSERT INTO work_items (project_id, kind, title, link, entity_type, entity_id, assignee_role, department_id,
    due_at, created_at)
SELECT s.project_id, w.kind,
       s.number || ' · ' || w.title, '/slips/' || s.id, 'slips', s.id, w.role,
       CASE WHEN w.role = 'dept_supervisor' THEN s.responsible_department_id END,
       CASE WHEN s.status = 'filed' THEN
                CASE WHEN s.urgent THEN s.filed_at + interval '15 minutes' ELSE pg_temp.local_eod(s.filed_at) END
            ELSE s.rectification_due_at END,
       coalesce(s.received_at, s.filed_at)
FROM slips s
JOIN (VALUES ('filed', 'slip_desk', 'receptionist', '新信息传递单：当天收取'),
             ('filed', 'slip_desk', 'cs_supervisor', '新信息传递单：当天收取'),
             ('assigned', 'slip_rectify', 'dept_supervisor', '整改：当天完成'),
             ('rectifying', 'slip_rectify', 'dept_supervisor', '整改：当天完成'),
             ('escalated', 'slip_escalation', 'pm', '整改升级：请跟进方案'),
             ('awaiting_verification', 'slip_verify', 'cs_supervisor', '请现场验证'),
             ('awaiting_verification', 'slip_verify', 'receptionist', '请现场验证'),
             ('awaiting_callback', 'slip_callback', 'cs_supervisor', '请回访业主'))
     AS w(status, kind, role, title) ON w.status = s.status
ORDER BY s.id;
INSERT INTO work_items (project_id, kind, title, link, entity_type, entity_id, assignee_role, department_id,
    due_at, created_at)
SELECT c.project_id, w.kind, c.number || ' · ' || w.title, '/complaints/' || c.id, 'complaints', c.id, w.role,
       CASE WHEN w.role = 'dept_supervisor' THEN c.complained_department_id END,
       CASE WHEN c.status = 'received' THEN c.commitment_due_at ELSE c.resolution_due_at END,
       c.received_at
FROM complaints c
JOIN (VALUES ('received', 'complaint_commit', 'cs_supervisor', '投诉：承诺处理'),
             ('committed', 'complaint_handle', 'dept_supervisor', '投诉：开始处理'),
             ('in_progress', 'complaint_handle', 'dept_supervisor', '投诉：处理完毕'),
             ('waiting', 'complaint_handle', 'dept_supervisor', '投诉：暂停中'),
             ('answered', 'complaint_handle', 'dept_supervisor', '投诉：处理完毕'),
             ('awaiting_callback', 'complaint_callback', 'cs_supervisor', '投诉：请回访业主'))
     AS w(status, kind, role, title) ON w.status = c.status
ORDER BY c.id;
""".format(**c),  # noqa: S608 - constants of this module only
        ),
    ]
    return statements


def _secondary_indexes(connection: psycopg.Connection) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the big tables' indexes that are not constraints."""
    return connection.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        ORDER BY i.tablename, i.indexname
        """,
        (list(BULK_TABLES),),
    ).fetchall()


def _generate(url: str, scale: float) -> Dataset:
    from werkzeug.security import generate_password_hash

    counts = sizes(scale)
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    password_hash = generate_password_hash(BENCH_PASSWORD, method="scrypt")
    _log(f"generating scale {scale:g} into {sa.engine.make_url(url).database}: {counts}")
    with psycopg.connect(_psycopg_url(url), autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE bench_dataset (version int NOT NULL, scale float8 NOT NULL, anchor timestamptz NOT NULL,"
            " seconds float8 NOT NULL, counts jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
        # the bulk load's own session: no foreign-key or audit triggers, big sort memory
        connection.execute("SET session_replication_role = replica")
        connection.execute("SET synchronous_commit = off")
        connection.execute("SET maintenance_work_mem = '1GB'")
        connection.execute("SET work_mem = '256MB'")
        connection.execute(_HELPERS)
        indexes = _secondary_indexes(connection)
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        for label, sql in _statements(counts, anchor):
            started = time.monotonic()
            with connection.transaction():
                for statement in [s for s in sql.split(";\n") if s.strip()]:
                    if ":password_hash" in statement:
                        statement = statement.replace(":password_hash", "%(password_hash)s")
                        connection.execute(statement, {"password_hash": password_hash})
                    else:
                        connection.execute(statement)
            _log(f"  {label}: {time.monotonic() - started:.0f} s")
        started = time.monotonic()
        for _, definition in indexes:
            connection.execute(definition)
        _log(f"  {len(indexes)} secondary indexes: {time.monotonic() - started:.0f} s")
        for table in EXPLICIT_ID_TABLES:
            connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce((SELECT max(id) FROM {table}), 1))"  # noqa: S608
            )
        started = time.monotonic()
        connection.execute("SET session_replication_role = origin")
        connection.execute("VACUUM (ANALYZE)")
        _log(f"  vacuum and analyze: {time.monotonic() - started:.0f} s")
        tables = ["projects", "users", *FULL_SIZE, "owners", "complaint_callbacks", "audit_events", "work_items"]
        actual = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
            for table in dict.fromkeys(tables)
        }
        actual["open work_items"] = connection.execute(
            "SELECT count(*) FROM work_items WHERE done_at IS NULL"
        ).fetchone()[0]
    return Dataset(version=DATASET_VERSION, scale=scale, anchor=anchor, seconds=0.0, counts=actual)


def scale_from_environment() -> float:
    scale = float(os.environ.get("BENCH_SCALE") or 1)
    if not 0 < scale <= 10 or math.isnan(scale):
        raise SystemExit("BENCH_SCALE must be a number between 0 and 10")
    return scale


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    dataset = ensure_dataset(url, scale_from_environment(), rebuild=os.environ.get("BENCH_REBUILD") == "1")
    print({k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(dataset).items()})


if __name__ == "__main__":
    main()
