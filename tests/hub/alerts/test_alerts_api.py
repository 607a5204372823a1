"""Alerts through a real hub: raised from MQTT events, seen and answered only by who may."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mimamori.protocol import EventKind, format_ts
from tests.hub.helpers import Gateway, RunningHub, until


async def test_a_missed_check_in_becomes_an_alert_the_family_answers(
    hub: RunningHub, home_gateway: Gateway
) -> None:
    now = datetime.now(UTC)
    await home_gateway.event(EventKind.CHECKIN_MISSED, now, level=1, due=format_ts(now))
    miyagi, higa = await hub.token(family="f-miyagi"), await hub.token(family="f-higa")
    async with hub.client(miyagi) as family:

        async def raised() -> Any:
            return (await family.get("/api/v1/alerts")).json()

        [alert] = await until(raised)
        assert (alert["kind"], alert["severity"], alert["state"]) == (
            "checkin_missed",
            "warning",
            "open",
        )
        assert alert["household_name"] == "宮城さん宅" and alert["detail"]["level"] == 1

        async with hub.client(higa) as stranger:
            assert (await stranger.get("/api/v1/alerts")).json() == []
            for action in ("ack", "handling", "decline", "resolve", "timeline"):
                url = f"/api/v1/alerts/{alert['id']}/{action}"
                call = stranger.get if action == "timeline" else stranger.post
                response = await call(url)
                assert response.status_code == 404
                assert response.json() == {"detail": "no such alert"}

        acked = await family.post(
            f"/api/v1/alerts/{alert['id']}/ack", json={"note": "母に電話しました"}
        )
        assert acked.status_code == 200
        assert (acked.json()["state"], acked.json()["ack_note"]) == (
            "acknowledged",
            "母に電話しました",
        )
        assert acked.json()["handling_until"] is not None  # handling is a pause, not an end
        # Acknowledging is 対応します: said again (by another, or later), it holds again.
        assert (await family.post(f"/api/v1/alerts/{alert['id']}/ack")).status_code == 200
        done = await family.post(
            f"/api/v1/alerts/{alert['id']}/resolve", json={"note": "無事", "outcome": "safe"}
        )
        assert done.json()["state"] == "resolved" and done.json()["resolved_by"] == "test"
        assert done.json()["outcome"] == "safe"
        for answer in ("ack", "decline"):
            late = await family.post(f"/api/v1/alerts/{alert['id']}/{answer}")
            assert late.status_code == 409
        assert (await family.post(f"/api/v1/alerts/{alert['id']}/resolve")).status_code == 409
        assert (await family.get("/api/v1/alerts")).json() == []
        everything = (await family.get("/api/v1/alerts", params={"state": "all"})).json()
        assert [a["state"] for a in everything] == ["resolved"]
        too_long = await family.post(f"/api/v1/alerts/{alert['id']}/ack", json={"note": "x" * 1001})
        assert too_long.status_code == 422


async def test_an_admin_sees_every_alert_and_a_press_resolves_it_by_itself(
    hub: RunningHub, home_gateway: Gateway
) -> None:
    now = datetime.now(UTC)
    await home_gateway.event(EventKind.CHECKIN_MISSED, now, level=2, due=format_ts(now))
    async with hub.client(await hub.token(role="admin")) as admin:

        async def open_alerts() -> Any:
            return (await admin.get("/api/v1/alerts")).json()

        [alert] = await until(open_alerts)
        assert alert["severity"] == "critical"
        await home_gateway.event(
            EventKind.CHECKIN_DONE, now, device="door", card="genki", next_due=format_ts(now)
        )

        async def closed() -> Any:
            found = (await admin.get("/api/v1/alerts", params={"state": "all"})).json()
            return found if found and found[0]["state"] == "resolved" else None

        [resolved] = await until(closed)
        assert (resolved["resolved_by"], resolved["resolve_note"]) == ("automatic", "checked in")


async def test_views_of_a_location_and_answers_are_in_the_audit_log_for_admins_only(
    hub: RunningHub, home_gateway: Gateway
) -> None:
    now = datetime.now(UTC)
    await home_gateway.event(EventKind.CHECKIN_MISSED, now, level=1, due=format_ts(now))
    async with hub.client(await hub.token(family="f-miyagi")) as family:
        await family.get("/api/v1/people/p-kama/location")
        await family.get("/api/v1/people/p-kama/trail")

        async def raised() -> Any:
            return (await family.get("/api/v1/alerts")).json()

        [alert] = await until(raised)
        await family.post(f"/api/v1/alerts/{alert['id']}/ack", json={"note": "電話済み"})
        refused = await family.get("/api/v1/audit")
        assert refused.status_code == 403 and refused.json() == {"detail": "admins only"}
    async with hub.client(await hub.token(role="admin")) as admin:
        log = (await admin.get("/api/v1/audit")).json()
    assert [(e["action"], e["subject"], e["role"]) for e in reversed(log)] == [
        ("view.location", "person:p-kama", "family"),
        ("view.trail", "person:p-kama", "family"),
        ("alert.ack", f"alert:{alert['id']}", "family"),
    ]
    assert log[0]["detail"] == "電話済み"


async def test_staff_record_a_call_on_the_alerts_page_and_the_chain_moves_on(
    hub: RunningHub, home_gateway: Gateway
) -> None:
    now = datetime.now(UTC)
    await home_gateway.event(EventKind.CHECKIN_MISSED, now, level=1, due=format_ts(now))
    async with hub.client(await hub.token(role="admin")) as admin:

        async def raised() -> Any:
            return (await admin.get("/api/v1/alerts")).json()

        [alert] = await until(raised)
    page_url = f"/alerts/{alert['id']}"
    async with hub.client(await hub.token(family="f-higa")) as stranger:
        assert (await stranger.get(page_url)).status_code == 404  # not their household
        refused = await stranger.post(f"{page_url}/call", data={"result": "fine"})
        assert refused.status_code == 404
    async with hub.client(await hub.account("center", "staff")) as staff:
        page = await staff.get(page_url)
        assert page.status_code == 200 and 'id="call-form"' in page.text
        called = await staff.post(f"{page_url}/call", data={"result": "no_answer", "note": "2回"})
        assert called.status_code == 200 and "電話の結果を記録しました" in called.text
        assert "電話 — 応答なし" in called.text  # the timeline shows it
        answered = await staff.post(page_url, data={"answer": "resolve", "outcome": "away"})
        assert "解決済み: 外出・家族宅など（無事）" in answered.text
    found = await hub.state.store.alert(alert["id"])
    assert found is not None and (found.state, found.outcome) == ("resolved", "away")
    timeline = await hub.state.store.alert_timeline(alert["id"])
    assert [e.detail for e in timeline if e.what == "answer"] == ["call_no_answer"]
