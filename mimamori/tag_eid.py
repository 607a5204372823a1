"""``mimamori tag eid --key HEX --exponent K --counter T``: a technician's check of a tag.

Prints the 8-byte Eddystone-EID (16 hex digits) a tag with that identity key and
rotation exponent shows while its time counter reads T, so a tag in hand can be
compared with what the hub expects. Works on a gateway: it needs only ``cryptography``,
which ``mimamori[edge]`` installs. Only the standard library is imported here: this
module builds part of every ``mimamori`` command's parser.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _eid(args: argparse.Namespace) -> int:
    from mimamori.protocol.eid import compute_eid

    try:
        key = bytes.fromhex(args.key)
        print(compute_eid(key, args.exponent, args.counter).hex())
    except ValueError as exc:
        print(f"mimamori tag eid: {exc}", file=sys.stderr)
        return 2
    return 0


def add_parser(sub: Any) -> None:
    tag = sub.add_parser("tag", help="tools for the tags people carry")
    kinds = tag.add_subparsers(dest="tag_command", required=True, metavar="WHAT")
    eid = kinds.add_parser(
        "eid", help="print the Eddystone-EID a tag shows at a given time counter"
    )
    eid.add_argument("--key", required=True, metavar="HEX", help="identity key, 32 hex digits")
    eid.add_argument(
        "--exponent", required=True, type=int, metavar="K", help="rotation exponent, 0-15"
    )
    eid.add_argument(
        "--counter", required=True, type=int, metavar="T", help="the tag's time counter (s)"
    )
    eid.set_defaults(func=_eid)
