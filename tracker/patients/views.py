"""Patients as records: the header search, the patient page, editing and merging."""
from flask import Blueprint, render_template, request
from flask_login import current_user

from tracker import audit
from tracker.access import allow
from tracker.extensions import db
from tracker.loaders import follow_tombstone, get_patient
from tracker.patients import lookup, summary
from tracker.roles import Role

bp = Blueprint("patients", __name__)

CLINICAL = (Role.COORDINATOR, Role.PHYSICIAN)


@bp.route("/search")
@allow(Role.COORDINATOR, Role.PHYSICIAN, Role.ADMIN)
def search():
    typed = request.args.get("q", "")[:200]
    if current_user.role == Role.ADMIN:
        # Admins are kept from clinical records: say so here rather than refuse the page.
        return render_template("patients/search.html", q=typed, admin=True, patients=[], problem=None)
    patients, problem = [], None
    if typed.strip():
        try:
            terms = lookup.parse_search(typed, lookup.date_formats())
        except lookup.SearchRefused as refusal:
            problem = str(refusal)
        else:
            patients = lookup.search_patients(terms)
    elif "q" in request.args:
        problem = "Type a name, medical record number, date of birth or phone number."
    more = len(patients) > lookup.MAX_RESULTS
    return render_template("patients/search.html", q=typed, admin=False, patients=patients[:lookup.MAX_RESULTS],
                           more=more, problem=problem, searched=bool(typed.strip()) and problem is None), \
        422 if problem else 200


@bp.route("/patients/<int:patient_id>")
@allow(*CLINICAL)
def show(patient_id):
    patient = get_patient(patient_id)
    moved = follow_tombstone(patient)
    if moved:
        return moved
    patient = summary.load_record(patient.id)
    audit.record(audit.Action.VIEW, "patient", patient.id, summary="viewed patient record", user=current_user)
    db.session.commit()
    return render_template("patients/show.html", patient=patient, lines=summary.case_lines(patient),
                           caps=summary.caps_by_payer(patient), history=summary.history(patient))
