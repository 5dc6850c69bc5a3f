"""A patient the risk screen says is possibly pregnant or pregnant: fluoroscopy and a steroid are the
physician's decision. The case page, the appointment and the day board card say so; the day-of
check names the test or the decision; the checklist's banner says so, the start waits for her
acknowledgement (kept in the audit trail) and the sign-in records her review (kept with the step and
printed on the note). Through the real forms, CSRF on."""
from datetime import datetime, timedelta, timezone

import pytest

from tracker.extensions import db
from tracker.models import AuditEvent, Case, ProcedureRecord, ProcedureStep, RiskScreen
from tracker.timeutil import format_clinic
from tracker.vocab import AppointmentStatus
from tracker.workflow import State

from tests.builders import answers_for, checklist_url, post_step
from tests.helpers import by_id, form_data, form_posting_to, loaded, soup, submit, text, words

POSSIBLY = ("Possibly pregnant: fluoroscopy and a steroid only after a negative pregnancy test or the "
            "physician's decision to proceed")
PREGNANT = "Pregnant: fluoroscopy and a steroid only on the physician's recorded decision to proceed"
REVIEWED = "Pregnancy reviewed: a negative pregnancy test today, or the physician's decision to proceed"


def screened(case, pregnancy, gen=None):
    """The risk screen with its pregnancy answer (and, with `gen`, the verdict taken again on it:
    the case is still eligible, pregnancy is no payer criterion)."""
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True, anticoagulant_answer="none",
                              allergy_answer="nkda", pregnancy=pregnancy))
    db.session.commit()
    if gen is not None:
        gen.verdict(case)


def checked_in_today(gen, physician, pregnancy):
    """A ready case booked for five minutes ago, its patient checked in: the start asks only what the
    risk screen says."""
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id)
    screened(case, pregnancy, gen)
    appointment = gen.appointment(case, physician=physician, consent_obtained=True, day_of_check_done=True,
                                  starts_at=datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5),
                                  status=AppointmentStatus.CHECKED_IN)
    return case, appointment


def described(page, label):
    """What a label/value list says for `label`, wherever it appears on the page."""
    return [words(dt.find_next_sibling("dd")) for dt in page.find_all("dt") if words(dt) == label]


def flags(page):
    return [words(tag) for tag in soup(page).select(".pregnancy-flag")]


@pytest.mark.parametrize("pregnancy, said", [("possible", POSSIBLY), ("yes", PREGNANT)])
def test_the_case_the_appointment_and_the_day_board_say_the_patient_is_or_may_be_pregnant(
        gen, doctor, physician, pregnancy, said):
    case, appointment = checked_in_today(gen, physician, pregnancy)

    assert flags(loaded(doctor.get(f"/cases/{case.id}"))) == [said]
    appointment_page = loaded(doctor.get(f"/appointments/{appointment.id}"))
    assert flags(appointment_page) == [said]
    day = appointment.starts_at.astimezone(timezone.utc).date()
    boards = [loaded(doctor.get(f"/schedule/day?date={d.isoformat()}")) for d in (day - timedelta(days=1), day)]
    assert [said] in [flags(board) for board in boards]


def test_the_day_of_check_asks_for_the_test_or_the_physicians_decision(gen, doctor, physician):
    possible, possible_appointment = checked_in_today(gen, physician, "possible")
    pregnant, pregnant_appointment = checked_in_today(gen, physician, "yes")

    page = words(loaded(doctor.get(f"/appointments/{possible_appointment.id}")))
    assert ("Day-of check: no fever or infection, pregnancy test negative or the physician's decision to "
            "proceed recorded required for this patient (pregnancy: possibly pregnant)") in page
    page = words(loaded(doctor.get(f"/appointments/{pregnant_appointment.id}")))
    assert "Day-of check: no fever or infection, the physician's decision to proceed in pregnancy recorded" in page


@pytest.mark.parametrize("pregnancy", ["no", "not_applicable"])
def test_nothing_is_flagged_for_a_patient_who_is_not_pregnant(gen, doctor, physician, pregnancy):
    case, appointment = checked_in_today(gen, physician, pregnancy)
    assert flags(loaded(doctor.get(f"/cases/{case.id}"))) == []
    assert flags(loaded(doctor.get(f"/appointments/{appointment.id}"))) == []
    response = submit(doctor, f"/cases/{case.id}/procedure/start", {"version_id": case.version_id},
                      form_page=f"/cases/{case.id}")
    assert response.status_code == 302, "the start asks for nothing more"
    assert REVIEWED not in text(doctor.get(checklist_url(case.id)))


def test_the_start_waits_for_the_physician_to_acknowledge_the_pregnancy_and_the_audit_keeps_it(
        gen, doctor, physician):
    case, _appointment = checked_in_today(gen, physician, "possible")
    start = f"/cases/{case.id}/procedure/start"

    response = doctor.post(start, data=form_data(form_posting_to(text(doctor.get(f"/cases/{case.id}")), start)))

    assert response.status_code == 409
    warning = by_id(text(response), "pregnancy-warning")
    assert POSSIBLY in words(warning) and "Nothing has started" in words(by_id(text(response), "nothing-started"))
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == State.SCHEDULED
    page = text(response)

    # Pressing Start again without the tick starts nothing.
    unticked = form_data(form_posting_to(page, start))
    assert "pregnancy_acknowledged" not in unticked
    assert doctor.post(start, data=unticked).status_code == 409
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == State.SCHEDULED

    response = doctor.post(start, data={**unticked, "pregnancy_acknowledged": "y"})

    assert response.status_code == 302 and response.location == checklist_url(case.id)
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == State.IN_PROCEDURE
    record = db.session.execute(db.select(ProcedureRecord).filter_by(case_id=case.id)).scalar_one()
    summaries = db.session.execute(db.select(AuditEvent.summary).filter_by(
        object_type="procedure_record", object_id=str(record.id))).scalars().all()
    assert f"case {case.id}: procedure started; possibly pregnant on the risk screen (acknowledged)" in summaries


def test_the_start_warning_says_nothing_has_started_once_when_it_also_names_a_procedure_in_progress(
        gen, doctor, physician):
    """A possibly pregnant patient while another of the physician's procedures runs: one warning
    page asks both, and says "Nothing has started for … yet." once, not once per warning."""
    gen.procedure(physician=physician, patient=gen.patient(family_name="Running"))
    case, _appointment = checked_in_today(gen, physician, "possible")
    start = f"/cases/{case.id}/procedure/start"

    response = doctor.post(start, data=form_data(form_posting_to(text(doctor.get(f"/cases/{case.id}")), start)))

    assert response.status_code == 409
    said = words(soup(text(response)).find("main"))
    assert "You have another procedure in progress" in said and POSSIBLY in said
    assert said.count(f"Nothing has started for {case.patient.display_name} yet.") == 1, said


def the_sign_in_waits_for_the_review(doctor, record, name, label):
    """Saved without the review (`name`, labelled `label`), the sign-in is not done, the time-out
    waits and the step says what is missing; saved again with it, the sign-in row is returned."""
    case_id = record.case_id
    assert post_step(doctor, case_id, "sign_in", answers_for("sign_in")).status_code == 302
    page = loaded(doctor.get(checklist_url(case_id)))
    assert f"Still missing: {label}" in words(by_id(page, "step-sign_in"))
    assert post_step(doctor, case_id, "time_out", answers_for("time_out")).status_code == 409
    [row] = db.session.execute(db.select(ProcedureStep).filter_by(record_id=record.id, step="sign_in")).scalars()

    response = post_step(doctor, case_id, "sign_in", {**answers_for("sign_in"), name: True}, version=row.version_id)

    assert response.status_code == 302
    db.session.expire_all()
    return db.session.get(ProcedureStep, row.id)


def test_the_checklist_shows_the_pregnancy_and_the_sign_in_records_the_physicians_review_on_the_note(
        gen, doctor, physician):
    record = gen.procedure(physician=physician)
    screened(record.case, "yes")
    case_id = record.case_id

    page = loaded(doctor.get(checklist_url(case_id)))
    assert PREGNANT in words(soup(page).select_one(".patient-banner"))
    assert REVIEWED in words(by_id(page, "step-sign_in"))

    row = the_sign_in_waits_for_the_review(doctor, record, "pregnancy_reviewed", REVIEWED)

    assert row.answers["pregnancy_reviewed"] is True and row.recorded_by_id == physician.id
    note = soup(loaded(doctor.get(f"/cases/{case_id}/procedure/note")))
    assert described(note, "Pregnancy") == [PREGNANT]
    assert described(note, REVIEWED) == ["yes"]


def test_a_time_out_after_a_sign_in_saved_without_the_review_says_what_the_sign_in_still_lacks(
        gen, doctor, physician):
    """The sign-in is saved (stamped, "Started: incomplete") but lacks the pregnancy review: the
    refused time-out must say so, naming it, not "Record the sign-in", which the physician at the
    table has just done and would read as a sign-in lost."""
    record = gen.procedure(physician=physician)
    screened(record.case, "possible")
    assert post_step(doctor, record.case_id, "sign_in", answers_for("sign_in")).status_code == 302

    response = post_step(doctor, record.case_id, "time_out", answers_for("time_out"))

    assert response.status_code == 409
    said = words(by_id(text(response), "step-time_out"))
    assert "Record the sign-in before the time-out" not in said
    assert "Pregnancy reviewed" in said


def test_a_sign_in_without_a_pregnancy_on_the_risk_screen_keeps_no_pregnancy_answer(gen, doctor, physician):
    record = gen.procedure(physician=physician)
    screened(record.case, "no")
    assert REVIEWED not in text(doctor.get(checklist_url(record.case_id)))

    assert post_step(doctor, record.case_id, "sign_in", answers_for("sign_in")).status_code == 302

    row = db.session.execute(db.select(ProcedureStep).filter_by(record_id=record.id, step="sign_in")).scalar_one()
    assert "pregnancy_reviewed" not in row.answers
    note = soup(loaded(doctor.get(f"/cases/{record.case_id}/procedure/note")))
    assert described(note, "Pregnancy") == [] and described(note, REVIEWED) == []


def test_the_pregnancy_acknowledged_at_the_start_is_kept_with_the_record_the_note_and_the_case_page_say_it(
        gen, doctor, physician):
    case, _appointment = checked_in_today(gen, physician, "yes")
    start = f"/cases/{case.id}/procedure/start"
    warning = text(doctor.post(start, data=form_data(form_posting_to(text(doctor.get(f"/cases/{case.id}")), start))))

    response = doctor.post(start, data={**form_data(form_posting_to(warning, start)), "pregnancy_acknowledged": "y"})

    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.execute(db.select(ProcedureRecord).filter_by(case_id=case.id)).scalar_one()
    assert record.pregnancy_acknowledged == "yes" and record.acknowledged_case_ids is None
    said = f"Pregnant on the risk screen, acknowledged by {physician.name} at {format_clinic(record.started_at)}"
    note = soup(loaded(doctor.get(f"/cases/{case.id}/procedure/note")))
    assert described(note, "Acknowledged at the start") == [said]
    assert said in words(by_id(loaded(doctor.get(f"/cases/{case.id}")), "procedure"))


def test_a_start_with_nothing_to_acknowledge_keeps_no_acknowledgement(gen, doctor, physician):
    case, _appointment = checked_in_today(gen, physician, "no")
    start = f"/cases/{case.id}/procedure/start"

    assert doctor.post(start, data=form_data(form_posting_to(text(doctor.get(f"/cases/{case.id}")), start))) \
        .status_code == 302

    record = db.session.execute(db.select(ProcedureRecord).filter_by(case_id=case.id)).scalar_one()
    assert record.pregnancy_acknowledged is None and record.acknowledged_case_ids is None
    assert described(soup(loaded(doctor.get(f"/cases/{case.id}/procedure/note"))), "Acknowledged at the start") == []
    assert "acknowledged" not in words(by_id(loaded(doctor.get(f"/cases/{case.id}")), "procedure"))


def test_a_sex_corrected_to_male_sets_the_pregnancy_answer_of_a_case_not_yet_started_to_not_applicable(
        gen, doctor, physician):
    case, _appointment = checked_in_today(gen, physician, "possible")
    patient = case.patient
    patient.sex = "female"
    earlier = gen.case(patient=patient, state=State.FOLLOW_UP)
    screened(earlier, "yes")
    db.session.commit()
    edit = f"/patients/{patient.id}/edit"
    form = soup(loaded(doctor.get(edit))).find("input", attrs={"name": "family_name"}).find_parent("form")
    typed = form_data(form)

    response = doctor.post(edit, data={**typed, "sex": "male"})

    assert response.status_code == 302
    page = loaded(doctor.get(response.location))
    assert (f"Case {case.id}: the risk screen's pregnancy answer (Possibly pregnant) is now Not applicable, "
            "as the recorded sex is male.") in words(page)
    assert "eligibility verdict no longer stands" not in words(page)
    db.session.expire_all()
    screen = db.session.execute(db.select(RiskScreen).filter_by(case_id=case.id)).scalar_one()
    assert screen.pregnancy == "not_applicable"
    # The record's history says it beside the correction, with who and the answer it replaced.
    history = words(by_id(page, "record-history").find_parent("section"))
    assert "Sex: Female → Male" in history and "Pregnancy: Possibly pregnant → Not applicable" in history
    assert f"The risk screen of case {case.id}: the recorded sex is now male" in history
    audit = db.session.execute(db.select(AuditEvent).filter_by(object_type="risk_screen",
                                                               object_id=str(screen.id))).scalar_one()
    assert {"field": "pregnancy", "old": "possible", "new": "not_applicable"} in audit.changes
    # Nothing flags it any more, and Start asks for no acknowledgement.
    assert flags(loaded(doctor.get(f"/cases/{case.id}"))) == []
    start = f"/cases/{case.id}/procedure/start"
    assert doctor.post(start, data=form_data(form_posting_to(text(doctor.get(f"/cases/{case.id}")), start))) \
        .status_code == 302
    # A case whose procedure has started keeps what its risk screen recorded and was acknowledged.
    assert db.session.execute(db.select(RiskScreen).filter_by(case_id=earlier.id)).scalar_one().pregnancy == "yes"
