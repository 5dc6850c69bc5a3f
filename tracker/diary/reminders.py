"""Diary reminders by email or text: `flask reminders send`, safe to run from cron every few minutes.

A patient is reminded by the channel `tracker.contact.channel` picks: by text when their preferred
contact is a text message and their number takes texts and has not answered STOP, else by email
(claims per channel: a text and an email for the same point are separate attempts); a patient
who prefers phone calls gets none (the coordinator calls: the overdue list shows the case).

A reminder is due for a time point that is open now, or closed without an entry for every side
less than REMINDER_LATE_DAYS ago, on a live case (from the injection on, signed or not; the baseline while the injection is
booked, from 06:00 on its day, clinic time), whose patient can be reached (a live personal link, or a patient account), with fewer
than REMINDER_MAX_ATTEMPTS attempts for that point and channel and none in the last
REMINDER_REPEAT_HOURS; in the quiet hours (REMINDER_QUIET_HOURS) only when it would be of no use
once they end (a window closing before then, a baseline whose appointment starts before then).
`due_reminders` finds them all in one query per channel.

Exactly once, even with two workers at the same moment, and one message per patient and channel:
a worker claims everything due for one patient on a channel at once, by inserting a DiaryReminder
row for each of the patient's due points (attempt n for that point and channel) in ONE
transaction, before sending anything. The unique (point, channel, attempt) constraint lets one
worker's transaction win; the other's fails as a whole, so it claims none of that patient's points
and moves on to the next patient. Claiming point by point let one run take a case's Day 7 point
and another its 2-week point and send the patient two emails. n comes from the same snapshot as
the decision that the point is due, so a worker whose list is out of date asks for an attempt
number that is already taken. Every claimed point is then checked again just before sending (an
entry made meanwhile, a case closed or cancelled, a link revoked): those are marked skipped and
get no message.

A patient with several points due (on one case or several) gets one message for them all. An email holds a greeting, the
clinic's name and the personal link (or, for a patient with an account and no link, the sign-in
page): nothing clinical, no side, no score. Without MAIL_SERVER (development) it goes to the log.
"""
from dataclasses import dataclass
from datetime import time, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, literal, or_, select, text
from sqlalchemy.exc import IntegrityError

from tracker import contact, i18n
from tracker.clinic import clinic_contact
from tracker.diary.overdue import entry_missing, superseded
from tracker.diary.schedule import ANAESTHETIC_CODES, SCHEDULES
from tracker.diary.services import (AFTER_INJECTION_STATES, BASELINE, given_earlier, link_url, live_link,
                                    sides_of, with_pain_worse_line)
from tracker.extensions import db
from tracker.links import public_url
from tracker.mail import MailError, send_mail
from tracker.sms import SmsError, opted_out, send_sms
from tracker.models import Appointment, Case, DiaryLink, DiaryPoint, DiaryReminder, Patient, SmsOptOut, User
from tracker.timeutil import clinic_day_start, clinic_time, to_clinic, utcnow
from tracker.transactions import undo_refused_write
from tracker.vocab import AppointmentStatus, Side
from tracker.workflow import State

EMAIL, SMS = contact.EMAIL, contact.SMS
CLAIMED, SENT, SKIPPED, FAILED = "claimed", "sent", "skipped", "failed"

# The longest due window of any schedule. A point that closed after `now - late` opened after
# `now - late - LONGEST_WINDOW`: saying so lets the query read a short range of the pending
# points' (opens_at, closes_at) index instead of every point ever opened.
LONGEST_WINDOW = max(point.opens_before + point.closes_after
                     for schedule in SCHEDULES.values() for point in schedule.points)

# The baseline's reminder goes out from 06:00 (the clinic's clock) on the injection's day, not at
# the midnight its window opens.
BASELINE_REMINDER_AT = time(6)


@dataclass(frozen=True)
class DueReminder:
    point_id: int
    case_id: int
    patient_id: int
    channel: str
    # Attempts already made for this point and channel, as the due query saw them: the claim
    # asks for the next number, so a worker with an out-of-date list collides instead of resending.
    attempts: int


def _settings():
    config = current_app.config
    return (config["REMINDER_MAX_ATTEMPTS"], timedelta(hours=config["REMINDER_REPEAT_HOURS"]),
            timedelta(days=config["REMINDER_LATE_DAYS"]))


def due_query(now, max_attempts, repeat_after, late_limit, channel=EMAIL):
    """Every point a reminder may be due for at `now` on `channel`, as (point id, case id, patient id,
    channel, attempts so far, and the patient's preferred contact, phone and whether it answered
    STOP): `due_reminders` keeps the rows of the channel `contact.channel` picks for the patient (a
    number that takes texts is a question the database cannot answer)."""
    point = DiaryPoint
    attempts = (select(func.coalesce(func.max(DiaryReminder.attempt), 0))
                .where(DiaryReminder.point_id == point.id, DiaryReminder.channel == channel).scalar_subquery())
    # One row per attempt, so the cap and the repeat interval are one look-up on the unique
    # (point, channel, attempt) index.
    held_back = exists().where(DiaryReminder.point_id == point.id, DiaryReminder.channel == channel,
                               or_(DiaryReminder.attempt >= max_attempts,
                                   DiaryReminder.claimed_at > now - repeat_after))
    stopped = exists().where(SmsOptOut.phone == Patient.phone)
    link_works = and_(DiaryLink.case_id == Case.id, DiaryLink.revoked_at.is_(None), DiaryLink.expires_at > now)
    has_account = exists().where(User.patient_id == Case.patient_id, User.active.is_(True))
    if channel == SMS:
        # The text carries the live link, or the sign-in page for a patient with an account.
        reachable = or_(exists().where(link_works), has_account)
    else:
        reachable = or_(
            # A link texted keeps the number in sent_to: only an address is one to email.
            exists().where(link_works, or_(DiaryLink.sent_to.contains("@"), func.coalesce(Patient.email, "") != "")),
            # users.patient_id is set on patient accounts only (a CHECK constraint says so).
            has_account,
        )
    # Written on the point's own columns, so each branch is a range of one of its indexes.
    window = or_(
        and_(point.point_code != BASELINE, point.opens_at <= now,
             point.opens_at >= now - late_limit - LONGEST_WINDOW, point.closes_at >= now - late_limit,
             # An anaesthetic-window score is asked for only while its window is open, any other
             # only until a later point opens.
             or_(point.point_code.not_in(ANAESTHETIC_CODES), point.closes_at >= now), ~superseded(now)),
        # The baseline has no closing time until the injection starts. Its window opens at the
        # clinic's midnight of the injection's day (for a score recalled from early that morning):
        # its reminder waits for the morning, BASELINE_REMINDER_AT on that day's clock.
        and_(point.point_code == BASELINE, point.closes_at.is_(None),
             point.opens_at < clinic_day_start(_latest_baseline_morning(now) + timedelta(days=1))),
    )
    # The post-injection points are asked from the injection on, signed or not.
    live_case = or_(and_(Case.state.in_(sorted(AFTER_INJECTION_STATES, key=str)), point.point_code != BASELINE),
                    and_(Case.state == State.SCHEDULED, point.point_code == BASELINE))
    conditions = [window, live_case, reachable, ~held_back, entry_missing(),
                  # Only a narrowing: contact.channel decides.
                  Patient.preferred_contact.in_(contact.preferences_reached_by(channel)),
                  Patient.contact_ended.is_(None)]
    quiet_end = contact.quiet_until(now)
    if quiet_end is not None:
        # In the quiet hours, only what would be of no use once they end: a point whose window
        # closes before then (the anaesthetic window's scores after an evening injection), a
        # baseline whose appointment starts before then.
        booked_before = exists().where(Appointment.case_id == point.case_id,
                                       Appointment.status == AppointmentStatus.BOOKED,
                                       Appointment.starts_at < quiet_end)
        conditions.append(or_(and_(point.point_code != BASELINE, point.closes_at >= now,
                                   point.closes_at < quiet_end),
                              and_(point.point_code == BASELINE, booked_before)))
    return (
        select(point.id, point.case_id, Case.patient_id, literal(channel).label("channel"),
               attempts.label("attempts"), Patient.preferred_contact, Patient.phone, stopped.label("stopped"),
               Patient.contact_ended)
        .join(Case, Case.id == point.case_id)
        .join(Patient, Patient.id == Case.patient_id)
        .where(*conditions)
        .order_by(Case.patient_id, point.case_id, point.id)
    )


def _latest_baseline_morning(now):
    """The latest clinic day whose BASELINE_REMINDER_AT has come by `now`."""
    today = to_clinic(now).date()
    return today if clinic_time(today, BASELINE_REMINDER_AT) <= now else today - timedelta(days=1)


def due_reminders(now=None):
    now = now or utcnow()
    if db.engine.dialect.name == "postgresql":
        # The sub-selects inflate the planner's cost estimate past PostgreSQL's JIT thresholds:
        # it would spend about a second compiling a query that runs in a fraction of that.
        db.session.execute(text("SET LOCAL jit = off"))
    rows = [row for channel in (EMAIL, SMS) for row in db.session.execute(due_query(now, *_settings(), channel))]
    # End the read transaction: each claim below is a short transaction of its own.
    db.session.commit()
    # An email row was found only for a patient with an address to write to (or an account).
    return [DueReminder(*row[:5]) for row in rows
            if contact.channel(row.preferred_contact, row.phone, row.channel == EMAIL,
                               lambda _phone, stopped=row.stopped: stopped, row.contact_ended) == row.channel]


def send_due(due=None, now=None):
    """Claim, re-check and send every due reminder (`due`: a list from `due_reminders`, or found
    now), one message per patient and channel. Returns the Counts; a failed message is recorded
    and counts towards the cap."""
    now = now or utcnow()
    due = due_reminders(now) if due is None else due
    counts = contact.Counts()
    by_patient = {}
    for reminder in due:
        by_patient.setdefault((reminder.patient_id, reminder.channel), []).append(reminder)
    for (_patient_id, channel), reminders in by_patient.items():
        claim_ids = claim_for_patient(reminders, channel, now)
        if claim_ids:
            _send_for_patient(claim_ids, counts, channel)
        else:
            counts.taken += len(reminders)
    return counts


def claim_for_patient(reminders, channel, now):
    """Claim every due point of one patient for `channel` in one transaction: the ids of the new
    DiaryReminder rows, or [] when another worker claimed any of them first (it sends the one
    message for all of them)."""
    rows = [DiaryReminder(point_id=r.point_id, channel=channel, attempt=r.attempts + 1,
                          status=CLAIMED, claimed_at=now) for r in reminders]
    db.session.add_all(rows)
    try:
        db.session.commit()
    except IntegrityError:
        undo_refused_write()
        return []
    return [row.id for row in rows]


def _send_for_patient(claim_ids, counts, channel=EMAIL):
    """Re-check each claimed point just before sending, then one email (or text) for those still due."""
    claims = db.session.execute(
        db.select(DiaryReminder).filter(DiaryReminder.id.in_(claim_ids))
        .options(db.selectinload(DiaryReminder.point).selectinload(DiaryPoint.entries))
        .order_by(DiaryReminder.id)
    ).scalars().all()
    to_send, address, targets, reach, patient = [], None, [], {}, None
    for claim in claims:
        case = db.session.get(Case, claim.point.case_id)
        patient = case.patient
        if case.id not in reach:
            case_address, target = _recipient(case, live_link(case), _account(case))
            # The patient's channel as it is now: a STOP received meanwhile, another preferred contact,
            # the patient recorded as no longer reachable.
            if contact.channel(patient.preferred_contact, patient.phone, case_address, opted_out,
                               patient.contact_ended) != channel:
                case_address = None
            elif channel == SMS:
                case_address = patient.phone
            reach[case.id] = case_address, target
        case_address, target = reach[case.id]
        reason = _skip_reason(case, claim.point, case_address)
        if reason:
            claim.status, claim.detail = SKIPPED, reason
            counts.skipped += 1
            continue
        to_send.append(claim)
        address = address or case_address
        if target not in targets:
            targets.append(target)
    db.session.commit()
    if not to_send:
        return
    try:
        with i18n.patient_locale(patient):
            if channel == SMS:
                # No clinical detail in a text: the clinic's name, the link(s) and its number.
                send_sms(address, with_pain_worse_line(
                    _("%(clinic)s: it is time to fill in your pain diary: %(link)s",
                      clinic=current_app.config["CLINIC_NAME"], link=" ".join(targets))))
            else:
                subject = _("Your pain diary at %(clinic)s", clinic=current_app.config["CLINIC_NAME"])
                send_mail(address, subject, _message("\n".join(targets)))
    except (MailError, SmsError) as error:
        # A text the provider may have taken counts as an attempt like any other: the next one
        # comes only after REMINDER_REPEAT_HOURS, as a planned repeat reminder would.
        for claim in to_send:
            claim.status, claim.detail = FAILED, str(error)[:200] or "the mail server refused it"
        counts.failed += len(to_send)
        counts.failed_cases.extend(sorted({claim.point.case_id for claim in to_send}))
    else:
        sent_at = utcnow()
        configured = current_app.config.get("TWILIO_ACCOUNT_SID" if channel == SMS else "MAIL_SERVER")
        detail = None if configured else contact.log_only_detail(channel)
        for claim in to_send:
            claim.status, claim.sent_at, claim.detail = SENT, sent_at, detail
        counts.sent += len(to_send)
        counts.emails += channel == EMAIL
        counts.texts += channel == SMS
    db.session.commit()


def _account(case):
    return db.session.execute(
        db.select(User).filter(User.patient_id == case.patient_id, User.active.is_(True))
    ).scalar_one_or_none()


def _recipient(case, link, account):
    """(address, what the email opens): the live link if there is one, else the sign-in page
    for a patient with an account; (None, None) when the patient cannot be reached."""
    if link is not None:
        emailed_to = link.sent_to if link.sent_to and "@" in link.sent_to else None  # not a number it was texted to
        address = (case.patient.email or "").strip() or emailed_to or (account.email if account else None)
        return address, link_url(link)  # on PUBLIC_URL, as cron has no request
    if account is not None:
        return ((case.patient.email or "").strip() or account.email,
                public_url("auth.sign_in"))
    return None, None


def _skip_reason(case, point, address):
    entered = {Side(entry.side) for entry in point.entries if not given_earlier(point, entry)}
    if set(sides_of(case)) <= entered:
        return "entered before the reminder went"
    if case.state in (State.CLOSED, State.CANCELLED):
        return f"case {case.state.label.lower()}"
    live = {State.SCHEDULED} if point.point_code == BASELINE else AFTER_INJECTION_STATES
    if case.state not in live or (point.point_code == BASELINE and point.closes_at is not None):
        return f"case now {case.state.label.lower()}: not taking this entry"
    if address is None:
        return ("no way to reach the patient (link revoked or expired, no account or email; for a text: no number that "
                "takes texts, or STOP received; or another preferred contact now)")
    return None


def _message(target):
    return _("Hello,\n\nIt is time to fill in your pain diary. Please open:\n\n%(link)s\n\n"
             "If you have just filled it in, there is nothing more to do.\n\n%(clinic)s\n",
             link=target, clinic=clinic_contact().signature())
