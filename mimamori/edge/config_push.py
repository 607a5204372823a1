"""A config from the hub (the ``config`` command, issue 20), applied with a rollback.

Where the files are. The installed file (``--config``, ``/etc/mimamori/gateway.yaml``)
is root's and the unit keeps ``/etc`` read-only (``ProtectSystem=strict``), so a config
from the hub is written to the gateway's own ``data_dir``, beside its outbox:
``gateway.yaml`` (the config in use), ``gateway.yaml.prev`` (the one before it),
``gateway.yaml.failed`` (the last one that was rolled back, for the technician). At
start the daemon runs the hub's file when there is one (``ConfigFiles.in_use``).
Relative paths in either file are relative to the *installed* file's directory, where
enrollment put the broker password and the town's CA.

What is applied how. The command's YAML is checked here as ``mimamori check`` would
(the hub checked it too; this gateway's files are the last word), then:

* ``gateway.id``, ``broker``, ``data_dir`` and ``outbox`` cannot change this way
  (``refused``): they own the connection that carries the command, the outbox and its
  events; a change there is an enrollment or a technician at the machine.
* only what SIGHUP may change (``reload.LIVE_KEYS``) and the gateway's name and place:
  applied at once, like a reload.
* receivers, buttons or the household: the drivers are restarted in this process. The
  old drivers stop (releasing their ports), the new ones start, and every one of them
  must be ``up`` within the command's ``trial_s``; else the new ones stop and drivers
  built from the previous config start again (``rolled_back``, with which driver did
  not come up and why).

The file in use is replaced (atomically, the previous one kept as ``.prev``) only once
the new config runs, so a gateway that dies during the trial starts again on the old
one. Every outcome goes back to the hub as a ``config.result`` event through the
outbox (so it survives a lost connection), and the status's ``config_hash`` names
the config running.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mimamori import configfile
from mimamori.edge.config import GatewayConfig
from mimamori.edge.reload import LIVE_KEYS, changed_keys
from mimamori.errors import ConfigError
from mimamori.protocol.commands import ConfigCommand
from mimamori.protocol.events import ConfigOutcome, ConfigResultData, EventDraft, EventKind

if TYPE_CHECKING:
    from mimamori.edge.daemon import EdgeDaemon

log = logging.getLogger(__name__)

PUSHED_NAME = "gateway.yaml"  # in data_dir
# Never changed by a command: the link that carries it, the outbox and its events.
FIXED_KEYS = frozenset({"broker", "data_dir", "outbox"})
# Changed with the drivers restarted in-process.
DRIVER_KEYS = frozenset({"receivers", "buttons", "household"})
UP_POLL_S = 0.1  # how often the new drivers' states are read during a trial


@dataclass(frozen=True)
class ConfigFiles:
    """The installed file and, once the hub sent one, the hub's file in ``data_dir``."""

    installed: Path

    @property
    def base_dir(self) -> Path:
        return self.installed.resolve().parent

    def load(self, path: Path) -> GatewayConfig:
        return configfile.load(path, GatewayConfig, {"base_dir": self.base_dir})

    def pushed(self, config: GatewayConfig) -> Path:
        return config.data_dir / PUSHED_NAME

    def in_use(self) -> tuple[Path, GatewayConfig]:
        """The file to run and its config: the hub's when there is a valid one. A hub's
        file that cannot be read is logged and passed over (the installed one runs)."""
        installed = self.load(self.installed)
        pushed = self.pushed(installed)
        if not pushed.exists():
            return self.installed, installed
        try:
            config = self.load(pushed)
        except ConfigError as exc:
            log.error("the hub's config %s cannot be used, running %s: %s", pushed,
                      self.installed, "; ".join(str(p) for p in exc.problems))  # fmt: skip
            return self.installed, installed
        if config.data_dir != installed.data_dir or config.gateway.id != installed.gateway.id:
            log.error("the hub's config %s names another gateway or data_dir: running %s",
                      pushed, self.installed)  # fmt: skip
            return self.installed, installed
        return pushed, config


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    tmp.replace(path)


def _commit(pushed: Path, text: str, running: Path) -> None:
    """``text`` becomes the file in use; what ran before is kept as ``.prev``."""
    prev = pushed.with_name(pushed.name + ".prev")
    _write_atomically(prev, running.read_text(encoding="utf-8"))
    _write_atomically(pushed, text)
    fd = os.open(pushed.parent, os.O_RDONLY)  # the renames themselves survive a power cut
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ConfigPush:
    """Applies the hub's config commands to ``daemon``, one at a time."""

    def __init__(self, daemon: EdgeDaemon, files: ConfigFiles, running: Path) -> None:
        self.daemon = daemon
        self.files = files
        self.running = running  # the file the running config was read from
        self.busy = False
        self.task: asyncio.Task[None] | None = None  # the command being applied

    def take(self, command: ConfigCommand, group: asyncio.TaskGroup) -> None:
        """Apply ``command`` in a task of ``group``; refused while another is applied."""
        if self.task is not None:
            self.daemon.counters["commands_rejected"] += 1
            log.warning("config %d from the hub refused: another is being applied",
                        command.version)  # fmt: skip
            return
        self.task = group.create_task(self._run(command), name=f"config-{command.version}")

    async def _run(self, command: ConfigCommand) -> None:
        try:
            result = await self.apply(command)
        finally:
            self.task = None
        counters = self.daemon.counters
        key = f"configs_{result.result}"
        counters[key] = counters.get(key, 0) + 1
        now = self.daemon.clock.now()
        await self.daemon.commit([EventDraft(EventKind.CONFIG_RESULT, now, result.model_dump())])

    async def apply(self, command: ConfigCommand) -> ConfigResultData:
        """Apply ``command`` (or refuse it, or roll it back); the result, as reported."""
        self.busy = True
        try:
            outcome, reason = await self._apply(command)
        except OSError as exc:  # a full disk, a data_dir gone read-only
            outcome, reason = "refused", f"cannot write the config: {exc.strerror or exc}"
        except Exception as exc:  # never the daemon's end: said to the hub, logged whole
            log.exception("config %d from the hub failed", command.version)
            outcome, reason = "refused", f"{type(exc).__name__}: {exc}"
        finally:
            self.busy = False
        result = ConfigResultData(version=command.version, sha256=command.sha256,
                                  result=outcome, reason=reason[:200],
                                  config_hash=self.daemon.config.digest())  # fmt: skip
        level = logging.INFO if outcome == "applied" else logging.ERROR
        log.log(level, "config %d from the hub %s%s (running %s)", command.version,
                outcome, f": {reason}" if reason else "", result.config_hash)  # fmt: skip
        return result

    async def _apply(self, command: ConfigCommand) -> tuple[ConfigOutcome, str]:
        old = self.daemon.config
        pushed = self.files.pushed(old)
        staged = pushed.with_name(pushed.name + ".new")
        _write_atomically(staged, command.yaml)
        try:
            new = self.files.load(staged)
        except ConfigError as exc:
            staged.unlink(missing_ok=True)
            first = exc.problems[0]
            return "refused", f"{first.line}:{first.column}: {first.key}: {first.message}"
        if new.gateway.id != old.gateway.id:
            staged.unlink(missing_ok=True)
            return "refused", f"gateway.id is {old.gateway.id}, not {new.gateway.id}"
        if fixed := [k for k in changed_keys(old, new) if k in FIXED_KEYS]:
            staged.unlink(missing_ok=True)
            return "refused", f"{', '.join(fixed)} cannot change from the hub (enroll again)"
        if drivers := [k for k in changed_keys(old, new) if k in DRIVER_KEYS]:
            log.info("config %d changes %s: restarting the drivers", command.version,
                     ", ".join(drivers))  # fmt: skip
            if (failed := await self._trial(new, command.trial_s)) is not None:
                staged.replace(pushed.with_name(pushed.name + ".failed"))
                return "rolled_back", failed
        live = [k for k in changed_keys(old, new) if k in LIVE_KEYS | {"gateway"}]
        try:
            _commit(pushed, command.yaml, self.running)
        except OSError as exc:  # the new drivers run, the file cannot say so: go back
            if drivers:
                await self.daemon.stop_drivers()
                self.daemon.start_drivers(old)
            return "rolled_back" if drivers else "refused", f"cannot write {pushed}: {exc}"
        staged.unlink(missing_ok=True)
        self.running = pushed
        self.daemon.reconfigure(new)
        return "applied", ", ".join(drivers + live) or "nothing changed"

    async def _trial(self, new: GatewayConfig, trial_s: float) -> str | None:
        """Run ``new``'s drivers; None once every one is up, else why not (and the
        previous config's drivers run again)."""
        daemon = self.daemon
        old = daemon.config
        await daemon.stop_drivers()
        try:
            daemon.start_drivers(new)
        except Exception as exc:  # a driver that cannot even be built (its library missing)
            log.exception("config: the new drivers could not be built")
            daemon.start_drivers(old)
            return f"drivers not built: {type(exc).__name__}: {exc}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + trial_s
        while loop.time() < deadline:
            if all(d.status().state == "up" for d in daemon.drivers):
                return None
            await asyncio.sleep(UP_POLL_S)  # hardware coming up, not our logic
        not_up = [
            f"{d.id}: {status.state}{f' ({status.detail})' if status.detail else ''}"
            for d in daemon.drivers
            if (status := d.status()).state != "up"
        ]
        await daemon.stop_drivers()
        daemon.start_drivers(old)
        return f"not up within {trial_s:g} s: {'; '.join(not_up)}"
