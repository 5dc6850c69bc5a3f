"""How the tracker reaches a patient on its own (reminders, appointment messages): by text when
their preferred contact is a text message, their number can take texts and has not answered STOP;
otherwise by email when there is an address. A patient who prefers phone calls gets no automatic
message (the coordinator calls), nor does one with neither."""
from dataclasses import dataclass, field

from tracker import phones, sms
from tracker.vocab import ContactChannel

EMAIL, SMS = "email", "sms"


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


def no_email_to_prefer(patient):
    """Whether the patient prefers email but the record holds no address: nothing reaches them
    (the patient forms refuse it; records saved before are flagged on their pages)."""
    return patient.preferred_contact == ContactChannel.EMAIL and email_address(patient) is None


def email_address(patient):
    return (patient.email or "").strip() or None


def channel_for(patient):
    """SMS, EMAIL or None, as above."""
    if text_number(patient):
        return SMS
    if patient.preferred_contact == ContactChannel.PHONE:
        return None
    return EMAIL if email_address(patient) else None
