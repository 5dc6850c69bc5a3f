"""A patient the risk screen says has an active infection or fever: a steroid injection is
contraindicated, so it is the physician's decision, flagged exactly where a pregnancy is. The case
page, the appointment and the day board card say so; the day-of check names it and says why it is
required; the checklist's banner and the note say so; the start waits for her acknowledgement, kept
with the record. Beside them the checklist's banner and the note say a diabetes (the steroid raises
blood glucose). Through the real forms, CSRF on."""
from datetime import timezone, timedelta

import pytest

from tracker.extensions import db
from tracker.models import AuditEvent, Case, ProcedureRecord, ProcedureStep, RiskScreen
from tracker.timeutil import format_clinic
from tracker.workflow import State

from tests.builders import answers_for, checklist_url, post_step
from tests.functional.test_pregnancy import (POSSIBLY, REVIEWED, checked_in_today, described, screened,
                                             the_sign_in_waits_for_the_review)
from tests.helpers import by_id, form_data, form_posting_to, loaded, soup, text, words

INFECTION = ("Active infection or fever: a steroid injection is contraindicated; proceed only on the "
             "physician's recorded decision")
INFECTION_REVIEWED = "Infection or fever reviewed: resolved, or the physician's decision to proceed"


def infected(case, pregnancy="no"):
    screen = db.session.execute(db.select(RiskScreen).filter_by(case_id=case.id)).scalar_one()
    screen.infection_or_fever, screen.pregnancy = True, pregnancy
    db.session.commit()


def flags(page):
    return [words(tag) for tag in soup(page).select(".risk-flag")]


def test_the_case_the_appointment_and_the_day_board_say_the_infection_beside_the_pregnancy(gen, doctor, physician):
    case, appointment = checked_in_today(gen, physician, "possible")
    infected(case, "possible")

    assert flags(loaded(doctor.get(f"/cases/{case.id}"))) == [POSSIBLY, INFECTION]
    assert flags(loaded(doctor.get(f"/appointments/{appointment.id}"))) == [POSSIBLY, INFECTION]
    day = appointment.starts_at.astimezone(timezone.utc).date()
    boards = [loaded(doctor.get(f"/schedule/day?date={d.isoformat()}")) for d in (day - timedelta(days=1), day)]
    assert [POSSIBLY, INFECTION] in [flags(board) for board in boards]


def test_the_day_of_check_names_the_infection_as_why_it_is_required(gen, doctor, physician):
    case, appointment = checked_in_today(gen, physician, "no")
    infected(case)

    page = words(loaded(doctor.get(f"/appointments/{appointment.id}")))

    assert ("Day-of check: infection or fever resolved, or the physician's decision to proceed recorded "
            "required for this patient (infection or fever: yes)") in page
    assert "no fever or infection" not in page


def test_the_start_waits_for_the_physician_to_acknowledge_the_infection_and_the_record_keeps_it(
        gen, doctor, physician):
    case, _appointment = checked_in_today(gen, physician, "no")
    infected(case)
    start = f"/cases/{case.id}/procedure/start"

    response = doctor.post(start, data=form_data(form_posting_to(text(doctor.get(f"/cases/{case.id}")), start)))

    assert response.status_code == 409
    warning = by_id(text(response), "infection-warning")
    assert INFECTION in words(warning) and "Nothing has started" in words(by_id(text(response), "nothing-started"))
    unticked = form_data(form_posting_to(text(response), start))
    assert "infection_acknowledged" not in unticked
    assert doctor.post(start, data=unticked).status_code == 409
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == State.SCHEDULED

    response = doctor.post(start, data={**unticked, "infection_acknowledged": "y"})

    assert response.status_code == 302 and response.location == checklist_url(case.id)
    db.session.expire_all()
    record = db.session.execute(db.select(ProcedureRecord).filter_by(case_id=case.id)).scalar_one()
    assert record.infection_acknowledged is True and record.pregnancy_acknowledged is None
    summaries = db.session.execute(db.select(AuditEvent.summary).filter_by(
        object_type="procedure_record", object_id=str(record.id))).scalars().all()
    assert (f"case {case.id}: procedure started; active infection or fever on the risk screen (acknowledged)"
            in summaries)
    said = (f"Active infection or fever on the risk screen, acknowledged by {physician.name} at "
            f"{format_clinic(record.started_at)}")
    note = soup(loaded(doctor.get(f"/cases/{case.id}/procedure/note")))
    assert described(note, "Acknowledged at the start") == [said]
    assert described(note, "Infection or fever") == [INFECTION]
    assert INFECTION in words(soup(loaded(doctor.get(checklist_url(case.id)))).select_one(".patient-banner"))


def test_a_patient_pregnant_and_febrile_is_asked_both_and_one_tick_is_not_enough(gen, doctor, physician):
    case, _appointment = checked_in_today(gen, physician, "yes")
    infected(case, "yes")
    start = f"/cases/{case.id}/procedure/start"
    warning = text(doctor.post(start, data=form_data(form_posting_to(text(doctor.get(f"/cases/{case.id}")), start))))
    assert by_id(warning, "pregnancy-warning") and by_id(warning, "infection-warning")
    unticked = form_data(form_posting_to(warning, start))

    assert doctor.post(start, data={**unticked, "pregnancy_acknowledged": "y"}).status_code == 409
    response = doctor.post(start, data={**unticked, "pregnancy_acknowledged": "y", "infection_acknowledged": "y"})

    assert response.status_code == 302
    record = db.session.execute(db.select(ProcedureRecord).filter_by(case_id=case.id)).scalar_one()
    assert record.pregnancy_acknowledged == "yes" and record.infection_acknowledged is True


def test_the_sign_in_asks_the_physician_to_review_the_infection_and_the_note_prints_it(gen, doctor, physician):
    record = gen.procedure(physician=physician)
    screened(record.case, "no")
    infected(record.case)
    case_id = record.case_id

    page = loaded(doctor.get(checklist_url(case_id)))
    assert INFECTION_REVIEWED in words(by_id(page, "step-sign_in"))
    assert REVIEWED not in words(by_id(page, "step-sign_in"))

    row = the_sign_in_waits_for_the_review(doctor, record, "infection_reviewed", INFECTION_REVIEWED)

    assert row.answers["infection_reviewed"] is True and row.recorded_by_id == physician.id
    assert post_step(doctor, case_id, "time_out", answers_for("time_out")).status_code == 302
    note = soup(loaded(doctor.get(f"/cases/{case_id}/procedure/note")))
    assert described(note, INFECTION_REVIEWED) == ["yes"]


def test_a_patient_pregnant_and_febrile_is_asked_both_reviews_at_sign_in(gen, doctor, physician):
    record = gen.procedure(physician=physician)
    screened(record.case, "yes")
    infected(record.case, "yes")

    assert post_step(doctor, record.case_id, "sign_in", answers_for("sign_in")).status_code == 302

    page = loaded(doctor.get(checklist_url(record.case_id)))
    assert f"Still missing: {REVIEWED}; {INFECTION_REVIEWED}" in words(by_id(page, "step-sign_in"))


def test_a_sign_in_without_an_infection_on_the_risk_screen_keeps_no_infection_answer(gen, doctor, physician):
    record = gen.procedure(physician=physician)
    screened(record.case, "no")
    assert INFECTION_REVIEWED not in text(doctor.get(checklist_url(record.case_id)))

    assert post_step(doctor, record.case_id, "sign_in",
                     {**answers_for("sign_in"), "infection_reviewed": True}).status_code == 302

    row = db.session.execute(db.select(ProcedureStep).filter_by(record_id=record.id, step="sign_in")).scalar_one()
    assert "infection_reviewed" not in row.answers


@pytest.mark.parametrize("pregnancy", ["no", "possible"])
def test_nothing_about_infection_without_it_on_the_risk_screen(gen, doctor, physician, pregnancy):
    case, appointment = checked_in_today(gen, physician, pregnancy)
    assert INFECTION not in words(loaded(doctor.get(f"/appointments/{appointment.id}")))
    assert INFECTION not in words(loaded(doctor.get(f"/cases/{case.id}")))


DIABETES = "Diabetes (on insulin, HbA1c 8.2 %): the steroid raises blood glucose"


@pytest.mark.parametrize("diabetes, insulin, hba1c, said", [
    (True, True, "8.2", DIABETES),
    (True, False, None, "Diabetes: the steroid raises blood glucose"),
    (False, True, None, "Diabetes (on insulin): the steroid raises blood glucose"),
    (False, False, "6.1", None),
])
def test_the_checklist_banner_and_the_note_say_a_diabetes_the_risk_screen_records(
        gen, doctor, physician, diabetes, insulin, hba1c, said):
    record = gen.procedure(physician=physician)
    db.session.add(RiskScreen(case_id=record.case_id, red_flags_screened=True, anticoagulant_answer="none",
                              allergy_answer="nkda", diabetes=diabetes, insulin=insulin, hba1c=hba1c))
    db.session.commit()

    banner = words(soup(loaded(doctor.get(checklist_url(record.case_id)))).select_one(".patient-banner"))
    note = described(soup(loaded(doctor.get(f"/cases/{record.case_id}/procedure/note"))), "Diabetes")

    assert (said in banner) if said else "Diabetes" not in banner
    assert note == ([said] if said else [])


@pytest.mark.parametrize("flag", ["infection", "pregnancy"])
def test_a_record_signed_before_the_review_was_asked_is_not_shown_incomplete(gen, doctor, physician, flag):
    """A record signed by an earlier release, whose sign-in had no review to answer (or whose risk
    screen says so only since): the signed sign-in is complete as it was signed, not "Still missing"."""
    record = gen.procedure(physician=physician, steps="all", sign=True)
    screened(record.case, "possible" if flag == "pregnancy" else "no")
    if flag == "infection":
        infected(record.case)

    page = loaded(doctor.get(checklist_url(record.case_id)))

    assert "Still missing" not in words(by_id(page, "step-sign_in"))
    assert (REVIEWED if flag == "pregnancy" else INFECTION_REVIEWED) not in words(by_id(page, "step-sign_in"))
