"""A gateway's YAML kept by the hub and sent to that gateway (issue 20).

The technician edits the whole file in the desk's config editor (``web/desk_gateway_config``);
who may is the fleet page's rule (``fleet.visible``: admins every gateway, staff their
areas'). Before anything is kept the text goes through ``mimamori check``'s own
validation (``check.check_gateway_text``) and must name this gateway; a text with any
problem is neither kept nor sent, and the page shows each problem as LINE:COL. A valid
one becomes the gateway's next version (``proposed``, audited), goes out as a
``config`` command on the gateway's ``cmd`` topic (``sent``), and the gateway's
``config.result`` event gives it its last state (ingest records it with the event).

The gateway's own check is the last word: relative paths resolve here against the
installed file's directory (``/etc/mimamori``) and no file is opened, so a port that
does not exist passes here and is rolled back there.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mimamori.check import check_gateway_text
from mimamori.configfile import parse_yaml
from mimamori.errors import ConfigError, MimamoriError, Problem
from mimamori.hub.access.policy import Principal
from mimamori.hub.desk.fleet import visible
from mimamori.hub.model.fleet import GatewayConfigVersion
from mimamori.hub.register.schema import GatewayEntry
from mimamori.hub.store.port import Store
from mimamori.protocol.commands import (
    MAX_CONFIG_YAML_BYTES,
    ConfigCommand,
    encode_command,
    yaml_sha256,
)
from mimamori.protocol.topics import command_topic

log = logging.getLogger(__name__)

FILE = "gateway.yaml"  # the name problems are said with
# Where the gateway's installed file lives (edge/install/model.py CONFIG_DIR): its
# relative paths (the broker password, the town's CA) are relative to it.
GATEWAY_CONFIG_DIR = Path("/etc/mimamori")
HISTORY = 10  # versions the editor lists
# A gateway away for longer gets no stale config when it returns: it connects with a
# clean session, and the broker drops what waited longer than this.
EXPIRY_S = 600

Send = Callable[[str, bytes, int], Awaitable[None]]  # topic, payload, expiry (s)


@dataclass(frozen=True)
class Saved:
    version: GatewayConfigVersion
    sent: bool  # False: kept, but the broker could not be told (said on the page)


def editable(gateways: dict[str, GatewayEntry], who: Principal, gateway_id: str) -> bool:
    """The caller may edit this gateway's config: it is on their fleet page."""
    return any(g.id == gateway_id for g in visible(gateways, who))


def problems(text: str, gateway_id: str) -> list[Problem]:
    """What ``mimamori check`` says of ``text`` as this gateway's file; none: valid."""
    size = len(text.encode())
    if size > MAX_CONFIG_YAML_BYTES:
        why = f"{size} bytes: a gateway's file is at most {MAX_CONFIG_YAML_BYTES} bytes"
        return [Problem(FILE, 1, 1, "(file)", why)]
    found, config = check_gateway_text(text, FILE, GATEWAY_CONFIG_DIR)
    if config is not None and config.gateway.id != gateway_id:
        try:
            doc = parse_yaml(text, FILE)
        except ConfigError as exc:  # parsed once already: cannot happen
            return exc.problems
        found.append(doc.problem(("gateway", "id"), f"this is the file of {gateway_id}"))
    return [p for p in found if not p.warning]


async def save(
    store: Store,
    gateway_id: str,
    text: str,
    *,
    who: str,
    role: str,
    now: datetime,
    send: Send | None,
    trial_s: int,
) -> Saved:
    """Keep ``text`` (valid: the caller checked ``problems``) as the next version,
    audited, and send it to the gateway when there is a broker to send through."""
    sha = yaml_sha256(text)
    version = await store.add_gateway_config(gateway_id, text, sha, who, now)
    await store.audit(now, who=who, role=role, action="gateway.config",
                      subject=f"gateway:{gateway_id}",
                      detail=f"version {version.version}, sha256 {sha[:12]}")  # fmt: skip
    if send is None:
        return Saved(version, False)
    command = ConfigCommand(version=version.version, yaml=text, sha256=sha, trial_s=trial_s)
    try:
        await send(command_topic(gateway_id), encode_command(command), EXPIRY_S)
    except MimamoriError as exc:  # the broker away, or it refused the message
        log.warning("gateway %s: config %d kept but not sent: %s", gateway_id,
                    version.version, exc)  # fmt: skip
        return Saved(version, False)
    await store.mark_gateway_config_sent(gateway_id, version.version, now)
    return Saved(version, True)
