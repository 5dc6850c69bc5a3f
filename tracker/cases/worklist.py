"""The coordinator's worklist and the physician's list: which cases wait, on what, for how long.

A page of cases is loaded with a fixed number of queries (the related records come in one
`selectin` query each), then "waiting for" is worked out in Python from the same pure engine that
evaluates eligibility, so the worklist and the case page never disagree.
"""
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from tracker.eligibility.standing import current_assessment, staleness
from tracker.extensions import db
from tracker.models import Case, Patient
from tracker.search import normalise_mrn, starts_with
from tracker.timeutil import clinic_today, to_clinic
from tracker.workflow import FINAL_STATES, State

SORTS = {
    # name: (label, order_by columns) -- the only sort orders accepted from the query string
    "waiting": ("Longest waiting first", (Case.state_changed_at.asc(), Case.id.asc())),
    "recent": ("Most recently changed", (Case.state_changed_at.desc(), Case.id.desc())),
    "referral": ("Referral date, newest first", (Case.referral_date.desc(), Case.id.desc())),
    "name": ("Patient name", (Patient.family_name_key.asc(), Patient.given_name.asc(), Case.id.asc())),
}
DEFAULT_SORT = "waiting"

WAITING_BY_STATE = {
    State.REFERRED: "review to start",
    State.SCHEDULED: "procedure day",
    State.IN_PROCEDURE: "checklist to be signed",
    State.FOLLOW_UP: "pain diary and outcome",
}
# States whose row depends on the verdict and whether it still stands.
VERDICT_STATES = frozenset({State.UNDER_REVIEW, State.ELIGIBLE, State.NOT_ELIGIBLE, State.SCHEDULED})


ROW_DETAILS = (
    joinedload(Case.physician),
    selectinload(Case.conservative_care),
    selectinload(Case.examination),
    selectinload(Case.risk_screen),
    selectinload(Case.verdicts),
)
# The patient's other cases and their history date earlier injections (caps, spacing).
PATIENT_CASES = (Patient.cases, Case.history, Case.outcome)


@dataclass(frozen=True)
class Row:
    case: Case
    waiting_for: list
    days_waiting: int
    stale: bool


def query(states=None, q=None, physician_id=None, side=None, profile=None, default_profile=None,
          sort=DEFAULT_SORT, unassigned_too=False):
    """Cases matching the filters, sorted by an allowed key, with everything a row shows loaded
    in one query per relation whatever the page size. Every filter uses an index."""
    # Patients are joined only to search or sort by name: counting and paging the other lists
    # then reads the cases table (and its indexes) alone.
    by_patient = bool(q and q.strip()) or sort == "name"
    statement = db.select(Case).options(*ROW_DETAILS)
    if by_patient:
        statement = statement.join(Case.patient).options(
            contains_eager(Case.patient).selectinload(PATIENT_CASES[0]).options(
                selectinload(PATIENT_CASES[1]), selectinload(PATIENT_CASES[2])))
    else:
        statement = statement.options(
            joinedload(Case.patient).selectinload(PATIENT_CASES[0]).options(
                selectinload(PATIENT_CASES[1]), selectinload(PATIENT_CASES[2])))
    if states:
        statement = statement.filter(Case.state.in_([State(s) for s in states]))
    if physician_id:
        mine = Case.physician_id == physician_id
        statement = statement.filter(db.or_(mine, Case.physician_id.is_(None)) if unassigned_too else mine)
    if side:
        statement = statement.filter(Case.side == side)
    if profile:
        by_profile = Case.payer_profile_code == profile
        if profile == default_profile:
            by_profile = db.or_(by_profile, Case.payer_profile_code.is_(None))
        statement = statement.filter(by_profile)
    if q and q.strip():
        term = q.strip()
        statement = statement.filter(db.or_(Patient.mrn == normalise_mrn(term),
                                            starts_with(Patient.family_name_key, term.lower())))
    return statement.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT])[1])


def rows(cases, default_profile):
    today = clinic_today()
    return [_row(case, default_profile, today) for case in cases]


def _row(case, default_profile, today):
    verdict = case.current_verdict
    stale = False
    waiting = []
    if case.state in VERDICT_STATES:
        assessment = current_assessment(case, default_profile, today)
        stale = staleness(case, verdict, assessment) is not None
        assessment = assessment[0]
        if case.state == State.UNDER_REVIEW:
            waiting = assessment.waiting_for() or ["eligibility verdict (all criteria met)"]
        elif stale:
            waiting = ["verdict stale: re-evaluate"]
        elif case.state == State.ELIGIBLE:
            waiting = ["booking"]
        elif case.state == State.SCHEDULED:
            waiting = [WAITING_BY_STATE[case.state]]
        else:
            shortfalls = [c["shortfall"] for c in verdict.snapshot["criteria"]
                          if c["status"] != "met"] if verdict else []
            waiting = ["physician review"] + shortfalls
    elif case.state in WAITING_BY_STATE:
        waiting = [WAITING_BY_STATE[case.state]]
    days = (today - to_clinic(case.state_changed_at).date()).days
    return Row(case=case, waiting_for=waiting, days_waiting=days, stale=stale)


def state_counts():
    found = dict(db.session.execute(db.select(Case.state, func.count()).group_by(Case.state)).all())
    return {state: found.get(state, 0) for state in State}


def open_states():
    return [s for s in State if s not in FINAL_STATES]


__all__ = ["SORTS", "query", "rows", "state_counts", "open_states"]
