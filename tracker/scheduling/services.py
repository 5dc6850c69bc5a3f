"""Booking, rescheduling and cancelling appointments; check-in, readiness and no-shows.

Overlaps of the same physician or room are refused even when two people book at the same moment:
a booking first takes the schedule locks of its physician and room (see ScheduleLock), then checks
for overlaps and writes, all in one transaction. Everything else a clinic worries about is a
warning the coordinator acknowledges.
"""
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from tracker import audit, contact
from tracker.cases.services import answered_elsewhere, guard_facts, risk_screens_elsewhere, transition
from tracker.diary import services as diary
from tracker.eligibility.standing import current_assessment, over_cap_with_booked, staleness, too_close_to_booked
from tracker.extensions import db
from tracker.models import (Appointment, AppointmentChange, CaseHistory, Closure, Room, User,
                            WorkingHours)
from tracker.models.schedule import ACTIVE_STATUSES
from tracker.policy import CriterionCode
from tracker.policy.engine import day_words
from tracker.procedures.rules.billing import BOOKING_BOOKED_WARNING, BOOKING_VERDICT_WARNING
from tracker.refusals import Refusal, check_version
from tracker.roles import Role
from tracker.scheduling import instructions, readiness
from tracker.scheduling.liability import notice_for
from tracker.scheduling.release import missed, release
from tracker.scheduling.rules import (MAX_DURATION, MIN_DURATION, Busy, Closed, Hours, closed_on, closed_words,
                                     free_slots, outside_hours)
from tracker.timeutil import clinic_day_start, clinic_today, clinic_zone, to_clinic, utcnow
from tracker.transactions import lock, service
from tracker.vocab import NOT_STARTED, AppointmentStatus, Modality
from tracker.workflow import State, stale_verdict_words, verdict_problems

log = logging.getLogger(__name__)

# The payer criteria that become booking warnings when the appointment's date would break them.
PAYER_WARNINGS = (CriterionCode.DIAGNOSTIC_CAP, CriterionCode.THERAPEUTIC_CAP, CriterionCode.SPACING)


@dataclass
class BookingProblems(Refusal):
    """Why a booking was not made: errors per field, and warnings still to acknowledge."""

    errors: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    taken: bool = False
    # The user acknowledged warnings, but not these: something changed after the page was shown.
    changed: bool = False

    def __str__(self):
        return " ".join(self.errors.values())


@dataclass(frozen=True)
class Proposal:
    start: object
    duration: timedelta
    physician_id: int
    room_id: int

    @property
    def end(self):
        return self.start + self.duration


# ------------------------------------------------------------------ reading the schedule

def active_rooms():
    """Fluoroscopy suites first (the usual guidance), then CT, each by name."""
    return db.session.execute(_active_rooms(Room)).scalars().all()


def active_room_headings():
    """The active rooms in the same order, as the id, name and modality heading a day board's
    columns (plain rows: the board reads nothing else of them)."""
    return db.session.execute(_active_room_headings()).all()


@lru_cache(maxsize=1)
def _active_room_headings():
    return _active_rooms(Room.id, Room.name, Room.modality)  # built once per process


def _active_rooms(*columns):
    fluoroscopy_first = db.case((Room.modality == Modality.FLUOROSCOPY, 0), else_=1)
    return db.select(*columns).where(Room.active.is_(True)).order_by(fluoroscopy_first, Room.name)


def busy_between(start, end, exclude_id=None):
    """Active appointments overlapping [start, end), in one query (less the one being moved)."""
    statement = (
        db.select(Appointment.physician_id, Appointment.room_id, Appointment.starts_at,
                  Appointment.ends_at)
        .filter(Appointment.status.in_(ACTIVE_STATUSES), Appointment.starts_at < end,
                Appointment.ends_at > start)
    )
    if exclude_id is not None:
        statement = statement.filter(Appointment.id != exclude_id)
    rows = db.session.execute(statement).all()
    return [Busy(r.physician_id, r.room_id, r.starts_at, r.ends_at) for r in rows]


def working_hours(physician_ids=None):
    query = db.select(WorkingHours)
    if physician_ids:
        query = query.filter(WorkingHours.physician_id.in_(physician_ids))
    return [Hours(h.physician_id, h.weekday, h.starts, h.ends)
            for h in db.session.execute(query).scalars()]


def clinic_weekdays():
    """The weekdays (0 = Monday) the clinic works: those an active physician has working hours on."""
    return frozenset(db.session.execute(
        db.select(WorkingHours.weekday).join(User, User.id == WorkingHours.physician_id)
        .filter(User.active.is_(True), User.role == Role.PHYSICIAN).distinct()).scalars())


def closures_between(first, last):
    """The closures (rules.Closed) covering any day from `first` to `last`, clinic-wide and each
    physician's leave, in one query (index: last day)."""
    rows = db.session.execute(db.select(Closure.first_day, Closure.last_day, Closure.reason, Closure.physician_id)
                              .filter(Closure.last_day >= first, Closure.first_day <= last)
                              .order_by(Closure.first_day, Closure.id)).all()
    return [Closed(*row) for row in rows]


def clinic_closed():
    """The clinic-wide closures from today on: the days `first_clinic_day` skips."""
    return [Closed(*row) for row in db.session.execute(
        db.select(Closure.first_day, Closure.last_day, Closure.reason, Closure.physician_id)
        .filter(Closure.last_day >= clinic_today(), Closure.physician_id.is_(None))
        .order_by(Closure.first_day)).all()]


def next_free_slots(first_day, duration, physician_id=None, limit=10, days=14, exclude_id=None):
    """The first free combinations of time, physician and room from `first_day`: a fixed number of
    queries (rooms, physicians' hours, the busy intervals of the window)."""
    zone = clinic_zone()
    room_ids = [room.id for room in active_rooms()]
    active_physicians = {u.id for u in db.session.execute(
        db.select(User).filter_by(role=Role.PHYSICIAN, active=True)).scalars()}
    wanted = {physician_id} if physician_id else active_physicians
    hours = [h for h in working_hours(list(wanted)) if h.physician_id in active_physicians]
    busy = busy_between(clinic_day_start(first_day), clinic_day_start(first_day + timedelta(days=days)),
                        exclude_id)
    closures = closures_between(first_day, first_day + timedelta(days=days))
    return free_slots(first_day, days, duration, hours, room_ids, busy, zone, utcnow(), limit, closures=closures)


# ------------------------------------------------------------------ checking a proposal

def past(start):
    """{field: why} for a start already past ({} when it is ahead): the field that is wrong, the date
    when the whole day has gone, the time when it is today. The booking form says it with the form's
    own errors (a duration out of range), all at once."""
    if start >= utcnow():
        return {}
    if to_clinic(start).date() < clinic_today():
        return {"date": "This day has already passed; choose today or a later day."}
    return {"start": "This time has already passed today; choose a later time."}


def check(case, proposal, exclude_id=None):
    """Errors (refuse) and warnings (acknowledge) for booking `proposal` for `case`."""
    errors, warnings = past(proposal.start), []
    if not MIN_DURATION <= proposal.duration <= MAX_DURATION:
        errors["duration"] = ("An appointment lasts between 15 and 240 minutes (4 hours): the procedure alone "
                              "takes 20–30.")
    room = db.session.get(Room, proposal.room_id)
    if room is None or not room.active:
        errors["room_id"] = "This room is not in use; choose an active room."
    physician = db.session.get(User, proposal.physician_id)
    if physician is None or not physician.active or physician.role != Role.PHYSICIAN:
        errors["physician_id"] = "Choose an active physician."
    if errors:
        return errors, warnings

    zone = clinic_zone()
    outside = outside_hours(proposal.start, proposal.end, proposal.physician_id,
                            working_hours([proposal.physician_id]), zone, physician.name)
    day = to_clinic(proposal.start).date()
    closed = closed_on(day, proposal.physician_id, closures_between(day, day))
    if closed:
        warnings.append(closed_words(day, closed, physician.name))
    if outside:
        warnings.append(outside)
    same_day = [a for a in _patient_appointments_on(case.patient_id, day) if a.id != exclude_id]
    if same_day:
        warnings.append("The patient already has an appointment that day "
                        f"({', '.join(to_clinic(a.starts_at).strftime('%H:%M') for a in same_day)}).")
    for when, offset in (("the day before", -1), ("the day after", 1)):
        for other in _patient_appointments_on(case.patient_id, day + timedelta(days=offset)):
            if other.id != exclude_id:
                warnings.append(f"The patient has another appointment {when}: case {other.case_id} "
                                f"({other.case.side.label.lower()}) on {to_clinic(other.starts_at):%A %d %B %Y at %H:%M}. "
                                f"Two injection sessions on consecutive days: check they are meant to be separate.")
    warnings += risk_screens_elsewhere(case)
    if case.patient.contact_ended is not None:
        # Died is refused before (_refuse_or_warn); someone who left may come back for this.
        warnings.append(f"The patient's record says they can no longer be reached: "
                        f"{contact.contact_ended_words(case.patient)} (recorded by {case.patient.contact_ended_by}). "
                        f"Nothing is sent to them about this appointment: tell them yourself.")
    verdict, _ = current_assessment(case, as_of=day, session_on=day)
    for criterion in verdict.criteria:
        if criterion.code in PAYER_WARNINGS and criterion.status != "met":
            allows = (f"; the first day this rule allows: {day_words(criterion.first_allowed)}"
                      if criterion.first_allowed else "")
            warnings.append(f"{BOOKING_VERDICT_WARNING}{day.isoformat()}: {criterion.label}: {criterion.evidence}{allows}.")
    for breach in over_cap_with_booked(case, day):
        warnings.append(f"{BOOKING_BOOKED_WARNING}{breach.kind} 12-month cap on that date, counting the sessions "
                        f"already booked: {breach.words()}. Once given, a session over the cap is not covered.")
    for near in too_close_to_booked(case, day):
        warnings.append(f"{BOOKING_BOOKED_WARNING}interval between therapeutic injections on that date, counting the "
                        f"sessions already booked: {near.words()}. Once given, an injection too soon is not covered.")
    warnings += instructions.too_late(case.risk_screen, to_clinic(proposal.start), to_clinic(utcnow()),
                                      weekdays=clinic_weekdays(), closed=clinic_closed())
    far = _far_ahead(case, day)
    if far:
        warnings.append(far)
    return errors, warnings


def _far_ahead(case, day):
    """The warning for an appointment more than BOOKING_FAR_MONTHS ahead, or None."""
    months = current_app.config["BOOKING_FAR_MONTHS"]
    if day <= clinic_today() + relativedelta(months=months):
        return None
    verdict = case.current_verdict
    since = (f" The eligibility verdict it rests on is of {to_clinic(verdict.evaluated_at):%d %B %Y} and may "
             "no longer stand by then.") if verdict is not None else ""
    return f"{day:%d %B %Y} is more than {months} months away: check the date.{since}"


def _patient_appointments_on(patient_id, day):
    from tracker.models import Case

    start = clinic_day_start(day)
    return db.session.execute(
        db.select(Appointment).join(Appointment.case).filter(
            Case.patient_id == patient_id, Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.starts_at >= start, Appointment.starts_at < clinic_day_start(day + timedelta(days=1)))
        # In time order: the warning lists their times, and its digest (what the coordinator ticked)
        # must not change with the order PostgreSQL happens to return them in.
        .order_by(Appointment.starts_at, Appointment.id)
    ).scalars().all()


def _taken(proposal, exclude_id=None):
    busy = db.session.execute(
        db.select(Appointment).filter(
            Appointment.status.in_(ACTIVE_STATUSES), Appointment.starts_at < proposal.end,
            Appointment.ends_at > proposal.start,
            db.or_(Appointment.physician_id == proposal.physician_id,
                   Appointment.room_id == proposal.room_id))
    ).scalars().all()
    return [a for a in busy if a.id != exclude_id]


def warnings_digest(warnings):
    """A fingerprint of the warning texts shown: an acknowledgement holds for exactly those."""
    return hashlib.sha256("\n".join(warnings).encode()).hexdigest()


def _acknowledges(acknowledged, warnings):
    """`acknowledged` is the digest of the warnings the user saw and accepted (a form), or True for
    a script that accepts whatever warnings there are (the demo seed)."""
    return acknowledged is True or (bool(acknowledged) and acknowledged == warnings_digest(warnings))


def overlap_words(clash, proposal, seen_at):
    """Why the time is refused, as what happened: "just taken" only when the clashing appointment
    got its time after the user saw the schedule (`seen_at`, when the form was shown); an
    appointment that was already there is named with its times and the day it was booked."""
    who = (f"the physician ({clash.physician.name})" if clash.physician_id == proposal.physician_id
           else f"the room ({clash.room.name})")
    taken_at = clash.time_set_at
    span = f"{to_clinic(clash.starts_at):%H:%M}–{to_clinic(clash.ends_at):%H:%M}"
    if seen_at is not None and taken_at > seen_at:
        return (f"This slot was just taken: {who} was booked {span} at {to_clinic(taken_at):%H:%M}, after "
                f"this page was shown. Choose one of the free slots below.")
    booked = to_clinic(taken_at)
    when = (f"earlier today at {booked:%H:%M}" if booked.date() == clinic_today()
            else f"on {booked.day} {booked:%B %Y}")
    return (f"{who[0].upper()}{who[1:]} is already booked then ({span}, an appointment booked {when}). "
            f"Choose another time or one of the free slots below.")


class PatientDied(Refusal):
    """Nothing is booked or moved for a patient recorded as died (cancelling stays possible)."""


def _refuse_or_warn(case, proposal, acknowledged, exclude_id=None, seen_at=None):
    if case.patient.died:
        raise PatientDied(f"Not booked: the patient's record says {contact.contact_ended_words(case.patient)} "
                          f"(recorded by {case.patient.contact_ended_by}).")
    errors, warnings = check(case, proposal, exclude_id)
    if errors:
        raise BookingProblems(errors=errors)
    lock(f"room:{proposal.room_id}", f"physician:{proposal.physician_id}")
    taken = _taken(proposal, exclude_id)
    if taken:
        clash = min(taken, key=lambda a: (a.physician_id != proposal.physician_id, a.starts_at))
        raise BookingProblems(errors={"start": overlap_words(clash, proposal, seen_at)}, taken=True)
    if warnings and not _acknowledges(acknowledged, warnings):
        raise BookingProblems(warnings=warnings, changed=bool(acknowledged))
    return warnings


PHYSICIAN_CHANGED = "physician_changed"


def _assign_physician(case, physician_id, actor, because, why=""):
    """The case's physician is whoever will do the procedure: the worklist, the physician's list
    and the case page show it. Booking or moving the appointment to another physician reassigns
    the case to them, and says so where people look: the case's timeline ("Physician changed from
    Dr A to Dr B (booked with Dr B)", with who did it) and the audit trail. `because` is how the
    appointment came to that physician, with `{physician}` for their name ("booked with {physician}");
    `why`, the reason typed for a move, is on the timeline only (the audit trail keeps no free text)."""
    if case.physician_id == physician_id:
        return
    before_id, before_name = case.physician_id, case.physician.name if case.physician else None
    after_name = db.session.get(User, physician_id).name
    case.physician_id = physician_id
    because = because.replace("{physician}", after_name)
    if before_name is None:
        summary = f"physician set to {after_name} ({because})"
    else:
        summary = f"physician changed from {before_name} to {after_name} ({because})"
        # A note on the timeline: it moves the case nowhere (from and to the state it is in).
        db.session.add(CaseHistory(case=case, actor_id=actor.id, actor_role=actor.role, action=PHYSICIAN_CHANGED,
                                   from_state=case.state, to_state=case.state,
                                   reason=f"Physician changed from {before_name} to {after_name} ({because})."
                                          + (f" Reason for the move: {why}" if why else "")))
    audit.record(audit.Action.UPDATE, "case", case.id, user=actor, before={"physician_id": before_id},
                 after={"physician_id": physician_id}, summary=summary)


# ------------------------------------------------------------------ changing the schedule

@service
def book(case, proposal, actor, acknowledged=False, seen_at=None):
    if case.state != State.ELIGIBLE:
        # The case's state, not the time typed: said at the top of the page (booked meanwhile
        # from another screen, or a form sent twice), with the form as typed.
        raise Refusal(f"Only an eligible case can be booked; this one is {case.state.label.lower()}.")
    if problems := verdict_problems(guard_facts(case, "schedule")):
        raise BookingProblems(errors={"start": problems[0]})
    warnings = _refuse_or_warn(case, proposal, acknowledged, seen_at=seen_at)
    appointment = Appointment(case=case, physician_id=proposal.physician_id, room_id=proposal.room_id,
                              starts_at=proposal.start, ends_at=proposal.end,
                              acknowledged_warnings="\n".join(warnings), created_by_id=actor.id)
    db.session.add(appointment)
    appointment.changes.append(AppointmentChange(actor_id=actor.id, change="booked"))
    _assign_physician(case, proposal.physician_id, actor, "booked with {physician}")
    db.session.flush()
    transition(case, "schedule", actor, commit=False)
    # The baseline pain score is asked for on the morning of the injection, until it is given.
    diary.ensure_baseline(case, opens_at=diary.baseline_opens(appointment.starts_at))
    audit.record(audit.Action.CREATE, "appointment", appointment.id,
                 summary=f"case {case.id} booked" + (" (warnings acknowledged)" if warnings else ""),
                 user=actor)
    db.session.commit()
    return appointment


@service
def reschedule(appointment, proposal, reason, actor, version_id, acknowledged=False, seen_at=None):
    check_version(appointment, version_id)
    if why := not_movable(appointment):
        raise BookingProblems(errors={"start": why})
    # A verdict that no longer stands holds back a move as it holds back booking: re-evaluate first.
    verdict = appointment.case.current_verdict
    if verdict is not None and (because := staleness(appointment.case, verdict)):
        raise BookingProblems(errors={"start": stale_verdict_words(because)})
    if not (reason or "").strip():
        raise BookingProblems(errors={"reason": "Give the reason for moving the appointment."})
    warnings = _refuse_or_warn(appointment.case, proposal, acknowledged, exclude_id=appointment.id,
                               seen_at=seen_at)
    appointment.changes.append(AppointmentChange(
        actor_id=actor.id, change="rescheduled", reason=reason.strip(),
        old_starts_at=appointment.starts_at, old_room_id=appointment.room_id,
        old_physician_id=appointment.physician_id))
    appointment.starts_at, appointment.ends_at = proposal.start, proposal.end
    appointment.room_id, appointment.physician_id = proposal.room_id, proposal.physician_id
    appointment.acknowledged_warnings = "\n".join(warnings)
    _reset_day_of_readiness(appointment, actor)
    _assign_physician(appointment.case, proposal.physician_id, actor,
                      "appointment moved to {physician}", why=reason.strip())
    # A baseline not given yet, or given for another day, is asked for on the new day's morning.
    diary.ensure_baseline(appointment.case, opens_at=diary.baseline_opens(appointment.starts_at))
    audit.record(audit.Action.UPDATE, "appointment", appointment.id, summary="rescheduled", user=actor)
    db.session.commit()


# The readiness items that confirm a preparation step with the patient: a confirmation of a plan
# that changed, or no longer fits the appointment's day, must be done again.
PLAN_CONFIRMATIONS = ((instructions.HOLD, "anticoagulant_plan_confirmed", "anticoagulant plan confirmation"),
                      (instructions.PREMEDICATION, "contrast_premedication_sent", "premedication sent"))


def _unconfirm(appointment, item):
    """Untick a plan's confirmation; the anticoagulant plan's last dose was part of it."""
    setattr(appointment, item, False)
    if item == "anticoagulant_plan_confirmed":
        appointment.anticoagulant_last_dose_on = None


def _reset_day_of_readiness(appointment, actor):
    """The day-of check and a physician's readiness override were about the old day: a moved
    appointment needs them again, and so do the anticoagulant plan and the premedication when they
    no longer fit before the new day, and a hold confirmed with the day of the last dose (its dates
    were the old day's). Consent, the driver, and a plan that still fits stay."""
    cleared = []
    if appointment.day_of_check_done:
        appointment.day_of_check_done = False
        cleared.append("day-of check")
    missed = instructions.missed(appointment.case.risk_screen, to_clinic(appointment.starts_at), to_clinic(utcnow()))
    for step, item, words in PLAN_CONFIRMATIONS:
        # A hold confirmed with the day of the last dose (it did not fit the old day) was the old day's
        # dates: the patient is now told the new day's, whether or not the hold fits it.
        dated = item == "anticoagulant_plan_confirmed" and appointment.anticoagulant_last_dose_on is not None
        if (step in missed or dated) and getattr(appointment, item):
            _unconfirm(appointment, item)
            cleared.append(words)
    if appointment.readiness_override_reason:
        appointment.readiness_override_reason = None
        appointment.readiness_override_by_id = None
        cleared.append("physician's readiness override")
    if cleared:
        appointment.changes.append(AppointmentChange(
            actor_id=actor.id, change="readiness_reset",
            reason=f"Moved: the {' and the '.join(cleared)} were for the old day and must be done again."))


def risk_screen_changed(appointment, screen, before, steps, actor):
    """The risk screen `screen` was saved after the appointment was booked, `before` holding the
    values its save replaced (None: it was just created), `steps` the preparation steps it changed
    (instructions.STEP_FIELDS). What was confirmed for the old screen must be done again, and the
    History and the audit trail say why:
    - a confirmation ticked for the old plan (the anticoagulant plan, the premedication sent);
    - the day-of check, when it now asks more ("glucose checked" for a diabetes newly recorded);
    - a physician's readiness override, when readiness now asks for an item it did not (a hold plan,
      premedication, a driver, a part of the day-of check): the override was not given for it.
    A plan's tick is kept when the screen was just created: answering the questions lets the ticks
    given while they were "not asked" count. Part of the risk screen's save (no commit here)."""
    if appointment is None or appointment.status not in NOT_STARTED:
        return
    reasons, cleared, unticked = [], [], []
    for step, item, words in PLAN_CONFIRMATIONS:
        if before is not None and step in steps and getattr(appointment, item):
            _unconfirm(appointment, item)
            unticked.append(words)
    if unticked:
        reasons.append(f"The risk screen's plan changed: the {' and the '.join(unticked)} "
                       f"{'were' if len(unticked) > 1 else 'was'} for the old plan and must be done again.")
        cleared += unticked
    added, parts = readiness.newly_asked(appointment, _as_it_was(screen, before), screen)
    if parts and appointment.day_of_check_done:
        appointment.day_of_check_done = False
        reasons.append(f"The day-of check now also asks: {', '.join(parts)}. It was ticked before that and must be "
                       f"done again.")
        cleared.append("day-of check")
    if (added or parts) and appointment.readiness_override_reason:
        appointment.readiness_override_reason = None
        appointment.readiness_override_by_id = None
        reasons.append(f"Readiness now also asks for {', '.join(added + parts)}, which the physician's readiness "
                       f"override was given without: confirm it, or a physician overrides readiness again.")
        cleared.append("physician's readiness override")
    if reasons:
        appointment.changes.append(AppointmentChange(actor_id=actor.id, change="readiness_reset",
                                                     reason=" ".join(reasons)))
        audit.record(audit.Action.UPDATE, "appointment", appointment.id, user=actor,
                     summary=f"readiness reset (the risk screen changed): {', '.join(cleared)} cleared")


class _AsItWas:
    """The risk screen as it was before a save: the values the save replaced, the rest as saved."""

    def __init__(self, screen, before):
        self._screen, self._before = screen, before

    def __getattr__(self, name):
        return self._before[name] if name in self._before else getattr(self._screen, name)


def _as_it_was(screen, before):
    return None if before is None else _AsItWas(screen, before)


@service
def cancel(appointment, reason, actor, version_id):
    """Cancel the appointment; the case goes back to eligible, to be booked again."""
    # Why it cannot be cancelled comes first: a page opened before the procedure was signed is
    # also out of date, but "someone changed it" would not say what happened.
    if appointment.status not in NOT_STARTED:
        raise BookingProblems(errors={"status": not_cancellable(appointment)})
    check_version(appointment, version_id)
    if not (reason or "").strip():
        raise BookingProblems(errors={"reason": "Give the reason for cancelling the appointment."})
    # "unschedule" cancels the case's active appointment, this one (the table's declared side effect).
    transition(appointment.case, "unschedule", actor, reason, commit=False)
    db.session.commit()


def changes_since(appointment, moment):
    """What others changed on the appointment after `moment` (when the refused form was shown), in
    words for the refusal: "moved to Wednesday 09 December 2026 at 11:00 by Dana Desk". Empty when
    the moment is unknown or nothing was recorded since."""
    if moment is None:
        return []
    changes = sorted(appointment.changes, key=lambda c: (c.at, c.id or 0))
    said = []
    for index, change in enumerate(changes):
        if change.at <= moment or change.change == "readiness_reset":  # the reset is said with its move
            continue
        by = f" by {change.actor.name}" if change.actor else ""
        if change.change == "rescheduled":
            later = [c.old_starts_at for c in changes[index + 1:] if c.change == "rescheduled"]
            to = later[0] if later else appointment.starts_at
            said.append(f"moved to {to_clinic(to):%A %d %B %Y at %H:%M}{by}")
        elif change.change == "readiness_changed":
            said.append(f"readiness changed{by}: {change.reason[:1].lower()}{change.reason[1:]}")
        else:
            said.append(f"{change.change.replace('_', ' ')}{by}")
    return said


def _when_and_by(appointment):
    """" on 03 May 2026 at 10:00" and " by Dana Desk" of the change that gave the appointment its
    status (empty when not recorded)."""
    last = max((c for c in appointment.changes if c.change == appointment.status.value),
               key=lambda c: (c.at, c.id or 0), default=None)
    return (f" on {to_clinic(last.at):%d %B %Y at %H:%M}" if last and last.at else "",
            f" by {last.actor.name}" if last and last.actor else "")


def _what_became_of(appointment):
    """What happened to an appointment no longer booked, and what to do instead."""
    when, by = _when_and_by(appointment)
    reason = f": {appointment.cancelled_reason}" if appointment.cancelled_reason else ""
    return {
        AppointmentStatus.CHECKED_IN: (f"the patient checked in{when} and is already here",
                                       "If the procedure cannot be done today, cancel the appointment and "
                                       "book a new one from the case"),
        AppointmentStatus.IN_PROCEDURE: ("the procedure has started", "If it must stop, the physician abandons "
                                         "it on the procedure checklist, with the reason"),
        AppointmentStatus.DONE: ("this appointment is done, the injection was given and its procedure record "
                                 "signed", "A done appointment stays in the record as it happened"),
        AppointmentStatus.NO_SHOW: (f"the patient did not come, and the appointment was closed as a no-show{when}",
                                    "Book a new appointment from the case"),
        AppointmentStatus.CANCELLED: (f"this appointment was cancelled{when}{by}{reason}",
                                      "Book a new appointment from the case"),
    }[appointment.status]


def not_movable(appointment):
    """Why this appointment cannot be moved, in what happened to it; None for a booked one not yet past
    its no-show grace period, the only kind that moves. The move form does not open on any other, and
    a move posted to it is refused."""
    if appointment.status == AppointmentStatus.BOOKED:
        if missed(appointment):
            # A no-show whether or not the cron has marked it (as a cancellation is): moved to
            # another day, it would leave the No-shows report as a booking still to come.
            return (f"Not moved: the patient was not checked in within "
                    f"{current_app.config['NO_SHOW_GRACE_MINUTES']} minutes of the start, so the appointment is "
                    f"a no-show. Cancel it (it is recorded as a no-show, and the case is eligible again), then "
                    f"book a new appointment from the case.")
        return None
    happened, instead = _what_became_of(appointment)
    return f"Not moved: {happened}. {instead}."


def not_cancellable(appointment):
    """Why this appointment cannot be cancelled, in what happened to it. Nothing was changed."""
    happened, instead = _what_became_of(appointment)
    if appointment.status == AppointmentStatus.CANCELLED:
        return f"Not cancelled again: {happened.replace('was cancelled', 'was already cancelled', 1)}."
    return f"Not cancelled: {happened}. {instead}; nothing was changed."


@service
def check_in(appointment, actor, now=None, commit=True):
    """The patient is here: the appointment is checked in (the no-show run passes it by). The desk's
    Check in, and a start the physician acknowledged for a patient not checked in
    (tracker.procedures.services.start: `now` its time, `commit` False, the start commits both)."""
    if appointment.status != AppointmentStatus.BOOKED:
        raise BookingProblems(errors={"status": f"Only a booked appointment can be checked in "
                                                f"(this one is {appointment.status.label.lower()})."})
    if appointment.case.patient.died:
        # Whoever is at the desk is not the patient this record says died: the record is wrong, or
        # the patient is (a page opened before the death was recorded still offered the button).
        raise PatientDied(f"Not checked in: the patient's record says "
                          f"{contact.contact_ended_words(appointment.case.patient)} (recorded by "
                          f"{appointment.case.patient.contact_ended_by}): cancel this appointment. If the record "
                          f"is wrong, undo that on the patient's record first.")
    now = now or utcnow()
    day = to_clinic(appointment.starts_at).date()
    if day != to_clinic(now).date():
        raise BookingProblems(errors={"status": f"Check-in is only possible on the day of the "
                                                f"appointment ({day.strftime('%A %d %B %Y')})."})
    appointment.status = AppointmentStatus.CHECKED_IN
    appointment.checked_in_at = now
    appointment.changes.append(AppointmentChange(actor_id=actor.id, at=now, change="checked_in"))
    audit.record(audit.Action.UPDATE, "appointment", appointment.id, summary="checked in", user=actor)
    if commit:
        db.session.commit()


def not_checked_in(appointment):
    """What the start warns of an appointment whose patient was never checked in ("" once checked
    in): "The patient has not been checked in for the 08:00 appointment." """
    if appointment is None or appointment.status != AppointmentStatus.BOOKED:
        return ""
    return f"The patient has not been checked in for the {to_clinic(appointment.starts_at):%H:%M} appointment."


def _refuse_once_started(appointment, what):
    """Readiness is what was known before the procedure: frozen once it starts (the note reads the
    liability notice and the premedication from it), as on an appointment no longer active."""
    if appointment.status not in NOT_STARTED:
        raise BookingProblems(errors={"status": f"{what} cannot change on a "
                                                f"{appointment.status.label.lower()} appointment."})


@service
def update_readiness(appointment, values, version_id, actor):
    check_version(appointment, version_id)
    _refuse_once_started(appointment, "Readiness")
    problem = readiness.last_dose_problem(_missed(appointment), values.get("anticoagulant_plan_confirmed"),
                                          values.get("anticoagulant_last_dose_on"),
                                          to_clinic(appointment.starts_at).date(), _hold_days(appointment))
    if problem:
        raise BookingProblems(errors={"anticoagulant_last_dose_on": problem})
    refused = (readiness.tick_refused(appointment.case.risk_screen, values.get("anticoagulant_last_dose_on"),
                                      to_clinic(appointment.starts_at).date())
               if values.get("anticoagulant_plan_confirmed") else None)
    if refused:
        raise BookingProblems(errors={"anticoagulant_plan_confirmed": refused})
    before = {name: getattr(appointment, name) for name in values}
    for name, value in values.items():
        setattr(appointment, name, value)
    # The History says who ticked or unticked what, and when (coordinators do not see the audit trail).
    if changed := readiness.changes_in_words(before, values):
        appointment.changes.append(AppointmentChange(actor_id=actor.id, change="readiness_changed", reason=changed))
    audit.record(audit.Action.UPDATE, "appointment", appointment.id,
                 summary="readiness " + audit.changed_fields(before, values, tuple(values)), user=actor,
                 before=before, after=values)
    db.session.commit()


@service
def override_readiness(appointment, reason, actor, version_id):
    check_version(appointment, version_id)
    _refuse_once_started(appointment, "Readiness")
    appointment.readiness_override_reason = reason.strip()
    appointment.readiness_override_by_id = actor.id
    # The history row also says when: the page and the day board show who and when.
    appointment.changes.append(AppointmentChange(actor_id=actor.id, change="readiness_override",
                                                 reason=reason.strip()))
    audit.record(audit.Action.UPDATE, "appointment", appointment.id,
                 summary="readiness overridden by physician", user=actor)
    db.session.commit()


def mark_no_shows(now=None):
    """Booked appointments whose start is more than NO_SHOW_GRACE_MINUTES ago become no-shows,
    their cases eligible again. A checked-in patient who is still waiting is not a no-show.

    Each appointment is marked in its own savepoint, so one that fails (say, checked in at this
    very moment) is logged and skipped without undoing or blocking the others. Idempotent: a
    second run finds nothing left to mark. Returns (how many were marked, ids that failed).
    """
    now = now or utcnow()
    grace = current_app.config["NO_SHOW_GRACE_MINUTES"]
    missed = db.session.execute(
        db.select(Appointment).filter(Appointment.status == AppointmentStatus.BOOKED,
                                      Appointment.starts_at < now - timedelta(minutes=grace))
        .order_by(Appointment.starts_at, Appointment.id)
    ).scalars().all()
    marked, failed = 0, []
    for appointment in missed:
        appointment_id = appointment.id
        try:
            with db.session.begin_nested():
                if appointment.status != AppointmentStatus.BOOKED:
                    # Read again after a savepoint rolled back (which expires what this run had
                    # read) and found marked by another run meanwhile: setting the same status would
                    # write no UPDATE, so no version check, and a second history and audit row.
                    continue
                release(appointment, f"not checked in within {grace} minutes of the start", None,
                        status=AppointmentStatus.NO_SHOW)
                if appointment.case.state == State.SCHEDULED:
                    transition(appointment.case, "unschedule", None, "no-show", commit=False)
        except StaleDataError:
            # Changed since this run read it: another run (on this machine or another) marked it,
            # or the patient was checked in at this very moment. Still booked, it failed.
            if _status_now(appointment_id) == AppointmentStatus.BOOKED:
                log.exception("could not mark appointment %s as a no-show", appointment_id)
                failed.append(appointment_id)
        except Exception:  # noqa: BLE001 (one bad appointment must not stop the cron job)
            log.exception("could not mark appointment %s as a no-show", appointment_id)
            failed.append(appointment_id)
        else:
            marked += 1
    db.session.commit()
    return marked, failed


def _status_now(appointment_id):
    """The appointment's status as committed now (the loaded object holds what this run read)."""
    return db.session.execute(db.select(Appointment.status).where(Appointment.id == appointment_id)
                              .execution_options(populate_existing=True)).scalar()


def _missed(appointment):
    """The preparation steps that did not fit when the appointment got its time (or the step changed)."""
    return instructions.missed(appointment.case.risk_screen, to_clinic(appointment.starts_at),
                               to_clinic(appointment.time_set_at))


def readiness_items(appointment):
    """The appointment's readiness items, a question this case's risk screen has not answered named
    with what the patient's other open case records (`answered_elsewhere`)."""
    return readiness.items(appointment, appointment.case.risk_screen, _missed(appointment),
                           answered_elsewhere(appointment.case), notice_for(appointment.case, appointment))


def hold_at_table(appointment, record=None):
    """The appointment's hold that did not fit its day, as the table reads it ("" when it fitted,
    or with no appointment): the checklist's banner, the note and readiness say it, with what the
    physician answered at the start of `record` when no last dose was confirmed at readiness."""
    if appointment is None:
        return ""
    return readiness.hold_words(appointment.case.risk_screen, _missed(appointment),
                                appointment.anticoagulant_last_dose_on, at_start=record, day=_day(appointment))


def premedication_at_table(appointment):
    """The appointment's contrast premedication that did not fit its day, as the checklist's banner
    says it ("" when it fitted, none is planned, or with no appointment): readiness.premedication_words."""
    if appointment is None:
        return ""
    return readiness.premedication_words(appointment.case.risk_screen, _missed(appointment),
                                         appointment.contrast_premedication_sent)


def premedication_on_record(appointment):
    """The appointment's contrast premedication that did not fit its day, as the note and the signed
    checklist keep it ("" when it fitted, none is planned, or with no appointment):
    readiness.premedication_on_record, with when the patient was given it."""
    if appointment is None:
        return ""
    risk, told = appointment.case.risk_screen, to_clinic(appointment.time_set_at)
    given = instructions.given_at(risk, instructions.PREMEDICATION, told) if risk is not None else told
    # A plan recorded after the booking is judged from then (instructions.given_at).
    what = "booked or moved" if given == told else "premedication planned"
    when = ("the same day" if given.date() == to_clinic(appointment.starts_at).date()
            else f"on {instructions.in_words(given)}")
    return readiness.premedication_on_record(_missed(appointment), appointment.contrast_premedication_sent,
                                             f"{what} {when}")


def premedication_not_taken(appointment):
    """readiness.premedication_not_taken for the appointment ("" with none)."""
    if appointment is None:
        return ""
    return readiness.premedication_not_taken(_missed(appointment), appointment.contrast_premedication_sent)


def unconfirmed_hold(appointment):
    """The hold that did not fit with no day of the last dose confirmed, as the start asks the physician
    about it ("" when there is none to ask): readiness.unconfirmed_hold."""
    return readiness.unconfirmed_hold(appointment.case.risk_screen, _missed(appointment),
                                      appointment.anticoagulant_last_dose_on, _day(appointment))


def hold_shortfall(appointment, last_dose_on):
    """`last_dose_on` leaving fewer days than the planned hold before the appointment's day, in words
    ("" when it leaves enough): readiness.hold_shortfall."""
    return readiness.hold_shortfall(appointment.case.risk_screen, last_dose_on, _day(appointment))


def _day(appointment):
    return to_clinic(appointment.starts_at).date()


def last_dose_problem(appointment, last_dose_on):
    """Why `last_dose_on` cannot be the day of the last dose for this appointment, or None: as readiness
    checks it (never after the appointment's day, nor too long before it for the planned hold)."""
    return readiness.last_dose_problem(_missed(appointment), True, last_dose_on,
                                       to_clinic(appointment.starts_at).date(), _hold_days(appointment))


def _hold_days(appointment):
    risk = appointment.case.risk_screen
    return risk.anticoagulant_hold_days if risk is not None else None
