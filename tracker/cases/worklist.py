"""The coordinator's worklist and the physician's list: which cases wait, on what, for how long.

A page of cases is one query of the columns its lines show: each case with its patient's name and
MRN, its physician's name and its kept line (what it waits for, whether its verdict stands), which
tracker/cases/rows.py works out when the case changes, from the same engine as the case page, so
the worklist and the case page never disagree. Reading plain columns, not the case, patient and
physician objects, keeps the page's work a few microseconds a line (the page, the CSV download and
the API's list read the same query).
"""
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from tracker.cases.counts import state_counts as kept_state_counts
from tracker.cases.rows import is_current, line_for, work_out
from tracker.contact import NoLongerReached, no_longer_reached
from tracker.extensions import db
from tracker.formfields import options
from tracker.models import Case, CaseRow, Patient, User
from tracker.patients.identity import full_name
from tracker.patients.lookup import ids_matching, one_slip_away, parse_name_or_mrn, slip_words
from tracker.policy import PROFILES
from tracker.roles import Role
from tracker.timeutil import clinic_today, to_clinic, utcnow
from tracker.vocab import N_, Indication, Side, sides_filtered
from tracker.workflow import FINAL_STATES, State

SORTS = {
    # name: (label, order_by columns) -- the only sort orders accepted from the query string
    "waiting": (N_("Longest waiting first"), (Case.state_changed_at.asc(), Case.id.asc())),
    "recent": (N_("Most recently changed"), (Case.state_changed_at.desc(), Case.id.desc())),
    "referral": (N_("Referral date, newest first"), (Case.referral_date.desc(), Case.id.desc())),
    "name": (N_("Patient name"), (Patient.family_name_key.asc(), Patient.given_name.asc(), Case.id.asc())),
}
DEFAULT_SORT = "waiting"

# The physician's list (/cases/physician, and what a physician's API token lists at /api/v1/cases):
# their own cases in these states (under review: a verdict to decide or override, or a review on
# its way to one), and unassigned ones in every state but under review (a case under review with
# nobody assigned is still the coordinators').
PHYSICIAN_FOCUS = (State.UNDER_REVIEW, State.NOT_ELIGIBLE, State.SCHEDULED, State.IN_PROCEDURE, State.FOLLOW_UP)
PHYSICIAN_UNASSIGNED_TOO = (State.NOT_ELIGIBLE, State.SCHEDULED, State.IN_PROCEDURE, State.FOLLOW_UP)

# What the API's case detail loads with a case to work out its line (`line_of`).
ROW_DETAILS = (joinedload(Case.physician), joinedload(Case.row))

# The columns a line shows, and those that say whether its kept answer is still current.
LINE_COLUMNS = (Case.id, Case.state, Case.side, Case.indication, Case.referral_date, Case.state_changed_at,
                Case.payer_profile_code, Patient.id.label("patient_id"), Patient.mrn, Patient.family_name,
                Patient.given_name, Patient.contact_ended, Patient.contact_ended_on, Patient.contact_ended_at,
                User.name.label("physician"), CaseRow.waiting_for, CaseRow.verdict_stale,
                CaseRow.overridden, CaseRow.computed_on, CaseRow.default_profile, CaseRow.current_until)


@dataclass(frozen=True)
class Line:
    """One case's line on a list: what the page, the CSV download and the API show."""
    id: int
    state: State
    side: Side
    indication: Indication
    referral_date: date
    state_changed_at: datetime
    payer_profile_code: str | None
    patient_id: int
    mrn: str
    patient_name: str
    # A patient no longer reached (died, left care), or None.
    contact_ended: NoLongerReached | None
    physician: str | None
    waiting_for: list
    days_waiting: int
    stale: bool
    overridden: bool

    @property
    def no_longer_reachable(self):
        """The mark beside the patient's name ("Died 2026-11-03"), or ""."""
        return self.contact_ended.mark if self.contact_ended else ""


def query(states=None, q=None, physician_id=None, side=None, profile=None, default_profile=None,
          sort=DEFAULT_SORT, unassigned_too=False):
    """The lines matching the filters, sorted by an allowed key: one query whatever the page size,
    and every filter uses an index.

    With `physician_id`, `unassigned_too` adds the cases no physician is assigned to: True in
    every state of `states`, or a collection of states (the physician's list: their own cases
    under review, but unassigned ones only from the verdict on)."""
    # Each case has one patient, at most one physician and at most one kept line: the joins add
    # columns, never rows, so the open cases' index still gives the order and the page.
    statement = (db.select(*LINE_COLUMNS).select_from(Case).join(Case.patient)
                 .outerjoin(User, User.id == Case.physician_id).outerjoin(CaseRow, CaseRow.case_id == Case.id))
    if len(states or ()) == 1:
        # One state is an equality, not a list of one: SQLite reads an IN list value by value
        # and would sort the page afterwards; as an equality both databases read the state's
        # range of its index in waiting order.
        statement = statement.filter(Case.state == State(states[0]))
    elif states:
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
        # A bilateral case is a case of each joint (tracker.vocab.sides_filtered), as in the reports.
        statement = statement.filter(Case.side.in_(sides_filtered(side)))
    if profile:
        by_profile = Case.payer_profile_code == profile
        if profile == default_profile:
            by_profile = db.or_(by_profile, Case.payer_profile_code.is_(None))
        statement = statement.filter(by_profile)
    if q and q.strip():
        # The patients the search finds by this name, or the exact MRN: one IN over each meaning's
        # own index range (tracker/patients/lookup.py, ids_matching; README "Speed").
        matching = ids_matching(parse_name_or_mrn(q))
        statement = statement.filter(db.false() if matching is None else Case.patient_id.in_(matching))
    return statement.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT])[1])


def did_you_mean(q):
    """What the worklist offers when its name box `q` finds no case: the patients one typing slip
    away (tracker/patients/lookup.py, one_slip_away), unless the name finds a patient as typed (the
    other filters left their cases out, and the name needs no correcting). [] for an MRN or a word
    too short to compare, without reading anything."""
    if not slip_words(q):
        return []
    matching = ids_matching(parse_name_or_mrn(q))
    if matching is not None and db.session.execute(db.select(db.exists(matching))).scalar():
        return []
    return one_slip_away(q)


def physician_query(physician_id, states=PHYSICIAN_FOCUS, q=None, side=None, profile=None, default_profile=None,
                    sort="waiting", unassigned=True):
    """The physician's list, longest waiting first: one query through the open cases' index.
    The API narrows it as the worklist's filters narrow the worklist: `states` (of PHYSICIAN_FOCUS),
    `q`, `side`, `profile`, `sort`; `unassigned=False` leaves the unassigned cases out."""
    return query(states, q, physician_id, side, profile, default_profile, sort,
                 unassigned_too=PHYSICIAN_UNASSIGNED_TOO if unassigned else False)


def physician_choices_query():
    """The physicians the worklist's and the reports' filter offers: every active one, then every
    former one (deactivated, or given another role: their cases can still be listed, reassigned
    and reported on), by name. It reads the accounts alone (`ever_physician`, kept with the role):
    asking which former physicians still own an open case read the whole cases table for one who
    owns none (0.5 s a page at 1,000,000 cases)."""
    bookable = db.and_(User.active, User.role == Role.PHYSICIAN)
    return (db.select(User.id, User.name, User.active, User.role).where(User.ever_physician)
            .order_by(bookable.desc(), User.name, User.id))


def physician_choices():
    """`physician_choices_query`'s (id, name, active, role) rows."""
    return db.session.execute(physician_choices_query()).all()


def physician_filter_options():
    """The physician filter's options (the worklist's and the reports page's): `physician_choices`,
    each former physician marked (`physician_label`)."""
    return options([(str(p.id), physician_label(p)) for p in physician_choices()], blank="Any physician")


def physician_label(physician):
    """How the physician filter names `physician` (anything with name, active and role): one given
    another role "(no longer a physician)", a deactivated one "(inactive)"."""
    if physician.role != Role.PHYSICIAN:
        return _("%(name)s (no longer a physician)", name=physician.name)
    return physician.name if physician.active else _("%(name)s (inactive)", name=physician.name)


def lines(results, default_profile):
    """The lines of `query`'s results from each case's kept line. A line kept for an earlier day
    (or under another default payer profile) is worked out again here, for that case alone (see
    tracker/cases/rows.py), so a row never shows yesterday's answer."""
    today, now = clinic_today(), utcnow()
    outdated = [r.id for r in results if r.computed_on is None or not is_current(r, r, default_profile, today, now)]
    worked_out = {}
    if outdated:
        for case in db.session.scalars(db.select(Case).where(Case.id.in_(outdated))):
            worked_out[case.id] = work_out(case, default_profile, today)
    return [_line(r, *worked_out.get(r.id, (r.waiting_for, r.verdict_stale, r.overridden)), today=today)
            for r in results]


def line_of(case, default_profile):
    """The line of one case loaded as an object (with ROW_DETAILS)."""
    today = clinic_today()
    waiting, stale, overridden = line_for(case, default_profile, today)
    return Line(id=case.id, state=case.state, side=case.side, indication=case.indication,
                referral_date=case.referral_date, state_changed_at=case.state_changed_at,
                payer_profile_code=case.payer_profile_code, patient_id=case.patient_id, mrn=case.patient.mrn,
                patient_name=case.patient.display_name,
                contact_ended=no_longer_reached(case.patient.contact_ended, case.patient.contact_ended_on,
                                                case.patient.contact_ended_at),
                physician=case.physician.name if case.physician else None,
                waiting_for=list(waiting), days_waiting=_days_since(case.state_changed_at, today), stale=stale,
                overridden=overridden)


def _line(r, waiting, stale, overridden, today):
    return Line(id=r.id, state=r.state, side=r.side, indication=r.indication, referral_date=r.referral_date,
                state_changed_at=r.state_changed_at, payer_profile_code=r.payer_profile_code,
                patient_id=r.patient_id, mrn=r.mrn, patient_name=full_name(r.family_name, r.given_name),
                contact_ended=no_longer_reached(r.contact_ended, r.contact_ended_on, r.contact_ended_at),
                physician=r.physician, waiting_for=list(waiting), days_waiting=_days_since(r.state_changed_at, today),
                stale=stale, overridden=overridden)


def _days_since(moment, today):
    return (today - to_clinic(moment).date()).days


# "No longer reachable" last: the columns files were read by before it keep their places.
CSV_HEADER = ["Case", "MRN", "Patient", "Side", "Indication", "State", "Waiting for", "Days waiting",
              "Stale verdict", "Physician", "Payer profile", "Referral date", "No longer reachable"]


def csv_row(line):
    """A worklist line as the CSV download writes it: the page's columns, one case a line, with the
    mark the page shows beside the name."""
    return (line.id, line.mrn, line.patient_name, line.side, line.indication, line.state,
            "; ".join(line.waiting_for), line.days_waiting, line.stale, line.physician or "",
            PROFILES[line.payer_profile_code].name if line.payer_profile_code in PROFILES else "clinic default",
            line.referral_date, line.no_longer_reachable)


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


__all__ = ["SORTS", "CSV_HEADER", "Line", "csv_row", "query", "lines", "line_of", "state_counts", "total",
           "open_states", "physician_choices", "physician_choices_query", "physician_filter_options"]
