"""From an SOS at home to a message on a phone and back: event -> alert -> webhook ->
one-tap link -> 対応します, on a real hub with a real broker and a real receiver."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from mimamori.protocol import EventKind, format_ts
from tests.hub.helpers import Gateway, RunningHub, until
from tests.hub.receivers import webhook


async def test_an_sos_reaches_the_family_and_their_tap_holds_the_repeats_while_handling(
    hub: RunningHub, home_gateway: Gateway, tmp_path: Path
) -> None:
    async with webhook() as hook:
        await hub.set_channels("r-miyagi", hook.url)
        sent = time.perf_counter()
        now = datetime.now(UTC)
        await home_gateway.event(
            EventKind.CHECKIN_SOS, now, device="door", card="sos", next_due=format_ts(now)
        )
        await until(lambda: _arrived(hook), within=10)
        took = time.perf_counter() - sent
        [(_headers, body)] = hook.requests
    assert took < 10  # the benchmark measures this; here it only has to arrive
    assert "SOS ボタンが押されました" in body["title"] and "宮城さん宅" in body["title"]
    [link] = re.findall(r"https?://\S+/ack\?token=\S+", body["message"])
    async with httpx.AsyncClient() as phone:
        page = await phone.get(link)
        assert page.status_code == 200 and 'id="ack"' in page.text
        done = await phone.post(link)
        assert "受け付けました" in done.text
    alert = await hub.state.store.alert(1)
    assert alert is not None and (alert.state, alert.acked_by) == ("acknowledged", "宮城 花子")
    assert alert.handling_until is not None
    # Nothing while she handles it; then, unresolved, her step is asked again.
    assert await hub.state.store.due_escalations(alert.handling_until - timedelta(seconds=1)) == []
    [again] = await hub.state.store.due_escalations(datetime(2100, 1, 1, tzinfo=UTC))
    assert (again.due_at, again.recipients, again.round) == (
        alert.handling_until,
        ("r-miyagi",),
        1,
    )
    async with hub.client(await hub.token(role="admin")) as admin:
        [sent] = (await admin.get("/api/v1/notifications")).json()
    assert (sent["recipient_id"], sent["state"], sent["attempts"]) == ("r-miyagi", "sent", 1)


async def _arrived(hook: object) -> bool:
    return bool(hook.requests)
