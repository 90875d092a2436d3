"""A real PostgreSQL server for the tests: Debian's `postgresql` (15; another major found under
/usr/lib/postgresql/*/bin is used when 15 is missing, AIDIGEST_TEST_PG_BIN names another bin folder).

`initdb` into a temp folder as an unprivileged user (the server refuses root: as root the folder is chown'ed to the
`postgres` user and the binaries run through `runuser`), listening on a Unix socket in that folder and on 127.0.0.1
only, on a free port; fsync off (a test server: nothing to keep after a crash). Local socket connections are
trusted; TCP connections need the password (scram-sha-256), so a refused password is a real refusal. One database
per test (`new_db`, CREATE DATABASE ... TEMPLATE template0); the whole server is stopped and its folder removed at the
end of the session.
"""

from __future__ import annotations

import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "aidigest"  # the server's superuser (the test databases' owner)


def find_bin() -> Path | None:
    env = os.environ.get("AIDIGEST_TEST_PG_BIN")
    if env:
        return Path(env) if (Path(env) / "initdb").exists() else None
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: (p.parent.parent.name != "15", p))
    return found[0].parent if found else None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, bindir: Path, listen: str = "127.0.0.1", allow: tuple[str, ...] = ()):
        """`listen`: the addresses it listens on (comma-separated; URLs name the first); `allow`: networks besides
        the loopback whose clients may log in with the password (e.g. the test's veth networks)."""
        self.bindir = bindir
        self.listen = listen
        self.allow = allow
        self.password = secrets.token_hex(12)
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="aidigest-pg-"))
        self.data = self.dir / "data"
        self._names = itertools.count(1)
        self._run_as: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse root
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self._run_as = ["runuser", "-u", "postgres", "--"]

    def _pg(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        r = subprocess.run([*self._run_as, str(self.bindir / tool), *args], capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"{tool} failed ({r.returncode}): {r.stdout[-2000:]} {r.stderr[-2000:]}")
        return r

    def start(self) -> PgServer:
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password + "\n")
        if self._run_as:
            owner = pwd.getpwnam("postgres")
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        self._pg("initdb", "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}", "--auth-local=trust",
                 "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        pwfile.unlink()
        if self.allow:
            with open(self.data / "pg_hba.conf", "a", encoding="utf-8") as f:
                f.writelines(f"host all all {net} scram-sha-256\n" for net in self.allow)
        opts = (f"-k {self.dir} -c listen_addresses='{self.listen}' -p {self.port} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-o", opts, "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        try:
            self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, db: str = "postgres", password: str | None = None, host: str | None = None) -> str:
        host = host or self.listen.split(",")[0]
        return f"postgresql://{USER}:{password or self.password}@{host}:{self.port}/{db}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as c:
            c.execute(sql)

    def new_db(self, prefix: str = "t") -> str:
        """The URL of a new, empty database."""
        name = f"{prefix}{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)
