"""A report's photo and pin on a real hub: a phone's JPEG (GPS in its EXIF) sent with
the partner's form is kept re-encoded without any metadata (the desk's one way of
taking photos), with the pin the phone gave; both show on the case page to the
centre's staff, and nowhere else: not to another area's staff, not to the volunteer
the case is assigned to, not to the reporter. A file that is not a photo, one over
5 MB, or a pin that is not a position is refused at its field, and nothing is filed."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.desk.photos import MAX_BYTES
from mimamori.hub.model.cases import Step
from tests.hub.cases.test_assignment import with_minsei
from tests.hub.cases.test_cases_routes import seed
from tests.hub.cases.town import NORTH, SOUTH
from tests.hub.desk.test_desk_photos import GPS_IFD, phone_jpeg
from tests.hub.helpers import RunningHub, running_hub

PIN = {"lat": "26.281512345", "lon": "127.778499"}


async def _send(hub: RunningHub, token: str, photo: bytes | None, **data: str) -> tuple[int, str]:
    files = {"photo": ("IMG_0001.jpg", photo, "image/jpeg")} if photo is not None else None
    async with hub.client() as client:
        r = await client.post("/report", params={"token": token}, headers={"Origin": hub.url},
                              data=data, files=files, follow_redirects=False)  # fmt: skip
    return r.status_code, r.text


async def test_a_reports_photo_and_pin_reach_the_case_page_for_staff_only(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, with_minsei(tmp_path)) as hub:
        ids = await seed(hub.state)
        token, case_id = ids[SOUTH][3], ids[SOUTH][2]
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        north = await hub.account("kinjo", "staff", areas=(NORTH,))
        minsei = await hub.account("yamashiro", "volunteer", households=("hh-1",))
        before = len(await hub.state.store.case_timeline(case_id))

        # Refused at their fields, nothing filed: not a photo, too large, not a place.
        status, page = await _send(hub, token, b"%PDF-1.4 not a photo",
                                   noticed="mail_piling", household="hh-1")  # fmt: skip
        assert status == 422 and 'id="error-photo"' in page
        assert "JPEG・PNG・WebP の写真を選んでください" in page
        status, page = await _send(hub, token, b"\xff" * (MAX_BYTES + 1),
                                   noticed="mail_piling", household="hh-1")  # fmt: skip
        assert status == 422 and "写真が大きすぎます（5 MB まで）" in page
        status, page = await _send(hub, token, None, noticed="mail_piling", household="hh-1",
                                   lat="91", lon="127.7")  # fmt: skip
        assert status == 422 and 'id="error-pin"' in page
        assert len(await hub.state.store.case_timeline(case_id)) == before

        status, _ = await _send(hub, token, phone_jpeg(), noticed="mail_piling",
                                household="hh-1", **PIN)  # fmt: skip
        assert status == 303
        [report] = [e for e in await hub.state.store.case_timeline(case_id)
                    if e.step is Step.REPORT and e.photo]  # fmt: skip
        assert report.pin == (26.28151, 127.7785)
        assert report.photo is not None
        kept = await hub.state.store.photo(report.photo)
        assert kept is not None and kept.person_id == f"case:{case_id}"
        with Image.open(io.BytesIO(kept.data)) as image:
            assert image.format == "JPEG"
            assert not image.getexif() and not image.getexif().get_ifd(GPS_IFD)
            assert "exif" not in image.info

        status, _ = await _send(hub, token, None, noticed="no_light", address="野嵩1-1")
        assert status == 303
        [elsewhere] = [c.id for c in await hub.state.store.cases([SOUTH], 10) if c.address]
        src = f"/desk/cases/{case_id}/photos/{report.photo}"
        async with hub.client(staff) as client:
            page = (await client.get(f"/desk/cases/{case_id}")).text
            shown = await client.get(src)
            other = await client.get(f"/desk/cases/{elsewhere}/photos/{report.photo}")
        assert f'src="{src}"' in page and 'data-pin="26.28151,127.7785"' in page
        assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
        assert shown.content == kept.data
        assert other.status_code == 404  # the photo is not that case's
        audit = await hub.state.store.audit_log(hub.clock().replace(year=2000), 100)
        assert any(e.action == "case.photo" and e.subject == f"case:{case_id}" for e in audit)

        async with hub.client(north) as client:
            assert (await client.get(src)).status_code == 403
        async with hub.client(minsei) as client:
            assert (await client.get(src, follow_redirects=False)).status_code == 403
        async with hub.client(staff) as client:
            await client.post(f"/desk/cases/{case_id}/assign", data={"assign": "yamashiro"},
                              headers={"Origin": hub.url})  # fmt: skip
        async with hub.client(minsei) as client:
            mine = (await client.get("/cases/mine")).text
        assert f'data-case="{case_id}"' in mine
        assert report.photo not in mine and "26.28151" not in mine
        async with hub.client() as client:  # the reporter: the link is no sign-in
            anonymous = await client.get(src, follow_redirects=False)
        assert anonymous.status_code in (302, 303, 401)
        async with hub.client() as client:
            form = (await client.get("/report", params={"token": token})).text
        assert report.photo not in form and 'id="pin-button"' in form
