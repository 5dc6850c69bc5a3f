"""Documenting a case under review: conservative care, examination, risk screen.

Each save writes one audit row naming the fields that changed (never their clinical values) and
is refused if the record changed since the form was opened. A saved change makes the stored
eligibility verdict stale (its facts fingerprint no longer matches), which the case page shows.
"""
from sqlalchemy.exc import IntegrityError

from tracker import audit
from tracker.extensions import db
from tracker.models import ConservativeCare, Examination, RiskScreen
from tracker.refusals import Refusal, StaleEdit, check_version
from tracker.scheduling import instructions
from tracker.scheduling.services import risk_screen_changed
from tracker.timeutil import utcnow
from tracker.transactions import lock, service
from tracker.workflow import BEFORE_PROCEDURE, TransitionRefused


def ensure_editable(case):
    if case.state not in BEFORE_PROCEDURE:
        raise TransitionRefused(
            f"The review can no longer change: the case is {case.state.label.lower()}.")


THERAPY_FIELDS = ("kind", "start_date", "end_date", "response", "details")


def _apply(record, values):
    """Set `values` on `record`; the values they replace, for the audit row."""
    before = {name: getattr(record, name) for name in values}
    for name, value in values.items():
        setattr(record, name, value)
    return before


@service
def add_therapy(case, values, actor):
    ensure_editable(case)
    # The same form sent twice (a double click, a browser's retry) adds the therapy once: the check
    # and the row it allows are one step under the case's lock.
    lock(f"case:{case.id}")
    if db.session.execute(db.select(ConservativeCare.id).filter_by(case_id=case.id, **values)).first():
        raise Refusal("This therapy is already listed with the same dates, response and details: it was not "
                      "added again.")
    row = audit.created(ConservativeCare(case=case, **values), "conservative_care",
                        f"case {case.id}: therapy added", user=actor)
    db.session.commit()
    return row


@service
def update_therapy(row, values, version_id, actor):
    ensure_editable(row.case)
    check_version(row, version_id)
    before = _apply(row, values)
    audit.record(audit.Action.UPDATE, "conservative_care", row.id,
                 summary=f"case {row.case_id}: {audit.changed_fields(before, values)}", user=actor,
                 before=before, after=values)
    db.session.commit()


@service
def remove_therapy(row, version_id, actor):
    ensure_editable(row.case)
    check_version(row, version_id)
    # The row is deleted: its audit row keeps what it said (what left the count of failed care).
    kept = {name: getattr(row, name) for name in THERAPY_FIELDS}
    audit.record(audit.Action.UPDATE, "conservative_care", row.id,
                 summary=f"therapy removed from case {row.case_id}", user=actor,
                 before=kept, after=dict.fromkeys(kept))
    db.session.delete(row)
    db.session.commit()


@service
def set_ongoing_rehab(case, value, version_id, actor):
    ensure_editable(case)
    check_version(case, version_id)
    values = {"ongoing_active_rehab": value}
    before = _apply(case, values)
    audit.record(audit.Action.UPDATE, "case", case.id, summary=audit.changed_fields(before, values),
                 user=actor, before=before, after=values)
    db.session.commit()


def _save_one_to_one(case, model, attribute, values, version_id, actor, object_type, on_change=None):
    ensure_editable(case)
    record = getattr(case, attribute)
    created = record is None
    if created:
        record = model(case=case)
        db.session.add(record)
    else:
        check_version(record, version_id)
    before = _apply(record, values)
    if on_change:
        on_change(record, {} if created else before)
    try:
        db.session.flush()
    except IntegrityError as error:
        # Someone else created this case's record after the form was opened (one per case).
        raise StaleEdit from error
    audit.record(audit.Action.CREATE if created else audit.Action.UPDATE, object_type, record.id,
                 summary=f"case {case.id}: {audit.changed_fields(before, values)}", user=actor,
                 before=before, after=values)
    db.session.commit()
    return record


@service
def save_examination(case, values, version_id, actor):
    return _save_one_to_one(case, Examination, "examination", values, version_id, actor,
                            "examination")


@service
def save_risk_screen(case, values, version_id, actor):
    def preparation(screen, before):
        # A preparation step changed here is given to the patient now: note when, so its dates
        # are judged from now (tracker/scheduling/instructions.py), and undo what the appointment's
        # readiness confirmed for the old screen.
        steps = instructions.changed_steps(before, values)
        now = utcnow()
        for step in steps:
            setattr(screen, instructions.STEP_SET_AT[step], now)
        risk_screen_changed(case.active_appointment, screen, before or None, steps, actor)

    return _save_one_to_one(case, RiskScreen, "risk_screen", values, version_id, actor,
                            "risk_screen", on_change=preparation)
