"""What the patient page shows about a record: its cases newest first with their procedure dates
and whether their verdict still stands, the caps each payer counts over the last 12 months, and
the personal diary links that work; and the same, side by side, for two records to be merged."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.orm import selectinload

from tracker import audit
from tracker.cases.rows import VERDICT_STATES, line_for
from tracker.eligibility.facts import patient_injections
from tracker.eligibility.standing import clinic_default_profile_code
from tracker.extensions import db
from tracker.models import AuditEvent, Case, DiaryLink, EligibilityVerdict, Patient, PatientHistory
from tracker.patient_accounts.services import INVITATION_NOT_SENT
from tracker.policy import cap_usage, get_profile
from tracker.policy.engine import rolling_year_first_day
from tracker.timeutil import clinic_today, utcnow
from tracker.vocab import NOT_STARTED


@dataclass(frozen=True)
class CaseLine:
    case: Case
    procedure_at: object  # when the procedure started, or None
    booked_for: object  # the active appointment's start, or None
    diary_link: DiaryLink | None
    verdict_stale: bool  # the case's verdict decides what happens next and no longer stands


def load_record(patient_id):
    """The patient with everything the page reads, in a fixed number of queries."""
    return db.session.execute(db.select(Patient).filter_by(id=patient_id).options(
        selectinload(Patient.account), selectinload(Patient.outside_injections),
        selectinload(Patient.cases).options(selectinload(Case.history), selectinload(Case.outcome),
                                            selectinload(Case.appointments), selectinload(Case.row),
                                            selectinload(Case.verdicts).selectinload(EligibilityVerdict.override_by),
                                            selectinload(Case.risk_screen))
    )).scalar_one()


def case_lines(patient):
    now = utcnow()
    links = {}
    case_ids = [c.id for c in patient.cases]
    if case_ids:
        working = db.session.execute(
            db.select(DiaryLink).filter(DiaryLink.case_id.in_(case_ids), DiaryLink.revoked_at.is_(None),
                                        DiaryLink.expires_at > now).order_by(DiaryLink.id)).scalars()
        links = {link.case_id: link for link in working}  # the newest per case
    lines = []
    default, today = clinic_default_profile_code(), clinic_today()
    for case in sorted(patient.cases, key=lambda c: (c.referral_date, c.id), reverse=True):
        started = [h.at for h in case.history if h.action == "start_procedure"]
        booked = case.active_appointment
        stale = case.state in VERDICT_STATES and line_for(case, default, today)[1]
        lines.append(CaseLine(case, started[-1] if started else None,
                              booked.starts_at if booked else None, links.get(case.id), stale))
    return lines


def still_booked(patient):
    """The appointments not started yet of a patient recorded as died, soonest first: each one to
    cancel (nothing cancels them on its own), listed when the death is recorded and on the patient
    page until cancelled; [] for anyone else."""
    if not patient.died:
        return []
    return sorted((a for case in patient.cases for a in case.appointments if a.status in NOT_STARTED),
                  key=lambda a: (a.starts_at, a.id))


def caps_window():
    """(first day, today) of the rolling 12 months the caps count today."""
    today = clinic_today()
    return rolling_year_first_day(today), today


def caps_by_payer(patient):
    """[(profile, [CapUsage])] for every payer profile the patient's cases are under (the clinic's
    default when a case names none), as the eligibility criteria count them today."""
    default = clinic_default_profile_code()
    codes = sorted({c.payer_profile_code or default for c in patient.cases} or {default})
    today = clinic_today()
    result = []
    for code in codes:
        profile = get_profile(code)
        result.append((profile, cap_usage(patient_injections(patient, profile), profile, today)))
    return result


def last_invitation(patient):
    """The latest account invitation made for the patient (its audit row: when, by whom, whether it
    was sent), or None: the record shows an invitation waiting to be used, so nobody sends another
    unknowingly, and one made while no mail server was set up as not sent."""
    event = db.session.execute(
        db.select(AuditEvent).filter_by(object_type="patient_invitation", object_id=str(patient.id),
                                        action=audit.Action.CREATE)
        .order_by(AuditEvent.id.desc()).limit(1)).scalar_one_or_none()
    if event is None:
        return None
    until = event.at + timedelta(days=current_app.config["PATIENT_INVITATION_DAYS"])
    return Invitation(event.at, event.user.name if event.user else event.actor, until, utcnow() < until,
                      sent=not event.summary.startswith(INVITATION_NOT_SENT))


@dataclass(frozen=True)
class Invitation:
    sent_at: datetime
    sent_by: str
    works_until: datetime
    still_works: bool
    # False: made while no mail server was set up, so only the log (and the development mail folder) has it.
    sent: bool = True


def history(patient):
    """The record's history, newest first, with that of the records merged into it (their own
    corrections, each row naming its record; their "merged away" row is this record's "merged in")."""
    merged_in = db.select(Patient.id).where(Patient.merged_into_id == patient.id)
    return db.session.execute(
        db.select(PatientHistory).where(db.or_(
            PatientHistory.patient_id == patient.id,
            db.and_(PatientHistory.patient_id.in_(merged_in), PatientHistory.action != "merged_away")))
        .options(selectinload(PatientHistory.actor), selectinload(PatientHistory.other_patient),
                 selectinload(PatientHistory.patient))
        .order_by(PatientHistory.id.desc())).scalars().all()


@dataclass(frozen=True)
class RecordSide:
    """One record of a merge comparison."""

    patient: Patient
    lines: list
    caps: list


def comparison(patient):
    record = load_record(patient.id)
    return RecordSide(record, case_lines(record), caps_by_payer(record))


__all__ = ["CaseLine", "RecordSide", "case_lines", "caps_by_payer", "caps_window", "comparison", "history", "load_record"]
