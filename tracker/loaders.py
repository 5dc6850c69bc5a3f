"""Route loaders: fetch the record a URL names (404) and check the current user may use it
(403, audited), in one call every blueprint's views share.

Staff reach a case through `get_case`; a signed-in patient reaches only their own records through
`own_case` / `own_appointment`, where anything else is a 404 so nothing leaks about others.
"""
from flask import abort, redirect, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from tracker.access import deny, require
from tracker.extensions import db
from tracker.models import Appointment, Case, Patient


def get_case(case_id, action="case.view", options=()):
    """Load a case (404) and check the current user may `action` it (403, audited). `options`:
    loader options for what the page goes on to read, loaded with the case."""
    case = db.session.get(Case, case_id, options=[joinedload(Case.patient), *options]) or abort(404)
    require(action, case, "case", case.id)
    return case


def own_case(case_id):
    """The signed-in patient's own case, or 404 (audited)."""
    case = db.session.execute(
        db.select(Case).filter_by(id=case_id, patient_id=current_user.patient_id)
    ).scalar_one_or_none()
    if case is None:
        deny("patient asked for a case that is not theirs", "case", case_id, status=404)
    return case


def own_appointment(appointment_id):
    """The signed-in patient's own appointment, or 404 (audited)."""
    appointment = db.session.execute(
        db.select(Appointment).join(Appointment.case)
        .filter(Appointment.id == appointment_id, Case.patient_id == current_user.patient_id)
    ).scalar_one_or_none()
    if appointment is None:
        deny("patient asked for an appointment that is not theirs", "appointment", appointment_id,
             status=404)
    return appointment


def get_patient(patient_id, action="patient.view"):
    """Load a patient (404) and check the current user may `action` it (403, audited)."""
    patient = db.session.get(Patient, patient_id) or abort(404)
    require(action, patient, "patient", patient.id)
    return patient


def follow_tombstone(patient, endpoint="patients.show"):
    """A redirect to the record a merged patient was merged into, or None for a live record."""
    if patient.merged_into_id is None:
        return None
    return redirect(url_for(endpoint, patient_id=kept_record(patient).id))


def kept_record(patient):
    """The live record at the end of a patient's merges (a merged record may itself have been
    merged into a record merged later)."""
    seen = set()
    while patient.merged_into_id is not None and patient.id not in seen:
        seen.add(patient.id)
        patient = patient.merged_into
    return patient
