"""A gateway's config editor at the desk (issue 20): English."""

TEXT: dict[str, str] = {
    "gwconfig_link": "Config",
    "gwconfig_title": "Gateway config",
    "gwconfig_note": (
        "This gateway's config file (YAML). Saving checks it as `mimamori check` does, then"
        " sends it to this gateway only. If its receivers do not start in time, the gateway"
        " goes back to the previous config by itself. Never write personal data here."
    ),
    "gwconfig_yaml": "Config file (YAML)",
    "gwconfig_save": "Check and send",
    "gwconfig_problems": "The config has problems. Nothing was saved or sent:",
    "gwconfig_saved": "Version {version} saved and sent to the gateway; its answer shows below.",
    "gwconfig_not_sent": (
        "Version {version} saved, but not sent: the hub is not connected to the broker."
        " Save again once it is."
    ),
    "gwconfig_empty": "The hub has no config for this gateway yet: paste the gateway's file.",
    "gwconfig_history": "History",
    "gwconfig_version": "Version",
    "gwconfig_state": "State",
    "gwconfig_by": "Changed by",
    "gwconfig_at": "When",
    "gwconfig_reason": "The gateway's answer",
    "gwconfig_hash": "Config hash",
    "gwconfig_state_proposed": "not sent",
    "gwconfig_state_sent": "sent (waiting for the gateway)",
    "gwconfig_state_applied": "applied",
    "gwconfig_state_rolled_back": "rolled back",
    "gwconfig_state_refused": "refused",
    "gwconfig_running": "Running now: {hash}",
}
