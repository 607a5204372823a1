"""Every route of partners, cases and reports, as every role, on a real hub whose town
has two care-centre areas: nobody signed in gets the sign-in page (401); families and
volunteers 403 on every desk route; staff 403 for another area's partner or case;
what is refused writes nothing; each read of a case is audited, a refused one is not.
The report link is its own permission: a valid one shows the form to anyone, an
unknown one 404, a revoked one 410."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.access.auth import new_token, token_hash
from mimamori.hub.model.cases import Noticed, Partner, PartnerKind, ReportDraft
from mimamori.hub.server.state import HubState
from mimamori.hub.web import desk_cases, desk_figures, desk_partners, partner_report
from tests.hub.cases.town import NORTH, SOUTH, town
from tests.hub.helpers import RunningHub, running_hub

ALLOWED = {200, 303, 422}  # shown, done, refused as invalid (an empty form)


def routes() -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for router in (
            desk_partners.router,
            desk_cases.router,
            desk_figures.router,
            partner_report.router,
        )
        for route in router.routes
        for method in sorted(getattr(route, "methods", None) or ())
        if method != "HEAD"
    )


async def seed(state: HubState) -> dict[str, Any]:
    """A partner and an open case in each area; the tokens of their links."""
    store, now = state.store, state.clock()
    ids: dict[str, Any] = {}
    for area, pid in ((NORTH, "p-north"), (SOUTH, "p-south")):
        await store.add_partner(Partner(pid, pid, PartnerKind.NEWSPAPER, (area,), now))
        token = new_token()
        link = await store.add_partner_link(
            pid, "配達員", channel=None, lang="ja", token_hash=token_hash(token), at=now
        )
        home = "hh-1" if area == SOUTH else None
        report = ReportDraft(Noticed.NO_LIGHT, "", home, None if home else "大山1-1")
        ids[area] = (pid, link.id, await store.file_report(link, report, area, now), token)
    return ids


def concrete(path: str, area: str, ids: dict[str, Any]) -> str:
    pid, link_id, case_id, _ = ids[area]
    return (
        path.replace("{partner_id}", pid)
        .replace("{link_id}", str(link_id))
        .replace("{case_id}", str(case_id))
    )


def expected(role: str, path: str, area: str) -> int | None:
    """The status a role must get on a desk route (None: any of ALLOWED)."""
    if role == "anonymous":
        return 401
    if role in ("family", "volunteer"):
        return 403
    named = "{" in path
    if role == "south" and named and area == NORTH:
        return 403
    if role == "admin" and path.endswith(("/revoke", "/bulletins")) and area == SOUTH:
        return 404  # south's staff revoked that link before: gone is gone
    # No token: no card (test_cards.py prints one); no such photo of the case
    # (test_report_photos.py shows one); no LINE in this town: no LINE code
    # (tests/hub/line/test_desk_partner_line.py issues one).
    if path.endswith(("/card", "/photos/{photo_id}", "/line-code")):
        return 404
    return None


async def written(state: HubState, ids: dict[str, Any]) -> tuple[Any, ...]:
    """What a route could change: partners, links, cases and their timelines."""
    store = state.store
    found: list[Any] = [await store.partners()]
    for pid, _, case_id, _ in ids.values():
        found += [await store.partner_links(pid), await store.case(case_id)]
        found.append(await store.case_timeline(case_id))
    return tuple(found)


async def test_every_case_and_partner_route_as_every_role(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        ids = await seed(hub.state)
        tokens: dict[str, str | None] = {
            "anonymous": None,
            "family": await hub.account("miyagi", "family", family="f-miyagi"),
            "volunteer": await hub.account("yamashiro", "volunteer", households=("hh-1",)),
            "south": await hub.account("arakaki", "staff", areas=(SOUTH,)),
            "admin": await hub.account("root", "admin"),
        }
        desk = [(m, p) for m, p in routes() if p.startswith("/desk")]
        # with the town's figures (issue 19), bulletins (18), a link's LINE code (17)
        assert len(desk) == 21, desk
        for role, token in tokens.items():
            for area in (NORTH, SOUTH):
                await _walk(hub, role, token, desk, area=area, ids=ids)
        reads = [
            e for e in await hub.state.store.audit_log(hub.clock() - timedelta(days=1), 1000)
            if e.action == "case.read"
        ]  # fmt: skip
        # Read (and audited) by south's staff (their own case) and the admin (both), on
        # the case page and after each of its posts that was refused as invalid.
        assert {(e.who.split(" ")[0], e.subject) for e in reads} == {
            ("arakaki", f"case:{ids[SOUTH][2]}"),
            ("root", f"case:{ids[SOUTH][2]}"),
            ("root", f"case:{ids[NORTH][2]}"),
        }


async def _walk(
    hub: RunningHub,
    role: str,
    token: str | None,
    desk: list[tuple[str, str]],
    *,
    area: str,
    ids: dict[str, Any],
) -> None:
    headers: dict[str, Any] = {"Origin": hub.url}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with hub.client() as client:
        for method, path in desk:
            before = await written(hub.state, ids)
            response = await client.request(
                method, concrete(path, area, ids), headers=headers, follow_redirects=False
            )
            want, got = expected(role, path, area), response.status_code
            where = (role, area, method, path, got)
            if want is None:
                assert got in ALLOWED, where
            else:
                assert got == want, where
                assert await written(hub.state, ids) == before, where


async def test_a_report_link_is_its_own_permission(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        ids = await seed(hub.state)
        pid, link_id, _, token = ids[SOUTH]
        async with hub.client() as client:
            shown = await client.get("/report", params={"token": token})
            assert shown.status_code == 200 and 'id="report-form"' in shown.text
            unknown = await client.get("/report", params={"token": "x" * 43})
            assert unknown.status_code == 404 and "report-form" not in unknown.text
            sent = await client.post("/report", params={"token": "x" * 43},
                                     data={"noticed": "other", "address": "どこか"},
                                     headers={"Origin": hub.url})  # fmt: skip
            assert sent.status_code == 404
            assert await hub.state.store.revoke_partner_link(pid, link_id, hub.clock())
            revoked = await client.get("/report", params={"token": token})
            assert revoked.status_code == 410
            assert "report-form" not in revoked.text
            assert "停止しました" in revoked.text
            before = await hub.state.store.case_timeline(ids[SOUTH][2])
            posted = await client.post("/report", params={"token": token},
                                       data={"noticed": "other", "household": "hh-1"},
                                       headers={"Origin": hub.url})  # fmt: skip
            assert posted.status_code == 410
            assert await hub.state.store.case_timeline(ids[SOUTH][2]) == before
