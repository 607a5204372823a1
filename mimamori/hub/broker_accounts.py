"""Broker accounts: one per gateway and one for the hub, in Mosquitto's own files.

The password file holds PBKDF2-SHA512 hashes in Mosquitto's ``$7$`` format (what
``mosquitto_passwd`` writes since Mosquitto 2.0), computed here so that a password
never appears on a command line. The ACL file is the same for every town: gateways
are told apart by their user name (``%u``), which is their gateway id.

* a gateway may write only its own events and status, and read only its own
  commands, its own acks, the hub's presence and the searches;
* the hub reads every gateway's events and status and writes commands, acks, its
  presence and searches;
* nobody else gets in (``allow_anonymous false``).

After a change, Mosquitto reads the files again on SIGHUP (``systemctl reload mosquitto``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

ITERATIONS = 101  # mosquitto_passwd's default for $7$ (Mosquitto 2.0)
SALT_BYTES = 12

ACL = """\
# mimamori broker ACL, written by `mimamori hub gateway add`. Do not edit by hand.
# The hub's own account:
user {hub}
topic read mimamori/v1/gw/+/events
topic read mimamori/v1/gw/+/status
topic write mimamori/v1/gw/+/cmd
topic write mimamori/v1/gw/+/ack
topic write mimamori/v1/hub/+/status
topic readwrite mimamori/v1/search/#

# Every gateway, by its user name (= its gateway id):
pattern write mimamori/v1/gw/%u/events
pattern readwrite mimamori/v1/gw/%u/status
pattern read mimamori/v1/gw/%u/cmd
pattern read mimamori/v1/gw/%u/ack
pattern read mimamori/v1/hub/+/status
pattern read mimamori/v1/search/#
"""


def password_hash(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS)
    b64 = base64.b64encode
    return f"$7${ITERATIONS}${b64(salt).decode()}${b64(digest).decode()}"


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)


def set_account(password_file: Path, user: str) -> str:
    """Give ``user`` a new random password (replacing any old one); returns it, once."""
    if ":" in user or not user:
        raise ValueError(f"{user!r} cannot be a broker user name")
    password = secrets.token_urlsafe(24)
    lines = password_file.read_text(encoding="utf-8").splitlines() if password_file.exists() else []
    kept = [line for line in lines if line and not line.startswith(f"{user}:")]
    _write_private(password_file, "\n".join([*kept, f"{user}:{password_hash(password)}"]) + "\n")
    return password


def write_acl(acl_file: Path, hub_user: str) -> None:
    _write_private(acl_file, ACL.format(hub=hub_user))
