"""``mimamori bench cases``: from a partner's report to the case on the desk's list.

The hub's app without its loops (the report and the desk need none of them: a report
is written by the request itself), SQLite in a temporary directory, a town of
``homes`` households in one area, one partner link and one staff account. Each sample
posts a report (a different home each time, so each opens a case) and then reads
``/desk/cases`` as staff until the new case is on it; the time is from the post to
that list. Requests go through httpx's ASGI transport: the whole app (middleware,
templates, store) without the loopback TCP. Target (issue 16): p99 under 2 s.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from mimamori.bench import hub_files
from mimamori.bench.report import latencies_ms
from mimamori.hub.access.auth import issue, new_token, token_hash
from mimamori.hub.config import HubConfig, load_hub_config
from mimamori.hub.model.accounts import CredentialKind, User
from mimamori.hub.model.cases import Partner, PartnerKind
from mimamori.hub.server.app import create_app
from mimamori.hub.server.state import HubState

ORIGIN = "http://127.0.0.1:8080"  # the config's public URL: the same-origin guard's


def _config(root: Path, homes: int) -> HubConfig:
    doc = {
        "hub": {
            "database": {"path": str(root / "hub.sqlite3")},
            "http": {"public_url": ORIGIN},
            "broker": {"host": "127.0.0.1", "port": 1},  # no loops: never dialled
        },
        "areas": [{"id": "south", "name": "南地域包括支援センター"}],
        "gateways": [
            {
                "id": f"gw-{n}",
                "name": f"自宅 {n}",
                "lat": 26.28,
                "lon": 127.77,
                "site": "home",
                "area": "south",
            }
            for n in range(homes)
        ],
        "households": [
            {
                "id": f"hh-{n}",
                "name": f"お宅 {n}",
                "gateways": [f"gw-{n}"],
                "area": "south",
                "address": f"宜野湾市野嵩{n}",
            }
            for n in range(homes)
        ],
    }
    return load_hub_config(hub_files(root / "hub.yaml", doc))


async def _accounts(hub: HubState, links: int) -> tuple[list[str], str]:
    """Report links' tokens (a carrier each: a link takes 30 reports an hour) and a
    staff member's bearer token."""
    now = hub.clock()
    await hub.store.add_partner(Partner("news", "新聞", PartnerKind.NEWSPAPER, ("south",), now))
    tokens = [new_token() for _ in range(links)]
    for token in tokens:
        await hub.store.add_partner_link(
            "news", "bench", channel=None, lang="ja", token_hash=token_hash(token), at=now
        )
    user = User("staff", "職員", "staff", None, (), areas=("south",))
    await hub.store.add_user(user, "x", now)
    bearer = await issue(
        hub.store, CredentialKind.TOKEN, role="staff", family_id=None, name="bench",
        ttl=timedelta(hours=1), now=now, user_id="staff",
    )  # fmt: skip
    return tokens, bearer


async def run(samples: int) -> dict[str, Any]:
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="mimamori-bench-") as tmp:
        app = create_app(_config(Path(tmp), samples), with_ingest=False)
        async with app.router.lifespan_context(app):
            hub: HubState = app.state.hub
            tokens, bearer = await _accounts(hub, samples)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
                for n in range(samples):
                    started = time.perf_counter()
                    sent = await client.post(
                        "/report",
                        params={"token": tokens[n]},
                        data={"noticed": "mail_piling", "household": f"hh-{n}"},
                        headers={"Origin": ORIGIN},
                    )
                    if sent.status_code != 303:
                        raise RuntimeError(f"report refused: {sent.status_code}")
                    while True:
                        listed = await client.get(
                            "/desk/cases", headers={"Authorization": f"Bearer {bearer}"}
                        )
                        if f"お宅 {n}（" in listed.text:
                            break
                    latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {
        "reports": samples,
        **latencies_ms(latencies),
        "target_p99_ms": 2000,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def main(samples: int, as_json: bool) -> int:
    result = asyncio.run(run(samples))
    if as_json:
        print(json.dumps(result))
    else:
        print("partner report -> case on the desk's list (ASGI, SQLite)")
        for key, value in result.items():
            print(f"  {key:>13}: {value}")
    return 0
