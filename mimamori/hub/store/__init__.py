"""The hub's storage: the port (``port.py``), engine-neutral SQL (``sql_*.py``), an
adapter per engine (``sqlite.py``, ``postgres.py``), migrations; ``opening.py`` opens
the one the config names. Domain types live in ``hub/model``."""
