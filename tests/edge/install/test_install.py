"""``mimamori edge install`` on a temporary tree, its commands recorded (helpers.Recorder)."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest

from mimamori.edge.install.model import REFUSED, InstallError, Options, Target, UsbIds
from mimamori.edge.install.render import bluez_drop_in, udev_rule
from mimamori.edge.install.run import carry_out
from mimamori.edge.install.steps import plan
from tests.edge.install.helpers import PROGRAM, Recorder, make_tree, snapshot

USB = UsbIds("10c4", "ea60", "0001")
ASKED = Options(usb=USB, ble=True)
RULE = "/etc/udev/rules.d/99-mimamori.rules"
DROP_IN = "/etc/systemd/system/bluetooth.service.d/mimamori.conf"
UNIT = "/etc/systemd/system/mimamori-edge.service"
# Each part, its owner and its mode, as docs/install-pi.md sets them.
PARTS = {
    "/etc/mimamori": (("root", "mimamori"), 0o750),
    "/etc/mimamori/tls": (("root", "mimamori"), 0o750),
    "/var/lib/mimamori": (("mimamori", "mimamori"), 0o700),
    RULE: (("root", "root"), 0o644),
    DROP_IN: (("root", "root"), 0o644),
    UNIT: (("root", "root"), 0o644),
}


def install(
    recorder: Recorder, options: Options = ASKED, *, live: bool = False, dry_run: bool = False
) -> tuple[int, str]:
    out = io.StringIO()
    steps = plan(options, Target(recorder.root, live=live), recorder)
    code = carry_out(steps, recorder, out, dry_run=dry_run)
    return code, out.getvalue()


def at(tree: Path, path: str) -> Path:
    return tree / path.lstrip("/")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "root", bluez=True)


def test_a_first_run_makes_every_part_with_its_owner_and_mode(tree: Path) -> None:
    recorder = Recorder(tree)
    code, out = install(recorder)
    assert code == 0
    assert recorder.commands == [
        [
            "useradd",
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            "--groups",
            "dialout,bluetooth",
            "--root",
            str(tree),
            "mimamori",
        ],
        ["systemctl", f"--root={tree}", "enable", "mimamori-edge.service"],
    ]
    for path, (owner, wanted) in PARTS.items():
        assert recorder.chowns[path] == owner, path
        assert mode(at(tree, path)) == wanted, path
    assert at(tree, RULE).read_text() == udev_rule(USB)
    assert at(tree, DROP_IN).read_text() == bluez_drop_in("/usr/libexec/bluetooth/bluetoothd")
    unit = at(tree, UNIT).read_text()
    assert f"\nExecStart={PROGRAM} edge --config /etc/mimamori/gateway.yaml\n" in unit
    assert "\nSupplementaryGroups=dialout bluetooth\n" in unit
    assert at(
        tree, "/etc/systemd/system/multi-user.target.wants/mimamori-edge.service"
    ).is_symlink()
    assert out.rstrip().endswith("8 件を変更しました | 8 change(s) made")
    assert not list(tree.rglob(".*.mimamori-install"))  # no temporary file left behind


def test_a_second_run_changes_nothing_and_says_so(tree: Path) -> None:
    recorder = Recorder(tree)
    install(recorder)
    commands, owners, before = len(recorder.commands), dict(recorder.chowns), snapshot(tree)
    code, out = install(recorder)
    assert code == 0
    assert len(recorder.commands) == commands and recorder.chowns == owners
    assert snapshot(tree) == before
    assert out.count("  = 変更なし | nothing to change") == 5
    assert out.rstrip().endswith(
        "変更はありません。すべて設定済みです | nothing to change: all in place"
    )


def test_a_dry_run_prints_every_change_and_makes_none(tree: Path) -> None:
    before = snapshot(tree)
    recorder = Recorder(tree)
    code, out = install(recorder, live=True, dry_run=True)
    assert code == 0
    assert snapshot(tree) == before
    assert recorder.commands == [] and recorder.chowns == {}
    for number in range(1, 6):
        assert f"[{number}/5] " in out
    for path in PARTS:
        assert path in out
    assert "$ useradd --system" in out and "$ udevadm control --reload" in out
    assert out.rstrip().endswith(
        "13 件を変更します（--dry-run なので何も変えていません） | "
        "13 change(s) to make (dry run: nothing was changed)"
    )


def test_on_the_running_system_udev_systemd_and_bluez_are_told_to_reload(tree: Path) -> None:
    recorder = Recorder(tree)
    install(recorder, live=True)
    said = [" ".join(c[:3]) for c in recorder.commands]
    assert said == [
        "useradd --system --user-group",
        "udevadm control --reload",
        "udevadm trigger --subsystem-match=tty",
        "systemctl daemon-reload",
        "systemctl try-restart bluetooth.service",
        "systemctl daemon-reload",
        f"systemctl --root={tree} enable",
    ]
    recorder.commands.clear()
    install(recorder, live=True)
    assert recorder.commands == []  # nothing changed: nothing to reload


def test_the_tree_is_left_without_reloads(tree: Path) -> None:
    recorder = Recorder(tree)
    install(recorder, live=False)
    assert not [c for c in recorder.commands if c[0] == "udevadm" or "daemon-reload" in c]


def test_what_drifted_is_put_back_and_a_rewrite_shows_its_difference(tree: Path) -> None:
    recorder = Recorder(tree)
    install(recorder)
    at(tree, "/etc/mimamori").chmod(0o755)
    recorder.chowns["/var/lib/mimamori"] = ("root", "root")
    code, out = install(recorder, Options(usb=UsbIds("10c4", "ea60", "0002"), ble=True))
    assert code == 0
    assert "/etc/mimamori の権限を 0755 から 0750 にする" in out
    assert "give /var/lib/mimamori to mimamori:mimamori (now root:root)" in out
    assert f"ファイルを書き換える {RULE}" in out
    assert (
        '-SUBSYSTEM=="tty", ATTRS{idVendor}=="10c4", ATTRS{idProduct}=="ea60", ATTRS{serial}' in out
    )
    assert mode(at(tree, "/etc/mimamori")) == 0o750
    assert recorder.chowns["/var/lib/mimamori"] == ("mimamori", "mimamori")
    assert 'ATTRS{serial}=="0002"' in at(tree, RULE).read_text()
    assert out.rstrip().endswith("3 件を変更しました | 3 change(s) made")


def test_an_existing_user_is_only_added_to_the_groups_it_lacks(tree: Path) -> None:
    with at(tree, "/etc/passwd").open("a") as f:
        f.write("mimamori:x:990:990::/nonexistent:/usr/sbin/nologin\n")
    with at(tree, "/etc/group").open("a") as f:
        f.write("mimamori:x:990:\n")
    at(tree, "/etc/group").write_text(
        at(tree, "/etc/group").read_text().replace("dialout:x:20:", "dialout:x:20:mimamori")
    )
    recorder = Recorder(tree)
    install(recorder, Options())
    assert recorder.commands[0] == [
        "usermod",
        "--append",
        "--groups",
        "bluetooth",
        "--root",
        str(tree),
        "mimamori",
    ]


def test_a_group_of_the_users_name_is_joined_and_a_missing_bluetooth_group_made(
    tmp_path: Path,
) -> None:
    tree = make_tree(tmp_path / "root")  # no bluez: no bluetooth group either
    with at(tree, "/etc/group").open("a") as f:
        f.write("mimamori:x:990:\n")
    recorder = Recorder(tree)
    install(recorder, Options())
    assert recorder.commands[0] == ["groupadd", "--system", "--root", str(tree), "bluetooth"]
    useradd = recorder.commands[1]
    assert useradd[:4] == ["useradd", "--system", "--gid", "mimamori"]
    assert "--user-group" not in useradd


def test_ble_without_bluez_is_refused_before_anything_changes(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "root")
    before = snapshot(tree)
    recorder = Recorder(tree)
    with pytest.raises(InstallError) as refused:
        install(recorder, Options(ble=True))
    assert refused.value.ja.startswith("BLE を使うには bluez が要ります")
    assert "apt-get install -y bluez" in refused.value.en
    assert snapshot(tree) == before and recorder.commands == []


@pytest.mark.parametrize(
    ("receivers", "needed"),
    [
        ("[{id: pi, driver: ble}]", True),
        ("[{id: pi, driver: ble, mode: passive}]", True),
        ("[{id: pi, driver: ble, mode: active}]", False),
        ("[{id: vm, driver: serial_line, port: /dev/mimamori-receiver}]", False),
    ],
)
def test_the_bluez_drop_in_follows_the_receivers_in_the_config(
    tree: Path, receivers: str, needed: bool
) -> None:
    config = at(tree, "/etc/mimamori/gateway.yaml")
    config.parent.mkdir(parents=True)
    config.write_text(f"gateway: {{id: gw-1}}\nreceivers: {receivers}\n")
    code, out = install(Recorder(tree), Options())
    assert code == 0
    assert at(tree, DROP_IN).exists() == needed
    assert ("gateway.yaml に BLE 受信機（passive/auto）がない" in out) != needed


def test_a_config_that_cannot_be_read_is_refused_with_its_place(tree: Path) -> None:
    config = at(tree, "/etc/mimamori/gateway.yaml")
    config.parent.mkdir(parents=True)
    config.write_text("gateway: {id: gw-1}\nreceivers: [\n")
    with pytest.raises(InstallError) as refused:
        install(Recorder(tree), Options())
    assert refused.value.code == 2
    assert f"{config}:3:1" in refused.value.en and "--ble" in refused.value.ja


def test_bluez_with_experimental_features_on_already_needs_no_drop_in(tree: Path) -> None:
    conf = at(tree, "/etc/bluetooth/main.conf")
    conf.parent.mkdir(parents=True)
    conf.write_text("[General]\n#Experimental = false\nExperimental = true\n")
    code, out = install(Recorder(tree))
    assert code == 0 and not at(tree, DROP_IN).exists()
    assert "BlueZ の実験的機能はもう有効です" in out


def test_a_failing_command_stops_the_run_and_a_second_run_finishes_it(tree: Path) -> None:
    recorder = Recorder(tree, fail="useradd")
    code, out = install(recorder)
    assert code == REFUSED
    assert "  ! 失敗しました: useradd が失敗しました | failed: useradd failed (recorded)" in out
    assert "0 件を変更したところで止まりました" in out
    assert not at(tree, "/etc/mimamori").exists()  # nothing after the failure was done
    recorder.fail = None
    code, out = install(recorder)
    assert code == 0 and out.rstrip().endswith("8 件を変更しました | 8 change(s) made")


def test_a_path_in_the_way_is_refused_with_what_to_do(tree: Path) -> None:
    at(tree, "/etc/mimamori").write_text("a file where a directory belongs")
    with pytest.raises(InstallError) as refused:
        install(Recorder(tree))
    assert refused.value.ja.startswith("/etc/mimamori がディレクトリではありません")
