"""The desk's other pages in a real headless Chromium, one hub and one browser for the
module's one walk (a town of two care-centre areas):

* staff of the north upload a phone's JPEG with GPS in its EXIF through the person's
  real form: the photo the hub keeps and serves has no EXIF at all;
* they change her address; the change log shows it to them, and to staff of the south
  only masked (the change is there, its personal values are not);
* an admin makes a watch point's broker account from its page and sees its password
  once; the page shows it no more.

Its screenshots are the staff guide's (docs/desk.md; ``shots.py``)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.async_api import Browser

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.desk.audit import MASK
from tests.hub.access.test_areas import NORTH, SOUTH, two_areas
from tests.hub.desk.shots import VIEWPORT, shot
from tests.hub.desk.test_desk_photos import phone_jpeg
from tests.hub.helpers import running_hub
from tests.hub.web.browser import sign_in_as_staff

pytestmark = pytest.mark.browser
ADDRESS = "宜野湾市大山 9-9-9"


def town(root: Path) -> Any:
    def edit(doc: dict[str, Any]) -> None:
        two_areas(doc)
        doc["hub"]["mosquitto"] = {
            "password_file": str(root / "broker" / "passwd"),
            "acl_file": str(root / "broker" / "acl"),
        }

    return edit


def exif_of(data: bytes) -> dict[int, Any]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif())


async def test_photo_upload_change_log_masking_and_a_broker_account_in_the_browser(
    own_broker: PrivateBroker, browser: Browser, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town(tmp_path)) as hub:
        await hub.account("kinjo", "staff", areas=(NORTH,))
        await hub.account("arakaki", "staff", areas=(SOUTH,))
        await hub.account("root", "admin")
        north = await browser.new_context(viewport=VIEWPORT, locale="ja-JP")
        page = await sign_in_as_staff(hub, north, "kinjo")

        # A phone's photo, through the real form: nothing but pixels is kept.
        sent = phone_jpeg()
        assert exif_of(sent), "the test photo carries EXIF (GPS, camera)"
        (tmp_path / "phone.jpg").write_bytes(sent)
        await page.goto(f"{hub.url}/desk/people/p-tsuru")
        await page.set_input_files("#photo-form input[name=photo]", str(tmp_path / "phone.jpg"))
        await page.click("#photo-upload")
        await page.locator("#photo-image").wait_for()
        photo_id = hub.state.registry.people["p-tsuru"].photo
        assert photo_id is not None
        kept = await hub.state.store.photo(photo_id)
        assert kept is not None and exif_of(kept.data) == {}
        served = await page.request.get(f"{hub.url}/desk/people/p-tsuru/photo")
        assert served.ok and exif_of(await served.body()) == {}
        assert b"Exif" not in await served.body()
        await shot(page, "photo", tmp_path)

        # Her address changed by the north; the log shows it to the north...
        await page.goto(f"{hub.url}/desk/people/p-tsuru/edit")
        await page.fill("#in-address", ADDRESS)
        await page.click("#save")
        await page.wait_for_url("**/desk/people/p-tsuru")
        await page.goto(f"{hub.url}/desk/audit?kind=person")
        assert ADDRESS in await page.locator("#audit").inner_text()

        # ...and to the south only masked.
        south = await browser.new_context(viewport=VIEWPORT, locale="ja-JP")
        other = await sign_in_as_staff(hub, south, "arakaki")
        await other.goto(f"{hub.url}/desk/audit?kind=person")
        rows = other.locator("#audit tr.masked", has_text="p-tsuru")
        assert await rows.count() >= 2  # the photo and the address
        log = await other.locator("#audit").inner_text()
        assert ADDRESS not in log and MASK in log and "個人の情報は表示しません" in log
        await shot(other, "audit", tmp_path)

        # An admin makes gw-a's broker account from its page: the password, once.
        office = await browser.new_context(viewport=VIEWPORT, locale="ja-JP")
        admin = await sign_in_as_staff(hub, office, "root")
        await admin.goto(f"{hub.url}/desk/watch-points/gw-a")
        assert await admin.locator('#broker-state[data-exists="no"]').count() == 1
        await admin.locator("#broker-form").scroll_into_view_if_needed()
        await shot(admin, "watch-point", tmp_path)
        await admin.click("#broker-make")
        password = (await admin.locator("#broker-password").inner_text()).strip()
        assert len(password) >= 24
        assert "username: gw-a" in await admin.locator("#broker-yaml").inner_text()
        await shot(admin, "broker-account", tmp_path)
        await admin.goto(f"{hub.url}/desk/watch-points/gw-a")
        assert await admin.locator('#broker-state[data-exists="yes"]').count() == 1
        assert password not in await admin.content()
        for context in (north, south, office):
            await context.close()
