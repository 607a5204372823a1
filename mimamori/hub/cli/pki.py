"""``mimamori hub pki ca|server|client``: the town's CA and its certificates (pki.py).

    mimamori hub pki ca --dir DIR [--name NAME] [--days N]
    mimamori hub pki server --dir DIR --host NAME [--host NAME ...] [--days N]
    mimamori hub pki client --dir DIR ID [--days N]

Nothing is ever overwritten: an existing file is an error, to be moved away by hand.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mimamori.hub.cli.common import CommandError, Invocation, Work, an_id, command


def _ca(run: Invocation) -> None:
    from mimamori.hub.broker.pki import make_ca

    args = run.args
    issued = make_ca(args.dir, args.name, args.days)
    print(f"# CA made: {issued.cert} (give it to every gateway and to the broker)")
    print(f"# {issued.key} signs every certificate of the town: keep it offline, 0600.")


def _server(run: Invocation) -> None:
    from mimamori.hub.broker.pki import make_server

    args = run.args
    issued = make_server(args.dir, args.host, days=args.days)
    print(
        f"# The broker's certificate for {', '.join(args.host)}. In mosquitto.conf:\n"
        f"listener 8883\n"
        f"cafile /etc/mosquitto/certs/ca.crt\n"
        f"certfile /etc/mosquitto/certs/{issued.cert.name}\n"
        f"keyfile /etc/mosquitto/certs/{issued.key.name}\n"
        f"require_certificate true\n"
        f"# copy {issued.cert}, {issued.key} and {args.dir / 'ca.crt'} there;\n"
        f"# the key readable by the mosquitto user only."
    )


def _client(run: Invocation) -> None:
    from mimamori.hub.broker.pki import make_client

    args = run.args
    issued = make_client(args.dir, args.id, days=args.days)
    print(
        f"# {args.id}: copy {args.dir / 'ca.crt'}, {issued.cert} and {issued.key}\n"
        f"# to /etc/mimamori/tls/ (the key 0600, owned by the mimamori user), then:\n"
        f"broker:\n"
        f"  port: 8883\n"
        f"  tls:\n"
        f"    ca_file: /etc/mimamori/tls/ca.crt\n"
        f"    cert_file: /etc/mimamori/tls/{issued.cert.name}\n"
        f"    key_file: /etc/mimamori/tls/{issued.key.name}"
    )


def _refusing_pki_errors(work: Callable[[Invocation], None]) -> Work:
    """What the CA refuses (a file that exists already, no CA yet) is said as every
    command says a refusal."""

    def run(invocation: Invocation) -> None:
        from mimamori.hub.broker.pki import PkiError

        try:
            work(invocation)
        except PkiError as exc:
            raise CommandError("証明書を作れません（理由は次の行）", str(exc)) from None

    return run


def add_parser(actions: Any) -> None:
    pki = actions.add_parser("pki", help="a CA and certificates for MQTT over TLS")
    pki_actions = pki.add_subparsers(dest="pki_command", required=True, metavar="ACTION")

    # The defaults repeat pki.CA_DAYS and pki.LEAF_DAYS: the parser is built without
    # importing cryptography (see cli.py).
    def common(parser: argparse.ArgumentParser, days: int) -> None:
        parser.add_argument(
            "--dir", type=Path, required=True, help="the CA's directory (ca.crt, ca.key)"
        )
        parser.add_argument("--days", type=int, default=days, help=f"validity (default {days})")

    ca = pki_actions.add_parser("ca", help="make the town's CA (once)")
    common(ca, 3650)
    ca.add_argument("--name", default="mimamori town CA", help="the CA's common name")
    ca.set_defaults(func=command("hub pki ca", _refusing_pki_errors(_ca)))

    server = pki_actions.add_parser("server", help="the broker's certificate")
    common(server, 825)
    server.add_argument(
        "--host",
        action="append",
        required=True,
        help="a name or IP address clients connect to (repeat for more)",
    )
    server.set_defaults(func=command("hub pki server", _refusing_pki_errors(_server)))

    client = pki_actions.add_parser("client", help="a gateway's (or the hub's) certificate")
    common(client, 825)
    client.add_argument(
        "id",
        type=an_id("a gateway id"),
        metavar="ID",
        help="the gateway id (the certificate's name)",
    )
    client.set_defaults(func=command("hub pki client", _refusing_pki_errors(_client)))
