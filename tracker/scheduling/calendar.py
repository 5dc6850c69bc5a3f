"""An appointment as an iCalendar file: the patient's download and the reminder emails' attachment.

The same UID for the life of the appointment, and a SEQUENCE that grows with each move (and once
more on cancellation), so a calendar that imports a later file updates or drops the entry instead
of adding a second one. Calendar entries sync to third parties (phone vendors, mail providers):
no side, drug or diagnosis. Written in the current language (the patient's: callers see to it).
"""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from icalendar import Calendar, Event, vCalAddress, vText

from tracker import contact, i18n
from tracker.clinic import clinic_contact
from tracker.links import public_url
from tracker.timeutil import utcnow

CALENDAR_TITLE = _l("SI joint injection appointment")
# As the preparation asks ("Arrive 30 minutes before your appointment time", instructions.preparation).
ARRIVE_MINUTES_BEFORE = 30
MIMETYPE = "text/calendar"


def filename(appointment):
    return f"appointment-{appointment.id}.ics"


def sequence(appointment, cancelled=False):
    moves = sum(1 for change in appointment.changes if change.change == "rescheduled")
    return moves + (1 if cancelled else 0)


def appointment_calendar(appointment, cancelled=False):
    """The .ics bytes: METHOD:PUBLISH for the entry as it stands, METHOD:CANCEL for a cancellation."""
    clinic = current_app.config["CLINIC_NAME"]
    place = i18n.place(appointment.room)
    calendar = Calendar()
    calendar.add("prodid", "-//SI joint injection tracker//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"appointment-{appointment.id}@si-joint-tracker")
    # A cancellation is the organizer's to send (RFC 5546): the clinic organizes every appointment.
    organizer = vCalAddress(f"mailto:{current_app.config['MAIL_FROM']}")
    organizer.params["cn"] = vText(clinic)
    event.add("organizer", organizer)
    event.add("sequence", sequence(appointment, cancelled))
    event.add("dtstamp", utcnow())
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("summary", f"{CALENDAR_TITLE} · {clinic}")
    # The street address the admin set (Admin › Clinic contact), so a calendar's map finds it.
    address = ", ".join(line.strip() for line in clinic_contact().address.splitlines() if line.strip())
    event.add("location", f"{clinic}, {place}" + (f", {address}" if address else ""))
    if cancelled:
        event.add("status", "CANCELLED")
    # The entry is at the appointment's time (what the clinic books), and says when to be there:
    # the preparation asks the patient to arrive 30 minutes before.
    arrive = appointment.starts_at - timedelta(minutes=ARRIVE_MINUTES_BEFORE)
    # Where the preparation is: the patient's case page, for one who has an account to open it;
    # without one, the email this file came with (only an email carries it to such a patient).
    page = case_page(appointment.case) if contact.has_account(appointment.case.patient) else None
    how = (_("How to prepare: see your page on the clinic's website, %(link)s", link=page) if page
           else _("How to prepare: in the email we sent you."))
    event.add("description", " ".join((
        _("%(title)s at %(clinic)s, %(place)s.", title=CALENDAR_TITLE, clinic=clinic, place=place),
        ngettext("Please arrive at %(time)s, 30 minutes before the appointment time.",
                 "Please arrive at %(time)s, 30 minutes before the appointment time.",
                 i18n.hour_shown(arrive), time=i18n.clock(arrive)),
        how)))
    if page:
        event.add("url", page)
    calendar.add_component(event)
    return calendar.to_ical()


def case_page(case):
    """The patient's page of `case` on the clinic's public address, as emails link to it: the same
    wherever the file is built (a patient's download, a cron's email)."""
    return public_url("patient.case", case_id=case.id)
