"""``mimamori edge install``: the gateway's setup of docs/install-pi.md, done by the
project's own installer on Raspberry Pi OS / Debian 12.

    plan(options, target, system) -> [Step]     each step: the changes it needs (reads only)
    carry_out(steps, system, out, dry_run=...)  say them; apply them unless a dry run

The steps: the system user and its groups; the config, TLS and data directories with
their owners and modes; the serial receiver's udev rule; BlueZ's experimental features
for passive scanning (a drop-in, only when BLE is used); the systemd unit, installed and
enabled. Idempotent: what is in place needs no change, and a second run says so.

Why an installer and not a .deb: docs/install-pi.md ("Why not a Debian package").
"""

from mimamori.edge.install.model import InstallError, Options, Step, Target, UsbIds

__all__ = ["InstallError", "Options", "Step", "Target", "UsbIds"]
