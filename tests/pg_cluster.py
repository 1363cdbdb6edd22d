"""A PostgreSQL server of a test's own, for tests that stop and start the database.

The server at TEST_DATABASE_URL is shared with other test runs and is never stopped. A
test that needs a database going away builds a private cluster instead: `initdb` into a
temporary folder (owned by the `postgres` OS user when the tests run as root, since
initdb refuses root), trust authentication, no TCP at all: the unix socket lives in that
folder, named after a port that was free when the cluster was made. `close()` stops the
server and removes the folder.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

from tests.servers import free_port


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server binaries here, or no way to run them (a test skips on this)."""


def server_binaries() -> Path:
    """The folder of initdb and pg_ctl: pg_config's, else the newest Debian install."""
    found = shutil.which("pg_config")
    if found:
        bindir = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if bindir and (Path(bindir) / "initdb").is_file():
            return Path(bindir)
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3].split(".")[0])
    )
    if not candidates:
        raise ClusterUnavailable("no PostgreSQL server binaries (initdb, pg_ctl) installed")
    return Path(candidates[-1]).parent


class PrivateCluster:
    def __init__(self, root: Path, port: int, run_as: str | None, bindir: Path):
        self.root = root
        self.data = root / "data"
        self.port = port
        self.run_as = run_as
        self.bin = bindir
        self.running = False

    @classmethod
    def create(cls) -> PrivateCluster:
        bindir = server_binaries()
        run_as = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterUnavailable("running as root and there is no postgres user to run initdb as") from None
            run_as = "postgres"
        root = Path(tempfile.mkdtemp(prefix="estatedesk-pg-"))
        if run_as:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        cluster = cls(root, free_port(), run_as, bindir)
        try:
            cluster._run(
                "initdb", "-D", str(cluster.data), "-U", "postgres", "--auth=trust",
                "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
            )
        except BaseException:
            cluster.close()
            raise
        return cluster

    def _run(self, program: str, *args: str, timeout: float = 60) -> str:
        command = [str(self.bin / program), *args]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start(self) -> None:
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.root}' -p {self.port}"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every session at once (as a restart by systemd does); `immediate`
        is a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        self.running = False

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.root}&port={self.port}"

    def create_database(self, name: str) -> str:
        assert name.replace("_", "").isalnum(), name
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)

    def log(self) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")
        except OSError:
            return ""

    def close(self) -> None:
        """Stop the server if it runs and remove its folder; safe to call twice."""
        try:
            if self.running or (self.data / "postmaster.pid").exists():
                try:
                    self.stop("immediate")
                except (RuntimeError, subprocess.TimeoutExpired):
                    pass
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
