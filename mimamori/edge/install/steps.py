"""The steps of docs/install-pi.md, each a function from the tree as it is to the
changes it needs (none when it is done): the dry run prints them, the real run
applies them. Planning reads only; it refuses what cannot work before anything changes.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from mimamori import configfile
from mimamori.edge.install.files import ensure_dir, ensure_file
from mimamori.edge.install.model import (
    CONFIG_DIR,
    CONFIG_FILE,
    DATA_DIR,
    GROUPS,
    UNIT_NAME,
    USAGE,
    USER,
    InstallError,
    Options,
    Step,
    Target,
)
from mimamori.edge.install.render import (
    BLUEZ_DROP_IN,
    RECEIVER_LINK,
    UDEV_RULE,
    UNIT,
    WANTS,
    bluez_drop_in,
    bluez_exec_start,
    edge_unit,
    has_experimental,
    udev_rule,
)
from mimamori.edge.install.system import Accounts, System
from mimamori.errors import ConfigError

ROOT_ROOT = ("root", "root")
# Where Debian's bluez package puts its unit (bookworm: /usr/lib; before the /usr merge: /lib).
BLUEZ_UNITS = (
    PurePosixPath("/usr/lib/systemd/system/bluetooth.service"),
    PurePosixPath("/lib/systemd/system/bluetooth.service"),
)
BLUEZ_MAIN_CONF = PurePosixPath("/etc/bluetooth/main.conf")


def plan(options: Options, target: Target, system: System) -> list[Step]:
    """Every step, planned on the tree as it is now."""
    return [
        user_step(target),
        directories_step(target, system),
        udev_step(options, target, system),
        bluez_step(options, target, system),
        unit_step(options, target, system),
    ]


def user_step(target: Target) -> Step:
    """The daemon's own system user: no login, no home, in dialout and bluetooth."""
    step = Step("専用ユーザー mimamori", "the system user mimamori")
    accounts = Accounts.read(target.root)
    for group in GROUPS:
        if group not in accounts.groups:
            # The unit's SupplementaryGroups= names both, and systemd refuses to start a
            # unit naming a group that does not exist. bluetooth comes with bluez, which
            # creates it only when missing: made here, it is the same system group.
            step.run(
                f"グループ {group} を作る",
                f"create the group {group}",
                ["groupadd", "--system", *target.root_args, group],
            )
    groups = ",".join(GROUPS)
    if USER not in accounts.users:
        # --user-group fails when a group of that name is there already: join it instead.
        own = ["--gid", USER] if USER in accounts.groups else ["--user-group"]
        step.run(
            f"ユーザー {USER} を作る（ログインなし、グループ {groups}）",
            f"create the user {USER} (no login; groups {groups})",
            [
                "useradd",
                "--system",
                *own,
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "--groups",
                groups,
                *target.root_args,
                USER,
            ],
        )
        return step
    missing = [g for g in GROUPS if not accounts.in_group(USER, g)]
    if missing:
        joined = ",".join(missing)
        step.run(
            f"ユーザー {USER} をグループ {joined} に入れる",
            f"add the user {USER} to {joined}",
            ["usermod", "--append", "--groups", joined, *target.root_args, USER],
        )
    return step


def directories_step(target: Target, system: System) -> Step:
    """The config (secrets inside: only the daemon's group may read) and the outbox."""
    step = Step("設定・TLS・データのディレクトリ", "the config, TLS and data directories")
    step.changes += ensure_dir(target, CONFIG_DIR, owner=("root", USER), mode=0o750, system=system)
    step.changes += ensure_dir(
        target, CONFIG_DIR / "tls", owner=("root", USER), mode=0o750, system=system
    )
    # As the unit's StateDirectory= makes it: the daemon's alone.
    step.changes += ensure_dir(target, DATA_DIR, owner=(USER, USER), mode=0o700, system=system)
    return step


def udev_step(options: Options, target: Target, system: System) -> Step:
    """The serial receiver's own name, /dev/mimamori-receiver, from its USB ids."""
    step = Step("受信機の udev ルール", "the receiver's udev rule")
    if options.usb is None:
        step.note(
            "USB の指定がないので作りません（--usb-vendor と --usb-product で作ります）",
            "no USB ids given: no rule (--usb-vendor and --usb-product make one)",
        )
        return step
    step.changes += ensure_file(
        target, UDEV_RULE, udev_rule(options.usb), owner=ROOT_ROOT, mode=0o644, system=system
    )
    step.note(
        f"設定の port は /dev/{RECEIVER_LINK} にします", f"the config's port: /dev/{RECEIVER_LINK}"
    )
    if step.changes and target.live:
        step.run(
            "udev に読み直させる",
            "make udev read its rules again",
            ["udevadm", "control", "--reload"],
        )
        step.run(
            "差してある受信機にルールを当てる",
            "apply the rule to a receiver plugged in now",
            ["udevadm", "trigger", "--subsystem-match=tty", "--action=add"],
        )
    return step


def wants_ble(options: Options, target: Target) -> tuple[bool, str, str]:
    """Whether BlueZ's passive scanning is needed, and why (ja, en)."""
    if options.ble:
        return True, "--ble の指定", "--ble was given"
    path = options.config or target.path(CONFIG_FILE)
    if not path.exists():
        return False, f"設定 {path} がまだない", f"no config at {path} yet"
    try:
        doc = configfile.read_yaml(path)
    except ConfigError as exc:
        problems = "\n".join(str(p) for p in exc.problems)
        raise InstallError(
            f"設定 {path} を読めません。直すか --ble を付けてください:\n{problems}",
            f"cannot read the config {path}: fix it, or give --ble:\n{problems}",
            code=USAGE,
        ) from exc
    data = doc.data if isinstance(doc.data, dict) else {}
    receivers = data.get("receivers")
    for receiver in receivers if isinstance(receivers, list) else []:
        if (
            isinstance(receiver, dict)
            and receiver.get("driver") == "ble"
            and receiver.get("mode", "auto") != "active"
        ):
            return True, f"{path} の BLE 受信機", f"a ble receiver in {path}"
    return (
        False,
        f"{path} に BLE 受信機（passive/auto）がない",
        f"no passive ble receiver in {path}",
    )


def bluez_step(options: Options, target: Target, system: System) -> Step:
    """BlueZ with its experimental features: the passive scanning that spares batteries."""
    step = Step("BlueZ のパッシブスキャン", "BlueZ passive scanning")
    needed, why_ja, why_en = wants_ble(options, target)
    if not needed:
        step.note(f"不要です（{why_ja}）", f"not needed ({why_en})")
        return step
    unit = next((target.path(u) for u in BLUEZ_UNITS if target.path(u).is_file()), None)
    exec_start = bluez_exec_start(unit.read_text(errors="replace")) if unit else None
    if exec_start is None:
        raise InstallError(
            f"BLE を使うには bluez が要ります（{why_ja}）。"
            "sudo apt-get install -y bluez のあと、もう一度実行してください",
            f"BLE needs bluez ({why_en}): sudo apt-get install -y bluez, then run again",
        )
    if has_experimental(exec_start) or _experimental_in_main_conf(target):
        step.note(
            "BlueZ の実験的機能はもう有効です（このままで使えます）",
            "BlueZ's experimental features are on already",
        )
        return step
    step.changes += ensure_file(
        target, BLUEZ_DROP_IN, bluez_drop_in(exec_start), owner=ROOT_ROOT, mode=0o644, system=system
    )
    if step.changes and target.live:
        _daemon_reload(step)
        step.run(
            "動いている BlueZ を再起動する",
            "restart BlueZ if it runs",
            ["systemctl", "try-restart", "bluetooth.service"],
        )
    return step


def _experimental_in_main_conf(target: Target) -> bool:
    path = target.path(BLUEZ_MAIN_CONF)
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return False
    return re.search(r"^\s*Experimental\s*=\s*true\s*$", text, re.MULTILINE | re.I) is not None


def unit_step(options: Options, target: Target, system: System) -> Step:
    """The daemon's unit, installed and enabled (started once its config is there)."""
    step = Step("systemd ユニット", "the systemd unit")
    step.changes += ensure_file(
        target, UNIT, edge_unit(options.program), owner=ROOT_ROOT, mode=0o644, system=system
    )
    if step.changes and target.live:
        _daemon_reload(step)
        step.note(
            "動いているなら、sudo systemctl restart mimamori-edge で新しいユニットになります",
            "if it runs: sudo systemctl restart mimamori-edge to use the new unit",
        )
    if not _enabled(target):
        root = [] if target.root == Path("/") else [f"--root={target.root}"]
        step.run(
            "起動時に動くようにする（enable）",
            "enable it at boot",
            ["systemctl", *root, "enable", UNIT_NAME],
        )
    return step


def _enabled(target: Target) -> bool:
    """What `systemctl enable` makes for WantedBy=multi-user.target: the wants link."""
    return target.path(WANTS).is_symlink()


def _daemon_reload(step: Step) -> None:
    step.run(
        "systemd に読み直させる",
        "make systemd read its units again",
        ["systemctl", "daemon-reload"],
    )
