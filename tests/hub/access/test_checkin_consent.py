"""A household's check-ins are shared with its volunteers (民生委員) only with the
check-in consent of the people who live there (issue 14): no record, no sharing."""

from __future__ import annotations

from mimamori.hub.model.register import Actor, Entity
from tests.hub.helpers import RunningHub

DESK = Actor("k-tamaki", "staff", "desk")


async def test_a_volunteer_sees_a_home_only_once_its_people_consent_to_sharing_check_ins(
    hub: RunningHub,
) -> None:
    volunteer = await hub.account("yamashiro", "volunteer", households=("hh-1",))
    [kama] = await hub.state.store.register_entries(Entity.PERSON, ["p-kama"])
    withdrawn = hub.clock().date()
    await hub.state.register.withdraw_consent("p-kama", "checkin", withdrawn, kama.version, DESK)
    async with hub.client(volunteer) as client:
        assert (await client.get("/api/v1/households")).json() == []
        assert (await client.get("/api/v1/households/hh-1")).status_code == 404
        assert [p["id"] for p in (await client.get("/api/v1/people")).json()] == []
    consent = {"purpose": "checkin", "by": "宮城 花子", "relation": "family",
               "at": withdrawn.isoformat(), "record": "同意書 2031-07"}  # fmt: skip
    await hub.state.register.record_consent("p-kama", consent, kama.version + 1, DESK)
    async with hub.client(volunteer) as client:
        assert [h["id"] for h in (await client.get("/api/v1/households")).json()] == ["hh-1"]
        assert (await client.get("/api/v1/households/hh-1")).status_code == 200
        assert [p["id"] for p in (await client.get("/api/v1/people")).json()] == ["p-kama"]
    # A family's own view is theirs by the family's register entry, not by this consent.
    family = await hub.account("miyagi", "family", family="f-miyagi")
    await hub.state.register.withdraw_consent(
        "p-kama", "checkin", withdrawn, kama.version + 2, DESK
    )
    async with hub.client(family) as client:
        assert [h["id"] for h in (await client.get("/api/v1/households")).json()] == ["hh-1"]
