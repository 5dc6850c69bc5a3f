"""Referral intake: finding or registering the patient, and opening a case in `referred`."""
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from tracker import audit
from tracker.cases.services import open_case
from tracker.extensions import db
from tracker.models import Patient, User
from tracker.refusals import FieldError, Refusal, check_version
from tracker.roles import Role
from tracker.search import normalise_mrn, starts_with
from tracker.transactions import service
from tracker.workflow import BEFORE_BOOKING

MAX_MATCHES = 20


class PossibleDuplicate(Refusal):
    """Patients with the same name and date of birth exist; the user must confirm a new record."""

    status = 422

    def __init__(self, patients):
        super().__init__("possible duplicate patient")
        self.patients = patients


def find_patients(q=None, date_of_birth=None):
    """The MRN (in any case), or family name starting with `q`, optionally narrowed by date of birth."""
    term = (q or "").strip()
    if not term and not date_of_birth:
        return []
    query = db.select(Patient).order_by(Patient.family_name, Patient.given_name).limit(MAX_MATCHES)
    if term:
        query = query.filter(db.or_(Patient.mrn == normalise_mrn(term),
                                    starts_with(Patient.family_name_key, term.lower())))
    if date_of_birth:
        query = query.filter(Patient.date_of_birth == date_of_birth)
    return db.session.execute(query).scalars().all()


def physicians():
    return db.session.execute(
        db.select(User).filter_by(role=Role.PHYSICIAN, active=True).order_by(User.name)
    ).scalars().all()


def _check_mrn_free(mrn):
    existing = db.session.execute(db.select(Patient).filter_by(mrn=mrn)).scalar_one_or_none()
    if existing is not None:
        raise FieldError("mrn", f"A patient with this MRN is already registered ({existing.display_name}, "
                                f"born {existing.date_of_birth.isoformat()}). Find them and add the "
                                f"referral to their record instead.")


@service
def register_and_refer(patient_values, referral_values, actor, confirmed_different_person=False, commit=True):
    mrn = normalise_mrn(patient_values["mrn"])
    patient_values = {**patient_values, "mrn": mrn}
    _check_mrn_free(mrn)
    namesakes = db.session.execute(db.select(Patient).filter(
        func.lower(Patient.family_name) == patient_values["family_name"].lower(),
        func.lower(Patient.given_name) == patient_values["given_name"].lower(),
        Patient.date_of_birth == patient_values["date_of_birth"],
    )).scalars().all()
    if namesakes and not confirmed_different_person:
        raise PossibleDuplicate(namesakes)
    patient = Patient(**patient_values)
    db.session.add(patient)
    try:
        db.session.flush()
    except IntegrityError:
        # Someone registered this MRN between the check above and now: roll back (a failed
        # statement spoils the transaction) and let the check, which now sees theirs, explain.
        db.session.rollback()
        _check_mrn_free(mrn)
        raise
    audit.record(audit.Action.CREATE, "patient", patient.id, summary="patient registered", user=actor)
    return refer(patient, referral_values, actor, commit)


@service
def refer(patient, referral_values, actor, commit=True):
    """Open the case. `commit=False` leaves the commit to a caller that writes more in the same
    transaction (FHIR intake adds the sender's identifier)."""
    case = open_case(patient, actor, "referral logged", "referral logged", **referral_values)
    if commit:
        db.session.commit()
    return case


@service
def update_referral(case, values, version_id, actor):
    check_version(case, version_id)
    if case.state not in BEFORE_BOOKING:
        raise FieldError("side", f"The referral can no longer change: the case is {case.state.label.lower()}.")
    before = {name: getattr(case, name) for name in values}
    for name, value in values.items():
        setattr(case, name, value)
    audit.record(audit.Action.UPDATE, "case", case.id,
                 summary=audit.changed_fields(before, values, ("payer_profile_code", "physician_id")),
                 user=actor, before=before, after=values)
    db.session.commit()
