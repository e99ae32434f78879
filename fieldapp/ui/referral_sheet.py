"""The referral sheet sent to VCAS for one household, as a PDF by Qt's own writer.

Only what VCAS needs (Victims' Code, Right 4): who to contact and how safely, their needs,
that they consented, the offence in plain words, and the officer to contact. Nothing else
about the investigation: no occurrence reference, address, names of the person under
investigation, leaflets, risk, notes of the offer or the call-backs.
"""

from __future__ import annotations

from html import escape

from PySide6.QtGui import QTextDocument

from fieldapp.domain.catalogue import OFFENCE_TYPES
from fieldapp.domain.officer_contact import OfficerContact
from fieldapp.domain.policy import SchedulePolicy, london_date
from fieldapp.domain.referral import ACCEPTED_WHERE, Referral
from fieldapp.domain.views import HouseholdView, OccurrenceView
from fieldapp.ui.callback_detail import contact_lines, yes_no
from fieldapp.ui.reports_export import document_pdf

TITLE = "Referral to the Victim Care and Advice Service"


def sheet_lines(
    view: HouseholdView,
    referral: Referral,
    occurrence: OccurrenceView | None,
    officer: OfficerContact,
    policy: SchedulePolicy,
) -> list[tuple[str, list[str]]]:
    """The sheet's sections: only fields VCAS needs, each chosen here by name."""
    offences = [OFFENCE_TYPES.get(o, o) for o in (occurrence.offence_types if occurrence else ())]
    people: list[str] = []
    for contact in view.contacts:
        # contact_lines minus the free-text notes: those are the officer's, not VCAS's.
        people += [line for line in contact_lines(contact, policy)
                   if not line.startswith("Notes:")]
        people.append("")
    if referral.number and not any(referral.number in line for line in people):
        people.insert(0, f"Number to call: {referral.number}")
    safety = ["The person under investigation lives at the address: check it is safe to talk "
              "before saying who is calling."] if view.suspect_lives_here else []
    return [
        ("Who to contact", safety + (people or [f"Number to call: {referral.number}"])),
        ("Consent", [
            f"Consent to share contact details with VCAS: {yes_no(referral.consent_to_share)}",
            f"VCAS accepted {ACCEPTED_WHERE[referral.accepted_where]} on "
            f"{london_date(referral.accepted_at):%d/%m/%Y}",
        ]),
        ("Why they are a victim", [
            "A consequential victim: a member of the household of a person under investigation "
            f"for {', '.join(offences).lower() or 'an offence'}.",
        ]),
        ("Police contact", [
            *officer.lines(),
            f"Officer in charge: collar number {occurrence.oic if occurrence else 'not recorded'}",
        ]),
    ]


def sheet_html(sections: list[tuple[str, list[str]]]) -> str:
    parts = [f"<h2>{escape(TITLE)}</h2>"]
    for heading, lines in sections:
        body = "<br>".join(escape(line) for line in lines)
        parts.append(f"<h3>{escape(heading)}</h3><p>{body}</p>")
    return "".join(parts)


def sheet_pdf(sections: list[tuple[str, list[str]]]) -> bytes:
    """An A4 PDF held in memory until the officer chooses where it goes."""
    document = QTextDocument()
    document.setHtml(sheet_html(sections))
    return document_pdf(document, TITLE)
