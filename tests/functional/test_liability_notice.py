"""A Medicare patient over the payer's 12-month cap, overridden by a physician, booked with the cap
warning acknowledged, injected and signed: the procedure note's billing codes say the session is
expected to be denied and what the patient must have signed (an ABN), with GA or GZ beside the code."""
import re
from datetime import timedelta

from tracker.extensions import db
from tracker.models import Appointment, OutsideInjection, ProcedureRecord
from tracker.procedures.rules.schema import PER_SIDE_STEPS, STEPS
from tracker.timeutil import clinic_today, to_clinic, utcnow
from tracker.vocab import Indication, Side, joints_of
from tracker.workflow import State

from tests.builders import answers_for, checklist_url, clinic_day, post_step
from tests.functional.test_booking import acknowledging, book_url, booking, room, set_hours  # noqa: F401
from tests.functional.test_eligibility import OVERRIDE_REASON, documented_case, evaluate, override
from tests.helpers import soup, submit, text, words


def over_the_cap_and_signed(gen, client, make_client, login_as, physician, room, profile=None):  # noqa: F811
    """Evaluated (not eligible: a third diagnostic block in 12 months), overridden, booked with the
    warnings acknowledged, injected and signed, all through the app's forms."""
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

    appointment = db.session.execute(db.select(Appointment).filter_by(case_id=case.id)).scalar_one()
    before = billing_notice(text(client.get(f"/appointments/{appointment.id}")), "liability-notice")
    cards = [words(card) for card in soup(text(client.get(f"/schedule/day?date={clinic_day(1).isoformat()}")))
             .find_all("p", class_="liability-notice")]
    mine = [words(card) for card in soup(text(doctor.get(f"/schedule/mine?date={clinic_day(1).isoformat()}")))
            .find_all("p", class_="liability-notice")]

    # The day comes: the appointment is now, and the coordinator has confirmed consent and the day-of check.
    appointment.starts_at = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    appointment.ends_at = appointment.starts_at + timedelta(minutes=30)
    appointment.consent_obtained = appointment.day_of_check_done = True
    db.session.commit()
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
    assert ("Medicare: the patient can be billed for it only with an Advance Beneficiary Notice of Noncoverage "
            "(ABN, form CMS-R-131) signed before the procedure. Add modifier GA with a signed ABN on file, GZ "
            "without one") in said
    assert "Professional claim: CPT 27096-50 with GA (ABN on file) or GZ (no ABN) — Injection procedure" in said
    assert "Acknowledged at booking: Payer rule on" not in said, "the override names the cap already"
    # The coordinator reads the same.
    assert "with GA (ABN on file) or GZ (no ABN)" in billing(text(client.get(f"/cases/{case.id}/procedure/note")))


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
    assert "patient financial-responsibility notice (waiver) signed before the procedure" in said
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
