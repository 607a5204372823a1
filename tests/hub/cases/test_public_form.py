"""The town's public form: a resident without an account reports what they noticed.
It never tells whether an address is a registered household (the same answers, the
same bound), while the report of a registered home joins that home's case; an address
takes three reports an hour, however it is written (全角 or not); each mistake is said
at its field, in Japanese, and nothing is filed."""

from __future__ import annotations

from pathlib import Path

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.model.cases import Step
from tests.hub.cases.town import ADDRESS, SOUTH, town
from tests.hub.helpers import RunningHub, running_hub

ELSEWHERE = "宜野湾市野嵩9-9-9"  # nobody registered lives there


async def _send(hub: RunningHub, **data: str) -> tuple[int, str, str]:
    async with hub.client() as client:
        sent = await client.post("/report/town", data={"noticed": "no_light", "area": SOUTH,
                                                        **data},
                                 headers={"Origin": hub.url}, follow_redirects=False)  # fmt: skip
        done = await client.get(sent.headers.get("location", "/report/town"))
    return sent.status_code, sent.headers.get("location", ""), done.text


async def test_a_registered_address_and_another_get_the_same_answers(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        async with hub.client() as client:
            form = (await client.get("/report/town")).text
        assert 'id="report-form"' in form and ADDRESS not in form and "hh-1" not in form
        registered = await _send(hub, address=ADDRESS, contact="090-1234-5678")
        other = await _send(hub, address=ELSEWHERE)
        assert registered == other
        assert registered[0] == 303 and "受け付けました" in registered[2]
        cases = {(c.household_id, c.address) for c in await hub.state.store.cases(None, 10)}
        assert cases == {("hh-1", None), (None, ELSEWHERE)}
        [home] = [c for c in await hub.state.store.cases(None, 10) if c.household_id]
        timeline = await hub.state.store.case_timeline(home.id)
        [report] = [e for e in timeline if e.step is Step.REPORT]  # and where it went
        assert "連絡先: 090-1234-5678" in report.text
        # The bound is the same for both: three an hour, 全角 digits and spaces alike.
        wide = "宜野湾市野嵩　２－５－８"
        for address, again in ((ADDRESS, wide), (ELSEWHERE, ELSEWHERE)):
            assert (await _send(hub, address=again))[0] == 303
            assert (await _send(hub, address=address))[0] == 303
            status, _, _ = await _send(hub, address=again)
            assert status == 429


async def test_each_mistake_is_said_and_nothing_is_filed(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        status, _, _ = await _send(hub, address="", area="nowhere", contact="x" * 101)
        assert status == 422
        async with hub.client() as client:
            answer = await client.post("/report/town", data={"note": "郵便受けがいっぱい"},
                                       headers={"Origin": hub.url})  # fmt: skip
        assert answer.status_code == 422
        for field in ("noticed", "address", "area"):
            assert f'id="error-{field}"' in answer.text
        assert "郵便受けがいっぱい" in answer.text  # what was typed is kept
        assert await hub.state.store.cases(None, 10) == []
