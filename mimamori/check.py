"""``mimamori check``: validate gateway and hub files without starting anything."""

from __future__ import annotations

from pathlib import Path

from mimamori import configfile
from mimamori.errors import ConfigError, Problem
from mimamori.settings import context_for


def check_file(path: Path) -> list[Problem]:
    """Every problem in one file, and its warnings; none when it is a valid config
    with nothing to warn of."""
    try:
        doc = configfile.read_yaml(path)
        if isinstance(doc.data, dict) and "gateway" in doc.data:
            from mimamori.edge.config import GatewayConfig

            configfile.validate(doc, GatewayConfig, context_for(path))
        elif isinstance(doc.data, dict) and "hub" in doc.data:
            from mimamori.hub.config import HubConfig, cleartext_urls

            config = configfile.validate(doc, HubConfig, context_for(path))
            return [doc.problem(at, why, warning=True) for at, why in cleartext_urls(config)]
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
