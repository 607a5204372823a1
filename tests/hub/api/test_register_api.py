"""The register's API (``/api/v1/register/…``) on a real hub in a town of two
care-centre areas: every route of the app's route table walked as every role (a
family's or a volunteer's token 403 on each, and refused on every person route of
the whole API for someone outside its scope; staff 403 for another area's entry;
nothing refused writes anything), and staff registering a person end to end with
versions, consent, contacts in order and the review, refusals naming each field; a
person's photo (GPS gone) and the change log (masked for another area's staff)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from fastapi.routing import iter_route_contexts
from PIL import Image

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.desk.audit import MASK
from tests.hub.access.test_areas import NORTH, SOUTH, two_areas
from tests.hub.desk.test_desk_photos import GPS_IFD, phone_jpeg
from tests.hub.helpers import HubClock, RunningHub, running_hub

REGISTER = "/api/v1/register"
# The entry each route names: the north's (p-tsuru, gw-a, the family that sees her),
# the south's (hh-1), what is every area's (a contact nobody names; the policies).
IDS = {
    f"{REGISTER}/people/": "p-tsuru",
    f"{REGISTER}/households/": "hh-1",
    f"{REGISTER}/contacts/": "r-miyagi",
    f"{REGISTER}/families/": "f-higa",
    f"{REGISTER}/watch-points/": "gw-a",
    f"{REGISTER}/policies/": "default",
}
SOUTHERN = (f"{REGISTER}/households/",)
EVERYONES = (f"{REGISTER}/contacts/", f"{REGISTER}/policies/")
# Allowed: shown, added, stale (every write names version 99), refused as invalid.
ALLOWED = {200, 201, 409, 422}


def routes(hub: RunningHub, prefix: str) -> list[tuple[str, str]]:
    """Every (method, path) of the app's route table under ``prefix``."""
    return sorted(
        (method, route.path)
        for route in iter_route_contexts(hub.app.routes)
        if route.path and route.path.startswith(prefix)
        for method in sorted(route.methods or ())
        if method != "HEAD"
    )


def concrete(path: str) -> str:
    for start, entry in IDS.items():
        if path.startswith(start):
            path = path.replace("{person_id}", entry).replace("{entry_id}", entry)
    return path.replace("{purpose}", "location")


def expected(role: str, method: str, path: str) -> int | None:
    """The status a role must get (None: any of ALLOWED)."""
    if role in ("family", "volunteer"):
        return 403
    named = "{" in path
    if role == "south" and named and not path.startswith((*SOUTHERN, *EVERYONES)):
        return 403
    if role == "north" and named and path.startswith(SOUTHERN):
        return 403
    if role in ("north", "south") and method != "GET" and path.startswith(f"{REGISTER}/policies"):
        return 403  # the town's policies: admins change them
    return None


async def test_every_register_route_as_every_role_and_every_person_route_outside_scope(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, two_areas, clock=HubClock()) as hub:
        tokens = {
            "family": await hub.account("miyagi", "family", family="f-miyagi"),
            "volunteer": await hub.account("yamashiro", "volunteer", households=("hh-1",)),
            "north": await hub.account("kinjo", "staff", areas=(NORTH,)),
            "south": await hub.account("arakaki", "staff", areas=(SOUTH,)),
            "admin": await hub.account("root", "admin"),
        }
        walked = routes(hub, REGISTER)
        writes = [r for r in walked if r[0] != "GET"]
        assert len(walked) >= 30 and len(writes) >= 20, walked
        photo = f"{REGISTER}/people/{{person_id}}/photo"
        assert {("GET", photo), ("POST", photo), ("GET", f"{REGISTER}/changes")} <= set(walked)
        # Her photo, so that those who may see it get it (200) rather than "none" (404).
        async with hub.client(tokens["admin"]) as client:
            sent = await client.post(
                concrete(photo), params={"version": 1}, files={"photo": ("a.jpg", phone_jpeg())}
            )
            assert sent.status_code == 200, sent.text
        for role, token in tokens.items():
            async with hub.client(token) as client:
                for method, path in walked:
                    before = await hub.state.store.register_version()
                    response = await client.request(
                        method, concrete(path), params={"version": 99}, json={}
                    )
                    got, want = response.status_code, expected(role, method, path)
                    where = (role, method, path, got, response.text[:200])
                    if want is None:
                        assert got in ALLOWED, where
                    else:
                        assert got == want, where
                        assert await hub.state.store.register_version() == before, where

        # Every person route of the whole API, for someone outside the token's scope:
        # the register's answer 403; the family pages' API 404, as for no one at all
        # (a stranger may not even learn who is watched over: docs/security.md).
        outside = {"family": "p-tsuru", "volunteer": "p-tsuru"}
        person_routes = [r for r in routes(hub, "/api/v1") if "{person_id}" in r[1]]
        assert len(person_routes) >= 10, person_routes
        for role, person in outside.items():
            async with hub.client(tokens[role]) as client:
                for method, path in person_routes:
                    filled = concrete(path).replace("p-tsuru", person)
                    if path.endswith("/live"):
                        async with client.stream(method, filled) as stream:
                            got = stream.status_code
                    else:
                        got = (await client.request(method, filled, json={})).status_code
                    want = 403 if path.startswith(REGISTER) else 404
                    assert got == want, (role, method, path, got)


def _person(**fields: Any) -> dict[str, Any]:
    return {
        "id": "p-uto",
        "area": NORTH,
        "name": "新垣 ウト",
        "reading": "あらかき うと",
        "birth_date": "1938-04-02",
        "household": "hh-north",
        "tags": [],
        "consents": [
            {"purpose": "location", "by": "新垣 ウト", "relation": "self", "at": "2031-01-10"}
        ],
        **fields,
    }


async def test_staff_keep_a_person_through_the_api_with_versions_and_their_own_area(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, two_areas, clock=HubClock()) as hub:
        north = await hub.account("kinjo", "staff", areas=(NORTH,))
        south = await hub.account("arakaki", "staff", areas=(SOUTH,))
        async with hub.client(north) as client, hub.client(south) as other:
            home = {"id": "hh-north", "area": NORTH, "name": "新垣さん宅"}
            assert (await client.post(f"{REGISTER}/households", json=home)).status_code == 201
            contact = {
                "id": "r-son", "name": "新垣 一郎", "relation": "長男",
                "channels": ["mailto://son:secret@127.0.0.1?to=son@example.jp"],
            }  # fmt: skip
            assert (await client.post(f"{REGISTER}/contacts", json=contact)).status_code == 201
            added = await client.post(f"{REGISTER}/people", json=_person())
            assert added.status_code == 201, added.text
            assert added.json()["version"] == 1

            # Two desks read version 1; the first change wins, the second gets 409.
            url = f"{REGISTER}/people/p-uto"
            read = (await client.get(url)).json()
            assert read["version"] == 1 and read["entry"]["name"] == "新垣 ウト"
            first = await client.put(
                url, params={"version": 1}, json={**read["entry"], "notes": "鍵は隣の家"}
            )
            assert first.status_code == 200, first.text
            assert first.json()["version"] == 2
            kept = await hub.state.store.register_version()
            late = await client.put(
                url, params={"version": 1}, json={**read["entry"], "notes": "上書き"}
            )
            assert late.status_code == 409, late.text
            assert "版 1 → 2" in late.json()["detail"]["ja"]
            assert await hub.state.store.register_version() == kept

            # Her own changes: contacts in order, consent, the review.
            ordered = await client.put(
                f"{url}/contacts", params={"version": 2}, json={"contacts": ["r-son", "r-miyagi"]}
            )
            assert ordered.status_code == 200, ordered.text
            consent = {"purpose": "search", "by": "新垣 一郎", "relation": "family",
                       "at": "2031-01-10", "record": "書庫 A-3"}  # fmt: skip
            recorded = await client.post(f"{url}/consents", params={"version": 3}, json=consent)
            assert recorded.status_code == 200, recorded.text
            withdrawn = await client.post(
                f"{url}/consents/search/withdraw", params={"version": 4, "on": "2031-02-01"}
            )
            assert withdrawn.status_code == 200, withdrawn.text
            reviewed = await client.post(f"{url}/review", params={"version": 5})
            assert reviewed.status_code == 200, reviewed.text
            now = (await client.get(url)).json()
            assert now["version"] == 6
            assert now["entry"]["contacts"] == ["r-son", "r-miyagi"]
            [search] = [c for c in now["entry"]["consents"] if c["purpose"] == "search"]
            assert search["withdrawn_at"] == "2031-02-01" and search["record"] == "書庫 A-3"
            assert now["entry"]["review_on"] is not None

            # Found by the start of her reading, in katakana too; not by the south.
            found = (await client.get(f"{REGISTER}/people", params={"q": "アラカキ"})).json()
            assert [p["id"] for p in found["people"]] == ["p-uto"] and found["total"] == 1
            assert (await other.get(url)).status_code == 403
            theirs = (await other.get(f"{REGISTER}/people", params={"q": "あらかき"})).json()
            assert theirs == {"total": 0, "people": []}


async def test_a_refused_change_names_each_field_and_channels_are_never_shown_back(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with (
        running_hub(own_broker, tmp_path, two_areas, clock=HubClock()) as hub,
        hub.client(await hub.account("kinjo", "staff", areas=(NORTH,))) as client,
    ):
        before = await hub.state.store.register_version()
        # A phone that is none, then a birth in 2032 on the hub's clock (2031): each
        # refused with its field and why, in Japanese and English.
        refused = await client.post(f"{REGISTER}/people", json=_person(phone="call me"))
        assert refused.status_code == 422, refused.text
        [problem] = refused.json()["detail"]
        assert problem["field"] == "phone" and problem["ja"] == "書き方が正しくありません"
        unborn = await client.post(f"{REGISTER}/people", json=_person(birth_date="2032-01-01"))
        assert unborn.status_code == 422, unborn.text
        [problem] = unborn.json()["detail"]
        assert "2032-01-01" in problem["en"] and problem["ja"]
        assert await hub.state.store.register_version() == before
        # Another area's person, or an id that is not the path's: refused too.
        south = await client.post(f"{REGISTER}/people", json=_person(area=SOUTH, household=None))
        assert south.status_code == 403
        renamed = await client.put(
            f"{REGISTER}/people/p-tsuru", params={"version": 1}, json={"id": "p-other"}
        )
        assert renamed.status_code == 422
        assert renamed.json()["detail"][0]["field"] == "id"

        secret = "mailto://son:hunter2@127.0.0.1?to=son@example.jp"
        contact = {"id": "r-son", "name": "新垣 一郎", "channels": [secret]}
        assert (await client.post(f"{REGISTER}/contacts", json=contact)).status_code == 201
        shown = await client.get(f"{REGISTER}/contacts/r-son")
        assert "hunter2" not in shown.text
        assert shown.json()["entry"]["channels"] == ["mailto://…"]
        listed = await client.get(f"{REGISTER}/contacts")
        assert "hunter2" not in listed.text and "r-son" in listed.text
        # A change without channels keeps the ones on record.
        changed = await client.put(
            f"{REGISTER}/contacts/r-son", params={"version": 1},
            json={"id": "r-son", "name": "新垣 一郎", "relation": "長男"},
        )  # fmt: skip
        assert changed.status_code == 200, changed.text
        assert await hub.state.store.contact_channels("r-son") == [secret]


async def test_a_photo_uploaded_through_the_api_comes_back_without_its_gps_to_her_area_only(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, two_areas, clock=HubClock()) as hub:
        north = await hub.account("kinjo", "staff", areas=(NORTH,))
        south = await hub.account("arakaki", "staff", areas=(SOUTH,))
        async with hub.client(north) as client, hub.client(south) as other:
            url = f"{REGISTER}/people/p-tsuru/photo"
            assert (await client.get(url)).status_code == 404  # none yet
            version = (await client.get(f"{REGISTER}/people/p-tsuru")).json()["version"]
            sent = phone_jpeg()
            with Image.open(io.BytesIO(sent)) as before:
                assert before.getexif().get_ifd(GPS_IFD)  # the upload says where it was taken
            refused = await other.post(
                url, params={"version": version}, files={"photo": ("p.jpg", sent, "image/jpeg")}
            )
            assert refused.status_code == 403
            saved = await client.post(
                url, params={"version": version}, files={"photo": ("p.jpg", sent, "image/jpeg")}
            )
            assert saved.status_code == 200, saved.text
            assert saved.json()["version"] == version + 1

            got = await client.get(url)
            assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
            with Image.open(io.BytesIO(got.content)) as after:
                assert after.format == "JPEG" and after.size == (640, 480)
                assert dict(after.getexif()) == {} and "exif" not in after.info
            assert b"PhoneCo" not in got.content
            assert (await other.get(url)).status_code == 403
            # Not a photo: refused with the field named, nothing written; a stale version: 409.
            text = await client.post(
                url, params={"version": version + 1}, files={"photo": ("p.jpg", b"not a photo")}
            )
            assert text.status_code == 422 and text.json()["detail"][0]["field"] == "photo"
            stale = await client.post(
                url, params={"version": version}, files={"photo": ("p.jpg", sent)}
            )
            assert stale.status_code == 409, stale.text
            assert (await client.get(url)).content == got.content
            # Audited as the page's upload is, through the API.
            log = (await client.get(f"{REGISTER}/changes", params={"person": "p-tsuru"})).json()
            newest = log["changes"][0]
            assert (newest["action"], newest["via"]) == ("photo.set", "api")


async def test_the_change_log_through_the_api_masks_another_areas_person_and_pages(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, two_areas, clock=HubClock()) as hub:
        north = await hub.account("kinjo", "staff", areas=(NORTH,))
        south = await hub.account("arakaki", "staff", areas=(SOUTH,))
        family = await hub.account("miyagi", "family", family="f-miyagi")
        async with hub.client(north) as client, hub.client(south) as other:
            url = f"{REGISTER}/people/p-tsuru"
            for n, note in enumerate(("鍵は隣の家", "朝は散歩")):
                read = (await client.get(url)).json()
                entry = {**read["entry"], "notes": note}
                changed = await client.put(url, params={"version": read["version"]}, json=entry)
                assert changed.status_code == 200, (n, changed.text)

            mine = await client.get(f"{REGISTER}/changes", params={"person": "p-tsuru"})
            assert mine.status_code == 200, mine.text
            [latest, earlier, *_] = mine.json()["changes"]
            assert latest["entry_id"] == "p-tsuru" and not latest["masked"]
            assert {"name": "notes", "before": "鍵は隣の家", "after": "朝は散歩"} in latest[
                "fields"
            ]

            theirs = (await other.get(f"{REGISTER}/changes", params={"person": "p-tsuru"})).json()
            seen = theirs["changes"][0]
            assert seen["id"] == latest["id"] and seen["masked"] and seen["who"] == latest["who"]
            assert {"name": "notes", "before": MASK, "after": MASK} in seen["fields"]
            assert "散歩" not in str(theirs) and "鍵" not in str(theirs)

            # Paged: one at a time, the next page from the cursor.
            first = (await client.get(f"{REGISTER}/changes", params={"limit": 1})).json()
            assert first["changes"][0]["id"] == latest["id"] and first["older"] == latest["id"]
            nxt = await client.get(
                f"{REGISTER}/changes", params={"limit": 1, "before": latest["id"]}
            )
            assert nxt.json()["changes"][0]["id"] == earlier["id"]
            # A person's changes are of kind person; the change log is the care centre's.
            odd = await client.get(
                f"{REGISTER}/changes", params={"person": "p-tsuru", "kind": "household"}
            )
            assert odd.status_code == 422 and odd.json()["detail"][0]["field"] == "kind"
        async with hub.client(family) as theirs_client:
            assert (await theirs_client.get(f"{REGISTER}/changes")).status_code == 403
