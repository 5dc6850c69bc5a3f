"""Messages to patients about their appointments, sent by `flask reminders send`:

- a booking confirmation at the first run after the booking, while nothing else has gone about
  the appointment (within RECENT of the booking); reminders whose time came before the booking
  are covered by it;
- a preparation reminder at PREPARE_AT (clinic time) the day before the first day the patient
  acts on a dated step (the hold's last dose, the premedication's evening, the day fasting
  starts), when the first regular reminder would come on that day or later;
- a reminder APPOINTMENT_REMINDER_HOURS before it (default 48 and 24: two days and the day
  before); when several are due at once, only the nearest goes;
- an update when it moved after the patient was told of it (the reminders then follow the new
  time; one moved before anything went is confirmed at its new time);
- a cancellation when it was cancelled before its time.

None of them goes in the quiet hours (REMINDER_QUIET_HOURS, `contact.quiet_until`) unless the
appointment starts before they end: it waits for their end, and is then the message due at that
moment (a reminder whose time came at night goes in the morning).

By the patient's channel (`tracker.contact`): an email with the date, time, place, the preparation
this patient needs (from the risk screen), the clinic's phone and the .ics attached; or a text with
the date, time, place and the clinic's phone only (no clinical detail in a text: the preparation
is on the patient's page, which the text points to when they have an account). A patient reached by
text whose preparation has a step to act on (a hold, a premedication, fasting), or who has no
account to read it at, gets each message by email as well when there is an address; with neither an
account nor an address, the text says the clinic will call. In the patient's language.

Exactly once per channel, as for diary reminders: a sender claims attempt n of a topic by inserting
its AppointmentMessage row in a transaction of its own; the unique (appointment, topic, channel,
attempt) lets one claim win. Just before sending, the appointment is read again: a reminder for a
time it no longer has, or for an appointment cancelled meanwhile, is skipped. A failed send that
sent nothing is retried at the next run, up to REMINDER_MAX_ATTEMPTS; one that may have gone (the
provider did not answer) is marked uncertain and never repeated automatically. Staff see every
message on the appointment page and the day board and can send one again.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from sqlalchemy import and_, exists, or_
from sqlalchemy.exc import IntegrityError

from tracker import contact, i18n
from tracker.clinic import clinic_contact
from tracker.extensions import db
from tracker.links import public_url
from tracker.mail import MailError, send_mail
from tracker.models import Appointment, AppointmentChange, AppointmentMessage, Case, RiskScreen
from tracker.scheduling import calendar, instructions
from tracker.scheduling.instructions import preparation
from tracker.sms import SmsError, send_sms
from tracker.timeutil import clinic_zone, to_clinic, utcnow
from tracker.transactions import undo_refused_write
from tracker.vocab import NOT_STARTED, AppointmentStatus

REMINDER, UPDATE, CANCELLATION = "reminder", "update", "cancellation"
CLAIMED, SENT, SKIPPED, FAILED, UNCERTAIN = "claimed", "sent", "skipped", "failed", "uncertain"
# A move or a cancellation older than this sends nothing any more (the patient has long been told,
# or it is history).
RECENT = timedelta(days=2)
# The topics of the booking confirmation and the preparation reminder (both say what a reminder
# says, with their own opening: stored as reminders).
CONFIRMATION, PREPARATION = "booked-", "prepare-"
# The preparation reminder goes at this clinic time, the day before the patient first acts.
PREPARE_AT = time(9)
# How far ahead a preparation reminder can fall: the risk screen allows a hold of 30 days, whose
# last dose is 31 days before the procedure day and its reminder the day before that.
PREPARATION_HORIZON = timedelta(days=33)


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


def channels_for(appointment):
    """The channels the appointment's messages go by: the patient's (`contact.channel_for`), and
    email as well, when there is an address, for a patient reached by text who cannot read the
    preparation at their sign-in (no account) or whose preparation has a step to act on: a text
    carries none of it."""
    patient = appointment.case.patient
    channel = contact.channel_for(patient)
    if channel is None:
        return ()
    if (channel == contact.SMS and contact.email_address(patient)
            and (not contact.has_account(patient) or instructions.steps_to_act_on(appointment.case.risk_screen))):
        return (contact.SMS, contact.EMAIL)
    return (channel,)


def topic_of(appointment, now):
    """(topic, kind) of the message the appointment needs now, or (None, None)."""
    if appointment.status == AppointmentStatus.CANCELLED:
        cancelled = [c for c in appointment.changes if c.change == "cancelled"]
        if cancelled and cancelled[-1].at >= now - RECENT and appointment.starts_at > now:
            return "cancelled", CANCELLATION
        return None, None
    if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= now:
        return None, None
    channels = channels_for(appointment)
    moves = [c for c in appointment.changes if c.change == "rescheduled"]
    told = [m for m in appointment.messages if m.status in (SENT, UNCERTAIN)]
    # A move is news to a patient told of the appointment before it; one moved before anything went
    # is confirmed at its new time instead.
    if (moves and moves[-1].at >= now - RECENT and any(m.claimed_at < moves[-1].at for m in told)
            and not _settled(appointment, f"moved-{moves[-1].id}", channels)):
        return f"moved-{moves[-1].id}", UPDATE
    confirmation = f"{CONFIRMATION}{appointment.starts_at:%Y%m%d%H%M}"
    if (not any(m.topic != confirmation for m in told) and appointment.created_at >= now - RECENT
            and not _settled(appointment, confirmation, channels)):
        return confirmation, REMINDER
    timed = [(appointment.starts_at - timedelta(hours=hours), f"before-{hours}h-{appointment.starts_at:%Y%m%d%H%M}")
             for hours in offsets()]
    prepare = preparation_reminder(appointment)
    if prepare is not None and now < prepare.until:
        timed.append((prepare.at, prepare.topic))
    due = [(at, topic) for at, topic in timed if not _covered(appointment, at) and at <= now]
    if not due:
        return None, None
    # The nearest passed: an earlier reminder is no use once a later one is due.
    return max(due)[1], REMINDER


def _covered(appointment, at):
    """The confirmation, or the update of a move, says everything a reminder would: a reminder
    whose time had come by then is covered by it."""
    return at <= appointment.time_set_at


def preparation_reminder_to_come(appointment):
    """The preparation reminder a booked appointment still has to send (one whose time came
    before the booking or the move is covered by the confirmation or the update), or None."""
    prepare = preparation_reminder(appointment) if appointment.status == AppointmentStatus.BOOKED else None
    return prepare if prepare is not None and not _covered(appointment, prepare.at) else None


@dataclass(frozen=True)
class Preparing:
    """The preparation reminder: its topic, when it is due (09:00 the day before the first day to
    act, or a later change of a step), until when it is of use (the end of that day) and that day
    (clinic date)."""
    topic: str
    at: datetime
    until: datetime
    day: object


def preparation_reminder(appointment):
    """The appointment's preparation reminder, or None: it has no dated step as the patient is told
    it, or the first regular reminder comes before the first day to act."""
    zone = clinic_zone()
    starts = appointment.starts_at.astimezone(zone)
    day = instructions.first_day_to_act(appointment.case.risk_screen, starts,
                                        appointment.time_set_at.astimezone(zone))
    if day is None:
        return None
    first_day = datetime.combine(day, time(0), tzinfo=zone)
    hours = offsets()
    if hours and appointment.starts_at - timedelta(hours=hours[0]) < first_day:
        return None  # the first reminder is early enough
    at = datetime.combine(day - timedelta(days=1), PREPARE_AT, tzinfo=zone)
    changed = instructions.last_step_change(appointment.case.risk_screen)
    if changed is not None and changed > appointment.time_set_at:
        # A step changed after the booking or the move was in no message: it goes from the change,
        # even when 09:00 the day before came before the booking.
        at = max(at, changed)
    return Preparing(topic=f"{PREPARATION}{day:%Y%m%d}-{appointment.starts_at:%Y%m%d%H%M}", at=at,
                     until=datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone), day=day)


def _settled(appointment, topic, channels):
    """Whether the topic needs nothing more on any of `channels`: on each, it was sent (or may have
    been), skipped, or failed REMINDER_MAX_ATTEMPTS times. (A claim still being sent is not: the
    sender re-checks its own claim with this.) Without a channel, whether it went on any."""
    if not channels:
        return any(m.topic == topic and m.status in (SENT, UNCERTAIN) for m in appointment.messages)
    max_attempts = current_app.config["REMINDER_MAX_ATTEMPTS"]

    def done(channel):
        tried = [m for m in appointment.messages if m.topic == topic and m.channel == channel]
        return (any(m.status in (SENT, UNCERTAIN, SKIPPED) for m in tried)
                or sum(m.status == FAILED for m in tried) >= max_attempts)

    return all(done(channel) for channel in channels)


def preparation_unread(appointment):
    """What staff are told when the patient cannot read the preparation (`instructions.preparation_unread`)."""
    patient = appointment.case.patient
    return instructions.preparation_unread(appointment.case.risk_screen, patient.preferred_contact, patient.email,
                                           contact.has_account(patient))


def label(topic, kind):
    """What staff call a message: booking confirmation, preparation reminder, reminder, update,
    cancellation."""
    if topic.startswith(CONFIRMATION):
        return "booking confirmation"
    if topic.startswith(PREPARATION):
        return "preparation reminder"
    return kind


def due_messages(now=None):
    """Every appointment message due at `now`: two queries (the appointments, then their changes,
    messages and patients), whatever the number of appointments."""
    now = now or utcnow()
    horizon = now + timedelta(hours=max(offsets(), default=0))
    recent_change = exists().where(AppointmentChange.appointment_id == Appointment.id,
                                   AppointmentChange.change.in_(("rescheduled", "cancelled")),
                                   AppointmentChange.at >= now - RECENT)
    booked = Appointment.status == AppointmentStatus.BOOKED
    dated_step = exists().where(RiskScreen.case_id == Appointment.case_id, or_(
        RiskScreen.anticoagulant_hold_days >= 1, RiskScreen.contrast_premedication_planned.is_(True),
        RiskScreen.fasting_hours.is_not(None)))
    appointments = db.session.execute(
        db.select(Appointment)
        .where(Appointment.starts_at > now,
               or_(and_(booked, Appointment.starts_at <= horizon),
                   and_(booked, Appointment.created_at >= now - RECENT),  # to confirm
                   and_(booked, Appointment.starts_at <= now + PREPARATION_HORIZON, dated_step),
                   recent_change))
        .options(db.selectinload(Appointment.changes), db.selectinload(Appointment.messages),
                 db.selectinload(Appointment.case).selectinload(Case.patient),
                 db.selectinload(Appointment.case).selectinload(Case.risk_screen))
        .order_by(Appointment.starts_at)
    ).scalars().all()
    max_attempts = current_app.config["REMINDER_MAX_ATTEMPTS"]
    quiet_end = contact.quiet_until(now)
    due = []
    for appointment in appointments:
        topic, kind = topic_of(appointment, now)
        # In the quiet hours, only a message the patient needs before they end (an early appointment).
        if topic is None or (quiet_end is not None and appointment.starts_at >= quiet_end):
            continue
        for channel in channels_for(appointment):
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
    it stands at, or a reminder of the time it has) on each of its channels. Returns the messages
    ([] when the patient cannot be reached automatically or there is nothing to tell)."""
    now = now or utcnow()
    topic, kind = topic_of(appointment, now)
    if topic is None:
        if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= now:
            return []
        topic, kind = f"resent-{appointment.starts_at:%Y%m%d%H%M}", REMINDER
    sent = []
    for channel in channels_for(appointment):
        attempt = 1 + max((m.attempt for m in appointment.messages if m.topic == topic and m.channel == channel),
                          default=0)
        message = claim(appointment.id, topic, kind, channel, attempt, now, requested_by=actor)
        if message is not None:
            sent.append(deliver(message, now, contact.Counts(), recheck=False))
    return sent


def deliver(message, now, counts, recheck=True):
    """Re-check the claimed message against the appointment as it is now, then send it."""
    appointment = db.session.get(Appointment, message.appointment_id)  # as it is now: the claim's commit expired it
    patient = appointment.case.patient
    if recheck:
        topic, _kind = topic_of(appointment, now)
        if topic != message.topic:
            return _finish(message, counts, SKIPPED, _why_not(appointment))
    channel = message.channel
    if channel not in channels_for(appointment):
        return _finish(message, counts, SKIPPED, "the patient's contact changed since it was due")
    with i18n.patient_locale(patient):
        try:
            if channel == contact.SMS:
                send_sms(contact.text_number(patient), text_body(appointment, message.kind, message.topic))
            else:
                subject, body = email_body(appointment, message.kind, message.topic)
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
    return _finish(message, counts, SENT, contact.log_only_detail(channel) if logged else None)


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

def _when_and_where(appointment, written=i18n.long_date):
    place = i18n.place(appointment.room)
    return written(appointment.starts_at), i18n.clock(appointment.starts_at), place


# Messages with "at %(time)s" are counted by the hour shown (`i18n.hour_shown`): "a la 1:05", "a las 2:05".


def _phone_line(kind=None):
    if kind == CANCELLATION:
        # Nothing left to come to: "or you cannot come?" would read as if it still stood.
        return clinic_contact().call_line()
    phone = clinic_contact().phone_shown
    return (_("Questions, or you cannot come? Call the clinic on %(phone)s.", phone=phone) if phone
            else _("Questions, or you cannot come? Call the clinic."))


def _text_phone_line(kind):
    """`_phone_line` as a text says it: the same words in English, shorter ones where a language's
    letters make a text Unicode (67 characters a part: README, Text messages)."""
    phone = clinic_contact().phone_shown
    if kind == CANCELLATION:
        return (pgettext("text message", "Questions? Call the clinic on %(phone)s.", phone=phone) if phone
                else pgettext("text message", "Questions? Call the clinic."))
    return (pgettext("text message", "Questions, or you cannot come? Call the clinic on %(phone)s.", phone=phone)
            if phone else pgettext("text message", "Questions, or you cannot come? Call the clinic."))


def text_body(appointment, kind, topic=""):
    """A text: the clinic, the date (short: "Wed, Sep 29"), time and place, the clinic's phone and
    where to read how to prepare. Nothing clinical: no procedure, side, drug or instruction. The
    preparation reminder leaves the place to the reminders that follow it."""
    clinic = current_app.config["CLINIC_NAME"]
    day, time, place = _when_and_where(appointment, i18n.short_date)
    hour = i18n.hour_shown(appointment.starts_at)
    if kind == CANCELLATION:
        lines = [ngettext("%(clinic)s: your appointment on %(day)s at %(time)s is cancelled.",
                          "%(clinic)s: your appointment on %(day)s at %(time)s is cancelled.", hour,
                          clinic=clinic, day=day, time=time)]
        if hold_undone(appointment):
            # No drug named in a text: the email and the patient's page name it.
            lines.append(_("If you stopped a medicine for this appointment, ask the clinic when to start it again."))
    else:
        if kind == UPDATE:
            lead = ngettext("%(clinic)s: your appointment has moved to %(day)s at %(time)s, %(place)s.",
                            "%(clinic)s: your appointment has moved to %(day)s at %(time)s, %(place)s.", hour,
                            clinic=clinic, day=day, time=time, place=place)
        elif topic.startswith(CONFIRMATION):
            lead = ngettext("%(clinic)s: your appointment is booked for %(day)s at %(time)s, %(place)s.",
                            "%(clinic)s: your appointment is booked for %(day)s at %(time)s, %(place)s.", hour,
                            clinic=clinic, day=day, time=time, place=place)
        elif topic.startswith(PREPARATION):
            lead = ngettext("%(clinic)s: prepare from %(first_day)s for your appointment on %(day)s at %(time)s.",
                            "%(clinic)s: prepare from %(first_day)s for your appointment on %(day)s at %(time)s.",
                            hour, clinic=clinic, day=day, time=time,
                            first_day=_first_day_to_act(appointment, i18n.short_date))
        else:
            lead = ngettext("%(clinic)s: reminder of your appointment on %(day)s at %(time)s, %(place)s.",
                            "%(clinic)s: reminder of your appointment on %(day)s at %(time)s, %(place)s.",
                            hour, clinic=clinic, day=day, time=time, place=place)
        if contact.EMAIL in channels_for(appointment):
            # The email that goes with it holds the whole preparation.
            how = pgettext("text message", "How to prepare: in the email we sent you.")
        elif contact.has_account(appointment.case.patient):
            how = _("How to prepare: %(link)s", link=_sign_in_link())
        else:
            # No email and no account: the sign-in address would lead nowhere; staff are told to call.
            how = _("How to prepare: the clinic will call you before your appointment.")
        lines = [lead, how]
    return " ".join([*lines, _text_phone_line(kind)])


def _first_day_to_act(appointment, written=i18n.long_date):
    prepare = preparation_reminder(appointment)
    return written(prepare.day) if prepare else ""


def email_body(appointment, kind, topic=""):
    clinic = current_app.config["CLINIC_NAME"]
    day, time, place = _when_and_where(appointment)
    # "10:15 AM (New York time)", as the patient's pages say it: an email may be read in another zone.
    time = i18n.in_clinic_zone(time)
    hour = i18n.hour_shown(appointment.starts_at)
    if kind == CANCELLATION:
        subject = _("Your appointment on %(day)s is cancelled", day=day)
        parts = [_("Hello,"), ngettext("Your appointment at %(clinic)s on %(day)s at %(time)s is cancelled. "
                                       "The attached calendar file removes it from your calendar.",
                                       "Your appointment at %(clinic)s on %(day)s at %(time)s is cancelled. "
                                       "The attached calendar file removes it from your calendar.", hour,
                                       clinic=clinic, day=day, time=time)]
        parts += [i18n.say(step) for step in after_cancelling(appointment)]
    else:
        if kind == UPDATE:
            subject, lead = (_("Your appointment has moved: %(day)s", day=day),
                             _("Your appointment has moved. The new time:"))
        elif topic.startswith(CONFIRMATION):
            subject, lead = (_("Your appointment is booked: %(day)s", day=day),
                             _("Your appointment is booked:"))
        elif topic.startswith(PREPARATION):
            subject = _("Prepare for your appointment from %(first_day)s", first_day=_first_day_to_act(appointment))
            lead = _("Your preparation for this appointment starts on %(first_day)s:",
                     first_day=_first_day_to_act(appointment))
        else:
            subject, lead = (_("Your appointment at %(clinic)s: %(day)s", clinic=clinic, day=day),
                             _("This is a reminder of your appointment:"))
        steps = [i18n.say(step) for step in preparation_for(appointment)]
        parts = [_("Hello,"), lead,
                 ngettext("%(day)s at %(time)s\n%(clinic)s, %(place)s", "%(day)s at %(time)s\n%(clinic)s, %(place)s",
                          hour, day=day, time=time, clinic=clinic, place=place),
                 _("Before you come:") + "\n" + "\n".join(f"- {step}" for step in steps),
                 _("The attached calendar file adds it to your calendar (or updates it).")]
    parts += [_phone_line(kind), clinic_contact().signature(with_phone=False)]
    return subject, "\n\n".join(parts) + "\n"


def preparation_for(appointment):
    """The steps the patient is told before the appointment (their page, the email, the staff's
    copy), judged from when it got its time: a step that did not fit then says to call the clinic."""
    return preparation(appointment.case.risk_screen, to_clinic(appointment.starts_at),
                       told_at=to_clinic(appointment.time_set_at), phone=clinic_contact().phone_shown)


def after_cancelling(appointment, next_day=...):
    """What the patient is told when the appointment is cancelled about the steps they may have
    begun (instructions.after_cancelling): the cancellation's email and the patient's page. Once
    another appointment of the patient is booked (this case booked again, or another case), they
    are sent to that appointment's preparation instead of being told to undo this one's.
    `next_day`: that appointment's day (next_booked_day) when the caller has read it already."""
    if next_day is ...:
        next_day = next_booked_day(appointment.case.patient_id)
    return instructions.after_cancelling(appointment.case.risk_screen, to_clinic(appointment.starts_at),
                                         to_clinic(appointment.time_set_at), next_day=next_day)


def next_booked_day(patient_id):
    """The clinic day of the patient's next appointment not started yet and still to come, or None
    (a cancelled appointment is never one of them)."""
    starts_at = db.session.execute(
        db.select(Appointment.starts_at).join(Appointment.case)
        .where(Case.patient_id == patient_id, Appointment.status.in_(NOT_STARTED), Appointment.starts_at > utcnow())
        .order_by(Appointment.starts_at).limit(1)).scalar()
    return None if starts_at is None else to_clinic(starts_at).date()


def hold_undone(appointment):
    """For staff, on a cancelled appointment: the blood-thinner hold the patient was told, to undo."""
    return instructions.hold_undone_words(appointment.case.risk_screen, to_clinic(appointment.starts_at),
                                          to_clinic(appointment.time_set_at))


def _sign_in_link():
    return public_url("auth.sign_in")

