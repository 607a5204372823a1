"""Figures the town reads: counts over a month, by area, with small counts hidden."""
