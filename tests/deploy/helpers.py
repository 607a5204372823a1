"""Helpers for deployment tests: the real ``mimamori`` commands as processes, with
the environment systemd would give them, and config files written as a technician
would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

TOWN = "fda50693-a4e2-4fb1-afcf-c6eb07647825"
TAG = f"ibeacon:{TOWN}:7:7"


def person_with(*tags: str) -> dict[str, Any]:
    """A person carrying ``tags``, with the consent on record that the hub needs before it
    keeps their sightings (docs/privacy.md)."""
    consent = {"by": "本人", "at": "2026-10-01", "purposes": ["location"]}
    return {"id": "p-1", "name": "比嘉 ツル", "tags": list(tags), "consent": consent}


def write_yaml(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_hub(path: Path, doc: dict[str, Any]) -> Path:
    """A hub's files as a technician has them now: its settings at ``path`` (the
    ``hub:`` key) and its register beside it (the other keys), moved into its database
    by ``mimamori hub import``, run as a process."""
    register = {k: v for k, v in doc.items() if k != "hub"}
    write_yaml(path, {"hub": doc["hub"]})
    if register:
        write_yaml(path.with_name("register.yaml"), register)
        done = subprocess.run(
            [sys.executable, "-m", "mimamori", "hub", "import", "--config", str(path),
             "--register", str(path.with_name("register.yaml"))],
            capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    return path


def gateway_doc(gw: str, port: int, tty: Path, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "gateway": {"id": gw, "name": "大山 自販機", "lat": 26.279, "lon": 127.776},
        "broker": {"host": "127.0.0.1", "port": port, "keepalive_s": 5},
        "receivers": [{"id": "vm", "driver": "serial_line", "port": str(tty), "reopen_max_s": 1}],
        "tags": {"allow": [f"ibeacon:{TOWN}:*"]},
        "presence": {"leave_after_s": 4, "report_interval_s": 2},
        "data_dir": f"data/{gw}",
        "status_interval_s": 2,
    }
    doc.update(overrides)
    return doc


class Process:
    """One ``python -m mimamori ...`` with its output in a log file."""

    def __init__(self, log: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.log_path = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "mimamori", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # a process that hangs is sent SIGABRT first: its stacks go to the log
                env=os.environ | {"PYTHONFAULTHANDLER": "1"} | (env or {}),
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, within: float = 15.0, count: int = 1) -> None:
        deadline = time.monotonic() + within
        while self.log().count(text) < count:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared {count}x:\n{self.log()}")
            time.sleep(0.05)

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGABRT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            raise AssertionError(f"did not stop within {timeout} s:\n{self.log()}") from None
