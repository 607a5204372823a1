"""mimamori: a watch-over network for older people.

Packages, by the direction of their dependencies:

    protocol/      the wire contract (pure pydantic, no I/O)
    edge/          the gateway daemon        -> protocol
    hub/           the central service       -> protocol
    firmware_sim/  stand-ins for the hardware -> protocol
"""

__version__ = "0.1.0"
