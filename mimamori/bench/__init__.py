"""Benchmarks: programs that print figures (``mimamori bench ...``), never assertions."""

import sys


def mimamori_command(*args: str) -> list[str]:
    """``python -m mimamori --log-level warning ARGS``: a part of the product run as a
    child process, as an operator runs it, with its info lines kept out of the figures."""
    return [sys.executable, "-m", "mimamori", "--log-level", "warning", *args]
