"""Assignment of a case to a staff member or to the household's 民生委員: shown on the
case and in "my cases"; the volunteer sees only the open cases assigned to them, and
of each only what was noticed, where and what to do; each of those reads audited."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from mimamori.demo.mosquitto import PrivateBroker
from tests.hub.cases.test_cases_routes import seed
from tests.hub.cases.town import ADDRESS, SOUTH, town
from tests.hub.helpers import RunningHub, running_hub


def with_minsei(tmp_path: Path) -> Any:
    def edit(doc: dict[str, Any]) -> None:
        town(doc)
        channels = tmp_path / "minsei.channels"
        channels.write_text("")
        doc["recipients"].append({"id": "r-minsei", "name": "山城 民生委員", "relation": "民生委員",
                                  "user": "yamashiro", "channels_file": str(channels)})  # fmt: skip
        doc["people"][1]["minsei"] = "r-minsei"  # 宮城 カマ of hh-1

    return edit


async def _post(hub: RunningHub, token: str, path: str, **data: str) -> int:
    async with hub.client(token) as client:
        answer = await client.post(path, data=data, headers={"Origin": hub.url},
                                   follow_redirects=False)  # fmt: skip
    return answer.status_code


async def _mine(hub: RunningHub, token: str) -> tuple[int, str]:
    async with hub.client(token) as client:
        answer = await client.get("/cases/mine")
    return answer.status_code, answer.text


async def test_a_case_assigned_to_the_households_volunteer_shows_them_the_minimum(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, with_minsei(tmp_path)) as hub:
        case_id = (await seed(hub.state))[SOUTH][2]  # hh-1's: 夜に電気がつかない
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        minsei = await hub.account("yamashiro", "volunteer", households=("hh-1",))
        other = await hub.account("tamaki", "volunteer", households=("hh-1",))
        family = await hub.account("miyagi", "family", family="f-miyagi")
        async with hub.client(staff) as client:
            page = (await client.get(f"/desk/cases/{case_id}")).text
        assert 'value="yamashiro"' in page and "yamashiro さん（民生委員）" in page
        assert 'value="tamaki"' not in page  # a volunteer, but not this household's
        path = f"/desk/cases/{case_id}"
        assert await _post(hub, staff, f"{path}/assign", assign="tamaki") == 422
        assert await _post(hub, staff, f"{path}/assign", assign="arakaki") == 303
        status, page = await _mine(hub, staff)
        assert status == 200 and f'href="/desk/cases/{case_id}"' in page
        assert (
            await _post(hub, staff, f"{path}/triage", triage="visit", note="鍵は隣の比嘉さん")
            == 303
        )
        assert await _post(hub, staff, f"{path}/assign", assign="yamashiro") == 303
        case = await hub.state.store.case(case_id)
        assert case is not None and case.assigned_to == "yamashiro"
        async with hub.client(staff) as client:
            shown = (await client.get(path)).text
        assert "yamashiro さん（民生委員）" in shown.split('id="case-assigned"')[1][:80]
        assert "担当の案件はありません" in (await _mine(hub, staff))[1]  # not hers any more

        status, page = await _mine(hub, minsei)
        assert status == 200 and f'data-case="{case_id}"' in page
        assert ADDRESS in page and "夜に電気がつかない" in page and "訪問する" in page
        for secret in ("宮城", "カマ", "鍵は", "配達員", "p-south", "/desk/"):
            assert secret not in page, secret
        assert "担当の案件はありません" in (await _mine(hub, other))[1]
        assert (await _mine(hub, family))[0] == 403
        async with hub.client(minsei) as client:
            assert (await client.get(path)).status_code == 403  # never the desk's case page
        reads = [
            (e.who, e.subject, e.detail)
            for e in await hub.state.store.audit_log(hub.clock() - timedelta(days=1), 1000)
            if e.action == "case.read" and e.role == "volunteer"
        ]
        assert reads == [("yamashiro さん (yamashiro)", f"case:{case_id}", "assigned")]

        assert await _post(hub, staff, f"{path}/close", outcome="訪問し、無事でした") == 303
        assert "担当の案件はありません" in (await _mine(hub, minsei))[1]
