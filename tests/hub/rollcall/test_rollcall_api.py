"""The roll-call over HTTP on a real hub with a real broker: staff start it, the home
button is told, a press through MQTT and the one-time link's page answer, the lists
of staff and a volunteer, a visit, the end and its report; and a hub restarted in
the middle keeps every answer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.rollcall.asking import ANSWER_PATH
from mimamori.protocol import EventKind, format_ts
from tests.hub.helpers import publishing_gateway, query, running_hub, until

MESSAGE = "台風による停電が続いています。ご無事ですか。"


def town(tmp_path: Path) -> Any:
    (tmp_path / "self.channels").write_text("json://127.0.0.1:9/self\n")

    def edit(doc: dict[str, Any]) -> None:
        doc["areas"] = [{"id": "north", "name": "北地区"}, {"id": "south", "name": "南地区"}]
        doc["recipients"].append(
            {"id": "r-self", "name": "宮城 カマ", "relation": "本人", "phone": "090-1111-2222",
             "channels_file": str(tmp_path / "self.channels")}
        )  # fmt: skip
        for person in doc["people"]:
            person["area"] = "north"
        doc["people"][1]["contacts"] = ["r-self"]
        doc["people"][1]["phone"] = "098-000-0000"
        doc["households"][0].update(area="north", evacuation_support=True)
        for gateway in doc["gateways"]:
            gateway["area"] = "north"

    return edit


def two_homes(tmp_path: Path) -> Any:
    """``town``'s north, and 比嘉さん宅 (hh-2, its own home gateway gw-2, her family
    r-miyagi to message: her channel's URL answers nothing)."""
    north = town(tmp_path)
    (tmp_path / "miyagi.channels").write_text("json://127.0.0.1:9/miyagi\n")

    def edit(doc: dict[str, Any]) -> None:
        north(doc)
        doc["gateways"].append({"id": "gw-2", "name": "比嘉さん宅", "lat": 26.28, "lon": 127.77,
                                "site": "home", "area": "north"})  # fmt: skip
        doc["households"].append(
            {"id": "hh-2", "name": "比嘉さん宅", "area": "north", "gateways": ["gw-2"],
             "people": ["p-tsuru"]}
        )  # fmt: skip
        doc["people"][0]["contacts"] = ["r-miyagi"]

    return edit


async def link_token(tmp_path: Path) -> str:
    [(body,)] = await query(
        tmp_path, "SELECT body FROM notifications WHERE dedupe_key LIKE 'rollcall-%'"
    )
    token: str = body.rsplit(ANSWER_PATH, 1)[1]
    return token


async def listed(client: httpx.AsyncClient, rollcall_id: int) -> dict[str, Any]:
    response = await client.get(f"/api/v1/rollcalls/{rollcall_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_a_roll_call_over_http_survives_a_restart_and_ends_with_its_report(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    edit = town(tmp_path)
    async with (
        running_hub(own_broker, tmp_path, edit) as hub,
        publishing_gateway(own_broker, "gw-home") as home,
    ):
        drivers = {"door": {"driver": "serial_button", "state": "up"}}
        await home.status("online", drivers=drivers)
        await until(lambda: hub.state.store.gateway_drivers("gw-home"))
        north = await hub.account("kita", "staff", areas=("north",))
        south = await hub.account("minami", "staff", areas=("south",))
        volunteer = await hub.account("yamashiro", "volunteer", households=("hh-1",))
        family = await hub.account("miyagi", "family", family="f-miyagi")
        async with hub.client(south) as client:
            refused = await client.post("/api/v1/rollcalls", json={"area": "north",
                                                                   "message": MESSAGE})  # fmt: skip
            assert refused.status_code == 403
        async with hub.client(north) as client:
            started = await client.post(
                "/api/v1/rollcalls", json={"area": "north", "message": MESSAGE}
            )
            assert started.status_code == 201, started.text
            rollcall_id = started.json()["id"]
            assert started.json() == {"id": rollcall_id, "households": 1, "notices": 1,
                                      "buttons": 1}  # fmt: skip

            async def told() -> bool:
                [line] = (await listed(client, rollcall_id))["households"]
                return bool(line["button"] == "sent")

            await until(told)
            [line] = (await listed(client, rollcall_id))["households"]
            assert (line["status"], line["support"], line["people"]) == (
                "unanswered", True, ["宮城 カマ"],
            )  # fmt: skip
            assert [p["number"] for p in line["phones"]] == ["098-000-0000", "090-1111-2222"]
            whole = await listed(client, rollcall_id)
            assert (whole["page"], whole["pages"], whole["matching"]) == (1, 1, 1)
            assert whole["counts"] == {"unanswered": 1, "seen": 0, "help": 0, "safe": 0}
            kept = await client.get(f"/api/v1/rollcalls/{rollcall_id}",
                                    params={"status": "safe", "find": "宮城"})  # fmt: skip
            assert (kept.json()["households"], kept.json()["matching"]) == ([], 0)
            assert kept.json()["counts"] == whole["counts"]  # the filter aside
            for bad in ({"page": 0}, {"status": "gone"}, {"find": "x" * 65}):
                refused = await client.get(f"/api/v1/rollcalls/{rollcall_id}", params=bad)
                assert refused.status_code == 422, bad
            # The desk's page of the same list: Japanese first, reloading itself.
            page = await client.get(f"/rollcall/{rollcall_id}")
            assert page.status_code == 200
            assert 'data-household="hh-1" data-status="unanswered"' in page.text
            assert "未回答" in page.text and 'http-equiv="refresh"' in page.text
            assert 'href="tel:098-000-0000"' in page.text
        async with hub.client(family) as client:
            assert (await client.get(f"/api/v1/rollcalls/{rollcall_id}")).status_code == 404
        # The one-time link: GET only shows, the button POSTs.
        token = await link_token(tmp_path)
        async with httpx.AsyncClient(base_url=hub.url, timeout=10) as anonymous:
            page = await anonymous.get("/rollcall/answer", params={"token": token})
            assert page.status_code == 200 and MESSAGE in page.text
            assert 'id="rc-safe"' in page.text
            done = await anonymous.post(
                "/rollcall/answer", params={"token": token}, data={"answer": "safe"},
                headers={"Origin": hub.url},
            )  # fmt: skip
            assert done.status_code == 200 and 'id="rc-answered"' in done.text
            bad = await anonymous.get("/rollcall/answer", params={"token": "x" * 32})
            assert bad.status_code == 404
    # The hub goes down and comes back: the answer is still there, a press made
    # meanwhile (kept by the gateway) is read, the roll-call goes on.
    async with (
        running_hub(own_broker, tmp_path, edit) as hub,
        publishing_gateway(own_broker, "gw-home") as home,
    ):
        now = datetime.now(UTC)
        await home.event(
            EventKind.CHECKIN_DONE, now, device="door", card="genki", next_due=format_ts(now)
        )
        async with hub.client(volunteer) as client:
            [line] = (await listed(client, rollcall_id))["households"]
            assert (line["status"], line["how"]) == ("safe", "link")  # kept across the restart

            async def read() -> bool:
                found = await hub.state.store.rollcall(rollcall_id)
                return found is not None and found[1] == await hub.state.store.last_seqno()

            await until(read)  # the press is read (the link's "safe" came first and stays)
            visit = await client.post(
                f"/api/v1/rollcalls/{rollcall_id}/visits",
                json={"household_id": "hh-1", "visit": "safe"},
            )
            assert visit.status_code == 200, visit.text
            # The same through the volunteer's page: the form posts back, the list follows.
            form = await client.get(f"/rollcall/{rollcall_id}/visit", params={"household": "hh-1"})
            assert form.status_code == 200 and 'id="rc-visit-not_home"' in form.text
            posted = await client.post(
                f"/rollcall/{rollcall_id}/visit", params={"household": "hh-1"},
                data={"outcome": "not_home"}, headers={"Origin": hub.url},
            )  # fmt: skip
            assert posted.status_code == 303
            [line] = (await listed(client, rollcall_id))["households"]
            assert (line["visit"], line["visit_by"], line["status"]) == (
                "not_home", "yamashiro さん", "safe",
            )  # fmt: skip
            assert (await client.post(f"/api/v1/rollcalls/{rollcall_id}/end")).status_code == 403
        async with hub.client(north) as client:
            ended = await client.post(f"/api/v1/rollcalls/{rollcall_id}/end")
            assert ended.status_code == 200, ended.text
            report = (await client.get(f"/api/v1/rollcalls/{rollcall_id}/report")).json()
            assert report["asked"] == 1 and report["never_reached"] == []
            assert report["counts"]["safe_link"] + report["counts"]["safe_button"] == 1
