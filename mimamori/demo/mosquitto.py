"""A private Mosquitto on a free loopback port, with its own config and data.

Used by ``mimamori demo`` and the tests. It never touches a system broker: its
config, persistence file and log live in the directory it is given.

Without accounts (``auth=None``) it lets anyone in: that is for the demo and the
tests only, so it then listens on a loopback address and nowhere else. With
accounts it is set up like the town's broker (configs/mosquitto.conf): each account
is bound to its client id (``use_username_as_clientid``).

It never runs as root. Started by root (``./run demo`` installs packages as root),
Mosquitto drops to its own user before it opens any file, so the files it reads and
writes are staged in a run directory of that user's, and its database is copied back
into ``directory`` when it stops.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import pwd
import random
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mimamori.errors import BrokerError

log = logging.getLogger(__name__)

# Per-client queue for a subscriber that is away (the hub restarting): Mosquitto's
# default of 1000 would drop a town's events within minutes, so hold far more.
CONFIG = """\
# mimamori private broker: loopback only, written by mimamori/demo/mosquitto.py
per_listener_settings false
# Started as root, Mosquitto runs as this user; started as anyone else, as them.
user {user}
listener {port} {host}
{tls}{auth}
persistence true
persistence_location {run}/
persistence_file mosquitto.db
autosave_interval 10
max_queued_messages 1000000
max_packet_size 270000
log_dest stderr
log_type error
log_type warning
log_type notice
log_timestamp_format %Y-%m-%dT%H:%M:%S
"""
ANONYMOUS = """\
# Anyone may connect: for the demo and the tests only, on a loopback address.
# A town's broker has an account per gateway (configs/mosquitto.conf).
allow_anonymous true"""
ACCOUNTS = """\
allow_anonymous false
password_file {passwd}
acl_file {acl}"""
# As in configs/mosquitto.conf: a client's id is its user name, so no account can
# take over another's session or set off another's last will.
BIND = "\nuse_username_as_clientid true"
DB = "mosquitto.db"
TLS_FILES = ("ca.crt", "server.crt", "server.key")


def run_user() -> str:
    """Whom Mosquitto becomes when root starts it (its own user, or nobody)."""
    try:
        pwd.getpwnam("mosquitto")
    except KeyError:
        return "nobody"
    return "mosquitto"


@dataclass(frozen=True)
class BrokerTls:
    """The listener speaks TLS with this server certificate (``mimamori hub pki``)."""

    cafile: Path  # the CA that signed the clients' certificates
    certfile: Path
    keyfile: Path
    require_certificate: bool = True  # only clients with a certificate from ``cafile``
    use_identity_as_username: bool = False  # the certificate's CN is the user name

    def config(self, cafile: Path, certfile: Path, keyfile: Path) -> str:
        yes_no = {True: "true", False: "false"}
        return (
            f"cafile {cafile}\ncertfile {certfile}\nkeyfile {keyfile}\n"
            f"tls_version tlsv1.2\n"
            f"require_certificate {yes_no[self.require_certificate]}\n"
            f"use_identity_as_username {yes_no[self.use_identity_as_username]}\n"
        )


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


# Below Linux's ephemeral range (32768-60999 by default): a port picked here and bound a
# moment later is never taken meanwhile by some client's outgoing connection.
_LISTEN_PORTS = (20_000, 32_767)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, for a server of ours to take."""
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randint(*_LISTEN_PORTS)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))  # all of them taken: let the kernel choose
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise BrokerError(f"nothing listens on {host}:{port} after {timeout} s") from exc
            time.sleep(0.05)


class PrivateBroker:
    def __init__(
        self,
        directory: Path,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        auth: tuple[Path, Path] | None = None,
        tls: BrokerTls | None = None,
        bind_client_ids: bool = True,
    ) -> None:
        """``auth``: (password file, ACL file); None lets anyone in (tests, the demo),
        on a loopback address only. ``tls``: the listener speaks TLS only (``tls_version``
        1.2 and up). ``bind_client_ids``: with ``auth``, each account's client id is its
        user name (False only to show what goes wrong without)."""
        if auth is None and not _loopback(host):
            raise BrokerError(f"a broker without accounts listens on loopback only, not {host}")
        self.dir = directory
        self.host = host
        self.port = port or free_port(host)
        self.auth = auth
        self.tls = tls
        self.bind_client_ids = bind_client_ids
        self._proc: subprocess.Popen[bytes] | None = None
        self._run: Path | None = None  # as root: where Mosquitto's own user works

    @property
    def config_path(self) -> Path:
        return (self._run or self.dir) / "mosquitto.conf"

    @property
    def database_path(self) -> Path:
        """The persistence file the running broker writes (its autosave)."""
        return (self._run or self.dir) / DB

    @property
    def log_path(self) -> Path:
        return self.dir / "mosquitto.log"

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise BrokerError("mosquitto is not installed: sudo apt-get install -y mosquitto")
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self._make_run_dir()
        stage = self._staged
        auth = ANONYMOUS
        if self.auth is not None:
            passwd, acl = stage(self.auth[0], "passwd"), stage(self.auth[1], "acl")
            auth = ACCOUNTS.format(passwd=passwd, acl=acl)
            auth += BIND if self.bind_client_ids else ""
        tls = ""
        if self.tls is not None:
            files = (self.tls.cafile, self.tls.certfile, self.tls.keyfile)
            tls = self.tls.config(*(stage(f, n) for f, n in zip(files, TLS_FILES, strict=True)))
        self.config_path.write_text(
            CONFIG.format(
                host=self.host,
                port=self.port,
                run=self._run or self.dir,
                user=run_user(),
                tls=tls,
                auth=auth,
            )
        )
        with self.log_path.open("ab") as out:
            self._proc = subprocess.Popen(
                [binary, "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=out,
            )
        try:
            wait_for_port(self.host, self.port)
        except BrokerError as exc:
            self.stop()
            said = self.log_path.read_text(errors="replace")[-1000:]
            raise BrokerError(f"{exc}; mosquitto said:\n{said}") from None
        log.info("private broker listening on %s:%d", self.host, self.port)

    def _make_run_dir(self) -> None:
        """A directory Mosquitto's user owns (it cannot reach into root's temporary
        directories), holding the database of the last run."""
        user = pwd.getpwnam(run_user())
        self._run = Path(tempfile.mkdtemp(prefix="mimamori-mosquitto-"))
        os.chown(self._run, user.pw_uid, user.pw_gid)
        if (self.dir / DB).exists():
            self._staged(self.dir / DB, DB)

    def _staged(self, path: Path, name: str) -> Path:
        """``path`` where the broker can read it: as root, a private copy of its user's
        in the run directory, called ``name``."""
        if self._run is None:
            return path
        copy = self._run / name
        shutil.copyfile(path, copy)
        owner = self._run.stat()
        os.chown(copy, owner.st_uid, owner.st_gid)
        copy.chmod(0o600)
        return copy

    def stop(self, kill: bool = False) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            self._unstage()
            return
        if kill:
            proc.kill()
        else:
            proc.terminate()  # SIGTERM: Mosquitto saves its persistence file first
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._unstage()

    def _unstage(self) -> None:
        """Keep the database where the caller looks for it; remove the run directory."""
        run, self._run = self._run, None
        if run is None:
            return
        if (run / DB).exists():
            shutil.copyfile(run / DB, self.dir / DB)
        shutil.rmtree(run, ignore_errors=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs (benchmarks read its CPU time)."""
        return self._proc.pid if self._proc is not None and self.running else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> PrivateBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
