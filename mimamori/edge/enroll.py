"""``mimamori edge enroll --hub URL --code CODE``: the gateway fetches its own secrets.

The hub trades the one-time code (``hub gateway enroll``) for the gateway's broker
account, the town's CA and its YAML (``POST /api/v1/enroll``); this writes them beside
each other, checks the YAML as ``mimamori check`` would, and starts the service:

    /etc/mimamori/gateway.yaml        root:mimamori     0640
    /etc/mimamori/broker.password     mimamori:mimamori 0600  (the only copy of it)
    /etc/mimamori/tls/ca.crt          root:mimamori     0644

The owners are set when run as root on a gateway the installer prepared (the group
``mimamori`` exists); otherwise the files stay the caller's (tests, a trial run).
Over HTTPS only, checked against ``--ca`` or the system's CAs; plain HTTP only to a
loopback address (tests, a hub on the same machine). Only the standard library: the
gateway installs nothing more for this.
"""

from __future__ import annotations

import argparse
import grp
import ipaddress
import json
import os
import pwd
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from mimamori.edge.install.model import REFUSED, UNIT_NAME, USAGE, USER

NAME = "edge enroll"
TIMEOUT_S = 30.0  # the hub answers in milliseconds; a mobile uplink may take seconds
MAX_ANSWER = 1024 * 1024  # a YAML and a CA: a few KiB
CONFIG = "gateway.yaml"
PASSWORD = "broker.password"  # the names the hub's YAML uses (hub/enroll/bundle.py)
CA = "tls/ca.crt"


class EnrollError(Exception):
    def __init__(self, ja: str, en: str, code: int = REFUSED) -> None:
        super().__init__(en)
        self.ja, self.en, self.code = ja, en, code


def add_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser(
        "enroll",
        help="fetch this gateway's config, broker account and CA from the hub with a code",
        description="Enroll this gateway with a one-time code from the hub "
        "(`mimamori hub gateway enroll ID`), then start it (docs/install-pi.md).",
    )
    parser.add_argument("--hub", metavar="URL", required=True, help="the hub, https://...")
    parser.add_argument("--code", metavar="CODE", required=True, help="the one-time code")
    parser.add_argument("--ca", metavar="FILE", help="the CA the hub's HTTPS certificate is from")
    parser.add_argument(
        "--config-dir", metavar="DIR", default="/etc/mimamori", help="where the files go"
    )
    parser.add_argument("--no-start", action="store_true", help="write the files; start nothing")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        return _enroll(args, out)
    except EnrollError as exc:
        sys.stderr.write(f"mimamori {NAME}: {exc.ja}\nmimamori {NAME}: {exc.en}\n")
        return exc.code


def _enroll(args: argparse.Namespace, out: TextIO) -> int:
    url = endpoint(args.hub)
    context = _tls(args.ca) if url.startswith("https:") else None
    answer = fetch(url, args.code, context)
    written = write_bundle(Path(args.config_dir), answer)
    for path in written:
        out.write(f"書きました | wrote {path}\n")
    if not answer.get("broker_reloaded", False):
        out.write(
            "注意: ブローカーがまだ新しいアカウントを読んでいません（ハブ側で "
            "systemctl reload mosquitto）\nnote: the broker has not read the new account "
            "yet (on the hub: systemctl reload mosquitto)\n"
        )
    if not args.no_start:
        start_service()
        out.write(f"{UNIT_NAME} を起動しました | started {UNIT_NAME}\n")
    out.write(f"登録しました: {answer['gateway']} | enrolled as {answer['gateway']}\n")
    return 0


def endpoint(hub: str) -> str:
    """The enrollment URL of the hub; refused unless HTTPS, or HTTP to loopback."""
    parts = urlsplit(hub.strip())
    host = parts.hostname or ""
    if parts.scheme == "http":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise EnrollError(
                "--hub は https:// にしてください（http:// はこの機械の中だけ）",
                "--hub must be https:// (http:// only to this machine's loopback)",
                USAGE,
            )
    elif parts.scheme != "https" or not host:
        raise EnrollError(
            f"--hub {hub!r} は https://ホスト名 の形にしてください",
            f"--hub {hub!r} must look like https://host",
            USAGE,
        )
    return hub.strip().rstrip("/") + "/api/v1/enroll"


def _tls(ca: str | None) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=ca)
    except (OSError, ssl.SSLError) as exc:
        raise EnrollError(f"--ca {ca} を読めません", f"cannot use --ca {ca}: {exc}", USAGE) from exc


def fetch(url: str, code: str, context: ssl.SSLContext | None) -> dict[str, Any]:
    """The hub's answer to the code; EnrollError with the hub's own words if refused."""
    body = json.dumps({"code": code[:64]}).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S, context=context) as response:
            data = json.loads(response.read(MAX_ANSWER))
    except urllib.error.HTTPError as exc:
        detail = _detail(exc.read(MAX_ANSWER))
        if detail is not None:
            raise EnrollError(detail[0], detail[1]) from None
        raise EnrollError(f"ハブが断りました（{exc.code}）", f"the hub refused: {exc}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EnrollError(
            "ハブにつながりません（URL とネットワークを確かめてください）",
            f"cannot reach the hub at {url}: {reason}",
        ) from None
    needed = ("gateway", "username", "password", "config")
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in needed):
        raise EnrollError("ハブの答えが読めません", "the hub's answer is not an enrollment")
    return data


def _detail(raw: bytes) -> tuple[str, str] | None:
    try:
        detail = json.loads(raw).get("detail")
    except (ValueError, AttributeError):
        return None
    if isinstance(detail, dict) and isinstance(detail.get("ja"), str):
        return detail["ja"], str(detail.get("en", ""))
    return None


def write_bundle(directory: Path, answer: dict[str, Any]) -> list[Path]:
    """Write the YAML (checked first), the password and the CA; the paths written."""
    from mimamori.edge.config import load_gateway_config
    from mimamori.errors import ConfigError

    owners = _owners()
    directory.mkdir(parents=True, exist_ok=True)
    draft = directory / f".{CONFIG}.new"
    _write(draft, answer["config"], 0o640, owners and (0, owners[1]))
    try:
        config = load_gateway_config(draft)
    except ConfigError as exc:
        draft.unlink()
        raise EnrollError(
            "ハブから来た設定に誤りがあります（ハブの管理者へ）",
            "the config from the hub is not valid: "
            + "; ".join(f"{p.key}: {p.message}" for p in exc.problems)[:500],
        ) from None
    if config.gateway.id != answer["gateway"] or config.broker.username != answer["username"]:
        draft.unlink()
        raise EnrollError("ハブの答えが食い違っています", "the hub's answer contradicts itself")
    written = [directory / PASSWORD]
    _write(directory / PASSWORD, answer["password"] + "\n", 0o600, owners)
    if isinstance(answer.get("ca"), str):
        (directory / CA).parent.mkdir(parents=True, exist_ok=True)
        _write(directory / CA, answer["ca"], 0o644, owners and (0, owners[1]))
        written.append(directory / CA)
    draft.replace(directory / CONFIG)
    return [directory / CONFIG, *written]


def _owners() -> tuple[int, int] | None:
    """(the daemon's uid, its gid) when run as root on a prepared gateway; else None."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(USER).pw_uid, grp.getgrnam(USER).gr_gid
    except KeyError:
        return None


def _write(path: Path, text: str, mode: int, owner: tuple[int, int] | None) -> None:
    """Replace ``path`` atomically with ``mode`` (and ``owner``) from its first byte."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), mode)  # whatever the umask
        if owner is not None:
            os.fchown(file.fileno(), *owner)
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    tmp.replace(path)


def start_service() -> None:
    try:
        subprocess.run(
            ["systemctl", "restart", UNIT_NAME],
            check=True, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        said = getattr(exc, "stderr", "") or str(exc)
        raise EnrollError(
            f"{UNIT_NAME} を起動できません（先に mimamori edge install）",
            f"cannot start {UNIT_NAME} (run mimamori edge install first): {said.strip()[:300]}",
        ) from None
