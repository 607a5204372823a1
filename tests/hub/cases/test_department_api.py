"""A department's system files meter anomalies through the API (大館: the water
department reports through its system): with its partner's token, the lines are
checked and filed as the desk's CSV's are (each once, ever; only households with the
"meter" consent; bad lines named by index and why); no token, a forged one or a
revoked one is refused before the body is read; a request over the bound is refused
whole; the route is in the hub's OpenAPI description."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.access.auth import new_token, token_hash
from mimamori.hub.cases.anomalies import MAX_LINES
from mimamori.hub.model.cases import Partner, PartnerKind
from tests.hub.cases.test_anomalies import metered
from tests.hub.cases.town import SOUTH
from tests.hub.helpers import running_hub

PATH = "/api/v1/partner/anomalies"


async def test_a_departments_system_files_anomalies_with_its_token_once(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, metered) as hub:
        store, now = hub.state.store, hub.clock()
        await store.add_partner(Partner("water", "上下水道課", PartnerKind.UTILITY, (SOUTH,), now))
        token = new_token()
        link = await store.add_partner_link("water", "水道課システム", channel=None, lang="ja",
                                            token_hash=token_hash(token), at=now)  # fmt: skip
        today, before = now.date(), now.date() - timedelta(days=1)
        lines = [
            {"household": "hh-1", "date": today.isoformat(), "kind": "water_still"},
            {"household": "hh-2", "date": today.isoformat(), "kind": "water_still"},
            {"household": "hh-1", "date": before.isoformat(), "kind": "power_score",
             "value": "abc"},
            {"household": "hh-9", "date": today.isoformat(), "kind": "water_still"},
        ]  # fmt: skip
        bearer = {"Authorization": f"Bearer {token}"}
        async with hub.client() as client:
            for refused in ({}, {"Authorization": "Bearer forged"}, {"Authorization": token}):
                answer = await client.post(PATH, json={"anomalies": lines}, headers=refused)
                assert answer.status_code == 401, refused
                assert answer.headers["www-authenticate"] == "Bearer"
            assert await store.cases([SOUTH], 10) == []

            first = await client.post(PATH, json={"anomalies": lines}, headers=bearer)
            assert first.status_code == 200, first.text
            said = first.json()
            [case] = await store.cases([SOUTH], 10)
            assert (said["filed"], said["cases"], said["already"]) == (1, [case.id], 0)
            assert said["no_consent"] == [1]  # hh-2: no "meter" consent
            assert [p["index"] for p in said["problems"]] == [2, 3]
            assert said["problems"][0]["ja"] == "スコアは 0〜100 の数です"

            again = (await client.post(PATH, json={"anomalies": lines}, headers=bearer)).json()
            assert (again["filed"], again["already"]) == (0, 1)
            found = await store.case(case.id)
            assert found is not None and found.reports == 1

            too_many = [lines[0]] * (MAX_LINES + 1)
            over = await client.post(PATH, json={"anomalies": too_many}, headers=bearer)
            assert over.status_code == 422
            odd = await client.post(PATH, json={"anomalies": [{**lines[0], "x": 1}]},
                                    headers=bearer)  # fmt: skip
            assert odd.status_code == 422

            assert await store.revoke_partner_link("water", link.id, hub.clock())
            revoked = await client.post(PATH, json={"anomalies": lines}, headers=bearer)
            assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
        audit = await store.audit_log(now - timedelta(days=1), 100)
        uploads = [e for e in audit if e.action == "partner.anomalies"]
        assert len(uploads) == 2 and all(e.who == "api:water" for e in uploads)
        assert all((e.detail or "").startswith("API: ") for e in uploads)

        described = hub.app.openapi()["paths"][PATH]["post"]
        assert described["tags"] == ["partners"]
        assert "Filed" in str(described["responses"]["200"])
