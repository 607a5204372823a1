"""The town's public form (issue 16): a resident without an account tells the care
centre what they noticed about a neighbour. It asks what, where (an address they
type, and which centre's district it lies in), and optionally how to reach them (kept
in the report for the centre to call back, nothing else of theirs is kept).

It never says whether an address is a registered household: every accepted report
gets the same page, and the form lists no homes. Behind it, an address typed as a
registered household's (the same after NFKC and spaces) joins that household's case,
which the centre then sees with the home's alerts; any other address is a case of its
own. A typed address takes at most ``MAX_PER_ADDRESS`` reports an hour, whether it is
registered or not, so the bound too says nothing.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping
from datetime import timedelta

from mimamori.errors import ChangeRefused, FieldProblem
from mimamori.hub.cases import routing
from mimamori.hub.cases.reports import ADDRESS_MAX, NOTE_MAX, LinkBusy
from mimamori.hub.model.cases import Noticed, ReportDraft
from mimamori.hub.register.registry import Registry
from mimamori.hub.server.state import HubState

log = logging.getLogger(__name__)

CONTACT_MAX = 100  # a phone number or an e-mail address, and a name
# A worried neighbour may write twice or thrice about one home in an hour; more is a
# script. The bound is per address typed, registered or not.
MAX_PER_ADDRESS = 3


def normalized(address: str) -> str:
    """An address as compared: NFKC (全角 digits and spaces as ASCII), no spaces."""
    return "".join(unicodedata.normalize("NFKC", address).split())


def _text(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def draft(registry: Registry, form: Mapping[str, object]) -> tuple[ReportDraft, str, str]:
    """The report, its area and its typed address (normalized); ChangeRefused with
    each field's problem."""
    problems = []
    noticed = _text(form, "noticed")
    if noticed not in {n.value for n in Noticed}:
        problems.append(
            FieldProblem("noticed", "気づいたことを選んでください", "pick what you noticed")
        )
    note, contact = _text(form, "note"), _text(form, "contact")
    if len(note) > NOTE_MAX:
        problems.append(FieldProblem("note", f"{NOTE_MAX}文字までにしてください", "note too long"))
    if len(contact) > CONTACT_MAX:
        problems.append(
            FieldProblem("contact", f"{CONTACT_MAX}文字までにしてください", "contact too long")
        )
    address = _text(form, "address")
    if not address or len(address) > ADDRESS_MAX:
        problems.append(FieldProblem("address", "住所を書いてください（200文字まで）",
                                     "write the address (200 characters at most)"))  # fmt: skip
    area = _text(form, "area")
    if area not in registry.areas:
        problems.append(FieldProblem("area", "地域を選んでください", "pick the district"))
    if problems:
        raise ChangeRefused(problems)
    typed = normalized(address)
    text = f"{note}\n連絡先: {contact}" if contact else note
    homes = [
        h for h in registry.households.values() if h.address and normalized(h.address) == typed
    ]
    if homes:  # a registered home: its case, in its area (nothing of this is shown)
        return ReportDraft(Noticed(noticed), text.strip(), homes[0].id, None), homes[0].area, typed
    return ReportDraft(Noticed(noticed), text.strip(), None, address), area, typed


async def file(hub: HubState, form: Mapping[str, object]) -> int:
    """Check and file a resident's report; LinkBusy past the bound for its address."""
    report, area, typed = draft(hub.registry, form)
    now = hub.clock()
    if await hub.store.public_reports_since(typed, now - timedelta(hours=1)) >= MAX_PER_ADDRESS:
        log.warning("public form: over %d reports in an hour for one address", MAX_PER_ADDRESS)
        raise LinkBusy()
    case_id = await hub.store.file_public(report, area, typed, now)
    log.info("public form: report filed in case %d", case_id)
    await routing.route_report(hub, case_id, report.noticed)
    return case_id
