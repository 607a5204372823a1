"""Commands from the hub (``protocol/commands.py``), carried out on this gateway.

``remind``: every button that can be told (a serial unit with its port open) beeps and
blinks until it is pressed; buttons that only broadcast (BTHome over BLE) cannot
receive anything and are skipped. A press on any button of the home ends the reminder
on all of them (the unit pressed stops by itself; the others are told ``quiet``). A
command that is not valid is counted and logged, never acted on. The press that ends a
reminder is an ordinary check-in: the household rule closes the open period with it,
as for any late press.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping, Sequence

from mimamori.edge.drivers.base import Driver
from mimamori.edge.drivers.serial_button import SerialButtonDriver
from mimamori.errors import ProtocolError
from mimamori.protocol.commands import ConfigCommand, RemindCommand, decode_command

log = logging.getLogger(__name__)


class Commands:
    def __init__(
        self,
        drivers: Sequence[Driver],
        counters: MutableMapping[str, int],
        on_config: Callable[[ConfigCommand], None] | None = None,
    ) -> None:
        self.on_config = on_config
        self.buttons = [d for d in drivers if isinstance(d, SerialButtonDriver)]
        self.broadcast_only = [d.id for d in drivers if d.status().driver == "bthome"]
        self.counters = counters
        self.reminding: str | None = None  # the ref of the reminder beeping now

    def carry_out(self, payload: bytes) -> int:
        """Do what the hub's command says; returns how many devices were told."""
        try:
            command = decode_command(payload)
        except ProtocolError as exc:
            self._count("commands_rejected")
            log.warning("command from the hub refused: %s", exc)
            return 0
        if isinstance(command, ConfigCommand):
            if self.on_config is None:
                self._count("commands_rejected")
                log.warning("config %d from the hub refused: not taken here", command.version)
            else:
                self.on_config(command)
            return 0
        return self._remind(command)

    def pressed(self) -> None:
        """A button of the home was pressed: the reminder has its answer everywhere."""
        ref, self.reminding = self.reminding, None
        if ref is not None:
            for button in self.buttons:
                button.quiet(ref)

    def _remind(self, command: RemindCommand) -> int:
        self._count("reminders")
        told = [b.id for b in self.buttons if b.remind(command.ref, command.for_s)]
        if self.broadcast_only:
            log.info(
                "reminder %s: %s cannot receive (BLE buttons only send)",
                command.ref,
                self.broadcast_only,
            )
        if not told:
            self._count("reminders_untold")
            log.warning("reminder %s: no button here could be told", command.ref)
            return 0
        self.reminding = command.ref
        log.info("reminder %s: told %s to beep for up to %d s", command.ref, told, command.for_s)
        return len(told)

    def _count(self, name: str) -> None:
        self.counters[name] = self.counters.get(name, 0) + 1
