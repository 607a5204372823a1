"""The safety roll-call (安否確認) after an earthquake or a typhoon: docs/rollcall.md."""
