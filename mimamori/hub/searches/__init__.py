"""Searches for a missing person: start, watch the live trail, share, end.

``service`` owns the life cycle (and what gateways are told), ``trail`` what a
search page shows, ``api`` and ``shared`` the routes.
"""
