"""The hub's storage: the port (``port.py``, one ``port_*.py`` per concern), the
engine-neutral SQL (``sql_*.py``, joined in ``sql_store.py``), each engine's store and
connection (``sqlite.py`` with ``sqlite_db.py``, ``postgres.py`` with ``postgres_db.py``),
one list of migrations for both (``schema.py``, run by ``migrations.py``);
``opening.py`` opens the one the config names. Domain types live in ``hub/model``."""
