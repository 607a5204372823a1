"""A private Mosquitto on a free loopback port, with its own config and data.

Used by ``mimamori demo`` and the tests. It never touches a system broker: its
config, persistence file and log live in the directory it is given.
"""

from __future__ import annotations

import getpass
import logging
import random
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import BrokerError

log = logging.getLogger(__name__)

# Run as whoever started us (as root Mosquitto would switch to the 'mosquitto'
# user, which cannot write the private data directory).
# Per-client queue for a subscriber that is away (the hub restarting): Mosquitto's
# default of 1000 would drop a town's events within minutes, so hold far more.
CONFIG = """\
# mimamori private broker: loopback only, written by mimamori/demo/mosquitto.py
per_listener_settings false
user {user}
listener {port} {host}
{tls}{auth}
persistence true
persistence_location {dir}/
persistence_file mosquitto.db
autosave_interval 10
max_queued_messages 1000000
max_packet_size 270000
log_dest file {dir}/mosquitto.log
log_type error
log_type warning
log_type notice
log_timestamp_format %Y-%m-%dT%H:%M:%S
"""


@dataclass(frozen=True)
class BrokerTls:
    """The listener speaks TLS with this server certificate (``mimamori hub pki``)."""

    cafile: Path  # the CA that signed the clients' certificates
    certfile: Path
    keyfile: Path
    require_certificate: bool = True  # only clients with a certificate from ``cafile``
    use_identity_as_username: bool = False  # the certificate's CN is the user name

    def config(self) -> str:
        yes_no = {True: "true", False: "false"}
        return (
            f"cafile {self.cafile}\ncertfile {self.certfile}\nkeyfile {self.keyfile}\n"
            f"tls_version tlsv1.2\n"
            f"require_certificate {yes_no[self.require_certificate]}\n"
            f"use_identity_as_username {yes_no[self.use_identity_as_username]}\n"
        )


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
        auth: tuple[Path, Path] | None = None,
        tls: BrokerTls | None = None,
    ) -> None:
        """``auth``: (password file, ACL file); None lets anyone in (tests, the demo).
        ``tls``: the listener speaks TLS only (``tls_version`` 1.2 and up)."""
        self.dir = directory
        self.host = host
        self.port = port or free_port(host)
        self.auth = auth
        self.tls = tls
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def config_path(self) -> Path:
        return self.dir / "mosquitto.conf"

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise BrokerError("mosquitto is not installed: sudo apt-get install -y mosquitto")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(
            CONFIG.format(
                host=self.host,
                port=self.port,
                dir=self.dir,
                user=getpass.getuser(),
                tls=self.tls.config() if self.tls else "",
                auth=(
                    "allow_anonymous true"
                    if self.auth is None
                    else f"allow_anonymous false\npassword_file {self.auth[0]}\n"
                    f"acl_file {self.auth[1]}"
                ),
            )
        )
        self._proc = subprocess.Popen(
            [binary, "-c", str(self.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for_port(self.host, self.port)
        except BrokerError:
            self.stop()
            raise
        log.info("private broker listening on %s:%d", self.host, self.port)

    def stop(self, kill: bool = False) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
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
