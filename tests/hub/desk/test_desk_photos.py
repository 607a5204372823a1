"""A person's photo at the desk, with real images made by Pillow: a phone's JPEG with
GPS in its EXIF comes back re-encoded without any metadata (and upright); PNG and
WebP are taken, other files, oversized ones and decompression bombs refused with the
field named; the upload (past the hub's 1 MiB body limit, on that route only) is
shown to the staff of the person's area only, exported and forgotten with them."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.errors import ChangeRefused
from mimamori.hub.desk.photos import MAX_BYTES, MAX_SIDE, reencode
from mimamori.hub.privacy.admission import person_scope
from mimamori.hub.register.forgetting import forget_writes
from mimamori.hub.web.security import MAX_BODY
from tests.hub.helpers import HubClock, running_hub

GPS_IFD = 0x8825  # EXIF's pointer to the GPS tags
ORIENTATION = 0x0112
MAKE = 0x010F


def phone_jpeg(size: tuple[int, int] = (640, 480), *, orientation: int = 1) -> bytes:
    """A JPEG as a phone writes it: EXIF with the camera, its orientation, and where it
    was taken (宜野湾市役所, 26.2815 N 127.7785 E)."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1] // 4))  # a mark top-left
    exif = Image.Exif()
    exif[MAKE] = "PhoneCo"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (26.0, 16.0, 53.4), 3: "E", 4: (127.0, 46.0, 42.6)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def noisy_jpeg(at_least: int) -> bytes:
    """A JPEG of random pixels over ``at_least`` bytes (noise does not compress), with
    GPS in its EXIF."""
    side = 1200
    while True:
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        exif = Image.Exif()
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (26.0, 16.0, 53.4)})
        out = io.BytesIO()
        image.save(out, "JPEG", exif=exif, quality=95)
        if len(out.getvalue()) > at_least:
            return out.getvalue()
        side += 400


def saved(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def test_a_phone_photo_with_gps_comes_back_without_any_metadata() -> None:
    sent = phone_jpeg()
    with Image.open(io.BytesIO(sent)) as before:
        assert before.getexif().get_ifd(GPS_IFD)  # the upload does carry where it was taken
    kept = reencode(sent)
    with Image.open(io.BytesIO(kept.data)) as after:
        assert after.format == "JPEG"
        assert dict(after.getexif()) == {}
        assert after.getexif().get_ifd(GPS_IFD) == {}
        assert "exif" not in after.info and "icc_profile" not in after.info
        assert after.size == (640, 480) == (kept.width, kept.height)
        pixel = after.getpixel((10, 10))
        assert isinstance(pixel, tuple) and pixel[2] > 150  # the same picture: blue top-left
    assert b"PhoneCo" not in kept.data and b"Exif" not in kept.data


def test_the_camera_orientation_is_applied_before_the_exif_is_dropped() -> None:
    kept = reencode(phone_jpeg((640, 480), orientation=6))  # 6: turned 90 degrees
    assert (kept.width, kept.height) == (480, 640)


def test_png_with_transparency_and_webp_are_taken_and_large_ones_scaled() -> None:
    cut_out = Image.new("RGBA", (3200, 1600), (0, 0, 0, 0))
    png = reencode(saved(cut_out, "PNG"))
    assert (png.width, png.height) == (MAX_SIDE, MAX_SIDE // 2)
    with Image.open(io.BytesIO(png.data)) as image:
        assert image.mode == "RGB" and image.getpixel((5, 5)) == (255, 255, 255)
    webp = reencode(saved(Image.new("RGB", (320, 240), (10, 200, 10)), "WEBP"))
    assert (webp.width, webp.height) == (320, 240)


@pytest.mark.parametrize(
    ("name", "data", "ja"),
    [
        ("gif", saved(Image.new("RGB", (10, 10)), "GIF"), "JPEG・PNG・WebP"),
        ("text", "写真ではありません".encode(), "JPEG・PNG・WebP"),
        ("truncated", phone_jpeg()[:2000], "読み取れません"),
        ("over 5 MB", b"\xff\xd8" + bytes(MAX_BYTES), "5 MB"),
        # 8,000 x 7,000 one-bit pixels: 7 KB of PNG that would decode to 56 megapixels.
        ("bomb", saved(Image.new("1", (8000, 7000)), "PNG"), "画素数"),
    ],
)
def test_what_is_not_a_photo_is_refused_with_the_field_named(
    name: str, data: bytes, ja: str
) -> None:
    with pytest.raises(ChangeRefused) as refused:
        reencode(data)
    [problem] = refused.value.problems
    assert problem.field == "photo" and ja in problem.ja and problem.en, name


async def test_staff_upload_a_photo_that_only_their_area_sees_and_a_forget_takes(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    upload = noisy_jpeg(MAX_BODY + 1)  # past the 1 MiB every other route is held to
    assert len(upload) <= MAX_BYTES
    async with running_hub(own_broker, tmp_path, clock=HubClock()) as hub:
        staff = await hub.account("kinjo", "staff")
        other = await hub.account("arakaki", "staff", areas=("elsewhere",))
        family = await hub.account("higa", "family", family="f-higa")
        url = "/desk/people/p-tsuru/photo"
        files = {"photo": ("IMG_0001.jpg", upload, "image/jpeg")}
        async with hub.client(other) as client:
            assert (await client.post(url, files=files, data={"version": "1"})).status_code == 403
        async with hub.client(family) as client:
            assert (await client.post(url, files=files, data={"version": "1"})).status_code == 403
        assert hub.state.registry.people["p-tsuru"].photo is None

        async with hub.client(staff) as client:
            sent = await client.post(url, files=files, data={"version": "1"})
            assert sent.status_code == 303, sent.text[:300]
            person = hub.state.registry.people["p-tsuru"]
            assert person.photo is not None
            shown = await client.get(url)
            assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
            assert "no-store" in shown.headers["cache-control"]
            with Image.open(io.BytesIO(shown.content)) as image:
                assert image.getexif().get_ifd(GPS_IFD) == {} and "exif" not in image.info
                assert max(image.size) <= MAX_SIDE
            page = await client.get("/desk/people/p-tsuru")
            assert 'id="photo-image"' in page.text
            # A second photo replaces the first; a stale version keeps what is there.
            again = {"photo": ("b.png", saved(Image.new("RGB", (64, 64)), "PNG"), "image/png")}
            stale = await client.post(url, files=again, data={"version": "1"})
            assert stale.status_code == 409
            assert hub.state.registry.people["p-tsuru"].photo == person.photo
            assert len(await hub.state.store.person_photos("p-tsuru")) == 1
            assert (await client.post(url, files=again, data={"version": "2"})).status_code == 303
            [kept] = await hub.state.store.person_photos("p-tsuru")
            assert kept.id == hub.state.registry.people["p-tsuru"].photo != person.photo
            too_big = {"photo": ("big.jpg", b"\xff\xd8" + bytes(MAX_BYTES + 100_000), "image/jpeg")}
            assert (await client.post(url, files=too_big, data={"version": "3"})).status_code in (
                413,
                422,
            )
        async with hub.client(other) as client:
            assert (await client.get(url)).status_code == 403
        async with hub.client(family) as client:
            assert (await client.get(url)).status_code == 403

        store, registry = hub.state.store, hub.state.registry
        exported = await store.person_records(person_scope(registry, "p-tsuru", alone_only=False))
        assert [p["id"] for p in exported["photos"]] == [kept.id]
        scope = person_scope(registry, "p-tsuru", alone_only=True)
        writes = await forget_writes(store, registry, scope)
        report = await store.forget_person(scope, hub.clock(), by="test", register=writes)
        assert report.removed["photos"] == 1
        assert await store.person_photos("p-tsuru") == []
        assert await store.photo(kept.id) is None
