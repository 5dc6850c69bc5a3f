"""A Medicare patient over the payer's 12-month cap, overridden by a physician, booked with the cap
warning acknowledged, injected and signed: readiness asks for the patient's liability notice (an ABN)
signed before the procedure, and the procedure note's billing codes say the session is expected to be
denied, with GA (ABN recorded signed) or GZ (not signed) beside the code."""
import re
from datetime import timedelta

from tracker.extensions import db
from tracker.models import Appointment, OutsideInjection, ProcedureRecord
from tracker.procedures.rules.schema import PER_SIDE_STEPS, STEPS
from tracker.timeutil import clinic_today, to_clinic, utcnow
from tracker.vocab import Indication, Side, joints_of
from tracker.workflow import State

from tests.builders import answers_for, checklist_url, clinic_day, post_step
from tests.functional.test_booking import (acknowledging, book_url, booking, override as override_readiness,  # noqa: F401
                                           room, save_readiness, set_hours)
from tests.functional.test_eligibility import OVERRIDE_REASON, documented_case, evaluate, override
from tests.helpers import soup, submit, text, words


def booked_over_the_cap(gen, client, make_client, login_as, physician, room, profile=None):  # noqa: F811
    """Evaluated (not eligible: a third diagnostic block in 12 months), overridden by the physician
    and booked for tomorrow with the warnings acknowledged: (case, the physician's client, appointment)."""
    set_hours(physician)
    case = documented_case(gen, side=Side.BILATERAL, indication=Indication.DIAGNOSTIC,
                           **({"payer_profile_code": profile} if profile else {}))
    case.risk_screen.anticoagulant_answer, case.risk_screen.allergy_answer = "none", "nkda"
    for days in (200, 60):
        db.session.add(OutsideInjection(patient=case.patient, performed_on=clinic_today() - timedelta(days=days),
                                        side=Side.BILATERAL, indication=Indication.DIAGNOSTIC,
                                        place="Hillside Spine", source="letter from Dr Vance"))
    db.session.commit()
    page = text(evaluate(client, case))
    assert "this would be 3 of 2 (patient)" in page
    db.session.expire_all()
    assert case.state == State.NOT_ELIGIBLE

    doctor = login_as(physician, on=make_client())
    assert "Overridden: the case is eligible." in text(override(doctor, case, OVERRIDE_REASON))

    data = booking(clinic_day(1), "10:00", physician, room)
    asked = submit(client, book_url(case), data)
    assert asked.status_code == 409
    assert f"Payer rule on {clinic_day(1).isoformat()}: Diagnostic blocks in 12 months:" in text(asked)
    assert submit(client, book_url(case), acknowledging(text(asked), data)).status_code == 302

    return case, doctor, db.session.execute(db.select(Appointment).filter_by(case_id=case.id)).scalar_one()


def arrives(desk, appointment):
    """The patient arrives: the coordinator (`desk`) checks them in, before the physician starts."""
    assert submit(desk, f"/appointments/{appointment.id}/check-in", {},
                  form_page=f"/appointments/{appointment.id}").status_code == 302


def over_the_cap_and_signed(gen, client, make_client, login_as, physician, room, profile=None,  # noqa: F811
                            abn=True):
    """Evaluated (not eligible: a third diagnostic block in 12 months), overridden, booked with the
    warnings acknowledged, injected and signed, all through the app's forms. `abn`: the coordinator
    ticks the notice signed at readiness (True), or the physician overrides readiness without it
    (False: the patient would not sign), or it is not recorded (None: booked before the tracker asked)."""
    case, doctor, appointment = booked_over_the_cap(gen, client, make_client, login_as, physician, room, profile)
    before = billing_notice(text(client.get(f"/appointments/{appointment.id}")), "liability-notice")
    cards = [words(card) for card in soup(text(client.get(f"/schedule/day?date={clinic_day(1).isoformat()}")))
             .find_all("p", class_="liability-notice")]
    mine = [words(card) for card in soup(text(doctor.get(f"/schedule/mine?date={clinic_day(1).isoformat()}")))
            .find_all("p", class_="liability-notice")]

    # The day comes: the appointment is now.
    appointment.starts_at = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    appointment.ends_at = appointment.starts_at + timedelta(minutes=30)
    db.session.commit()
    # Consent and the day-of check confirmed, the notice not yet: the procedure cannot start.
    assert save_readiness(client, appointment, "consent_obtained", "day_of_check_done").status_code == 302
    db.session.expire_all()
    refused = submit(doctor, f"/cases/{case.id}/procedure/start", {"version_id": case.version_id},
                     form_page=checklist_url(case.id), follow_redirects=True)
    assert "Liability notice signed before the procedure" in words(soup(text(refused))), text(refused)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status.value == "booked"
    if abn:
        assert save_readiness(client, appointment, "consent_obtained", "day_of_check_done",
                              "liability_notice_signed").status_code == 302
    elif abn is False:
        assert override_readiness(doctor, appointment, "Patient declined to sign the ABN; proceeding, GZ.")\
            .status_code == 302
    else:
        appointment.liability_notice_signed = None  # booked before the tracker asked
        appointment.readiness_override_reason = "Booked before the tracker asked for the notice."
        db.session.commit()
    arrives(client, appointment)
    db.session.expire_all()
    started = submit(doctor, f"/cases/{case.id}/procedure/start", {"version_id": case.version_id},
                     form_page=checklist_url(case.id))
    assert started.status_code == 302, text(started)
    for step in STEPS:
        for joint in (joints_of(case.side) if step in PER_SIDE_STEPS else [None]):
            saved = post_step(doctor, case.id, step.value, answers_for(step.value, case.side),
                              side=joint and joint.value)
            assert saved.status_code == 302, text(saved)
    db.session.expire_all()
    record = db.session.execute(db.select(ProcedureRecord).filter_by(case_id=case.id)).scalar_one()
    signed = submit(doctor, f"/cases/{case.id}/procedure/sign", {"version_id": record.version_id},
                    form_page=checklist_url(case.id))
    assert signed.status_code == 302, text(signed)
    db.session.expire_all()
    assert db.session.get(ProcedureRecord, record.id).signed
    return case, doctor, before, cards, mine


def billing_notice(page, notice_id):
    return re.sub(r"\s+", " ", words(soup(page).find(id=notice_id)))


def billing(page):
    section = soup(page).find("section", attrs={"aria-labelledby": "billing-h"})
    return re.sub(r"\s+", " ", words(section))


def test_the_signed_note_of_a_medicare_session_over_the_cap_says_it_is_expected_to_be_denied_and_asks_for_an_abn(
        gen, client, coordinator, make_client, login_as, physician, room):  # noqa: F811
    case, doctor, before, cards, mine = over_the_cap_and_signed(gen, client, make_client, login_as, physician, room)
    assert before.startswith("Before the procedure, have the patient read and sign an Advance Beneficiary Notice of "
                             "Noncoverage (ABN, form CMS-R-131) naming this injection")
    assert ("Diagnostic blocks in 12 months: diagnostic cap: this would be 3 of 2 (patient), next from") in before
    assert cards == mine == ["Over Medicare's limits: have the patient sign an ABN (form CMS-R-131) before the "
                             "procedure. (see the appointment)"]

    said = billing(text(doctor.get(f"/cases/{case.id}/procedure/note")))

    assert ("Over the payer's limit under Medicare SI joint LCDs (2023), given by physician override "
            f"(Dr Priya Raman, {clinic_today().isoformat()}): this session is expected to be denied.") in said
    assert "Diagnostic blocks in 12 months: diagnostic cap: this would be 3 of 2 (patient), next from" in said
    assert ("Medicare: the patient signed an Advance Beneficiary Notice of Noncoverage (ABN, form CMS-R-131) "
            "before the procedure (recorded at readiness). Add modifier GA") in said
    assert "Professional claim: CPT 27096-50 with GA (ABN on file) — Injection procedure" in said
    assert "GZ" not in said
    assert "Acknowledged at booking: Payer rule on" not in said, "the override names the cap already"
    # The coordinator reads the same.
    assert "with GA (ABN on file) —" in billing(text(client.get(f"/cases/{case.id}/procedure/note")))


def test_a_medicare_patient_who_would_not_sign_the_abn_goes_ahead_by_override_and_the_note_says_gz(
        gen, client, coordinator, make_client, login_as, physician, room):  # noqa: F811
    case, doctor, *_ = over_the_cap_and_signed(gen, client, make_client, login_as, physician, room, abn=False)
    said = billing(text(doctor.get(f"/cases/{case.id}/procedure/note")))
    assert ("Medicare: no signed ABN (form CMS-R-131) was recorded before the procedure. Add modifier GZ: the "
            "patient cannot be billed if Medicare denies the claim.") in said
    assert "Professional claim: CPT 27096-50 with GZ (no ABN on file) — Injection procedure" in said
    assert "with GA" not in said


def test_an_appointment_booked_before_the_tracker_asked_keeps_ga_or_gz_and_says_to_check_the_forms(
        gen, client, coordinator, make_client, login_as, physician, room):  # noqa: F811
    case, doctor, *_ = over_the_cap_and_signed(gen, client, make_client, login_as, physician, room, abn=None)
    said = billing(text(doctor.get(f"/cases/{case.id}/procedure/note")))
    assert "Add modifier GA with a signed ABN on file, GZ without one" in said
    assert "The tracker does not record the ABN: check the patient's signed forms." in said
    assert "Professional claim: CPT 27096-50 with GA (ABN on file) or GZ (no ABN) — Injection procedure" in said


def test_another_payers_session_over_the_cap_asks_for_its_own_notice_and_no_ga_or_gz(
        gen, client, coordinator, make_client, login_as, physician, room):  # noqa: F811
    case, doctor, before, cards, _ = over_the_cap_and_signed(gen, client, make_client, login_as, physician, room,
                                                             profile="CAM_770HB")
    assert before.startswith("Before the procedure, have the patient sign CAM 770HB's patient financial-responsibility "
                             "notice (waiver)")
    assert cards == ["Over CAM 770HB's limits: have the patient sign its financial-responsibility notice before the "
                     "procedure. (see the appointment)"]

    said = billing(text(doctor.get(f"/cases/{case.id}/procedure/note")))

    assert "Over the payer's limit under CAM 770HB, given by physician override" in said
    assert ("CAM 770HB is not Medicare: the patient signed the payer's financial-responsibility notice before the "
            "procedure (recorded at readiness).") in said
    assert "Professional claim: CPT 27096-50 — Injection procedure" in said
    assert "with GA" not in said and "ABN" not in said


def test_a_session_within_the_payers_limits_says_nothing_of_a_notice(gen, doctor, physician):
    record = gen.procedure(side=Side.BILATERAL, physician=physician, steps="all", sign=True)
    said = billing(text(doctor.get(f"/cases/{record.case_id}/procedure/note")))
    assert "Professional claim: CPT 27096-50 — Injection procedure" in said
    assert "expected to be denied" not in said and "GA" not in said
    booked = gen.case(state=State.SCHEDULED, side=Side.LEFT)
    gen.verdict(booked)
    appointment = gen.appointment(booked, physician=physician)
    assert soup(text(doctor.get(f"/appointments/{appointment.id}"))).find(id="liability-notice") is None
    board = text(doctor.get(f"/schedule/day?date={to_clinic(appointment.starts_at).date().isoformat()}"))
    assert appointment.case.patient.family_name in board and "liability-notice" not in board


def test_readiness_asks_for_the_abn_and_the_page_the_board_and_the_history_say_it_was_signed(
        gen, client, coordinator, make_client, login_as, physician, room):  # noqa: F811
    _case, _doctor, appointment = booked_over_the_cap(gen, client, make_client, login_as, physician, room)
    url, board = f"/appointments/{appointment.id}", f"/schedule/day?date={clinic_day(1).isoformat()}"
    page = soup(text(client.get(url)))
    item = words(page.find("input", attrs={"name": "liability_notice_signed"}).find_parent("li"))
    assert "Liability notice signed before the procedure (Medicare: ABN, form CMS-R-131)" in item
    assert "required for this patient (over the payer's limits)" in item
    assert "liability notice" in words(page.find(class_="readiness-summary"))

    assert save_readiness(client, appointment, "consent_obtained", "day_of_check_done",
                          "liability_notice_signed").status_code == 302

    page = soup(text(client.get(url)))
    assert words(page.find(id="liability-notice")).startswith(
        "The patient signed the ABN (form CMS-R-131) (recorded at readiness): keep it on file.")
    assert page.find(class_="readiness-summary") is None
    assert "liability notice signed ticked" in words(page.find(class_="timeline"))
    cards = [words(card) for card in soup(text(client.get(board))).find_all("p", class_="liability-notice")]
    assert cards == ["Over Medicare's limits: ABN signed. (see the appointment)"]


def test_a_session_within_the_limits_has_no_notice_item_to_tick(gen, client, coordinator, physician):
    booked = gen.case(state=State.SCHEDULED, side=Side.LEFT)
    gen.verdict(booked)
    appointment = gen.appointment(booked, physician=physician)
    page = soup(text(client.get(f"/appointments/{appointment.id}")))
    assert page.find("input", attrs={"name": "liability_notice_signed"}) is None


def test_readiness_is_frozen_once_the_procedure_starts_so_an_abn_ticked_late_is_not_read_as_signed_before(
        gen, client, coordinator, make_client, login_as, physician, room):  # noqa: F811
    """Review: ticked during the procedure, the notice read on the note as signed before it (GA)."""
    case, doctor, *_ = over_the_cap_and_signed(gen, client, make_client, login_as, physician, room, abn=False)
    appointment = db.session.execute(db.select(Appointment).filter_by(case_id=case.id)).scalar_one()
    late = save_readiness(client, appointment, "consent_obtained", "day_of_check_done", "liability_notice_signed")
    assert late.status_code != 302
    assert "Readiness cannot change on a done appointment." in words(soup(text(late)))
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).liability_notice_signed is False
    assert "with GZ (no ABN on file)" in billing(text(doctor.get(f"/cases/{case.id}/procedure/note")))


def test_readiness_cannot_change_while_the_procedure_is_under_way(
        gen, client, coordinator, make_client, login_as, physician, room):  # noqa: F811
    from tracker.models import Case
    case, doctor, appointment = booked_over_the_cap(gen, client, make_client, login_as, physician, room)
    appointment.starts_at = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    appointment.ends_at = appointment.starts_at + timedelta(minutes=30)
    db.session.commit()
    assert override_readiness(doctor, appointment, "Patient would not sign the ABN; proceeding.").status_code == 302
    arrives(client, appointment)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert submit(doctor, f"/cases/{case.id}/procedure/start", {"version_id": case.version_id},
                  form_page=checklist_url(case.id)).status_code == 302
    db.session.expire_all()
    appointment = db.session.get(Appointment, appointment.id)
    page = soup(text(client.get(f"/appointments/{appointment.id}")))
    assert page.find("input", attrs={"name": "liability_notice_signed"}).find_parent("fieldset").has_attr("disabled")
    late = save_readiness(client, appointment, "liability_notice_signed")
    assert late.status_code != 302
    db.session.expire_all()
    assert not db.session.get(Appointment, appointment.id).liability_notice_signed
