"""Screenshots of the desk for the staff guide (docs/desk.md), taken by its browser tests.

``./run screenshots`` sets MIMAMORI_SHOTS: each is written to ``docs/img/desk-NAME.png``
(committed, shown in the guide); otherwise to the test's own folder, so the path is
taken on every run and cannot rot. A shot is the 1280x800 window (what a care
centre's PC shows), re-saved by Pillow with a palette of 256 colours: pages of text
and flat colours lose nothing visible, and each file shrinks to a few tens of KB.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image
from playwright.async_api import Page

GUIDE = Path(__file__).parents[3] / "docs" / "img"
VIEWPORT = {"width": 1280, "height": 800}


async def shot(page: Page, name: str, tmp_path: Path) -> Path:
    folder = GUIDE if os.environ.get("MIMAMORI_SHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(await page.screenshot()))
    path = folder / f"desk-{name}.png"
    image.convert("RGB").quantize(256).save(path, optimize=True)
    return path
