"""The patient liability notice a session over the payer's limits needs (Medicare's ABN, another
payer's financial-responsibility notice), read when it is shown from the verdict the session rests on
and the patient's sessions, given and booked, before the session's day (so it is on the session
actually over a cap in date order, and a cancelled or moved session is read again), with what
readiness recorded: the appointment page, the day board, readiness, the case page and the procedure
note all read it here (the rules: procedures.rules.billing.limits_broken and over_payer_limit). The
warnings a booking acknowledged are its record of what the coordinator was told, never read here."""
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from tracker.eligibility.facts import INJECTED_STATES, booked_session, still_to_be_given
from tracker.extensions import db
from tracker.models import Appointment, Case, CaseHistory, EligibilityVerdict, OutsideInjection
from tracker.policy import PriorInjection
from tracker.policy.profiles import PROFILES
from tracker.procedures.rules.billing import limits_broken, over_payer_limit
from tracker.timeutil import format_clinic, to_clinic
from tracker.vocab import Indication, Side
from tracker.workflow import State


@dataclass(frozen=True)
class Session:
    """One case's session as the notice reads it: its clinic day, the case (its id, patient, side and
    indication) and the payer profile its newest verdict was judged under."""

    case_id: int
    patient_id: int
    day: date
    side: str
    indication: str
    profile_code: str


def notice_for(case, appointment=None, at=None):
    """The patient liability notice a session of `case` needs (billing.over_payer_limit), or None:
    read from the verdict the session rests on (the newest one evaluated by `at`, the procedure's
    start; the case's current one without `at`) and the limits the session breaks on its day (`at`'s,
    else `appointment`'s) counting the patient's sessions before it."""
    verdicts = [v for v in case.verdicts if at is None or v.evaluated_at <= at] or case.verdicts
    verdict = verdicts[-1] if verdicts else None
    if verdict is None:
        return None
    override = (f"{verdict.override_by.name}, {format_clinic(verdict.override_at, '%Y-%m-%d')}"
                if verdict.override_at is not None else "")
    day = to_clinic(at).date() if at is not None else appointment.clinic_day if appointment is not None else None
    broken = ()
    if day is not None:
        session = Session(case.id, case.patient_id, day, case.side.value, case.indication.value, verdict.profile_code)
        broken = _broken([session])[0]
    return over_payer_limit(verdict.snapshot.get("criteria", ()), *_payer(verdict.profile_code), override, broken,
                            appointment.liability_notice_signed if appointment is not None else None)


def _payer(profile_code):
    """The payer's name as a notice names it and whether it is Medicare, from a profile code (a
    profile no longer defined is named by its code and treated as another payer)."""
    profile = PROFILES.get(profile_code)
    return (str(profile.name) if profile else profile_code), bool(profile and profile.medicare)


def notices_for(appointments):
    """The liability notice each of the day's appointments needs ({appointment id: notice}, those
    needing none left out), as `notice_for` reads it from the case's current verdict, in three
    queries whatever their number (their cases loaded)."""
    appointments = list(appointments)
    if not appointments:
        return {}
    latest = (db.select(db.func.max(EligibilityVerdict.id))
              .where(EligibilityVerdict.case_id.in_({a.case_id for a in appointments}))
              .group_by(EligibilityVerdict.case_id))
    verdicts = {row.case_id: row for row in db.session.execute(
        db.select(EligibilityVerdict.case_id, EligibilityVerdict.override_at, EligibilityVerdict.failed_criteria,
                  EligibilityVerdict.profile_code).where(EligibilityVerdict.id.in_(latest)))}
    rows = [(a.id, verdicts.get(a.case_id), a.liability_notice_signed,
             Session(a.case_id, a.case.patient_id, a.clinic_day, a.case.side.value, a.case.indication.value,
                     verdicts[a.case_id].profile_code if a.case_id in verdicts else ""))
            for a in appointments]
    return card_notices([(appointment_id, verdict and verdict.failed_criteria, verdict and verdict.override_at,
                          signed, session) for appointment_id, verdict, signed, session in rows])


def card_notices(cards):
    """The day cards' liability notices ({appointment id: notice}, those needing none left out), from
    (appointment id, the case's newest verdict's `failed_criteria` (its JSON list of codes; None
    without a verdict) and `override_at`, whether readiness recorded the notice signed, its `Session`)
    each, in one query whatever their number. The card names no criterion (the appointment page
    does): the codes do."""
    cards = [card for card in cards if card[1] is not None]
    broken = _broken([card[4] for card in cards])
    found = {}
    for (appointment_id, failed_criteria, override_at, signed, session), limits in zip(cards, broken):
        failed = [{"code": code, "label": code, "status": "not_met"} for code in json.loads(failed_criteria)]
        notice = over_payer_limit(failed, *_payer(session.profile_code), "override" if override_at is not None else "",
                                  limits, signed)
        if notice:
            found[appointment_id] = notice
    return found


def _broken(sessions):
    """The limits each of `sessions` breaks on its day (billing.limits_broken), counting its patient's
    other cases' sessions: those given (by their start, and those given elsewhere) and those booked
    and still to be given. In one query whatever their number (none without sessions)."""
    if not sessions:
        return []
    given, booked = _patients_sessions({s.patient_id for s in sessions})
    found = []
    for s in sessions:
        profile = PROFILES.get(s.profile_code)
        found.append(() if profile is None else limits_broken(
            s.day, s.side, s.indication, [p for case_id, p in given[s.patient_id] if case_id != s.case_id],
            [b for case_id, b in booked[s.patient_id] if case_id != s.case_id], profile))
    return found


def _patients_sessions(patient_ids):
    """({patient id: [(case id or None, PriorInjection)]}, {patient id: [(case id, BookedSession)]}):
    the patients' injections given, in the tracker (dated by the procedure's start, as
    eligibility.facts.injection_day) and elsewhere, and their cases' appointments still to be given
    (eligibility.facts.booked_sessions), as the caps count them. One query: the cases, then the
    injections given elsewhere."""
    started = (db.select(db.func.max(CaseHistory.at)).where(CaseHistory.case_id == Case.id,
                                                            CaseHistory.action == "start_procedure")
               .scalar_subquery())
    booked_at = (db.select(db.func.min(Appointment.starts_at)).where(Appointment.case_id == Case.id,
                                                                     still_to_be_given()).scalar_subquery())
    cases = db.select(Case.patient_id, Case.id.label("case_id"), Case.side, Case.indication, Case.state,
                      started.label("started"), booked_at.label("booked_at"),
                      db.null().label("performed_on"), db.null().label("place"), db.null().label("source")
                      ).where(Case.patient_id.in_(patient_ids))
    outside = db.select(OutsideInjection.patient_id, db.null(), OutsideInjection.side, OutsideInjection.indication,
                        db.null(), db.null(), db.null(), OutsideInjection.performed_on, OutsideInjection.place,
                        OutsideInjection.source).where(OutsideInjection.patient_id.in_(patient_ids))
    given, booked = defaultdict(list), defaultdict(list)
    for row in db.session.execute(db.union_all(cases, outside)):
        side, indication = Side(row.side).value, Indication(row.indication).value
        if row.case_id is None:
            performed_on = row.performed_on if isinstance(row.performed_on, date) else date.fromisoformat(
                str(row.performed_on))
            given[row.patient_id].append((None, PriorInjection(
                performed_on=performed_on, side=side, indication=indication,
                outside=OutsideInjection(performed_on=performed_on, place=row.place, source=row.source).described)))
        elif State(row.state) in INJECTED_STATES:
            if row.started is not None:
                given[row.patient_id].append((row.case_id, PriorInjection(
                    performed_on=to_clinic(row.started).date(), side=side, indication=indication)))
        elif row.booked_at is not None:
            booked[row.patient_id].append((row.case_id, booked_session(to_clinic(row.booked_at).date(), row.case_id,
                                                                       side, indication)))
    return given, booked
