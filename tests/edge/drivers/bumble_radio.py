"""A software Bluetooth controller on a pseudo-terminal, and virtual tags on its air.

bumble (a test dependency only) provides the controller, its H4 transport on a pty
and a LocalLink, the "air" its controllers share. A tag is another bumble device on
the same link, advertising the frames ``firmware_sim`` builds. The gateway's driver
opens the pty's link path with pyserial, as it opens ``/dev/serial/by-id/...`` on a Pi.

``RecordingController`` is the hardware edge where fakes belong: it remembers the
commands it got and can be told to refuse some, as a real controller may.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from bumble import hci
from bumble.controller import Controller
from bumble.device import AdvertisingType, Device
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport import Transport, open_transport
from bumble.transport.common import AsyncPipeSink

from mimamori.firmware_sim.frames import adv_for_tag


class RecordingController(Controller):
    """bumble's controller, keeping the opcodes it was sent, refusing on demand."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opcodes: list[int] = []
        self.refuse: dict[int, tuple[int, int]] = {}  # opcode -> (status, times left)
        self.mute: set[int] = set()  # opcodes never answered

    def on_hci_command_packet(self, command: hci.HCI_Command) -> None:
        self.opcodes.append(command.op_code)
        if command.op_code in self.mute:
            return
        refusal = self.refuse.get(command.op_code)
        if refusal is not None and refusal[1] > 0:
            status, left = refusal
            self.refuse[command.op_code] = (status, left - 1)
            self.send_hci_packet(
                hci.HCI_Command_Complete_Event(
                    num_hci_command_packets=1,
                    command_opcode=command.op_code,
                    return_parameters=hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode(status)),
                )
            )
            return
        super().on_hci_command_packet(command)

    def count(self, opcode: int) -> int:
        return self.opcodes.count(opcode)


class Radio:
    """The air: receivers plugged in on ptys, tags advertising."""

    def __init__(self) -> None:
        self.link = LocalLink()
        self._transports: list[Transport] = []
        self._tags: list[Device] = []

    async def plug(self, path: Path, *, extended: bool = True) -> RecordingController:
        """A controller whose host side is the pty behind ``path``."""
        transport = await open_transport(f"pty:{path}")
        self._transports.append(transport)
        controller = RecordingController(
            f"rx-{len(self._transports)}",
            host_source=transport.source,
            host_sink=transport.sink,
            link=self.link,
        )
        if not extended:
            controller.le_features &= ~hci.LeFeatureMask.LE_EXTENDED_ADVERTISING
        self.current = transport
        return controller

    def inject(self, data: bytes) -> None:
        """Raw bytes from the controller to the host, as a noisy UART would."""
        self.current.sink.on_packet(data)

    async def unplug(self) -> None:
        await self.current.close()
        self._transports.remove(self.current)

    async def tag(self, tag_id: str, number: int, interval_ms: float = 50.0) -> Device:
        """A tag advertising ``tag_id``'s frame every ``interval_ms``."""
        address = f"F0:00:00:00:00:{number:02X}"
        controller = Controller(f"tag-{number}", link=self.link, public_address=address)
        device = Device(
            address=hci.Address(address), host=Host(controller, AsyncPipeSink(controller))
        )
        await device.power_on()
        await device.start_advertising(
            advertising_type=AdvertisingType.UNDIRECTED_CONNECTABLE_SCANNABLE,
            advertising_data=adv_for_tag(tag_id),
            advertising_interval_min=interval_ms,
            advertising_interval_max=interval_ms,
        )
        self._tags.append(device)
        return device

    async def close(self) -> None:
        for device in self._tags:
            with contextlib.suppress(Exception):
                await device.stop_advertising()
        for transport in self._transports:
            await transport.close()
        self._transports.clear()
