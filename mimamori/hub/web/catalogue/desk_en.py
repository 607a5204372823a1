"""The desk's texts (the register's pages, issue 14), English; merged into the pages'
catalogue by ``i18n.py``. Keys are the same in ``desk_ja.py``, in the same order."""

TEXT: dict[str, str] = {
    "desk_title": "The desk (the register)",
    "desk_people": "People",
    "desk_reviews": "Reviews this month",
    "desk_households": "Households",
    "desk_contacts": "Contacts",
    "desk_families": "Families",
    "desk_watch_points": "Watch points",
    "desk_policies": "Escalation policies",
    "desk_audit": "Change log",
    "desk_new": "Register new",
    "desk_edit": "Edit",
    "desk_save": "Save",
    "desk_search": "Search",
    "desk_q": "Start of name or reading",
    "desk_filter_area": "Area",
    "desk_filter_household": "Household id",
    "desk_filter_tag": "Tag",
    "desk_filter_review": "Only reviews due this month",
    "desk_any": "(all)",
    "desk_count": "{n} found",
    "desk_prev": "Previous",
    "desk_next": "Next",
    "desk_none": "Nothing found",
    "desk_forbidden_title": "Not yours to see",
    "desk_forbidden": (
        "Only the staff of this area and admins may see or change this entry of the register."
    ),
    "desk_missing_title": "Not found",
    "desk_missing": "This entry is not in the register.",
    "desk_problems": "Please check what you entered.",
    "desk_stale": (
        "Someone else changed this entry first. Your change was not saved. "
        "Read it again, then make your change again."
    ),
    "desk_reload": "Read again",
    "desk_version": "version {n}",
    "problem_attr": "en",
    "desk_record": "Record",
    "desk_consents": "Consent, per purpose",
    "desk_consent_purpose": "Purpose",
    "desk_consent_by": "Agreed by",
    "desk_consent_relation": "Relation",
    "desk_consent_at": "Agreed on",
    "desk_consent_record": "Where the form is kept",
    "desk_consent_withdrawn": "Withdrawn on",
    "desk_consent_in_force": "In force",
    "desk_consent_none": "No consent on record (no location is kept)",
    "desk_consent_withdraw": "Record withdrawal",
    "desk_consent_save": "Record consent",
    "desk_contacts_order": "Emergency contacts, in the order they are called",
    "desk_contact_add": "Add contact",
    "desk_up": "Up",
    "desk_down": "Down",
    "desk_remove": "Remove",
    "desk_review": "Yearly review",
    "desk_review_due": "Review due: {day}",
    "desk_review_none": "No review date set",
    "desk_review_done": "Review done (next in a year)",
    "desk_photo_of": "Photo of {name}",
    "desk_photo_none": "No photo yet (the one given to the police in a search)",
    "desk_photo_choose": "Photo (JPEG, PNG or WebP, up to 5 MB)",
    "desk_photo_upload": "Upload the photo",
    "desk_photo_note": "Where it was taken (GPS) and other metadata are removed",
    "desk_families_of": "Families who see this person",
    "desk_none_yet": "None yet",
    "purpose_location": "Location (seen at watch points)",
    "purpose_search": "Search (shared with searchers when missing)",
    "purpose_checkin": "Check-ins (shared with volunteers and family)",
    "purpose_meter": "Power or meter data",
    "relation_self": "Self",
    "relation_guardian": "Guardian",
    "relation_family": "Family",
    "relation_other": "Other",
    "f_id": "Id (a-z, 0-9, . - _)",
    "f_area": "Area (responsible care centre)",
    "f_name": "Name",
    "f_reading": "Reading (kana)",
    "f_birth_date": "Date of birth",
    "f_address": "Address",
    "f_phone": "Phone",
    "f_household": "Household",
    "f_tags": "Tags (one per line)",
    "f_description": "Description for searches (height, clothes, how they speak)",
    "f_key_holder": "Key holder",
    "f_minsei": "Their 民生委員 (volunteer)",
    "f_review_on": "Next review",
    "f_not_seen_days": "Days not seen before a case (empty: the area's, or 3)",
    "f_notes": "Notes",
    "f_gateways": "Gateway ids (one per line)",
    "f_evacuation_support": "Needs help to evacuate (避難行動要支援者)",
    "f_policy": "Escalation policy id",
    "f_timezone": "Time zone",
    "f_relation": "Relation (eldest son, volunteer…)",
    "f_lang": "Language of messages",
    "f_channels": "Channel URLs (one per line; empty keeps them)",
    "f_people": "People ids (one per line)",
    "f_households": "Household ids (one per line)",
    "f_lat": "Latitude",
    "f_lon": "Longitude",
    "f_site": "Kind of site",
    "f_host": "Host (partner)",
    "f_installed_on": "Installed on",
    "f_steps": 'Steps (one per line: "minutes [visit|call]: contact, contact")',
    "f_night_steps": "Night and holiday steps (as the steps; empty: the same as by day)",
    "f_routes": 'Steps per alert kind (one per line: "kind [night] minutes [visit|call]: contact")',
    "f_office_hours": "Office hours (e.g. 08:30-17:15, weekdays but holidays; empty: always day)",
    "f_repeat_min": "Repeat every (minutes)",
    "f_handling_timeout_min": "How long 'I'm on it' holds the others (minutes)",
    "f_by": "Name of who agreed",
    "f_at": "Agreed on",
    "f_record": "Where the signed form is kept",
    "f_purpose": "Purpose",
    "f_contact": "Contact",
    "choice_lang_ja": "日本語 (Japanese)",
    "choice_lang_en": "English",
    "choice_site_vending": "Vending machine",
    "choice_site_shop": "Shop",
    "choice_site_home": "Home",
    "choice_site_other": "Other",
    "choice_none": "(none)",
    "desk_line_none": "LINE: not linked yet",
    "desk_line_usage": "LINE this month ({month}): {pushed} of {allowance} messages ({percent} %)",
    "desk_line_usage_warning": (
        "80 % of the plan's messages or more are used. Once they run out, LINE notices go to "
        "the contacts' other channels: ask an admin to review the plan."
    ),
    "desk_line_bound": "LINE: linked",
    "desk_line_unfollowed": "LINE: unlinked (blocked or unfollowed)",
    "desk_line_code_issue": "Issue a LINE linking code",
    "desk_line_code_title": "LINE linking code",
    "desk_line_code_expires": "Valid once, until {at}. A newer code ends this one.",
    "desk_line_code_link": "Link that opens the chat with the code typed in",
    "desk_line_code_how": (
        "Ask the person to add the town's LINE account "
        "as a friend and send this code in the chat "
        "(the QR code opens the chat with the code "
        "typed in). Once linked, LINE confirms and "
        "this contact's page shows it as linked."
    ),
    "desk_channels_set": "Channels: {n} on record (never shown)",
    "desk_confirmation": "Confirmed as contact",
    "desk_confirmed": "Confirmed",
    "desk_not_confirmed": "Waiting for confirmation",
    "desk_not_asked": "Not asked (no channel)",
    "desk_unconfirmed": "Contacts not yet confirmed",
    "desk_residents": "Who lives here",
    "desk_checkins": "Check-ins (the I'm-fine button)",
    "desk_checkin_state": "Now",
    "desk_checkin_ok": "checked in",
    "desk_checkin_due": "past the time of the check-in",
    "desk_checkin_missed": "missed (people are being told)",
    "desk_checkin_unknown": "nothing heard yet",
    "desk_checkin_next": "Next check-in due by",
    "desk_checkin_last": "Last check-in",
    "desk_checkin_note": (
        "The schedule (days, times) is in the home gateway's settings; this shows the "
        "deadline the gateway last reported."
    ),
    "desk_audit_at": "When",
    "desk_audit_who": "Who",
    "desk_audit_what": "What",
    "desk_audit_entry": "Entry",
    "desk_audit_change": "The change",
    "desk_audit_masked": "(personal data not shown)",
    "desk_audit_forgotten": "(forgotten: nothing of it is kept)",
    "kind_person": "Person",
    "kind_household": "Household",
    "kind_contact": "Contact",
    "kind_family": "Family",
    "kind_watch_point": "Watch point",
    "kind_policy": "Escalation policy",
    "kind_area": "Area",
    "desk_broker": "Broker account",
    "desk_broker_make": "Create its broker account",
    "desk_broker_made": (
        "Gateway {id}'s broker password. It is shown on this page only, this once "
        "(the hub keeps no copy)."
    ),
    "desk_broker_renewed": (
        "A NEW password: the old one stops working when the broker reads its files again."
    ),
    "desk_broker_where": (
        "Put this password alone in the gateway's {path} (owner-only, chmod 600), "
        "and these lines in its gateway.yaml:"
    ),
    "desk_broker_reload": (
        "The broker reads its files again by itself where mimamori-broker-reload.path is "
        "enabled (docs/deploy.md); elsewhere: systemctl reload mosquitto"
    ),
    "desk_broker_exists": "It has an account (its password is never shown).",
    "desk_broker_none": "It has no account yet.",
    "desk_broker_unconfigured": (
        "This hub's config has no hub.mosquitto (the broker's files): accounts cannot be made here."
    ),
    "desk_broker_renew": "Give it a new password",
    "desk_broker_renew_note": (
        "With a new password the gateway cannot connect until its own password file is changed too."
    ),
    "desk_broker_admins_title": "Admins only",
    "desk_broker_admins": "Broker accounts are made by admins.",
    "desk_broker_unwritable": (
        "The hub could not write the broker's files; nothing changed. Use "
        "mimamori hub gateway add on the broker's machine, or let the hub write the "
        "broker's directory (docs/deploy.md, Broker files)."
    ),
    "desk_broker_exists_already": (
        "This watch point has an account already; its password is unchanged. For a new "
        'one, use "Give it a new password" on the watch point\'s page.'
    ),
    "desk_to_desk": "Desk",
    "confirm_title": "Your registration as an emergency contact",
    "confirm_text": (
        "{contact}: you are registered as an emergency contact of {people}."
        " When something worries us, you will get a message, and we may ask you to call or visit."
    ),
    "confirm_button": "Confirmed",
    "confirm_done": "Thank you for confirming.",
    "confirm_unknown_title": "This link cannot be used",
    "confirm_unknown": (
        "The link is wrong, or a newer message replaced it: open the link of the newest message."
    ),
    "confirm_expired_title": "This link has expired",
    "confirm_expired": (
        "A confirmation link works for 30 days after it is sent. Please contact the care "
        "centre (地域包括支援センター): they will send you a new one."
    ),
}
