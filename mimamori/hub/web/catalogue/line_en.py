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
}
