"""The procedure day's hard stops hold however the physician gets there: a correction of the
injectate meets the stops its new drugs and doses raise (a confirmation given for other problems
does not carry over); a procedure starts only on its appointment's day; a pregnancy acknowledged on
a warning is the answer that warning showed; two steroids in one joint add up; the sign-out
follows the injection given, the lot number waiting for the signature."""
from datetime import timedelta

import pytest

from tracker.extensions import db
from tracker.models import Appointment, ProcedureStep, RiskScreen
from tracker.procedures import services as procedures
from tracker.review import services as review
from tracker.roles import Role
from tracker.timeutil import format_clinic
from tracker.vocab import AppointmentStatus
from tracker.workflow import State

from tests.builders import BEFORE, PROCEDURE_ANSWERS, checklist_url, clinic_at, post_step
from tests.helpers import field_error, form_data, form_posting_to, soup, text, words

INJ = "injectate-left-"
SAVE = "/cases/{}/procedure/steps/injectate?side=left"


def _rows(record_id, step):
    db.session.expire_all()
    return db.session.execute(db.select(ProcedureStep).filter_by(record_id=record_id, step=step)
                              .order_by(ProcedureStep.id)).scalars().all()


def _send(client, case_id, **typed):
    """The injectate form as the checklist page shows it now, with `typed` changed."""
    page = text(client.get(checklist_url(case_id)))
    action = SAVE.format(case_id)
    return client.post(action, data={**form_data(form_posting_to(page, action + "#step-injectate-left")), **typed})


def _ready_case(gen, physician, starts_at, **ticks):
    """A scheduled case with a risk screen answered (no blood thinners, NKDA) and its appointment."""
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id, verdict=False)
    db.session.add(RiskScreen(case_id=case.id, anticoagulant_answer="none", allergy_answer="nkda",
                              red_flags_screened=True))
    db.session.commit()
    appointment = gen.appointment(case, physician=physician, starts_at=starts_at, **ticks)
    gen.verdict(case)
    return case, appointment


STEROID = {INJ + "rows-0-drug": "triamcinolone", INJ + "rows-0-concentration_mg_per_ml": "40",
           INJ + "rows-0-dose_mg": "40", INJ + "rows-0-volume_ml": "1", INJ + "rows-0-lot_number": "TA-1"}


def test_a_correction_that_adds_a_drug_against_the_allergy_meets_its_stop_after_an_earlier_confirmation(
        gen, doctor, physician):
    record = gen.procedure(physician=physician, steps=BEFORE["injectate"])
    db.session.add(RiskScreen(case_id=record.case_id, allergy_answer="documented", allergy_steroid=True,
                              allergy_local_anaesthetic=True))
    db.session.commit()
    first = _send(doctor, record.case_id, **STEROID, **{INJ + "allergy_confirmed": "y",
                                                      INJ + "allergy_reason": "Steroid 'allergy' was flushing only"})
    assert first.status_code == 302
    # Shown again, the reason is kept and the box unticked; the correction adds bupivacaine against
    # the documented local anaesthetic allergy, never reviewed.
    corrected = _send(doctor, record.case_id, **{INJ + "rows-1-drug": "bupivacaine",
                                                 INJ + "rows-1-concentration_mg_per_ml": "2.5",
                                                 INJ + "rows-1-dose_mg": "2.5", INJ + "rows-1-volume_ml": "1",
                                                 INJ + "rows-1-lot_number": "BU-1"})
    assert corrected.status_code == 422
    assert "local anaesthetic allergy" in field_error(text(corrected), "injectate-left-allergy_reason").lower()
    assert soup(corrected).find("input", attrs={"name": INJ + "allergy_reason"})["value"] == \
        "Steroid 'allergy' was flushing only"
    [row] = _rows(record.id, "injectate")
    assert [r.drug_code for r in row.injectate] == ["triamcinolone"]
    # Ticked again, having seen both: saved, each allergy named on the record.
    again = _send(doctor, record.case_id, **{INJ + "rows-1-drug": "bupivacaine",
                                             INJ + "rows-1-concentration_mg_per_ml": "2.5",
                                             INJ + "rows-1-dose_mg": "2.5", INJ + "rows-1-volume_ml": "1",
                                             INJ + "rows-1-lot_number": "BU-1", INJ + "allergy_confirmed": "y"})
    assert again.status_code == 302
    [row] = _rows(record.id, "injectate")
    assert "local anaesthetic allergy" in row.warnings.lower() and "steroid allergy" in row.warnings.lower()


def test_a_correction_over_the_local_anaesthetic_maximum_meets_its_stop_after_a_volume_confirmation(
        gen, doctor, physician):
    record = gen.procedure(physician=physician, steps=BEFORE["injectate"])
    six_ml = {**STEROID, INJ + "rows-1-drug": "lidocaine", INJ + "rows-1-concentration_mg_per_ml": "10",
              INJ + "rows-1-dose_mg": "50", INJ + "rows-1-volume_ml": "5", INJ + "rows-1-lot_number": "LI-1"}
    assert _send(doctor, record.case_id, **six_ml, **{INJ + "strength_confirmed": "y",
                                                      INJ + "strength_reason": "Periarticular spread intended"}
                 ).status_code == 302
    # Lidocaine 2 % (100 mg, its maximum) and bupivacaine 5 mg: 120 % of the maximum together.
    corrected = _send(doctor, record.case_id, **{INJ + "rows-1-concentration_mg_per_ml": "20",
                                                 INJ + "rows-1-dose_mg": "100", INJ + "rows-2-drug": "bupivacaine",
                                                 INJ + "rows-2-concentration_mg_per_ml": "5",
                                                 INJ + "rows-2-dose_mg": "5", INJ + "rows-2-volume_ml": "1",
                                                 INJ + "rows-2-lot_number": "BU-1"})
    assert corrected.status_code == 422
    assert "together reach 120 % of the local anaesthetic maximum" in words(corrected)


def test_an_appointment_of_an_earlier_day_is_not_started_today_after_an_abandoned_attempt(gen, doctor, physician):
    yesterday = clinic_at(-1, 10)
    case, appointment = _ready_case(gen, physician, yesterday, consent_obtained=True, day_of_check_done=True)
    record = procedures.start(case, physician, acknowledged=True, now=yesterday + timedelta(minutes=5))
    procedures.abandon(record, physician, "Febrile 38.4 on the table", record.version_id)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.CHECKED_IN

    # Yesterday's day-of check (the fever the attempt was stopped for) is not today's.
    said = (f"This appointment was on {format_clinic(yesterday, '%A %d %B %Y')}: a procedure starts on its "
            "appointment's day, with that day's checks. Cancel it and book again from the case first.")
    with pytest.raises(procedures.ProcedureRefused, match="a procedure starts on its appointment's day"):
        procedures.start(db.session.get(type(case), case.id), physician, acknowledged=True)
    for url in (f"/appointments/{appointment.id}", checklist_url(case.id)):
        page = doctor.get(url).get_data(as_text=True)
        assert soup(page).find("form", action=f"/cases/{case.id}/procedure/start") is None, url
        assert said in words(page), url


def test_a_booked_appointment_of_an_earlier_day_is_not_started_today(gen, physician):
    case, _ = _ready_case(gen, physician, clinic_at(-1, 10), consent_obtained=True, day_of_check_done=True)
    # Booked, it can be moved (a checked-in one is cancelled instead: the move refuses it).
    with pytest.raises(procedures.ProcedureRefused, match="Move it to today, or cancel it and book again"):
        procedures.start(case, physician, acknowledged=True)
    db.session.expire_all()
    assert db.session.get(type(case), case.id).state == State.SCHEDULED


def test_a_pregnancy_ticked_on_a_warning_does_not_start_a_patient_recorded_pregnant_since(gen, doctor, physician):
    from tests.functional.test_pregnancy import checked_in_today

    coordinator = gen.user(Role.COORDINATOR)
    case, _appointment = checked_in_today(gen, physician, "possible")
    start = f"/cases/{case.id}/procedure/start"
    warning = doctor.post(start, data=form_data(form_posting_to(text(doctor.get(f"/cases/{case.id}")), start)))
    assert warning.status_code == 409 and "Possibly pregnant" in text(warning)

    db.session.expire_all()
    case = db.session.get(type(case), case.id)
    review.save_risk_screen(case, {"pregnancy": "yes"}, case.risk_screen.version_id, coordinator)

    # The day-of check now asks for the decision in pregnancy: the change unticked it (nothing starts).
    tick = {**form_data(form_posting_to(text(warning), start)), "pregnancy_acknowledged": "y"}
    refused = doctor.post(start, data=tick)
    assert refused.status_code == 302 and "Not ready: day-of check" in words(doctor.get(refused.location))
    # Checked again by the coordinator, the old warning's tick still starts nothing: it was for another answer.
    db.session.expire_all()
    db.session.get(Appointment, _appointment.id).day_of_check_done = True
    db.session.commit()
    again = doctor.post(start, data=tick)
    assert again.status_code == 409, "she acknowledged 'possibly pregnant', not a recorded pregnancy"
    db.session.expire_all()
    assert db.session.get(type(case), case.id).state == State.SCHEDULED
    # The new warning shows the answer as it is now, its box unticked; ticked there, the start goes ahead.
    assert "Possibly pregnant" not in text(again)
    assert soup(again).find("input", attrs={"name": "pregnancy_acknowledged"}).get("checked") is None
    started = doctor.post(start, data={**form_data(form_posting_to(text(again), start)), "pregnancy_acknowledged": "y"})
    assert started.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(case), case.id).state == State.IN_PROCEDURE


def test_two_steroids_in_one_joint_are_added_up_against_the_usual_maximum(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps=BEFORE["injectate"])
    rows = {"rows": [{"drug": "triamcinolone", "concentration_mg_per_ml": "40", "dose_mg": "40", "volume_ml": "1",
                      "lot_number": "TA-1"},
                     {"drug": "methylprednisolone_acetate", "concentration_mg_per_ml": "40", "dose_mg": "40",
                      "volume_ml": "1", "lot_number": "MP-1"}]}
    assert post_step(doctor, record.case_id, "injectate", rows, side="left").status_code == 302
    [row] = _rows(record.id, "injectate")
    assert "together reach 150 % of the usual steroid maximum per SI joint" in row.warnings
    # One steroid at its maximum alone: no warning.
    rows["rows"] = rows["rows"][:1]
    post_step(doctor, record.case_id, "injectate", rows, side="left", version=str(row.version_id))
    [row] = _rows(record.id, "injectate")
    assert "steroid maximum" not in row.warnings


def test_the_sign_out_follows_the_injection_given_and_the_lot_number_waits_for_the_signature(
        gen, doctor, physician):
    record = gen.procedure(physician=physician, steps=BEFORE["injectate"])
    no_lot = {"rows": [{"drug": "triamcinolone", "concentration_mg_per_ml": "40", "dose_mg": "40",
                        "volume_ml": "1", "lot_number": ""}]}
    assert post_step(doctor, record.case_id, "injectate", no_lot, side="left").status_code == 302
    signed_out = post_step(doctor, record.case_id, "sign_out", PROCEDURE_ANSWERS["sign_out"])
    assert signed_out.status_code == 302
    assert len(_rows(record.id, "sign_out")) == 1
    with pytest.raises(procedures.ProcedureRefused, match="(?i)lot number"):
        procedures.sign(db.session.get(type(record), record.id), physician, record.version_id)


def test_a_patient_who_held_a_blood_thinner_is_told_when_to_restart_it_before_the_record_is_signed(
        gen, doctor, physician, login_as, make_client):
    record, note = _restart_asked_then_signed(gen, doctor, physician, "Apixaban tomorrow at 8 am, as Dr Hale agreed",
                                              anticoagulant_hold_days=2, anticoagulant_prescriber_agreed=True)
    sign_out = note[note.find("Sign-out 20"):note.find("Billing codes")]
    assert "Blood thinner: when the patient was told to restart it" in sign_out
    assert "Apixaban tomorrow at 8 am, as Dr Hale agreed" in sign_out
    # The patient reads it on her own page while the diary runs.
    patient = login_as(gen.user(Role.PATIENT, patient=record.case.patient), on=make_client())
    mine = words(patient.get(f"/my/cases/{record.case_id}"))
    assert ("Your blood thinner (apixaban 5 mg twice daily): restart it as the clinic told you: Apixaban tomorrow "
            "at 8 am, as Dr Hale agreed") in mine


def test_a_patient_who_held_no_blood_thinner_is_not_asked_about_a_restart(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps="all")
    db.session.add(RiskScreen(case_id=record.case_id, anticoagulant_answer="taking",
                              anticoagulants="aspirin 81 mg daily", anticoagulant_hold_days=0, allergy_answer="nkda"))
    db.session.commit()
    assert "restart" not in words(doctor.get(checklist_url(record.case_id))).lower()
    db.session.expire_all()
    record = db.session.get(type(record), record.id)
    procedures.sign(record, physician, record.version_id)


def test_a_signed_note_keeps_the_drug_names_it_was_signed_with_when_the_formulary_renames_a_drug(
        gen, doctor, physician):
    from tracker.models import FormularyDrug
    from tracker.procedures.services import formulary

    record = gen.procedure(physician=physician, steps="all", sign=True)
    note_before = words(doctor.get(f"/cases/{record.case_id}/procedure/note"))
    assert "Triamcinolone" in note_before
    formulary()  # the table holds the defaults once used
    drug = db.session.execute(db.select(FormularyDrug).filter_by(code="triamcinolone")).scalar_one()
    drug.name = "Kenalog-40 (renamed)"
    db.session.commit()

    note = words(doctor.get(f"/cases/{record.case_id}/procedure/note"))
    assert "Kenalog-40" not in note and note.count("Triamcinolone") == note_before.count("Triamcinolone")
    # The checklist of a new procedure offers the new name.
    assert "Kenalog-40 (renamed)" in words(doctor.get(checklist_url(gen.procedure(physician=physician).case_id)))


def test_a_signed_note_keeps_the_skin_prep_and_contrast_agents_it_was_signed_with_when_the_formulary_renames_them(
        client, gen, doctor, physician, admin_client):
    from tests.api_support import bearer, fhir_json, token_for
    from tests.functional.test_admin_formulary import drug_url, save

    record = gen.procedure(physician=physician, steps="all", sign=True)
    note_url = f"/cases/{record.case_id}/procedure/note"
    note_before = words(doctor.get(note_url))
    signed_with = ("Chlorhexidine 2% in 70% isopropyl alcohol", "Iohexol (Omnipaque)")
    assert all(name in note_before for name in signed_with)
    for code, renamed in (("chlorhexidine_alcohol", "ChloraPrep (renamed)"), ("iohexol", "Omnipaque 300 (renamed)")):
        assert save(admin_client, drug_url(admin_client, code), name=renamed).status_code == 302

    note = words(doctor.get(note_url))
    assert "(renamed)" not in note
    assert all(note.count(name) == note_before.count(name) for name in signed_with)
    reader = bearer(token_for(gen.user(Role.COORDINATOR)))
    procedure = fhir_json(client.get(f"/fhir/Procedure/{record.case_id}-procedure-{record.id}", headers=reader))
    assert "Skin prep: Skin prep agent: Chlorhexidine 2% in 70% isopropyl alcohol" in [
        n["text"] for n in procedure["note"]]
    # The checklist of a new procedure offers the new names.
    checklist = words(doctor.get(checklist_url(gen.procedure(physician=physician, steps=BEFORE["contrast"]).case_id)))
    assert "ChloraPrep (renamed)" in checklist and "Omnipaque 300 (renamed)" in checklist


def test_a_blood_thinner_whose_hold_is_not_recorded_has_its_restart_asked_before_signing(
        gen, doctor, physician):
    """A patient on apixaban whose hold the risk screen never recorded (the physician went ahead by a
    readiness override): she may well have stopped it, so the sign-out asks when she restarts it, as
    for a hold of 1 day or more; only a hold of 0 days (she keeps taking it) asks nothing."""
    _, note = _restart_asked_then_signed(gen, doctor, physician, "She had not stopped it: keep taking it",
                                         anticoagulant_hold_days=None)
    assert "She had not stopped it: keep taking it" in note


def _restart_asked_then_signed(gen, doctor, physician, told, **screen):
    """A procedure on apixaban (the risk screen's hold as `screen` says): the checklist asks when she
    restarts it, signing is refused until the sign-out says `told`, then signs. Returns the record
    and the signed note's words."""
    record = gen.procedure(physician=physician, steps="all")  # its sign-out saved without the restart
    db.session.add(RiskScreen(case_id=record.case_id, anticoagulant_answer="taking",
                              anticoagulants="apixaban 5 mg twice daily", allergy_answer="nkda", **screen))
    db.session.commit()
    page = text(doctor.get(checklist_url(record.case_id)))
    assert "Blood thinner: when the patient was told to restart it" in words(page)
    with pytest.raises(procedures.ProcedureRefused, match="Blood thinner: when the patient was told to restart it"):
        procedures.sign(db.session.get(type(record), record.id), physician, record.version_id)
    [row] = _rows(record.id, "sign_out")
    answers = {**PROCEDURE_ANSWERS["sign_out"], "anticoagulant_restart": told}
    assert post_step(doctor, record.case_id, "sign_out", answers, version=str(row.version_id)).status_code == 302
    db.session.expire_all()
    record = db.session.get(type(record), record.id)
    procedures.sign(record, physician, record.version_id)
    return record, words(doctor.get(f"/cases/{record.case_id}/procedure/note"))



@pytest.mark.parametrize("days, said", [(None, "hold not recorded"), (2, "hold planned 2 days"),
                                        (0, "no hold planned (keeps taking it)")])
def test_the_checklist_banner_says_the_blood_thinners_hold_as_my_day_does(gen, doctor, physician, days, said):
    """The banner is what the physician reads at the table: the drug alone hid that its hold was never
    recorded, which My day's card had said in red."""
    record = gen.procedure(physician=physician)
    db.session.add(RiskScreen(case_id=record.case_id, anticoagulant_answer="taking",
                              anticoagulants="apixaban 5 mg twice daily", anticoagulant_hold_days=days,
                              anticoagulant_prescriber_agreed=True, allergy_answer="nkda"))
    db.session.commit()
    banner = words(soup(text(doctor.get(checklist_url(record.case_id)))).find(class_="patient-banner"))
    assert f"Anticoagulants: apixaban 5 mg twice daily, {said}" in banner
