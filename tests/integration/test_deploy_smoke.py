"""deploy/ as an operator uses it: the shipped nginx site in front of gunicorn on PostgreSQL.

The stack test builds what deploy/README.md builds, on 127.0.0.1 and spare ports inside a
temporary folder: a database of its own (`flask db upgrade`, `flask demo`), Redis on a
spare db index, gunicorn from deploy/gunicorn.conf.py in production mode, and nginx with
deploy/nginx/estatedesk.conf, changed only where a test must differ from a server (ports,
certificate, folders; see `nginx_site`). A phone's requests then go through nginx over
https. The other tests check the shipped files themselves: nginx accepts the site, the
backup restores, the compose file holds together.
"""

from __future__ import annotations

import gzip
import http.client
import io
import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.databases import TEST_DATABASE_URL, throwaway_database
from tests.servers import REPO, Gunicorn, free_port, production_environment, run_flask
from webapp.demo import DEMO_PASSWORD

DEPLOY = REPO / "deploy"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
#: a db index nothing else in the suite uses: flushed at the start and the end
REDIS_URL = "redis://127.0.0.1:6379/13"
#: the app's own MAX_CONTENT_LENGTH, which nginx's client_max_body_size must match
BODY_LIMIT = 20 * 1024 * 1024

needs_nginx = pytest.mark.skipif(NGINX is None, reason="needs nginx (make server-deps installs nginx-light)")
needs_postgresql = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL: set TEST_DATABASE_URL")


def _replace(text: str, old: str, new: str) -> str:
    """Replace a line the test relies on; fail loudly if the shipped file no longer has it,
    rather than quietly test something else."""
    assert old in text, f"deploy/nginx/estatedesk.conf no longer contains {old!r}"
    return text.replace(old, new)


def nginx_site(
    *, upstream_port: int, http_port: int, https_port: int, certificate: Path, key: Path,
    static_dir: Path, media_dir: Path,
) -> str:
    """deploy/nginx/estatedesk.conf with only what a test on one machine must change:
    ports on 127.0.0.1, the test's certificate, its static and media folders, and the
    name localhost. On a server the site listens on 443, so `$host` is what a browser
    sent; here the port is not 443, so it is added back for the Host the app sees (Flask-WTF
    compares it with the Referer of an https form post)."""
    text = (DEPLOY / "nginx" / "estatedesk.conf").read_text()
    text = _replace(text, "server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};")
    text = _replace(text, "    listen 80;\n    listen [::]:80;\n", f"    listen 127.0.0.1:{http_port};\n")
    text = _replace(
        text, "    listen 443 ssl http2;\n    listen [::]:443 ssl http2;\n", f"    listen 127.0.0.1:{https_port} ssl http2;\n"
    )
    text = _replace(text, "/etc/letsencrypt/live/desk.example.com/fullchain.pem", str(certificate))
    text = _replace(text, "/etc/letsencrypt/live/desk.example.com/privkey.pem", str(key))
    text = _replace(text, "/opt/estatedesk/venv/lib/python3.11/site-packages/webapp/static/", f"{static_dir}/")
    text = _replace(text, "alias /var/lib/estatedesk/media/;", f"alias {media_dir}/;")
    text = _replace(text, "server_name desk.example.com;", "server_name localhost;")
    text = _replace(text, "proxy_set_header Host $host;", "proxy_set_header Host $host:$server_port;")
    text = _replace(text, "proxy_set_header X-Forwarded-Host $host;", "proxy_set_header X-Forwarded-Host $host:$server_port;")
    assert not any("desk.example.com" in line.partition("#")[0] for line in text.splitlines())
    return text


def nginx_main_config(folder: Path, site: str) -> Path:
    """A main nginx.conf like Debian's, with the site included in its http block and every
    file nginx writes (pid, logs, request bodies) under `folder`."""
    (folder / "estatedesk.conf").write_text(site)
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / name).mkdir(exist_ok=True)
    # As root, workers would switch to `nobody`, who cannot enter pytest's private folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""{user}daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/estatedesk.conf;
}}
"""
    )
    return conf


def nginx_check(conf: Path, folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [NGINX, "-t", "-q", "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf)],
        capture_output=True, text=True, timeout=30, check=False,
    )


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True, timeout=30,
    )
    return certificate, key


def _wait_for_port(port: int, deadline: float, process: subprocess.Popen, what: str) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"{what} did not listen on {port} in time")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data, content_type) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


class Phone:
    """A browser on https://localhost:<port>: trusts the test's certificate, keeps cookies
    (Secure ones too: this is https), sends the Referer a form post carries."""

    def __init__(self, port: int, certificate: Path):
        self.port = port
        self.origin = f"https://localhost:{port}"
        self.context = ssl.create_default_context(cafile=str(certificate))
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) deploy-smoke-test", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers.setdefault("Referer", f"{self.origin}{path}")
        connection = http.client.HTTPSConnection("localhost", self.port, context=self.context, timeout=20)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            for raw in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(raw).items():
                    self.cookies[name] = morsel.value
            return response.status, response.msg, data
        finally:
            connection.close()

    def form(self, path: str, fields: dict) -> tuple[int, http.client.HTTPMessage, bytes]:
        return self.request(
            "POST", path, urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page) or re.search(
        rf'type="hidden" name="{name}" value="([^"]+)"|name="{name}" value="([^"]+)"', page
    )
    assert match, f"no hidden {name} in the page"
    return next(group for group in match.groups() if group)


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"needs Redis on 127.0.0.1:6379 ({exc})")
    return client


@pytest.mark.slow
@pytest.mark.pg
@needs_nginx
@needs_postgresql
def test_deploy_a_phone_files_a_slip_with_a_photo_through_nginx_over_https(tmp_path):
    deadline = time.monotonic() + 40
    redis = _redis_or_skip()
    redis.flushdb()
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    media_dir = tmp_path / "media"
    media_dir.mkdir()
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    certificate, key = self_signed_certificate(nginx_dir)
    site = nginx_site(
        upstream_port=app_port, http_port=http_port, https_port=https_port, certificate=certificate, key=key,
        static_dir=REPO / "static", media_dir=media_dir,
    )
    conf = nginx_main_config(nginx_dir, site)
    check = nginx_check(conf, nginx_dir)
    assert check.returncode == 0, check.stderr

    processes: list[subprocess.Popen] = []
    server = None
    try:
        with throwaway_database("estatedesk_deploy_smoke") as database_url:
            env = production_environment(
                database_url, tmp_path, app_port, REDIS_URL=REDIS_URL, MEDIA_ACCEL_PREFIX="/_media/"
            )
            run_flask(["db", "upgrade"], env, tmp_path)
            assert "ch.patrol" in run_flask(["demo"], env, tmp_path)

            server = Gunicorn(env, tmp_path)
            nginx = subprocess.Popen(
                [NGINX, "-p", str(nginx_dir), "-e", str(nginx_dir / "error.log"), "-c", str(conf)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            processes.append(nginx)
            server.wait_for(rf"Listening at: http://127\.0\.0\.1:{app_port}\b", deadline)
            _wait_for_port(https_port, deadline, nginx, "nginx")
            phone = Phone(https_port, certificate)

            # Liveness through nginx, kept out of its access log.
            status, headers, body = phone.request("GET", "/healthz")
            assert (status, body) == (200, b"ok\n")

            # Sign in as the patrol guard.
            status, headers, body = phone.request("GET", "/login")
            assert status == 200, body
            page = body.decode()
            status, headers, body = phone.form(
                "/login", {"csrf_token": _hidden(page, "csrf_token"), "username": "ch.patrol", "password": DEMO_PASSWORD}
            )
            assert status == 303, body

            # File a slip with a photo, as the phone's form does (multipart, CSRF, submission key).
            status, headers, body = phone.request("GET", "/slips/new")
            assert status == 200, body
            page = body.decode()
            description = f"消防通道堆放杂物 {uuid.uuid4().hex[:6]}"
            form, content_type = _multipart(
                {
                    "csrf_token": _hidden(page, "csrf_token"),
                    "submission_key": _hidden(page, "submission_key"),
                    "category": "facility",
                    "description": description,
                    "place_text": "3栋地下车库",
                    "source": "seen_on_site",
                },
                {"photos": ("IMG_0001.jpg", _jpeg(), "image/jpeg")},
            )
            status, headers, body = phone.request("POST", "/slips/new", form, {"Content-Type": content_type})
            assert status == 303, body.decode(errors="replace")
            slip_path = headers["Location"].removeprefix(phone.origin)
            assert re.fullmatch(r"/slips/\d+", slip_path), headers["Location"]

            status, headers, body = phone.request("GET", slip_path)
            assert status == 200
            page = body.decode()
            assert description in page
            photo_id = int(re.search(r"/slips/photos/(\d+)/thumb", page).group(1))

            # The photo: the app checks who asks, nginx sends the bytes from MEDIA_DIR.
            engine = sa.create_engine(database_url)
            try:
                with engine.connect() as connection:
                    original_key = connection.scalar(
                        sa.text("SELECT original_key FROM slip_photos WHERE id = :id"), {"id": photo_id}
                    )
            finally:
                engine.dispose()
            stored = media_dir / original_key
            status, headers, body = phone.request("GET", f"/slips/photos/{photo_id}/original")
            assert status == 200
            assert body == stored.read_bytes()
            assert headers["Content-Type"] == "image/jpeg"
            assert headers["X-Content-Type-Options"] == "nosniff"
            # nginx sends the file, with the security headers every response carries
            assert "object-src 'none'" in headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
            assert headers["Referrer-Policy"] == "same-origin"
            cache_control = ", ".join(headers.get_all("Cache-Control"))
            assert "private" in cache_control and "public" not in cache_control, cache_control
            # gunicorn sent no bytes of it (its access log gives the body size).
            server.wait_for(
                rf'"GET /slips/photos/{photo_id}/original HTTP/1\.[01]" 200 0 ', min(deadline, time.monotonic() + 5)
            )
            # nginx's workers run as www-data, not as the service user: they read the files
            # through the estatedesk group (deploy/README.md), so the app must leave them
            # group-readable.
            assert stat.S_IMODE(stored.stat().st_mode) & stat.S_IRGRP, oct(stored.stat().st_mode)

            # The media folder itself is not reachable from outside.
            status, headers, body = phone.request("GET", f"/_media/{original_key}")
            assert status == 404
            assert body != stored.read_bytes()

            # Fingerprinted static files: a year in the phone's cache, compressed.
            assert (REPO / "static" / "css" / "app.css").is_file()
            css_url = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', page).group(1)
            status, headers, body = phone.request("GET", css_url, headers={"Accept-Encoding": "gzip"})
            assert status == 200
            assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(body) == (REPO / "static" / "css" / "app.css").read_bytes()
            status, headers, body = phone.request("GET", "/static/css/app.css")
            assert status == 200 and headers["Cache-Control"] == "no-cache"
            assert "default-src 'none'" in headers["Content-Security-Policy"]
            assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "same-origin"

            # A body over the app's limit is refused by nginx before it reaches gunicorn.
            connection = http.client.HTTPSConnection("localhost", https_port, context=phone.context, timeout=20)
            try:
                connection.putrequest("POST", "/slips/new")
                connection.putheader("Content-Type", "application/octet-stream")
                connection.putheader("Content-Length", str(BODY_LIMIT + 1))
                connection.endheaders()
                response = connection.getresponse()
                assert response.status == 413
                assert b"nginx" in response.read()
            finally:
                connection.close()

            # Plain http only redirects to https.
            connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
            try:
                connection.request("GET", "/slips/?status=open", headers={"Host": "localhost"})
                response = connection.getresponse()
                response.read()
                assert response.status == 301
                assert response.getheader("Location") == "https://localhost/slips/?status=open"
            finally:
                connection.close()

            access_log = (nginx_dir / "access.log").read_text()
            assert "GET /slips/new" in access_log and "/healthz" not in access_log
            _stop(nginx)
            log = server.stop()
            server = None
        assert log.count("Booting worker") == 2, log
        assert '"POST /slips/new HTTP/1.1" 303' in log, log
        assert "POST /slips/new HTTP/1.1\" 413" not in log
    finally:
        for process in processes:
            _stop(process)
        if server is not None:
            server.stop()
        redis.flushdb()
        redis.close()


@pytest.mark.slow
@needs_nginx
def test_deploy_nginx_accepts_the_shipped_site(tmp_path):
    """The file as shipped, inside a main configuration like Debian's; only the
    certificate (certbot's, which a test machine does not have) is the test's own."""
    certificate, key = self_signed_certificate(tmp_path)
    site = (DEPLOY / "nginx" / "estatedesk.conf").read_text()
    site = _replace(site, "/etc/letsencrypt/live/desk.example.com/fullchain.pem", str(certificate))
    site = _replace(site, "/etc/letsencrypt/live/desk.example.com/privkey.pem", str(key))
    check = nginx_check(nginx_main_config(tmp_path, site), tmp_path)
    assert check.returncode == 0, check.stderr

    broken = nginx_main_config(tmp_path, site.replace("internal;", "internal"))
    assert nginx_check(broken, tmp_path).returncode != 0


def test_deploy_compose_runs_every_service_the_servers_run():
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with moto[server] in the test extras")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"migrate", "app", "worker", "sweep", "nginx", "postgres", "redis"}
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"

    app_services = ("migrate", "app", "worker", "sweep")
    for name in app_services:
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/Containerfile", name
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file(), name
        environment = service["environment"]
        assert "@postgres:5432/" in environment["DATABASE_URL"] and environment["REDIS_URL"].startswith("redis://redis:")
        assert "media:/var/lib/estatedesk/media" in service["volumes"], name
    assert services["migrate"]["command"] == ["flask", "db", "upgrade"]
    assert services["app"]["command"][0] == "gunicorn"
    assert services["worker"]["command"] == ["flask", "jobs", "worker"]
    assert "flask sla sweep" in " ".join(services["sweep"]["command"])
    for name in ("app", "worker", "sweep"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}

    # Only nginx is published; it reads the media volume but cannot change it.
    published = [name for name, service in services.items() if service.get("ports")]
    assert published == ["nginx"]
    assert "media:/var/lib/estatedesk/media:ro" in services["nginx"]["volumes"]
    assert services["nginx"]["build"]["target"] == "nginx"
    assert {"pgdata", "media"} <= set(compose["volumes"])
    assert any(v.startswith("pgdata:/var/lib/postgresql/data") for v in services["postgres"]["volumes"])

    containerfile = (DEPLOY / "Containerfile").read_text()
    assert re.search(r"^FROM \S+ AS app$", containerfile, re.M) and re.search(r"^FROM \S+ AS nginx$", containerfile, re.M)
    # The nginx image serves the static files at the path the shipped site names.
    static_alias = re.search(r"alias (\S+/webapp/static/);", (DEPLOY / "nginx" / "estatedesk.conf").read_text()).group(1)
    assert f"COPY --from=app {static_alias}" in containerfile.replace("\\\n     ", "")


@pytest.mark.slow
@pytest.mark.pg
@needs_postgresql
@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("runuser") or not shutil.which("pg_dump"),
    reason="the backup scripts run as root and reach PostgreSQL as its local postgres user",
)
def test_deploy_the_nightly_backup_passes_the_restore_check_and_a_damaged_one_fails(tmp_path):
    probe = subprocess.run(
        ["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-t", "-c", "SELECT 1"],
        cwd="/", capture_output=True, text=True, timeout=30, check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"the postgres user cannot reach a local PostgreSQL: {probe.stderr.strip()}")
    media = tmp_path / "media"
    (media / "ab").mkdir(parents=True)
    (media / "ab" / "photo.jpg").write_bytes(_jpeg())
    backups = tmp_path / "backups"
    with throwaway_database("estatedesk_backup_check") as database_url:
        database = sa.engine.make_url(database_url).database
        env = production_environment(database_url, tmp_path, free_port())
        env.update(
            ESTATEDESK_DATABASE=database, ESTATEDESK_MEDIA_DIR=str(media),
            ESTATEDESK_RESTORE_DATABASE=f"{database}_restored",
        )
        run_flask(["db", "upgrade"], env, tmp_path)

        def run(script: str, folder: Path) -> subprocess.CompletedProcess:
            return subprocess.run(
                [str(DEPLOY / script), str(folder)], env=env, capture_output=True, text=True, timeout=120, check=False
            )

        # A database nobody can sign in to is not a backup worth having.
        assert run("estatedesk-backup", tmp_path / "before-admin").returncode == 0
        empty = run("estatedesk-restore-check", tmp_path / "before-admin")
        assert empty.returncode != 0 and "no users" in empty.stderr, empty.stdout + empty.stderr

        run_flask(["user", "create", "admin", "--name", "系统管理员", "--password", "correct-horse-9"], env, tmp_path)
        backups.mkdir()
        expired = [backups / "db-20260101-023000.dump", backups / "media-20260101-023000.tar.gz"]
        for old in expired:
            old.write_bytes(b"old")
            fifteen_days_ago = time.time() - 15 * 86400
            os.utime(old, (fifteen_days_ago, fifteen_days_ago))
        backup = run("estatedesk-backup", backups)
        assert backup.returncode == 0, backup.stderr
        assert not any(old.exists() for old in expired), "backups older than 14 days are kept"
        (dump,) = backups.glob("db-*.dump")
        passed = run("estatedesk-restore-check", backups)
        assert passed.returncode == 0, passed.stdout + passed.stderr
        assert passed.stdout.rstrip().endswith("restore check passed")
        assert re.search(r"^users\s+1\s+1$", passed.stdout, re.M), passed.stdout
        assert "media archive readable: 3 entries" in passed.stdout  # the folder, ab/, the photo

        dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
        damaged = run("estatedesk-restore-check", backups)
        assert damaged.returncode != 0, damaged.stdout
        assert "restore check passed" not in damaged.stdout

        maintenance = sa.create_engine(sa.engine.make_url(database_url).set(database="postgres"))
        try:
            with maintenance.connect() as connection:
                left = connection.scalar(
                    sa.text("SELECT count(*) FROM pg_database WHERE datname = :name"), {"name": f"{database}_restored"}
                )
        finally:
            maintenance.dispose()
        assert left == 0, "the restore check left its scratch database behind"
