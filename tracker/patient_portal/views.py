"""The patient's own surface: separate templates, nothing but the patient's own cases.

Every query here is scoped by the signed-in patient's record; another patient's case is a 404.
"""
from flask import Blueprint, render_template
from flask_login import current_user

from tracker import audit
from tracker.access import Role, allow, deny
from tracker.extensions import db
from tracker.models import Case

bp = Blueprint("patient", __name__)


def own_case(case_id):
    case = db.session.execute(
        db.select(Case).filter_by(id=case_id, patient_id=current_user.patient_id)
    ).scalar_one_or_none()
    if case is None:
        deny("patient asked for a case that is not theirs", "case", case_id, status=404)
    return case


@bp.route("/")
@allow(Role.PATIENT)
def home():
    cases = db.session.execute(
        db.select(Case).filter_by(patient_id=current_user.patient_id).order_by(Case.id.desc())
    ).scalars().all()
    return render_template("patient/home.html", cases=cases)


@bp.route("/cases/<int:case_id>")
@allow(Role.PATIENT)
def case(case_id):
    case = own_case(case_id)
    audit.record(audit.Action.VIEW, "case", case.id, summary="patient viewed own case")
    db.session.commit()
    return render_template("patient/case.html", case=case)
