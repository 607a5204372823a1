"""``mimamori hub line ...``: bind contacts' LINE without typing ids (docs/line.md).

    mimamori hub line link --config FILE RECIPIENT [--ttl-hours H]
    mimamori hub line list --config FILE

``link`` prints a one-time code for a recipient (and, with ``hub.line.basic_id``, a
link that opens the account's chat with the code typed in): the contact adds the
account as a friend and sends the code. ``list`` shows who is bound, and who ended it.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from mimamori.hub.cli.common import CommandError, Invocation, an_id, command

CODE_MAX_HOURS = 24 * 14  # as hub.line.code_ttl_h allows


def _line(run: Invocation) -> Any:
    settings = run.config.hub.line
    if settings is None:
        raise CommandError(
            "設定に hub.line（LINE 公式アカウント）がありません（docs/line.md）",
            f"{run.args.config} has no hub.line section (docs/line.md)",
        )
    return settings


async def _link(run: Invocation) -> None:
    from mimamori.hub.line.codes import chat_link, shown
    from mimamori.hub.line.linking import issue_code

    settings, recipient = _line(run), run.args.recipient
    if recipient not in (await run.registry()).recipients:
        raise CommandError(
            f"連絡先 {recipient!r} は登録されていません",
            f"no recipient {recipient!r} in the register",
        )
    hours = run.args.ttl_hours or settings.code_ttl_h
    now = datetime.now(UTC)  # a command's "now" is the system clock
    code = await issue_code(await run.store(), recipient, now, timedelta(hours=hours))
    until = code.expires_at.astimezone().strftime("%Y-%m-%d %H:%M")
    print(f"LINE の番号: {shown(code.code)}（{until} まで、1回だけ使えます）")
    print(f"code for {recipient}: {shown(code.code)} (once, until {until})")
    if settings.basic_id:
        print(chat_link(settings.basic_id, code.code))


async def _list(run: Invocation) -> None:
    _line(run)
    bindings = await (await run.store()).line_bindings()
    for b in bindings:
        state = "bound" if b.state == "bound" else "ended (unfollowed)"
        # The LINE user id is personal data of LINE's: its start is enough to tell two apart.
        print(f"{b.recipient_id}\t{state}\t{b.changed_at:%Y-%m-%d %H:%M}Z\t{b.line_user_id[:7]}…")
    if not bindings:
        print("nobody is bound to LINE yet")


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= CODE_MAX_HOURS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of hours in (0, 336]")
    return value


def add_parser(actions: Any) -> None:
    line = actions.add_parser("line", help="the town's LINE account: link contacts")
    verbs = line.add_subparsers(dest="line_command", required=True, metavar="ACTION")
    link = verbs.add_parser("link", help="a one-time code that binds a contact's LINE")
    link.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    link.add_argument("recipient", type=an_id("a recipient id"), metavar="RECIPIENT")
    link.add_argument("--ttl-hours", type=_hours, default=None, help="default: hub.line.code_ttl_h")
    link.set_defaults(func=command("hub line link", _link))
    listing = verbs.add_parser("list", help="who is bound to LINE")
    listing.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    listing.set_defaults(func=command("hub line list", _list))
