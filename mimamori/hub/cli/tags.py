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
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mimamori.hub.cli.common import CommandError, Invocation, command

if TYPE_CHECKING:
    from mimamori.hub.store.port_eid import EidStore

# The specification recommends starting a tag's counter close to the roll-over of its
# temporary key (counter mod 65,536 around 65,280), so that roll-over is soon exercised.
NEW_TAG_COUNTER = 65_280
DEFAULT_EXPONENT = 10  # a new id every 1,024 s (17 min)


def _kek(run: Invocation) -> None:
    from mimamori.hub.config import KEK_ENV
    from mimamori.hub.eid.keys import EidKeyError, write_kek

    path = run.config.hub.eid.kek_file
    if path is None:
        raise CommandError(
            f"設定に hub.eid.kek_file がありません（または鍵を {KEK_ENV} で渡してください）",
            f"the config has no hub.eid.kek_file (or give the key in {KEK_ENV})",
        )
    try:
        write_kek(path)
    except EidKeyError as exc:
        raise CommandError("鍵暗号化鍵を作れません（理由は次の行）", str(exc)) from None
    print(f"# a new key-encryption key is in {path} (owner-only); back it up apart from")
    print("# the database: without it no tag's key can be opened again")


def _read_key(path: Path) -> bytes:
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CommandError(
            f"--key-file {path} を読めません（理由は次の行）", f"--key-file {path}: {exc}"
        ) from None
    if len(key) != 16:
        raise CommandError(
            f"--key-file {path}: 識別鍵は16進数で32桁です",
            f"--key-file {path}: an identity key is 32 hex digits",
        )
    return key


async def _add(run: Invocation) -> None:
    from mimamori.errors import StoreConflict
    from mimamori.hub.eid.keys import EidKeyError, require_kek, seal
    from mimamori.hub.model.eid import EidTagRecord
    from mimamori.protocol.eid import check_counter, check_exponent, compute_eid

    args, config = run.args, run.config
    registry = await run.registry()
    owner = registry.people.get(registry.person_of_tag.get(args.tag, ""))
    if owner is None:
        raise CommandError(
            f"{args.tag} を持つ人が登録されていません: その人のタグに加えてください",
            f"no person in the register carries {args.tag}: add it to their tags",
        )
    try:
        kek = require_kek(config.hub.eid)
        exponent = check_exponent(args.exponent)
        now = datetime.now(UTC)
        counter = check_counter(NEW_TAG_COUNTER if args.counter is None else args.counter)
    except (EidKeyError, ValueError) as exc:
        raise CommandError("タグを登録できません（理由は次の行）", str(exc)) from None
    key = _read_key(args.key_file) if args.key_file else secrets.token_bytes(16)
    offset = counter - int(now.timestamp())
    # Known to within a period: the tag may be set a while after this is printed. Its
    # sightings narrow that down (hub/eid/resolver.py).
    slack = 1 << exponent
    sealed = seal(kek, args.tag, key)
    record = EidTagRecord(args.tag, sealed, exponent, offset - slack, offset + slack, now, now)
    store: EidStore = await run.store()
    try:
        await store.put_eid_tag(record, replace=args.replace)
    except StoreConflict as exc:
        raise CommandError(
            f"{args.tag} にはもう鍵があります（--replace で新しい鍵にします）",
            f"{exc} (--replace gives it a new one)",
        ) from None
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


async def _list(run: Invocation) -> None:
    carriers = (await run.registry()).person_of_tag
    store: EidStore = await run.store()
    records = await store.eid_tags()
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
    kek.set_defaults(func=command("hub tag kek", _kek))

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
    add.set_defaults(func=command("hub tag add", _add))

    listing = tag_actions.add_parser("list", help="EID tags and what is known of their clocks")
    listing.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    listing.set_defaults(func=command("hub tag list", _list))
