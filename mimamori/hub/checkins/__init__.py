"""Check-ins the hub decides itself: a person with no button checks in by LINE, on the
hub's clock, with the home gateway's schedule and ladder (docs/line.md)."""
