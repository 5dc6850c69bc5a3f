"""The coordinator's worklist and the physician's list: which cases wait, on what, for how long.

A page of cases is one query: each case with its patient, physician and kept line (what it waits
for, whether its verdict stands), which tracker/cases/rows.py works out when the case changes, from
the same engine as the case page, so the worklist and the case page never disagree.
"""
from dataclasses import dataclass

from sqlalchemy.orm import contains_eager, joinedload

from tracker.cases.counts import state_counts as kept_state_counts
from tracker.cases.rows import line_for
from tracker.extensions import db
from tracker.models import Case, Patient
from tracker.patients.identity import mrn_key, name_key
from tracker.policy import PROFILES
from tracker.search import starts_with
from tracker.timeutil import clinic_today, to_clinic
from tracker.vocab import N_
from tracker.workflow import FINAL_STATES, State

SORTS = {
    # name: (label, order_by columns) -- the only sort orders accepted from the query string
    "waiting": (N_("Longest waiting first"), (Case.state_changed_at.asc(), Case.id.asc())),
    "recent": (N_("Most recently changed"), (Case.state_changed_at.desc(), Case.id.desc())),
    "referral": (N_("Referral date, newest first"), (Case.referral_date.desc(), Case.id.desc())),
    "name": (N_("Patient name"), (Patient.family_name_key.asc(), Patient.given_name.asc(), Case.id.asc())),
}
DEFAULT_SORT = "waiting"

# What a row shows beyond the case itself: its kept line (tracker/cases/rows.py) and two names.
ROW_DETAILS = (joinedload(Case.physician), joinedload(Case.row))


@dataclass(frozen=True)
class Row:
    case: Case
    waiting_for: list
    days_waiting: int
    stale: bool
    overridden: bool


def query(states=None, q=None, physician_id=None, side=None, profile=None, default_profile=None,
          sort=DEFAULT_SORT, unassigned_too=False):
    """Cases matching the filters, sorted by an allowed key, with everything a row shows loaded
    in one query per relation whatever the page size. Every filter uses an index.

    With `physician_id`, `unassigned_too` adds the cases no physician is assigned to: True in
    every state of `states`, or a collection of states (the physician's list: their own cases
    under review, but unassigned ones only from the verdict on)."""
    # Patients are joined only to search or sort by name: counting and paging the other lists
    # then reads the cases table (and its indexes) alone.
    by_patient = bool(q and q.strip()) or sort == "name"
    statement = db.select(Case).options(*ROW_DETAILS)
    if by_patient:
        statement = statement.join(Case.patient).options(contains_eager(Case.patient))
    else:
        statement = statement.options(joinedload(Case.patient))
    if states:
        statement = statement.filter(Case.state.in_([State(s) for s in states]))
    if physician_id:
        mine = Case.physician_id == physician_id
        if unassigned_too is True:
            statement = statement.filter(db.or_(mine, Case.physician_id.is_(None)))
        elif unassigned_too:
            statement = statement.filter(db.or_(mine, db.and_(
                Case.physician_id.is_(None), Case.state.in_([State(s) for s in unassigned_too]))))
        else:
            statement = statement.filter(mine)
    if side:
        statement = statement.filter(Case.side == side)
    if profile:
        by_profile = Case.payer_profile_code == profile
        if profile == default_profile:
            by_profile = db.or_(by_profile, Case.payer_profile_code.is_(None))
        statement = statement.filter(by_profile)
    if q and q.strip():
        term = q.strip()
        statement = statement.filter(db.or_(Patient.mrn_key == mrn_key(term),
                                            starts_with(Patient.family_name_key, name_key(term) or term)))
    return statement.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT])[1])


def rows(cases, default_profile):
    """The page's rows from each case's kept line; a line kept for an earlier day is worked out
    again here (see tracker/cases/rows.py), so a row never shows yesterday's answer."""
    today = clinic_today()
    result = []
    for case in cases:
        waiting, stale, overridden = line_for(case, default_profile, today)
        days = (today - to_clinic(case.state_changed_at).date()).days
        result.append(Row(case=case, waiting_for=waiting, days_waiting=days, stale=stale, overridden=overridden))
    return result


CSV_HEADER = ["Case", "MRN", "Patient", "Side", "Indication", "State", "Waiting for", "Days waiting",
              "Stale verdict", "Physician", "Payer profile", "Referral date"]


def csv_row(row):
    """A worklist row as the CSV download writes it: the page's columns, one case a line."""
    case = row.case
    return (case.id, case.patient.mrn, case.patient.display_name, case.side, case.indication, case.state,
            "; ".join(row.waiting_for), row.days_waiting, row.stale,
            case.physician.name if case.physician else "",
            PROFILES[case.payer_profile_code].name if case.payer_profile_code in PROFILES else "clinic default",
            case.referral_date)


def state_counts():
    """Cases per state, read from the kept counts (tracker/cases/counts.py), never counted."""
    return kept_state_counts(db.session)


def total(counts, states, **filters):
    """How many cases the list holds, when the kept counts can say (a filter on state alone);
    None otherwise, and the page offers Previous and Next without a count."""
    if any(filters.values()):
        return None
    return sum(counts[State(s)] for s in states)


def open_states():
    return [s for s in State if s not in FINAL_STATES]


__all__ = ["SORTS", "CSV_HEADER", "csv_row", "query", "rows", "state_counts", "total", "open_states"]
