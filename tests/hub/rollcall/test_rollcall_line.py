"""The roll-call on LINE, on a real hub with the local LINE and LINE's real SDK: a
contact bound to LINE gets the message with 元気です / 助けが必要; a tap, in a signed
webhook, answers as the link does (助けが必要 opens the household's SOS alert), only
for the LINE user bound to the recipient the message went to, and only while the
roll-call runs; a button altered does nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.model.alerts import AlertKind
from mimamori.hub.rollcall import line as rollcall_line
from tests.hub.helpers import query, running_hub
from tests.hub.line.conftest import with_line
from tests.hub.line.test_checkin import bind, open_alerts, pushed, tap
from tests.hub.rollcall.test_rollcall_api import MESSAGE, listed, two_homes
from tests.line_server import LocalLine, local_line, user_id


@pytest.fixture
async def line() -> AsyncIterator[LocalLine]:
    async with local_line() as running:
        yield running


def town(tmp_path: Path, line: LocalLine) -> Any:
    """宮城さん宅 (hh-1, her own phone r-self) and 比嘉さん宅 (hh-2, her family r-miyagi),
    on a hub with LINE."""
    homes, add_line = two_homes(tmp_path), with_line(tmp_path, line)

    def edit(doc: dict[str, Any]) -> None:
        homes(doc)
        add_line(doc)

    return edit


async def test_line_buttons_answer_as_the_link_for_the_bound_user_only(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine
) -> None:
    async with running_hub(own_broker, tmp_path, town(tmp_path, line)) as hub:
        store = hub.state.store
        kama = await bind(store, hub.clock(), "r-self")
        family = await bind(store, hub.clock(), "r-miyagi")
        staff = await hub.account("kita", "staff", areas=("north",))
        async with hub.client(staff) as client:
            started = await client.post(
                "/api/v1/rollcalls", json={"area": "north", "message": MESSAGE}
            )
            assert started.status_code == 201, started.text
            rollcall_id = started.json()["id"]
            asked = {p.to: p for p in await pushed(line, 2)}
            assert set(asked) == {kama, family}
            assert asked[kama].text.startswith("安否確認\n" + MESSAGE)
            assert "/rollcall/answer?token=" in asked[kama].text  # the link stays
            kama_safe, kama_help = asked[kama].buttons()
            family_safe, _ = asked[family].buttons()
            assert (kama_safe["label"], kama_help["label"]) == ("元気です", "助けが必要")

            # Someone else's tap, or a button altered, answers nothing.
            assert "受け取った方だけ" in await tap(hub, line, user_id(), family_safe["data"])
            assert "受け取った方だけ" in await tap(hub, line, kama, family_safe["data"])
            data = family_safe["data"]
            forged = data[:-4] + ("AAAA" if not data.endswith("AAAA") else "BBBB")
            assert "受け取った方だけ" in await tap(hub, line, family, forged)
            lines = {
                h["household_id"]: h for h in (await listed(client, rollcall_id))["households"]
            }
            assert lines["hh-2"]["status"] == "unanswered"

            assert "受け付けました" in await tap(hub, line, family, family_safe["data"])
            assert "担当者にすぐ" in await tap(hub, line, kama, kama_help["data"])
            lines = {
                h["household_id"]: h for h in (await listed(client, rollcall_id))["households"]
            }
            assert (lines["hh-2"]["status"], lines["hh-2"]["how"]) == ("safe", "link")
            assert (lines["hh-1"]["status"], lines["hh-1"]["how"]) == ("help", "link")
            [alert] = await open_alerts(store)
            assert (alert.kind, alert.subject) == (AlertKind.SOS, "household:hh-1")
            assert alert.detail["rollcall"] == rollcall_id

            assert (await client.post(f"/api/v1/rollcalls/{rollcall_id}/end")).status_code == 200
        assert "終了しました" in await tap(hub, line, family, family_safe["data"])
    audited = await query(
        tmp_path, "SELECT who, role, action FROM audit WHERE action LIKE 'rollcall.%' ORDER BY id"
    )
    assert audited == [
        ("宮城 花子", "line", "rollcall.safe"),
        ("宮城 カマ", "line", "rollcall.help"),
    ]


@given(st.text(max_size=400))
def test_any_postback_is_a_roll_calls_answer_none_or_refused(data: str) -> None:
    secret = b"s" * 32
    for text in (data, f"rollcall:{data}", f"rollcall:safe:{data}"):
        try:
            found = rollcall_line.read(secret, text)
        except rollcall_line.BadButton:
            continue
        assert found is None  # not a roll-call's, and never an answer unsigned


def test_a_button_reads_back_as_its_answer_token_and_recipient() -> None:
    secret, token = b"s" * 32, "tok_-123"
    safe, help_ = rollcall_line.buttons(secret, token, "r-宮城", "ja")
    assert (safe.label, help_.label) == ("元気です", "助けが必要")
    assert rollcall_line.read(secret, safe.data) == rollcall_line.Tap("safe", token, "r-宮城")
    assert rollcall_line.read(secret, help_.data) == rollcall_line.Tap("help", token, "r-宮城")
    with pytest.raises(rollcall_line.BadButton):
        rollcall_line.read(b"t" * 32, safe.data)  # signed by another hub
