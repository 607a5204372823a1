"""The ``hci_uart`` receiver in the gateway YAML, as ``mimamori check`` sees it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mimamori.check import check_file
from mimamori.edge.config import HciReceiver, load_gateway_config
from mimamori.edge.liveness import receiver_limits

HEAD = """\
gateway:
  id: gw-1
  name: 商店
  lat: 26.28
  lon: 127.78
broker:
  host: localhost
tags:
  allow: ["ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:*"]
data_dir: data
receivers:
  - id: hci
    driver: hci_uart
    port: /dev/ttyAMA0
"""


def write(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "gw.yaml"
    path.write_text(HEAD + extra, encoding="utf-8")
    return path


def test_an_hci_receiver_needs_only_a_port_and_has_safe_defaults(tmp_path: Path) -> None:
    [receiver] = load_gateway_config(write(tmp_path)).receivers
    assert isinstance(receiver, HciReceiver)
    assert (receiver.baudrate, receiver.flow_control, receiver.scanning) == (115200, True, "auto")
    assert receiver.scan_window_ms == receiver.scan_interval_ms == 100


def test_bad_hci_keys_are_reported_where_they_were_written(tmp_path: Path) -> None:
    path = write(tmp_path, "    baudrate: 1000001\n    scanning: fast\n    scan_every_ms: 5\n")
    assert [(p.line, p.key) for p in check_file(path)] == [
        (15, "receivers[0].baudrate"),
        (16, "receivers[0].scanning"),
        (17, "receivers[0].scan_every_ms"),
    ]


def test_a_scan_window_longer_than_its_interval_is_refused_by_the_command(tmp_path: Path) -> None:
    path = write(tmp_path, "    scan_interval_ms: 50\n    scan_window_ms: 60\n")
    run = subprocess.run(
        [sys.executable, "-m", "mimamori", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert run.stdout.strip() == (
        f"{path}:12:5: receivers[0]: scan_window_ms must not exceed scan_interval_ms"
    )


def test_the_systemd_watchdog_gives_an_hci_receiver_time_for_a_quiet_restart(
    tmp_path: Path,
) -> None:
    config = load_gateway_config(write(tmp_path, "    watchdog_s: 40\n"))
    # twice the quiet time after which the driver sets the controller up again, and the
    # setup's six commands at 2 s each, with room to spare
    assert receiver_limits(config) == {"hci": 2 * 40 + 15}
