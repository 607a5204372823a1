"""Benchmarks: programs that print figures (``mimamori bench ...``), never assertions."""
