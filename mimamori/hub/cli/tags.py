"""``mimamori hub tag ...``: tags with rotating ids (Eddystone-EID).

    mimamori hub tag kek --config FILE
    mimamori hub tag add --config FILE TAG [--key-file FILE] [--exponent K]
                         [--counter T] [--replace]
    mimamori hub tag list --config FILE

``add`` creates a random identity key (or registers the key of a tag that has one,
read from a file: never from the command line) for a tag named ``eid:NAME`` in a
person's ``tags``, seals it with the hub's key-encryption key into the database, and
prints once, as YAML, what the tag (or firmware_sim) needs.

Only the standard library is imported here: the parser is built for every command.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The specification recommends starting a tag's counter close to the roll-over of its
# temporary key (counter mod 65,536 around 65,280), so that roll-over is soon exercised.
NEW_TAG_COUNTER = 65_280
DEFAULT_EXPONENT = 10  # a new id every 1,024 s (17 min)


def _fail(message: str) -> SystemExit:
    return SystemExit(f"mimamori hub tag: {message}")


def _kek(args: argparse.Namespace) -> int:
    from mimamori.hub.config import KEK_ENV, load_hub_config
    from mimamori.hub.eid.keys import EidKeyError, write_kek

    config = load_hub_config(Path(args.config))
    path = config.hub.eid.kek_file
    if path is None:
        raise _fail(f"the config has no hub.eid.kek_file (or give the key in {KEK_ENV})")
    try:
        write_kek(path)
    except EidKeyError as exc:
        raise _fail(str(exc)) from None
    print(f"# a new key-encryption key is in {path} (owner-only); back it up apart from")
    print("# the database: without it no tag's key can be opened again")
    return 0


def _read_key(path: Path) -> bytes:
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _fail(f"--key-file {path}: {exc}") from None
    if len(key) != 16:
        raise _fail(f"--key-file {path}: an identity key is 32 hex digits")
    return key


async def _add_async(args: argparse.Namespace) -> int:
    from mimamori.errors import StoreError
    from mimamori.hub.config import load_hub_config
    from mimamori.hub.eid.keys import EidKeyError, require_kek, seal
    from mimamori.hub.model.eid import EidTagRecord
    from mimamori.hub.store.opening import open_store
    from mimamori.protocol.eid import check_counter, check_exponent, compute_eid

    config = load_hub_config(Path(args.config))
    owner = next((p for p in config.people if args.tag in p.tags), None)
    if owner is None:
        raise _fail(f"no person in {args.config} carries {args.tag}: add it to their 'tags'")
    try:
        kek = require_kek(config.hub.eid)
        exponent = check_exponent(args.exponent)
        now = datetime.now(UTC)
        counter = check_counter(NEW_TAG_COUNTER if args.counter is None else args.counter)
    except (EidKeyError, ValueError) as exc:
        raise _fail(str(exc)) from None
    key = _read_key(args.key_file) if args.key_file else secrets.token_bytes(16)
    offset = counter - int(now.timestamp())
    # Known to within a period: the tag may be set a while after this is printed. Its
    # sightings narrow that down (hub/eid/resolver.py).
    slack = 1 << exponent
    sealed = seal(kek, args.tag, key)
    record = EidTagRecord(args.tag, sealed, exponent, offset - slack, offset + slack, now, now)
    store = await open_store(config.hub.database)
    try:
        await store.put_eid_tag(record, replace=args.replace)
    except StoreError as exc:
        raise _fail(f"{exc} (--replace gives it a new one)") from None
    finally:
        await store.close()
    eid = compute_eid(key, exponent, counter).hex()
    print(
        f"# {args.tag}, carried by {owner.name} ({owner.id}). Program the tag with these;\n"
        f"# the key is shown only this once and is kept sealed at the hub.\n"
        f"tag: {args.tag}\n"
        f"identity_key: {key.hex()}\n"
        f"rotation_exponent: {exponent}       # a new id every {1 << exponent} s\n"
        f"time_counter: {counter}       # at {now:%Y-%m-%dT%H:%M:%SZ}: counts on from there\n"
        f"eid: {eid}       # shown now; to check a tag in hand:\n"
        f"#   mimamori tag eid --key KEY --exponent {exponent} --counter ITS_COUNTER\n"
        f"# a firmware_sim scenario tag's 'eid' (clock_offset: time_counter - Unix time):\n"
        f"firmware_sim: {{identity_key: {key.hex()}, exponent: {exponent}, "
        f"clock_offset: {offset}}}"
    )
    return 0


def _add(args: argparse.Namespace) -> int:
    return asyncio.run(_add_async(args))


async def _list_async(args: argparse.Namespace) -> int:
    from mimamori.hub.config import load_hub_config
    from mimamori.hub.store.opening import open_store

    config = load_hub_config(Path(args.config))
    carriers = {t: p.id for p in config.people for t in p.tags}
    store = await open_store(config.hub.database)
    try:
        records = await store.eid_tags()
    finally:
        await store.close()
    print("tag\tperson\texponent\tclock_offset_s\tuncertainty_s\tupdated")
    for r in records:
        middle, spread = (r.offset_lo + r.offset_hi) // 2, (r.offset_hi - r.offset_lo) // 2
        person = carriers.get(r.tag_id, "-")
        print(
            f"{r.tag_id}\t{person}\t{r.exponent}\t{middle}\t{spread}\t"
            f"{r.updated_at:%Y-%m-%dT%H:%M:%SZ}"
        )
    named = {t for t in carriers if t.startswith("eid:")}
    for missing in sorted(named - {r.tag_id for r in records}):
        print(f"# {missing} ({carriers[missing]}) has no key yet", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    return asyncio.run(_list_async(args))


def _eid_tag(value: str) -> str:
    from mimamori.hub.register.schema import is_eid_tag

    if not is_eid_tag(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not eid:NAME (lower-case)")
    return value


def add_parser(actions: Any) -> None:
    tag = actions.add_parser("tag", help="tags with rotating ids (Eddystone-EID)")
    tag_actions = tag.add_subparsers(dest="tag_command", required=True, metavar="ACTION")

    kek = tag_actions.add_parser("kek", help="write a new key-encryption key to hub.eid.kek_file")
    kek.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    kek.set_defaults(func=_kek)

    add = tag_actions.add_parser("add", help="create or register a tag's identity key")
    add.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    add.add_argument("tag", type=_eid_tag, metavar="TAG", help="eid:NAME, as in a person's tags")
    add.add_argument(
        "--key-file",
        type=Path,
        metavar="FILE",
        help="the tag's existing identity key (32 hex digits); default: a new random one",
    )
    add.add_argument(
        "--exponent",
        type=int,
        default=DEFAULT_EXPONENT,
        metavar="K",
        help=f"a new id every 2**K s, K 0-15 (default {DEFAULT_EXPONENT})",
    )
    add.add_argument(
        "--counter",
        type=int,
        default=None,
        metavar="T",
        help=f"the tag's time counter now (default: a new tag starting at {NEW_TAG_COUNTER})",
    )
    add.add_argument("--replace", action="store_true", help="replace the tag's key if it has one")
    add.set_defaults(func=_add)

    listing = tag_actions.add_parser("list", help="EID tags and what is known of their clocks")
    listing.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    listing.set_defaults(func=_list)
