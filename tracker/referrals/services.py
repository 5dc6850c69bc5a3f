"""Referral intake: finding or registering the patient, and opening a case in `referred`."""
from sqlalchemy.exc import IntegrityError

from tracker import audit
from tracker.cases.services import open_case
from tracker.contact import contact_ended_words
from tracker.extensions import db
from tracker.loaders import kept_record
from tracker.models import Case, Patient, User
from tracker.patients.lookup import search_patients
from tracker.patients.services import PossibleDuplicate, check_duplicates, check_mrn_free
from tracker.refusals import FieldError, Refusal, check_version
from tracker.roles import Role
from tracker.transactions import lock, service, undo_refused_write
from tracker.vocab import joints_of
from tracker.workflow import BEFORE_BOOKING, FINAL_STATES, REFERRAL_NOTES_ONLY, State

MAX_MATCHES = 20


def find_patients(terms=None, date_of_birth=None):
    """Live records matching the search `terms` (tracker.patients.lookup.parse_search), optionally
    narrowed to a date of birth; a merged record found is listed as the record kept, once, as the
    header search does (an old letter's MRN must not look like a new patient)."""
    if terms is None and not date_of_birth:
        return []
    if terms is None:
        query = (db.select(Patient).filter_by(date_of_birth=date_of_birth, merged_into_id=None)
                 .order_by(Patient.family_name_key, Patient.given_name_key).limit(MAX_MATCHES))
        return db.session.execute(query).scalars().all()
    found = search_patients(terms, MAX_MATCHES, born=date_of_birth)
    return list(dict.fromkeys(kept_record(patient) for patient in found))[:MAX_MATCHES]


def physicians():
    """The active physicians' ids and names, by name (every physician list and filter): the two
    columns, not whole accounts, since most pages read them for a select's options."""
    return db.session.execute(
        db.select(User.id, User.name).filter_by(role=Role.PHYSICIAN, active=True).order_by(User.name)
    ).all()


@service
def register_and_refer(patient_values, referral_values, actor, confirmed_different_person=False, commit=True):
    check_mrn_free(patient_values["mrn"])
    check_duplicates(patient_values, confirmed_different_person)
    patient = Patient(**patient_values)
    db.session.add(patient)
    try:
        db.session.flush()
    except IntegrityError:
        # Someone registered this MRN between the check above and now: undo (a failed
        # statement spoils the transaction) and let the check, which now sees theirs, explain.
        undo_refused_write()
        check_mrn_free(patient_values["mrn"])
        raise
    audit.record(audit.Action.CREATE, "patient", patient.id, summary="patient registered", user=actor)
    return refer(patient, referral_values, actor, commit)


class PatientDied(Refusal):
    """No referral is logged for a patient recorded as died (undo the mark if it is wrong)."""

    # Through FHIR intake: a rule of the clinic's, not a duplicate (which a 409 says by default).
    code = "business-rule"


def referral_refused(patient):
    """Why no referral is logged for the patient, as the form and a refused save say it (as booking
    says "Nothing is booked: …"), or None: their record says they died."""
    if not patient.died:
        return None
    return (f"No referral is logged: the patient's record says {contact_ended_words(patient)} (recorded by "
            f"{patient.contact_ended_by}). If that is wrong, undo it on the patient's record first.")


def left_care_warning(patient):
    """What the referral form warns of a patient recorded as moved away or left the clinic's care,
    or None: a referral may mean they are back, and nothing is sent to them while the mark stands."""
    if patient.contact_ended is None or patient.died:
        return None
    return (f"The patient's record says they can no longer be reached: {contact_ended_words(patient)} (recorded "
            f"by {patient.contact_ended_by}). Nothing is sent to them while it says so: if they are back in the "
            f"clinic's care, undo that on their record.")


class SecondReferral(Refusal):
    """The patient already has an open case on a side this referral names; the user must confirm a
    second one. `cases`: those open cases."""

    status = 422

    def __init__(self, cases):
        super().__init__("the patient already has an open case on this side")
        self.cases = cases


def open_cases_on_side(patient, side):
    """The patient's cases not yet closed or cancelled that concern a joint `side` concerns (a
    bilateral case concerns both sides), oldest first: read from the database, not from the
    patient's cases loaded earlier in the request, so that a referral waiting on the patient's
    lock sees the case the one before it opened."""
    joints = set(joints_of(side))
    open_cases = db.session.execute(
        db.select(Case).filter(Case.patient_id == patient.id, Case.state.notin_(FINAL_STATES)).order_by(Case.id)
    ).scalars().all()
    return [case for case in open_cases if joints & set(joints_of(case.side))]


def _check_second_referral(patient, side, confirmed, seen_open_cases, case=None):
    """Refuse (SecondReferral) a referral for `side` while the patient has an open case on a joint
    it names, unless the user confirmed every such case (they were shown `seen_open_cases`). For
    the correction of `case`'s side, only the cases on a joint the correction adds count: the
    others were there, and confirmed, before. Under the patient's lock, so that two referrals at
    once each see the case the other opened."""
    lock(f"patient:{patient.id}")
    already_open = open_cases_on_side(patient, side)
    if case is not None:
        added = set(joints_of(side)) - set(joints_of(case.side))
        already_open = [other for other in already_open
                        if other.id != case.id and added & set(joints_of(other.side))]
    unseen = [other for other in already_open if other.id not in set(seen_open_cases)]
    if unseen if confirmed else already_open:
        raise SecondReferral(already_open)


@service
def refer(patient, referral_values, actor, commit=True, confirmed_second_referral=None, seen_open_cases=()):
    """Open the case. `commit=False` leaves the commit to a caller that writes more in the same
    transaction (FHIR intake adds the sender's identifier). `confirmed_second_referral`: False
    refuses (SecondReferral) a referral for a side the patient already has an open case on, True
    is the user's confirmation for the open cases they were shown (`seen_open_cases`, ids): an
    open case on that side beyond those is refused again, listed with them; None (a new patient,
    or an intake that says so itself) checks nothing.

    The check and the case it allows are one step under the patient's lock: the same form sent
    twice at once (a double click, a browser's retry, two coordinators logging the same faxed
    referral, or confirming the same further referral) opens one case, and the other is refused
    as a second referral would be, listing the case the first one opened."""
    if refused := referral_refused(patient):
        raise PatientDied(refused)
    if confirmed_second_referral is not None:
        _check_second_referral(patient, referral_values["side"], confirmed_second_referral, seen_open_cases)
    case = open_case(patient, actor, "referral logged", "referral logged", **referral_values)
    if commit:
        db.session.commit()
    return case


# Read by no verdict, booking or claim: corrected after the booking too (REFERRAL_NOTES_ONLY).
REFERRAL_NOTES = ("referring_clinician", "reason")


def physician_reassignable(case):
    """Whether a case past its booking may still be given to another physician: once its procedure
    has started (in procedure, in follow-up) while its physician is no longer on the schedule
    (deactivated, or another role), someone still here must read its diary and record its outcome.
    A booked case is not: its appointment is moved to another physician instead."""
    return (case.state in REFERRAL_NOTES_ONLY and case.state != State.SCHEDULED
            and case.physician is not None and not case.physician.bookable)


def correctable_after_booking(case):
    """The fields of a booked case's referral that may still change."""
    return REFERRAL_NOTES + (("physician_id",) if physician_reassignable(case) else ())


@service
def update_referral(case, values, version_id, actor, confirmed_second_referral=False, seen_open_cases=()):
    """Save the referral's corrections. Before the booking, every field; after it (until the case
    is closed or cancelled), only `REFERRAL_NOTES`: a change to another is refused next to that
    field (the side an appointment was booked for, the payer whose rules the verdict read). A side
    corrected onto a joint the patient has another open case on is refused (SecondReferral) unless
    confirmed, as a new referral for that joint would be."""
    check_version(case, version_id)
    if case.state not in BEFORE_BOOKING:
        correctable = correctable_after_booking(case)
        fixed = [name for name in values if name not in correctable and values[name] != getattr(case, name)]
        if case.state not in REFERRAL_NOTES_ONLY or fixed:
            raise FieldError(fixed[0] if fixed else "referring_clinician",
                             f"This can no longer change: the case is {case.state.label.lower()}. Only who "
                             f"referred and the reason for referral can still be corrected.")
    if "side" in values and values["side"] != case.side:
        _check_second_referral(case.patient, values["side"], confirmed_second_referral, seen_open_cases, case)
    before = {name: getattr(case, name) for name in values}
    for name, value in values.items():
        setattr(case, name, value)
    audit.record(audit.Action.UPDATE, "case", case.id,
                 summary=audit.changed_fields(before, values, ("payer_profile_code", "physician_id")),
                 user=actor, before=before, after=values)
    db.session.commit()
