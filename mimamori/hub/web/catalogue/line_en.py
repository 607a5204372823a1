"""LINE's pages (issue 17), English; merged into the pages' catalogue by ``i18n.py``.
Same keys as ``line_ja.py``."""

TEXT: dict[str, str] = {
    # a check-in's answer link (no sign-in), for a prompt that went by mail or SMS
    "ci_title": "How are you?",
    "ci_ask": "Your check-in: please press the button that fits.",
    "ci_genki": "I'm fine",
    "ci_soudan": "I'd like to talk",
    "ci_outcome_thanks": "Thank you: your check-in is recorded.",
    "ci_outcome_consult": "Thank you: someone will contact you.",
    "ci_outcome_already": "This day's check-in is already recorded. Thank you.",
    "ci_outcome_expired": "This check-in is old: please answer the latest message.",
    "ci_link_invalid_title": "This link cannot be used",
    "ci_link_invalid": "The link is not right. If you need help, please call your care centre.",
    "ci_link_expired_title": "This link has expired",
    "ci_link_expired": "This link has expired: please answer the latest message.",
    # a person's check-in by LINE at the desk
    "lc_title": "Check-in by LINE (How are you?)",
    "lc_note": (
        "For someone with no button: their own LINE is asked 'How are you?'. Their own "
        "contact (relation: self) must be linked to LINE, and they must live in a household."
    ),
    "lc_on": "Check in by LINE",
    "lc_by": "Time",
    "lc_kind": "How often",
    "lc_kind_daily": "Every day",
    "lc_kind_every": "Every N days",
    "lc_kind_weekly": "Weekly (choose the days)",
    "lc_every_n_days": "Every how many days",
    "lc_start": "First day",
    "lc_days": "Days:",
    "lc_day_mon": "Mon",
    "lc_day_tue": "Tue",
    "lc_day_wed": "Wed",
    "lc_day_thu": "Thu",
    "lc_day_fri": "Fri",
    "lc_day_sat": "Sat",
    "lc_day_sun": "Sun",
    "lc_grace": "Grace (minutes)",
    "lc_save": "Save the LINE check-in",
}
