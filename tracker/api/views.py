"""`/api/v1`: the tracker's own objects as JSON, for coordinators' and physicians' tokens.

Each route declares its query and response models (`@document`); the OpenAPI document at
/api/v1/openapi.json is generated from those declarations. Lists are paged (`page`, `per_page`).
"""
from datetime import timedelta
from difflib import get_close_matches

from flask import Blueprint, current_app, request
from pydantic import ValidationError
from sqlalchemy.orm import joinedload, selectinload

from tracker.access import public, record_denial
from tracker.api import openapi, schemas
from tracker.api.auth import api_user, record_read, token_allow
from tracker.api.responses import json_response, problem_response
from tracker.cases import worklist
from tracker.contact import no_longer_reached
from tracker.diary.services import corrected_at, first_entry, given_earlier, time_point
from tracker.eligibility.standing import clinic_default_profile_code
from tracker.extensions import csrf, db
from tracker.formfields import exact_window
from tracker.models import (Appointment, Case, CaseHistory, DiaryEntry, DiaryPoint, EligibilityVerdict, Outcome,
                            Patient, ProcedureRecord, User)
from tracker.procedures.records import not_injected
from tracker.roles import Role
from tracker.scheduling import readiness
from tracker.scheduling.liability import notices_for
from tracker.scheduling.services import clinic_day_start
from tracker.timeutil import clinic_today
from tracker.vocab import NOT_STARTED
from tracker.workflow import State

bp = Blueprint("api_v1", __name__)
# Tokens only (tracker/api/auth.py): a browser session opens nothing here, so no CSRF token is needed.
csrf.exempt(bp)

READERS = (Role.COORDINATOR, Role.PHYSICIAN)


class BadQuery(Exception):
    """A query refused, each parameter at fault named in `errors`: 400 (not valid), or 403 (valid,
    but not for this token's account: the web app refuses its role the same)."""

    def __init__(self, errors, status=400, detail="Some query parameters are not valid."):
        super().__init__("bad query")
        self.errors, self.status, self.detail = errors, status, detail


@bp.errorhandler(BadQuery)
def bad_query(error):
    return problem_response(error.status, error.detail, error.errors)


def _query(model):
    """The list's query parameters, validated; a 400 naming each parameter at fault otherwise: a
    value not valid, and a parameter the list does not take (a misspelt filter, or the web page's
    name for one, ignored, would answer the unfiltered list as if it were the filtered one)."""
    known = list(model.model_fields)
    errors = [_unknown(name, known) for name in request.args if name not in known]
    try:
        query = model.model_validate({k: v for k, v in request.args.items() if k in known})
    except ValidationError as error:
        errors += [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in error.errors()]
    if errors:
        detail = "Some query parameters are not valid."
        if len(errors) > len([e for e in errors if e["field"] in known]):
            detail += f" This list takes {', '.join(known)}." if known else " This route takes no query parameters."
        raise BadQuery(errors, detail=detail)
    return query


def _unknown(name, known):
    meant = get_close_matches(name, known, n=1)
    return {"field": name, "message": "Unknown query parameter" + (f": did you mean {meant[0]}?" if meant else ".")}


def _check_physician(query):
    """A `physician_id` is the account of a physician, present or former (deactivated, or given
    another role: they may still own cases), or the query is a 400 naming it, as an unknown state
    or side is: never an empty list that reads as "no cases"."""
    if query.physician_id is None:
        return
    if db.session.execute(db.select(User.id).filter_by(id=query.physician_id, ever_physician=True)).first() is None:
        raise BadQuery([{"field": "physician_id", "message": f"There is no physician with id {query.physician_id}."}])


def _check_physicians_list(query, physician):
    """A physician's token asks only for what the physician's list holds (as their web role is
    refused the coordinators' worklist), or the query is a 403 naming each parameter that asks
    for more, audited as any refusal of a known token is."""
    errors = []
    if query.state and State(query.state) not in worklist.PHYSICIAN_FOCUS:
        errors.append({"field": "state", "message": f"A physician's list holds no {query.state} cases: `state` "
                                                    f"is one of {PHYSICIANS_LIST}, or left out."})
    if query.physician_id is not None and query.physician_id != physician.id:
        errors.append({"field": "physician_id", "message": f"A physician's token lists only its own physician's "
                                                           f"cases: `physician_id` is {physician.id} (this "
                                                           f"account), or left out."})
    if errors:
        detail = (f"This token's account ({physician.email}) is a physician account: it lists the physician's own "
                  f"list, as the web app shows it (/cases/physician), not the coordinators' whole worklist.")
        record_denial(f"API {request.method} {request.path}: {detail}", user=physician)
        raise BadQuery(errors, 403, detail)


def _page(statement, query, total=None, scalars=True):
    """The page asked, read as the pages read it (`per_page + 1` rows, no count over the filtered
    table). Past the last page, no items and no next page: never the last page again, which a
    client reading until an empty page would import twice or loop on. `total` is the kept count
    or None, whatever the page."""
    return exact_window(statement, query.page, query.per_page, total, scalars)


def _paging(page):
    return {"page": page.page, "per_page": page.per_page, "has_next": page.has_next, "total": page.total,
            "pages": page.pages}


def _patient(patient):
    return _summary(patient.id, patient.mrn, patient.display_name,
                    no_longer_reached(patient.contact_ended, patient.contact_ended_on, patient.contact_ended_at))


def _summary(patient_id, mrn, name, ended):
    """The patient as every document names them; `ended`: contact.NoLongerReached, or None."""
    reach = ended and schemas.NoLongerReachable(why=ended.why.value, died_on=ended.died_on,
                                                recorded_at=ended.recorded_at)
    return schemas.PatientSummary(id=patient_id, mrn=mrn, name=name, no_longer_reachable=reach)


def _respond(model):
    return json_response(model.model_dump(mode="json"))


@bp.route("/openapi.json")
@public
def openapi_document():
    return json_response(openapi.build(current_app))


PHYSICIANS_LIST = ", ".join(s.value for s in worklist.PHYSICIAN_FOCUS)


@bp.route("/cases")
@token_allow(*READERS)
@openapi.document("The worklist", schemas.WorklistPage, schemas.WorklistQuery)
def cases():
    """Cases with what each waits for, filtered and sorted as the coordinator's worklist; every
    open state unless `state` is given. A physician's token lists what the physician's web list
    (/cases/physician) shows, as its account's role is shown it: their own cases under review,
    not eligible, scheduled, in procedure or in follow-up, and unassigned ones in those states
    but under review (never the coordinators' whole worklist, which a physician's role is
    refused). The filters narrow that list: `state` one of its states, `physician_id` only the
    physician's own id (their own cases without the unassigned ones); anything else is a 403
    naming the parameter. `total` and `pages` are then null."""
    query = _query(schemas.WorklistQuery)
    default_profile = clinic_default_profile_code()
    if api_user().role == Role.PHYSICIAN:
        _check_physicians_list(query, api_user())
        states = [query.state] if query.state else list(worklist.PHYSICIAN_FOCUS)
        statement = worklist.physician_query(api_user().id, states, query.q, query.side, query.profile,
                                             default_profile, query.sort, unassigned=query.physician_id is None)
        total = None
    else:
        _check_physician(query)
        states = [query.state] if query.state else worklist.open_states()
        total = worklist.total(worklist.state_counts(), states, q=(query.q or "").strip(),
                               physician=query.physician_id, side=query.side, profile=query.profile)
        statement = worklist.query(states, query.q, query.physician_id, query.side, query.profile,
                                   default_profile, query.sort)
    page = _page(statement, query, total, scalars=False)
    items = [schemas.WorklistItem(
        id=line.id, patient=_summary(line.patient_id, line.mrn, line.patient_name, line.contact_ended),
        state=line.state.value, side=line.side.value, indication=line.indication.value,
        referral_date=line.referral_date, state_changed_at=line.state_changed_at, days_waiting=line.days_waiting,
        waiting_for=line.waiting_for, verdict_stale=line.stale, physician=line.physician,
        payer_profile=line.payer_profile_code) for line in worklist.lines(page.items, default_profile)]
    record_read("worklist")
    return _respond(schemas.WorklistPage(items=items, **_paging(page)))


def _load_case(case_id, *options):
    return db.session.execute(db.select(Case).filter_by(id=case_id).options(
        joinedload(Case.patient), *options)).unique().scalar_one_or_none()


def _not_found(what):
    return problem_response(404, f"No {what}.")


@bp.route("/cases/<int:case_id>")
@token_allow(*READERS)
@openapi.document("A case with its timeline", schemas.CaseDetail)
def case(case_id):
    """The referral, the current verdict, the appointments and every state change of one case."""
    _query(schemas.NoQuery)
    found = _load_case(case_id, *worklist.ROW_DETAILS,
                       selectinload(Case.appointments).options(joinedload(Appointment.physician),
                                                               joinedload(Appointment.room)),
                       selectinload(Case.history).joinedload(CaseHistory.actor),
                       selectinload(Case.verdicts).joinedload(EligibilityVerdict.override_by),
                       selectinload(Case.procedure_records).options(
                           joinedload(ProcedureRecord.started_by), joinedload(ProcedureRecord.signed_by),
                           selectinload(ProcedureRecord.steps)),
                       selectinload(Case.outcome).joinedload(Outcome.decided_by))
    if found is None:
        return _not_found(f"case {case_id}")
    # The patient's earlier cases date their injections for the waiting-for reading (caps).
    db.session.execute(db.select(Patient).filter_by(id=found.patient_id).options(
        selectinload(Patient.cases).options(selectinload(Case.history), selectinload(Case.outcome)))).all()
    row = worklist.line_of(found, clinic_default_profile_code())
    verdict = found.current_verdict
    detail = schemas.CaseDetail(
        id=found.id, patient=_patient(found.patient), date_of_birth=found.patient.date_of_birth,
        state=found.state.value, side=found.side.value, indication=found.indication.value,
        diagnosis_codes=found.diagnosis_codes, referring_clinician=found.referring_clinician,
        referral_date=found.referral_date, symptom_onset=found.symptom_onset,
        payer_profile=found.payer_profile_code, physician=found.physician.name if found.physician else None,
        previous_case_id=found.previous_case_id, waiting_for=row.waiting_for,
        verdict=schemas.VerdictSummary(
            evaluated_at=verdict.evaluated_at, profile=verdict.profile_code, profile_version=verdict.profile_version,
            eligible=verdict.eligible, override_reason=verdict.override_reason,
            override_by=verdict.override_by.name if verdict.override_by else None, override_at=verdict.override_at,
            criteria=[schemas.Criterion(code=c["code"], label=c["label"], status=c["status"], evidence=c["evidence"])
                      for c in verdict.snapshot.get("criteria", [])]) if verdict else None,
        appointments=[schemas.AppointmentSummary(id=a.id, starts_at=a.starts_at, ends_at=a.ends_at,
                                                 status=a.status.value, physician=a.physician.name, room=a.room.name)
                      for a in found.appointments],
        timeline=[schemas.TimelineEntry(at=h.at, action=h.action, from_state=h.from_state.value if h.from_state else None,
                                        to_state=h.to_state.value, actor=h.actor.name if h.actor else None,
                                        reason=h.reason) for h in found.history],
        procedures=[_procedure(record) for record in found.procedure_records],
        outcome=_outcome(found.outcome) if found.outcome else None,
    )
    record_read("case", found.id)
    return _respond(detail)


def _procedure(record):
    skipped = not_injected(record)
    return schemas.ProcedureSummary(
        id=record.id, status=record.status.value, started_at=record.started_at, started_by=record.started_by.name,
        injected_at=record.injected_at, ended_at=record.ended_at, duration_minutes=record.duration_minutes,
        signed_at=record.signed_at, signed_by=record.signed_by.name if record.signed_by else None,
        abandon_reason=record.abandon_reason, side=record.side.value,
        side_not_injected=skipped.side.value if skipped else None, not_injected_reason=skipped.reason if skipped else None)


def _outcome(outcome):
    return schemas.OutcomeSummary(
        diagnostic_result=outcome.diagnostic_result,
        results_by_joint=[schemas.JointResult(side=side, result=result) for side, result in outcome.results_by_side],
        therapeutic_days=outcome.therapeutic_days,
        days_by_joint=[schemas.JointDays(side=side, days=days) for side, days in outcome.days_by_side],
        next_step=outcome.next_step.value,
        decided_by=outcome.decided_by.name, decided_at=outcome.decided_at, follow_on_case_id=outcome.follow_on_case_id)


@bp.route("/appointments")
@token_allow(*READERS)
@openapi.document("A day's appointments", schemas.DayPage, schemas.DayQuery)
def appointments():
    """Every appointment starting on the clinic's day (any status), in time order, with readiness:
    `ready`, and `still_needed`, the items not yet done."""
    query = _query(schemas.DayQuery)
    _check_physician(query)
    day = query.day or clinic_today()
    statement = (
        db.select(Appointment)
        .options(joinedload(Appointment.case).joinedload(Case.patient),
                 joinedload(Appointment.case).joinedload(Case.risk_screen),
                 joinedload(Appointment.physician), joinedload(Appointment.room))
        .filter(Appointment.starts_at >= clinic_day_start(day),
                Appointment.starts_at < clinic_day_start(day + timedelta(days=1)))
        .order_by(Appointment.starts_at, Appointment.id))
    if query.physician_id:
        statement = statement.filter(Appointment.physician_id == query.physician_id)
    page = _page(statement, query)
    # A session over the payer's limits needs its liability notice signed, as on the appointment page.
    notices = notices_for(a for a in page.items if a.status in NOT_STARTED)
    items = [schemas.DayAppointment(
        id=a.id, case_id=a.case_id, patient=_patient(a.case.patient), side=a.case.side.value,
        starts_at=a.starts_at, ends_at=a.ends_at, status=a.status.value, physician=a.physician.name,
        room=a.room.name, ready=readiness.is_ready(a, a.case.risk_screen, notices.get(a.id)),
        still_needed=readiness.still_needed_items(a, a.case.risk_screen, notices.get(a.id))) for a in page.items]
    record_read("schedule_day", day.isoformat())
    return _respond(schemas.DayPage(day=day, items=items, **_paging(page)))


def _diary_score(entry):
    # As the diary page and its CSV say it: when the score was first entered (a correction keeps the
    # moment of the correction as the entry's entered_at), and when it was last corrected.
    first = first_entry(entry)
    return schemas.DiaryScore(side=entry.side.value, score=entry.score, entered_at=first.entered_at,
                              corrected_at=corrected_at(entry), felt_at=entry.felt_at or entry.entered_at,
                              late=entry.late, source=first.source.value, corrected=bool(entry.revisions))


@bp.route("/cases/<int:case_id>/diary")
@token_allow(*READERS)
@openapi.document("A case's pain diary", schemas.CaseDiary)
def diary(case_id):
    """Every time point of the case's diary with its window and the scores given (per side)."""
    _query(schemas.NoQuery)
    found = _load_case(case_id, selectinload(Case.diary_points).selectinload(DiaryPoint.entries)
                       .selectinload(DiaryEntry.revisions))
    if found is None:
        return _not_found(f"case {case_id}")
    points = []
    for point in found.diary_points:
        described = time_point(found, point.point_code)
        points.append(schemas.DiaryPoint(
            code=point.point_code, label=described.label, phase=described.phase.value, due_at=point.due_at,
            opens_at=point.opens_at, closes_at=point.closes_at, completed_at=point.completed_at,
            # A baseline given for an appointment that did not take place is no score of this point
            # (the diary page and its CSV leave it out; no reading counts it).
            scores=[_diary_score(e) for e in point.entries if not given_earlier(point, e)]))
    record_read("case", found.id)
    return _respond(schemas.CaseDiary(case_id=found.id, side=found.side.value, points=points))
