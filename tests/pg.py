"""Find or start a PostgreSQL server for the test suite.

Order: `TEST_DATABASE_URL`; the local server on 127.0.0.1:5432; a throwaway server started
from the installed PostgreSQL binaries (initdb + pg_ctl in a temporary folder).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg


def _reachable(url: str) -> bool:
    try:
        with psycopg.connect(
            url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3
        ):
            return True
    except psycopg.Error:
        return False


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayServer:
    """A private PostgreSQL cluster in a temporary folder, stopped by `stop()`."""

    def __init__(self) -> None:
        initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl) found")
        self.pg_ctl = pg_ctl
        self.dir = Path(tempfile.mkdtemp(prefix="tendero-pg-"))
        self.port = _free_port()
        run_as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run as the postgres user
            shutil.chown(self.dir, "postgres")
            run_as = ["runuser", "-u", "postgres", "--"]
        self.run_as = run_as
        data = self.dir / "data"
        subprocess.run(
            [*run_as, initdb, "-D", str(data), "-U", "postgres", "-A", "trust"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                *run_as,
                pg_ctl,
                "-D",
                str(data),
                "-l",
                str(self.dir / "log"),
                "-w",
                "-o",
                f"-p {self.port} -k {self.dir} -h 127.0.0.1",
                "start",
            ],
            check=True,
            capture_output=True,
        )
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            [*self.run_as, self.pg_ctl, "-D", str(self.dir / "data"), "-m", "fast", "stop"],
            capture_output=True,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


def find_admin_url() -> tuple[str | None, ThrowawayServer | None, str]:
    """Return (admin URL, server to stop or None, how it was found)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return (
            (url, None, "TEST_DATABASE_URL")
            if _reachable(url)
            else (None, None, f"TEST_DATABASE_URL={url} is not reachable")
        )
    local = "postgresql://postgres@127.0.0.1:5432/postgres"
    if _reachable(local):
        return local, None, "local server on 127.0.0.1:5432"
    try:
        server = ThrowawayServer()
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        return None, None, f"no PostgreSQL: local server unreachable and {exc}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not _reachable(server.url):
        time.sleep(0.2)
    return server.url, server, "throwaway server"
