"""A utility's CSV of 1,000 meter anomalies, uploaded at the desk: every bad line is
named with its number and why, the good ones are filed all the same, and only the
households whose people consented to "meter" get a case."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.model.cases import Partner, PartnerKind
from tests.hub.cases.town import NORTH, SOUTH, town
from tests.hub.helpers import CONSENT, running_hub


def metered(doc: dict[str, Any]) -> None:
    """The south's hh-1 (宮城 カマ, who consented to "meter"); hh-2 (宇良 ウト, who
    did not) beside it."""
    town(doc)
    doc["people"][1]["consent"] = {**CONSENT, "purposes": [*CONSENT["purposes"], "meter"]}
    doc["gateways"].append({"id": "gw-home2", "name": "自宅 2", "lat": 26.28, "lon": 127.77,
                            "site": "home", "area": SOUTH})  # fmt: skip
    doc["people"].append({"id": "p-uto", "name": "宇良 ウト", "area": SOUTH, "consent": CONSENT})
    doc["households"].append({"id": "hh-2", "name": "宇良さん宅", "area": SOUTH,
                              "gateways": ["gw-home2"], "people": ["p-uto"]})  # fmt: skip


def anomalies(today: date) -> tuple[bytes, dict[int, str]]:
    """1,000 different lines of the last 500 days, half for hh-1 and half for hh-2,
    some bad (the line number: what is wrong)."""
    lines, bad = ["household,date,kind,value"], {}
    for i in range(1000):
        n = i + 2  # the file's line number (the header is line 1)
        home = "hh-1" if i % 2 else "hh-2"
        day = today - timedelta(days=i // 2)
        row = f"{home},{day.isoformat()},water_still,"
        if i % 97 == 0:
            row, bad[n] = f"hh-9,{day},water_still,", "no such household"
        elif i % 89 == 0:
            row, bad[n] = f"{home},{day.year}-13-01,water_still,", "date"
        elif i % 83 == 0:
            row, bad[n] = f"{home},{today + timedelta(days=3)},water_still,", "future"
        elif i % 79 == 0:
            row, bad[n] = f"{home},{day},gas,", "kind"
        elif i % 73 == 0:
            row, bad[n] = f"{home},{day:%Y/%m/%d},power_score,abc", "score"
        elif i % 10 == 3:
            row = f"{home},{day:%Y/%m/%d},power_score,61"
        lines.append(row)
    return "\r\n".join(lines).encode("cp932"), bad


async def test_a_csv_of_1000_anomalies_files_only_consented_homes_and_names_bad_lines(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, metered) as hub:
        now = hub.clock()
        await hub.state.store.add_partner(
            Partner("water", "上下水道課", PartnerKind.UTILITY, (SOUTH,), now)
        )
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        north = await hub.account("kinjo", "staff", areas=(NORTH,))
        raw, bad = anomalies(now.date())
        files = {"file": ("anomalies.csv", raw, "text/csv")}
        async with hub.client(north) as client:
            refused = await client.post("/desk/partners/water/anomalies", files=files,
                                        headers={"Origin": hub.url})  # fmt: skip
            assert refused.status_code == 403
        assert await hub.state.store.cases(None, 10) == []
        async with hub.client(staff) as client:
            answer = await client.post("/desk/partners/water/anomalies", files=files,
                                       headers={"Origin": hub.url})  # fmt: skip
        assert answer.status_code == 200, answer.text
        named = {int(n) for n in re.findall(r'<tr data-line="(\d+)">', answer.text)}
        assert named == set(bad)
        assert "この事業者の地域にない世帯です: hh-9" in answer.text
        good = 1000 - len(bad)
        cases = await hub.state.store.cases([SOUTH], 10)
        assert [c.household_id for c in cases] == ["hh-1"]  # hh-2: no consent, no case
        hh1 = sum(1 for i in range(1000) if i % 2 and i + 2 not in bad)
        assert cases[0].reports == hh1
        result = re.search(r'data-filed="(\d+)" data-cases="(\d+)" data-no-consent="(\d+)"',
                           answer.text)  # fmt: skip
        assert result is not None
        assert tuple(map(int, result.groups())) == (hh1, 1, good - hh1)
        timeline = await hub.state.store.case_timeline(cases[0].id)
        scored = (now.date() - timedelta(days=1)).isoformat()  # line 5 (i = 3)
        assert any(f"電力データのスコア（{scored}、61）" in e.text for e in timeline)


async def test_a_csv_uploaded_twice_files_its_reports_once_and_says_so(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, metered) as hub:
        now = hub.clock()
        await hub.state.store.add_partner(
            Partner("water", "上下水道課", PartnerKind.UTILITY, (SOUTH,), now)
        )
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        day, before = now.date(), now.date() - timedelta(days=1)
        first = (
            f"household,date,kind,value\nhh-1,{day},water_still,\nhh-1,{before},power_score,61\n"
        )
        # The same two anomalies written another way, and one new line.
        again = (f"household,date,kind,value\n hh-1 ,{before:%Y/%m/%d},power_score,61.0\n"
                 f"hh-1,{day:%Y/%m/%d},water_still,\nhh-1,{day},power_score,64\n")  # fmt: skip

        async def upload(text: str) -> tuple[int, int, str]:
            files = {"file": ("anomalies.csv", text.encode(), "text/csv")}
            async with hub.client(staff) as client:
                answer = await client.post("/desk/partners/water/anomalies", files=files,
                                           headers={"Origin": hub.url})  # fmt: skip
            assert answer.status_code == 200, answer.text
            found = re.search(r'data-filed="(\d+)".*data-already="(\d+)"', answer.text)
            assert found is not None
            return int(found[1]), int(found[2]), answer.text

        assert (await upload(first))[:2] == (2, 0)
        filed, already, page = await upload(first)
        assert (filed, already) == (0, 2)
        assert "2行は前に取り込み済みです" in page
        filed, already, _ = await upload(again)
        assert (filed, already) == (1, 2)
        [case] = await hub.state.store.cases([SOUTH], 10)
        assert case.reports == 3


async def test_a_csv_without_its_header_is_refused_whole(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, metered) as hub:
        await hub.state.store.add_partner(
            Partner("water", "上下水道課", PartnerKind.UTILITY, (SOUTH,), hub.clock())
        )
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        files = {"file": ("a.csv", b"hh-1,2026-11-01,water_still\n", "text/csv")}
        async with hub.client(staff) as client:
            answer = await client.post("/desk/partners/water/anomalies", files=files,
                                       headers={"Origin": hub.url})  # fmt: skip
        assert answer.status_code == 422
        assert "1行目は household,date,kind[,value] にしてください" in answer.text
        assert await hub.state.store.cases(None, 10) == []
