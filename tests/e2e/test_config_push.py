"""A gateway's config changed from the hub, end to end (issue 20's test).

The real commands as processes: Mosquitto, the hub, ``mimamori edge`` reading a
``firmware_sim`` receiver on a pty. A technician (an admin's token over HTTP, as the
desk's form posts) sends three configs from the editor: one with a mistake is refused
at the hub with its LINE:COL and nothing reaches the gateway's ``cmd`` topic; a good
one (the receiver's timers changed: its driver restarts on the same port) is applied
and the fleet page shows the new config hash; one whose port does not exist passes
the check but is rolled back by the gateway itself, which reports why and keeps
hearing on its old receiver.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.protocol.topics import command_topic
from tests.e2e.conftest import TAG, Processes, gateway_file, hub_file, start_hub, write_yaml
from tests.edge.helpers import Listener

pytestmark = pytest.mark.slow
GW = "gw-one"
EDITOR = f"/desk/fleet/{GW}/config"
TRIAL_S = 3  # the hub's watch_points.config_trial_s here: a missing port stays missing


def admin_token(config: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mimamori", "hub", "token", "create", "--config", str(config),
         "--admin", "--name", "technician"],
        capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL, timeout=60,
    )  # fmt: skip
    return done.stdout.strip()


async def until_page(client: httpx.AsyncClient, url: str, pattern: str, within: float) -> str:
    """GET ``url`` until ``pattern`` is on it; the page (the last one in the failure)."""
    text = ""
    try:
        async with asyncio.timeout(within):
            while not re.search(pattern, text, re.S):
                await asyncio.sleep(0.2)
                text = (await client.get(url)).text
    except TimeoutError:
        raise AssertionError(f"{url} never showed {pattern!r}; last:\n{text[-3000:]}") from None
    return text


def state_of(page: str, version: int) -> str:
    found = re.search(rf'<tr data-version="{version}" data-state="([a-z_]+)">(.*?)</tr>', page)
    assert found is not None, page
    return found.group(1)


async def test_configs_from_the_hub_are_refused_applied_and_rolled_back(
    procs: Processes, broker: PrivateBroker, tmp_path: Path, http_port: int
) -> None:
    config = hub_file(tmp_path, broker, http_port)
    doc = yaml.safe_load(config.read_text())
    doc["hub"]["watch_points"] = {"config_trial_s": TRIAL_S}
    write_yaml(config, doc)
    tty = tmp_path / "tty"
    procs.start("sim", "sim", "receiver", "--link", str(tty), "--tag", TAG, "--every", "0.5")
    async with asyncio.timeout(10):
        while not tty.exists():
            await asyncio.sleep(0.05)
    (tmp_path / "etc").mkdir()
    installed = gateway_file(tmp_path / "etc", GW, broker, tty)
    gateway: dict[str, Any] = yaml.safe_load(installed.read_text())
    start_hub(procs, config, http_port)
    token = admin_token(config)
    procs.start(GW, "edge", "--config", str(installed))

    def text_of(**receiver: Any) -> str:
        changed = dict(gateway, receivers=[dict(gateway["receivers"][0], **receiver)])
        return "# from the hub's editor\n" + yaml.safe_dump(changed, allow_unicode=True)

    base = f"http://127.0.0.1:{http_port}"
    headers = {"Authorization": f"Bearer {token}", "Origin": base}
    commands = Listener(broker.port, command_topic(GW), "e2e-cmd-listener")
    listening = asyncio.create_task(commands.link.run())
    try:
        await asyncio.wait_for(commands.link.connected.wait(), 10)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as client:
            fleet = await until_page(
                client, "/desk/fleet", rf'data-gateway="{GW}"[^>]*>.*?data-online="yes"', 30
            )
            first_hash = re.search(r'<code class="note">([0-9a-f]{12})</code>', fleet)
            assert first_hash is not None

            # 1. a mistake: refused at the hub, nothing sent
            bad = text_of(baudrate=12345)
            refused = await client.post(EDITOR, data={"yaml": bad})
            assert refused.status_code == 422
            [(line, text)] = [(n, t) for n, t in enumerate(bad.splitlines(), 1) if "12345" in t]
            column = text.index("baudrate") + 1
            assert f"<code>{line}:{column}</code> receivers[0].baudrate:" in refused.text

            # 2. a good one: the driver restarts on its port; applied; the new hash shows
            good = await client.post(EDITOR, data={"yaml": text_of(silent_after_s=45)})
            assert good.status_code == 200 and 'data-sent="yes"' in good.text
            page = await until_page(client, EDITOR, r'data-version="1" data-state="applied"', 30)
            applied = re.search(
                r'data-version="1" data-state="applied">.*?<code class="config-hash">(\w+)</code>',
                page,
            )
            assert applied is not None
            new_hash = applied.group(1)
            assert new_hash != first_hash.group(1)
            await until_page(client, "/desk/fleet", f'<code class="note">{new_hash}</code>', 15)

            # 3. passes the check, its port is not there: rolled back by the gateway
            missing = text_of(port=str(tmp_path / "no-such-tty"))
            sent = await client.post(EDITOR, data={"yaml": missing})
            assert sent.status_code == 200 and 'data-sent="yes"' in sent.text
            page = await until_page(
                client, EDITOR, r'data-version="2" data-state="rolled_back"', 30
            )
            assert f"not up within {TRIAL_S} s" in page and "no-such-tty" in page
            fleet = await until_page(
                client, "/desk/fleet", r'data-receiver="vm" data-state="up"', 15
            )
            row = fleet[fleet.index(f'data-gateway="{GW}"') :]
            assert f'<code class="note">{new_hash}</code>' in row  # still the good one
            assert state_of(page, 1) == "applied"
        # Only the two valid configs ever reached the gateway's topic.
        assert len(commands.messages) == 2
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
    data = tmp_path / "etc" / "data" / GW
    assert "silent_after_s: 45" in (data / "gateway.yaml").read_text()
    assert "no-such-tty" in (data / "gateway.yaml.failed").read_text()
    exits = procs.stop_all()
    assert exits == {GW: 0, "sim": 0, "hub": 0}, exits
    assert "Traceback" not in procs.log(GW)
