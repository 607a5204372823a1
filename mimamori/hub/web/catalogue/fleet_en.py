"""The technician's pages (the fleet, a gateway's enrollment): English."""

TEXT: dict[str, str] = {
    "desk_fleet": "Gateways",
    "fleet_title": "Gateways (technician)",
    "fleet_note": ("Gateways with problems come first. The page refreshes itself every minute."),
    "fleet_all": "All",
    "fleet_any_problem": "Any problem",
    "fleet_count": "{n} gateways",
    "fleet_gateway": "Gateway",
    "fleet_problems": "Problems",
    "fleet_state": "Link",
    "fleet_receivers": "Receivers",
    "fleet_outbox": "Unsent",
    "fleet_restarts": "Starts (24 h)",
    "fleet_clock": "Clock off by",
    "fleet_disk": "Free disk",
    "fleet_version": "Version",
    "fleet_well": "Well",
    "fleet_online": "Online",
    "fleet_offline": "Offline",
    "fleet_never": "Never connected",
    "fleet_since": "since {when}",
    "fleet_last_status": "last status {ago}",
    "fleet_driver_up": "up",
    "fleet_driver_down": "down",
    "fleet_driver_starting": "starting",
    "fleet_per_min": "{n} a minute",
    "fleet_last_advert": "last heard {ago}",
    "fleet_seconds": "{n} s",
    "fleet_disk_free": "{mb} MB ({pct} %)",
    "fleet_spark": "Last 24 hours (top: {peak} a minute)",
    "fleet_spark_note": (
        "A receiver's line is its adverts a minute over the last 24 hours, by quarter hour: "
        "red where it heard nothing, a gap where nothing was reported."
    ),
    "fleet_spark_none": "nothing from the last 24 hours",
    "fleet_view_list": "As a list",
    "fleet_view_map": "On a map",
    "fleet_map_title": "Gateways on a map (technicians)",
    "fleet_map_note": (
        "Each gateway is a dot at its place, coloured by its health. A dot opens its watch "
        "point's page. Reloads itself every minute."
    ),
    "fleet_health_offline": "Offline",
    "fleet_health_deaf": "Receiver deaf",
    "fleet_health_alert": "Other technician alert",
    "fleet_health_never": "Never connected",
    "fleet_health_quiet": "Quiet (nothing heard lately)",
    "fleet_health_ok": "Well",
    "enroll_title": "Gateway enrollment code",
    "enroll_section": "Enrollment code (QR)",
    "enroll_note": (
        "Makes a one-time code and QR for the Pi being installed. Nobody copies a password by hand."
    ),
    "enroll_make": "Make an enrollment code",
    "enroll_admins": "Only admins make enrollment codes.",
    "enroll_unconfigured": (
        "This hub does not enroll gateways (hub.enrollment and hub.mosquitto are needed)."
    ),
    "enroll_made": "An enrollment code for {id} is ready.",
    "enroll_expires": "Valid until {when} ({min} minutes, once)",
    "enroll_qr": "A phone reads it as the command to run on the Pi",
    "enroll_run": "On the Pi being installed, run:",
    "enroll_once": ("The code is shown on this page only. Once used or expired, make a new one."),
}
