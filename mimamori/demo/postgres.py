"""A private PostgreSQL cluster on a free loopback port, in a directory of its own.

Used by the tests and ``mimamori bench hub --store postgres``. It never touches a
system cluster: ``initdb`` makes a new one in a temporary directory, the server
listens on 127.0.0.1 (and a unix socket in that directory) only, and everything
goes when it stops. PostgreSQL refuses to run as root, so as root the cluster
belongs to the ``postgres`` user Debian's package creates (``runuser``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from mimamori.demo.mosquitto import free_port, wait_for_port
from mimamori.errors import StoreError

SUPERUSER = "mimamori"
RUN_AS = "postgres"  # Debian's postgresql package makes this user

# Tests throw their databases away: durability costs them time and proves nothing.
FAST = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


def bin_dir() -> Path:
    """The newest installed PostgreSQL server's programs (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise StoreError("PostgreSQL is not installed: sudo apt-get install -y postgresql")


class PrivatePostgres:
    def __init__(
        self, *, durable: bool = False, settings: tuple[str, ...] = (), port: int | None = None
    ) -> None:
        """``durable``: fsync and synchronous commits as in production (benchmarks);
        otherwise off (tests). ``settings``: more ``name=value`` server settings."""
        self.host = "127.0.0.1"
        self.port = port or free_port(self.host)
        self.durable = durable
        self.settings = settings
        self.dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def _as_owner(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", RUN_AS, "--", *argv] if os.geteuid() == 0 else argv

    def start(self) -> None:
        binaries = bin_dir()
        # Not under pytest's or the caller's directories: as root those are closed
        # to the postgres user.
        self.dir = Path(tempfile.mkdtemp(prefix="mimamori-pg-"))
        if os.geteuid() == 0:
            owner = pwd.getpwnam(RUN_AS)
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        data = self.dir / "data"
        subprocess.run(
            self._as_owner(
                [str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                 "-E", "UTF8", "--locale=C", "--no-sync"]
            ),
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        options = [
            f"listen_addresses={self.host}",
            f"port={self.port}",
            f"unix_socket_directories={self.dir}",
            "max_connections=200",
            *([] if self.durable else FAST),
            *self.settings,
        ]
        with open(self.dir / "postgres.log", "wb") as log_file:
            self._proc = subprocess.Popen(
                self._as_owner(
                    [str(binaries / "postgres"), "-D", str(data)]
                    + [arg for option in options for arg in ("-c", option)]
                ),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_port(self.host, self.port, timeout=30)
            self._wait_ready()
        except Exception:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        """The port opens before the server takes connections: ask pg_isready."""
        deadline = time.monotonic() + 30
        ready = [str(bin_dir() / "pg_isready"), "-h", self.host, "-p", str(self.port), "-q"]
        while subprocess.run(ready, check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise StoreError(f"PostgreSQL on port {self.port} did not become ready")
            time.sleep(0.05)

    def _postmaster_pid(self) -> int | None:
        pid_file = None if self.dir is None else self.dir / "data" / "postmaster.pid"
        try:
            return int(pid_file.read_text().split()[0]) if pid_file else None
        except (OSError, ValueError, IndexError):
            return None

    def log(self) -> str:
        path = None if self.dir is None else self.dir / "postgres.log"
        return path.read_text(errors="replace") if path and path.exists() else ""

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            # SIGINT to the postmaster itself (runuser does not pass signals on):
            # PostgreSQL's "fast" shutdown, no waiting for clients to leave.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._postmaster_pid() or proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.dir is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(self.dir)
            self.dir = None

    def database(self, dbname: str) -> dict[str, object]:
        """The ``hub.database`` section of a hub config using ``dbname`` here."""
        return {
            "postgres": {
                "host": self.host,
                "port": self.port,
                "user": SUPERUSER,
                "dbname": dbname,
            }
        }

    def __enter__(self) -> PrivatePostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
