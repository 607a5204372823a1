"""Scenario files and the scene: receivers placed in a town, tags walking past them."""

from __future__ import annotations

import asyncio
import contextlib
import textwrap
from pathlib import Path

import pytest

from mimamori.edge.adverts import decode_tag, parse_ad_structures
from mimamori.edge.clock import SystemClock
from mimamori.edge.config import SerialReceiver
from mimamori.edge.drivers.serial_line import SerialLineDriver
from mimamori.edge.observations import Advert
from mimamori.errors import ConfigError
from mimamori.firmware_sim.scene import Scene, load_scenario
from mimamori.protocol.eid import compute_eid

TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:100:7"
SCENARIO = """\
seed: 7
radio: {loss: 0.0, noise_db: 0.0}
receivers:
  - {id: near, lat: 26.28100, lon: 127.77800, link: run/near}
  - {id: far, lat: 26.29100, lon: 127.77800, link: run/far}
tags:
  - tag: ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:100:7
    interval_s: 0.05
    route: [[26.28100, 127.77800], [26.28110, 127.77800]]
    back_and_forth: true
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "town.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.problems]


def test_a_scenario_file_loads_with_links_next_to_it(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, SCENARIO))
    assert [r.id for r in scenario.receivers] == ["near", "far"]
    assert scenario.receivers[0].link == tmp_path / "run" / "near"
    tag = scenario.tags[0]
    assert tag.tag == TAG and tag.tx_power == -59 and tag.back_and_forth
    assert tag.route[1] == (26.28110, 127.77800)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("    interval_s: 0.05", "    interval: 0.05"), ":8:5: tags[0].interval: unknown key"),
        (("tag: ibeacon:fda50693", "tag: ibeacon:zz"), ":7:5: tags[0].tag: 'ibeacon:zz"),
        ((":100:7", ":70000:7"), ":7:5: tags[0].tag: major and minor are 16-bit"),
        (("id: far", "id: near"), ":3:1: receivers: receiver ids must be unique: near"),
        (("lat: 26.29100", "lat: 126.29"), ":5:15: receivers[1].lat: "),
        (("[26.28110, 127.77800]]", "[26.28110]]"), ":9:36: tags[0].route[1]: "),
    ],
)
def test_every_mistake_in_a_scenario_names_its_place(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    path = write(tmp_path, SCENARIO.replace(*change))
    [problem] = problems(path)
    assert problem.startswith(f"{path}:")
    assert expected in problem


def test_the_receiver_near_the_tag_hears_it_and_the_one_a_kilometre_away_does_not(
    tmp_path: Path,
) -> None:
    scene = Scene(load_scenario(write(tmp_path, SCENARIO)))
    scene.plug()
    try:
        assert scene.advertise(scene.tags[0], 0.0) == ["near"]
        assert all(r.sim.sent == 2 for r in scene.receivers[:1])  # boot + one advert
    finally:
        scene.unplug()
    assert not (tmp_path / "run" / "near").exists()


def test_the_same_seed_plays_the_same_scene(tmp_path: Path) -> None:
    text = SCENARIO.replace("{loss: 0.0, noise_db: 0.0}", "{loss: 0.4, noise_db: 6}")
    path = write(tmp_path, text)

    def play() -> tuple[str, list[list[str]]]:
        scene = Scene(load_scenario(path))
        scene.plug()
        try:
            return scene.tags[0].address, [scene.advertise(scene.tags[0], t) for t in range(40)]
        finally:
            scene.unplug()

    first, second = play(), play()
    assert first == second
    assert any(first[1]) and not all(first[1])  # some adverts lost, some heard
    assert int(first[0][:2], 16) & 0xC0 == 0xC0  # a random static address


async def test_a_walking_tag_reaches_the_gateway_through_the_serial_driver(tmp_path: Path) -> None:
    scene = Scene(load_scenario(write(tmp_path, SCENARIO)))
    scene.plug()
    config = SerialReceiver(id="near", driver="serial_line", port=str(scene.receivers[0].spec.link))
    observations = SerialLineDriver(config, SystemClock()).observations()
    running = asyncio.create_task(scene.run(), name="scene")
    try:
        async with asyncio.timeout(5):
            while not isinstance(observation := await anext(observations), Advert):
                pass
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await observations.aclose()
    frame = decode_tag(dict(observation.manufacturer), dict(observation.service_data))
    assert frame is not None and frame.tag_id == TAG
    # Within 10 m of the receiver, no noise: louder than -70 dBm (closer than 1 m is
    # louder than the 1 m calibration of -59, up to the model's 0.1 m floor).
    assert -70 < observation.rssi <= -34
    assert not scene.receivers[0].spec.link.exists()  # the scene unplugged on the way out


def test_the_example_scenario_shipped_with_the_package_loads() -> None:
    path = Path(__file__).parents[2] / "mimamori" / "firmware_sim" / "example-town.yaml"
    scene = Scene(load_scenario(path))
    assert [r.spec.id for r in scene.receivers] == ["vm-001", "vm-002", "vm-003"]
    assert len(scene.tags) == 2


EID_SCENARIO = """\
receivers:
  - {id: near, lat: 26.28100, lon: 127.77800, link: run/near}
tags:
  - eid: {identity_key: 00112233445566778899AABBCCDDEEFF, exponent: 12, clock_offset: 1000}
    route: [[26.28100, 127.77800]]
"""


def test_an_eid_tag_advertises_the_eid_of_its_own_counter_and_rotates(tmp_path: Path) -> None:
    key = bytes.fromhex("00112233445566778899aabbccddeeff")
    wall = [1_518_079_946.5]  # + clock_offset 1000: counter 1,518,080,946 (a published vector)
    scene = Scene(load_scenario(write(tmp_path, EID_SCENARIO)), wall=lambda: wall[0])
    tag = scene.tags[0]

    def shown() -> str:
        frame = decode_tag(*parse_ad_structures(tag.adv(wall[0])))
        assert frame is not None
        return frame.tag_id

    assert shown() == "eddystone-eid:7dd8169dae94258c"
    wall[0] += 4096  # one period of 2**12 s later
    assert shown() == f"eddystone-eid:{compute_eid(key, 12, 1_518_080_946 + 4096).hex()}"
    assert shown() != "eddystone-eid:7dd8169dae94258c"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            EID_SCENARIO.replace("  - eid:", "  - tag: eddystone-eid:7dd8169dae94258c\n    eid:"),
            "either a fixed 'tag' id or an 'eid' block",
        ),
        (EID_SCENARIO.replace("exponent: 12", "exponent: 16"), "tags[0].eid.exponent"),
        (EID_SCENARIO.replace("AABBCCDDEEFF", "AABBCCDDEE"), "tags[0].eid.identity_key"),
    ],
)
def test_an_eid_tag_needs_one_kind_a_16_byte_key_and_an_exponent_up_to_15(
    tmp_path: Path, text: str, expected: str
) -> None:
    [problem] = problems(write(tmp_path, text))
    assert expected in problem
