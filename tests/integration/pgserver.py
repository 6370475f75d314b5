"""Start and stop a throw-away PostgreSQL server from Debian's package, for tests."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_pg_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in
                        Path(p).parent.name.split(".") if x.isdigit()])
    return Path(candidates[-1]) if candidates else None


@dataclass
class PgServer:
    bin: Path
    dir: Path
    port: int
    user: str = "reflekt"
    password: str = "rpass-7c1d"
    database: str = "dev"
    superpassword: str = "pgpass-93ab"

    def _as_postgres(self, *args: str) -> None:
        runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*runner, *args], check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        (self.dir / "sock").mkdir(parents=True)
        (self.dir / "pw").write_text(self.superpassword)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            for path in self.dir.rglob("*"):
                shutil.chown(path, "postgres", "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "md5", "-U", "postgres",
                          f"--pwfile={self.dir / 'pw'}", "-E", "UTF8", "--no-instructions")
        with open(self.dir / "data" / "postgresql.conf", "a") as conf:
            # md5, because redshift_connector cannot do SCRAM with a stock server.
            conf.write("password_encryption = md5\nfsync = off\nsynchronous_commit = off\n")
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"),
                          "-w", "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir / 'sock'}", "start")
        self.admin(f"create user {self.user} with password '{self.password}'",
                   f"create database {self.database} owner {self.user}")

    def admin(self, *statements: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", password=self.superpassword,
                             dbname=database, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def execute(self, statements: list[str]) -> None:
        """Run statements as the test user, in one transaction."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, password=self.password,
                             dbname=self.database) as conn:
            with conn.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)

    def stop(self) -> None:
        try:
            self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def start_server() -> PgServer:
    pg_bin = find_pg_bin()
    if pg_bin is None:
        raise RuntimeError("PostgreSQL is not installed: run 'apt-get install -y postgresql' (scripts/test does)")
    server = PgServer(bin=pg_bin, dir=Path(tempfile.mkdtemp(prefix="reflekt-pg-", dir="/tmp")), port=_free_port())
    os.chmod(server.dir, 0o755)
    server.start()
    return server
