"""``mimamori hub token list|revoke`` and ``mimamori hub session list|revoke``.

    mimamori hub token list --config FILE
    mimamori hub token revoke --config FILE ID|NAME
    mimamori hub session list --config FILE
    mimamori hub session revoke --config FILE (--family ID | --user ID)

Lists show a short id (the start of the token's SHA-256, never the token, which the
hub does not know), the name, role, whose it is, when it was made and when it ends.
A revoked credential stops at once: every request looks its hash up.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mimamori.hub.cli.common import CommandError, Invocation, Work, command

if TYPE_CHECKING:
    from mimamori.hub.model.accounts import Credential
    from mimamori.hub.store.port_credentials import CredentialStore

HEADER = "ID\tNAME\tROLE\tFOR\tCREATED\tEXPIRES"


def _when(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ") if at else "-"


def _row(token_hash: str, credential: Credential, now: datetime) -> str:
    from mimamori.hub.access.auth import short_id

    whose = (
        f"user:{credential.user_id}"
        if credential.user_id
        else f"family:{credential.family_id}"
        if credential.family_id
        else "-"
    )
    expires = _when(credential.expires_at)
    if credential.expires_at is not None and credential.expires_at <= now:
        expires += " (expired)"
    cells = (short_id(token_hash), credential.name, credential.role, whose)
    return "\t".join((*cells, _when(credential.created_at), expires))


def _list(kind: str) -> Work:
    async def listing(run: Invocation) -> None:
        from mimamori.hub.model.accounts import CredentialKind

        now = datetime.now(UTC)
        store: CredentialStore = await run.store()
        rows = await store.credentials([CredentialKind(kind)])
        print(HEADER)
        for token_hash, credential in rows:
            print(_row(token_hash, credential, now))

    return listing


async def _revoke_token(run: Invocation) -> None:
    from mimamori.hub.access.auth import short_id
    from mimamori.hub.model.accounts import CredentialKind

    what = run.args.token
    store: CredentialStore = await run.store()
    tokens = await store.credentials([CredentialKind.TOKEN])
    found = [(h, c) for h, c in tokens if c.name == what]
    if not found and len(what) >= 4:  # an id: the start of the hash, as lists show it
        found = [(h, c) for h, c in tokens if h.startswith(what.lower())]
    if not found:
        raise CommandError(
            f"{what!r} という名前または ID のトークンはありません",
            f"no token named or numbered {what!r}",
        )
    if len(found) > 1:
        ids = ", ".join(short_id(h) for h, _ in found)
        raise CommandError(
            f"{what!r} に当たるトークンが {len(found)} 個あります（{ids}）: どれか一つの ID を"
            "指定してください",
            f"{len(found)} tokens match {what!r} ({ids}): give the id of one",
        )
    token_hash, credential = found[0]
    await store.delete_credential(CredentialKind.TOKEN, token_hash)
    print(f"revoked token {short_id(token_hash)} ({credential.name})")


async def _revoke_sessions(run: Invocation) -> None:
    from mimamori.hub.model.accounts import CredentialKind

    args = run.args
    store: CredentialStore = await run.store()
    if args.family:
        sessions = await store.delete_credentials([CredentialKind.SESSION], family_id=args.family)
        # An unused sign-in link is a session waiting to happen: it goes too.
        links = await store.delete_credentials([CredentialKind.SIGNIN], family_id=args.family)
        print(
            f"ended {sessions} session(s) and {links} unused sign-in link(s) "
            f"of family {args.family}"
        )
    else:
        sessions = await store.delete_credentials([CredentialKind.SESSION], user_id=args.user)
        print(f"ended {sessions} session(s) of account {args.user}")


def add_token_actions(token_actions: Any) -> None:
    """``token list`` and ``token revoke``, beside ``token create`` (main.py)."""
    listing = token_actions.add_parser("list", help="list the bearer tokens (never the secret)")
    listing.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    listing.set_defaults(func=command("hub token list", _list("token")))
    revoke = token_actions.add_parser("revoke", help="end a bearer token at once")
    revoke.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    revoke.add_argument("token", metavar="ID|NAME", help="its id from `token list`, or its name")
    revoke.set_defaults(func=command("hub token revoke", _revoke_token))


def add_parser(actions: Any) -> None:
    session = actions.add_parser("session", help="browser sessions: list, revoke")
    session_actions = session.add_subparsers(
        dest="session_command", required=True, metavar="ACTION"
    )
    listing = session_actions.add_parser("list", help="list the sessions (never the secret)")
    listing.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    listing.set_defaults(func=command("hub session list", _list("session")))
    revoke = session_actions.add_parser(
        "revoke", help="end every session of a family (and its unused links) or of an account"
    )
    revoke.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    whose = revoke.add_mutually_exclusive_group(required=True)
    whose.add_argument("--family", metavar="ID")
    whose.add_argument("--user", metavar="ID", help="an account")
    revoke.set_defaults(func=command("hub session revoke", _revoke_sessions))
