"""How the tracker reaches a patient on its own (reminders, appointment messages, diary links,
invitations): never once their record says they can no longer be reached (died, moved away or
left the clinic's care: `contact_ended`); otherwise by text when
their preferred contact is a text message, their number can take texts and has not answered STOP;
otherwise by email when there is an address. A patient who prefers phone calls gets no automatic
message (the coordinator calls), nor does one with neither. `channel` is that rule, for a record
(`channel_for`) and for the rows of a query (the diary reminders').

Nothing goes on its own during the quiet hours (REMINDER_QUIET_HOURS, clinic time) unless it would
be of no use once they end: `quiet_until`."""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _

from tracker import phones, sms
from tracker.timeutil import clinic_time, to_clinic
from tracker.vocab import LOG_ONLY_MARK, ContactChannel, ContactEnded

EMAIL, SMS = "email", "sms"

# By preferred contact, the channels that may reach the patient on their own, the first that works
# taken: a text when the number takes texts and has not answered STOP, else an email when there is
# an address. Phone calls: none (the coordinator calls).
REACHED_BY = {ContactChannel.SMS: (SMS, EMAIL), ContactChannel.EMAIL: (EMAIL,), ContactChannel.PHONE: ()}


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


def channel(prefers, phone, address, stopped, contact_ended=None):
    """SMS, EMAIL or None for a patient who prefers `prefers` (a ContactChannel), with `phone` (E.164)
    and an `address` to email (truthy when there is one): the first channel of REACHED_BY that works.
    `stopped(phone)` says whether the number answered STOP (`sms.opted_out`, or what a query read
    with the rest of the row); it is asked only of a number that would otherwise be texted. None
    for a patient no longer reached (`contact_ended`, the record's: died, left the clinic's care)."""
    if contact_ended is not None:
        return None
    for candidate in REACHED_BY[ContactChannel(prefers)]:
        if candidate == SMS and phones.may_take_texts(phone) and not stopped(phone):
            return SMS
        if candidate == EMAIL and address:
            return EMAIL
    return None


def preferences_reached_by(way):
    """The preferred contacts for which `way` (SMS or EMAIL) may reach a patient (REACHED_BY): what
    a query of many patients narrows by before `channel` decides for each row."""
    return sorted((prefers for prefers, ways in REACHED_BY.items() if way in ways), key=str)


def text_number(patient):
    """The E.164 number to text this patient at, or None."""
    return patient.phone if channel_for(patient) == SMS else None


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


def has_account(patient):
    """Whether the patient can sign in to read their own pages (an active account)."""
    return bool(patient.account and patient.account.active)


def channel_for(patient):
    """SMS, EMAIL or None, as above."""
    return channel(patient.preferred_contact, patient.phone, email_address(patient), sms.opted_out,
                   patient.contact_ended)


def contact_ended_words(patient):
    """What the record says of a patient no longer reached, as the pages, the history and every
    refused message say it ("Died on 2026-12-01", "Moved away or left the clinic's care: moved to
    Ohio"), or "" for a patient still reached."""
    if patient.contact_ended is None:
        return ""
    if patient.contact_ended == ContactEnded.DIED:
        return f"Died on {patient.contact_ended_on.isoformat()}" + (
            f": {patient.contact_ended_note}" if patient.contact_ended_note else "")
    return f"Moved away or left the clinic's care: {patient.contact_ended_note}"


@dataclass(frozen=True)
class NoLongerReached:
    """What a list line knows of a patient no longer reached, from the record's columns: why
    (died or left care), the day of death, and when it was recorded."""
    why: ContactEnded
    died_on: date | None
    recorded_at: datetime

    @property
    def mark(self):
        return contact_ended_mark(self.why, self.died_on, self.recorded_at)


def no_longer_reached(ended, on, at):
    """NoLongerReached from the record's columns, or None for a patient still reached."""
    return None if ended is None else NoLongerReached(ContactEnded(ended), on, at)


def contact_ended_mark(ended, on, at):
    """The short mark the staff lists put beside the name of a patient no longer reached, from the
    record's columns (`contact_ended`, `contact_ended_on`, `contact_ended_at`: the lists read plain
    columns, not the record): "Died 2026-11-03"; "Left care (recorded 2026-12-07)", the day it was
    recorded, as leaving has no date of its own; "" for a patient still reached."""
    if ended is None:
        return ""
    if ended == ContactEnded.DIED:
        return _("Died %(day)s", day=on.isoformat())
    return _("Left care (recorded %(day)s)", day=to_clinic(at).date().isoformat())


def contact_ended_mark_of(patient):
    """`contact_ended_mark` for a patient record."""
    return contact_ended_mark(patient.contact_ended, patient.contact_ended_on, patient.contact_ended_at)


def appointment_contact_ended(ended, on, at):
    """What an appointment not started yet says of its patient no longer reached, from the record's
    columns (as `contact_ended_mark`): for a death, in place of its readiness, "Patient died
    2026-11-03: cancel this appointment." (nothing is cancelled on its own); for leaving, beside its
    readiness, "Patient left care (recorded 2026-12-07): confirm before the procedure."; "" for a
    patient still reached."""
    if ended is None:
        return ""
    if ended == ContactEnded.DIED:
        return _("Patient died %(day)s: cancel this appointment.", day=on.isoformat())
    return _("Patient left care (recorded %(day)s): confirm before the procedure.",
             day=to_clinic(at).date().isoformat())


def appointment_contact_ended_of(patient):
    """`appointment_contact_ended` for a patient record."""
    return appointment_contact_ended(patient.contact_ended, patient.contact_ended_on, patient.contact_ended_at)


def nothing_sent_because(patient):
    """Why nothing at all may be sent to the patient, for a sender staff press (a diary link, an
    invitation): their record says they can no longer be reached; or None."""
    if patient.contact_ended is None:
        return None
    return (f"Nothing is sent to this patient: {contact_ended_words(patient)} (recorded by "
            f"{patient.contact_ended_by}). Undo that on the patient's record if it is wrong.")


def parse_quiet_hours(setting):
    """REMINDER_QUIET_HOURS ("21-8": from 21:00 to 08:00 clinic time; "21:30-7:30"; "" for none) as
    (start, end) times, or None for none. Raises ValueError with what to write instead: checked at
    start-up, so a typo stops the app rather than texting patients at night."""
    text = (setting or "").strip()
    if not text:
        return None
    clock = r"(\d{1,2})(?::(\d{2}))?"
    match = re.fullmatch(rf"{clock}\s*-\s*{clock}", text)
    bounds = None
    if match:
        hours, minutes = [int(match[i]) for i in (1, 3)], [int(match[i] or 0) for i in (2, 4)]
        if all(h < 24 for h in hours) and all(m < 60 for m in minutes):
            bounds = time(hours[0], minutes[0]), time(hours[1], minutes[1])
    if bounds is None or bounds[0] == bounds[1]:
        raise ValueError(f"REMINDER_QUIET_HOURS must be two different clock times, from-to, in the clinic's "
                         f"time (e.g. 21-8 for 21:00 to 08:00, or 21:30-7:30), or empty for none; not {setting!r}.")
    return bounds


def quiet_until(now):
    """When the quiet hours that `now` falls in end (UTC), or None outside them. A message found due
    in them waits for that moment unless it would be of no use by then (a diary point whose window
    closes before, an appointment that starts before)."""
    bounds = parse_quiet_hours(current_app.config["REMINDER_QUIET_HOURS"])
    if bounds is None:
        return None
    start, end = bounds
    local = to_clinic(now)
    clock, day = local.time(), local.date()
    if start < end:
        quiet = start <= clock < end
    else:
        quiet = clock >= start or clock < end
        if clock >= start:
            day += timedelta(days=1)
    return clinic_time(day, end) if quiet else None
