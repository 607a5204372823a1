"""Identity keys at rest: sealed with AES-256-GCM under the hub's key-encryption key (KEK).

The KEK comes from the environment (``MIMAMORI_EID_KEK``) or from ``hub.eid.kek_file``,
never from the database, so a copy of the database alone reveals no tag's key. The
tag's registry id is the associated data: a sealed key copied onto another tag's row
does not open.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mimamori.errors import MimamoriError
from mimamori.hub.config import KEK_ENV, EidSettings

KEK_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's standard nonce; random, as each key is sealed once


class EidKeyError(MimamoriError):
    """No key-encryption key, a malformed one, or a sealed key it does not open."""


def new_kek() -> bytes:
    return secrets.token_bytes(KEK_BYTES)


def parse_kek(text: str, where: str) -> bytes:
    try:
        kek = bytes.fromhex(text.strip())
    except ValueError:
        kek = b""
    if len(kek) != KEK_BYTES:
        raise EidKeyError(f"{where}: a key-encryption key is {2 * KEK_BYTES} hex digits")
    return kek


def load_kek(settings: EidSettings, environ: Mapping[str, str] | None = None) -> bytes | None:
    """The KEK from the environment or the configured file; None when neither is set."""
    env = os.environ if environ is None else environ
    if text := env.get(KEK_ENV, ""):
        return parse_kek(text, KEK_ENV)
    if settings.kek_file is None:
        return None
    try:
        text = settings.kek_file.read_text(encoding="ascii")
    except FileNotFoundError:
        raise EidKeyError(
            f"{settings.kek_file}: no key-encryption key there yet "
            "(make one with: mimamori hub tag kek --config FILE)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EidKeyError(f"cannot read {settings.kek_file}: {exc}") from exc
    return parse_kek(text, str(settings.kek_file))


def require_kek(settings: EidSettings, environ: Mapping[str, str] | None = None) -> bytes:
    kek = load_kek(settings, environ)
    if kek is None:
        raise EidKeyError(
            "tags with rotating ids (eid:...) need a key-encryption key for their keys: "
            f"set hub.eid.kek_file in the hub's config or {KEK_ENV} in its environment "
            "(64 hex digits; 'mimamori hub tag kek --config FILE' writes one)"
        )
    return kek


def write_kek(path: Path) -> None:
    """A new KEK in ``path``, readable by its owner only; never over an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise EidKeyError(
            f"{path} exists: replacing it would lock away every sealed tag key"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(new_kek().hex() + "\n")


def seal(kek: bytes, tag_id: str, identity_key: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, identity_key, tag_id.encode())


def unseal(kek: bytes, tag_id: str, sealed: bytes) -> bytes:
    try:
        return AESGCM(kek).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], tag_id.encode())
    except InvalidTag:
        raise EidKeyError(
            f"the key of {tag_id} does not open with this key-encryption key "
            "(a different KEK from the one it was sealed with?)"
        ) from None
