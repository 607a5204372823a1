"""Searches across town borders, hub to hub.

A search started here is told to each peer hub (``relay``), which puts it to its own
gateways as a retained order and sends back what they see of the searched tags
(``api``). Peers authenticate with a shared secret per pair; what crosses the border
is the tags (or rotating ids) being searched for, the search's window, and the
sightings of those tags with the public name and position of the watch point —
never who is searched for, and never another tag.
"""
