"""What a gateway receives when it enrolls: its YAML (the town's template with its own
identity and broker filled in), the town's CA, and what tells Mosquitto of its account.

Paths in the YAML are relative to the YAML file (``settings.FilePath``), so the files
the gateway writes next to it are found wherever it keeps them: ``broker.password`` and
``tls/ca.crt`` beside ``gateway.yaml`` (``/etc/mimamori`` on a Pi, docs/install-pi.md).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import yaml

from mimamori.hub.config import EnrollmentSettings
from mimamori.hub.register.schema import GatewayEntry

log = logging.getLogger(__name__)

PASSWORD_FILE = "broker.password"  # beside gateway.yaml (edge/enroll.py writes it)
CA_FILE = "tls/ca.crt"
DATA_DIR = "/var/lib/mimamori"  # the installer's (edge/install/model.py DATA_DIR)
# The installer's udev rule names the receiver so (edge/install/render.py RECEIVER_LINK).
DEFAULT_RECEIVERS = [{"id": "vm", "driver": "serial_line", "port": "/dev/mimamori-receiver"}]
# `systemctl reload mosquitto` answers within a second; a hung one must not hold the
# request (the gateway may retry: its code is used, so the technician asks again).
RELOAD_TIMEOUT_S = 10.0
MAX_TEMPLATE_BYTES = 256 * 1024


def gateway_yaml(settings: EnrollmentSettings, entry: GatewayEntry) -> str:
    """The gateway's YAML: the template's settings, this gateway's identity and broker."""
    loaded = yaml.safe_load(settings.template.read_text(encoding="utf-8")[:MAX_TEMPLATE_BYTES])
    doc: dict[str, Any] = dict(loaded) if isinstance(loaded, dict) else {}
    broker: dict[str, Any] = {
        "host": settings.broker_host,
        "port": settings.broker_port,
        "username": entry.id,
        "password_file": PASSWORD_FILE,
    }
    if settings.ca_file is not None:
        broker["tls"] = {"ca_file": CA_FILE}
    kept = {k: v for k, v in (doc.get("broker") or {}).items() if k not in broker and k != "tls"}
    identity: dict[str, Any] = {"id": entry.id, "name": entry.name, "site": entry.site}
    identity |= {"lat": entry.lat, "lon": entry.lon}
    out: dict[str, Any] = {"gateway": identity, "broker": broker | kept}
    out |= {k: v for k, v in doc.items() if k not in ("gateway", "broker")}
    out.setdefault("receivers", DEFAULT_RECEIVERS)
    out.setdefault("data_dir", DATA_DIR)
    header = f"# {entry.id}: written by `mimamori edge enroll` from the hub's register.\n"
    return header + yaml.safe_dump(out, allow_unicode=True, sort_keys=False)


def town_ca(settings: EnrollmentSettings) -> str | None:
    if settings.ca_file is None:
        return None
    return settings.ca_file.read_text(encoding="ascii")


async def reload_broker(command: list[str]) -> bool:
    """Tell Mosquitto to read its password file again; False (logged) if that failed."""
    if not command:
        log.warning(
            "no hub.enrollment.reload_command: the broker learns the new account "
            "at its next reload (systemctl reload mosquitto)"
        )
        return False
    try:
        proc = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with asyncio.timeout(RELOAD_TIMEOUT_S):
                _, err = await proc.communicate()
        except TimeoutError:
            proc.kill()
            await proc.wait()
            log.error("%s took longer than %g s: stopped", command[0], RELOAD_TIMEOUT_S)
            return False
    except OSError as exc:
        log.error("cannot run the broker's reload command %s: %s", command[0], exc)
        return False
    if proc.returncode != 0:
        said = err.decode(errors="replace").strip()[:300]
        log.error("the broker's reload command failed (%d): %s", proc.returncode, said)
        return False
    return True
