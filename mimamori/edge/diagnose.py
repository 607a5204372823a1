"""``mimamori edge diagnose --config FILE``: a support dump to paste into a chat.

Version and platform, the config, the outbox's depth and what it dropped, the serial
ports, BlueZ, the broker's reachability and the daemon's last status. It reads only:
it never opens a serial port (the daemon may hold it), never logs in to the broker
(a TCP and TLS handshake, no credentials), and opens the outbox read-only.

Redacted, whatever section they come from: secrets (the broker password and BTHome
bind keys, read only to be searched for), tag ids and allow-list patterns (they name
a person's tag), and Bluetooth device addresses.
"""

from __future__ import annotations

import json
import os
import platform
import re
import socket
import sqlite3
import ssl
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from mimamori import __version__
from mimamori.edge.config import (
    BthomeButton,
    GatewayConfig,
    HciReceiver,
    SerialButton,
    SerialReceiver,
    load_gateway_config,
)
from mimamori.errors import ConfigError
from mimamori.protocol.tags import TagFormat

REDACTED = "<redacted>"
_FORMATS = "|".join(re.escape(f.value) for f in TagFormat)
# A tag id or allow-list pattern: the format, then anything up to a delimiter.
_TAG = re.compile(rf"\b({_FORMATS}):[^\s\"',\]\}}]+")
_MAC = re.compile(r"\b[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}\b")
BLUETOOTHD = ("/usr/libexec/bluetooth/bluetoothd", "/usr/sbin/bluetoothd")
DBUS_SYSTEM_SOCKET = Path("/run/dbus/system_bus_socket")
CONNECT_TIMEOUT_S = 3.0


class Redactor:
    def __init__(self, secrets: list[str]) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = _TAG.sub(lambda m: f"{m.group(1)}:{REDACTED}", text)
        return _MAC.sub(REDACTED, text)


def _secrets(config: GatewayConfig) -> list[str]:
    found: list[str] = []
    try:
        if (password := config.broker.read_password()) is not None:
            found.append(password)
    except OSError:
        pass
    for button in config.buttons:
        if isinstance(button, BthomeButton) and button.bind_key_file is not None:
            try:
                text = button.bind_key_file.read_text(encoding="ascii").strip()
            except (OSError, UnicodeDecodeError):
                continue
            found += [text, text.lower(), text.upper()]
    return found


def _config_section(config: GatewayConfig, path: Path) -> Iterator[str]:
    yield f"file: {path} (hash {config.digest()})"
    yield yaml.safe_dump(
        config.model_dump(mode="json"), allow_unicode=True, sort_keys=False
    ).rstrip()


def _file_state(path: Path | None) -> str:
    if path is None:
        return "not set"
    try:
        mode = path.stat().st_mode & 0o777
    except OSError as exc:
        return f"{path}: {exc.strerror}"
    readable = "readable" if _readable(path) else "NOT readable by this user"
    loose = " (TOO OPEN: others may read it; chmod 600)" if mode & 0o077 else ""
    return f"{path}: mode {mode:04o}, {readable}{loose}"


def _readable(path: Path) -> bool:
    try:
        with path.open("rb"):
            return True
    except OSError:
        return False


def _outbox_section(config: GatewayConfig) -> Iterator[str]:
    path = config.data_dir / "outbox.sqlite3"
    if not path.exists():
        yield f"{path}: not there yet (the daemon makes it on its first start)"
        return
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0)
        try:
            depth = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
            kinds = dict(db.execute("SELECT kind, count(*) FROM outbox GROUP BY kind").fetchall())
            dropped = dict(db.execute("SELECT kind, count FROM dropped").fetchall())
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            epoch = (
                db.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
                if "meta" in tables
                else None
            )
        finally:
            db.close()
    except sqlite3.Error as exc:
        yield f"{path}: cannot read: {exc}"
        return
    yield f"{path}: {path.stat().st_size} bytes"
    yield f"depth: {depth} event(s) waiting for the hub {json.dumps(kinds, sort_keys=True)}"
    # The hub's acks name this epoch (mimamori/v1/gw/<id>/ack): compare when support asks.
    yield f"epoch: {epoch[0] if epoch else 'none yet (made on the next start)'}"
    yield f"dropped (since install): {json.dumps(dropped, sort_keys=True) if dropped else 'none'}"


def _serial_section(config: GatewayConfig) -> Iterator[str]:
    for device in [*config.receivers, *config.buttons]:
        if isinstance(device, SerialReceiver | HciReceiver | SerialButton):
            port = Path(device.port)
            if port.exists():
                target = port.resolve()
                access = "read/write ok" if _rw(target) else "NO read/write access (group dialout?)"
                yield f"{device.id}: {port} -> {target}, {access}"
            else:
                yield f"{device.id}: {port} MISSING (unplugged? see the udev rule in install-pi.md)"
    try:
        from serial.tools.list_ports import comports
    except ImportError:  # pragma: no cover - pyserial is an edge dependency
        return
    ports = comports()
    yield f"ports present: {len(ports)}"
    for info in ports:
        yield f"  {info.device}: {info.description} [{info.hwid}]"


def _rw(path: Path) -> bool:
    return os.access(path, os.R_OK | os.W_OK)


def _bluetooth_section() -> Iterator[str]:
    daemon = next((p for p in BLUETOOTHD if Path(p).exists()), None)
    if daemon is None:
        yield "bluetoothd: not installed (apt-get install bluez)"
    else:
        version = _run([daemon, "--version"])
        yield f"bluetoothd: {daemon}, version {version or '?'}"
    adapters = sorted(p.name for p in Path("/sys/class/bluetooth").glob("hci*"))
    yield f"adapters: {', '.join(adapters) if adapters else 'none'}"
    yield f"D-Bus system bus: {'present' if DBUS_SYSTEM_SOCKET.exists() else 'MISSING'}"
    running = _bluetoothd_cmdline()
    if running is None:
        yield "bluetoothd running: no"
    else:
        experimental = any(a in ("-E", "--experimental") for a in running.split())
        yield f"bluetoothd running: yes, experimental features {'on' if experimental else 'off'}"
    main_conf = Path("/etc/bluetooth/main.conf")
    if main_conf.exists():
        lines = [
            line.strip()
            for line in main_conf.read_text(errors="replace").splitlines()
            if re.match(r"\s*(Kernel)?Experimental\s*=", line)
        ]
        yield f"{main_conf}: {', '.join(lines) if lines else 'no Experimental setting'}"


def _bluetoothd_cmdline() -> str | None:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"bluetoothd"):
            return b" ".join(args).decode(errors="replace")
    return None


def _run(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()


def _broker_section(config: GatewayConfig) -> Iterator[str]:
    b = config.broker
    yield f"{b.host}:{b.port}, TLS {'on' if b.tls else 'off'}, user {b.username or '(none)'}"
    yield f"password file: {_file_state(b.password_file)}"
    if b.tls is not None:
        for name in ("ca_file", "cert_file", "key_file"):
            yield f"tls.{name}: {_file_state(getattr(b.tls, name))}"
    yield f"reachable: {_reach(config)}"


def _reach(config: GatewayConfig) -> str:
    b = config.broker
    try:
        sock = socket.create_connection((b.host, b.port), timeout=CONNECT_TIMEOUT_S)
    except OSError as exc:
        return f"NO: {exc}"
    with sock:
        if b.tls is None:
            return "yes (TCP)"
        try:
            context = ssl.create_default_context(
                cafile=str(b.tls.ca_file) if b.tls.ca_file else None
            )
            if b.tls.cert_file and b.tls.key_file:
                context.load_cert_chain(b.tls.cert_file, b.tls.key_file)
            with context.wrap_socket(sock, server_hostname=b.host) as tls:
                return f"yes ({tls.version()}, the broker's certificate verified for {b.host})"
        except (OSError, ssl.SSLError, ValueError) as exc:
            return f"TCP yes, TLS NO: {exc}"


def _status_section(config: GatewayConfig) -> Iterator[str]:
    path = config.data_dir / "status.json"
    try:
        status: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        yield f"{path}: none yet"
        return
    except (OSError, ValueError) as exc:
        yield f"{path}: cannot read: {exc}"
        return
    yield f"{path}:"
    yield json.dumps(status, ensure_ascii=False, indent=2, sort_keys=True)


def _platform_section() -> Iterator[str]:
    yield f"mimamori {__version__}, Python {sys.version.split()[0]}, {platform.platform()}"
    model = Path("/proc/device-tree/model")
    if model.exists():
        yield f"model: {model.read_text(errors='replace').strip(chr(0))}"
    yield f"now: {datetime.now(UTC).isoformat(timespec='seconds')}"


def report(config_path: Path) -> str:
    """The whole dump, already redacted."""
    sections: list[tuple[str, list[str]]] = [("mimamori edge diagnose", [*_platform_section()])]
    try:
        config = load_gateway_config(config_path)
    except ConfigError as exc:
        sections.append(("config", [f"NOT VALID: {p}" for p in exc.problems]))
        redact = Redactor([])
    else:
        redact = Redactor(_secrets(config))
        sections += [
            ("config (secrets and tag ids redacted)", [*_config_section(config, config_path)]),
            ("outbox", [*_outbox_section(config)]),
            ("serial ports", [*_serial_section(config)]),
            ("bluetooth", [*_bluetooth_section()]),
            ("broker", [*_broker_section(config)]),
            ("last status", [*_status_section(config)]),
        ]
    out = [f"== {title} ==\n" + "\n".join(lines) for title, lines in sections]
    return redact("\n\n".join(out)) + "\n"
