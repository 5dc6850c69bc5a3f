"""Messages to patients about their appointments, sent by `flask reminders send`:

- a reminder APPOINTMENT_REMINDER_HOURS before it (default 48 and 24: two days and the day
  before); when several are due at once (booked late), only the nearest goes;
- an update when it moved (after the move; the reminders then follow the new time);
- a cancellation when it was cancelled before its time.

By the patient's channel (`tracker.contact`): an email with the date, time, place, the preparation
this patient needs (from the risk screen), the clinic's phone and the .ics attached; or a text with
the date, time, place and the clinic's phone only (no clinical detail in a text: the preparation
is on the patient's page, which the text points to). In the patient's language.

Exactly once per channel, as for diary reminders: a sender claims attempt n of a topic by inserting
its AppointmentMessage row in a transaction of its own; the unique (appointment, topic, channel,
attempt) lets one claim win. Just before sending, the appointment is read again: a reminder for a
time it no longer has, or for an appointment cancelled meanwhile, is skipped. A failed send that
sent nothing is retried at the next run, up to REMINDER_MAX_ATTEMPTS; one that may have gone (the
provider did not answer) is marked uncertain and never repeated automatically. Staff see every
message on the appointment page and the day board and can send one again.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, exists, or_
from sqlalchemy.exc import IntegrityError

from tracker import contact, i18n
from tracker.clinic import clinic_contact
from tracker.extensions import db
from tracker.mail import MailError, send_mail
from tracker.models import Appointment, AppointmentChange, AppointmentMessage, Case
from tracker.scheduling import calendar
from tracker.scheduling.instructions import preparation
from tracker.sms import SmsError, send_sms
from tracker.timeutil import to_clinic, utcnow
from tracker.transactions import undo_refused_write
from tracker.vocab import AppointmentStatus

REMINDER, UPDATE, CANCELLATION = "reminder", "update", "cancellation"
CLAIMED, SENT, SKIPPED, FAILED, UNCERTAIN = "claimed", "sent", "skipped", "failed", "uncertain"
# A move or a cancellation older than this sends nothing any more (the patient has long been told,
# or it is history).
RECENT = timedelta(days=2)


@dataclass(frozen=True)
class Due:
    appointment_id: int
    topic: str
    kind: str
    channel: str
    attempts: int


def offsets():
    """The reminder offsets in hours, farthest first: APPOINTMENT_REMINDER_HOURS, e.g. "48,24"."""
    text = str(current_app.config["APPOINTMENT_REMINDER_HOURS"])
    return sorted({int(part) for part in text.replace(" ", "").split(",") if part}, reverse=True)


def topic_of(appointment, now):
    """(topic, kind) of the message the appointment needs now, or (None, None)."""
    if appointment.status == AppointmentStatus.CANCELLED:
        cancelled = [c for c in appointment.changes if c.change == "cancelled"]
        if cancelled and cancelled[-1].at >= now - RECENT and appointment.starts_at > now:
            return "cancelled", CANCELLATION
        return None, None
    if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= now:
        return None, None
    moves = [c for c in appointment.changes if c.change == "rescheduled"]
    if moves and moves[-1].at >= now - RECENT and not _settled(appointment, f"moved-{moves[-1].id}"):
        return f"moved-{moves[-1].id}", UPDATE
    # The update of a move says everything a reminder would: reminders whose time had come by
    # then are covered by it.
    covered_until = moves[-1].at if moves else None
    due = [hours for hours in offsets() if appointment.starts_at - timedelta(hours=hours) <= now
           and (covered_until is None or appointment.starts_at - timedelta(hours=hours) > covered_until)]
    if not due:
        return None, None
    # The nearest offset passed: a reminder for the farther one is no use once this one is due.
    return f"before-{due[-1]}h-{appointment.starts_at:%Y%m%d%H%M}", REMINDER


def _settled(appointment, topic):
    """Whether the topic was sent (or may have been) on some channel already. (A claim still being
    sent is not: the sender re-checks its own claim with this.)"""
    return any(m.topic == topic and m.status in (SENT, UNCERTAIN) for m in appointment.messages)


def due_messages(now=None):
    """Every appointment message due at `now`: two queries (the appointments, then their changes,
    messages and patients), whatever the number of appointments."""
    now = now or utcnow()
    horizon = now + timedelta(hours=max(offsets(), default=0))
    recent_change = exists().where(AppointmentChange.appointment_id == Appointment.id,
                                   AppointmentChange.change.in_(("rescheduled", "cancelled")),
                                   AppointmentChange.at >= now - RECENT)
    appointments = db.session.execute(
        db.select(Appointment)
        .where(Appointment.starts_at > now,
               or_(and_(Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at <= horizon),
                   recent_change))
        .options(db.selectinload(Appointment.changes), db.selectinload(Appointment.messages),
                 db.selectinload(Appointment.case).selectinload(Case.patient))
        .order_by(Appointment.starts_at)
    ).scalars().all()
    max_attempts = current_app.config["REMINDER_MAX_ATTEMPTS"]
    due = []
    for appointment in appointments:
        topic, kind = topic_of(appointment, now)
        channel = contact.channel_for(appointment.case.patient)
        if topic is None or channel is None:
            continue
        tried = [m for m in appointment.messages if m.topic == topic and m.channel == channel]
        if any(m.status in (SENT, UNCERTAIN, CLAIMED, SKIPPED) for m in tried) or len(tried) >= max_attempts:
            continue
        due.append(Due(appointment.id, topic, kind, channel, len(tried)))
    db.session.commit()  # end the read: each claim is a transaction of its own
    return due


def send_due(now=None):
    now = now or utcnow()
    counts = contact.Counts()
    for item in due_messages(now):
        message = claim(item.appointment_id, item.topic, item.kind, item.channel, item.attempts + 1, now)
        if message is None:
            counts.taken += 1
            continue
        deliver(message, now, counts)
    return counts


def claim(appointment_id, topic, kind, channel, attempt, now, requested_by=None):
    """Insert attempt n of the topic on the channel; None if another sender holds it already."""
    message = AppointmentMessage(appointment_id=appointment_id, topic=topic, kind=kind, channel=channel,
                                 attempt=attempt, status=CLAIMED, claimed_at=now,
                                 requested_by_id=requested_by.id if requested_by else None)
    db.session.add(message)
    try:
        db.session.commit()
    except IntegrityError:
        undo_refused_write()
        return None
    return message


def resend(appointment, actor, now=None):
    """Staff send the appointment's current message again (the reminder, update or cancellation
    it stands at, or a reminder of the time it has). Returns the message, or None when the
    patient cannot be reached automatically."""
    now = now or utcnow()
    topic, kind = topic_of(appointment, now)
    if topic is None:
        if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= now:
            return None
        topic, kind = f"resent-{appointment.starts_at:%Y%m%d%H%M}", REMINDER
    channel = contact.channel_for(appointment.case.patient)
    if channel is None:
        return None
    attempt = 1 + max((m.attempt for m in appointment.messages if m.topic == topic and m.channel == channel),
                      default=0)
    message = claim(appointment.id, topic, kind, channel, attempt, now, requested_by=actor)
    if message is not None:
        deliver(message, now, contact.Counts(), recheck=False)
    return message


def deliver(message, now, counts, recheck=True):
    """Re-check the claimed message against the appointment as it is now, then send it."""
    appointment = db.session.get(Appointment, message.appointment_id)  # as it is now: the claim's commit expired it
    patient = appointment.case.patient
    if recheck:
        topic, _kind = topic_of(appointment, now)
        if topic != message.topic:
            return _finish(message, counts, SKIPPED, _why_not(appointment))
    channel = contact.channel_for(patient)
    if channel != message.channel:
        return _finish(message, counts, SKIPPED, "the patient's contact changed since it was due")
    with i18n.patient_locale(patient):
        try:
            if channel == contact.SMS:
                send_sms(contact.text_number(patient), text_body(appointment, message.kind))
            else:
                subject, body = email_body(appointment, message.kind)
                cancelled = message.kind == CANCELLATION
                send_mail(contact.email_address(patient), subject, body, attachments=[
                    (calendar.filename(appointment), calendar.MIMETYPE,
                     calendar.appointment_calendar(appointment, cancelled=cancelled))])
        except SmsError as error:
            return _finish(message, counts, UNCERTAIN if error.maybe_sent else FAILED, str(error))
        except MailError as error:
            return _finish(message, counts, FAILED, str(error) or "the mail server refused it")
    logged = not (current_app.config.get("TWILIO_ACCOUNT_SID") if channel == contact.SMS
                  else current_app.config.get("MAIL_SERVER"))
    return _finish(message, counts, SENT, "written to the log (no provider configured)" if logged else None)


def _why_not(appointment):
    if appointment.status == AppointmentStatus.CANCELLED:
        return "the appointment was cancelled before the message went"
    if appointment.status != AppointmentStatus.BOOKED:
        return f"the appointment is {appointment.status.label.lower()}"
    return "the appointment moved before the message went"


def _finish(message, counts, status, detail):
    message.status, message.detail = status, (detail or None) and detail[:200]
    if status == SENT:
        message.sent_at = utcnow()
        counts.sent += 1
    elif status == SKIPPED:
        counts.skipped += 1
    else:
        counts.failed += 1
    db.session.commit()
    return message


# ------------------------------------------------------------------ what the patient reads

def _when_and_where(appointment):
    place = appointment.room.location or appointment.room.name
    return i18n.long_date(appointment.starts_at), i18n.clock(appointment.starts_at), place


# Messages with "at %(time)s" are counted by the hour shown (`i18n.hour_shown`): "a la 1:05", "a las 2:05".


def _phone_line():
    phone = clinic_contact().phone_shown
    return (_("Questions, or you cannot come? Call the clinic on %(phone)s.", phone=phone) if phone
            else _("Questions, or you cannot come? Call the clinic."))


def text_body(appointment, kind):
    """A text: the clinic, the date, time and place, the clinic's phone and where to read how to
    prepare. Nothing clinical: no procedure, side, drug or instruction."""
    clinic = current_app.config["CLINIC_NAME"]
    day, time, place = _when_and_where(appointment)
    hour = i18n.hour_shown(appointment.starts_at)
    if kind == CANCELLATION:
        lines = [ngettext("%(clinic)s: your appointment on %(day)s at %(time)s is cancelled.",
                          "%(clinic)s: your appointment on %(day)s at %(time)s is cancelled.", hour,
                          clinic=clinic, day=day, time=time)]
    else:
        lead = (ngettext("%(clinic)s: your appointment has moved to %(day)s at %(time)s, %(place)s.",
                         "%(clinic)s: your appointment has moved to %(day)s at %(time)s, %(place)s.", hour,
                         clinic=clinic, day=day, time=time, place=place) if kind == UPDATE
                else ngettext("%(clinic)s: reminder of your appointment on %(day)s at %(time)s, %(place)s.",
                              "%(clinic)s: reminder of your appointment on %(day)s at %(time)s, %(place)s.",
                              hour, clinic=clinic, day=day, time=time, place=place))
        lines = [lead, _("How to prepare: %(link)s", link=_sign_in_link())]
    return " ".join([*lines, _phone_line()])


def email_body(appointment, kind):
    clinic = current_app.config["CLINIC_NAME"]
    day, time, place = _when_and_where(appointment)
    hour = i18n.hour_shown(appointment.starts_at)
    if kind == CANCELLATION:
        subject = _("Your appointment on %(day)s is cancelled", day=day)
        parts = [_("Hello,"), ngettext("Your appointment at %(clinic)s on %(day)s at %(time)s is cancelled. "
                                       "The attached calendar file removes it from your calendar.",
                                       "Your appointment at %(clinic)s on %(day)s at %(time)s is cancelled. "
                                       "The attached calendar file removes it from your calendar.", hour,
                                       clinic=clinic, day=day, time=time)]
    else:
        subject = (_("Your appointment has moved: %(day)s", day=day) if kind == UPDATE
                   else _("Your appointment at %(clinic)s: %(day)s", clinic=clinic, day=day))
        lead = (_("Your appointment has moved. The new time:") if kind == UPDATE
                else _("This is a reminder of your appointment:"))
        steps = [i18n.say(step) for step in preparation_for(appointment)]
        parts = [_("Hello,"), lead,
                 ngettext("%(day)s at %(time)s\n%(clinic)s, %(place)s", "%(day)s at %(time)s\n%(clinic)s, %(place)s",
                          hour, day=day, time=time, clinic=clinic, place=place),
                 _("Before you come:") + "\n" + "\n".join(f"- {step}" for step in steps),
                 _("The attached calendar file adds it to your calendar (or updates it).")]
    parts += [_phone_line(), clinic_contact().signature(with_phone=False)]
    return subject, "\n\n".join(parts) + "\n"


def preparation_for(appointment):
    """The steps the patient is told before the appointment (their page, the email, the staff's
    copy), judged from when it got its time: a step that did not fit then says to call the clinic."""
    return preparation(appointment.case.risk_screen, to_clinic(appointment.starts_at),
                       told_at=to_clinic(appointment.time_set_at), phone=clinic_contact().phone_shown)


def _sign_in_link():
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return url_for("auth.sign_in", _external=True)
