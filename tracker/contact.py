"""How the tracker reaches a patient on its own (reminders, appointment messages): by text when
their preferred contact is a text message, their number can take texts and has not answered STOP;
otherwise by email when there is an address. A patient who prefers phone calls gets no automatic
message (the coordinator calls), nor does one with neither."""
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _

from tracker import phones, sms
from tracker.vocab import LOG_ONLY_MARK, ContactChannel

EMAIL, SMS = "email", "sms"
def log_only_detail(channel):
    """The detail kept with a message written to the log for want of a provider (development, the
    demo): never delivered. Its status stays "sent" (it is not tried again); the pages show it as
    "not delivered" (tracker.models.AppointmentMessage.shown_status). An email is also kept whole as
    a file when MAIL_FILE_DIR is set (tracker.mail.send_mail): the detail says where."""
    if channel == SMS:
        return f"no text message provider is set up: {LOG_ONLY_MARK}"
    folder = current_app.config.get("MAIL_FILE_DIR")
    kept = f"kept as a file in {folder} and " if folder else ""
    return f"no mail server is set up: {kept}{LOG_ONLY_MARK}"


def status_words(message):
    """A message's status as pages and downloads show it (`message`: a row or record with status and
    detail, an appointment's message or a diary reminder): "not delivered" for one written to the
    server's log because no provider is set up, which is kept as sent so that it is not tried again
    (whatever the wording of the release that wrote it); else its status."""
    detail = message.detail or ""
    logged = LOG_ONLY_MARK in detail or detail.startswith("written to the log")
    return "not delivered" if message.status == "sent" and logged else message.status


@dataclass
class Counts:
    """What one run of a sender (`flask reminders send`) did: sent, skipped (no longer due when
    re-checked), failed (and the cases they were for), taken (claimed by another worker first, or
    at the same moment: nothing done here); the emails and texts it took (one message may carry
    several diary reminders)."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    taken: int = 0
    emails: int = 0
    texts: int = 0
    failed_cases: list = field(default_factory=list)


def text_number(patient):
    """The E.164 number to text this patient at, or None."""
    if patient.preferred_contact != ContactChannel.SMS or not phones.may_take_texts(patient.phone):
        return None
    return None if sms.opted_out(patient.phone) else patient.phone


def texts_impossible(patient):
    """Why a patient who prefers texts cannot get them by number (a landline, no number), or None:
    what staff are shown next to the contact details."""
    if patient.preferred_contact != ContactChannel.SMS:
        return None
    return phones.why_no_texts(patient.phone)


def why_unreachable(prefers, phone, email):
    """Why nothing reaches a patient by their preferred contact (`prefers`, a ContactChannel):
    neither a phone number nor an address (whatever is preferred: a FHIR referral that sent
    neither), email with no address, phone calls with no number; None otherwise. The patient forms refuse
    both; records saved before, or sent by another system, are flagged wherever staff would
    contact them (the record, the case, the appointment, the day board)."""
    if not (phone or "").strip() and not (email or "").strip():
        return _("There is no phone number and no email address on the record: nobody can call or write to the "
                 "patient and nothing is sent. Add one, and choose how to contact the patient.")
    if prefers == ContactChannel.EMAIL and not (email or "").strip():
        return _("There is no email address on the record: nothing is sent. Add the address, or correct the "
                 "preferred contact.")
    if prefers == ContactChannel.PHONE and not (phone or "").strip():
        return _("There is no phone number on the record: nobody can call the patient and nothing is sent. "
                 "Add the number, or correct the preferred contact.")
    return None


def unreachable(patient):
    """`why_unreachable` for a patient record."""
    return why_unreachable(patient.preferred_contact, patient.phone, patient.email)


def email_address(patient):
    return (patient.email or "").strip() or None


def channel_for(patient):
    """SMS, EMAIL or None, as above."""
    if text_number(patient):
        return SMS
    if patient.preferred_contact == ContactChannel.PHONE:
        return None
    return EMAIL if email_address(patient) else None
