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
file that exists keeps its owner, group and group-read bit when it is rewritten: in
an install they live in a setgid directory of group ``mosquitto`` owned by the hub's
user, mode 0640 (docs/deploy.md), so the hub's process can write them too.
After a change, Mosquitto reads the files again on SIGHUP (``systemctl reload mosquitto``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import stat
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
    """Replace ``path`` atomically. A new file is its owner's only (0600); a file that
    is replaced keeps its owner, group and group-read bit (never more: no world bits),
    so Mosquitto's user, whether owner or group, goes on reading it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)  # a leftover of a crash, perhaps another user's
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        if path.exists():
            try:
                _keep_owner_and_mode(out.fileno(), path.stat())
            except PermissionError as exc:
                tmp.unlink()
                raise PermissionError(f"{path}: {exc}") from exc
        os.fsync(out.fileno())
    tmp.replace(path)


def _keep_owner_and_mode(fd: int, before: os.stat_result) -> None:
    """Give the open new file ``fd`` the owner, group and group-read bit of ``before``.

    Compared with the new file's own ids, not the process's: in a setgid directory
    (docs/deploy.md) the kernel already gives the new file the directory's group, and
    under the hub's unit (``PrivateUsers=yes``) both show that group as the same
    unmapped id, so no chown is needed, nor allowed."""
    now = os.fstat(fd)
    uid = before.st_uid if before.st_uid != now.st_uid else -1
    gid = before.st_gid if before.st_gid != now.st_gid else -1
    if (uid, gid) != (-1, -1):
        try:
            os.fchown(fd, uid, gid)
        except PermissionError as exc:
            raise PermissionError(
                f"cannot keep its owner ({before.st_uid}:{before.st_gid}); run this as root, "
                f"or as the owner in a directory of that group with the setgid bit"
            ) from exc
    os.fchmod(fd, 0o600 | (stat.S_IMODE(before.st_mode) & 0o040))


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
