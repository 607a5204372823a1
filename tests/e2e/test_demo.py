"""``mimamori demo`` (what ``./run demo`` runs): the walking person and the demo home
appear on the hub, the staff link opens the desk with the demo's people and homes,
and Ctrl-C stops every process it started."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import poll_json

pytestmark = pytest.mark.slow


def processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{entry.name}: {cmdline}")
    return found


async def test_the_demo_shows_the_walker_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mimamori", "demo", "--dir", str(demo_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        links: dict[str, str] = {}
        async with asyncio.timeout(60):
            while len(links) < 2:
                line = await asyncio.to_thread(proc.stdout.readline)
                assert line, f"the demo ended before printing its links: {links}"
                for name in ("Map", "Desk"):
                    if line.startswith(f"{name}: "):
                        links[name] = line.removeprefix(f"{name}: ").strip()
        map_url = links["Map"]
        base = map_url.split("/signin")[0]
        async with httpx.AsyncClient(base_url=base, follow_redirects=True) as browser:
            page = await browser.get(map_url)
            assert page.status_code == 200 and "みまもりマップ" in page.text
            seen = await poll_json(
                browser, "/api/v1/people/p-demo/location", lambda b: b["gateway_id"] is not None, 60
            )
            assert seen["gateway_id"].startswith("gw-demo-")
            gateways = await poll_json(
                browser, "/api/v1/gateways", lambda gs: all(g["online"] for g in gs), 30
            )
            assert len(gateways) == 4  # three vending machines and the family's own home
            # The demo home: a month decided by the gateway's rules, with one missed day.
            home = await poll_json(
                browser,
                "/api/v1/households/hh-demo",
                lambda b: sum(bool(d["checkins"]) for d in b["history"]) >= 25,
                30,
            )
            assert [d["missed_level"] for d in home["history"]].count(1) == 1
            assert home["devices"][0]["id"] == "door"
        # The staff link opens the desk, where the demo registered more people and homes.
        async with httpx.AsyncClient(base_url=base, follow_redirects=True) as staff:
            desk = await staff.get(links["Desk"])
            assert desk.status_code == 200 and str(desk.url).startswith(f"{base}/desk/people")
            for name in ("比嘉 ツル", "金城 ウシ", "新垣 カメ", "新垣 松"):
                assert name in desk.text, name
            homes = await staff.get("/desk/households")
            assert "金城さん宅" in homes.text and "新垣さん宅" in homes.text
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        rest = await asyncio.to_thread(proc.communicate, timeout=30)
        assert proc.returncode == 0, rest
        assert "Demo stopped." in rest[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert processes_mentioning(str(demo_dir)) == []  # no broker, hub, edge or sim left behind
