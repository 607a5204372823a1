"""Linking codes: what the desk hands a contact, and how a message is read as one.

A code is 8 random digits: easy to read out over the phone and to type on any phone,
and with at most one live code per contact and 5 tries per LINE user a day, a guesser
with one account has about 5 chances in 10^8 per live code a day. People type them
with full-width digits (全角), spaces or hyphens; all of those are read as the code.
Only the code's hash is kept.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from urllib.parse import quote

DIGITS = 8
_CODE = re.compile(rf"^[0-9]{{{DIGITS}}}$")
_SEPARATORS = re.compile(r"[\s\-ー－‐―]")  # what people put between the digits
LONGEST_MESSAGE = 40  # a message longer than this is not someone sending a code


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def shown(code: str) -> str:
    """As people read it: two groups of four."""
    return f"{code[:4]} {code[4:]}"


def read_code(text: str) -> str | None:
    """The code in a message, or None when the message is not a code at all."""
    if len(text) > LONGEST_MESSAGE:
        return None
    plain = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    return plain if _CODE.match(plain) else None


def looks_like_a_code(text: str) -> bool:
    """Digits only (a mistyped code): answered as a wrong code, not as chat."""
    plain = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text[:LONGEST_MESSAGE]))
    return bool(plain) and plain.isdigit() and len(text) <= LONGEST_MESSAGE


def code_hash(code: str) -> str:
    return hashlib.sha256(f"line-link:{code}".encode()).hexdigest()


def chat_link(basic_id: str, code: str) -> str:
    """LINE's link that opens the account's chat with the code typed in (LINE URL
    scheme ``oaMessage``): the contact only presses send."""
    return f"https://line.me/R/oaMessage/{quote(basic_id)}/?{quote(code)}"
