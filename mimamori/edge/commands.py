"""Commands from the hub (``protocol/commands.py``), carried out on this gateway.

``remind``: every button that can be told (a serial unit with its port open) beeps and
blinks until it is pressed; buttons that only broadcast (BTHome over BLE) cannot
receive anything and are skipped. A command that is not valid is counted and logged,
never acted on. The press that ends a reminder is an ordinary check-in: the household
rule closes the open period with it, as for any late press.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, MutableMapping

from mimamori.edge.drivers.base import Driver
from mimamori.edge.drivers.serial_button import SerialButtonDriver
from mimamori.errors import ProtocolError
from mimamori.protocol.commands import RemindCommand, decode_command

log = logging.getLogger(__name__)


def carry_out(payload: bytes, drivers: Iterable[Driver], counters: MutableMapping[str, int]) -> int:
    """Do what the hub's command says; returns how many devices were told."""
    try:
        command = decode_command(payload)
    except ProtocolError as exc:
        counters["commands_rejected"] = counters.get("commands_rejected", 0) + 1
        log.warning("command from the hub refused: %s", exc)
        return 0
    return _remind(command, list(drivers), counters)


def _remind(
    command: RemindCommand, drivers: list[Driver], counters: MutableMapping[str, int]
) -> int:
    counters["reminders"] = counters.get("reminders", 0) + 1
    told = [
        d.id
        for d in drivers
        if isinstance(d, SerialButtonDriver) and d.remind(command.ref, command.for_s)
    ]
    skipped = [d.id for d in drivers if d.status().driver == "bthome"]
    if skipped:
        log.info("reminder %s: %s cannot receive (BLE buttons only send)", command.ref, skipped)
    if told:
        log.info("reminder %s: told %s to beep for up to %d s", command.ref, told, command.for_s)
    else:
        counters["reminders_untold"] = counters.get("reminders_untold", 0) + 1
        log.warning("reminder %s: no button here could be told", command.ref)
    return len(told)
