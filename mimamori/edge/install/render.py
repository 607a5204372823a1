"""The files the installer writes, rendered from what it was asked: pure text in, text out."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import PurePosixPath

from mimamori.edge.install.model import DEFAULT_PROGRAM, UNIT_NAME, UsbIds

# The receiver's own name under /dev, as docs/install-pi.md and the example configs use it.
RECEIVER_LINK = "mimamori-receiver"
UDEV_RULE = PurePosixPath("/etc/udev/rules.d/99-mimamori.rules")
BLUEZ_DROP_IN = PurePosixPath("/etc/systemd/system/bluetooth.service.d/mimamori.conf")
UNIT = PurePosixPath("/etc/systemd/system") / UNIT_NAME
WANTS = PurePosixPath("/etc/systemd/system/multi-user.target.wants") / UNIT_NAME


def udev_rule(usb: UsbIds) -> str:
    """The rule that names the receiver ``/dev/mimamori-receiver`` whatever port it gets."""
    match = [
        'SUBSYSTEM=="tty"',
        f'ATTRS{{idVendor}}=="{usb.vendor}"',
        f'ATTRS{{idProduct}}=="{usb.product}"',
    ]
    if usb.serial is not None:
        match.append(f'ATTRS{{serial}}=="{usb.serial}"')
    assign = [
        f'SYMLINK+="{RECEIVER_LINK}"',
        'GROUP="dialout"',
        'MODE="0660"',
        # ModemManager probes new USB serial ports: it would steal lines.
        'ENV{ID_MM_DEVICE_IGNORE}="1"',
    ]
    return (
        "# Written by `mimamori edge install` (docs/install-pi.md): the serial receiver\n"
        f"# gets a name of its own, /dev/{RECEIVER_LINK}, that survives replugging.\n"
        + ", ".join(match + assign)
        + "\n"
    )


def bluez_exec_start(unit_text: str) -> str | None:
    """The command line BlueZ's own unit starts ``bluetoothd`` with (None if it has none)."""
    for line in unit_text.splitlines():
        if (found := re.match(r"\s*ExecStart\s*=\s*(\S.*?)\s*$", line)) is not None:
            return found.group(1)
    return None


def has_experimental(command: str) -> bool:
    return any(arg in ("-E", "--experimental") for arg in command.split())


def bluez_drop_in(exec_start: str) -> str:
    """BlueZ's unit, told to start bluetoothd with its experimental features on."""
    return (
        "# Written by `mimamori edge install` (docs/install-pi.md): passive scanning needs\n"
        "# BlueZ's advertisement monitors with or_patterns, an experimental feature\n"
        "# (BlueZ >= 5.56). An empty ExecStart= clears the packaged one first.\n"
        "[Service]\n"
        "ExecStart=\n"
        f"ExecStart={exec_start} --experimental\n"
    )


def packaged_unit() -> str:
    """The unit as it ships in the package (systemd/ links to the same file)."""
    return files("mimamori.edge.install").joinpath(UNIT_NAME).read_text(encoding="utf-8")


def edge_unit(program: PurePosixPath) -> str:
    """The packaged unit, starting ``program`` (the mimamori command installed)."""
    text = packaged_unit()
    start = f"ExecStart={DEFAULT_PROGRAM} "
    if start not in text:  # pragma: no cover - the packaged file is ours
        raise RuntimeError(f"the packaged {UNIT_NAME} has no {start!r}")
    return text.replace(start, f"ExecStart={program} ")
