"""``mimamori hub gateway enroll --config FILE ID``: a one-time code for a gateway.

Prints the code and the command the technician types on the Pi; the code is kept
hashed (``hub/enroll/service.py``) and works once, for ``hub.enrollment.code_ttl_min``.
No password is printed: the gateway fetches its own.
"""

from __future__ import annotations

import argparse
from typing import Any

from mimamori.hub.cli.common import CommandError, Invocation, an_id, command


async def _enroll(run: Invocation) -> None:
    from datetime import UTC, datetime

    from mimamori.hub.enroll.service import Enrollment, EnrollmentError
    from mimamori.protocol.timefmt import format_ts

    config = run.config.hub
    registry = await run.registry()  # a database that cannot open is said first, as by all
    if config.enrollment is None or config.mosquitto is None:
        raise CommandError(
            "設定に hub.enrollment と hub.mosquitto が必要です（docs/install-pi.md）",
            "the config needs hub.enrollment and hub.mosquitto (docs/install-pi.md)",
        )
    enrollment = Enrollment(
        run.config,
        config.enrollment,
        config.mosquitto,
        registry,
        await run.store(),
        clock=lambda: datetime.now(UTC),  # a command's "now" is the system clock
    )
    try:
        issued = await enrollment.issue(run.args.id, who="cli", role="admin")
    except EnrollmentError as exc:
        raise CommandError(exc.ja, exc.en) from None
    until = format_ts(issued.expires_at)
    print(
        f"# ゲートウェイ {issued.gateway_id} の登録コード（一回限り、{until} まで）\n"
        f"# enrollment code for {issued.gateway_id} (once, until {until}):\n"
        f"{issued.code}\n"
        f"# on the gateway / ゲートウェイで:\n"
        f"#   sudo /opt/mimamori/bin/mimamori edge enroll "
        f"--hub {config.http.public_url} --code {issued.code}"
    )


def add_enroll_parser(gateway_actions: Any) -> None:
    enroll = gateway_actions.add_parser(
        "enroll", help="a one-time code the gateway trades for its account, CA and config"
    )
    enroll.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    enroll.add_argument(
        "id", type=an_id("a gateway id"), metavar="ID", help="the gateway id (in the register)"
    )
    enroll.set_defaults(func=command("hub gateway enroll", _enroll))
