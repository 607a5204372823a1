"""Sending one notification to one channel: the ``Sender`` port and its apprise adapter.

apprise speaks LINE, e-mail, JSON webhooks, ntfy, SMS gateways and some hundred more
through URLs, so the hub needs no code per service. It is synchronous: each send runs in
a worker thread with a timeout. Its log lines of that send (and only that send's) are
collected to say why a delivery failed. Channel URLs carry tokens and passwords: they
never appear in a log line or an error; only ``redact(url)`` (scheme and host) does.

The dedupe key travels as a header where the channel has headers: ``X-Mimamori-Dedupe-Key``
on JSON webhooks (``json://``, ``jsons://``) and e-mail (``mailto://``, ``mailtos://``),
through apprise's ``+Header=value`` URL arguments. Other channels (LINE, ntfy, SMS) get
the message at least once, with no way to drop a retried copy.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode, urlsplit

import apprise

log = logging.getLogger(__name__)

DEDUPE_HEADER = "X-Mimamori-Dedupe-Key"
_HEADER_SCHEMES = frozenset({"json", "jsons", "mailto", "mailtos"})
# Schemes whose host part is a host. Many others put a token there (line://TOKEN/...).
_HOST_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos"})


@dataclass(frozen=True)
class Delivery:
    ok: bool
    error: str = ""  # why not, in a few words, never with a secret
    # No retry will help (LINE refused it for the month's allowance, or the recipient
    # is no longer bound): the notice goes to the recipient's other channels instead.
    refused: bool = False


class Sender(Protocol):
    async def send(self, url: str, title: str, body: str, *, dedupe_key: str) -> Delivery: ...


def redact(url: str) -> str:
    """Scheme (and host, where it is one) of a channel URL: enough to tell channels
    apart, never a secret."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower() or "?"
        if scheme not in _HOST_SCHEMES:
            return f"{scheme}://…"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(malformed URL)"
    return f"{scheme}://{parts.hostname or '?'}{port}"


def with_dedupe_key(url: str, key: str) -> str:
    if urlsplit(url).scheme.lower() not in _HEADER_SCHEMES:
        return url
    return url + ("&" if "?" in url else "?") + urlencode({f"+{DEDUPE_HEADER}": key})


class _Lines(logging.Handler):
    """Collects apprise's warnings during one send (sends are one at a time: _ONE)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


# apprise may notify from its own threads, so its log lines cannot be told apart by
# thread: one send at a time per process, which the delivery worker does anyway.
_ONE = threading.Lock()


class AppriseSender:
    def __init__(self, timeout_s: float = 20.0) -> None:
        self.timeout_s = timeout_s

    async def send(self, url: str, title: str, body: str, *, dedupe_key: str) -> Delivery:
        where = redact(url)
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(self._send, url, title, body, dedupe_key), self.timeout_s
            )
        except TimeoutError:
            return Delivery(False, f"{where}: no answer within {self.timeout_s:g} s")
        except Exception as exc:
            return Delivery(False, f"{where}: {type(exc).__name__}")

    def _send(self, url: str, title: str, body: str, dedupe_key: str) -> Delivery:
        where = redact(url)
        notifier = apprise.Apprise()
        if not notifier.add(with_dedupe_key(url, dedupe_key)):
            return Delivery(False, f"unsupported or malformed notification URL ({where})")
        captured = _Lines()
        logger = logging.getLogger("apprise")
        with _ONE:
            logger.addHandler(captured)
            try:
                ok = bool(notifier.notify(title=title, body=body))
            finally:
                logger.removeHandler(captured)
        if ok:
            return Delivery(True)
        reason = captured.lines[-1] if captured.lines else "the channel refused it"
        return Delivery(False, f"{where}: {_scrub(reason, url)}")


def _scrub(text: str, url: str) -> str:
    """apprise's own words, without anything of the URL beyond scheme and host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(details withheld)"
    secrets = [parts.password, parts.username, parts.path.strip("/"), parts.query]
    if parts.scheme.lower() not in _HOST_SCHEMES:
        secrets.append(parts.hostname)
    secrets += parts.path.strip("/").split("/")
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text[:300]
