"""Roles on a real hub: every API route walked as each role, and what each is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mimamori.protocol import EventKind, format_ts
from tests.hub.helpers import Gateway, RunningHub, api_operations, concrete, until

# What each role gets on each route, with the path filled in by ``concrete`` (person
# p-tsuru of the Higa family, household hh-1 of the Miyagi family, alert 1 of hh-1).
# 200/201: allowed; 404: not theirs (indistinguishable from missing); 403: admins only.
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/api/v1/people"): {"admin": 200, "staff": 200, "volunteer": 200, "family": 200},
    ("GET", "/api/v1/people/{person_id}/location"): {
        "admin": 200, "staff": 200, "volunteer": 404, "family": 404,
    },
    ("GET", "/api/v1/people/{person_id}/trail"): {
        "admin": 200, "staff": 200, "volunteer": 404, "family": 404,
    },
    ("GET", "/api/v1/people/{person_id}/live"): {
        "admin": 200, "staff": 200, "volunteer": 404, "family": 404,
    },
    ("GET", "/api/v1/gateways"): {"admin": 200, "staff": 200, "volunteer": 200, "family": 200},
    ("GET", "/api/v1/households"): {"admin": 200, "staff": 200, "volunteer": 200, "family": 200},
    ("GET", "/api/v1/households/{household_id}"): {
        "admin": 200, "staff": 200, "volunteer": 200, "family": 200,
    },
    ("GET", "/api/v1/alerts"): {"admin": 200, "staff": 200, "volunteer": 200, "family": 200},
    ("POST", "/api/v1/alerts/{alert_id}/ack"): {
        "admin": 409, "staff": 409, "volunteer": 200, "family": 409,
    },
    ("POST", "/api/v1/alerts/{alert_id}/resolve"): {
        "admin": 409, "staff": 409, "volunteer": 200, "family": 409,
    },
    ("POST", "/api/v1/alerts/{alert_id}/handling"): {
        "admin": 409, "staff": 409, "volunteer": 200, "family": 409,
    },
    ("POST", "/api/v1/alerts/{alert_id}/decline"): {
        "admin": 409, "staff": 409, "volunteer": 200, "family": 409,
    },
    ("POST", "/api/v1/alerts/{alert_id}/call"): {
        "admin": 409, "staff": 409, "volunteer": 200, "family": 409,
    },
    ("GET", "/api/v1/alerts/{alert_id}/timeline"): {
        "admin": 200, "staff": 200, "volunteer": 200, "family": 200,
    },
    ("GET", "/api/v1/audit"): {"admin": 200, "staff": 403, "volunteer": 403, "family": 403},
    # The roll-call (issue 19): only admins start one for the whole town; roll-call 1
    # exists only once the admin (walked last, posts last) has started it, and ends it.
    ("GET", "/api/v1/rollcalls"): {"admin": 200, "staff": 200, "volunteer": 200, "family": 200},
    ("POST", "/api/v1/rollcalls"): {"admin": 201, "staff": 403, "volunteer": 403, "family": 403},
    ("GET", "/api/v1/rollcalls/{rollcall_id}"): {
        "admin": 404, "staff": 404, "volunteer": 404, "family": 404,
    },
    ("GET", "/api/v1/rollcalls/{rollcall_id}/report"): {
        "admin": 404, "staff": 404, "volunteer": 404, "family": 404,
    },
    ("POST", "/api/v1/rollcalls/{rollcall_id}/end"): {
        "admin": 200, "staff": 404, "volunteer": 404, "family": 404,
    },
    ("POST", "/api/v1/rollcalls/{rollcall_id}/visits"): {
        "admin": 409, "staff": 404, "volunteer": 404, "family": 404,
    },
    # Enrollment: codes for admins only (this hub has no enrollment settings: 404 says
    # so); trading a code needs no sign-in, and no code at all is a 422 for anyone.
    ("POST", "/api/v1/gateways/{gateway_id}/enrollment"): {
        "admin": 404, "staff": 403, "volunteer": 403, "family": 403,
    },
    ("POST", "/api/v1/enroll"): {"admin": 422, "staff": 422, "volunteer": 422, "family": 422},
    # A department's system signs in with a partner link's token, never a person's.
    ("POST", "/api/v1/partner/anomalies"): {
        "admin": 401, "staff": 401, "volunteer": 401, "family": 401,
    },
    ("GET", "/api/v1/quarantine"): {
        "admin": 200, "staff": 403, "volunteer": 403, "family": 403,
    },
    ("GET", "/api/v1/notifications"): {
        "admin": 200, "staff": 200, "volunteer": 403, "family": 403,
    },
    # Searches for p-tsuru: staff close the search (found) first, so afterwards it is
    # ended (409 for what needs it running), and revoke the shared link (410 after).
    ("POST", "/api/v1/searches"): {"admin": 201, "staff": 409, "volunteer": 404, "family": 404},
    ("GET", "/api/v1/searches"): {"admin": 200, "staff": 200, "volunteer": 200, "family": 200},
    ("GET", "/api/v1/searches/{search_id}"): {
        "admin": 200, "staff": 200, "volunteer": 404, "family": 404,
    },
    ("GET", "/api/v1/searches/{search_id}/live"): {
        "admin": 200, "staff": 200, "volunteer": 404, "family": 404,
    },
    ("POST", "/api/v1/searches/{search_id}/close"): {
        "admin": 409, "staff": 200, "volunteer": 404, "family": 404,
    },
    ("POST", "/api/v1/searches/{search_id}/join"): {
        "admin": 409, "staff": 409, "volunteer": 404, "family": 404,
    },
    ("GET", "/api/v1/searches/{search_id}/shares"): {
        "admin": 200, "staff": 200, "volunteer": 404, "family": 404,
    },
    ("POST", "/api/v1/searches/{search_id}/shares"): {
        "admin": 409, "staff": 409, "volunteer": 404, "family": 404,
    },
    ("POST", "/api/v1/searches/{search_id}/shares/{share_id}/revoke"): {
        "admin": 200, "staff": 200, "volunteer": 404, "family": 404,
    },
    # The SOS network (issue 18): the consent and the bulletins sent; a consent to a
    # search that ended is refused (422).
    ("GET", "/api/v1/searches/{search_id}/sharing"): {
        "admin": 200, "staff": 200, "volunteer": 404, "family": 404,
    },
    ("POST", "/api/v1/searches/{search_id}/consent"): {
        "admin": 422, "staff": 422, "volunteer": 404, "family": 404,
    },
    # A shared link needs no account: anyone holding it sees the search until revoked.
    ("GET", "/api/v1/shared/{token}"): {
        "admin": 410, "staff": 200, "volunteer": 200, "family": 200,
    },
    ("GET", "/api/v1/shared/{token}/live"): {
        "admin": 410, "staff": 200, "volunteer": 200, "family": 200,
    },
    # Only a peer hub, with its town's secret, may relay searches and sightings.
    ("POST", "/api/v1/federation/searches"): {
        "admin": 401, "staff": 401, "volunteer": 401, "family": 401,
    },
    ("POST", "/api/v1/federation/sightings"): {
        "admin": 401, "staff": 401, "volunteer": 401, "family": 401,
    },
}  # fmt: skip


def _register_rows() -> dict[tuple[str, str], dict[str, int]]:
    """The register's routes (the desk's, issue 14): staff and admins only, families and
    volunteers 403 on every one. Called without a body or a version, a write is
    refused as invalid (422); ``{entry_id}`` is left as is: no such entry (404)."""
    desk = {"volunteer": 403, "family": 403}
    rows: dict[tuple[str, str], dict[str, int]] = {
        ("GET", "/api/v1/register/people"): {"admin": 200, "staff": 200, **desk},
        ("GET", "/api/v1/register/people/{person_id}"): {"admin": 200, "staff": 200, **desk},
        # No photo of her yet: none to show (404); a change log for those of the desk.
        ("GET", "/api/v1/register/people/{person_id}/photo"): {"admin": 404, "staff": 404, **desk},
        ("GET", "/api/v1/register/changes"): {"admin": 200, "staff": 200, **desk},
    }
    person_writes = [
        ("POST", ""), ("PUT", "/{person_id}"), ("DELETE", "/{person_id}"),
        ("POST", "/{person_id}/consents"), ("POST", "/{person_id}/consents/{purpose}/withdraw"),
        ("PUT", "/{person_id}/contacts"), ("POST", "/{person_id}/review"),
        ("POST", "/{person_id}/photo"),
    ]  # fmt: skip
    for method, tail in person_writes:
        rows[(method, f"/api/v1/register/people{tail}")] = {"admin": 422, "staff": 422, **desk}
    for kind in ("households", "contacts", "families", "watch-points", "policies"):
        base = f"/api/v1/register/{kind}"
        staff_writes = 403 if kind == "policies" else 422  # the town's: admins change them
        rows[("GET", base)] = {"admin": 200, "staff": 200, **desk}
        rows[("POST", base)] = {"admin": 422, "staff": staff_writes, **desk}
        rows[("GET", f"{base}/{{entry_id}}")] = {"admin": 404, "staff": 404, **desk}
        for method in ("PUT", "DELETE"):
            staff = 403 if kind == "policies" else 404
            rows[(method, f"{base}/{{entry_id}}")] = {"admin": 404, "staff": staff, **desk}
    return rows


EXPECTED.update(_register_rows())
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/alerts/{alert_id}/call": {"result": "no_answer"},
    "/api/v1/searches": {"person_id": "p-tsuru"},
    "/api/v1/searches/{search_id}/close": {"outcome": "found"},
    "/api/v1/searches/{search_id}/shares": {"label": "宜野湾署"},
    "/api/v1/searches/{search_id}/consent": {"agreed_by": "長女", "shown_as": "80代の方"},
    "/api/v1/rollcalls": {"message": "震度6弱の地震がありました。ご無事ですか。"},
    "/api/v1/rollcalls/{rollcall_id}/visits": {"household_id": "hh-1", "visit": "safe"},
}
# The order the roles are walked in: the volunteer answers alert 1 every way and
# resolves it first; the others then find it resolved (409) — allowed, never forbidden.
ORDER = ("volunteer", "family", "staff", "admin")


async def test_every_route_as_every_role(hub: RunningHub, home_gateway: Gateway) -> None:
    now = datetime.now(UTC)
    await home_gateway.event(EventKind.CHECKIN_MISSED, now, level=1, due=format_ts(now))
    tokens = {
        "admin": await hub.account("root", "admin"),
        "staff": await hub.account("center", "staff"),
        "volunteer": await hub.account("yamashiro", "volunteer", households=("hh-1",)),
        "family": await hub.account("miyagi", "family", family="f-miyagi"),
    }
    async with hub.client(tokens["admin"]) as admin:

        async def raised() -> Any:
            return (await admin.get("/api/v1/alerts")).json()

        [alert] = await until(raised)
        search = (await admin.post("/api/v1/searches", json=BODIES["/api/v1/searches"])).json()
        share = (
            await admin.post(
                f"/api/v1/searches/{search['id']}/shares",
                json=BODIES["/api/v1/searches/{search_id}/shares"],
            )
        ).json()
    ids = {"search_id": search["id"], "share_id": str(share["id"]), "gateway_id": "gw-a"}
    ids["rollcall_id"] = "1"
    ids["token"] = share["url"].rsplit("/", 1)[1]
    assert alert["id"] == 1
    operations = api_operations(hub)
    assert sorted(operations) == sorted(EXPECTED), "a new route needs its row in EXPECTED"
    for role in ORDER:
        async with hub.client(tokens[role]) as client:
            for (method, path), by_role in sorted(EXPECTED.items(), key=_posts_last):
                if path.endswith("/live") and by_role[role] == 200:
                    async with client.stream(method, concrete(path, **ids)) as stream:
                        assert stream.status_code == 200, (role, path)
                    continue
                response = await client.request(
                    method, concrete(path, **ids), json=BODIES.get(path)
                )
                assert response.status_code == by_role[role], (role, method, path, response.text)


def _posts_last(item: tuple[tuple[str, str], Any]) -> tuple[bool, str, str]:
    (method, path), _ = item
    return (method == "POST", path.endswith("/resolve"), path)


async def test_what_each_role_sees_in_the_lists(hub: RunningHub) -> None:
    tokens = {
        "staff": await hub.account("center", "staff"),
        "volunteer": await hub.account("yamashiro", "volunteer", households=("hh-1",)),
        "family": await hub.account("higa", "family", family="f-higa"),
    }
    seen: dict[str, tuple[list[str], list[str], list[str]]] = {}
    for role, token in tokens.items():
        async with hub.client(token) as client:
            people = [p["id"] for p in (await client.get("/api/v1/people")).json()]
            homes = [h["id"] for h in (await client.get("/api/v1/households")).json()]
            gateways = [g["id"] for g in (await client.get("/api/v1/gateways")).json()]
        seen[role] = (people, homes, gateways)
    assert seen["staff"] == (["p-tsuru", "p-kama"], ["hh-1"], ["gw-a", "gw-b", "gw-home"])
    assert seen["volunteer"] == (["p-kama"], ["hh-1"], ["gw-a", "gw-b", "gw-home"])
    assert seen["family"] == (["p-tsuru"], [], ["gw-a", "gw-b"])


async def test_a_disabled_or_deleted_account_stops_at_once(hub: RunningHub) -> None:
    token = await hub.account("gone", "staff")
    async with hub.client(token) as client:
        assert (await client.get("/api/v1/households")).status_code == 200
        assert await hub.state.store.set_disabled("gone", True)
        assert (await client.get("/api/v1/households")).status_code == 401
