"""The SOS network's pages (issue 18, part 2), English; merged into the pages'
catalogue by ``i18n.py``. Same keys as ``sos_ja.py``."""

TEXT: dict[str, str] = {
    # the partner's bulletin page
    "sos_title": "Please help us look",
    "sos_looking_for": "We are looking for:",
    "sos_photo": "A photo of the person we are looking for",
    "sos_clothing": "Clothing today",
    "sos_description": "Description",
    "sos_last_seen": "Last seen where and when",
    "sos_last_unknown": "not known",
    "sos_danger": "If they are in danger or hurt, call 110.",
    "sos_position": "Share where you are (optional)",
    "sos_note": "A short note (optional): where, which way",
    "sos_saw": "I saw them",
    "sos_privacy": "Your name and number are not shared: only the position and your note.",
    "sos_thanks": "Thank you. The family and the care centre have been told.",
    "sos_found": "They have been found. Thank you for your help.",
    "sos_ended": "The search has ended. Thank you for your help.",
    "sos_invalid": "This page is no longer in use.",
    # the search page: the family's consent and the bulletins sent
    "sos_sharing": "Bulletin to partners (the SOS network)",
    "sos_not_shared": "No bulletin: the family has not agreed.",
    "sos_agreed_by": "Who in the family agreed (relation and name)",
    "sos_shown_as": "How the bulletin names them (no name; e.g. a woman in her 80s)",
    "sos_clothing_in": "Clothing today (optional)",
    "sos_give": "Record the consent and send the bulletin",
    "sos_consent_failed": "Not recorded: please check what you entered.",
    "sos_given": "Consent",
    "sos_sent_to": "Sent to",
    "sos_views": "views",
    "sos_seen_count": "seen",
    "sos_withdrawn": "withdrawn",
    # the desk's partner page: a link's bulletins
    "partner_link_bulletins": "Search bulletins",
    "partner_link_bulletins_on": "receive",
    "partner_link_bulletins_off": "do not receive",
    # the desk's view of a finder's thread (found_desk.py)
    "found_desk_thread": "{name}: the finder's thread",
    "found_desk_no_messages": "No messages (also when they were deleted some days after safe).",
    "found_desk_read_only": "Read-only. The centre answers through the link in its own notice.",
    # the partner's own report page
    "report_bulletins_on": "You receive missing-person bulletins at this link's address.",
    "report_bulletins_off": (
        "Receive missing-person bulletins (only when someone in the area is missing)?"
    ),
}
