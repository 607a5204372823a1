"""The links that ask contacts to confirm they are registered (``desk/confirmations``):
they stop working a month after they were sent, on the hub's clock, with a page that
says so and names no one; and a forgotten person leaves no trace in the requests."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.access.auth import new_token, token_hash
from mimamori.hub.desk.confirmations import ANSWER_WITHIN
from mimamori.hub.model.confirmations import Ask
from mimamori.hub.model.privacy import PersonScope
from mimamori.hub.store.sql_store import SqlStore
from tests.hub.helpers import TAG_KAMA, HubClock, running_hub


async def ask(store: SqlStore, contact: str, *people: str, clock: HubClock) -> str:
    """A request sent to ``contact`` now, as the confirmations' worker writes it; its
    link's token."""
    token = new_token()
    asked = Ask(contact, token_hash(token), people, 1, "kinjo (staff)")
    # The running hub's own worker moves the cursor too (compare-and-set): read it
    # again when it moved between our read and our write.
    for _ in range(20):
        cursor, _ = await store.register_changes_to_confirm(1)
        if await store.ask_contacts(cursor, cursor, [asked], [], clock()):
            return token
    raise AssertionError("the cursor never stood still")


async def test_a_confirmation_link_expires_after_a_month_and_then_names_no_one(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    clock = HubClock()
    async with running_hub(own_broker, tmp_path, clock=clock) as hub:
        store = hub.state.store
        assert isinstance(store, SqlStore)
        token = await ask(store, "r-miyagi", "p-kama", clock=hub.clock)
        async with hub.client() as client:
            hub.clock.advance(ANSWER_WITHIN - timedelta(minutes=1))
            shown = await client.get("/confirm", params={"token": token})
            assert shown.status_code == 200 and "宮城 カマ" in shown.text

            hub.clock.advance(timedelta(minutes=1))
            late = await client.get("/confirm", params={"token": token})
            assert late.status_code == 410
            assert "期限が切れました" in late.text
            assert "宮城 カマ" not in late.text and "宮城 花子" not in late.text
            pressed = await client.post(
                "/confirm", params={"token": token}, headers={"Origin": hub.url}
            )
            assert pressed.status_code == 410 and "宮城" not in pressed.text
        [request] = await store.contact_confirmations(["r-miyagi"])
        assert request.confirmed_at is None


async def test_forgetting_a_person_takes_them_out_of_every_contact_request(
    store: SqlStore,
) -> None:
    clock = HubClock()
    await ask(store, "r-both", "p-kama", "p-tsuru", clock=clock)
    await ask(store, "r-hers", "p-kama", clock=clock)
    await ask(store, "r-other", "p-tsuru", clock=clock)
    report = await store.forget_person(PersonScope("p-kama", (TAG_KAMA,)), clock(), by="test")
    assert report.removed["contact_confirmations"] == 2
    left = {c.contact_id: c.people for c in await store.contact_confirmations()}
    assert left == {"r-both": ("p-tsuru",), "r-other": ("p-tsuru",)}
