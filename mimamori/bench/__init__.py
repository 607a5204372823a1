"""Benchmarks: programs that print figures (``mimamori bench ...``), never assertions."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml


def mimamori_command(*args: str) -> list[str]:
    """``python -m mimamori --log-level warning ARGS``: a part of the product run as a
    child process, as an operator runs it, with its info lines kept out of the figures."""
    return [sys.executable, "-m", "mimamori", "--log-level", "warning", *args]


def hub_files(path: Path, doc: dict[str, Any]) -> Path:
    """A hub as an operator has it: its settings (``doc``'s ``hub:``) at ``path``, its
    register (the other keys) beside it, moved into its database by ``mimamori hub
    import`` run as a process. Returns ``path``; raises CalledProcessError (with what
    the import said) when the import refuses."""
    path.write_text(yaml.safe_dump({"hub": doc["hub"]}, allow_unicode=True), encoding="utf-8")
    register = {key: value for key, value in doc.items() if key != "hub"}
    if register:
        register_path = path.with_name(f"register-{path.name}")
        text = yaml.safe_dump(register, allow_unicode=True, sort_keys=False)
        register_path.write_text(text, encoding="utf-8")
        command = ["hub", "import", "--config", str(path), "--register", str(register_path)]
        subprocess.run(mimamori_command(*command), capture_output=True, text=True, check=True)
    return path
