"""Every desk page, as every role, on a real hub whose town has two care-centre areas:
nobody signed in gets the sign-in page (401); families and volunteers 403 on every
route, before anything is looked up; staff 403 for another area's entry; what is
refused writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.web import desk_audit, desk_broker, desk_entries, desk_people, desk_photos
from tests.hub.access.test_areas import NORTH, SOUTH, two_areas
from tests.hub.helpers import RunningHub, running_hub

# The entry each route names: the north (p-tsuru, gw-a, the family that sees her),
# the south (hh-1), and what is every area's (a contact nobody names; the policies).
IDS = {
    "/desk/people/": "p-tsuru",
    "/desk/households/": "hh-1",
    "/desk/contacts/": "r-miyagi",
    "/desk/families/": "f-higa",
    "/desk/watch-points/": "gw-a",
    "/desk/policies/": "default",
}
SOUTHERN = ("/desk/households/",)  # the others lie in the north, or in every area
# Policies, and a watch point's broker account (this hub has no broker files: admins 409).
ADMIN_ONLY_WRITES = ("/desk/policies", "/desk/watch-points/{entry_id}/broker-account")
ALLOWED = {200, 303, 409, 422}  # shown, done, stale (no version sent), refused as invalid


def desk_routes() -> list[tuple[str, str]]:
    """Every route of the desk's routers (the app includes them: the walk would get
    404s otherwise)."""
    return sorted(
        (method, route.path)
        for route in [
            *desk_people.router.routes,
            *desk_entries.router.routes,
            *desk_photos.router.routes,
            *desk_audit.router.routes,
            *desk_broker.router.routes,
        ]
        if getattr(route, "path", "").startswith("/desk")
        for method in sorted(getattr(route, "methods", None) or ())
        if method != "HEAD"
    )


def concrete(path: str) -> str:
    for start, entry in IDS.items():
        if path.startswith(start):
            return path.replace("{person_id}", entry).replace("{entry_id}", entry)
    return path


def expected(role: str, method: str, path: str) -> int | None:
    """The status a role must get (None: any of ALLOWED)."""
    if role == "anonymous":
        return 401
    if role in ("family", "volunteer"):
        return 403
    named = "{" in path
    everyones = ("/desk/contacts/", "/desk/policies/")
    refused = (
        (role == "south" and named and not path.startswith((*SOUTHERN, *everyones)))
        or (role == "north" and named and path.startswith(SOUTHERN))
        or (role in ("north", "south") and method == "POST" and path.startswith(ADMIN_ONLY_WRITES))
    )
    if refused:
        return 403
    if method == "GET" and path.endswith("/photo"):
        return 404  # she has no photo yet
    return None


async def test_every_desk_route_as_every_role(own_broker: PrivateBroker, tmp_path: Path) -> None:
    async with running_hub(own_broker, tmp_path, two_areas) as hub:
        tokens: dict[str, str | None] = {
            "anonymous": None,
            "family": await hub.account("miyagi", "family", family="f-miyagi"),
            "volunteer": await hub.account("yamashiro", "volunteer", households=("hh-1",)),
            "north": await hub.account("kinjo", "staff", areas=(NORTH,)),
            "south": await hub.account("arakaki", "staff", areas=(SOUTH,)),
            "admin": await hub.account("root", "admin"),
        }
        routes = desk_routes()
        assert len(routes) >= 30, routes
        for role, token in tokens.items():
            await _walk(hub, role, token, routes)


async def _walk(
    hub: RunningHub, role: str, token: str | None, routes: list[tuple[str, str]]
) -> None:
    headers: dict[str, Any] = {"Origin": hub.url}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with hub.client() as client:
        for method, path in routes:
            before = await hub.state.store.register_version()
            response = await client.request(
                method, concrete(path), headers=headers, follow_redirects=False
            )
            want = expected(role, method, path)
            got = response.status_code
            where = (role, method, path, got)
            if want is None:
                assert got in ALLOWED, where
            else:
                assert got == want, where
                assert await hub.state.store.register_version() == before, where
