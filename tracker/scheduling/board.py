"""The day's appointments as the day board and the physician's own day show them: each one's card
(`DayEntry`) with its readiness worked out once, read in a fixed number of queries."""
from datetime import timedelta
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _, ngettext
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import joinedload, selectinload

from tracker import contact
from tracker.extensions import db
from tracker.models import (Appointment, AppointmentChange, AppointmentMessage, Case, EligibilityVerdict, Patient,
                            RiskScreen, Room, User)
from tracker.models.procedure import ProcedureRecord, ProcedureStatus
from tracker.models.user import ANOTHER_ROLE, DEACTIVATED
from tracker.patients.identity import full_name
from tracker.roles import Role
from tracker.scheduling import instructions, services
from tracker.scheduling.liability import Session, card_notices, notices_for
from tracker.scheduling.rules import closed_on, closed_words
from tracker.timeutil import clinic_today, to_clinic
from tracker.vocab import (NOT_STARTED, AllergyAnswer, AnticoagulantAnswer, Allergy, AppointmentStatus, ContactEnded,
                           allergies_of, allergy_words, anticoagulant_words, decision_flags, not_asked)


def physicians_day(day, physician_id=None):
    """The day's appointments with everything the physician's day shows (the procedure's actions
    read the whole case), in a fixed number of queries."""
    query = (
        db.select(Appointment)
        .options(joinedload(Appointment.case).joinedload(Case.patient).joinedload(Patient.account),
                 joinedload(Appointment.case).selectinload(Case.risk_screen),
                 joinedload(Appointment.physician), joinedload(Appointment.room),
                 joinedload(Appointment.readiness_override_by), selectinload(Appointment.messages),
                 selectinload(Appointment.changes))
        .filter(Appointment.starts_at >= services.clinic_day_start(day),
                Appointment.starts_at < services.clinic_day_start(day + timedelta(days=1)))
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if physician_id:
        query = query.filter(Appointment.physician_id == physician_id)
    appointments = db.session.execute(query).unique().scalars().all()
    closures = services.closures_between(day, day)
    liability = notices_for(appointments)
    # When each physician override was recorded (its history row), for all of them in one query.
    override_at = dict(db.session.execute(
        db.select(AppointmentChange.appointment_id, db.func.max(AppointmentChange.at))
        .filter(AppointmentChange.appointment_id.in_([a.id for a in appointments]),
                AppointmentChange.change == "readiness_override")
        .group_by(AppointmentChange.appointment_id)).all()) if appointments else {}
    # The latest attempt abandoned on each appointment (a wrong-side near miss, a vasovagal patient):
    # the card says it before the physician starts the same booking again, in one query.
    abandoned = {row.appointment_id: row for row in db.session.execute(
        db.select(ProcedureRecord).options(joinedload(ProcedureRecord.abandoned_by))
        .filter(ProcedureRecord.appointment_id.in_([a.id for a in appointments]),
                ProcedureRecord.status == ProcedureStatus.ABANDONED)
        .order_by(ProcedureRecord.abandoned_at)).scalars()} if appointments else {}
    return [DayEntry(a, a.case.risk_screen, override_at.get(a.id), patient=a.case.patient.display_name,
                     contact_ended=(a.case.patient.contact_ended, a.case.patient.contact_ended_on,
                                    a.case.patient.contact_ended_at),
                     mrn=a.case.patient.mrn, side=a.case.side, physician=a.physician.name,
                     physician_gone=a.physician.not_booked_with, room_name=a.room.name, room_active=a.room.active,
                     override_by=a.readiness_override_by.name if a.readiness_override_by else None,
                     last_message=a.messages[-1] if a.messages else None, orm=a, time_set_at=a.time_set_at,
                     reach=(a.case.patient.preferred_contact, a.case.patient.email,
                            bool(a.case.patient.account and a.case.patient.account.active)),
                     phone=a.case.patient.phone, closure=closed_on(day, a.physician_id, closures),
                     liability=liability.get(a.id), abandoned=abandoned.get(a.id))
            for a in appointments]


class _BoardRow:
    """A board query's row with the appointment's day in the clinic's calendar (`clinic_day`), as an
    Appointment has it: the readiness rules (pure) read it to count a hold's days."""

    def __init__(self, row):
        self._row, self.clinic_day = row, to_clinic(row.starts_at).date()

    def __getattr__(self, name):
        return getattr(self._row, name)


def board_entries(day):
    """The day's appointments for the board, in two queries of the columns its cards show: the
    appointments, then their messages."""
    rows = db.session.execute(_board_query(), {"start": services.clinic_day_start(day),
                                                "end": services.clinic_day_start(day + timedelta(days=1))}).all()
    # The last message of each (`Appointment.messages` is in id order): a handful each.
    last = {message.appointment_id: message for message in db.session.execute(
        _board_messages_query(), {"ids": [row.id for row in rows]})} if rows else {}
    closures = services.closures_between(day, day) if rows else []
    # Each session's liability notice, counting its patient's other sessions (liability.card_notices).
    liability = card_notices([(row.id, row.verdict_failed, row.verdict_override_at, row.liability_notice_signed,
                               Session(row.case_id, row.patient_id, to_clinic(row.starts_at).date(), row.side.value,
                                       row.indication.value, row.verdict_profile)) for row in rows])
    entries = []
    for row in rows:
        columns = row._mapping  # built afresh on each access
        risk = (SimpleNamespace(**{key: columns[f"risk_{key}"] for key in _RISK_COLUMNS})
                if row.risk_id is not None else None)
        entries.append(DayEntry(_BoardRow(row), risk, row.override_at, patient=full_name(row.family_name, row.given_name),
                                contact_ended=(row.contact_ended, row.contact_ended_on, row.contact_ended_at),
                                mrn=row.mrn, side=row.side, physician=row.physician,
                                physician_gone=row.physician_gone, room_name=row.room_name,
                                room_active=row.room_active, override_by=row.override_by, last_message=last.get(row.id),
                                room_modality=row.room_modality,
                                time_set_at=max(row.created_at, row.moved_at or row.created_at),
                                reach=(row.preferred_contact, row.email, row.has_account), phone=row.phone,
                                closure=closed_on(day, row.physician_id, closures),
                                liability=liability.get(row.id)))
    return entries


# Every column of the risk screen, by the names the readiness rules read.
_RISK_COLUMNS = {attribute.key: attribute.columns[0] for attribute in sa_inspect(RiskScreen).column_attrs}


@lru_cache(maxsize=1)
def _board_query():
    # Built once per process; the day's bounds are bound on each use. The names of the physician
    # and of whoever overrode readiness, and when that was recorded, are asked per appointment
    # through primary keys and indexes: as joins they made the planner weigh eight tables
    # (4 ms planning every page).
    def name_of(user_id, column=User.name):
        return db.select(column).where(User.id == user_id).scalar_subquery()

    # As `User.not_booked_with`: an account deactivated, or given another role, is no longer booked with.
    gone = db.case((User.active.is_(False), DEACTIVATED), (User.role != Role.PHYSICIAN, ANOTHER_ROLE), else_=None)

    override_at = (db.select(db.func.max(AppointmentChange.at))
                   .where(AppointmentChange.appointment_id == Appointment.id,
                          AppointmentChange.change == "readiness_override").scalar_subquery())
    # Whether the patient can read the preparation at their sign-in.
    has_account = db.exists().where(User.patient_id == Patient.id, User.active.is_(True))
    # With the booking's own time, when the appointment got the time it holds (Appointment.time_set_at).
    moved_at = (db.select(db.func.max(AppointmentChange.at))
                .where(AppointmentChange.appointment_id == Appointment.id,
                       AppointmentChange.change.in_(("booked", "rescheduled"))).scalar_subquery())
    # The case's newest verdict, for the liability notice of a session over the payer's limits
    # (liability.card_notices): read through the (case_id, id) index.
    def of_verdict(column):
        return (db.select(column).where(EligibilityVerdict.case_id == Appointment.case_id)
                .order_by(EligibilityVerdict.id.desc()).limit(1).scalar_subquery())

    return (
        db.select(Appointment.id, Appointment.room_id, Appointment.physician_id, Appointment.starts_at,
                  Appointment.ends_at,
                  Appointment.status, Appointment.consent_obtained, Appointment.anticoagulant_plan_confirmed,
                  Appointment.driver_arranged, Appointment.contrast_premedication_sent,
                  Appointment.day_of_check_done, Appointment.readiness_override_reason,
                  Appointment.anticoagulant_last_dose_on, Appointment.liability_notice_signed,
                  Appointment.case_id, Case.patient_id, Case.indication,
                  of_verdict(EligibilityVerdict.failed_criteria).label("verdict_failed"),
                  of_verdict(EligibilityVerdict.override_at).label("verdict_override_at"),
                  of_verdict(EligibilityVerdict.profile_code).label("verdict_profile"),
                  Patient.family_name, Patient.given_name, Patient.mrn, Case.side,
                  Patient.contact_ended, Patient.contact_ended_on, Patient.contact_ended_at,
                  Patient.preferred_contact, Patient.email, Patient.phone, has_account.label("has_account"),
                  name_of(Appointment.physician_id).label("physician"),
                  name_of(Appointment.physician_id, gone).label("physician_gone"),
                  Room.name.label("room_name"),
                  Room.modality.label("room_modality"), Room.active.label("room_active"),
                  name_of(Appointment.readiness_override_by_id).label("override_by"),
                  override_at.label("override_at"), Appointment.created_at, moved_at.label("moved_at"),
                  *[column.label(f"risk_{key}") for key, column in _RISK_COLUMNS.items()])
        .join(Case, Case.id == Appointment.case_id)
        .join(Patient, Patient.id == Case.patient_id)
        .join(Room, Room.id == Appointment.room_id)
        .outerjoin(RiskScreen, RiskScreen.case_id == Case.id)
        .where(Appointment.starts_at >= db.bindparam("start"), Appointment.starts_at < db.bindparam("end"))
        .order_by(Appointment.starts_at, Appointment.id))


@lru_cache(maxsize=1)
def _board_messages_query():
    return (db.select(AppointmentMessage.appointment_id, AppointmentMessage.kind, AppointmentMessage.channel,
                      AppointmentMessage.status, AppointmentMessage.sent_at, AppointmentMessage.claimed_at)
            .add_columns(AppointmentMessage.topic, AppointmentMessage.detail)
            .where(AppointmentMessage.appointment_id.in_(db.bindparam("ids", expanding=True)))
            .order_by(AppointmentMessage.id))


class DayEntry:
    """One appointment on the board or the physician's day, as its card shows it, with its
    readiness summary. `appointment`: the appointment's columns the card and the readiness rules
    read (its row on the board, the whole appointment on the physician's day, `orm`)."""

    def __init__(self, appointment, risk, override_at, *, patient, contact_ended, mrn, side, physician,
                 physician_gone, room_name, room_active, override_by, last_message, time_set_at, reach, phone,
                 room_modality=None, orm=None, closure=None, liability=None, abandoned=None):
        self.id, self.status = appointment.id, appointment.status
        self.starts_at, self.ends_at, self.room_id = appointment.starts_at, appointment.ends_at, appointment.room_id
        self.patient, self.mrn, self.side, self.physician = patient, mrn, side, physician
        # `contact_ended`: the patient's (Patient.contact_ended, contact_ended_on, contact_ended_at).
        # The mark beside the name of a patient no longer reached (contact.contact_ended_mark), or "".
        self.no_longer_reachable = contact.contact_ended_mark(*contact_ended)
        # Not started yet: a death said in place of readiness (cancel it), leaving beside it
        # (contact.appointment_contact_ended).
        self.patient_died = appointment.status in NOT_STARTED and contact_ended[0] == ContactEnded.DIED
        self.contact_ended = (contact.appointment_contact_ended(*contact_ended)
                              if appointment.status in NOT_STARTED else "")
        self.room_name, self.room_modality = room_name, room_modality
        self.override_by, self.last_message = override_by, last_message
        self.appointment = orm
        # The preparation judged as the patient was told it, when the appointment got its time.
        missed = (instructions.missed(risk, to_clinic(appointment.starts_at), to_clinic(time_set_at))
                  if appointment.status in NOT_STARTED else {})
        # Over the payer's limits (liability.notice_for): the notice the patient signs first,
        # itself an item of readiness.
        readiness = services.readiness.summary(appointment, risk, missed,
                                               liability if appointment.status in NOT_STARTED else None)
        self.ready, self.by_override, self.still_needed = readiness.ready, readiness.by_override, readiness.still_needed
        self.did_not_fit = readiness.did_not_fit
        # A hold that did not fit: the day of the last dose confirmed at readiness (None: not yet).
        self.hold_did_not_fit = instructions.HOLD in missed
        self.last_dose_on = appointment.anticoagulant_last_dose_on
        # That day leaving fewer days than the planned hold: (days held, days planned), else None.
        day = to_clinic(appointment.starts_at).date()
        self.hold_kept = ((services.readiness.days_held(self.last_dose_on, day), risk.anticoagulant_hold_days)
                          if self.hold_did_not_fit and self.last_dose_on
                          and services.readiness.hold_shortfall(risk, self.last_dose_on, day) else None)
        # `reach`: the patient's (preferred contact, email, has an account).
        self.preparation_unread = (instructions.preparation_unread(risk, *reach)
                                   if appointment.status in NOT_STARTED else None)
        # Nothing reaches the patient by their preferred contact (no address, no number to call).
        self.unreachable = (contact.why_unreachable(reach[0], phone, reach[1])
                            if appointment.status in NOT_STARTED else None)
        self.override_at = override_at
        # Said on the card, as on the appointment: a pregnancy, an infection or fever wait for the physician.
        self.flags = decision_flags(risk)
        # What the physician reads before she starts, and while the procedure runs (My day's card).
        self.safety = (safety_facts(risk) if appointment.status in NOT_STARTED
                       or appointment.status == AppointmentStatus.IN_PROCEDURE else [])
        # The latest attempt abandoned on it (My day), said while the appointment waits to start again.
        self.abandoned = abandoned if appointment.status in NOT_STARTED else None
        self.can_check_in = can_check_in(appointment) and not self.patient_died
        self.physician_inactive = physician_inactive(appointment.status, physician, physician_gone)
        self.room_out_of_use = room_out_of_use(appointment.status, room_name, room_active)
        self.closed = closed_flag(appointment.status, closure, day, physician)
        # Over the payer's limits (liability.notice_for): the notice the patient signs first.
        self.liability = liability if appointment.status in NOT_STARTED else None


def safety_facts(risk):
    """The risk screen's allergies and anticoagulant as the physician's card says them, in the words
    of the checklist's banner (vocab.allergy_words, anticoagulant_words) with what a start needs
    beside them: whether contrast premedication is planned for a contrast allergy, whether the
    anticoagulant's hold is planned. [(words, alert)]: `alert` for what asks her attention (an allergy, an
    anticoagulant, a question not asked)."""
    unasked = not_asked(risk)
    allergies = _("Allergies: %(allergies)s", allergies=allergy_words(risk))
    if "allergies" not in unasked and Allergy.CONTRAST in allergies_of(risk):
        allergies += " " + (_("(contrast premedication planned)") if risk.contrast_premedication_planned
                            else _("(no contrast premedication planned)"))
    anticoagulants = _("Anticoagulants: %(anticoagulants)s", anticoagulants=anticoagulant_words(risk))
    taking = "anticoagulants" not in unasked and risk.anticoagulant_answer == AnticoagulantAnswer.TAKING
    anticoagulants += hold_plan_words(risk)
    return [(allergies, "allergies" in unasked or risk.allergy_answer == AllergyAnswer.DOCUMENTED),
            (anticoagulants, "anticoagulants" in unasked or taking)]


def hold_plan_words(risk):
    """The hold of the blood thinner the patient takes, worded as a plan (", hold planned 2 days",
    ", no hold planned (keeps taking it)", ", hold not recorded"), said after the drug on My day's card
    and the checklist's banner; "" when she takes none or the question was not asked. Whether the plan
    was kept is the last dose's line, never this one."""
    if "anticoagulants" in not_asked(risk) or risk.anticoagulant_answer != AnticoagulantAnswer.TAKING:
        return ""
    days = risk.anticoagulant_hold_days
    return ", " + (_("hold not recorded") if days is None else _("no hold planned (keeps taking it)")
                   if days == 0 else ngettext("hold planned %(num)s day", "hold planned %(num)s days", days))


def closed_flag(status, closure, day, physician):
    """What the card and the appointment page say of an appointment not started on a day closed
    after it was booked (a holiday, the physician's leave; rules.Closed), or None: it stays until
    moved. A checked-in patient is already here: whoever is in decides."""
    if status not in NOT_STARTED or closure is None:
        return None
    closed = closed_words(day, closure, physician)
    if status == AppointmentStatus.BOOKED:
        return _("%(closed)s Move this appointment to another day.", closed=closed)
    return _("%(closed)s The patient is already here: check with the clinic whether the procedure can go ahead "
             "today.", closed=closed)


def room_out_of_use(status, room, active):
    """What the card and the appointment page say of an appointment not started in a room taken
    out of use (it stays there until moved), or None. A booked one is moved to another room; a
    checked-in one cannot be moved, the patient is already here."""
    if status not in NOT_STARTED or active:
        return None
    if status == AppointmentStatus.BOOKED:
        return _("%(room)s is no longer in use: move this appointment to another room.", room=room)
    return _("%(room)s is no longer in use and the patient is already here: check with the clinic which room "
             "the procedure can be done in before starting.", room=room)


def physician_inactive(status, physician, gone):
    """What the card and the appointment page say of an appointment not started whose physician is
    no longer booked with (`gone`, User.not_booked_with: deactivated, "no longer active", or still
    active but given another role, "no longer a physician"; it stays theirs until moved), or None.
    A booked one is moved; a checked-in patient
    is already here and a checked-in appointment cannot be moved: another physician starts the
    procedure, or, where each procedure is kept to its booked physician, it is cancelled and the
    patient booked with another."""
    if status not in NOT_STARTED or gone is None:
        return None
    if gone == ANOTHER_ROLE:
        if status == AppointmentStatus.BOOKED:
            return _("%(name)s is no longer a physician: move this appointment to another physician.", name=physician)
        if current_app.config.get("PROCEDURE_OWN_CASES_ONLY"):
            return _("%(name)s is no longer a physician and the patient is already here: this clinic keeps each "
                     "procedure to its booked physician, so cancel this appointment and book the patient with "
                     "another physician.", name=physician)
        return _("%(name)s is no longer a physician and the patient is already here: another physician can see "
                 "them and start the procedure.", name=physician)
    if status == AppointmentStatus.BOOKED:
        return _("%(name)s is no longer active: move this appointment to another physician.", name=physician)
    if current_app.config.get("PROCEDURE_OWN_CASES_ONLY"):
        return _("%(name)s is no longer active and the patient is already here: this clinic keeps each procedure "
                 "to its booked physician, so cancel this appointment and book the patient with another physician.",
                 name=physician)
    return _("%(name)s is no longer active and the patient is already here: another physician can see them and "
             "start the procedure.", name=physician)


def can_check_in(appointment):
    """Offer Check in only where it can work: a booked appointment, on its own clinic day."""
    return (appointment.status == AppointmentStatus.BOOKED
            and to_clinic(appointment.starts_at).date() == clinic_today())


def columns(entries):
    """(room, its entries) for each active room, plus any room no longer in use that still has
    appointments that day."""
    rooms = {room.id: room for room in services.active_room_headings()}
    for entry in entries:
        rooms.setdefault(entry.room_id, SimpleNamespace(id=entry.room_id, name=entry.room_name,
                                                        modality=entry.room_modality, active=False))
    return [(room, [e for e in entries if e.room_id == room.id]) for room in rooms.values()]
