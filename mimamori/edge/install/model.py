"""What the installer works with: where it installs, what it was asked, and each
step's plan as a list of changes that the dry run prints and the real run applies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mimamori.errors import MimamoriError

if TYPE_CHECKING:
    from mimamori.edge.install.system import System

# Exit codes, as every mimamori command (hub/cli/common.py): done; refused or failed,
# said why; the command line or a config file is wrong.
OK, REFUSED, USAGE = 0, 1, 2

# Where the gateway's parts live (docs/install-pi.md; the unit names the same paths).
USER = "mimamori"
# dialout owns the serial ports; bluetooth is the group Debian's BlueZ D-Bus policy
# (/usr/share/dbus-1/system.d/bluetooth.conf) lets talk to org.bluez.
GROUPS = ("dialout", "bluetooth")
CONFIG_DIR = PurePosixPath("/etc/mimamori")
CONFIG_FILE = CONFIG_DIR / "gateway.yaml"
DATA_DIR = PurePosixPath("/var/lib/mimamori")
UNIT_NAME = "mimamori-edge.service"
# Where `python3 -m venv /opt/mimamori` puts the command (docs/install-pi.md).
DEFAULT_PROGRAM = PurePosixPath("/opt/mimamori/bin/mimamori")


class InstallError(MimamoriError):
    """The installer cannot do what was asked: why, in Japanese and in English."""

    def __init__(self, ja: str, en: str, *, code: int = REFUSED) -> None:
        super().__init__(en)
        self.ja, self.en, self.code = ja, en, code


@dataclass(frozen=True)
class Target:
    """Where to install: ``/`` or a directory tree (an SD card's root, a test's tree).

    ``live`` is the running system under systemd: only there are udev and systemd told
    to reload after a change (a tree is read by its own udev and systemd when it boots).
    """

    root: Path
    live: bool

    def path(self, path: PurePosixPath) -> Path:
        """``path`` (absolute, as on the gateway) inside the tree."""
        return self.root / path.relative_to("/")

    @property
    def root_args(self) -> list[str]:
        """For useradd, groupadd and usermod: work on the tree's user database."""
        return [] if self.root == Path("/") else ["--root", str(self.root)]


@dataclass(frozen=True)
class UsbIds:
    """A serial receiver's USB ids, for its udev rule (lower-case hex, as sysfs has them)."""

    vendor: str
    product: str
    serial: str | None = None


@dataclass(frozen=True)
class Options:
    """What the technician asked for."""

    program: PurePosixPath = DEFAULT_PROGRAM  # the mimamori command the unit starts
    usb: UsbIds | None = None  # a udev rule for this receiver; None: no rule
    ble: bool = False  # BlueZ's passive scanning though no config asks for it (yet)
    config: Path | None = None  # the gateway's YAML (None: CONFIG_FILE in the tree)


@dataclass(frozen=True)
class Change:
    """One thing a step changes. ``detail`` is shown under it (a command, a diff)."""

    ja: str
    en: str
    apply: Callable[[System], None]
    detail: tuple[str, ...] = ()


@dataclass
class Step:
    """One step of docs/install-pi.md: the changes it needs (none: already done), and
    what it says without changing anything (why it has nothing to do, a hint)."""

    ja: str
    en: str
    changes: list[Change] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def note(self, ja: str, en: str) -> None:
        self.notes.append((ja, en))

    def run(self, ja: str, en: str, argv: list[str]) -> None:
        """A change made by a command (through the System port)."""
        self.changes.append(
            Change(ja, en, lambda system: system.run(argv), detail=("$ " + " ".join(argv),))
        )
