"""A throw-away PostgreSQL server in a temp dir, for tests and benchmarks of the store.

It runs the installed server binaries (Debian's ``postgresql`` package puts them under
``/usr/lib/postgresql/<version>/bin``): ``initdb`` in a fresh temp dir, then ``pg_ctl start``
listening only on 127.0.0.1 on a free port, the unix socket in the temp dir, loopback trusted
and fsync off (its data is thrown away). initdb refuses to run as root, so as root the server
runs as the ``postgres`` system user, which owns the temp dir.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import LiteralString

POSTGRES_BIN_ROOT = Path("/usr/lib/postgresql")
START_ATTEMPTS = 5
"""Ports tried before giving up (another process may take a free port before the server)."""


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's server binaries (or a user to run them as) are not on this machine."""


def find_postgres_bin() -> Path | None:
    """Return the folder holding ``initdb`` and ``pg_ctl`` (newest version), or ``None``."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    found = [
        p.parent for p in POSTGRES_BIN_ROOT.glob("*/bin/pg_ctl") if (p.parent / "initdb").exists()
    ]
    found.sort(key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)
    return found[-1] if found else None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class TemporaryPostgres:
    """A PostgreSQL server living as long as the ``with`` block; :attr:`url` is its superuser URL.

    ``label`` goes into the temp dir's name (e.g. the pytest-xdist worker id), so parallel
    servers are told apart. Raises :class:`PostgresUnavailable` where the binaries are
    missing and :class:`RuntimeError` with the server's log when it does not start.
    """

    def __init__(self, label: str = "main") -> None:
        self.label = label
        self.url = ""
        self.port = 0
        self._bin: Path | None = None
        self._root: Path | None = None
        self._prefix: list[str] = []

    def __enter__(self) -> TemporaryPostgres:
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a server program as the user that owns the data directory."""
        return subprocess.run([*self._prefix, *args], capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        """Create the cluster and start the server (see the module docstring)."""
        self._bin = find_postgres_bin()
        if self._bin is None:
            raise PostgresUnavailable(
                "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under "
                f"{POSTGRES_BIN_ROOT}; install the Debian package 'postgresql' (make test does)"
            )
        root = Path(tempfile.mkdtemp(prefix=f"papertally-pg-{self.label}-"))
        self._root = root
        if os.geteuid() == 0:
            try:
                shutil.chown(root, user="postgres", group="postgres")
            except LookupError:
                self.stop()
                raise PostgresUnavailable(
                    "running as root and there is no 'postgres' user to run initdb as"
                ) from None
            self._prefix = ["runuser", "-u", "postgres", "--"]
        data, log = root / "data", root / "server.log"
        initdb = self._run(
            str(self._bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        if initdb.returncode != 0:
            self.stop()
            raise RuntimeError(f"initdb failed: {initdb.stderr or initdb.stdout}")
        for _attempt in range(START_ATTEMPTS):
            port = free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off"
            )
            started = self._run(
                str(self._bin / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                "-o", options, "start",
            )  # fmt: skip
            if started.returncode == 0:
                self.port = port
                self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
                return
        server_log = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        self.stop()
        raise RuntimeError(f"PostgreSQL did not start; its log ends:\n{server_log}")

    def stop(self) -> None:
        """Stop the server (if running) and remove its temp dir."""
        if self._root is None:
            return
        if self.port and self._bin is not None:
            data = str(self._root / "data")
            self._run(str(self._bin / "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self._root, ignore_errors=True)
        self._root = None
        self.port = 0
        self.url = ""

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` on the server and return its URL."""
        self._admin("CREATE DATABASE {}", name)
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def drop_database(self, name: str) -> None:
        """Drop database ``name``, closing any connection still open to it."""
        self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)

    def _admin(self, statement: LiteralString, name: str) -> None:
        """Run ``statement`` about database ``name`` outside a transaction, as the superuser."""
        import psycopg
        from psycopg import sql

        if not self.port:
            raise RuntimeError("the temporary PostgreSQL server is not running")
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(sql.SQL(statement).format(sql.Identifier(name)))
