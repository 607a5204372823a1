"""The pages' text, one module per language (see ``web/i18n.py``)."""
