"""Signing the procedure record, and what follows: refused with the list of what is missing, then
signer, time and duration stamped and the case in follow-up; after signing nothing changes through
any route (addenda are the only addition), enforced by the services, the ORM and a database
constraint; the printable note with the billing codes; abandoning an attempt."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from tracker.extensions import db
from tracker.models import (Appointment, AuditEvent, Case, InjectateRow, ProcedureAddendum, ProcedureRecord,
                            ProcedureStatus, ProcedureStep)
from tracker.models.procedure import SignedRecordIsReadOnly
from tracker.reports import figures
from tracker.reports.figures import Filters
from tracker.roles import Role
from tracker.timeutil import format_clinic, to_clinic
from tracker.vocab import AppointmentStatus, Side
from tracker.workflow import State

from tests.api_support import bearer, fhir_json, token_for
from tests.builders import answers_for, checklist_url, post_step
from tests.helpers import (by_id, csrf_from, field_error, form_data, form_posting_to, links, loaded, soup, submit, text,
                           words)


def sign(client, record, version=None):
    return submit(client, f"/cases/{record.case_id}/procedure/sign",
                  {"version_id": record.version_id if version is None else version},
                  form_page=checklist_url(record.case_id))


def fresh(record):
    db.session.expire_all()
    return db.session.get(ProcedureRecord, record.id)


def snapshot(record_id):
    """Everything a signed record holds, to compare before and after an attempted change."""
    db.session.expire_all()
    record = db.session.get(ProcedureRecord, record_id)
    steps = [(s.step.value, s.side.value, s.attempt, s.answers, s.version_id, s.recorded_at,
              [(r.drug_code, r.dose_mg, r.volume_ml, r.lot_number) for r in s.injectate])
             for s in record.steps]
    return (record.status, record.signed_at, record.signed_by_id, record.duration_minutes, record.version_id,
            record.case.state, steps)


# ------------------------------------------------------------------ signing

def test_signing_is_refused_while_anything_is_missing_and_lists_it(gen, doctor, physician):
    record = gen.procedure(side=Side.BILATERAL, physician=physician,
                           steps=["sign_in", "time_out", "positioning", "skin_prep"])

    response = sign(doctor, record)

    assert response.status_code == 422
    page = text(response)
    assert "Not signed. Still missing:" in page
    for missing in ("Imaging guidance (left): Guidance", "Imaging guidance (right): Needle gauge",
                    "Injectate (left): At least one drug", "Injectate (right): At least one drug",
                    "Sign-out: Complications", "Sign-out: Discharge instructions given"):
        assert f"<li>{missing}</li>" in page
    record = fresh(record)
    assert record.status == ProcedureStatus.IN_PROGRESS and record.signed_at is None
    assert record.case.state == State.IN_PROCEDURE


def test_a_refused_signature_lands_on_its_message_and_says_so_at_the_top(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps=["sign_in", "time_out"])
    page = doctor.get(checklist_url(record.case_id))
    # The form's action carries the anchor: the browser lands on the refusal, as on a step after a save.
    form = form_posting_to(text(page), f"/cases/{record.case_id}/procedure/sign#sign-refused")

    response = doctor.post(f"/cases/{record.case_id}/procedure/sign", data=form_data(form))

    assert response.status_code == 422
    refused = text(response)
    message = by_id(refused, "sign-refused")
    assert message.find_parent(id="sign") is not None
    assert message["role"] == "alert" and message["tabindex"] == "-1", "the browser puts the focus on it"
    assert words(message).startswith("Not signed. Still missing: Positioning: Prone")
    top = soup(refused).find(id="step-sign_in").find_previous(id="not-signed")
    assert top is not None, "said above the steps too"
    assert words(top).startswith("Not signed:") and "#sign-refused" in links(top)
    assert fresh(record).status == ProcedureStatus.IN_PROGRESS


def test_signing_a_complete_record_stamps_signer_time_and_duration_and_moves_the_case_to_follow_up(
        gen, doctor, physician):
    record = gen.procedure(physician=physician, steps="all")
    record.started_at -= timedelta(minutes=21, seconds=30)
    record.case.patient.email = "pat@example.org"  # a diary link can reach them
    db.session.commit()

    response = sign(doctor, record, version=fresh(record).version_id)

    assert response.status_code == 302 and response.location == f"/cases/{record.case_id}/procedure/note"
    record = fresh(record)
    assert record.status == ProcedureStatus.SIGNED and record.signed_by_id == physician.id
    assert record.ended_at == record.sign_out_at <= record.signed_at
    assert record.duration_minutes == 21, "never rounded up"
    assert record.case.state == State.FOLLOW_UP
    assert db.session.get(Appointment, record.appointment_id).status == AppointmentStatus.DONE
    note = text(doctor.get(f"/cases/{record.case_id}/procedure/note"))
    assert "Procedure record signed: 21 minutes. The case is now in follow-up." in note
    assert "flagged" not in note
    assert "Signed by <strong>Dr Priya Raman</strong>" in note
    assert ('The pain diary has started. <a href="/cases/%d#diary">Send the patient their diary link</a>'
            % record.case_id) in note, "the physician is reminded that the first score is minutes away"


def test_a_procedure_over_30_minutes_is_signed_and_flagged(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps="all")
    record.started_at -= timedelta(minutes=42)
    db.session.commit()

    response = sign(doctor, record, version=fresh(record).version_id)

    assert response.status_code == 302
    record = fresh(record)
    assert record.status == ProcedureStatus.SIGNED and record.duration_minutes == 42
    note = text(doctor.get(f"/cases/{record.case_id}/procedure/note"))
    assert "The procedure took 42 minutes, longer than the usual 30: it is flagged on the record." in note
    assert "42 minutes</strong> — <strong>flagged: longer than 30 minutes" in note
    case_page = text(doctor.get(f"/cases/{record.case_id}"))
    assert "42 minutes <strong>(flagged: longer than 30 minutes)</strong>" in case_page


def test_a_procedure_signed_in_under_five_minutes_is_signed_and_flagged_like_a_long_one(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps="all")
    record.started_at -= timedelta(minutes=4, seconds=50)
    db.session.commit()

    response = sign(doctor, record, version=fresh(record).version_id)

    assert response.status_code == 302
    record = fresh(record)
    assert record.status == ProcedureStatus.SIGNED and record.duration_minutes == 4
    note = text(doctor.get(f"/cases/{record.case_id}/procedure/note"))
    assert ("The procedure took 4 minutes, shorter than the 5 minutes a whole checklist needs: it is flagged "
            "on the record for review") in note
    assert "4 minutes</strong> — <strong>flagged: shorter than 5 minutes" in note
    checklist = text(doctor.get(f"/cases/{record.case_id}/procedure"))
    assert "4 minutes</strong> — <strong>flagged: shorter than 5 minutes" in checklist
    case_page = text(doctor.get(f"/cases/{record.case_id}"))
    assert "4 minutes <strong>(flagged: shorter than 5 minutes)</strong>" in case_page
    audit = db.session.execute(db.select(AuditEvent).filter_by(object_type="procedure_record",
                                                               object_id=str(record.id))
                               .filter(AuditEvent.summary.like("%signed%"))).scalar_one()
    assert audit.summary.endswith("signed, 4 min (flagged: shorter than 5 minutes)")


def test_a_contrast_check_changed_after_the_injectate_stops_the_signature(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps="all")
    [contrast] = [s for s in record.steps if s.step.value == "contrast"]
    vascular = {**answers_for("contrast"), "vascular_uptake": True}
    assert post_step(doctor, record.case_id, "contrast", vascular, side="left",
                     version=contrast.version_id).status_code == 302
    response = sign(doctor, record, version=fresh(record).version_id)
    assert response.status_code == 422
    assert "Vascular uptake: reposition the needle and repeat the contrast check before injecting." in text(response)
    assert fresh(record).status == ProcedureStatus.IN_PROGRESS


def test_a_contrast_check_that_asks_for_a_repeat_is_named_among_what_is_missing(gen, doctor, physician):
    # The checks up to contrast saved; contrast check 1 showed vascular uptake: the list names the
    # repeat check before the injectate it holds back, not only "Injectate: At least one drug".
    record = gen.procedure(physician=physician, steps=["sign_in", "time_out", "positioning", "skin_prep",
                                                       "fluoroscopy"])
    vascular = {**answers_for("contrast"), "vascular_uptake": True}
    assert post_step(doctor, record.case_id, "contrast", vascular, side="left").status_code == 302

    response = sign(doctor, record, version=fresh(record).version_id)

    message = words(by_id(text(response), "sign-refused"))
    repeat = message.find("Contrast confirmation: a repeat check with the needle repositioned")
    assert repeat != -1 and repeat < message.find("Injectate:"), message
    assert fresh(record).status == ProcedureStatus.IN_PROGRESS


def test_a_sign_button_from_before_a_later_save_is_refused(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps="all")
    opened_at = record.version_id
    [sign_out] = [s for s in record.steps if s.step.value == "sign_out"]
    assert post_step(doctor, record.case_id, "sign_out", {**answers_for("sign_out"), "pain_nrs": "4"},
                     version=sign_out.version_id).status_code == 302
    response = sign(doctor, record, version=opened_at)
    assert response.status_code == 302
    assert "The checklist changed after you opened it. Nothing was signed" in text(doctor.get(response.location))
    assert fresh(record).status == ProcedureStatus.IN_PROGRESS


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_only_physicians_sign(gen, client, login_as, physician, role):
    record = gen.procedure(physician=physician, steps="all")
    login_as(gen.user(role))
    response = submit(client, f"/cases/{record.case_id}/procedure/sign", {"version_id": record.version_id},
                      form_page="/account/password")
    assert response.status_code == 403
    assert fresh(record).status == ProcedureStatus.IN_PROGRESS


# ------------------------------------------------------------------ read-only after signing

def test_a_signed_record_cannot_change_through_any_procedure_route(app, gen, doctor, physician):
    record = gen.procedure(side=Side.BILATERAL, physician=physician, steps="all", sign=True)
    case_id = record.case_id
    versions = {(s.step.value, s.side.value): s.version_id for s in record.steps}
    before = snapshot(record.id)
    posts = [rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("procedures.") and "POST" in rule.methods]
    assert {rule.endpoint for rule in posts} == {"procedures.start", "procedures.save_step", "procedures.sign",
                                                "procedures.abandon", "procedures.add_addendum"}

    refusals = []
    for step in ("sign_in", "time_out", "positioning", "skin_prep", "sign_out"):
        changed = {**answers_for(step, Side.BILATERAL)}
        response = post_step(doctor, case_id, step, changed, version=versions[(step, "bilateral")])
        refusals.append((step, response.status_code, text(response)))
    for step in ("fluoroscopy", "contrast", "injectate"):
        for side in ("left", "right"):
            response = post_step(doctor, case_id, step, answers_for(step), side=side, version=versions[(step, side)])
            refusals.append((f"{step} {side}", response.status_code, text(response)))
    repeat = post_step(doctor, case_id, "contrast", answers_for("contrast"), side="left", attempt="2")
    refusals.append(("contrast repeat", repeat.status_code, text(repeat)))
    for step, status, page in refusals:
        assert status == 409 and "This procedure record is signed and can no longer change. Add an addendum instead." \
            in page, step

    page = doctor.get(checklist_url(case_id)).get_data(as_text=True)
    token = csrf_from(page)
    signed_again = doctor.post(f"/cases/{case_id}/procedure/sign",
                               data={"csrf_token": token, "version_id": fresh(record).version_id},
                               follow_redirects=True)
    assert "This procedure record is signed and can no longer change." in text(signed_again)
    abandon = doctor.post(f"/cases/{case_id}/procedure/abandon",
                          data={"csrf_token": token, "version_id": fresh(record).version_id,
                                "reason": "Trying to undo a signed record"}, follow_redirects=True)
    assert "This procedure record is signed and can no longer change." in text(abandon)
    start = doctor.post(f"/cases/{case_id}/procedure/start",
                        data={"csrf_token": token, "version_id": fresh(record).case.version_id}, follow_redirects=True)
    assert "The procedure was not started." in text(start)

    assert snapshot(record.id) == before
    assert db.session.execute(db.select(db.func.count(ProcedureRecord.id))).scalar() == 1
    assert "/procedure/steps/" not in page, "a signed checklist shows no forms"


def test_the_database_ties_the_signed_state_to_its_signer_time_and_duration(gen, physician):
    record = gen.procedure(physician=physician)
    record.status = ProcedureStatus.SIGNED
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()

    signed = gen.procedure(physician=physician, steps="all", sign=True)
    with pytest.raises(IntegrityError):
        db.session.execute(db.update(ProcedureRecord).where(ProcedureRecord.id == signed.id)
                           .values(signed_by_id=None))


def test_the_orm_refuses_to_change_a_signed_records_steps_or_addenda(gen, physician):
    record = gen.procedure(physician=physician, steps="all", sign=True)
    step = record.steps[0]
    step.answers = {**step.answers, "site_marked": False}
    with pytest.raises(SignedRecordIsReadOnly):
        db.session.commit()
    db.session.rollback()

    injectate = db.session.execute(db.select(InjectateRow)).scalars().first()
    db.session.delete(injectate)
    with pytest.raises(SignedRecordIsReadOnly):
        db.session.commit()
    db.session.rollback()

    addendum = ProcedureAddendum(record=fresh(record), author_id=physician.id, reason="Lot", text="TA-2232")
    db.session.add(addendum)
    db.session.commit()
    addendum.text = "rewritten"
    with pytest.raises(SignedRecordIsReadOnly):
        db.session.commit()


# ------------------------------------------------------------------ addenda

def test_an_addendum_needs_a_reason_and_a_text_and_is_the_only_change_after_signing(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps="all", sign=True)
    note_url = f"/cases/{record.case_id}/procedure/note"
    addenda_url = f"/cases/{record.case_id}/procedure/addenda"

    refused = submit(doctor, addenda_url, {"reason": "", "text": "Lot TA-2232, not TA-2231."}, form_page=note_url)
    assert refused.status_code == 422
    page = text(refused)
    assert field_error(page, "reason") == "Give the reason for the addendum (e.g. a correction of the lot number)."
    assert "Lot TA-2232, not TA-2231." in page, "the typed text is kept"
    assert db.session.execute(db.select(ProcedureAddendum)).first() is None

    added = submit(doctor, addenda_url, {"reason": "Lot number corrected", "text": "Lot TA-2232, not TA-2231."},
                   form_page=note_url)
    assert added.status_code == 302
    [addendum] = db.session.execute(db.select(ProcedureAddendum)).scalars().all()
    assert addendum.author_id == physician.id and addendum.reason == "Lot number corrected"
    note = text(doctor.get(note_url))
    assert "Dr Priya Raman — reason: Lot number corrected" in note and "Lot TA-2232, not TA-2231." in note


def test_an_addendum_waits_for_the_signature(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps=["sign_in"])
    response = submit(doctor, f"/cases/{record.case_id}/procedure/addenda",
                      {"reason": "Early note", "text": "Patient anxious."}, form_page=checklist_url(record.case_id))
    assert response.status_code == 409
    assert "Addenda are for a signed record; until it is signed, correct the step itself." in text(response)
    assert db.session.execute(db.select(ProcedureAddendum)).first() is None


# ------------------------------------------------------------------ the note

def test_the_printable_note_holds_the_whole_record_and_the_billing_codes(gen, doctor, physician):
    record = gen.procedure(side=Side.BILATERAL, physician=physician, steps="all", sign=True)
    case = db.session.get(Case, record.case_id)

    page = text(doctor.get(f"/cases/{record.case_id}/procedure/note"))

    for expected in (case.patient.display_name, f"MRN</dt><dd>{case.patient.mrn}", "<strong>Bilateral</strong>",
                     "Diagnostic block", "Sign-in / verification", "Time-out", "Positioning", "Skin prep",
                     "Chlorhexidine 2% in 70% isopropyl alcohol",
                     "Imaging guidance — left side", "Imaging guidance — right side",
                     "Reference air kerma (mGy)</dt><dd>4.2", "Dose-area product (mGy·cm²)</dt><dd>310",
                     "Contrast confirmation — right side", "Iohexol (Omnipaque)",
                     "Intra-articular with cephalad spread",
                     "Injectate — left side", "Triamcinolone acetonide</dt><dd>40 mg/mL (4 %), 40 mg, 1 mL, lot TA-2231",
                     "Total volume: <strong>2.0 mL</strong>", "Complications</dt><dd>None",
                     "Immediate post-procedure pain (0–10)</dt><dd>2", "by Dr Priya Raman",
                     "Professional claim: <strong>CPT 27096-50</strong>",
                     "Signed by <strong>Dr Priya Raman</strong>"):
        assert expected in page, expected
    assert "G0260" not in page, "a physician office (the default billing setting) files no facility claim"
    assert page.count("Dr Priya Raman") >= 11, "every step names who recorded it"
    assert soup(page).find("nav", attrs={"aria-label": "Breadcrumb"}, class_="crumbs no-print")
    assert 'class="no-print"><button type="button" class="secondary" data-print>Print</button>' in page


def test_a_unilateral_note_bills_without_the_bilateral_modifier_and_a_draft_says_so(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps="all")
    page = text(doctor.get(f"/cases/{record.case_id}/procedure/note"))
    assert "Draft: not signed." in page
    assert "Professional claim: <strong>CPT 27096</strong>" in page and "27096-50" not in page


def test_a_coordinator_reads_the_note(gen, client, login_as, physician):
    record = gen.procedure(physician=physician, steps="all", sign=True)
    login_as(gen.user(Role.COORDINATOR))
    page = text(client.get(f"/cases/{record.case_id}/procedure/note"))
    assert "Sacroiliac joint injection: procedure note" in page
    assert "Add an addendum" not in page


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize("role", [Role.PHYSICIAN, Role.COORDINATOR])
def test_the_notes_breadcrumb_puts_a_separator_only_between_its_links(gen, client, login_as, physician, role, signed):
    record = gen.procedure(physician=physician, steps="all", sign=signed)
    login_as(physician if role == Role.PHYSICIAN else gen.user(role))

    crumbs = soup(loaded(client.get(f"/cases/{record.case_id}/procedure/note"))).find(
        "nav", attrs={"aria-label": "Breadcrumb"})

    # Each piece of text between the links is one separator: none before the first, after the last, or doubled.
    pieces = [words(node) if hasattr(node, "get_text") else node.strip() for node in crumbs.children]
    assert [p for p in pieces if p] == ["← Procedure checklist", "·", "Case"]
    assert links(crumbs) == [f"/cases/{record.case_id}/procedure", f"/cases/{record.case_id}"]


# ------------------------------------------------------------------ abandoning

def test_abandoning_needs_a_reason_keeps_the_attempt_and_the_case_can_start_again(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps=["sign_in", "time_out"])
    url = f"/cases/{record.case_id}/procedure/abandon"

    refused = submit(doctor, url, {"version_id": record.version_id, "reason": ""}, form_page=checklist_url(record.case_id))
    assert refused.status_code == 422
    assert field_error(text(refused), "reason") == "Give the reason for abandoning the procedure."
    assert fresh(record).status == ProcedureStatus.IN_PROGRESS

    done = submit(doctor, url, {"version_id": record.version_id, "reason": "Vasovagal episode before the needle"},
                  form_page=checklist_url(record.case_id))
    assert done.status_code == 302
    record = fresh(record)
    assert record.status == ProcedureStatus.ABANDONED and record.abandon_reason == "Vasovagal episode before the needle"
    assert record.case.state == State.SCHEDULED
    assert db.session.get(Appointment, record.appointment_id).status == AppointmentStatus.CHECKED_IN
    case_page = text(doctor.get(f"/cases/{record.case_id}"))
    assert "An earlier attempt was abandoned" in case_page and "Vasovagal episode before the needle" in case_page

    again = submit(doctor, f"/cases/{record.case_id}/procedure/start", {"version_id": record.case.version_id},
                   form_page=checklist_url(record.case_id))
    assert again.status_code == 302
    records = db.session.execute(db.select(ProcedureRecord).order_by(ProcedureRecord.id)).scalars().all()
    assert [r.status for r in records] == [ProcedureStatus.ABANDONED, ProcedureStatus.IN_PROGRESS]
    page = text(doctor.get(checklist_url(record.case_id)))
    assert "Earlier attempt started" in page and "Not yet recorded" in page
    assert db.session.execute(db.select(db.func.count(ProcedureStep.id))
                              .filter_by(record_id=records[1].id)).scalar() == 0


def test_a_procedure_whose_injectate_is_recorded_cannot_be_abandoned(gen, doctor, physician):
    """The drug is in the joint: the injection counts towards the caps and starts the diary, so the
    physician signs the record (with what went wrong on the sign-out) instead; the reason typed is kept."""
    record = gen.procedure(physician=physician, steps=["sign_in", "time_out", "positioning", "skin_prep",
                                                       "fluoroscopy", "contrast", "injectate"])
    url = f"/cases/{record.case_id}/procedure/abandon"
    refused = submit(doctor, url, {"version_id": record.version_id, "reason": "Patient felt faint"},
                     form_page=checklist_url(record.case_id))
    assert refused.status_code == 422
    assert field_error(text(refused), "reason").startswith(
        "The injectate is recorded: the injection was given, so it counts towards the patient's caps")
    assert "Patient felt faint" in text(refused)
    record = fresh(record)
    assert record.status == ProcedureStatus.IN_PROGRESS and record.case.state == State.IN_PROCEDURE


def test_the_note_carries_the_allergies_and_blood_thinners_from_the_risk_screen(gen, doctor, physician):
    from tracker.models import RiskScreen

    record = gen.procedure(physician=physician, steps="all", sign=True)
    note_url = f"/cases/{record.case_id}/procedure/note"
    assert "Allergies</dt><dd>not asked (no risk screen recorded)" in text(doctor.get(note_url))
    db.session.add(RiskScreen(case_id=record.case_id, allergy_contrast=True, allergy_latex=True,
                              contrast_premedication_plan="prednisone", anticoagulants="apixaban",
                              anticoagulant_hold_plan="held 48 h"))
    db.session.commit()
    page = text(doctor.get(note_url))
    assert "Allergies</dt><dd>iodinated contrast, latex" in page
    assert "Anticoagulants</dt><dd>apixaban (plan: held 48 h)" in page


def test_the_note_and_the_checklist_say_none_and_nkda_for_the_explicit_answers(gen, doctor, physician):
    from tracker.models import RiskScreen

    record = gen.procedure(physician=physician, steps="all", sign=True)
    db.session.add(RiskScreen(case_id=record.case_id, anticoagulant_answer="none", allergy_answer="nkda"))
    db.session.commit()
    note = text(doctor.get(f"/cases/{record.case_id}/procedure/note"))
    assert "Allergies</dt><dd>NKDA (no known allergies)</dd>" in note
    assert "Anticoagulants</dt><dd>none</dd>" in note
    checklist = text(doctor.get(f"/cases/{record.case_id}/procedure"))
    assert ("Allergies: <strong>NKDA (no known allergies)</strong> · Anticoagulants: <strong>none</strong>"
            in checklist)
    assert "n/a" not in note and "n/a" not in checklist


# ------------------------------------------------------------------ the duration runs to the sign-out

def _signed_out_late(gen, physician, started_ago=40, sign_out_after=23, corrected_after=None):
    """A complete record started `started_ago` minutes ago whose sign-out step was first recorded
    `sign_out_after` minutes after the start (and, with `corrected_after`, saved again then)."""
    record = gen.procedure(physician=physician, steps="all")
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=started_ago)
    record.started_at = start
    sign_out = next(step for step in record.steps if step.step.value == "sign_out")
    sign_out.first_recorded_at = start + timedelta(minutes=sign_out_after, seconds=40)
    sign_out.recorded_at = start + timedelta(minutes=corrected_after or sign_out_after, seconds=40)
    db.session.commit()
    return record, sign_out.first_recorded_at


def _summary(note):
    """The note's "Patient and procedure" list, {term: words}."""
    summary = soup(note).find("dl", class_="summary")
    return {words(dt): words(dt.find_next_sibling("dd")) for dt in summary.find_all("dt")}


def test_the_duration_runs_from_the_start_to_the_sign_out_not_to_the_signature(gen, doctor, physician, client):
    # Signed 40 minutes after the start; the sign-out was recorded at 23 min 40 s (corrected at 30).
    record, sign_out_at = _signed_out_late(gen, physician, corrected_after=30)

    response = sign(doctor, record, version=fresh(record).version_id)

    assert response.status_code == 302
    record = fresh(record)
    assert record.duration_minutes == 23, "start to the sign-out's first save, never rounded up"
    assert record.ended_at == sign_out_at and record.signed_at > sign_out_at + timedelta(minutes=16)
    note = text(doctor.get(f"/cases/{record.case_id}/procedure/note"))
    assert "Procedure record signed: 23 minutes." in note
    assert "flagged" not in note, "signing 16 minutes after the sign-out does not make the procedure long"
    summary = _summary(note)
    assert summary["Ended"] == f"{format_clinic(sign_out_at)} (sign-out)"
    assert summary["Duration"] == "23 minutes (from the start to the sign-out)"
    assert summary["Signed"] == f"{format_clinic(record.signed_at)} by Dr Priya Raman, 16 minutes after the sign-out"
    case_page = words(by_id(text(doctor.get(f"/cases/{record.case_id}")), "procedure"))
    assert (f"Procedure {format_clinic(record.started_at, '%H:%M')}–{format_clinic(sign_out_at, '%H:%M')} · "
            f"23 minutes · signed by Dr Priya Raman on {format_clinic(record.signed_at)}") in case_page
    checklist = words(soup(text(doctor.get(checklist_url(record.case_id)))).find(class_="notice-success"))
    assert checklist.startswith(f"Signed by Dr Priya Raman at {format_clinic(record.signed_at)}. Duration from "
                                f"the start to the sign-out ({format_clinic(sign_out_at, '%H:%M')}) 23 minutes.")
    audit = db.session.execute(db.select(AuditEvent).filter_by(object_type="procedure_record",
                                                               object_id=str(record.id))
                               .filter(AuditEvent.summary.like("%signed%"))).scalar_one()
    assert audit.summary.endswith("signed, 23 min")
    # Reports › Procedures read the same 23 minutes: inside the 20-30 minute target, none over 30.
    day = to_clinic(record.started_at).date()
    filters = Filters(start=day, end=day, default_profile="MEDICARE_LCD_2023")
    durations = figures.figure(filters, "durations")
    assert "by minutes from the start to the sign-out step (not to the signature" in durations.definition
    assert dict((row[0], row[1]) for row in durations.rows)["20-30 minutes (target)"] == 1
    assert figures.figure(filters, "over_target").rows[0][:2] == (1, 0)
    # The FHIR Procedure was performed from the start to the sign-out.
    procedure = fhir_json(client.get(f"/fhir/Procedure/{record.case_id}-procedure-{record.id}",
                                     headers=bearer(token_for(gen.user(Role.COORDINATOR)))))
    assert procedure["performedPeriod"] == {"start": record.started_at.isoformat().replace("+00:00", "Z"),
                                            "end": sign_out_at.isoformat().replace("+00:00", "Z")}


def test_a_sign_out_recorded_over_30_minutes_after_the_start_is_flagged_however_soon_it_is_signed(
        gen, doctor, physician):
    record, _ = _signed_out_late(gen, physician, started_ago=35, sign_out_after=34)

    sign(doctor, record, version=fresh(record).version_id)

    record = fresh(record)
    assert record.duration_minutes == 34
    note = text(doctor.get(f"/cases/{record.case_id}/procedure/note"))
    assert "34 minutes</strong> — <strong>flagged: longer than 30 minutes" in note


def test_once_the_sign_out_is_recorded_the_checklist_and_the_draft_note_stop_the_clock_there(
        gen, doctor, physician):
    record, sign_out_at = _signed_out_late(gen, physician, started_ago=50, sign_out_after=23)

    checklist = text(doctor.get(checklist_url(record.case_id)))
    timer = by_id(checklist, "procedure-timer")
    assert timer["data-ended-at"] == sign_out_at.isoformat(), "the live timer stops at the sign-out"
    assert (f"· sign-out {format_clinic(sign_out_at, '%H:%M')} · 23 min 40 s (target 20–30 minutes)"
            in words(timer)), "in words that cannot be read as a clock time"
    assert timer["role"] == "timer" and not timer.has_attr("aria-live"), "a timer is not read out every second"
    summary = _summary(text(doctor.get(f"/cases/{record.case_id}/procedure/note")))
    assert summary["Ended"] == f"{format_clinic(sign_out_at)} (sign-out)"
    assert summary["Duration"] == "23 minutes (from the start to the sign-out; not signed yet)"
    assert "Signed" not in summary


# ------------------------------------------------------------------ what signing will keep, read before the tap

def _before_signing(page):
    """What the signature box says above its Sign button (#sign-flags), failing unless it stands
    there: inside the box, before the one irreversible tap."""
    box = soup(page).find("section", id="sign")
    flags = box.find(id="sign-flags")
    assert flags is not None, words(box)
    html = str(box)
    assert html.index('id="sign-flags"') < html.index('/procedure/sign'), "said after the Sign button"
    return flags


@pytest.mark.parametrize("started_ago, minutes, flag", [
    (timedelta(minutes=4, seconds=50), 4, "shorter than 5 minutes"),
    (timedelta(minutes=42), 42, "longer than 30 minutes"),
])
def test_a_flagged_duration_is_said_beside_the_sign_button_before_signing_as_the_record_will_keep_it(
        gen, doctor, physician, started_ago, minutes, flag):
    record = gen.procedure(physician=physician, steps="all")
    record.started_at -= started_ago
    db.session.commit()
    record = fresh(record)

    flags = _before_signing(text(doctor.get(checklist_url(record.case_id))))

    assert "notice-warning" in flags["class"]
    said = words(flags)
    assert said.startswith("Before you sign: the signed record will say")
    assert (f"Duration: {minutes} minutes, from the start ({format_clinic(record.started_at, '%H:%M')}) to the "
            f"sign-out ({format_clinic(record.sign_out_at, '%H:%M')}) — flagged: {flag}") in said
    sign(doctor, record, version=record.version_id)
    assert fresh(record).duration_minutes == minutes
    assert f"{minutes} minutes</strong> — <strong>flagged: {flag}" in text(
        doctor.get(f"/cases/{record.case_id}/procedure/note")), "the record keeps what was shown"


def test_a_duration_inside_the_target_is_said_before_signing_without_a_flag(gen, doctor, physician):
    record, sign_out_at = _signed_out_late(gen, physician, started_ago=40, sign_out_after=23)
    for row in record.steps:  # checks that raised no warning (the builder's case has no risk screen)
        row.warnings = ""
    # The builder's start (a script's) checks the patient in: here one the desk had checked in.
    record.checked_in_at_start = False
    db.session.commit()

    flags = _before_signing(text(doctor.get(checklist_url(record.case_id))))

    assert "notice-warning" not in flags["class"]
    assert words(flags) == (f"Before you sign: the signed record will say Duration: 23 minutes, from the start "
                            f"({format_clinic(record.started_at, '%H:%M')}) to the sign-out "
                            f"({format_clinic(sign_out_at, '%H:%M')})")


def test_the_warnings_noted_and_the_starts_acknowledgements_are_said_before_signing(gen, doctor, physician):
    record = gen.procedure(physician=physician,
                           steps=("sign_in", "time_out", "positioning", "skin_prep", "fluoroscopy", "contrast"))
    record.started_at -= timedelta(minutes=20)
    record.pregnancy_acknowledged = "possible"
    record.checked_in_at_start = False  # the builder's start checks in; here the desk had
    db.session.commit()
    rows = {"rows": [{"drug": "bupivacaine", "concentration_mg_per_ml": "2.5", "dose_mg": "7.5", "volume_ml": "3",
                      "lot_number": "BU-1"}]}
    assert post_step(doctor, record.case_id, "injectate", rows, side="left").status_code == 302
    assert post_step(doctor, record.case_id, "sign_out", answers_for("sign_out")).status_code == 302

    flags = _before_signing(text(doctor.get(checklist_url(record.case_id))))

    assert "notice-warning" in flags["class"]
    lines = [words(item) for item in flags.find_all("li")]
    assert lines[0].startswith("Duration: 20 minutes") and "flagged" not in lines[0]
    # In the checklist's order, as the note prints them: the sign-in's (no risk screen here) first.
    assert ("Warning noted (Sign-in / verification): The risk screen does not answer the question on allergies "
            "(not asked): ask the patient before the time-out; the answer is not on the record.") in lines
    assert lines[-2:] == [
        "Warning noted (Injectate): Left side: 3.0 mL in total is more than the joint usually holds (about "
        "0.6–2.5 mL).",
        "Acknowledged at the start: Possibly pregnant on the risk screen"]


def test_nothing_is_said_of_the_duration_before_the_sign_out_is_recorded(gen, doctor, physician):
    record = gen.procedure(physician=physician, steps=("sign_in", "time_out"))

    box = soup(text(doctor.get(checklist_url(record.case_id)))).find("section", id="sign")

    assert box.find(id="sign-flags") is None, "the duration is not known until the sign-out"


def test_a_refused_abandon_lands_on_its_box_and_says_so_at_the_top(gen, doctor, physician):
    """The abandon box is at the foot of a checklist several screens long: a refusal shown from the
    top of the page (a vasovagal patient, the injectate already given) looked as if nothing had
    happened. The form's action carries the box's anchor, so the browser lands on it (and the page's
    script puts the focus there), and a line at the top says why, linked to it."""
    record = gen.procedure(physician=physician, steps=["sign_in", "time_out", "positioning", "skin_prep",
                                                       "fluoroscopy", "contrast", "injectate"])
    action = f"/cases/{record.case_id}/procedure/abandon#abandon"
    page = soup(doctor.get(checklist_url(record.case_id)))
    assert page.find(id="abandon") is not None and page.find(id="abandon").get("tabindex") == "-1"
    typed = {**form_data(form_posting_to(page, action)), "reason": "Vasovagal episode: HR 42"}

    refused = doctor.post(action.split("#")[0], data=typed)

    assert refused.status_code == 422
    top = by_id(text(refused), "not-abandoned")
    assert "Not abandoned:" in words(top) and links(top) == ["#abandon"]
    assert "Vasovagal episode: HR 42" in words(by_id(text(refused), "abandon"))


def test_a_refused_abandon_points_to_fields_the_sign_out_has(gen, doctor, physician):
    """The refusal sent the physician to the sign-out's "notes", which it does not have: what stopped
    her goes in a complication ticked, or Other with its description."""
    record = gen.procedure(physician=physician, steps=["sign_in", "time_out", "positioning", "skin_prep",
                                                       "fluoroscopy", "contrast", "injectate"])
    refused = submit(doctor, f"/cases/{record.case_id}/procedure/abandon",
                     {"version_id": record.version_id, "reason": "Vasovagal episode"},
                     form_page=checklist_url(record.case_id))
    said = field_error(text(refused), "reason")
    assert "notes" not in said
    assert "tick the complication (Vasovagal reaction, …), or Other with what stopped you in Other complication (describe)" in said
    sign_out = words(by_id(text(refused), "step-sign_out"))
    assert "Vasovagal reaction" in sign_out and "Other complication (describe)" in sign_out


def test_a_refused_addendum_lands_on_the_addenda_where_its_refusal_is(gen, doctor, physician):
    """The addenda are at the foot of a note several screens long: a refused addendum (its text left
    empty) came back at the top of the note, the refusal and the reason typed out of sight. The form's
    action carries the box's anchor, so the browser lands on it, and the box takes the focus."""
    record = gen.procedure(physician=physician, steps="all", sign=True)
    note_url = f"/cases/{record.case_id}/procedure/note"
    action = f"/cases/{record.case_id}/procedure/addenda#add-addendum"
    page = soup(doctor.get(note_url))
    assert page.find(id="add-addendum").get("tabindex") == "-1"
    typed = {**form_data(form_posting_to(page, action)), "reason": "Lot number correction", "text": ""}

    refused = doctor.post(action.split("#")[0], data=typed)

    assert refused.status_code == 422
    box = by_id(text(refused), "add-addendum")
    assert "Write the addendum." in words(box) and "Lot number correction" in text(refused)


def test_my_day_says_an_attempt_was_abandoned_and_why_on_the_appointments_card(gen, doctor, physician):
    """A wrong-side near miss abandoned at the sign-in leaves the appointment checked in and "Ready":
    My day's card, where the physician starts her next patient, showed nothing of it, so the same
    booking could be started again as it was. The card now says the attempt and its reason."""
    record = gen.procedure(physician=physician, steps=["sign_in"])
    reason = "Wrong-side near miss: patient and consent say RIGHT, booking says LEFT"
    done = submit(doctor, f"/cases/{record.case_id}/procedure/abandon",
                  {"version_id": record.version_id, "reason": reason}, form_page=checklist_url(record.case_id))
    assert done.status_code == 302
    record = fresh(record)

    card = words(soup(doctor.get("/schedule/mine")).find("a", string=record.case.patient.display_name)
                 .find_parent("article"))

    assert f"Earlier attempt abandoned at {format_clinic(record.abandoned_at, '%H:%M')} by {physician.name}: “{reason}”" in card
