"""systemd's service notification protocol (sd_notify(3)), in a few lines of our own.

A unit with ``Type=notify`` starts its service with ``NOTIFY_SOCKET`` naming a unix
datagram socket (a leading ``@`` means the abstract namespace). The service sends
newline-separated ``KEY=VALUE`` assignments, one datagram each time:

* ``READY=1`` once it does its work (systemd holds back dependants until then);
* ``RELOADING=1`` with ``MONOTONIC_USEC`` when a reload begins, then ``READY=1``;
* ``STOPPING=1`` when it begins to stop;
* ``WATCHDOG=1`` at least every ``WatchdogSec``, which systemd passes as
  ``WATCHDOG_USEC`` (for the process ``WATCHDOG_PID``, when set); without it the
  service is killed with SIGABRT and, with ``Restart=on-failure``, started again;
* ``STATUS=...``, a line of text that ``systemctl status`` shows.

Outside systemd ``NOTIFY_SOCKET`` is unset and every call does nothing. The PyPI
package ``sdnotify`` does the same, but was last released in 2017 and has no type
hints; this is shorter than the reasons to depend on it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    """Sends notifications to systemd; every failure is logged at debug and ignored.

    A notification that cannot be delivered must never stop the service: the worst
    outcome is that systemd restarts it, which is what a missing ping means anyway.
    """

    def __init__(self, address: str | None, watchdog_usec: int | None = None) -> None:
        self._address = address
        self.watchdog_usec = watchdog_usec
        self._sock: socket.socket | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET") or None
        watchdog: int | None = None
        pid = env.get("WATCHDOG_PID")
        if pid is None or pid == str(os.getpid()):
            try:
                watchdog = int(env.get("WATCHDOG_USEC", "")) or None
            except ValueError:
                watchdog = None
        return cls(address, watchdog)

    @property
    def enabled(self) -> bool:
        return self._address is not None

    @property
    def watchdog_interval_s(self) -> float | None:
        """How often to ping: half the watchdog period, as sd_watchdog_enabled(3) advises."""
        if not self.enabled or self.watchdog_usec is None:
            return None
        return self.watchdog_usec / 2_000_000

    def notify(self, *assignments: str) -> bool:
        """Send ``KEY=VALUE`` lines as one datagram; True when it went out."""
        if self._address is None:
            return False
        address = self._address
        if address.startswith("@"):
            address = "\0" + address[1:]
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            # MSG_DONTWAIT: a busy systemd must not stall the event loop; a ping
            # that cannot go out now is retried at the next interval.
            self._sock.sendto("\n".join(assignments).encode(), socket.MSG_DONTWAIT, address)
        except OSError as exc:
            log.debug("sd_notify to %s failed: %s", self._address, exc)
            self.close()
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        return self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def reloading(self) -> bool:
        # systemd >= 253 wants the CLOCK_MONOTONIC time of the reload request with it.
        return self.notify("RELOADING=1", f"MONOTONIC_USEC={time.monotonic_ns() // 1000}")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
