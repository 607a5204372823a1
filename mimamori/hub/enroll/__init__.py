"""Gateways enrolled with a one-time code: ``hub gateway enroll`` gives the code, the Pi's
``mimamori edge enroll`` trades it for its account, the town's CA and its YAML."""
