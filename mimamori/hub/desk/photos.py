"""A person's photo at the desk (issue 14): what the police ask for in a search.

A photo from a phone carries more than the face: EXIF keeps where it was taken (GPS:
often the person's home), when, and with what. So an upload is never kept as sent:
Pillow decodes it (JPEG, PNG or WebP, at most 5 MB, its pixels bounded so that a
small file cannot unpack into gigabytes) and encodes the pixels again as a new JPEG,
which carries no metadata at all. The camera's orientation is applied first, so the
photo stays upright once its EXIF is gone; it is scaled to fit ``MAX_SIDE``.

The photo is stored (``store.put_photo``) and then named from the person's entry by
a change of the register (audited, versioned: a stale version stores nothing in the
end, as the new photo is dropped again); the photo it replaces is dropped after.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from mimamori.errors import ChangeRefused, FieldProblem
from mimamori.hub.access.auth import new_token
from mimamori.hub.access.policy import Principal
from mimamori.hub.desk import service
from mimamori.hub.desk.service import DeskRefused, actor, person_to_change
from mimamori.hub.model.photos import Photo
from mimamori.hub.model.register import Entity
from mimamori.hub.register.changes import Changed
from mimamori.hub.server.state import HubState

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024  # the limit: a phone's photo, not a scan
# A 48-megapixel phone camera (8000 x 6000) is the largest we expect; a file whose
# header claims more is refused before its pixels are decoded (a decompression bomb:
# a few KB of PNG can claim 100,000 x 100,000 pixels, 30 GB of memory).
MAX_PIXELS = 50_000_000
MAX_SIDE = 1600  # enough to recognise a face on a printed bulletin; ~200-400 KB as JPEG
QUALITY = 85  # Pillow's documented sweet spot between size and visible artefacts
FORMATS = ("JPEG", "PNG", "WEBP")
MEDIA_TYPE = "image/jpeg"
# The photo's 5 MB and the form around it (its boundary, the version): the routes that
# take a photo (the desk's page and the API) are the only ones allowed past the hub's
# MAX_BODY (web/security.py).
FORM_BYTES = MAX_BYTES + 64 * 1024


@dataclass(frozen=True)
class Encoded:
    data: bytes
    width: int
    height: int


def _refused(ja: str, en: str) -> ChangeRefused:
    return ChangeRefused([FieldProblem("photo", ja, en)])


def reencode(data: bytes) -> Encoded:
    """The upload decoded and encoded again as a JPEG with no metadata; ChangeRefused
    (field ``photo``, Japanese and English) when it is too large, not a JPEG, PNG or
    WebP, or not an image at all."""
    if len(data) > MAX_BYTES:
        raise _refused("写真が大きすぎます（5 MB まで）", "the photo is over 5 MB")
    try:
        with warnings.catch_warnings():
            # Pillow warns (and above twice its own limit, raises) on huge images; ours
            # is stricter and checked on the header, before any pixel is decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise _refused(
                        "写真の画素数が多すぎます（5,000 万画素まで）",
                        "the photo has over 50 megapixels",
                    )
                image.load()
                upright = ImageOps.exif_transpose(image)
                rgb = _rgb(upright)
                rgb.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                # No exif=, no icc_profile=, no comment: the new file has pixels only.
                rgb.save(out, "JPEG", quality=QUALITY, optimize=True)
                return Encoded(out.getvalue(), rgb.width, rgb.height)
    except ChangeRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refused(
            "JPEG・PNG・WebP の写真を選んでください",
            "not a JPEG, PNG or WebP photo",
        ) from None
    except (OSError, ValueError, SyntaxError) as exc:  # a truncated or corrupt file
        log.info("a photo could not be decoded: %s", exc)
        raise _refused("写真を読み取れませんでした", "the photo could not be read") from None


def _rgb(image: Image.Image) -> Image.Image:
    """Pixels a JPEG can hold: transparency laid on white (a PNG's cut-out)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


async def set_photo(
    hub: HubState, who: Principal, person_id: str, upload: bytes, *, version: int, via: str = "desk"
) -> Changed:
    """Store ``upload`` (re-encoded) as the person's photo: the caller may change the
    person; the change names the version they read."""
    person = await person_to_change(hub, who, person_id)
    encoded = reencode(upload)
    photo = Photo(
        f"ph-{new_token()[:32]}",
        person_id,
        MEDIA_TYPE,
        encoded.width,
        encoded.height,
        encoded.data,
        hub.clock(),
    )
    await hub.store.put_photo(photo)
    data = {**person.model_dump(mode="python"), "photo": photo.id}
    try:
        changed = await hub.register.update(
            Entity.PERSON, data, version, actor(who, via), action="photo.set"
        )
    except BaseException:
        await hub.store.drop_photo(photo.id)  # not named by anyone: not kept
        raise
    await hub.store.drop_photos(person_id, keep=photo.id)
    return changed


async def photo_of(hub: HubState, who: Principal, person_id: str) -> Photo:
    """The person's photo, for the staff who may see the person (the desk's page and the
    API): DeskRefused 403 for another area's person, 404 for no person or no photo."""
    person, _ = await service.read(hub, who, Entity.PERSON, person_id)
    found = await hub.store.photo(person.photo) if person.photo else None
    if found is None or found.person_id != person_id:
        raise DeskRefused(404, "no photo")
    return found
