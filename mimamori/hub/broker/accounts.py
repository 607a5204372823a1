"""Broker accounts: one per gateway and one for the hub, in Mosquitto's own files.

The password file holds PBKDF2-SHA512 hashes in Mosquitto's ``$7$`` format (what
``mosquitto_passwd`` writes since Mosquitto 2.0), computed here so that a password
never appears on a command line. The ACL file is the same for every town: gateways
are told apart by their user name (``%u``), which is their gateway id.

* a gateway may write only its own events and status, and read only its own
  commands, its own acks, the hub's presence and the searches;
* the hub reads every gateway's events and status and writes commands, acks, its
  presence and searches; several hub workers each have an account of their own (the
  broker binds every account to its client id, ``use_username_as_clientid``, so two
  workers sharing one would throw each other out), and the ACL repeats the hub's
  block for each;
* nobody else gets in (``allow_anonymous false``).

The ACL file is also the record of which accounts are the hub's: its ``user`` lines.
Mosquitto reads both files as its own user (it drops root before opening them), so a
file that exists keeps its owner and group when it is rewritten: ``chown`` them once.
After a change, Mosquitto reads the files again on SIGHUP (``systemctl reload mosquitto``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from collections.abc import Iterable
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


_HUB_BLOCK = re.compile(r"^user \{hub\}\n(?:.+\n)*", re.MULTILINE)  # up to a blank line
_USER_LINE = re.compile(r"^user (\S+)$", re.MULTILINE)


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically, readable by its owner only; the owner and group
    of the file it replaces are kept (Mosquitto's user must go on reading it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        if path.exists():
            before = path.stat()
            if (before.st_uid, before.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.fchown(out.fileno(), before.st_uid, before.st_gid)
                except PermissionError as exc:
                    tmp.unlink()
                    raise PermissionError(
                        f"{path}: cannot keep its owner ({before.st_uid}:{before.st_gid}); "
                        f"run this as root"
                    ) from exc
        os.fsync(out.fileno())
    tmp.replace(path)


def accounts(password_file: Path) -> set[str]:
    """Every user name in a Mosquitto password file."""
    if not password_file.exists():
        return set()
    lines = password_file.read_text(encoding="utf-8").splitlines()
    return {line.split(":", 1)[0] for line in lines if ":" in line}


def hub_accounts(acl_file: Path) -> list[str]:
    """The hub's accounts, as an ACL file written here names them (in its order)."""
    if not acl_file.exists():
        return []
    return _USER_LINE.findall(acl_file.read_text(encoding="utf-8"))


def set_account(password_file: Path, user: str) -> str:
    """Give ``user`` a new random password (replacing any old one); returns it, once."""
    if ":" in user or not user:
        raise ValueError(f"{user!r} cannot be a broker user name")
    password = secrets.token_urlsafe(24)
    lines = password_file.read_text(encoding="utf-8").splitlines() if password_file.exists() else []
    kept = [line for line in lines if line and not line.startswith(f"{user}:")]
    _write_private(password_file, "\n".join([*kept, f"{user}:{password_hash(password)}"]) + "\n")
    return password


def render_acl(hub_users: Iterable[str]) -> str:
    """The ACL, with the hub's block once for each of its accounts."""
    users = list(dict.fromkeys(hub_users))  # each once, in order
    if not users:
        raise ValueError("the ACL needs the hub's account")
    block = _HUB_BLOCK.search(ACL)
    assert block is not None, "ACL has a 'user {hub}' block"
    hubs = "\n".join(block.group(0).format(hub=user) for user in users)
    return ACL[: block.start()] + hubs + ACL[block.end() :]


def write_acl(acl_file: Path, *hub_users: str) -> None:
    """Write the ACL for the hub's accounts (one, or one per hub worker)."""
    for user in hub_users:
        if not user or any(c.isspace() for c in user):
            raise ValueError(f"{user!r} cannot be a broker user name")
    _write_private(acl_file, render_acl(hub_users))
