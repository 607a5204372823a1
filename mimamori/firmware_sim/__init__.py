"""Simulated hardware: tags, receiver firmware on ptys, walkers, a town; see README.md.

Kept empty on purpose: ``mimamori.firmware_sim.cli`` is imported to build the parser
of every ``mimamori`` command, and importing it runs this file first.
"""
