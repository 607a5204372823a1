"""``mimamori edge install``: its options, checked before anything is planned, and its run.

Only the standard library and the installer's small model are imported at the top:
the parser is built for every ``mimamori`` command.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path, PurePosixPath
from typing import TextIO

from mimamori.edge.install.model import (
    CONFIG_FILE,
    DEFAULT_PROGRAM,
    OK,
    REFUSED,
    USAGE,
    InstallError,
    Options,
    Target,
    UsbIds,
)

NAME = "edge install"
_HEX4 = re.compile(r"(?:0x)?([0-9a-fA-F]{4})")
# A USB serial string (at most 126 characters: a 255-byte UTF-16 descriptor), limited to
# what a udev rule matches literally: quotes would end its value, * ? [ ] make patterns.
_SERIAL = re.compile(r"[A-Za-z0-9._:-]{1,126}")
# What ExecStart= takes as one word without quoting (no spaces, no % specifiers).
_PROGRAM = re.compile(r"/[A-Za-z0-9._/+-]*")
# The unit's ProtectHome=yes hides these from the daemon: a program there cannot start.
_HIDDEN = (PurePosixPath("/home"), PurePosixPath("/root"), PurePosixPath("/run/user"))


def add_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser(
        "install",
        help="set the gateway up: its user, directories, udev rule, BlueZ and systemd unit",
        description="Set this Raspberry Pi up as a gateway (docs/install-pi.md). "
        "Idempotent: a second run changes nothing.",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print each step and its changes; change nothing"
    )
    parser.add_argument(
        "--root", metavar="DIR", default="/", help="install into this tree (e.g. an SD card)"
    )
    parser.add_argument(
        "--program",
        metavar="PATH",
        help="the mimamori command the unit starts (default: the one running this)",
    )
    parser.add_argument("--usb-vendor", metavar="HEX", help="the receiver's USB vendor id")
    parser.add_argument("--usb-product", metavar="HEX", help="the receiver's USB product id")
    parser.add_argument("--usb-serial", metavar="TEXT", help="its USB serial, to tell two apart")
    parser.add_argument(
        "--ble",
        action="store_true",
        help="turn BlueZ's passive scanning on though no config asks for it yet",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="the gateway YAML whose receivers say if BLE is used (default: "
        "/etc/mimamori/gateway.yaml in the tree)",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace, out: TextIO | None = None) -> int:

    out = out or sys.stdout
    try:
        return _install(args, out)
    except InstallError as exc:
        _say_error(exc.ja, exc.en)
        return exc.code
    except PermissionError as exc:  # a dry run by a technician without sudo, mostly
        where = exc.filename or ""
        _say_error(
            f"{where} を読む権限がありません。sudo を付けて実行してください",
            f"no permission to read {where}: run it with sudo",
        )
        return REFUSED
    except OSError as exc:
        where = exc.filename or ""
        _say_error(f"読み書きできません {where}（{exc.strerror}）", f"cannot use {where}: {exc}")
        return REFUSED


def _install(args: argparse.Namespace, out: TextIO) -> int:
    from mimamori.edge.install.run import carry_out, say
    from mimamori.edge.install.steps import plan
    from mimamori.edge.install.system import HostSystem

    target = target_of(args.root)
    options = Options(
        program=program_of(args.program, target),
        usb=usb_of(args.usb_vendor, args.usb_product, args.usb_serial),
        ble=args.ble,
        config=Path(args.config) if getattr(args, "config", None) else None,
    )
    if not args.dry_run and os.geteuid() != 0:
        raise InstallError(
            "root で実行してください（sudo を付けて）。見るだけなら --dry-run を付けます",
            "run it as root (with sudo); --dry-run only looks",
            code=REFUSED,
        )
    system = HostSystem(target.root)
    steps = plan(options, target, system)  # refuses what cannot work, before any change
    dry = "（--dry-run: 何も変えません）" if args.dry_run else ""
    out.write(f"{target.root} に入れます{dry}: {_os_name(target)}、{options.program}\n")
    out.write(
        f"installing into {target.root}{' (dry run)' if args.dry_run else ''}: "
        f"{_os_name(target)}, {options.program}\n"
    )
    code = carry_out(steps, system, out, dry_run=args.dry_run)
    config = options.config or target.path(CONFIG_FILE)
    if code == OK and not config.exists():
        say(
            out,
            "",
            "次は登録です: sudo mimamori edge enroll --hub URL --code コード"
            "（docs/install-pi.md の 3.）",
            "next: enroll, sudo mimamori edge enroll --hub URL --code CODE "
            "(docs/install-pi.md, step 3)",
        )
    return code


def target_of(root_text: str) -> Target:

    root = Path(root_text).absolute()
    if not root.is_dir():
        raise InstallError(
            f"--root {root_text} はディレクトリではありません",
            f"--root {root_text} is not a directory",
            code=USAGE,
        )
    if root.resolve() == Path("/"):
        # Only the running system is told to reload: a tree's own udev and systemd
        # read it when it boots. sd_booted(3): this directory exists under systemd.
        return Target(Path("/"), live=Path("/run/systemd/system").is_dir())
    return Target(root, live=False)


def program_of(text: str | None, target: Target) -> PurePosixPath:
    """The mimamori command the unit starts: given, or the one running now."""

    if text is None:
        here = Path(sys.executable).absolute().parent / "mimamori"
        text = str(here) if target.root == Path("/") and here.is_file() else str(DEFAULT_PROGRAM)
    if _PROGRAM.fullmatch(text) is None:
        raise InstallError(
            f"--program {text!r} は絶対パスで、英数字と . _ / + - だけにしてください",
            f"--program {text!r} must be an absolute path of letters, digits and . _ / + -",
            code=USAGE,
        )
    program = PurePosixPath(text)
    if any(program.is_relative_to(hidden) for hidden in _HIDDEN):
        raise InstallError(
            f"{program} はユニットから見えません（ProtectHome=yes）。"
            "/opt/mimamori に入れてください（docs/install-pi.md）",
            f"{program} is hidden from the unit (ProtectHome=yes): install mimamori in "
            "/opt/mimamori (docs/install-pi.md)",
            code=USAGE,
        )
    inside = target.path(program)
    if not inside.is_file() or not os.access(inside, os.X_OK):
        raise InstallError(
            f"{program} がありません（実行できません）。--program で mimamori を指定してください",
            f"{program} is missing or not executable: name the mimamori command with --program",
            code=USAGE,
        )
    return program


def usb_of(vendor: str | None, product: str | None, serial: str | None) -> UsbIds | None:
    """The receiver's USB ids as a udev rule matches them, or None when none were given."""

    if vendor is None and product is None and serial is None:
        return None
    if vendor is None or product is None:
        raise InstallError(
            "--usb-vendor と --usb-product は二つとも指定してください（udevadm info -a -n "
            "/dev/ttyUSB0 | grep -E 'idVendor|idProduct|serial' で分かります）",
            "--usb-vendor and --usb-product go together (udevadm info -a -n /dev/ttyUSB0 "
            "| grep -E 'idVendor|idProduct|serial' shows them)",
            code=USAGE,
        )
    ids = []
    for option, value in (("--usb-vendor", vendor), ("--usb-product", product)):
        found = _HEX4.fullmatch(value)
        if found is None:
            raise InstallError(
                f"{option} {value!r} は 16 進 4 桁にしてください（例: 10c4）",
                f"{option} {value!r} must be 4 hexadecimal digits (e.g. 10c4)",
                code=USAGE,
            )
        ids.append(found.group(1).lower())
    if serial is not None and _SERIAL.fullmatch(serial) is None:
        raise InstallError(
            f"--usb-serial {serial!r} に使えない文字があります"
            "（英数字と . _ : - だけ、126 文字まで）",
            f"--usb-serial {serial!r}: only letters, digits and . _ : - (at most 126)",
            code=USAGE,
        )
    return UsbIds(ids[0], ids[1], serial)


def _os_name(target: Target) -> str:
    try:
        text = target.path(PurePosixPath("/etc/os-release")).read_text(errors="replace")
    except OSError:
        return "OS ?"
    found = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', text, re.MULTILINE)
    return found.group(1)[:100] if found else "OS ?"


def _say_error(ja: str, en: str) -> None:
    print(f"mimamori {NAME}: {ja}\nmimamori {NAME}: {en}", file=sys.stderr)
