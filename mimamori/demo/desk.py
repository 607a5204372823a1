"""The demo's desk (issue 14): a staff account of the demo's care centre with its own
one-time sign-in link (``Desk: <url>``), and a few more people and homes registered
by that account through the hub's register API, the desk's own code path (the
register's change functions: validated, checked, audited), so that a new user sees
the desk with something on it.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from mimamori.errors import MimamoriError

AREA = "ginowan-1"
STAFF = "demo-staff"


def _consents(by: str) -> list[dict[str, Any]]:
    """Each demo person's (imagined) signed form: without a consent on record the hub
    keeps none of their sightings (docs/privacy.md)."""
    return [
        {"purpose": p, "by": by, "relation": "self", "at": "2026-01-05"}
        for p in ("location", "search", "checkin")
    ]


# What the staff account registers, in the order the register needs (a person names
# their home and contacts).
ENTRIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("households", {"id": "hh-demo-2", "area": AREA, "name": "金城さん宅",
                    "address": "宜野湾市野嵩 1-2-3", "evacuation_support": True}),
    ("households", {"id": "hh-demo-3", "area": AREA, "name": "新垣さん宅",
                    "address": "宜野湾市大山 4-5-6"}),
    ("contacts", {"id": "r-demo-kinjo", "name": "金城 一郎", "relation": "長男",
                  "phone": "090-1234-5678", "channels": []}),
    ("people", {"id": "p-demo-2", "area": AREA, "name": "金城 ウシ", "reading": "きんじょう うし",
                "birth_date": "1936-08-15", "phone": "098-892-0001", "household": "hh-demo-2",
                "description": "身長140cm、白髪を後ろで束ねる、ゆっくり話す",
                "key_holder": "隣の大城さん", "contacts": ["r-demo-kinjo"],
                "consents": _consents("金城 ウシ")}),
    ("people", {"id": "p-demo-3", "area": AREA, "name": "新垣 カメ", "reading": "あらかき かめ",
                "birth_date": "1940-02-03", "household": "hh-demo-3",
                "consents": _consents("新垣 カメ")}),
    ("people", {"id": "p-demo-4", "area": AREA, "name": "新垣 松", "reading": "あらかき まつ",
                "birth_date": "1938-11-20", "household": "hh-demo-3",
                "consents": _consents("新垣 松")}),
)  # fmt: skip


def _mimamori(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "mimamori", *args],
        capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
    ).stdout  # fmt: skip


def staff_link(hub_config: Path, root: Path, base_url: str) -> str:
    """The staff account (its password random: the link is the way in), what it
    registers, and a one-time sign-in link that opens the desk as it."""
    secret = root / "staff.password"
    secret.write_text(secrets.token_urlsafe(18), encoding="utf-8")
    secret.chmod(0o600)
    config = ("--config", str(hub_config))
    _mimamori("hub", "user", "add", *config, "--id", STAFF, "--name", "窓口（デモ）",
              "--role", "staff", "--area", AREA, "--password-file", str(secret))  # fmt: skip
    token = _mimamori(
        "hub", "token", "create", *config, "--user", STAFF, "--name", "demo", "--ttl-days", "1"
    ).strip()
    register(base_url, token)
    out = _mimamori("hub", "link", *config, "--user", STAFF)
    match = re.search(r"https?://\S+", out)
    if match is None:
        raise MimamoriError(f"no sign-in link in {out!r}")
    return match.group(0)


def register(base_url: str, token: str) -> None:
    """``ENTRIES`` through ``/api/v1/register``, as the staff account."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        for kind, entry in ENTRIES:
            answer = client.post(f"/api/v1/register/{kind}", json=entry)
            if answer.status_code != 201:
                raise MimamoriError(f"registering {entry['id']}: {answer.text}")
