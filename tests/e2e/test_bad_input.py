"""Corrupted serial lines and malformed adverts cost nothing: counted, skipped, and
the valid advert right after them still reaches the hub."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.firmware_sim.frames import adv_for_tag
from mimamori.firmware_sim.receiver import SimReceiver, advert_line, encode_line
from mimamori.mqtt import LinkSettings, MqttLink
from tests.e2e.conftest import TAG, Processes, gateway_file, hub_file, poll_json, start_hub

pytestmark = pytest.mark.slow

ADDR = "C0:FF:EE:00:00:01"


def garbage() -> list[bytes]:
    good = advert_line(ADDR, -60, adv_for_tag(TAG))
    crc = good[-5:-1]  # the line ends in "*XXXX\n"
    bad_crc = good[:-5] + (b"0000" if crc != b"0000" else b"1111") + b"\n"
    return [
        bad_crc,
        good[: len(good) // 2] + b"\n",  # truncated mid-line
        bytes(range(256)) + b"\n",  # binary noise
        b"$" + b"A" * 2000 + b"\n",  # far over the line limit
        encode_line("A", ADDR.replace(":", ""), "R", "-60", "1EFF4C000215"),  # truncated AD data
        encode_line("Z", "1"),  # a type nobody knows
    ]


async def test_garbage_on_the_serial_line_is_counted_and_the_next_advert_still_arrives(
    own_broker: PrivateBroker, procs: Processes, tmp_path: Path, http_port: int
) -> None:
    link = tmp_path / "tty-gw-one"
    with SimReceiver(link) as receiver:
        token = start_hub(procs, hub_file(tmp_path, own_broker, http_port), http_port)
        procs.start(
            "gw-one", "edge", "--config", str(gateway_file(tmp_path, "gw-one", own_broker, link))
        )
        statuses: list[dict[str, object]] = []
        listener = MqttLink(
            LinkSettings(
                "127.0.0.1",
                own_broker.port,
                "e2e-status",
                subscriptions=(("mimamori/v1/gw/gw-one/status", 1),),
            ),
            on_message=lambda m: statuses.append(json.loads(m.payload)) if m.payload else None,
        )
        listening = asyncio.create_task(listener.run())
        try:
            # pyserial flushes what waited in the port when it opens it: wait until it has
            async with asyncio.timeout(15):
                while not any(
                    s.get("drivers", {}).get("vm", {}).get("state") == "up"  # type: ignore[union-attr]
                    for s in statuses
                ):
                    await asyncio.sleep(0.05)
            for chunk in garbage():
                receiver.write_raw(chunk)
            for _ in range(5):  # a tag close by, five adverts
                receiver.advert(ADDR, -60, adv_for_tag(TAG))
                await asyncio.sleep(0.05)
            base = f"http://127.0.0.1:{http_port}"
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=base, headers=headers) as client:
                here = await poll_json(
                    client, "/api/v1/people/p-1/location", lambda b: b["gateway_id"] == "gw-one", 20
                )
            assert here["state"] == "here"

            def counted(status: dict[str, object]) -> bool:
                drivers = status.get("drivers") or {}
                counters = drivers.get("vm", {}).get("counters", {})  # type: ignore[union-attr]
                return counters.get("line.bad_crc", 0) >= 1 and counters.get("adverts", 0) >= 5

            async with asyncio.timeout(15):
                while not any(counted(s) for s in statuses):
                    await asyncio.sleep(0.1)
            counters = next(s for s in statuses if counted(s))["drivers"]["vm"]["counters"]  # type: ignore[index]
            assert counters["line.bad_crc"] >= 1
            assert counters["line.too_long"] >= 1
            assert counters["line.unknown_type"] >= 1
            assert counters["advert.truncated"] >= 1
            assert sum(v for k, v in counters.items() if k.startswith("line.")) >= 4
        finally:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)
    assert procs.stop("gw-one") == 0
    assert "Traceback" not in procs.log("gw-one")
