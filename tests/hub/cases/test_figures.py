"""Monthly figures of cases: reports by partner kind and by what was noticed, hours
to the first decision (median, p90), cases opened and closed, per area and month of
Japan's calendar; counts of 1 and 2 hidden (and a lone hidden count's next smallest);
the desk's page and CSV show a staff member their own areas only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.figures.cases import month_of_cases, nearest_rank, shown, window
from mimamori.hub.figures.suppression import hide_small
from mimamori.hub.model.cases import (
    CaseState,
    Noticed,
    Partner,
    PartnerKind,
    ReportDraft,
    Step,
    Triage,
)
from mimamori.hub.store.port import Store
from mimamori.hub.store.port_cases import CaseChange
from mimamori.hub.store.sql_store import SqlStore
from tests.hub.cases.town import NORTH, SOUTH, town
from tests.hub.helpers import running_hub

MAY = date(2031, 5, 1)
MAY_3 = datetime(2031, 5, 3, 1, 0, tzinfo=UTC)  # 10:00 in Japan
APRIL_30_JST = datetime(2031, 4, 30, 16, 0, tzinfo=UTC)  # 5/1 01:00 in Japan: May's
APRIL = datetime(2031, 4, 30, 14, 0, tzinfo=UTC)  # 4/30 23:00 in Japan: April's
H = timedelta(hours=1)


def test_counts_of_one_and_two_are_hidden_and_a_lone_hidden_one_takes_the_next() -> None:
    assert hide_small({"a": 1, "b": 2, "c": 10, "d": 0}) == {"a": None, "b": None, "c": 10, "d": 0}
    assert hide_small({"a": 1, "b": 10, "c": 4, "d": 0}) == {"a": None, "b": 10, "c": None, "d": 0}
    assert hide_small({"a": 1}) == {"a": None}
    assert hide_small({"a": 3, "b": 0}) == {"a": 3, "b": 0}


def test_the_month_is_japans_and_p90_is_a_time_a_case_took() -> None:
    since, until = window(date(2031, 12, 1))
    assert (since.isoformat(), until.isoformat()) == (
        "2031-12-01T00:00:00+09:00", "2032-01-01T00:00:00+09:00"
    )  # fmt: skip
    assert nearest_rank([5.0, 1.0, 3.0, 2.0, 4.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == 9.0
    assert nearest_rank([4.0], 0.9) == 4.0


async def month(store: Store) -> None:
    """May in two areas: the south's home hh-1 with 5 newspaper reports and 1 from the
    public form in one case, decided after 2 h; four typed addresses in the south
    (decided after 1, 3, 5, 30 h; two closed); one north report; one in April."""
    news = Partner("news", "新聞", PartnerKind.NEWSPAPER, (SOUTH, NORTH), MAY_3)
    await store.add_partner(news)
    link = await store.add_partner_link("news", "山田", channel=None, lang="ja",
                                        token_hash="h", at=MAY_3)  # fmt: skip
    home = ReportDraft(Noticed.MAIL_PILING, "", "hh-1", None)
    case = await store.file_report(link, home, SOUTH, APRIL_30_JST)
    for i in range(4):
        await store.file_report(link, home, SOUTH, MAY_3 + i * H)
    await store.file_public(ReportDraft(Noticed.NO_LIGHT, "", "hh-1", None), SOUTH, "x", MAY_3)
    await decide(store, case, APRIL_30_JST + 2 * H)
    for i, hours in enumerate((1, 3, 5, 30)):
        typed = ReportDraft(Noticed.LOST, "", None, f"野嵩{i}")
        street = await store.file_report(link, typed, SOUTH, MAY_3)
        await decide(store, street, MAY_3 + hours * H, close=i < 2)
    north = ReportDraft(Noticed.SHUTTERS, "", None, "大山1")
    await store.file_report(link, north, NORTH, MAY_3)
    await store.file_report(link, ReportDraft(Noticed.OTHER, "", None, "宜野湾1"), NORTH, APRIL)


async def decide(store: Store, case_id: int, at: datetime, *, close: bool = False) -> None:
    triage = CaseChange((CaseState.NEW,), Step.TRIAGE, "staff", "visit",
                        state=CaseState.TRIAGED, triage=Triage.VISIT)  # fmt: skip
    assert await store.change_case(case_id, triage, at)
    if close:
        done = CaseChange((CaseState.TRIAGED,), Step.CLOSE, "staff", "無事", state=CaseState.CLOSED)
        assert await store.change_case(case_id, done, at + H)


async def test_a_months_figures_per_area(store: SqlStore) -> None:
    await month(store)
    raw = await month_of_cases(store, None, MAY)
    south, north = raw[SOUTH], raw[NORTH]
    assert south.by_kind == {"newspaper": 9, "public": 1}
    assert south.by_noticed == {"mail_piling": 5, "no_light": 1, "lost": 4}
    assert (south.opened, south.closed) == (5, {"visit": 2})
    assert sorted(south.decision_s) == [h * 3600.0 for h in (1, 2, 3, 5, 30)]
    assert (north.by_kind, north.opened, north.decision_s) == ({"newspaper": 1}, 1, [])
    assert set(await month_of_cases(store, [NORTH], MAY)) == {NORTH}
    figures = shown(south)
    assert (figures.median_h, figures.p90_h, figures.decided) == (3.0, 30.0, 5)
    assert figures.by_kind == {"newspaper": None, "public": None}  # 10 - 9 would say 1
    assert figures.by_noticed == {"mail_piling": 5, "no_light": None, "lost": None}
    assert figures.closed == {"visit": None}
    assert shown(north).median_h is None  # fewer than three decided: no times


async def test_the_desk_shows_a_staff_member_their_areas_figures_and_csv(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        await month(hub.state.store)
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        async with hub.client(staff) as client:
            page = await client.get("/desk/figures/cases", params={"month": "2031-05"})
            sheet = await client.get("/desk/figures/cases.csv", params={"month": "2031-05"})
            bad = await client.get("/desk/figures/cases", params={"month": "5月"})
        assert page.status_code == 200
        assert f'data-area="{SOUTH}"' in page.text and f'data-area="{NORTH}"' not in page.text
        assert "新聞販売店" in page.text and "住民（公開フォーム）" in page.text
        assert '<tr data-figure="opened"><th>新しい案件</th><td>5</td></tr>' in page.text
        assert bad.status_code == 422 and "2031-05 の形で月を入れてください" in bad.text
        assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
        assert rows[0] == ["month", "area", "figure", "key", "value"]
        assert {r[1] for r in rows[1:]} == {SOUTH}
        assert ["2031-05", SOUTH, "reports_by_noticed", "mail_piling", "5"] in rows
        assert ["2031-05", SOUTH, "reports_by_kind", "public", "x"] in rows
        assert ["2031-05", SOUTH, "reports_by_kind", "newspaper", "x"] in rows
        assert ["2031-05", SOUTH, "hours_to_decision", "p90", "30.0"] in rows
        family = await hub.account("miyagi", "family", family="f-miyagi")
        async with hub.client(family) as client:
            assert (await client.get("/desk/figures/cases.csv")).status_code == 403
