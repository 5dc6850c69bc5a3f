"""The procedure checklist at the table through the real forms (CSRF on): starting a ready case,
each step saved and stamped, per-side needle steps on a bilateral case, the safety order, bad
input with clear messages and typed values kept, warnings that never block, two tabs saving the
same step, who may read and who may record, and a page that loads in a fixed number of queries."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tracker.extensions import db
from tracker.models import (Appointment, AuditEvent, Case, CaseHistory, ProcedureRecord, ProcedureStep,
                            RiskScreen)
from tracker.procedures.forms import form_prefix
from tracker.procedures import services
from tracker.procedures.records import acknowledged
from tracker.procedures.rules.schema import PER_SIDE_STEPS, Step
from tracker.roles import Role
from tracker.timeutil import format_clinic
from tracker.vocab import AppointmentStatus, Side
from tracker.workflow import State

from tests.builders import BEFORE, answers_for, checklist_url, form_fields, post_step
from tests.helpers import (by_id, csrf_from, field_error, form_data, form_posting_to, input_value, is_checked,
                           links, outer_html, selected, soup, submit, text, words)


# ------------------------------------------------------------------ helpers


def rows(record_id, step=None):
    db.session.expire_all()
    query = db.select(ProcedureStep).filter_by(record_id=record_id).order_by(ProcedureStep.id)
    if step:
        query = query.filter_by(step=step)
    return db.session.execute(query).scalars().all()


def ticked(row):
    """A saved step's answers without the boxes left unticked."""
    return {name: value for name, value in row.answers.items() if value is not False}


def step_box(page, anchor):
    return outer_html(page, anchor)


def this_morning():
    """An appointment that began a few minutes ago: a procedure starts on its appointment's day."""
    return datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)


def started(gen, physician, side=Side.LEFT, steps=(), **fields):
    return gen.procedure(side=side, physician=physician, steps=steps, **fields)


def send_form(client, page, action, **typed):
    """Send the form of `page` that posts to `action` as a browser does: what the form holds as
    shown, with `typed` ({field name: value}) filled in. The anchor of the action stays with the
    browser."""
    form = form_posting_to(page, action)
    return client.post(action.split("#", 1)[0], data={**form_data(form), **typed})


def answered(gen, case):
    """A risk screen answering what readiness waits for (no blood thinner, no known allergy), the case
    evaluated with it."""
    db.session.add(RiskScreen(case_id=case.id, anticoagulant_answer="none", allergy_answer="nkda",
                              red_flags_screened=True, red_flags_present=False))
    db.session.commit()
    gen.verdict(case)


def ready_to_start(gen, physician, **case_fields):
    """A ready case whose patient is checked in (a start before the check-in asks first:
    test_procedure_start_check_in)."""
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id, **case_fields)
    answered(gen, case)
    gen.appointment(case, physician=physician, starts_at=this_morning(), consent_obtained=True,
                    day_of_check_done=True, status=AppointmentStatus.CHECKED_IN)
    return case


# ------------------------------------------------------------------ starting

def test_the_physician_starts_a_ready_scheduled_case_and_the_start_time_is_recorded(gen, doctor, physician):
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id)
    answered(gen, case)
    appointment = gen.appointment(case, physician=physician, starts_at=this_morning(), consent_obtained=True,
                                  day_of_check_done=True, status=AppointmentStatus.CHECKED_IN)
    before = datetime.now(timezone.utc)

    response = submit(doctor, f"/cases/{case.id}/procedure/start", {"version_id": case.version_id},
                      form_page=checklist_url(case.id))

    assert response.status_code == 302 and response.location == checklist_url(case.id)
    db.session.expire_all()
    [record] = db.session.execute(db.select(ProcedureRecord)).scalars().all()
    assert db.session.get(Case, case.id).state == State.IN_PROCEDURE
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.IN_PROCEDURE
    assert record.started_by_id == physician.id and record.side == Side.LEFT
    assert before - timedelta(seconds=1) <= record.started_at <= datetime.now(timezone.utc)
    history = db.session.execute(db.select(CaseHistory).filter_by(case_id=case.id, action="start_procedure")).scalar_one()
    assert history.actor_id == physician.id
    page = text(doctor.get(checklist_url(case.id)))
    assert "Procedure started: the timer is running." in page
    assert by_id(page, "procedure-timer")["data-started-at"].startswith(record.started_at.isoformat())
    assert "(target 20–30 minutes)" in page


def test_the_running_timer_says_the_elapsed_time_in_words_not_as_a_clock_time(gen, doctor, physician):
    record = started(gen, physician)
    record.started_at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=17, seconds=10)
    db.session.commit()

    timer = by_id(text(doctor.get(checklist_url(record.case_id))), "procedure-timer")

    said = words(timer)
    assert said.startswith(f"Started {format_clinic(record.started_at, '%H:%M')} by Dr Priya Raman · elapsed 17 min 1")
    assert said.endswith(" s (target 20–30 minutes)") and said.count(":") == 1, "only the start is a clock time"

    record.started_at -= timedelta(minutes=45)
    db.session.commit()
    assert "· elapsed 1 h 02 min (target" in words(by_id(text(doctor.get(checklist_url(record.case_id))),
                                                          "procedure-timer"))


def test_a_case_that_is_not_ready_is_not_started_and_the_physician_is_told_why(gen, doctor, physician):
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id)
    answered(gen, case)
    appointment = gen.appointment(case, physician=physician, starts_at=this_morning())  # no consent, no day-of check

    response = submit(doctor, f"/cases/{case.id}/procedure/start", {"version_id": case.version_id},
                      form_page=checklist_url(case.id), follow_redirects=True)

    page = text(response)
    assert "The procedure was not started. Not ready: consent obtained; day-of check" in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == State.SCHEDULED
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.BOOKED
    assert db.session.execute(db.select(ProcedureRecord)).first() is None


def test_a_physicians_readiness_override_lets_the_procedure_start(gen, doctor, physician):
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id)
    gen.appointment(case, physician=physician, starts_at=this_morning(),
                    readiness_override_reason="Consent signed on paper in clinic",
                    readiness_override_by_id=physician.id, status=AppointmentStatus.CHECKED_IN)
    response = submit(doctor, f"/cases/{case.id}/procedure/start", {"version_id": case.version_id},
                      form_page=checklist_url(case.id))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == State.IN_PROCEDURE


def test_the_start_button_is_on_my_day_the_appointment_and_the_case_page(gen, doctor, physician):
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id)
    appointment = gen.appointment(case, physician=physician, starts_at=this_morning(), consent_obtained=True,
                                  day_of_check_done=True)
    start = f'action="/cases/{case.id}/procedure/start"'
    assert start in text(doctor.get(f"/appointments/{appointment.id}"))
    assert start in text(doctor.get(f"/cases/{case.id}"))
    day = appointment.starts_at.astimezone(timezone.utc).date()
    pages = [text(doctor.get(f"/schedule/mine?date={d.isoformat()}")) for d in (day - timedelta(days=1), day)]
    assert any(start in page for page in pages)


def test_starting_while_another_of_the_physicians_procedures_runs_asks_her_to_acknowledge_it(
        gen, doctor, physician):
    running = started(gen, physician, patient=gen.patient(family_name="Okafor", given_name="Ngozi", mrn="RUN-1"))
    running.started_at = datetime.now(timezone.utc) - timedelta(minutes=20)
    db.session.commit()
    case = ready_to_start(gen, physician)
    start = f"/cases/{case.id}/procedure/start"

    response = send_form(doctor, text(doctor.get(f"/cases/{case.id}")), start)

    assert response.status_code == 409
    page = text(response)
    warning = words(by_id(page, "other-procedure"))
    assert "You have another procedure in progress:" in warning
    assert "Okafor, Ngozi (MRN RUN-1)" in warning and "started by you" in warning and "20 minutes ago" in warning
    assert checklist_url(running.case_id) in links(by_id(page, "other-procedure"))
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == State.SCHEDULED, "nothing starts until she acknowledges it"
    assert db.session.execute(db.select(ProcedureRecord).filter_by(case_id=case.id)).first() is None

    response = send_form(doctor, page, start)

    assert response.status_code == 302 and response.location == checklist_url(case.id)
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == State.IN_PROCEDURE
    [record] = db.session.execute(db.select(ProcedureRecord).filter_by(case_id=case.id)).scalars().all()
    summaries = db.session.execute(db.select(AuditEvent.summary).filter_by(
        object_type="procedure_record", object_id=str(record.id))).scalars().all()
    assert f"case {case.id}: procedure started while case {running.case_id} was in procedure (acknowledged)" \
        in summaries
    assert record.acknowledged_case_ids == [running.case_id] and record.pregnancy_acknowledged is None
    said = (f"Another procedure in progress (case {running.case_id}), acknowledged by {physician.name} at "
            f"{format_clinic(record.started_at)}")
    note = soup(text(doctor.get(f"/cases/{case.id}/procedure/note")))
    assert [words(dt.find_next_sibling("dd")) for dt in note.find_all("dt")
            if words(dt) == "Acknowledged at the start"] == [said]
    assert said in words(by_id(text(doctor.get(f"/cases/{case.id}")), "procedure"))


def test_the_warning_says_how_long_ago_the_other_procedure_started_even_once_it_is_signed_out(
        gen, doctor, physician):
    # Started 50 minutes ago, signed out at 23 minutes, not signed: its duration stops at the
    # sign-out, but it started 50 minutes ago.
    running = started(gen, physician, steps="all")
    running.started_at = datetime.now(timezone.utc) - timedelta(minutes=50, seconds=30)
    next(row for row in running.steps if row.step.value == "sign_out").first_recorded_at = (
        running.started_at + timedelta(minutes=23))
    db.session.commit()
    case = ready_to_start(gen, physician)

    response = send_form(doctor, text(doctor.get(f"/cases/{case.id}")), f"/cases/{case.id}/procedure/start")

    assert response.status_code == 409
    assert "50 minutes ago" in words(by_id(text(response), "other-procedure"))


def test_a_start_recorded_at_an_earlier_time_names_only_procedures_already_running_then(gen, physician):
    # A script (the demo seed) starts a procedure at the time it happened: another of the
    # physician's procedures started after that time was not in progress at it, and is not named.
    later = started(gen, physician)
    case = ready_to_start(gen, physician)
    at = later.started_at - timedelta(minutes=2)

    record = services.start(case, physician, now=at, acknowledged=True)

    assert record.started_at == at and record.acknowledged_case_ids is None
    summary = db.session.execute(db.select(AuditEvent.summary).filter_by(
        object_type="procedure_record", object_id=str(record.id))).scalar_one()
    assert summary == f"case {case.id}: procedure started", "the audit row names no other procedure"
    assert not acknowledged(record)


def test_an_acknowledgement_holds_only_for_the_procedures_it_named(gen, doctor, physician):
    started(gen, physician)
    case = ready_to_start(gen, physician)
    start = f"/cases/{case.id}/procedure/start"
    page = text(send_form(doctor, text(doctor.get(f"/cases/{case.id}")), start))
    # Meanwhile she starts another one from a second tab.
    started(gen, physician, patient=gen.patient(family_name="Lindqvist", given_name="Eva", mrn="RUN-3"))

    response = send_form(doctor, page, start)

    assert response.status_code == 409
    assert "Lindqvist, Eva (MRN RUN-3)" in words(by_id(text(response), "other-procedure"))
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == State.SCHEDULED


def test_a_colleagues_procedure_in_progress_does_not_hold_up_the_start(gen, doctor, physician):
    started(gen, gen.user(Role.PHYSICIAN, name="Dr Other Room"))
    case = ready_to_start(gen, physician)
    response = send_form(doctor, text(doctor.get(f"/cases/{case.id}")), f"/cases/{case.id}/procedure/start")
    assert response.status_code == 302 and response.location == checklist_url(case.id)


# ------------------------------------------------------------------ each step

@pytest.mark.parametrize("step", list(BEFORE))
def test_each_step_is_saved_from_its_own_form_and_stamped_with_time_and_person(gen, doctor, physician, step):
    record = started(gen, physician, steps=BEFORE[step])
    side = "left" if Step(step) in PER_SIDE_STEPS else None

    response = post_step(doctor, record.case_id, step, answers_for(step), side=side)

    assert response.status_code == 302, field_error(text(response), "x") or text(response)[:3000]
    [row] = rows(record.id, step)
    assert row.recorded_by_id == physician.id
    assert (datetime.now(timezone.utc) - row.recorded_at) < timedelta(seconds=10)
    if step == "injectate":
        assert [(r.drug_code, r.dose_mg, r.volume_ml, r.lot_number) for r in row.injectate] == [
            ("triamcinolone", 40, 1, "TA-2231"), ("bupivacaine", Decimal("2.5"), 1, "BU-0917")]
    else:
        typed = answers_for(step)
        assert {k: v for k, v in row.answers.items() if v is not False} == \
            {k: v for k, v in typed.items() if v is not False}
        if step == "contrast":
            assert row.answers["vascular_uptake"] is False
    page = text(doctor.get(checklist_url(record.case_id)))
    box = step_box(page, f"step-{step}" + (f"-{side}" if side else ""))
    assert "✓ Done" in box and "by Dr Priya Raman" in box


def test_a_step_saved_part_filled_shows_what_is_still_missing_and_can_be_completed(gen, doctor, physician):
    record = started(gen, physician)
    partial = {"identifiers_confirmed": True, "side_confirmed": "left"}
    assert post_step(doctor, record.case_id, "sign_in", partial).status_code == 302
    box = step_box(text(doctor.get(checklist_url(record.case_id))), "step-sign_in")
    assert "Started: incomplete" in box
    assert "Still missing: Consent confirmed; Procedure confirmed; Site marked" in box

    [row] = rows(record.id, "sign_in")
    assert post_step(doctor, record.case_id, "sign_in", answers_for("sign_in"),
                     version=row.version_id).status_code == 302
    [row] = rows(record.id, "sign_in")
    assert row.answers["site_marked"] is True


def test_the_local_skin_anaesthetic_is_answered_used_or_not_used_and_either_completes_skin_prep(
        gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["skin_prep"])
    url = checklist_url(record.case_id)
    unanswered = {**answers_for("skin_prep"), "local_skin_anaesthetic": None}
    assert post_step(doctor, record.case_id, "skin_prep", unanswered).status_code == 302
    box = step_box(text(doctor.get(url)), "step-skin_prep")
    assert "Started: incomplete" in box and "Still missing: Local skin anaesthetic" in box

    [row] = rows(record.id, "skin_prep")
    skipped = {**answers_for("skin_prep"), "local_skin_anaesthetic": "not_used"}
    assert post_step(doctor, record.case_id, "skin_prep", skipped, version=row.version_id).status_code == 302

    [row] = rows(record.id, "skin_prep")
    assert row.answers["local_skin_anaesthetic"] == "not_used"
    page = text(doctor.get(url))
    box = step_box(page, "step-skin_prep")
    assert "✓ Done" in box and "Still missing" not in box
    assert is_checked(page, "skin_prep-local_skin_anaesthetic", "not_used")
    assert not is_checked(page, "skin_prep-local_skin_anaesthetic", "used")
    note = text(doctor.get(f"/cases/{record.case_id}/procedure/note"))
    assert "<dt>Local skin anaesthetic</dt><dd>Not used</dd>" in note


def test_a_skin_wheal_is_not_taken_for_an_answer_it_is_not(gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["skin_prep"])
    bad = {**answers_for("skin_prep"), "local_skin_anaesthetic": "sometimes"}
    response = post_step(doctor, record.case_id, "skin_prep", bad)
    assert response.status_code == 422
    assert field_error(text(response), "skin_prep-local_skin_anaesthetic") == \
        "Say whether local skin anaesthetic was used."
    assert rows(record.id, "skin_prep") == []


@pytest.mark.parametrize("saved, reads", [(True, "used"), (False, None)])
def test_a_skin_prep_saved_with_the_old_tick_box_reads_as_before(gen, doctor, physician, saved, reads):
    """Before "used / not used", the box was ticked (used) or left unticked (not answered)."""
    record = started(gen, physician, steps=[*BEFORE["skin_prep"], "skin_prep"])
    [row] = rows(record.id, "skin_prep")
    row.answers = {"prep_agent": "chlorhexidine_alcohol", "sterile_drape": True, "local_skin_anaesthetic": saved}
    db.session.commit()

    page = text(doctor.get(checklist_url(record.case_id)))
    box = step_box(page, "step-skin_prep")
    note = text(doctor.get(f"/cases/{record.case_id}/procedure/note"))
    if reads:
        assert "✓ Done" in box and is_checked(page, "skin_prep-local_skin_anaesthetic", "used")
        assert "<dt>Local skin anaesthetic</dt><dd>Used</dd>" in note
    else:
        assert "Still missing: Local skin anaesthetic" in box
        assert not is_checked(page, "skin_prep-local_skin_anaesthetic")
        assert "<dt>Local skin anaesthetic</dt>" not in note


def test_a_corrected_step_keeps_when_it_was_first_recorded_and_says_who_corrected_it_when(
        gen, doctor, physician, login_as, make_client, monkeypatch):
    """Imaging saved at :39, the contrast check at :40, imaging corrected at 1:06 by a colleague: the
    note must not put the imaging after the contrast injection."""
    from tracker.procedures import services

    record = started(gen, physician, steps=["sign_in", "time_out"])
    base = datetime.now(timezone.utc).replace(microsecond=0)
    clock = {"now": base + timedelta(seconds=39)}
    monkeypatch.setattr(services, "utcnow", lambda: clock["now"])
    assert post_step(doctor, record.case_id, "fluoroscopy", {**answers_for("fluoroscopy"), "views": "3"},
                     side="left").status_code == 302
    clock["now"] = base + timedelta(seconds=40)
    assert post_step(doctor, record.case_id, "contrast", answers_for("contrast"), side="left").status_code == 302
    colleague = login_as(gen.user(Role.PHYSICIAN, name="Dr Sam Okafor"), on=make_client())
    clock["now"] = base + timedelta(seconds=66)
    [imaging] = rows(record.id, "fluoroscopy")
    assert post_step(colleague, record.case_id, "fluoroscopy", answers_for("fluoroscopy"), side="left",
                     version=imaging.version_id).status_code == 302

    [imaging] = rows(record.id, "fluoroscopy")
    assert imaging.answers["views"] == "2"
    first, corrected = base + timedelta(seconds=39), base + timedelta(seconds=66)
    note = text(colleague.get(f"/cases/{record.case_id}/procedure/note"))
    assert (f"{format_clinic(first, '%Y-%m-%d %H:%M:%S')}, Dr Priya Raman "
            f"(corrected {format_clinic(corrected, '%H:%M:%S')} by Dr Sam Okafor)") in note
    assert f"{format_clinic(base + timedelta(seconds=40), '%Y-%m-%d %H:%M:%S')}, Dr Priya Raman</p>" in note
    box = step_box(text(colleague.get(checklist_url(record.case_id))), "step-fluoroscopy-left")
    assert (f"saved {format_clinic(first, '%H:%M:%S')} by Dr Priya Raman "
            f"(corrected {format_clinic(corrected, '%H:%M:%S')} by Dr Sam Okafor)") in words(box)


def test_after_a_save_the_page_moves_to_the_next_step_still_open(gen, doctor, physician):
    record = started(gen, physician, side=Side.BILATERAL, steps=["sign_in"])
    url = checklist_url(record.case_id)

    assert post_step(doctor, record.case_id, "time_out", answers_for("time_out")).location == url + "#step-positioning"
    # Skipping ahead: the next open box after skin prep is the left side's imaging.
    assert post_step(doctor, record.case_id, "skin_prep", answers_for("skin_prep")).location == \
        url + "#step-fluoroscopy-left"
    assert post_step(doctor, record.case_id, "fluoroscopy", answers_for("fluoroscopy"), side="right").location == \
        url + "#step-contrast-left", "the right side's imaging done, the left side's contrast is next"
    # A box saved part-filled stays in view (the right side's contrast: its imaging is recorded).
    partial = {"agent": "iohexol"}
    assert post_step(doctor, record.case_id, "contrast", partial, side="right").location == url + "#step-contrast-right"
    # The box the page moves to can take the focus (the script focuses the #target).
    page = text(doctor.get(url))
    assert 'id="step-positioning" class="step step-todo" aria-labelledby="step-positioning-h" tabindex="-1"' in page


def test_a_save_with_a_warning_stays_on_its_box_so_the_warning_is_read(gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["injectate"])
    answers = answers_for("injectate")
    first, *others = answers["rows"]
    answers["rows"] = [{**first, "dose_mg": "80", "volume_ml": "2"}, *others]  # above the usual 40 mg

    response = post_step(doctor, record.case_id, "injectate", answers, side="left")

    assert response.location == checklist_url(record.case_id) + "#step-injectate-left"


def test_with_every_step_done_the_page_moves_to_the_signature(gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["sign_out"])
    response = post_step(doctor, record.case_id, "sign_out", answers_for("sign_out"))
    assert response.location == checklist_url(record.case_id) + "#step-positioning", \
        "nothing open after the sign-out: the first open box from the top"
    post_step(doctor, record.case_id, "positioning", answers_for("positioning"))
    response = post_step(doctor, record.case_id, "skin_prep", answers_for("skin_prep"))
    assert response.location == checklist_url(record.case_id) + "#sign"


def test_a_bilateral_case_records_imaging_contrast_and_injectate_for_each_side(gen, doctor, physician):
    record = started(gen, physician, side=Side.BILATERAL, steps=BEFORE["contrast"])
    page = text(doctor.get(checklist_url(record.case_id)))
    for step in ("fluoroscopy", "contrast", "injectate"):
        for side in ("left", "right"):
            assert f'id="step-{step}-{side}"' in page
    assert 'id="step-sign_in"' in page and 'id="step-sign_in-left"' not in page

    for side in ("left", "right"):
        assert post_step(doctor, record.case_id, "contrast", answers_for("contrast"), side=side).status_code == 302
    right_only = {"rows": [{"drug": "dexamethasone", "concentration_mg_per_ml": "10", "dose_mg": "10",
                            "volume_ml": "1", "lot_number": "DX-1"}]}
    assert post_step(doctor, record.case_id, "injectate", right_only, side="right").status_code == 302

    by_side = {row.side.value: row for row in rows(record.id, "injectate")}
    assert list(by_side) == ["right"]
    assert [r.drug_code for r in by_side["right"].injectate] == ["dexamethasone"]
    assert sorted(row.side.value for row in rows(record.id, "contrast")) == ["left", "right"]


def test_a_bilateral_needle_step_without_a_side_is_refused(gen, doctor, physician):
    record = started(gen, physician, side=Side.BILATERAL, steps=["sign_in", "time_out"])
    response = post_step(doctor, record.case_id, "contrast", answers_for("contrast"))
    assert response.status_code == 409
    assert "Say which side, left or right, this step is for." in text(response)
    assert rows(record.id, "contrast") == []


# ------------------------------------------------------------------ order and safety

@pytest.mark.parametrize("step, done, message", [
    ("time_out", [], "Record the sign-in before the time-out."),
    ("fluoroscopy", ["sign_in"], "Record the time-out before any needle step (imaging, contrast, injectate)."),
    ("contrast", ["sign_in"], "Record the time-out before any needle step"),
    ("contrast", ["sign_in", "time_out"], "Record the imaging guidance before the contrast confirmation"),
    ("injectate", ["sign_in", "time_out"], "The injectate needs a contrast confirmation first"),
    ("sign_out", ["sign_in", "time_out", "fluoroscopy", "contrast"], "Record the injectate before the sign-out."),
])
def test_a_step_posted_out_of_order_is_refused_with_the_reason_and_nothing_is_stored(
        gen, doctor, physician, step, done, message):
    record = started(gen, physician, steps=done)
    side = "left" if Step(step) in PER_SIDE_STEPS else None
    typed = answers_for(step)

    response = post_step(doctor, record.case_id, step, typed, side=side)

    assert response.status_code == 409
    page = text(response)
    box = step_box(page, f"step-{step}" + (f"-{side}" if side else ""))
    assert "Not saved:" in box and message in box
    anchor = f"step-{step}" + (f"-{side}" if side else "")
    top = page.split('class="patient-banner"', 1)[1].split("<section", 1)[0]
    assert f'<strong>Not saved:</strong>' in top and f'href="#{anchor}"' in top, \
        "a long page names the refused step at its top, linked to its box"
    assert rows(record.id, step) == []
    if step == "time_out":
        assert is_checked(page, "time_out-patient_confirmed"), "the ticks given are kept"


def test_the_page_says_which_steps_cannot_be_recorded_yet(gen, doctor, physician):
    record = started(gen, physician, steps=["sign_in"])
    page = text(doctor.get(checklist_url(record.case_id)))
    assert "Not yet: Record the time-out before any needle step" in step_box(page, "step-contrast-left")
    assert "Not yet:" not in step_box(page, "step-time_out")


def test_vascular_uptake_asks_for_a_reposition_and_a_repeat_check_and_every_check_is_kept(
        gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["contrast"])
    vascular = {**answers_for("contrast"), "vascular_uptake": True}

    first = post_step(doctor, record.case_id, "contrast", vascular, side="left")
    assert first.status_code == 302
    page = text(doctor.get(checklist_url(record.case_id)))
    assert "Warning: Vascular uptake: reposition the needle and repeat the contrast check before injecting." in page
    box = step_box(page, "step-contrast-left")
    assert "Repeat check needed" in box and "Contrast check 1" in box
    assert "record the repeat check (check 2) below" in box
    assert input_value(box, "contrast-left-attempt") == "2"
    refused = post_step(doctor, record.case_id, "injectate", answers_for("injectate"), side="left")
    assert refused.status_code == 409
    assert "Vascular uptake: reposition the needle and repeat the contrast check before injecting." in text(refused)

    repeat = post_step(doctor, record.case_id, "contrast", answers_for("contrast"), side="left", attempt="2")
    assert repeat.status_code == 302
    checks = rows(record.id, "contrast")
    assert [(c.attempt, c.answers["vascular_uptake"]) for c in checks] == [(1, True), (2, False)]
    assert post_step(doctor, record.case_id, "injectate", answers_for("injectate"), side="left").status_code == 302


def test_contrast_may_be_omitted_only_for_a_documented_contrast_allergy(gen, doctor, physician):
    omitted = {"omitted": True, "omission_reason": "Anaphylaxis to iohexol in 2019"}
    record = started(gen, physician, steps=BEFORE["contrast"])
    assert post_step(doctor, record.case_id, "contrast", omitted, side="left").status_code == 302
    refused = post_step(doctor, record.case_id, "injectate", answers_for("injectate"), side="left")
    assert refused.status_code == 409
    assert "Contrast may be omitted only for a documented contrast allergy" in text(refused)

    allergic = started(gen, physician, steps=BEFORE["contrast"])
    db.session.add(RiskScreen(case_id=allergic.case_id, allergy_contrast=True))
    db.session.commit()
    assert post_step(doctor, allergic.case_id, "contrast", omitted, side="left").status_code == 302
    assert post_step(doctor, allergic.case_id, "injectate", answers_for("injectate"), side="left").status_code == 302


def contrast_box(page, side="left"):
    return soup(page).find("section", id=f"step-contrast-{side}")


def note_section(page, label):
    return soup(page).find("section", attrs={"aria-label": label})


def values_said(node):
    """A saved step's values as its box or the note lists them: {label: text}."""
    return {words(dt): words(dt.find_next_sibling("dd")) for dt in node.select("dl.summary dt")}


NOT_CONFIRMED = ("Not a contrast confirmation: Contrast may be omitted only for a documented contrast allergy, and "
                 "none is recorded for this patient: confirm the needle position with contrast before the injectate.")


def test_contrast_omitted_without_a_documented_allergy_says_so_and_is_never_done(gen, doctor, physician):
    """Walkthrough: contrast omitted ("Contrast not available") for a patient with no contrast
    allergy read "✓ Done" on the checklist, like a confirmed spread, while the injectate was refused."""
    record = started(gen, physician, steps=BEFORE["contrast"])
    omitted = {"omitted": True, "omission_reason": "Contrast not available"}
    assert post_step(doctor, record.case_id, "contrast", omitted, side="left").status_code == 302

    page = text(doctor.get(checklist_url(record.case_id)))
    box = contrast_box(page)
    assert words(box.h2.select_one(".badge")) == "Omitted: Contrast not available"
    assert "Done" not in words(box.h2) and "step-done" not in box["class"]
    assert NOT_CONFIRMED in words(box)
    assert (f"Contrast confirmation: {NOT_CONFIRMED.split(': ', 1)[1]}"
            in words(soup(page).find("section", id="sign").details))
    note = note_section(text(doctor.get(f"/cases/{record.case_id}/procedure/note")), "Contrast confirmation (left)")
    assert values_said(note) == {"Contrast": "Omitted: Contrast not available"}
    assert NOT_CONFIRMED in words(note)


def test_contrast_omitted_for_a_documented_allergy_reads_omitted_with_its_reason_to_the_signed_record(
        gen, doctor, physician):
    record = started(gen, physician, steps=["sign_in", "time_out", "positioning", "skin_prep", "fluoroscopy"])
    db.session.add(RiskScreen(case_id=record.case_id, allergy_contrast=True))
    db.session.commit()
    omitted = {"omitted": True, "omission_reason": "Anaphylaxis to iohexol in 2019"}
    assert post_step(doctor, record.case_id, "contrast", omitted, side="left").status_code == 302
    for step in ("injectate", "sign_out"):
        assert post_step(doctor, record.case_id, step, answers_for(step), side="left").status_code == 302
    db.session.expire_all()
    version = db.session.get(ProcedureRecord, record.id).version_id
    signed = submit(doctor, f"/cases/{record.case_id}/procedure/sign", {"version_id": version},
                    form_page=checklist_url(record.case_id))
    assert signed.status_code == 302, words(text(signed))

    box = contrast_box(text(doctor.get(checklist_url(record.case_id))))
    assert words(box.h2.select_one(".badge")) == "Omitted: Anaphylaxis to iohexol in 2019"
    assert "Done" not in words(box.h2) and "Not a contrast confirmation" not in words(box)
    assert values_said(box) == {"Contrast": "Omitted: Anaphylaxis to iohexol in 2019"}
    note = note_section(text(doctor.get(f"/cases/{record.case_id}/procedure/note")), "Contrast confirmation (left)")
    assert values_said(note) == {"Contrast": "Omitted: Anaphylaxis to iohexol in 2019"}
    assert "Not a contrast confirmation" not in words(note)


def test_the_banner_says_not_asked_and_sign_in_warns_when_the_risk_screen_left_a_question_unanswered(
        gen, doctor, physician):
    record = started(gen, physician)
    db.session.add(RiskScreen(case_id=record.case_id, anticoagulant_answer="none"))
    db.session.commit()
    page = text(doctor.get(checklist_url(record.case_id)))
    assert "Allergies: <strong>not asked</strong> · Anticoagulants: <strong>none</strong>" in page

    response = post_step(doctor, record.case_id, "sign_in", answers_for("sign_in"), side=None)

    assert response.status_code == 302
    [row] = rows(record.id, "sign_in")
    assert row.warnings == ("The risk screen does not answer the question on allergies (not asked): ask the "
                            "patient before the time-out; the answer is not on the record.")


def test_ultrasound_guidance_needs_a_stated_reason(gen, doctor, physician):
    record = started(gen, physician, steps=["sign_in", "time_out"])
    response = post_step(doctor, record.case_id, "fluoroscopy",
                         {"modality": "ultrasound", "needle_gauge": "22"}, side="left")
    assert response.status_code == 422
    assert field_error(text(response), "fluoroscopy-left-ultrasound_reason") == \
        "Ultrasound guidance needs a stated reason."
    assert rows(record.id, "fluoroscopy") == []


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("step, changes, field, message", [
    ("fluoroscopy", {"fluoroscopy_time_s": "3601"}, "fluoroscopy_time_s",
     "A fluoroscopy time of 3601 s is over an hour; check the value (it is in seconds)."),
    ("fluoroscopy", {"air_kerma_mgy": "-0.5"}, "air_kerma_mgy", "Reference air kerma cannot be negative."),
    ("fluoroscopy", {"dap_mgy_cm2": "-12"}, "dap_mgy_cm2", "Dose-area product cannot be negative."),
    ("fluoroscopy", {"views": "1"}, "views", "At least 2 views are needed to confirm the needle position."),
    ("fluoroscopy", {"needle_gauge": "twenty-two"}, "needle_gauge", "Enter a number."),
    ("contrast", {"volume_ml": "12"}, "volume_ml",
     "12.0 mL of contrast is more than 10 mL; an arthrogram usually needs 0.25–1 mL. Check the value."),
    ("contrast", {"volume_ml": "0"}, "volume_ml", "The contrast volume must be more than 0 mL."),
    ("sign_out", {"pain_nrs": "11"}, "pain_nrs", "Pain is scored from 0 to 10."),
    ("sign_out", {"complications": ["none", "bleeding"]}, "complications",
     "\"None\" cannot be combined with a complication."),
])
def test_absurd_numbers_are_refused_next_to_the_field_and_the_typed_values_are_kept(
        gen, doctor, physician, step, changes, field, message):
    record = started(gen, physician, steps=BEFORE[step])
    side = "left" if Step(step) in PER_SIDE_STEPS else None
    typed = {**answers_for(step), **changes}

    response = post_step(doctor, record.case_id, step, typed, side=side)

    assert response.status_code == 422
    page = text(response)
    prefix = form_prefix(Step(step), side)
    assert field_error(page, prefix + field) == message
    for name, value in typed.items():
        if isinstance(value, str) and name not in ("modality", "arthrogram_pattern", "pain_nrs", "agent"):
            assert input_value(page, prefix + name) == value, f"{name} was not kept"
    assert rows(record.id, step) == []


def test_a_fluoroscopy_time_outside_the_usual_range_is_asked_about_then_saved_with_the_reason_on_the_note(
        gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["fluoroscopy"])
    url = checklist_url(record.case_id)
    save = f"/cases/{record.case_id}/procedure/steps/fluoroscopy?side=left#step-fluoroscopy-left"
    typed = {f"fluoroscopy-left-{name}": value for name, value in answers_for("fluoroscopy").items()}
    typed.update({"fluoroscopy-left-fluoroscopy_time_s": "1400", "fluoroscopy-left-views": "1"})
    assert "I have checked the fluoroscopy time and dose" not in step_box(text(doctor.get(url)),
                                                                          "step-fluoroscopy-left"), "asked only when needed"

    refused = send_form(doctor, text(doctor.get(url)), save, **typed)

    assert refused.status_code == 422
    page = text(refused)
    assert field_error(page, "fluoroscopy-left-fluoroscopy_time_s") == (
        "1400 s is 23 min 20 s of fluoroscopy; an SI joint injection usually takes under a minute: check the unit, "
        "or confirm below with the reason.")
    assert field_error(page, "fluoroscopy-left-views") == "At least 2 views are needed to confirm the needle position.", \
        "said on the same save as the other errors"
    assert field_error(page, "fluoroscopy-left-dose_reason").startswith("Not saved: a fluoroscopy time or dose")
    assert input_value(page, "fluoroscopy-left-fluoroscopy_time_s") == "1400", "what was typed is kept"
    assert input_value(page, "fluoroscopy-left-dap_mgy_cm2") == typed["fluoroscopy-left-dap_mgy_cm2"]
    assert rows(record.id, "fluoroscopy") == []

    typed["fluoroscopy-left-views"] = "2"
    assert send_form(doctor, page, save, **typed, **{"fluoroscopy-left-dose_confirmed": "y"}).status_code == 422, \
        "a tick alone is not a reason"
    reason = "Severe scoliosis: many views to reach the joint; time checked on the fluoroscope"
    response = send_form(doctor, page, save, **typed, **{"fluoroscopy-left-dose_confirmed": "y",
                                                         "fluoroscopy-left-dose_reason": reason})

    assert response.status_code == 302
    [row] = rows(record.id, "fluoroscopy")
    assert row.answers["dose_reason"] == reason and row.answers["fluoroscopy_time_s"] == "1400"
    line = ("Confirmed outside the usual range: 1400 s is 23 min 20 s of fluoroscopy; an SI joint injection usually "
            f"takes under a minute. Reason: {reason}")
    assert row.warnings.splitlines() == [line]
    reopened = text(doctor.get(url))
    assert not is_checked(reopened, "fluoroscopy-left-dose_confirmed"), \
        "the tick confirms what it was given for: a correction is confirmed again"
    assert input_value(reopened, "fluoroscopy-left-dose_reason") == reason
    note = soup(text(doctor.get(f"/cases/{record.case_id}/procedure/note")))
    assert f"Warning noted: {line}" in [words(li) for li in note.select(".note-warnings li")]

    # Corrected to 40 s, nothing is asked and the confirmation is no longer kept.
    assert post_step(doctor, record.case_id, "fluoroscopy", {**answers_for("fluoroscopy"), "fluoroscopy_time_s": "40"},
                     side="left", version=row.version_id).status_code == 302
    [row] = rows(record.id, "fluoroscopy")
    assert "dose_reason" not in row.answers and "dose_confirmed" not in row.answers and row.warnings == ""


def test_one_refused_save_lists_every_problem_at_the_top_of_its_box_and_a_comma_says_use_a_point(
        gen, doctor, physician):
    # The walkthrough's imaging step: five bad fields, the last one (a comma) below the fold.
    record = started(gen, physician, steps=BEFORE["fluoroscopy"])
    typed = {**answers_for("fluoroscopy"), "views": "1", "needle_gauge": "0", "fluoroscopy_time_s": "4000",
             "air_kerma_mgy": "-1", "dap_mgy_cm2": "1,5"}

    response = post_step(doctor, record.case_id, "fluoroscopy", typed, side="left")

    assert response.status_code == 422
    page = text(response)
    assert field_error(page, "fluoroscopy-left-dap_mgy_cm2") == "Use a point for decimals: 1.5"
    summary = soup(page).find("section", id="step-fluoroscopy-left").find(class_="step-errors")
    assert "Not saved: please correct the highlighted fields:" in summary.get_text()
    listed = {a["href"]: " ".join(a.parent.get_text().split()) for a in summary.find_all("a")}
    assert listed == {
        "#fluoroscopy-left-views": "Number of views: At least 2 views are needed to confirm the needle position.",
        "#fluoroscopy-left-needle_gauge": "Needle gauge: A needle gauge is between 16 G and 30 G.",
        "#fluoroscopy-left-fluoroscopy_time_s": "Fluoroscopy time (s): A fluoroscopy time of 4000 s is over an "
                                                "hour; check the value (it is in seconds).",
        "#fluoroscopy-left-air_kerma_mgy": "Reference air kerma (mGy): Reference air kerma cannot be negative.",
        "#fluoroscopy-left-dap_mgy_cm2": "Dose-area product (mGy·cm²): Use a point for decimals: 1.5",
    }
    assert rows(record.id, "fluoroscopy") == []


def test_an_injectate_rows_comma_is_listed_with_its_drug(gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["injectate"])
    typed = {"rows": [{"drug": "bupivacaine", "concentration_mg_per_ml": "5", "dose_mg": "7,5",
                       "volume_ml": "1,5", "lot_number": "BU-77"}]}
    page = text(post_step(doctor, record.case_id, "injectate", typed, side="left"))
    summary = soup(page).find("section", id="step-injectate-left").find(class_="step-errors")
    listed = [" ".join(li.get_text().split()) for li in summary.find_all("li")]
    assert listed == ["Drug 1: Dose (mg): Use a point for decimals: 7.5",
                      "Drug 1: Volume (mL): Use a point for decimals: 1.5"]


def test_a_dose_that_does_not_match_the_concentration_and_volume_is_refused_on_its_row(gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["injectate"])
    typed = {"rows": [{"drug": "triamcinolone", "concentration_mg_per_ml": "40", "dose_mg": "40",
                       "volume_ml": "2", "lot_number": "TA-2231"}]}

    response = post_step(doctor, record.case_id, "injectate", typed, side="left")

    assert response.status_code == 422
    page = text(response)
    assert by_id(page, "injectate-left-rows-0-error").get_text() == (
        "40 mg at 40 mg/mL is 1.0 mL, not 2.0 mL; 2.0 mL of it is 80 mg. Dose = concentration × volume: correct the "
        "one mistyped.")
    assert input_value(page, "injectate-left-rows-0-volume_ml") == "2"
    assert input_value(page, "injectate-left-rows-0-lot_number") == "TA-2231"
    assert rows(record.id, "injectate") == []


# ------------------------------------------------------------------ strengths outside the formulary

def bupivacaine(concentration, dose="5", volume="1"):
    return {"rows": [{"drug": "bupivacaine", "concentration_mg_per_ml": concentration, "dose_mg": dose,
                      "volume_ml": volume, "lot_number": "BU-77"}]}


def test_a_concentration_typed_as_a_percentage_is_saved_in_mg_per_ml_and_shown_in_both(gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["injectate"])

    response = post_step(doctor, record.case_id, "injectate", bupivacaine("0.5 %"), side="left")

    assert response.status_code == 302, field_error(text(response), "injectate-left-rows-0-concentration_mg_per_ml")
    [row] = rows(record.id, "injectate")
    assert [(r.concentration_mg_per_ml, r.dose_mg) for r in row.injectate] == [(5, 5)]
    assert row.warnings == "" and row.answers == {}
    page = text(doctor.get(checklist_url(record.case_id)))
    assert 'value="5"' in step_box(page, "step-injectate-left")
    assert "5 mg/mL (0.5 %)" in step_box(page, "step-injectate-left")
    note = text(doctor.get(f"/cases/{record.case_id}/procedure/note"))
    assert "5 mg/mL (0.5 %), 5 mg, 1 mL, lot BU-77" in note


def test_a_strength_outside_the_formulary_is_a_hard_stop_that_keeps_what_was_typed(gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["injectate"])

    # 0.5 typed meaning 0.5 %: a tenth of the listed 5 mg/mL.
    response = post_step(doctor, record.case_id, "injectate", bupivacaine("0.5", dose="0.5"), side="left")

    assert response.status_code == 422
    page = text(response)
    assert field_error(page, "injectate-left-rows-0-concentration_mg_per_ml") == (
        "Bupivacaine at 0.5 mg/mL (0.05 %) is a tenth of the listed 5 mg/mL (0.5 %): a slipped decimal point, or a "
        "percentage typed as mg/mL? Correct it, or confirm it below with the reason.")
    assert field_error(page, "injectate-left-strength_reason").startswith(
        "Not saved: a strength, dose or volume outside the usual range needs your confirmation and the reason")
    assert input_value(page, "injectate-left-rows-0-concentration_mg_per_ml") == "0.5"
    assert input_value(page, "injectate-left-rows-0-lot_number") == "BU-77"
    assert "I have checked the strength, dose and volume and confirm them as typed" in page
    assert rows(record.id, "injectate") == []

    ticked_only = {**bupivacaine("0.5", dose="0.5"), "strength_confirmed": True}
    response = post_step(doctor, record.case_id, "injectate", ticked_only, side="left")
    assert response.status_code == 422, "a tick without a reason is not a confirmation"
    assert is_checked(text(response), "injectate-left-strength_confirmed")
    assert rows(record.id, "injectate") == []


def test_a_strength_outside_the_formulary_confirmed_with_a_reason_is_saved_shown_and_audited(gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["injectate"])
    confirmed = {**bupivacaine("0.5", dose="0.5"), "strength_confirmed": True,
                 "strength_reason": "Diluted 1:10 on purpose for a test dose"}

    response = post_step(doctor, record.case_id, "injectate", confirmed, side="left")

    assert response.status_code == 302
    assert response.location.endswith("#step-injectate-left"), "the page stays on the step with its confirmation"
    [row] = rows(record.id, "injectate")
    assert row.answers == {"strength_reason": "Diluted 1:10 on purpose for a test dose"}
    assert row.warnings.startswith("Confirmed outside the formulary: Bupivacaine at 0.5 mg/mL (0.05 %) is a tenth")
    box = step_box(text(doctor.get(checklist_url(record.case_id))), "step-injectate-left")
    assert ("Strength, dose or volume outside the usual range confirmed</strong> by Dr Priya Raman: “Diluted 1:10 on "
            "purpose for a test dose”") in box
    # Shown again, the reason is kept but the box is not ticked: a tick confirms the problems shown
    # when it was given, never those a correction brings.
    assert not is_checked(box, "injectate-left-strength_confirmed")
    assert input_value(box, "injectate-left-strength_reason") == "Diluted 1:10 on purpose for a test dose"
    note = text(doctor.get(f"/cases/{record.case_id}/procedure/note"))
    assert "Strength, dose or volume outside the usual range, confirmed by Dr Priya Raman at" in note
    assert "Reason: Diluted 1:10 on purpose for a test dose" in note
    audit = db.session.execute(db.select(AuditEvent).filter(AuditEvent.summary.like("%injectate%"))).scalar_one()
    assert audit.summary.endswith("injectate saved, a strength, dose or volume outside the usual range confirmed with "
                                  "a reason, with warnings")
    assert "Diluted" not in audit.summary, "the audit names what was saved, never the clinical values"

    # Corrected to a listed strength: the confirmation goes with the strength it was for.
    response = post_step(doctor, record.case_id, "injectate", bupivacaine("5"), side="left", version=row.version_id)
    assert response.status_code == 302
    [row] = rows(record.id, "injectate")
    assert row.answers == {} and row.warnings == ""


def test_one_save_shows_every_rows_problems_the_strength_hard_stop_with_another_rows_mismatch(
        gen, doctor, physician):
    # At the table, gloved: row 1's slipped decimal point is said on the same save as row 2's
    # mismatch (it waited for row 2 to be corrected, a second refusal).
    record = started(gen, physician, steps=BEFORE["injectate"])
    typed = {"rows": [{"drug": "bupivacaine", "concentration_mg_per_ml": "0.5", "dose_mg": "0.75",
                       "volume_ml": "1.5", "lot_number": "BU-77"},
                      {"drug": "triamcinolone", "concentration_mg_per_ml": "40", "dose_mg": "400",
                       "volume_ml": "1", "lot_number": "TA-2231"}]}

    response = post_step(doctor, record.case_id, "injectate", typed, side="left")

    assert response.status_code == 422
    page = text(response)
    prefix = "injectate-left-"
    assert field_error(page, prefix + "rows-0-concentration_mg_per_ml") == (
        "Bupivacaine at 0.5 mg/mL (0.05 %) is a tenth of the listed 5 mg/mL (0.5 %): a slipped decimal point, or a "
        "percentage typed as mg/mL? Correct it, or confirm it below with the reason.")
    assert by_id(page, prefix + "rows-1-error").get_text().startswith("400 mg at 40 mg/mL is 10.0 mL, not 1.0 mL;")
    assert field_error(page, prefix + "rows-1-dose_mg") == (
        "Triamcinolone acetonide 400 mg is ten times or more the usual maximum of 40 mg per SI joint. Correct it, or "
        "confirm it below with the reason.")
    assert field_error(page, prefix + "strength_reason").startswith(
        "Not saved: a strength, dose or volume outside the usual range needs your confirmation and the reason")
    for name, value in (("rows-0-concentration_mg_per_ml", "0.5"), ("rows-1-dose_mg", "400"),
                        ("rows-1-lot_number", "TA-2231")):
        assert input_value(page, prefix + name) == value
    assert rows(record.id, "injectate") == []

    # Row 2 corrected and row 1 confirmed with its reason: the next save goes through.
    typed["rows"][1]["dose_mg"] = "40"
    confirmed = {**typed, "strength_confirmed": True, "strength_reason": "Diluted 1:10 on purpose for a test dose"}
    response = post_step(doctor, record.case_id, "injectate", confirmed, side="left")
    assert response.status_code == 302, field_error(text(response), prefix + "rows-0-concentration_mg_per_ml")
    [row] = rows(record.id, "injectate")
    assert row.answers == {"strength_reason": "Diluted 1:10 on purpose for a test dose"}


# The walkthrough's overdose (walk3 F4): 500 mg of bupivacaine in 100 mL, 10 g of lidocaine in 500 mL.
OVERDOSES = ((("bupivacaine", "5", "500", "100", "B1"), "Bupivacaine 500 mg is above the usual maximum of 25 mg"),
             (("lidocaine", "20", "10000", "500", "L1"), "Lidocaine 10000 mg is above the usual maximum of 100 mg"))


def one_row(drug, concentration, dose, volume, lot):
    return {"rows": [{"drug": drug, "concentration_mg_per_ml": concentration, "dose_mg": dose, "volume_ml": volume,
                      "lot_number": lot}]}


@pytest.mark.parametrize("row, dose_said", OVERDOSES)
def test_a_local_anaesthetic_overdose_in_a_large_volume_is_stopped_and_asks_for_a_confirmation(
        gen, doctor, physician, row, dose_said):
    record = started(gen, physician, steps=BEFORE["injectate"])

    response = post_step(doctor, record.case_id, "injectate", one_row(*row), side="left")

    assert response.status_code == 422
    page = text(response)
    prefix = "injectate-left-rows-0-"
    assert field_error(page, prefix + "dose_mg") == (
        f"{dose_said} per SI joint. Correct it, or confirm it below with the reason.")
    assert field_error(page, prefix + "volume_ml") == (
        f"{row[3]}.0 mL in total is far more than an SI joint holds (about 0.6–2.5 mL; more than 5 mL is asked "
        f"about). Correct it, or confirm it below with the reason.")
    assert field_error(page, "injectate-left-strength_reason").startswith("Not saved:")
    assert "I have checked the strength, dose and volume and confirm them as typed" in page
    for name, value in zip(("concentration_mg_per_ml", "dose_mg", "volume_ml", "lot_number"), row[1:]):
        assert input_value(page, prefix + name) == value, f"{name} was not kept"
    assert rows(record.id, "injectate") == [], "nothing is saved until it is corrected or confirmed"


def test_a_large_volume_confirmed_with_a_reason_is_saved_and_noted_on_the_note_and_in_the_audit_trail(
        gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["injectate"])
    typed = {**one_row("bupivacaine", "2.5", "20", "8", "B1"), "strength_confirmed": True,
             "strength_reason": "Periarticular spread planned as well; checked the syringe"}

    response = post_step(doctor, record.case_id, "injectate", typed, side="left")

    assert response.status_code == 302, field_error(text(response), "injectate-left-rows-0-volume_ml")
    [row] = rows(record.id, "injectate")
    assert row.answers == {"strength_reason": "Periarticular spread planned as well; checked the syringe"}
    confirmed = ("Confirmed outside the formulary: 8.0 mL in total is far more than an SI joint holds (about "
                 "0.6–2.5 mL; more than 5 mL is asked about). Reason: Periarticular spread planned as well; "
                 "checked the syringe")
    assert row.warnings.splitlines() == [
        confirmed, "Left side: 8.0 mL in total is more than the joint usually holds (about 0.6–2.5 mL)."]
    note = text(doctor.get(f"/cases/{record.case_id}/procedure/note"))
    assert "Strength, dose or volume outside the usual range, confirmed by Dr Priya Raman at" in note
    assert confirmed in words(note)
    audit = db.session.execute(db.select(AuditEvent).filter(AuditEvent.summary.like("%injectate%"))).scalar_one()
    assert audit.summary.endswith("injectate saved, a strength, dose or volume outside the usual range confirmed with "
                                  "a reason, with warnings")


def test_the_walkthrough_s_bupivacaine_overdose_confirmed_with_a_reason_says_both_on_the_note(gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["injectate"])
    typed = {**one_row("bupivacaine", "5", "500", "100", "B1"), "strength_confirmed": True,
             "strength_reason": "Record test"}

    assert post_step(doctor, record.case_id, "injectate", typed, side="left").status_code == 302

    note = words(text(doctor.get(f"/cases/{record.case_id}/procedure/note")))
    assert ("Confirmed outside the formulary: Bupivacaine 500 mg is above the usual maximum of 25 mg per SI joint. "
            "Reason: Record test") in note
    assert "Confirmed outside the formulary: 100.0 mL in total is far more than an SI joint holds" in note


def test_two_local_anaesthetics_above_their_maximum_together_are_stopped_then_saved_once_confirmed(
        gen, doctor, physician):
    # A clinic that keeps lidocaine to 3 mL of 2 % per joint (60 mg): 2 mL of it (67 % of that) with
    # 2 mL of 0.5 % bupivacaine (10 mg, 40 % of 25 mg), each within its own maximum and 4 mL in all.
    services.formulary()["lidocaine"].usual_max_dose_mg = Decimal("60")
    db.session.commit()
    record = started(gen, physician, steps=BEFORE["injectate"])
    url = checklist_url(record.case_id)
    save = f"/cases/{record.case_id}/procedure/steps/injectate?side=left#step-injectate-left"
    prefix = "injectate-left-rows-"
    typed = {f"{prefix}0-drug": "lidocaine", f"{prefix}0-concentration_mg_per_ml": "2 %", f"{prefix}0-dose_mg": "40",
             f"{prefix}0-volume_ml": "2", f"{prefix}0-lot_number": "LI-31",
             f"{prefix}1-drug": "bupivacaine", f"{prefix}1-concentration_mg_per_ml": "5", f"{prefix}1-dose_mg": "10",
             f"{prefix}1-volume_ml": "2", f"{prefix}1-lot_number": "BU-77"}

    refused = send_form(doctor, text(doctor.get(url)), save, **typed)

    assert refused.status_code == 422
    page = text(refused)
    said = ("Lidocaine 40 mg (66.7 % of its maximum) and bupivacaine 10 mg (40 %) together reach 106.7 % of the local "
            "anaesthetic maximum for one joint: their toxicity adds up, so together they are above the usual maximum.")
    assert field_error(page, f"{prefix}1-dose_mg") == f"{said} Correct it, or confirm it below with the reason."
    assert field_error(page, f"{prefix}0-dose_mg") is None
    assert field_error(page, "injectate-left-strength_reason").startswith("Not saved:")
    for name, value in typed.items():
        shown = selected(page, name) if name.endswith("-drug") else input_value(page, name)
        assert shown == value, f"{name} was not kept"
    assert rows(record.id, "injectate") == [], "nothing is saved until it is corrected or confirmed"

    # The refused form as it stands, with only the confirmation and its reason added.
    reason = "Bupivacaine for the longer block; lidocaine total checked with the anaesthetist"
    response = send_form(doctor, page, save, **{"injectate-left-strength_confirmed": "y",
                                                "injectate-left-strength_reason": reason})

    assert response.status_code == 302, field_error(text(response), f"{prefix}1-dose_mg")
    [row] = rows(record.id, "injectate")
    assert [(line.drug_code, line.dose_mg, line.lot_number) for line in row.injectate] == [
        ("lidocaine", Decimal("40"), "LI-31"), ("bupivacaine", Decimal("10"), "BU-77")]
    assert row.answers == {"strength_reason": reason}
    assert row.warnings.splitlines() == [f"Confirmed outside the formulary: {said} Reason: {reason}",
                                         "Left side: 4.0 mL in total is more than the joint usually holds "
                                         "(about 0.6–2.5 mL)."]
    note = words(text(doctor.get(f"/cases/{record.case_id}/procedure/note")))
    assert f"Confirmed outside the formulary: {said} Reason: {reason}" in note


def test_a_usual_injection_of_bupivacaine_saves_without_a_question(gen, doctor, physician):
    # 1.5 mL of 0.5 %: 7.5 mg, well inside the joint and the maximum.
    record = started(gen, physician, steps=BEFORE["injectate"])

    response = post_step(doctor, record.case_id, "injectate", one_row("bupivacaine", "0.5 %", "7.5", "1.5", "B1"),
                         side="left")

    assert response.status_code == 302, field_error(text(response), "injectate-left-rows-0-volume_ml")
    [row] = rows(record.id, "injectate")
    assert row.warnings == "" and row.answers == {}


def test_the_strength_hints_show_the_percent_sign_once(gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["injectate"])
    box = by_id(text(doctor.get(checklist_url(record.case_id))), "step-injectate-left")
    assert "as a percentage (e.g. 0.5 %; 1 % = 10 mg/mL)" in words(box)

    # 0.5 typed meaning 0.5 %: the hard stop asks for a confirmation, with its own example.
    refused = post_step(doctor, record.case_id, "injectate", bupivacaine("0.5", dose="0.5"), side="left")

    box = by_id(text(refused), "step-injectate-left")
    assert "e.g. the pharmacy supplied 1% ropivacaine; checked with the label." in words(box)
    assert "%%" not in words(box)


def test_a_side_confirmed_against_the_booking_says_stop_not_correct_the_box(gen, doctor, physician):
    """A wrong-side near miss: the patient and the consent say left, the booking says right. The
    refusal must not read as a slip to correct (ticking the booking's side would go ahead on the
    side the patient denies): it says to stop, check, and abandon if the booking is wrong."""
    record = started(gen, physician)
    typed = {**answers_for("sign_in"), "side_confirmed": "right"}
    page = text(post_step(doctor, record.case_id, "sign_in", typed))
    said = field_error(page, "sign_in-side_confirmed")
    assert said.startswith("The side confirmed (right) does not match the case (left).")
    assert ("Stop: do not change your answer to match the booking. Check the patient, the consent and the "
            "images; if the booking's side is wrong, abandon the procedure (below) and have the case corrected.") in said


def test_a_side_that_does_not_match_the_case_is_refused(gen, doctor, physician):
    record = started(gen, physician)
    typed = {**answers_for("sign_in"), "side_confirmed": "right"}
    response = post_step(doctor, record.case_id, "sign_in", typed)
    assert response.status_code == 422
    page = text(response)
    assert field_error(page, "sign_in-side_confirmed").startswith(
        "The side confirmed (right) does not match the case (left).")
    assert is_checked(page, "sign_in-side_confirmed", "right") and is_checked(page, "sign_in-site_marked")
    assert rows(record.id) == []

    needle = started(gen, physician, steps=["sign_in", "time_out"])
    wrong_joint = post_step(doctor, needle.case_id, "contrast", answers_for("contrast"), side="right")
    assert wrong_joint.status_code == 409
    assert "This is a left case: nothing can be recorded for the right side." in text(wrong_joint)
    assert rows(needle.id, "contrast") == []


def test_an_unknown_step_is_not_found(gen, doctor, physician):
    record = started(gen, physician)
    page = doctor.get(checklist_url(record.case_id))
    response = doctor.post(f"/cases/{record.case_id}/procedure/steps/anaesthesia",
                           data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 404


# ------------------------------------------------------------------ warnings never block

def test_too_much_volume_and_a_steroid_above_its_usual_maximum_are_warned_saved_and_kept(gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["injectate"])
    heavy = {"rows": [{"drug": "triamcinolone", "concentration_mg_per_ml": "40", "dose_mg": "80",
                       "volume_ml": "2", "lot_number": "TA-1"},
                      {"drug": "lidocaine", "concentration_mg_per_ml": "10", "dose_mg": "10",
                       "volume_ml": "1", "lot_number": "LI-1"}]}

    response = post_step(doctor, record.case_id, "injectate", heavy, side="left")

    assert response.status_code == 302
    page = text(doctor.get(checklist_url(record.case_id)))
    volume = "Left side: 3.0 mL in total is more than the joint usually holds (about 0.6–2.5 mL)."
    steroid = "Left side: Triamcinolone acetonide 80 mg is above the usual maximum of 40 mg per SI joint."
    assert f"Warning: {volume}" in page and f"Warning: {steroid}" in page
    [row] = rows(record.id, "injectate")
    assert row.warnings.splitlines() == [volume, steroid]
    assert "Warnings noted when saved:" in step_box(page, "step-injectate-left")


def test_an_iodinated_contrast_agent_for_a_documented_contrast_allergy_is_warned_and_kept(
        gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["contrast"])
    db.session.add(RiskScreen(case_id=record.case_id, allergy_contrast=True, contrast_premedication_planned=True,
                              contrast_premedication_plan="prednisone 13, 7, 1 h"))
    # Booked today, so the premedication from the evening before did not fit: the coordinator
    # confirmed the new plan at readiness.
    record.appointment.contrast_premedication_sent = True
    db.session.commit()

    response = post_step(doctor, record.case_id, "contrast", answers_for("contrast"), side="left")

    assert response.status_code == 302
    warning = ("Documented iodinated contrast allergy: Iohexol (Omnipaque) was chosen. "
               "Confirm premedication or choose another agent.")
    assert f"Warning: {warning}" in text(doctor.get(checklist_url(record.case_id)))
    [row] = rows(record.id, "contrast")
    assert row.warnings.splitlines() == [warning]


def test_iodinated_contrast_against_an_allergy_whose_plan_uses_no_contrast_is_saved_only_when_confirmed_with_a_reason(
        gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["contrast"])
    db.session.add(RiskScreen(case_id=record.case_id, allergy_answer="documented", allergy_contrast=True,
                              contrast_premedication_planned=False,
                              contrast_premedication_plan="No contrast will be used"))
    db.session.commit()
    url = checklist_url(record.case_id)
    save = f"/cases/{record.case_id}/procedure/steps/contrast?side=left#step-contrast-left"
    typed = {"contrast-left-agent": "iohexol", "contrast-left-volume_ml": "0.5",
             "contrast-left-arthrogram_pattern": "intra_articular_cephalad", "contrast-left-vascular_uptake": "no"}
    assert "I give iodinated contrast despite the documented contrast allergy" in step_box(text(doctor.get(url)),
                                                                                          "step-contrast-left")

    refused = send_form(doctor, text(doctor.get(url)), save, **typed)

    assert refused.status_code == 422
    assert field_error(text(refused), "contrast-left-agent").startswith(
        "Documented iodinated contrast allergy, and the risk screen plans no premedication: Iohexol (Omnipaque) is "
        "iodinated.")
    assert input_value(text(refused), "contrast-left-volume_ml") == "0.5", "what was typed is kept"
    assert rows(record.id, "contrast") == [], "nothing is saved with only a warning"

    reason = "Gadolinium unavailable today; the 2019 reaction was a mild rash"
    response = send_form(doctor, text(refused), save, **typed, **{"contrast-left-contrast_allergy_confirmed": "y",
                                                                  "contrast-left-contrast_allergy_reason": reason})

    assert response.status_code == 302
    [row] = rows(record.id, "contrast")
    assert row.answers["contrast_allergy_reason"] == reason and row.answers["contrast_allergy_confirmed"] is True
    line = ("Confirmed against a documented contrast allergy: Documented iodinated contrast allergy with no "
            f"premedication planned; Iohexol (Omnipaque) given. Reason: {reason}")
    assert row.warnings.splitlines() == [line]
    summaries = db.session.execute(db.select(AuditEvent.summary).filter_by(
        object_type="procedure_record", object_id=str(record.id))).scalars().all()
    assert (f"case {record.case_id}: contrast saved, iodinated contrast against a documented contrast allergy "
            "confirmed with a reason, with warnings") in summaries
    note = soup(text(doctor.get(f"/cases/{record.case_id}/procedure/note")))
    assert f"Warning noted: {line}" in [words(li) for li in note.select(".note-warnings li")]
    assert reason in words(note)

    # Corrected to a gadolinium agent, the confirmation is no longer kept.
    page = text(doctor.get(url))
    assert send_form(doctor, page, save, **{**typed, "contrast-left-agent": "gadobutrol"}).status_code == 302
    [row] = rows(record.id, "contrast")
    assert "contrast_allergy_reason" not in row.answers and row.warnings == ""


def allergic_to(record, **allergies):
    db.session.add(RiskScreen(case_id=record.case_id, allergy_answer="documented", **allergies))
    db.session.commit()


REVIEWED = "I have reviewed the allergy (e.g. a different amide/ester class, or a documented non-allergic reaction)"


SKIN_PREP_AGAINST_ALLERGY = [
    pytest.param({"allergy_local_anaesthetic": True}, {"local_skin_anaesthetic": "used"}, "local_skin_anaesthetic",
                 "Documented local anaesthetic allergy: local skin anaesthetic chosen.",
                 "Choose another agent, or confirm below that you have reviewed the allergy, with the reason.",
                 "Allergy was to an ester (procaine); lidocaine is an amide", {"local_skin_anaesthetic": "not_used"},
                 id="local skin anaesthetic"),
    pytest.param({"allergy_iodine": True}, {"prep_agent": "povidone_iodine", "local_skin_anaesthetic": "not_used"},
                 "prep_agent", "Documented iodine / povidone-iodine allergy: Povidone-iodine 10% chosen.",
                 "Choose Chlorhexidine 2% in 70% isopropyl alcohol instead, or confirm below that you have reviewed "
                 "the allergy, with the reason.",
                 "Chlorhexidine allergy documented as well; the iodine reaction was a local rash",
                 {"prep_agent": "chlorhexidine_alcohol"}, id="povidone-iodine"),
]


@pytest.mark.parametrize("allergy, chosen, field, said, then, reason, instead", SKIN_PREP_AGAINST_ALLERGY)
def test_skin_prep_against_a_documented_allergy_is_stopped_until_confirmed_with_a_reason(
        gen, doctor, physician, allergy, chosen, field, said, then, reason, instead):
    record = started(gen, physician)
    allergic_to(record, **allergy)
    url, save = checklist_url(record.case_id), f"/cases/{record.case_id}/procedure/steps/skin_prep#step-skin_prep"
    typed = {f"skin_prep-{name}": value for name, value in
             {"prep_agent": "chlorhexidine_alcohol", "sterile_drape": "y", **chosen}.items()}
    assert REVIEWED in step_box(text(doctor.get(url)), "step-skin_prep")

    refused = send_form(doctor, text(doctor.get(url)), save, **typed)

    assert refused.status_code == 422, "never saved as done with only a warning after it"
    page = text(refused)
    assert field_error(page, f"skin_prep-{field}") == f"{said} {then}"
    assert field_error(page, "skin_prep-allergy_reason").startswith(f"Not saved: {said}")
    assert "premedication" not in step_box(page, "step-skin_prep")
    assert selected(page, "skin_prep-prep_agent") == typed["skin_prep-prep_agent"], "what was typed is kept"
    assert is_checked(page, "skin_prep-local_skin_anaesthetic", typed["skin_prep-local_skin_anaesthetic"])
    assert rows(record.id, "skin_prep") == [], "nothing is saved with only a warning"

    assert send_form(doctor, page, save, **typed, **{"skin_prep-allergy_confirmed": "y"}).status_code == 422, \
        "a tick alone is not a reason"
    response = send_form(doctor, page, save, **typed, **{"skin_prep-allergy_confirmed": "y",
                                                         "skin_prep-allergy_reason": reason})

    assert response.status_code == 302
    [row] = rows(record.id, "skin_prep")
    assert row.answers["allergy_reason"] == reason and row.answers["allergy_confirmed"] is True
    line = (f"Confirmed against a documented allergy: {said} Allergy reviewed; the physician's decision to proceed. "
            f"Reason: {reason}")
    assert row.warnings.splitlines() == [line]
    assert "✓ Done" in step_box(text(doctor.get(url)), "step-skin_prep"), "the confirmation is never missing"
    note = soup(text(doctor.get(f"/cases/{record.case_id}/procedure/note")))
    assert f"Warning noted: {line}" in [words(li) for li in note.select(".note-warnings li")]
    summaries = db.session.execute(db.select(AuditEvent.summary).filter_by(
        object_type="procedure_record", object_id=str(record.id))).scalars().all()
    assert (f"case {record.case_id}: skin_prep saved, a drug against a documented allergy confirmed with a reason, "
            "with warnings") in summaries

    # Corrected to another agent, the confirmation is no longer kept.
    assert post_step(doctor, record.case_id, "skin_prep", {**answers_for("skin_prep"), **instead},
                     version=row.version_id).status_code == 302
    [row] = rows(record.id, "skin_prep")
    assert "allergy_reason" not in row.answers and row.warnings == ""


def test_a_local_anaesthetic_and_a_steroid_against_documented_allergies_are_stopped_then_confirmed_on_the_note(
        gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["injectate"])
    allergic_to(record, allergy_local_anaesthetic=True, allergy_steroid=True)
    url = checklist_url(record.case_id)
    save = f"/cases/{record.case_id}/procedure/steps/injectate?side=left#step-injectate-left"
    typed = {"injectate-left-rows-0-drug": "bupivacaine", "injectate-left-rows-0-concentration_mg_per_ml": "2.5",
             "injectate-left-rows-0-dose_mg": "2.5", "injectate-left-rows-0-volume_ml": "1",
             "injectate-left-rows-0-lot_number": "BU-1",
             "injectate-left-rows-1-drug": "triamcinolone", "injectate-left-rows-1-concentration_mg_per_ml": "40",
             "injectate-left-rows-1-dose_mg": "40", "injectate-left-rows-1-volume_ml": "1",
             "injectate-left-rows-1-lot_number": "TA-1"}

    refused = send_form(doctor, text(doctor.get(url)), save, **typed)

    assert refused.status_code == 422
    page = text(refused)
    assert field_error(page, "injectate-left-rows-0-drug").startswith(
        "Documented local anaesthetic allergy: Bupivacaine chosen. Choose another agent, or confirm below")
    assert field_error(page, "injectate-left-rows-1-drug").startswith(
        "Documented steroid allergy: Triamcinolone acetonide chosen.")
    assert field_error(page, "injectate-left-allergy_reason").startswith("Not saved:")
    box = step_box(page, "step-injectate-left")
    assert REVIEWED in box and "premedication" not in box
    assert input_value(page, "injectate-left-rows-1-lot_number") == "TA-1", "what was typed is kept"
    assert rows(record.id, "injectate") == []

    reason = "Previous 'allergy' was a vasovagal episode, documented by allergy clinic 2024"
    response = send_form(doctor, page, save, **typed, **{"injectate-left-allergy_confirmed": "y",
                                                         "injectate-left-allergy_reason": reason})

    assert response.status_code == 302
    [row] = rows(record.id, "injectate")
    assert row.answers == {"allergy_reason": reason}
    assert [line.split(" Allergy reviewed")[0] for line in row.warnings.splitlines()] == [
        "Confirmed against a documented allergy: Documented local anaesthetic allergy: Bupivacaine chosen.",
        "Confirmed against a documented allergy: Documented steroid allergy: Triamcinolone acetonide chosen."]
    assert "Drug against the documented allergy confirmed" in step_box(text(doctor.get(url)), "step-injectate-left")
    note = words(soup(text(doctor.get(f"/cases/{record.case_id}/procedure/note"))))
    assert "Drug against the documented allergy, confirmed by Dr Priya Raman at" in note
    assert f"Reason: {reason}" in note
    summaries = db.session.execute(db.select(AuditEvent.summary).filter_by(
        object_type="procedure_record", object_id=str(record.id))).scalars().all()
    assert any("injectate saved, a drug against a documented allergy confirmed with a reason" in summary
               for summary in summaries)


def test_a_patient_without_a_local_anaesthetic_or_steroid_allergy_is_not_asked(gen, doctor, physician):
    record = started(gen, physician, steps=BEFORE["injectate"])
    allergic_to(record, allergy_latex=True)
    page = text(doctor.get(checklist_url(record.case_id)))
    assert REVIEWED not in page

    assert post_step(doctor, record.case_id, "skin_prep", answers_for("skin_prep")).status_code == 302
    assert post_step(doctor, record.case_id, "injectate", answers_for("injectate"), side="left").status_code == 302
    [row] = rows(record.id, "injectate")
    assert row.answers == {} and row.warnings == ""


def test_every_warning_of_a_contrast_check_is_shown_on_that_check_as_the_note_prints_it(gen, doctor, physician):
    record = started(gen, physician, side=Side.BILATERAL, steps=BEFORE["contrast"])
    db.session.add(RiskScreen(case_id=record.case_id, allergy_contrast=True, contrast_premedication_planned=True,
                              contrast_premedication_plan="prednisone 13, 7, 1 h"))
    record.appointment.contrast_premedication_sent = True  # booked today: the new plan confirmed at readiness
    db.session.commit()
    url, save = checklist_url(record.case_id), \
        f"/cases/{record.case_id}/procedure/steps/contrast?side=left#step-contrast-left"
    typed = {"contrast-left-agent": "iohexol", "contrast-left-volume_ml": "0.5",
             "contrast-left-arthrogram_pattern": "intra_articular_cephalad"}
    vascular = "Vascular uptake on the left side: reposition the needle and repeat the contrast check before injecting."
    allergy = ("Documented iodinated contrast allergy: Iohexol (Omnipaque) was chosen. "
               "Confirm premedication or choose another agent.")

    first = send_form(doctor, text(doctor.get(url)), save, **typed, **{"contrast-left-vascular_uptake": "yes"})

    assert first.location == url + "#step-contrast-left", "a save with warnings stays on its box"
    page = text(doctor.get(url))
    check_1 = by_id(page, "step-contrast-left-check-1")
    assert [words(li) for li in check_1.select(".check-warnings li")] == [vascular, allergy]
    assert by_id(page, "step-contrast-left").find(id="step-contrast-left-check-1") is not None

    assert send_form(doctor, page, save, **typed, **{"contrast-left-vascular_uptake": "no"}).status_code == 302
    page = text(doctor.get(url))
    box = by_id(page, "step-contrast-left")
    assert [words(li) for li in box.find(id="step-contrast-left-check-1").select(".check-warnings li")] == \
        [vascular, allergy], "check 1 keeps its warnings while the step is open"
    assert [words(li) for li in box.find(id="step-contrast-left-check-2").select(".check-warnings li")] == [allergy]

    note = soup(text(doctor.get(f"/cases/{record.case_id}/procedure/note")))
    noted = [words(li) for li in note.find("section", attrs={"aria-label": "Contrast confirmation (left)"})
             .select(".note-warnings li")]
    assert noted == [f"Warning noted: {line}" for line in (vascular, allergy, allergy)]


# ------------------------------------------------------------------ two tabs

def test_the_same_step_saved_from_two_tabs_refuses_the_second_and_shows_the_saved_values(
        gen, doctor, physician, make_client, login_as):
    record = started(gen, physician)
    other_tab = login_as(gen.user(Role.PHYSICIAN, name="Dr Tomas Ortega"), on=make_client())
    first = {"identifiers_confirmed": True, "consent_confirmed": True, "side_confirmed": "left"}
    second = {"identifiers_confirmed": True, "site_marked": True, "side_confirmed": "left"}

    # Both tabs opened the blank step (version ""); the first save wins.
    assert post_step(other_tab, record.case_id, "sign_in", first).status_code == 302
    response = post_step(doctor, record.case_id, "sign_in", second)

    assert response.status_code == 409
    page = text(response)
    assert "Someone else saved this step after you opened it. Nothing was saved" in page
    box = step_box(page, "step-sign_in")
    assert "Saved by Dr Tomas Ortega at" in box and "Consent confirmed" in box
    assert is_checked(box, "sign_in-site_marked") and not is_checked(box, "sign_in-consent_confirmed")
    [row] = rows(record.id, "sign_in")
    assert ticked(row) == first
    assert row.recorded_by.name == "Dr Tomas Ortega"

    # Saving again from the refused form (now at the saved version) replaces it deliberately.
    version = input_value(box, "sign_in-version_id")
    assert version == str(row.version_id)
    assert post_step(doctor, record.case_id, "sign_in", second, version=version).status_code == 302
    [row] = rows(record.id, "sign_in")
    assert ticked(row) == second



def test_two_tablets_ticking_different_boxes_of_one_step_keep_both_when_the_second_saves_again(
        gen, doctor, physician, make_client, login_as):
    """The nurse's tablet and the physician's have the time-out open; each ticks the boxes they
    checked. The second save is refused (the first was saved meanwhile); the form shown then keeps
    what the second person ticked and takes in what the first one ticked where the second left a box
    as it was, so saving it again, as it is shown, records every box: before, it unticked the first
    person's confirmations."""
    record = started(gen, physician, steps=["sign_in"])
    nurse = login_as(gen.user(Role.PHYSICIAN, name="Dr Tomas Ortega"), on=make_client())
    action = f"/cases/{record.case_id}/procedure/steps/time_out#step-time_out"
    # (Parsed as served: the form remembers how it opened in a hidden field of quoted text.)
    mine = form_data(form_posting_to(soup(doctor.get(checklist_url(record.case_id))), action))
    theirs = form_data(form_posting_to(soup(nurse.get(checklist_url(record.case_id))), action))
    url = action.split("#")[0]
    assert nurse.post(url, data={**theirs, "time_out-patient_confirmed": "y",
                                 "time_out-procedure_confirmed": "y"}).status_code == 302

    refused = doctor.post(url, data={**mine, "time_out-side_and_site_confirmed": "y",
                                     "time_out-position_confirmed": "y", "time_out-images_available": "y"})

    assert refused.status_code == 409
    box = step_box(text(refused), "step-time_out")
    for name in ("patient_confirmed", "procedure_confirmed", "side_and_site_confirmed", "position_confirmed",
                 "images_available"):
        assert is_checked(box, f"time_out-{name}"), name
    again = doctor.post(url, data=form_data(form_posting_to(soup(refused), action)))
    assert again.status_code == 302
    [row] = rows(record.id, "time_out")
    assert ticked(row) == {"patient_confirmed": True, "procedure_confirmed": True, "side_and_site_confirmed": True,
                           "position_confirmed": True, "images_available": True}


def test_an_edit_from_a_stale_form_overwrites_nothing(gen, doctor, physician):
    record = started(gen, physician, steps=["sign_in", "time_out"])
    assert post_step(doctor, record.case_id, "fluoroscopy", answers_for("fluoroscopy"), side="left").status_code == 302
    [row] = rows(record.id, "fluoroscopy")
    opened_at = row.version_id
    assert post_step(doctor, record.case_id, "fluoroscopy", {**answers_for("fluoroscopy"), "views": "3"},
                     side="left", version=opened_at).status_code == 302
    stale = post_step(doctor, record.case_id, "fluoroscopy", {**answers_for("fluoroscopy"), "views": "4"},
                      side="left", version=opened_at)
    assert stale.status_code == 409
    [row] = rows(record.id, "fluoroscopy")
    assert row.answers["views"] == "3"


# ------------------------------------------------------------------ who may do what

def test_a_coordinator_reads_the_checklist_without_forms_and_cannot_record(gen, client, login_as, physician):
    record = started(gen, physician, steps=["sign_in"])
    login_as(gen.user(Role.COORDINATOR))
    page = text(client.get(checklist_url(record.case_id)))
    assert "Two patient identifiers confirmed" in step_box(page, "step-sign_in")
    assert "/procedure/steps/" not in page and "Sign procedure record" not in page
    response = submit(client, f"/cases/{record.case_id}/procedure/steps/time_out",
                      form_fields("time_out", answers_for("time_out")), form_page=checklist_url(record.case_id))
    assert response.status_code == 403
    assert rows(record.id, "time_out") == []


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PATIENT])
def test_admins_and_patients_cannot_open_the_checklist(gen, client, login_as, physician, role):
    record = started(gen, physician)
    login_as(gen.user(role))
    assert client.get(checklist_url(record.case_id)).status_code == 403
    assert client.get(f"/cases/{record.case_id}/procedure/note").status_code == 403


def test_opening_the_checklist_is_in_the_audit_trail(gen, doctor, physician):
    record = started(gen, physician)
    doctor.get(checklist_url(record.case_id))
    events = db.session.execute(db.select(AuditEvent).filter_by(object_type="procedure_record",
                                                                object_id=str(record.id))).scalars().all()
    assert any(e.action.value == "view" and e.user_id == physician.id and "checklist" in e.summary for e in events)
    assert any(e.action.value == "create" and "procedure started" in e.summary for e in events)


# ------------------------------------------------------------------ speed

def test_the_checklist_page_loads_in_the_same_number_of_queries_however_much_is_recorded(
        gen, doctor, physician, count_queries):
    small = started(gen, physician, steps=["sign_in"])
    full = started(gen, physician, side=Side.BILATERAL, steps="all")
    # A repeat contrast check and more injectate rows on the full one.
    assert post_step(doctor, full.case_id, "contrast", answers_for("contrast"), side="left", attempt="2").status_code == 302
    doctor.get(checklist_url(small.case_id))  # warm the session and the formulary

    counts = []
    for record in (small, full):
        with count_queries() as counter:
            assert doctor.get(checklist_url(record.case_id)).status_code == 200
        counts.append(counter.n)
    assert counts[0] == counts[1], counts


# ------------------------------------------------------------------ a clinic that keeps each record to its physician

def test_a_clinic_may_keep_the_checklist_to_the_booked_physician(gen, doctor, physician, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROCEDURE_OWN_CASES_ONLY", True)
    colleague = gen.user(Role.PHYSICIAN, name="Dr Booked Elsewhere")
    case = gen.case(state=State.SCHEDULED, physician_id=colleague.id)
    gen.appointment(case, physician=colleague, starts_at=this_morning(), consent_obtained=True,
                    day_of_check_done=True)

    page = text(submit(doctor, f"/cases/{case.id}/procedure/start", {"version_id": case.version_id},
                       form_page=checklist_url(case.id), follow_redirects=True))
    assert ("only Dr Booked Elsewhere may record or sign this one") in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == State.SCHEDULED

    record = started(gen, colleague)  # started by the booked physician
    response = post_step(doctor, record.case_id, "sign_in", answers_for("sign_in"))
    assert "only Dr Booked Elsewhere may record or sign this one" in text(response)
    assert rows(record.id, "sign_in") == []


def test_by_default_any_physician_may_record(gen, doctor, physician):
    colleague = gen.user(Role.PHYSICIAN, name="Dr Booked Elsewhere")
    record = started(gen, colleague)
    post_step(doctor, record.case_id, "sign_in", answers_for("sign_in"))
    assert len(rows(record.id, "sign_in")) == 1


def test_an_appointment_on_a_later_day_offers_no_start_and_says_when_it_can_be_started(gen, doctor, physician):
    """Offered and then refused was a button that could not be used: the appointment page and the
    checklist say the day instead, and Start is back on that day."""
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id)
    later = datetime.now(timezone.utc) + timedelta(days=2)
    appointment = gen.appointment(case, physician=physician, consent_obtained=True, day_of_check_done=True,
                                  starts_at=later)
    on_the_day = (f"This appointment is on {format_clinic(later, '%A %d %B')}: start the procedure on that day, "
                  "or move the appointment to today first.")
    for url in (f"/appointments/{appointment.id}", checklist_url(case.id)):
        page = doctor.get(url).get_data(as_text=True)
        assert soup(page).find("form", action=f"/cases/{case.id}/procedure/start") is None, url
        assert on_the_day in words(page), url
    appointment.starts_at = datetime.now(timezone.utc)  # today in the clinic, whatever its zone
    db.session.commit()
    for url in (f"/appointments/{appointment.id}", checklist_url(case.id)):
        page = doctor.get(url).get_data(as_text=True)
        assert form_posting_to(page, f"/cases/{case.id}/procedure/start") is not None, url


def test_tomorrows_appointment_is_not_started_today_even_when_its_readiness_is_ticked(gen, doctor, physician):
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id)
    gen.appointment(case, physician=physician, consent_obtained=True, day_of_check_done=True,
                    starts_at=datetime.now(timezone.utc) + timedelta(days=1))
    page = text(submit(doctor, f"/cases/{case.id}/procedure/start", {"version_id": case.version_id},
                       form_page=checklist_url(case.id), follow_redirects=True))
    assert "start the procedure on that day, or move the appointment to today first" in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == State.SCHEDULED


def test_a_case_without_the_risk_screens_answers_is_not_started_and_the_physician_is_told_which(
        gen, doctor, physician):
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id)
    gen.appointment(case, physician=physician, starts_at=this_morning(), consent_obtained=True, day_of_check_done=True)

    response = submit(doctor, f"/cases/{case.id}/procedure/start", {"version_id": case.version_id},
                      form_page=checklist_url(case.id), follow_redirects=True)

    assert ("The procedure was not started. Not ready: risk screen: blood thinners not asked; risk screen: allergies "
            "not asked. Complete them, or a physician records why the procedure may go ahead.") in words(text(response))
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == State.SCHEDULED


@pytest.mark.parametrize("blank_field, message", [
    ("dose_mg", "Give the dose in mg (concentration × volume)."),
    ("volume_ml", "Give the volume in mL."),
    ("concentration_mg_per_ml", "Give the concentration (mg/mL, or % as on the vial)."),
    ("drug", "Choose the drug, or clear this row.")])
def test_a_drug_row_with_a_part_left_empty_is_refused_beside_it_and_keeps_what_was_typed(
        gen, doctor, physician, blank_field, message):
    """Walkthrough: lidocaine 2 %, 2 mL, dose left empty, crashed the page and lost the entries."""
    record = started(gen, physician, steps=BEFORE["injectate"])
    save = f"/cases/{record.case_id}/procedure/steps/injectate?side=left#step-injectate-left"
    typed = {"injectate-left-rows-0-drug": "lidocaine", "injectate-left-rows-0-concentration_mg_per_ml": "2%",
             "injectate-left-rows-0-dose_mg": "40", "injectate-left-rows-0-volume_ml": "2",
             "injectate-left-rows-0-lot_number": "L1"}
    typed[f"injectate-left-rows-0-{blank_field}"] = ""

    refused = send_form(doctor, text(doctor.get(checklist_url(record.case_id))), save, **typed)

    assert refused.status_code == 422
    page = text(refused)
    assert field_error(page, f"injectate-left-rows-0-{blank_field}") == message
    assert input_value(page, "injectate-left-rows-0-lot_number") == "L1", "what was typed is kept"
    assert rows(record.id, "injectate") == []


def test_a_premedication_that_did_not_fit_with_no_new_plan_holds_iodinated_contrast_to_a_confirmation(
        gen, doctor, physician):
    """Walkthrough: moved to today, the premedication from the evening before could not be taken, the
    physician overrode readiness, and the banner said nothing while iohexol was only a soft warning."""
    record = started(gen, physician, steps=BEFORE["contrast"])
    db.session.add(RiskScreen(case_id=record.case_id, allergy_answer="documented", allergy_contrast=True,
                              contrast_premedication_planned=True, contrast_premedication_plan="prednisone 50 mg"))
    db.session.commit()
    url = checklist_url(record.case_id)
    page = text(doctor.get(url))
    banner = words(soup(page).find(class_="premedication-flag"))
    assert banner.startswith("Contrast premedication planned (prednisone 50 mg) — did not fit this booking: it "
                             "would have started on ")
    assert banner.endswith("no new plan was confirmed at readiness. Ask the patient whether they took it: "
                           "iodinated contrast needs your confirmation and the reason.")
    save = f"/cases/{record.case_id}/procedure/steps/contrast?side=left#step-contrast-left"
    typed = {f"contrast-left-{name}": value for name, value in {
        "agent": "iohexol", "volume_ml": "0.5", "arthrogram_pattern": "intra_articular_cephalad"}.items()}

    refused = send_form(doctor, page, save, **typed)

    assert refused.status_code == 422
    assert field_error(text(refused), "contrast-left-agent").startswith(
        "Documented iodinated contrast allergy, and the planned premedication did not fit this booking and no new "
        "plan was confirmed at readiness: Iohexol (Omnipaque) is iodinated.")
    assert field_error(text(refused), "contrast-left-contrast_allergy_reason") == (
        "Not saved: iodinated contrast against a documented contrast allergy with the premedication not taken as "
        "planned needs your confirmation and the reason.")
    assert rows(record.id, "contrast") == []
    reason = "Patient took prednisone 13, 7 and 1 h before on her own GP's plan; seen the packet"
    saved = send_form(doctor, text(refused), save, **typed, **{"contrast-left-contrast_allergy_confirmed": "y",
                                                               "contrast-left-contrast_allergy_reason": reason})
    assert saved.status_code == 302
    [row] = rows(record.id, "contrast")
    assert "with the premedication not taken as planned; Iohexol (Omnipaque) given. Reason: " + reason in row.warnings


def test_an_injectate_saved_with_no_drug_is_refused_and_starts_no_diary(gen, doctor, physician):
    """Walkthrough: a save with no drug chosen became the injection's time on the note, and started
    the diary's clock."""
    record = started(gen, physician, steps=BEFORE["injectate"])
    save = f"/cases/{record.case_id}/procedure/steps/injectate?side=left#step-injectate-left"

    refused = send_form(doctor, text(doctor.get(checklist_url(record.case_id))), save)

    assert refused.status_code == 422
    assert field_error(text(refused), "injectate-left-rows-0-drug").startswith(
        "Record the drug given (drug, concentration, dose and volume)")
    assert rows(record.id, "injectate") == []
    db.session.expire_all()
    assert not db.session.get(type(record), record.id).case.diary_points or all(
        point.point_code == "t0" for point in db.session.get(type(record), record.id).case.diary_points)
