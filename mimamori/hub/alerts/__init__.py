"""Alerts: rules from events, escalation to people, until someone answers."""
