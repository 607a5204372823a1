"""``mimamori check``: validate gateway and hub files, and registers to import,
without starting anything."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mimamori import configfile
from mimamori.errors import ConfigError, Problem
from mimamori.settings import context_for

if TYPE_CHECKING:
    from mimamori.edge.config import GatewayConfig


def _hub_file(doc: configfile.YamlDocument, path: Path) -> list[Problem]:
    """A hub file: its service settings, and any register keys it still holds (refused:
    they belong in the database; checked as ``mimamori hub import`` would read them)."""
    from mimamori.hub.config import (
        HubConfig,
        cleartext_urls,
        register_keys_problems,
        split_register,
    )
    from mimamori.hub.register.yaml_format import RegisterFile

    service, register = split_register(doc)
    problems = register_keys_problems(doc, path)
    try:
        config = configfile.validate(service, HubConfig, context_for(path))
    except ConfigError as exc:
        problems += exc.problems
        config = None
    if register is not None:
        try:
            configfile.validate(register, RegisterFile, context_for(path))
        except ConfigError as exc:
            problems += exc.problems
    if problems or config is None:
        return sorted(problems, key=lambda p: (p.line, p.column))
    return [doc.problem(at, why, warning=True) for at, why in cleartext_urls(config)]


def _a_register(data: dict[str, object]) -> bool:
    """A file of the register's keys only (``mimamori hub import --register``)."""
    from mimamori.hub.register.yaml_format import REGISTER_KEYS

    return any(key in REGISTER_KEYS for key in data)


def check_file(path: Path) -> list[Problem]:
    """Every problem in one file, and its warnings; none when it is a valid config
    with nothing to warn of."""
    try:
        doc = configfile.read_yaml(path)
        data = doc.data if isinstance(doc.data, dict) else {}
        if "gateway" in data:
            from mimamori.edge.config import GatewayConfig

            configfile.validate(doc, GatewayConfig, context_for(path))
        elif "hub" in data:
            return _hub_file(doc, path)
        elif _a_register(data):
            from mimamori.hub.register.yaml_format import RegisterFile

            configfile.validate(doc, RegisterFile, context_for(path))
        else:
            return [
                doc.problem(
                    (), "not a mimamori file: expected a top-level 'gateway:' or 'hub:' key"
                )
            ]
    except ConfigError as exc:
        return exc.problems
    return []


def check_files(paths: list[Path]) -> list[Problem]:
    return [problem for path in paths for problem in check_file(path)]


def check_gateway_text(
    text: str, file: str, base_dir: Path
) -> tuple[list[Problem], GatewayConfig | None]:
    """A gateway's YAML given as text (the hub's config editor): the problems
    ``mimamori check`` would report for it as a file in ``base_dir``, and the config
    when there is none. A file of another kind (a hub's) is a problem here."""
    from mimamori.edge.config import GatewayConfig

    try:
        doc = configfile.parse_yaml(text, file)
        if not isinstance(doc.data, dict) or "gateway" not in doc.data:
            why = "not a gateway file: expected a top-level 'gateway:' key"
            return [doc.problem((), why)], None
        return [], configfile.validate(doc, GatewayConfig, {"base_dir": base_dir})
    except ConfigError as exc:
        return exc.problems, None
