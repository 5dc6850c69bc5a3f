"""The physician's diary view and the outcome (issue 6, items 4, 5 and 8): the reading per side
under the payer profile, the outcome form that closes the case, the linked new case, the refusals,
and the eligibility engine counting the recorded result."""
import dataclasses
import html as html_lib
import re
from datetime import date, timedelta

import pytest
from sqlalchemy.orm.attributes import flag_modified

from tracker.diary.outcome import correct_outcome, record_outcome
from tracker.eligibility.facts import case_facts, fingerprint, prior_injections
from tracker.eligibility.services import evaluate_case
from tracker.eligibility.standing import current_assessment, profile_for, staleness
from tracker.extensions import db
from tracker.diary.services import when
from tracker.models import AuditEvent, Case, DiaryEntry, DiaryEntryRevision, DiaryPoint, Examination, Outcome
from tracker.policy import PROFILES, CriterionCode, Status
from tracker.roles import Role
from tracker.timeutil import clinic_today
from tracker.vocab import EntrySource, Indication, NextStep, Side
from tracker.workflow import State

from tests.functional.test_diary_timed_from_injection import clock  # noqa: F401 (fixture)
from tests.builders import GOOD_BLOCK, clinic_at, commit_elsewhere, diary, diary_moved_back, followed_up, now
from tests.functional.test_eligibility import criteria, evaluate
from tests.helpers import (by_id, csrf_from, field_error, inner_html, input_value, is_checked, soup, submit, text,
                           words)


def outcome_form(client, case_id):
    page = text(client.get(f"/cases/{case_id}/diary"))
    assert 'id="outcome-form"' in page, "the outcome form is not offered"
    return page


def record(client, case_id, **fields):
    page = outcome_form(client, case_id)
    version = input_value(page, "version_id")
    # Every case here was injected moments ago, so its later diary points are still to come: the
    # physician confirms recording now (test_recording_while_scores_are_to_come_asks_first).
    data = {"diagnostic_result": "positive", "therapeutic_days": "90", "next_step": "discharge",
            "notes": "", "reason": "", "confirm_early": "y", "version_id": version, **fields}
    return submit(client, f"/cases/{case_id}/outcome", data, form_page=f"/cases/{case_id}/diary")


# ---------------------------------------------------------------- the physician's view

def test_the_physician_reads_verdict_duration_and_every_entry_with_its_marks(client, gen, physician, login_as):
    case = followed_up(gen, physician, scores={"t0": 8, "m30": 2, "h1": 1, "d1": 3, "w2": 4, "w6": 5})
    entry = db.session.execute(db.select(DiaryEntry).join(DiaryPoint)
                               .filter(DiaryPoint.point_code == "h1")).scalar_one()
    entry.late, entry.source, entry.entered_by_id = True, EntrySource.STAFF_PHONE, physician.id
    entry.analgesic_used, entry.opioid_used, entry.physical_therapy_done = True, False, None
    db.session.add(DiaryEntryRevision(entry=entry, score=2, entered_at=entry.entered_at,
                                      source=EntrySource.LINK, reason="tapped the wrong number"))
    db.session.commit()
    diary_moved_back(case, 1)  # the anaesthetic window has closed: the block's reading is final
    login_as(physician)

    page = text(client.get(f"/cases/{case.id}/diary"))

    assert "8/10 (the patient's entry before the injection)" in page
    # The 1-hour score was given late (87.5 %): a memory, shown but not counted, which leaves one
    # on-time score in the window: too few to decide.
    assert ("<strong>Indeterminate</strong> (too few entries in the anaesthetic window: 1, at least 2 needed)"
            ": peak relief 75 % in the window, reaches the 75 % threshold · 1 score in the window") in page
    # Relief stayed at 50 % or more to 2 weeks (4 of 8), then fell (5 of 8 at 6 weeks).
    assert "14 days (last follow-up point at 50 % or more: 2 weeks)" in page
    h1 = inner_html(page, "point-h1")
    assert "87.5 %" in h1 and re.search(r"recalled for [\d-]+ [\d:]+, late, not counted in the block result, "
                                        r"by phone, corrected", words(by_id(page, "point-h1")))
    assert "analgesic yes, opioid no" in h1
    assert "PT" not in h1  # not answered is not "no"
    w6 = inner_html(page, "point-w6")
    assert "37.5 %" in w6
    assert 'id="outcome-form"' in page


def test_pain_worse_than_the_baseline_reads_as_worse_not_as_negative_relief(client, gen, physician, login_as):
    case = followed_up(gen, physician, scores={"t0": 3, "m15": 9, "m30": 9, "h1": 5, "d1": 4})
    login_as(physician)

    page = text(client.get(f"/cases/{case.id}/diary"))

    assert "no relief in the window: pain worse than before (+2 at best)" in words(by_id(page, "reading-left"))
    assert "pain worse than before (+6)" in words(by_id(page, "point-m15"))
    assert "-200" not in page and "-66.7" not in page


def test_without_a_baseline_entry_the_examinations_baseline_is_used_and_marked(client, gen, physician, login_as):
    case = followed_up(gen, physician, scores={"m30": 3, "h1": 2})
    db.session.add(Examination(case_id=case.id, baseline_nrs=6))
    db.session.commit()
    login_as(physician)

    page = text(client.get(f"/cases/{case.id}/diary"))

    assert "6/10 <strong class=\"baseline-from-exam\">from the examination (no baseline diary entry)</strong>" in page
    assert "peak relief 66.7 % in the window, below the 75 % threshold" in page


def test_the_threshold_follows_the_cases_payer_profile(client, gen, physician, login_as):
    # 8 -> 2 is 75 %: positive for Medicare (75 %), negative for MP-558 (80 %).
    case = followed_up(gen, physician, scores={"t0": 8, "m30": 3, "h1": 2}, payer_profile_code="MP_558")
    diary_moved_back(case, 1)  # the anaesthetic window has closed: the block's reading is final
    login_as(physician)

    page = text(client.get(f"/cases/{case.id}/diary"))

    assert "positive at 80 % relief or more" in page
    assert "<strong>Negative</strong>: peak relief 75 % in the window, below the 80 % threshold" in page


def test_a_bilateral_diary_is_read_side_by_side(client, gen, physician, login_as):
    case = followed_up(gen, physician, side=Side.BILATERAL,
                       scores={"t0": {Side.LEFT: 8, Side.RIGHT: 6}, "m30": {Side.LEFT: 1, Side.RIGHT: 5},
                               "h1": {Side.LEFT: 2, Side.RIGHT: 4}})
    diary_moved_back(case, 1)  # the anaesthetic window has closed: the block's reading is final
    login_as(physician)

    page = text(client.get(f"/cases/{case.id}/diary"))

    left, right = inner_html(page, "reading-left"), inner_html(page, "reading-right")
    assert "<strong>Positive</strong>: peak relief 87.5 %" in left
    assert "<strong>Negative</strong>: peak relief 33.3 %" in right
    # Each joint's result is asked apart, prefilled from its own side (test_outcome_sides.py).
    assert is_checked(page, "left_result", "positive") and is_checked(page, "right_result", "negative")
    assert 'class="series series-left"' in page and 'class="series series-right"' in page


def test_a_baseline_of_0_says_relief_cannot_be_computed_for_that_side_in_reading_table_and_chart(
        client, gen, physician, login_as):
    case = followed_up(gen, physician, side=Side.BILATERAL,
                       scores={"t0": {Side.LEFT: 0, Side.RIGHT: 6}, "m30": {Side.LEFT: 0, Side.RIGHT: 1},
                               "h1": {Side.LEFT: 1, Side.RIGHT: 1}, "d1": {Side.LEFT: 0, Side.RIGHT: 2}})
    diary_moved_back(case, 1)  # the anaesthetic window has closed: the block's reading is final
    login_as(physician)

    page = text(client.get(f"/cases/{case.id}/diary"))

    left, right = inner_html(page, "reading-left"), inner_html(page, "reading-right")
    assert "<strong>Indeterminate</strong> (relief cannot be computed: baseline 0)" in left
    assert "not known: relief cannot be computed: baseline 0" in left and "too few" not in left
    assert "<strong>Positive</strong>" in right and "cannot be computed" not in right
    cells = by_id(page, "point-m30").find_all("td")
    # Left score 0, its relief said in words (not the missing-score mark); right 1, 83.3 %.
    assert [html_lib.unescape(cell.decode_contents()) for cell in cells[1:5]] == [
        "0", '<span class="relief-undefined">relief cannot be computed: baseline 0</span>', "1", "83.3 %"]
    chart = html_lib.unescape(str(soup(page).find("svg")))
    assert "Left side: 3 scores after the injection, relief cannot be computed: baseline 0" in chart
    assert "Baseline 0 (left side): relief cannot be computed: baseline 0" in chart


def block_injected(gen, physician, minutes_ago, scores):
    """A diagnostic block in follow-up injected `minutes_ago`, with `scores` given on time."""
    case = gen.case(state=State.FOLLOW_UP, physician_id=physician.id)
    gen.diary(case, injected_at=now() - timedelta(minutes=minutes_ago), entries=scores)
    return case


def verdict(page, side="left"):
    """The side's diagnostic reading on the diary page, in words."""
    return words(by_id(page, f"reading-{side}").find("dd", class_=re.compile(r"^verdict-")))


def prefilled(page):
    """What the outcome form says its diagnostic result is prefilled from."""
    return words(soup(page).find("small", string=re.compile(r"^Prefilled from the diary")))


def window_closes(case):
    """When the anaesthetic window's last point (6 hours after) closes, as the pages say it."""
    h6 = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id, point_code="h6")).scalar_one()
    return " ".join(when(h6.closes_at).split())


def test_a_block_read_while_its_window_is_open_is_positive_so_far_with_the_scores_still_to_come(
        client, gen, physician, login_as):
    # Baseline 8, then 0 at 15 minutes and 10 at 30: 100 % at its peak, but 1 hour to 6 hours are to come.
    case = block_injected(gen, physician, 40, {"t0": 8, "m15": 0, "m30": 10})
    until = window_closes(case)
    login_as(physician)

    page = text(client.get(f"/cases/{case.id}/diary"))

    assert verdict(page) == (
        "Positive so far: peak relief 100 % in the window, reaches the 75 % threshold · 2 scores in the window; "
        f"6 more scores can come in the window, until {until}")
    assert "<strong>Positive</strong>" not in page
    # The outcome form's prefill says the same, and so does its refusal of another result without a reason.
    assert is_checked(page, "diagnostic_result", "positive")
    assert prefilled(page) == (
        f"Prefilled from the diary: positive so far (6 more scores can come in the window, until {until}).")
    refused = record(client, case.id, diagnostic_result="negative", therapeutic_days="")
    assert " ".join(field_error(text(refused), "reason").split()) == (
        f"The diary reads positive so far (6 more scores can come in the window, until {until}). "
        "Give the reason for recording negative instead.")

    # Once the window has closed, the same scores read as the result.
    diary_moved_back(case, 1)
    page = text(client.get(f"/cases/{case.id}/diary"))
    assert verdict(page) == (
        "Positive: peak relief 100 % in the window, reaches the 75 % threshold · 2 scores in the window")
    assert prefilled(page) == "Prefilled from the diary: positive."


def test_a_block_below_the_threshold_while_its_window_is_open_is_negative_so_far(client, gen, physician, login_as):
    case = block_injected(gen, physician, 40, {"t0": 8, "m15": 6, "m30": 5})
    login_as(physician)

    page = text(client.get(f"/cases/{case.id}/diary"))

    assert verdict(page) == (
        "Negative so far: peak relief 37.5 % in the window, below the 75 % threshold · 2 scores in the window; "
        f"6 more scores can come in the window, until {window_closes(case)}")


def test_before_any_window_score_the_block_is_not_known_yet_and_indeterminate_once_the_window_closed_without(
        client, gen, physician, login_as):
    case = block_injected(gen, physician, 5, {"t0": 8})
    until = window_closes(case)
    login_as(physician)

    page = text(client.get(f"/cases/{case.id}/diary"))

    reading = words(by_id(page, "reading-left"))
    assert verdict(page) == (
        "Not known yet (too few entries in the anaesthetic window so far: 0, at least 2 needed) · 0 scores in the "
        f"window; 8 scores can come in the window, until {until}")
    assert "Indeterminate" not in reading
    assert "Therapeutic relief not known yet (no follow-up score)" in reading
    assert prefilled(page) == (
        "Prefilled from the diary: indeterminate for now: not known yet (8 scores can come in the window, "
        f"until {until}).")

    # One score in, seven to come: still not known.
    diary(case, {"m15": 2})
    page = text(client.get(f"/cases/{case.id}/diary"))
    assert verdict(page).startswith(
        "Not known yet (too few entries in the anaesthetic window so far: 1, at least 2 needed): peak relief 75 %")
    assert verdict(page).endswith(
        f"· 1 score in the window; 7 more scores can come in the window, until {until}")

    # The window closed with that one score: too few, for good.
    diary_moved_back(case, 1)
    page = text(client.get(f"/cases/{case.id}/diary"))
    assert verdict(page) == (
        "Indeterminate (too few entries in the anaesthetic window: 1, at least 2 needed): peak relief 75 % in the "
        "window, reaches the 75 % threshold · 1 score in the window")


def test_a_block_recorded_while_its_window_was_open_reads_as_final_once_the_case_is_closed(
        client, gen, physician, login_as):
    case = block_injected(gen, physician, 40, {"t0": 8, "m15": 0, "m30": 10})
    login_as(physician)

    assert record(client, case.id, therapeutic_days="").status_code == 302

    page = text(client.get(f"/cases/{case.id}/diary"))
    # Closing ended the diary: no window score can come any more.
    assert verdict(page) == (
        "Positive: peak relief 100 % in the window, reaches the 75 % threshold · 2 scores in the window")


def test_a_score_filed_under_a_missed_point_long_after_reads_at_the_moment_it_describes(
        client, gen, physician, login_as):
    # Before scores were read by their moment, a 5/10 given six months on was filed as "Day 7".
    scores = {code: score for code, score in GOOD_BLOCK.items() if code not in ("d7", "mo6")}
    case = followed_up(gen, physician, scores=scores)
    day_7 = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id, point_code="d7")).scalar_one()
    given = day_7.due_at + timedelta(days=173)
    db.session.add(DiaryEntry(point_id=day_7.id, case_id=case.id, side=Side.LEFT, score=5, entered_at=given,
                              felt_at=given, source=EntrySource.LINK, late=True))
    db.session.commit()
    login_as(physician)

    page = text(client.get(f"/cases/{case.id}/diary"))

    # Relief (4 of 8) lasted to 3 months; the 5/10 describes day 180, after it, not day 7.
    assert "90 days (last follow-up point at 50 % or more: 3 months)" in page
    assert "after this point closed: read at that moment (day 180), not as Day 7" in inner_html(page, "point-d7")
    assert input_value(page, "therapeutic_days") == "90"


def test_coordinators_read_the_diary_but_only_physicians_record_the_outcome(client, gen, physician, login_as):
    case = followed_up(gen, physician)
    login_as(gen.user(Role.COORDINATOR))

    page = text(client.get(f"/cases/{case.id}/diary"))
    assert "peak relief 87.5 %" in page and 'id="outcome-form"' not in page
    refused = submit(client, f"/cases/{case.id}/outcome",
                     {"diagnostic_result": "positive", "next_step": "discharge", "version_id": case.version_id},
                     form_page=f"/cases/{case.id}/diary")
    assert refused.status_code == 403
    db.session.expire_all()
    assert case.state == State.FOLLOW_UP and case.outcome is None


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PATIENT])
def test_admins_and_patients_cannot_open_the_diary_view_or_record(client, gen, physician, login_as, role):
    case = followed_up(gen, physician)
    user = gen.user(role, patient=case.patient) if role == Role.PATIENT else gen.user(role)
    login_as(user)
    assert client.get(f"/cases/{case.id}/diary").status_code == 403
    assert "peak relief" not in text(client.get(f"/cases/{case.id}/diary"))


def test_the_diary_view_takes_the_same_number_of_queries_for_3_or_15_entries(
        app, gen, physician, make_client, login_as, count_queries):
    few = followed_up(gen, physician, scores={"t0": 8, "m30": 2, "h1": 1})
    many = followed_up(gen, physician, scores={code: 3 for code in (
        "t0", "m15", "m30", "h1", "h2", "h3", "h4", "h5", "h6", "d1", "d2", "d7", "w2", "w6", "mo3")})
    db.session.execute(db.update(DiaryEntry).where(DiaryEntry.case_id == many.id)
                       .values(late=True, analgesic_used=True))
    db.session.commit()
    client = login_as(physician, on=make_client())
    counts = []
    for case in (few, many):
        client.get(f"/cases/{case.id}/diary")  # warm up (formulary, settings)
        with count_queries() as counter:
            response = client.get(f"/cases/{case.id}/diary")
        assert response.status_code == 200
        counts.append(counter.n)
    assert counts[0] == counts[1], counts


# ---------------------------------------------------------------- recording the outcome

def test_the_form_is_prefilled_from_the_diary(client, gen, physician, login_as):
    case = followed_up(gen, physician)
    login_as(physician)

    page = outcome_form(client, case.id)

    assert is_checked(page, "diagnostic_result", "positive")
    # Relief of 50 % or more until 3 months (4 of 8), gone by 6 months.
    assert 'name="therapeutic_days" type="text" value="90"' in page


def test_recording_the_outcome_closes_the_case_with_who_and_when(client, gen, physician, login_as):
    case = followed_up(gen, physician)
    login_as(physician)

    response = record(client, case.id, next_step="rfa_evaluation", notes="Good block; discuss RFA.")

    assert response.status_code == 302 and response.location == f"/cases/{case.id}"
    db.session.expire_all()
    outcome = case.outcome
    assert case.state == State.CLOSED
    assert (outcome.diagnostic_result, outcome.therapeutic_days, outcome.next_step) == ("positive", 90, NextStep.RFA_EVALUATION)
    assert outcome.decided_by_id == physician.id and outcome.decided_at is not None
    assert outcome.follow_on_case_id is None
    assert outcome.per_side["left"]["peak_relief"] == 87.5
    assert [h.action for h in case.history][-1] == "close"
    page = text(client.get(f"/cases/{case.id}"))
    assert "Outcome recorded and case #%d closed." % case.id in page
    assert "next step <strong>radiofrequency-ablation evaluation</strong>" in page
    assert "Dr Priya Raman" in page
    # Recorded once: the form is gone, and the plain transition button never offered closing.
    assert 'id="outcome-form"' not in text(client.get(f"/cases/{case.id}/diary"))


def test_closing_is_only_possible_through_the_outcome_form(client, gen, physician, login_as):
    case = followed_up(gen, physician)
    login_as(physician)
    assert "Record outcome and close</button>" not in text(client.get(f"/cases/{case.id}"))

    response = submit(client, f"/cases/{case.id}/transition", {"action": "close", "version_id": case.version_id},
                      form_page=f"/cases/{case.id}", follow_redirects=True)

    assert "That change is not available for this case now." in text(response)
    db.session.expire_all()
    assert case.state == State.FOLLOW_UP


@pytest.mark.parametrize("step,indication", [("confirmatory_block", Indication.CONFIRMATORY),
                                             ("repeat_injection", Indication.THERAPEUTIC)])
def test_a_repeat_or_confirmatory_block_opens_a_linked_case_prefilled_from_this_one(
        client, gen, physician, login_as, step, indication):
    case = followed_up(gen, physician, side=Side.RIGHT, scores={**GOOD_BLOCK, "t0": 8},
                       payer_profile_code="EVICORE_CMM_203", pain_worse_standing=True)
    login_as(physician)

    response = record(client, case.id, next_step=step)

    db.session.expire_all()
    new = case.outcome.follow_on_case
    assert response.location == f"/cases/{new.id}"
    assert (new.patient_id, new.side, new.indication, new.state) == (case.patient_id, Side.RIGHT, indication, State.REFERRED)
    assert (new.payer_profile_code, new.physician_id, new.previous_case_id) == ("EVICORE_CMM_203", physician.id, case.id)
    assert new.referring_clinician == "Dr Priya Raman" and new.referral_date == clinic_today()
    assert new.pain_worse_standing is True
    page = text(client.get(response.location))
    assert f"The {indication.label.lower()} is case #{new.id}, referred and ready for review." in page
    assert f"Follows case #{case.id}" in words(page)
    assert soup(page).find("a", href=f"/cases/{case.id}", string=f"#{case.id}")


def test_the_follow_on_case_carries_over_the_episodes_diagnosis_care_and_examination_but_asks_the_risks_again(
        client, gen, physician, login_as):
    """A confirmatory block is the same episode: its diagnosis, the care tried before it and the
    examination (with the day it was done) are facts of that episode, not to be typed again. The
    risk screen is asked again: a pregnancy, a blood thinner or an infection is about the day of
    the new injection."""
    from tracker.models import ConservativeCare, Examination, RiskScreen
    from tracker.vocab import ProvocationResult, TherapyKind
    case = followed_up(gen, physician, side=Side.RIGHT, scores={**GOOD_BLOCK, "t0": 8},
                       diagnosis_codes=["M46.1"])
    gen.therapy(case, kind=TherapyKind.PHYSICAL_THERAPY, start_date=date(2026, 1, 5), details="6 weeks, twice weekly")
    gen.therapy(case, kind=TherapyKind.MEDICATION, start_date=date(2026, 1, 5))
    db.session.add(Examination(case=case, examined_on=date(2026, 2, 3), pain_below_l5=True, radicular_signs=False,
                               baseline_nrs=7, faber_right=ProvocationResult.POSITIVE,
                               thigh_thrust_right=ProvocationResult.POSITIVE))
    db.session.commit()
    login_as(physician)

    record(client, case.id, next_step="confirmatory_block")

    db.session.expire_all()
    new = case.outcome.follow_on_case
    assert new.diagnosis_codes == ["M46.1"]
    care = db.session.scalars(db.select(ConservativeCare).filter_by(case_id=new.id)
                              .order_by(ConservativeCare.kind)).all()
    assert sorted((c.kind, c.start_date, c.details) for c in care) == sorted(
        (c.kind, c.start_date, c.details) for c in case.conservative_care)
    exam = db.session.scalars(db.select(Examination).filter_by(case_id=new.id)).one()
    assert (exam.examined_on, exam.faber_right, exam.thigh_thrust_right) == (
        date(2026, 2, 3), ProvocationResult.POSITIVE, ProvocationResult.POSITIVE)
    # The pain before the first injection is not the pain now: asked again, never carried.
    assert exam.baseline_nrs is None and exam.odi_sections == [None] * len(exam.odi_sections)
    assert db.session.scalars(db.select(RiskScreen).filter_by(case_id=new.id)).first() is None
    # The first case keeps its own records untouched.
    assert len(case.conservative_care) == 2 and case.examination.examined_on == date(2026, 2, 3)
    page = words(client.get(f"/cases/{new.id}"))
    assert f"carried over from case #{case.id}" in page


def test_missing_fields_are_refused_next_to_the_field_and_typed_values_kept(client, gen, physician, login_as):
    case = followed_up(gen, physician)
    login_as(physician)

    response = record(client, case.id, next_step="", therapeutic_days="three months", notes="Call back in May")

    page = text(response)
    assert response.status_code == 422
    assert '<small class="field-error" id="next_step-error">Choose the next step.</small>' in page
    assert field_error(page, "therapeutic_days").startswith("Enter whole days from 0 to 3650")
    assert 'value="three months"' in page and "Call back in May</textarea>" in page
    db.session.expire_all()
    assert case.state == State.FOLLOW_UP and case.outcome is None


def test_a_result_other_than_the_diarys_needs_a_reason_which_the_timeline_keeps(client, gen, physician, login_as):
    case = followed_up(gen, physician)
    diary_moved_back(case, 1)  # the anaesthetic window has closed: the block's reading is final
    login_as(physician)

    refused = record(client, case.id, diagnostic_result="negative", notes="kept")
    assert refused.status_code == 422
    assert ("The diary reads positive. Give the reason for recording negative instead." in text(refused))
    assert is_checked(text(refused), "diagnostic_result", "negative")
    db.session.expire_all()
    assert case.outcome is None

    record(client, case.id, diagnostic_result="negative", reason="Pain returned within the hour by phone.")
    db.session.expire_all()
    assert case.outcome.diagnostic_result == "negative"
    assert case.history[-1].reason == ("Diagnostic result recorded as negative; the diary read positive: "
                                       "Pain returned within the hour by phone.")
    assert "Pain returned within the hour by phone." in text(client.get(f"/cases/{case.id}"))


def test_the_outcome_saved_from_a_second_tab_is_refused_and_nothing_overwritten(
        gen, physician, make_client, login_as):
    case = followed_up(gen, physician)
    first, second = login_as(physician, on=make_client()), login_as(physician, on=make_client())
    stale_page = outcome_form(second, case.id)  # the second tab opens the form now
    token, version = csrf_from(stale_page), input_value(stale_page, "version_id")

    assert record(first, case.id, next_step="confirmatory_block").status_code == 302
    response = second.post(f"/cases/{case.id}/outcome", data={
        "csrf_token": token, "version_id": version, "diagnostic_result": "negative", "reason": "second opinion",
        "therapeutic_days": "0", "next_step": "discharge", "notes": "from the second tab"})

    page = text(response)
    assert response.status_code == 409
    assert "The outcome was already recorded by Dr Priya Raman" in page and "nothing was changed" in page
    assert "from the second tab" in page  # what was typed is shown, not lost
    db.session.expire_all()
    assert case.outcome.next_step == NextStep.CONFIRMATORY_BLOCK and case.outcome.notes == ""
    assert db.session.execute(db.select(db.func.count()).select_from(Case)
                              .filter_by(previous_case_id=case.id)).scalar() == 1


def test_an_outcome_committed_by_someone_else_meanwhile_is_refused_by_the_database(app_ctx, gen, physician):
    case = followed_up(gen, physician)
    assert case.outcome is None  # read before the other save, as a request would have
    commit_elsewhere(Outcome(case_id=case.id, diagnostic_result="positive", next_step=NextStep.DISCHARGE,
                             per_side={}, notes="", decided_by_id=physician.id))

    from tracker.diary.outcome import OutcomeRefused
    with pytest.raises(OutcomeRefused, match="already recorded"):
        record_outcome(case, physician, "positive", 90, NextStep.REPEAT_INJECTION, version_id=case.version_id,
                       confirm_early=True)
    db.session.expire_all()
    assert case.state == State.FOLLOW_UP and case.outcome.next_step == NextStep.DISCHARGE
    assert db.session.execute(db.select(Case).filter_by(previous_case_id=case.id)).first() is None


def test_recording_while_scores_are_to_come_asks_first(client, gen, physician, login_as):
    case = followed_up(gen, physician)
    login_as(physician)
    page = outcome_form(client, case.id)
    notice = words(by_id(page, "points-to-come"))
    assert re.match(r"The diary still has \d+ scores to come \(next: “", notice)
    # Closing ends the patient's diary: the physician is told before choosing to close early.
    assert "Recording the outcome closes the case: the patient's diary then takes no more scores." in notice

    refused = record(client, case.id, confirm_early="")

    assert refused.status_code == 422
    error = field_error(text(refused), "confirm_early")
    assert "closing the case ends the patient's diary: it takes no more scores." in error
    assert "Tick the box to record the outcome now anyway." in error
    db.session.expire_all()
    assert case.outcome is None and case.state == State.FOLLOW_UP


@pytest.mark.parametrize("days_ago", [15, 19], ids=["its-due-moment-passed", "late-in-its-window"])
def test_the_outcome_forms_next_score_reads_as_the_patients_diary_page(app, client, gen, physician, login_as,
                                                                       days_ago):
    # Injected at noon `days_ago` clinic days ago, baseline and day 1 given: the 2-week window
    # (days 14 to 20) is open now at any hour, its due moment passed (from day 7 on a window opens at
    # its point, so an open window's due moment is never ahead); day 2 and day 7 closed unscored
    # (missed, not to come).
    case = gen.case(state=State.FOLLOW_UP, physician_id=physician.id)
    gen.diary(case, injected_at=clinic_at(-days_ago, 12), entries={"t0": 7, "d1": 3})
    two_weeks = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id, point_code="w2")).scalar_one()
    next_score = f"(next: “2 weeks”, due now, until {' '.join(when(two_weeks.closes_at).split())})"
    login_as(physician)

    notice = words(by_id(outcome_form(client, case.id), "points-to-come"))
    refused = record(client, case.id, confirm_early="")

    assert refused.status_code == 422
    error = " ".join(field_error(text(refused), "confirm_early").split())
    # 2 weeks, 6 weeks, 3, 6 and 12 months: the missed day 2 and day 7 are not to come.
    assert error.startswith(f"The diary still has 5 scores to come {next_score}")
    assert notice.startswith(f"The diary still has 5 scores to come {next_score}")
    # Never the moment the window opened, which has passed.
    assert " ".join(when(two_weeks.opens_at).split()) not in error + notice
    patients_phone = app.test_client()
    login_as(gen.user(Role.PATIENT, patient=case.patient), on=patients_phone)
    diary_page = text(patients_phone.get(f"/my/cases/{case.id}/diary"))
    assert "2 weeks due now" in words(soup(diary_page).find("h2", class_="due-title"))


def test_a_duration_other_than_the_diarys_needs_a_reason_and_both_values_are_shown_as_evidence(
        client, gen, physician, login_as):
    # GOOD_BLOCK reads 90 days (4 of 8 at 3 months); the physician records 120, five months on.
    case = followed_up(gen, physician, indication=Indication.THERAPEUTIC)
    diary_moved_back(case, 150)
    login_as(physician)

    refused = record(client, case.id, therapeutic_days="120", next_step="repeat_injection")

    assert refused.status_code == 422
    assert ("The diary reads 90 days. Give the reason for recording 120 days instead"
            in field_error(text(refused), "days_reason"))
    typed = soup(refused).find("input", attrs={"name": "therapeutic_days"})
    assert (typed["type"], typed["value"]) == ("text", "120")
    assert db.session.execute(db.select(Outcome).filter_by(case_id=case.id)).first() is None

    record(client, case.id, therapeutic_days="120", next_step="repeat_injection",
           days_reason="Letter from the referring clinic: relief to four months.")

    db.session.expire_all()
    outcome = case.outcome
    assert (outcome.therapeutic_days, outcome.diary_therapeutic_days) == (120, 90)
    shown = "recorded 120 days; diary read 90 days (Letter from the referring clinic: relief to four months.)"
    assert shown in text(client.get(f"/cases/{case.id}/diary")) and shown in text(client.get(f"/cases/{case.id}"))
    repeat = outcome.follow_on_case
    assert "recorded 120 days; diary read 90 days" in text(client.get(f"/cases/{repeat.id}"))
    # The repeat's eligibility evidence shows both.
    assert "120 days at 50% or more (recorded 120 days; diary read 90 days)" in repeat_relief(repeat).evidence


def correction(client, case, form_page=None, **fields):
    db.session.expire_all()
    data = {"diagnostic_result": "positive", "therapeutic_days": "90", "days_reason": "", "notes": "",
            "correction_reason": "", "version_id": str(case.outcome.version_id), **fields}
    return submit(client, f"/cases/{case.id}/outcome/correct", data,
                  form_page=form_page or f"/cases/{case.id}/diary")


def test_a_physician_corrects_a_recorded_outcome_with_a_reason_and_the_history_is_kept(
        client, gen, physician, login_as):
    case = followed_up(gen, physician)
    login_as(physician)
    record(client, case.id, notes="first reading")
    assert 'id="correct-outcome"' in text(client.get(f"/cases/{case.id}/diary"))

    no_reason = correction(client, case, diagnostic_result="negative")
    assert no_reason.status_code == 422
    assert "Say why the outcome is corrected" in field_error(text(no_reason), "correction_reason")
    longer = correction(client, case, therapeutic_days="150", correction_reason="Patient's letter")
    assert "Give the reason for recording 150 days instead" in field_error(text(longer), "days_reason")
    stale = correction(client, case, diagnostic_result="negative", correction_reason="x", version_id="0")
    assert stale.status_code == 409 and "corrected by someone else" in text(stale)

    done = correction(client, case, diagnostic_result="negative", notes="first reading",
                      correction_reason="Scale misread: the patient meant 4, not 1, at one hour.")

    assert done.status_code == 302
    db.session.expire_all()
    outcome = case.outcome
    assert outcome.diagnostic_result == "negative" and outcome.therapeutic_days == 90
    [revision] = outcome.revisions
    assert (revision.diagnostic_result, revision.therapeutic_days, revision.notes) == ("positive", 90, "first reading")
    assert revision.replaced_by_id == physician.id and revision.reason.startswith("Scale misread")
    event = db.session.execute(db.select(AuditEvent).filter_by(object_type="outcome", action="update")).scalar_one()
    assert event.user_id == physician.id and "outcome corrected (diagnostic result)" in event.summary
    page = text(client.get(f"/cases/{case.id}/diary"))
    assert "Scale misread: the patient meant 4" in page and "Before: result positive" in page


def test_a_corrected_result_no_longer_shows_the_reason_given_for_the_result_it_replaced(
        client, gen, physician, login_as):
    case = followed_up(gen, physician)
    login_as(physician)
    record(client, case.id, diagnostic_result="negative", reason="Pain returned within the hour by phone.")
    departure = "Diagnostic result recorded as negative; the diary read positive"
    assert departure in words(by_id(text(client.get(f"/cases/{case.id}/diary")), "outcome"))

    correction(client, case, diagnostic_result="indeterminate",
               correction_reason="The one-hour call note was about the other side.")

    outcome = words(by_id(text(client.get(f"/cases/{case.id}/diary")), "outcome"))
    assert departure not in outcome.split("Corrections")[0]
    assert "indeterminate" in outcome and "The one-hour call note was about the other side." in outcome
    correction(client, case, diagnostic_result="negative", correction_reason="Call note re-read: it was this side.")
    assert departure in words(by_id(text(client.get(f"/cases/{case.id}/diary")), "outcome"))


def test_once_the_case_is_closed_the_points_still_to_come_say_the_diary_has_ended(client, gen, physician, login_as):
    case = followed_up(gen, physician)
    login_as(physician)
    assert "Not open yet" in words(by_id(text(client.get(f"/cases/{case.id}")), "diary"))

    record(client, case.id)

    panel = words(by_id(text(client.get(f"/cases/{case.id}")), "diary"))
    assert "Not open yet" not in panel and "Due now" not in panel
    assert "12 months" in panel and "Not asked: the diary has ended" in panel
    diary_page = words(text(client.get(f"/cases/{case.id}/diary")))
    assert "not open yet" not in diary_page and "not asked: the diary has ended" in diary_page


def test_only_a_physician_corrects_an_outcome(app, client, gen, physician, login_as):
    case = followed_up(gen, physician)
    login_as(physician)
    record(client, case.id)
    coordinator = login_as(gen.user(Role.COORDINATOR), on=app.test_client())
    assert 'id="correct-outcome"' not in text(coordinator.get(f"/cases/{case.id}/diary"))
    # Their diary page offers no correction form: a token from a form they do have.
    refused = correction(coordinator, case, form_page="/referrals/new", diagnostic_result="negative",
                         correction_reason="x")
    assert refused.status_code == 403
    db.session.expire_all()
    assert case.outcome.diagnostic_result == "positive" and case.outcome.revisions == []


# ---------------------------------------------------------------- the eligibility engine counts it

def repeat_relief(case):
    verdict, _ = current_assessment(case)
    return next(c for c in verdict.criteria if c.code == CriterionCode.REPEAT_RELIEF)


def opened_outcome_form(client, gen, physician, login_as, scores, **case_fields):
    """A followed-up case with `scores`, and its diary page with the outcome form, as its physician sees it."""
    case = followed_up(gen, physician, scores=scores, **case_fields)
    login_as(physician)
    return case, outcome_form(client, case.id)


def test_relief_still_holding_while_the_diary_runs_reads_as_a_lower_bound(client, gen, physician, login_as):
    # As DEMO-0001 before its close: 7 before, 3 (57 %) at day 2, nothing since; the 2-week score is to come.
    _, page = opened_outcome_form(client, gen, physician, login_as, indication=Indication.THERAPEUTIC,
                                  scores={"t0": 7, "m15": 2, "m30": 1, "h1": 1, "h2": 1, "h4": 2, "h6": 3, "d1": 4,
                                          "d2": 3})

    relief = words(by_id(page, "reading-left"))
    assert "at least 2 days so far" in relief and re.search(r"the diary is still running: next score “[^”]+”, due ", relief)
    assert "Therapeutic relief 2 days" not in relief
    # The physician may record the lower bound, told that it is one.
    assert input_value(page, "therapeutic_days") == "2"
    hint = words(by_id(page, "therapeutic_days-hint"))
    assert "at least 2 days so far" in hint and "lower bound" in hint


def test_a_lower_bound_recorded_while_the_diary_runs_stays_at_least_wherever_the_duration_is_evidence(
        client, gen, physician, login_as):
    """Recorded early (the box ticked) with the prefilled 2 days, which the diary read as "at least 2
    days so far": the case, its diary page, the repeat it opened and the repeat's eligibility all
    keep the "at least"."""
    case, _page = opened_outcome_form(client, gen, physician, login_as, indication=Indication.THERAPEUTIC,
                                      scores={"t0": 7, "m15": 2, "m30": 1, "h1": 1, "h2": 1, "h4": 2, "h6": 3,
                                              "d1": 4, "d2": 3})

    assert record(client, case.id, therapeutic_days="2", next_step="repeat_injection").status_code == 302

    db.session.expire_all()
    shown = "at least 2 days (the diary's reading, still running when the outcome was recorded)"
    assert shown in words(client.get(f"/cases/{case.id}"))
    diary_page = words(client.get(f"/cases/{case.id}/diary"))
    assert shown in diary_page
    assert "The diary read at least 2 days so far (still running when the outcome was recorded)" in diary_page
    repeat = case.outcome.follow_on_case
    follows = words(by_id(text(client.get(f"/cases/{repeat.id}")), "follows-case"))
    assert f"therapeutic relief {shown}" in follows
    assert "therapeutic relief 2 days (the diary's reading)" not in follows
    assert "at least 2 days at 50% or more (the diary still running when recorded)" in repeat_relief(repeat).evidence
    # An EHR reads it as a lower bound too.
    from tests.api_support import bearer, fhir_json, token_for
    bundle = fhir_json(client.get(f"/fhir/Patient/{case.patient_id}/$everything",
                                  headers=bearer(token_for(gen.user(Role.COORDINATOR)))))
    resources = [entry["resource"] for entry in bundle["entry"]]
    [observation] = [r for r in resources if r.get("id") == f"{case.id}-outcome"]
    [days] = [c for c in observation["component"] if c["code"]["coding"][0]["code"] == "therapeutic-relief-days"]
    assert days["valueQuantity"]["value"] == 2 and days["valueQuantity"]["comparator"] == ">="
    [procedure] = [r for r in resources if r["resourceType"] == "Procedure"]
    assert "relief of 50% or more for at least 2 days (the diary still running when recorded)" in \
        procedure["outcome"]["text"].lower()


@pytest.mark.parametrize(("later", "days", "evicore"), [
    # 8 -> 2 (75 %) still at day 2: at 75 % too the 2 days are a lower bound, short of eviCore's 14.
    ({"d2": 2}, 2, (Status.UNKNOWN, "at least 2 days at 75% or more (the diary still running when recorded), needs "
                                    "75% for 14 days: relief still held at 2 days when the outcome was recorded")),
    # 8 -> 3 (62.5 %) at day 7: relief still holds at 50 % (at least 7 days) but ended at 75 % after day 2, a
    # reading that is known.
    ({"d2": 2, "d7": 3}, 7, (Status.NOT_MET, "2 days at 75% or more, needs 75% for 14 days (left)")),
])
def test_a_repeat_after_relief_still_holding_when_recorded_waits_under_review_under_each_payers_threshold(
        client, gen, physician, login_as, later, days, evicore):
    """The outcome recorded while relief still held (the box ticked, the prefilled days): whether it lasted
    Medicare's 90 days is not known, so the repeat reads unknown (incomplete, not "Not eligible"), and
    eviCore, reading its 75 % again from the scores kept, keeps the "at least" where relief still held at
    75 % at the latest score."""
    case = followed_up(gen, physician, indication=Indication.THERAPEUTIC,
                       scores={"t0": 8, "m15": 2, "m30": 2, "h1": 2, "h2": 2, "h4": 2, "h6": 2, "d1": 2, **later})
    login_as(physician)
    assert input_value(outcome_form(client, case.id), "therapeutic_days") == str(days)
    assert record(client, case.id, therapeutic_days=str(days), next_step="repeat_injection").status_code == 302
    db.session.expire_all()
    repeat = case.outcome.follow_on_case

    medicare = repeat_relief(repeat)
    assert medicare.status == Status.UNKNOWN, medicare.evidence
    assert f"at least {days} days at 50% or more" in medicare.evidence
    assert medicare.shortfall == (f"end of relief after injection of {clinic_today().isoformat()}: at least {days} "
                                  "of 90 days so far (left)")
    # Evaluated from the case page, it reads so there (the repeat's other facts are not recorded here).
    repeat.state = State.UNDER_REVIEW
    db.session.commit()
    page = text(evaluate(client, repeat))
    assert criteria(page)["Relief after last therapeutic injection"] == ("? Unknown", medicare.evidence)
    db.session.expire_all()

    repeat.payer_profile_code = "EVICORE_CMM_203"
    db.session.commit()
    status, evidence = evicore
    found = repeat_relief(repeat)
    assert found.status == status and evidence in found.evidence, found.evidence


def test_a_duration_recorded_once_the_relief_had_ended_reads_as_before(client, gen, physician, login_as):
    case = followed_up(gen, physician, indication=Indication.THERAPEUTIC)
    login_as(physician)
    record(client, case.id, therapeutic_days="90", next_step="repeat_injection")

    db.session.expire_all()
    assert "90 days (the diary's reading)" in words(client.get(f"/cases/{case.id}"))
    assert "at least" not in words(by_id(text(client.get(f"/cases/{case.outcome.follow_on_case_id}")), "follows-case"))
    assert "90 days at 50% or more, needs" in repeat_relief(case.outcome.follow_on_case).evidence



def repeat_after_an_outcome_kept_without_its_scores(client, gen, physician, login_as):
    """A repeat (under eviCore) after an outcome whose scores were not kept with it (as outcomes recorded
    before they were): only its days at the diary's 50 % remain, 20 recorded from a phone call."""
    case = followed_up(gen, physician, indication=Indication.THERAPEUTIC,
                       scores={"t0": 8, "m15": 2, "m30": 2, "h1": 2, "h2": 2, "h4": 2, "h6": 2, "d1": 2, "d7": 2,
                               "w2": 2})
    diary_moved_back(case, 21)
    login_as(physician)
    response = record(client, case.id, therapeutic_days="20", next_step="repeat_injection",
                      days_reason="Patient reported by phone: relief lasted three weeks")
    assert response.status_code == 302
    db.session.expire_all()
    outcome = case.outcome
    outcome.per_side = {joint: {k: v for k, v in side.items() if k != "readings"}
                        for joint, side in outcome.per_side.items()}
    repeat = outcome.follow_on_case
    repeat.payer_profile_code = "EVICORE_CMM_203"
    db.session.commit()
    return repeat


def test_a_repeat_after_an_outcome_kept_without_its_scores_waits_under_review_for_evicores_days_at_75(
        client, gen, physician, login_as):
    """eviCore asks 75 % for 14 days, and the days at 75 % cannot be read again: unknown (the case waits
    under review), never met on the days at 50 %."""
    repeat = repeat_after_an_outcome_kept_without_its_scores(client, gen, physician, login_as)

    found = repeat_relief(repeat)

    assert found.status == Status.UNKNOWN, found.evidence
    assert "peak relief 75%, 20 days at 50% or more" in found.evidence, found.evidence
    assert found.evidence.endswith("needs 75% for 14 days: the days at 75% are not known; record them, or a "
                                   "physician may override with the outside records (left)")
    assert found.shortfall.startswith("days at 75% after injection of ")


def test_a_repeat_met_by_the_earlier_release_on_days_at_50_percent_is_stale_naming_the_criterion(
        client, gen, physician, login_as):
    """The release before this one read 20 days at 50 % as meeting eviCore's 75 % for 14 days. Nothing about
    the case changed, but the criterion now reads unknown: the verdict no longer stands, the reason naming
    the criterion, not the passing of time."""
    repeat = repeat_after_an_outcome_kept_without_its_scores(client, gen, physician, login_as)

    reason = staleness_of_the_earlier_releases_verdict(repeat, physician, "met", ": the days at 75%")

    assert reason.startswith("relief after last therapeutic injection was met, now unknown (after therapeutic "
                             "injection of "), reason
    assert "passing of time" not in reason


def injected_days_ago(gen, physician, days, scores):
    """A case in follow-up whose injection was `days` days ago, with `scores` given on time."""
    case = gen.case(state=State.FOLLOW_UP, physician_id=physician.id)
    gen.diary(case, injected_at=now() - timedelta(days=days), entries=scores)
    return case


# As DEMO-0016 (Mensah) on 5 December: 7 before, 6-7 in the window, 7 at day 1, nothing since; the
# 2-week window (days 11 to 17) is open and its due moment (day 14) has passed.
NO_RELIEF = {"t0": 7, "m15": 7, "m30": 6, "h1": 6, "h2": 7, "h4": 6, "h6": 7, "d1": 7}


def test_no_relief_at_any_score_reads_as_none_so_far_and_the_same_after_the_outcome(client, gen, physician,
                                                                                   login_as):
    case = injected_days_ago(gen, physician, 15, NO_RELIEF)
    login_as(physician)
    page = outcome_form(client, case.id)

    relief = words(by_id(page, "reading-left"))
    assert "0 days: no relief of 50 % or more so far (latest: Day 1, 0 %)" in relief
    assert "at least" not in relief and "had not ended" not in relief
    # The 2-week score's due moment has passed but its window is open: due now, never a past "next due".
    two_weeks = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id, point_code="w2")).scalar_one()
    due_now = f"“2 weeks”, due now, until {' '.join(when(two_weeks.closes_at).split())}"
    assert f"the diary is still running: next score {due_now}" in relief
    assert f"(next: {due_now})" in words(by_id(page, "points-to-come"))
    hint = words(by_id(page, "therapeutic_days-hint"))
    assert "0 days: no relief of 50 % or more so far (latest: Day 1, 0 %)" in hint
    assert "at least" not in hint and "lower bound" not in hint

    record(client, case.id, diagnostic_result="negative", therapeutic_days="0")

    relief = words(by_id(text(client.get(f"/cases/{case.id}/diary")), "reading-left"))
    assert "0 days: no relief of 50 % or more (latest: Day 1, 0 %)" in relief
    assert "below 50 % from the first follow-up score" not in relief


def test_relief_below_50_at_the_latest_score_before_day_7_is_not_read_as_still_holding(client, gen, physician,
                                                                                      login_as):
    # 62.5 % at day 1, 37.5 % at day 2: a dip before day 7 neither ends nor denies relief, but
    # relief does not hold at the latest score, so "at least … so far" would say what the scores do not.
    case = injected_days_ago(gen, physician, 3, {"t0": 8, "m30": 2, "h1": 2, "d1": 3, "d2": 5})
    login_as(physician)
    page = outcome_form(client, case.id)

    relief = words(by_id(page, "reading-left"))
    assert "1 day so far (last follow-up point at 50 % or more: day 1); latest: Day 2, 37.5 %" in relief
    assert "at least" not in relief and "had not ended" not in relief
    assert "at least" not in words(by_id(page, "therapeutic_days-hint"))


def test_relief_that_ended_reads_as_its_duration(client, gen, physician, login_as):
    # Below 50 % from 6 weeks on: relief ended at 2 weeks whatever the diary still asks.
    _, page = opened_outcome_form(client, gen, physician, login_as,
                                  scores={"t0": 8, "m30": 2, "h1": 1, "d1": 3, "d7": 3, "w2": 4, "w6": 5})

    assert "14 days (last follow-up point at 50 % or more: 2 weeks)" in words(by_id(page, "reading-left"))
    assert "at least" not in words(by_id(page, "therapeutic_days-hint"))


def test_a_therapeutic_injection_has_no_diagnostic_result_to_read_or_record(client, gen, physician, login_as):
    # Scores that would read as a negative block (8 -> 6 at most in the window) on a therapeutic
    # injection: it is no block, so neither the page, the form nor the outcome gives it a result.
    case, page = opened_outcome_form(client, gen, physician, login_as, indication=Indication.THERAPEUTIC,
                                     scores={"t0": 8, "m30": 6, "h1": 6, "d1": 4, "d7": 4, "w2": 4, "w6": 4,
                                             "mo3": 4, "mo6": 7})

    reading = words(by_id(page, "reading-left"))
    assert "Diagnostic result" not in reading and "threshold" not in reading
    assert soup(page).find("input", attrs={"name": "diagnostic_result"}) is None

    record(client, case.id, diagnostic_result="negative", next_step="repeat_injection")

    db.session.expire_all()
    assert case.state == State.CLOSED
    assert case.outcome.diagnostic_result is None
    assert "Diagnostic result" not in words(by_id(text(client.get(f"/cases/{case.id}/diary")), "outcome"))
    assert "Diagnostic result" not in words(by_id(text(client.get(f"/cases/{case.id}")), "outcome-panel"))


def test_a_therapeutic_injection_whose_window_reads_as_a_negative_block_still_gives_its_peak_to_a_repeat(
        client, gen, physician, login_as):
    """A therapeutic injection has no result to "depart" from the window's reading, not even one an
    earlier release let the form record: the repeat reads its follow-up peak, not "relief not
    recorded"."""
    case = followed_up(gen, physician, indication=Indication.THERAPEUTIC,
                       scores={"t0": 8, "m30": 6, "h1": 6, "d1": 4, "d7": 4, "w2": 4, "w6": 4, "mo3": 4, "mo6": 7})
    login_as(physician)
    record(client, case.id, next_step="repeat_injection",
           therapeutic_days=input_value(outcome_form(client, case.id), "therapeutic_days"))
    db.session.expire_all()
    case.outcome.diagnostic_result = "positive"  # as an earlier release stored it; the window read negative
    db.session.commit()
    evidence = repeat_relief(case.outcome.follow_on_case).evidence
    assert "peak relief 50%" in evidence and "not recorded" not in evidence


def test_correcting_an_earlier_releases_therapeutic_outcome_keeps_its_result_as_it_was(
        client, gen, physician, login_as):
    """A result an earlier release let the form record on a therapeutic injection is not erased by
    a correction of the notes (nor recorded as a change)."""
    case = followed_up(gen, physician, indication=Indication.THERAPEUTIC)
    login_as(physician)
    record(client, case.id, next_step="discharge")
    db.session.expire_all()
    case.outcome.diagnostic_result = "positive"  # as an earlier release stored it
    db.session.commit()
    response = correction(client, case, therapeutic_days=str(case.outcome.therapeutic_days or ""),
                          notes="Patient called: doing well", correction_reason="Added the call")
    assert response.status_code == 302
    db.session.expire_all()
    assert case.outcome.diagnostic_result == "positive" and case.outcome.notes == "Patient called: doing well"
    assert [r.diagnostic_result for r in case.outcome.revisions] == ["positive"]


@pytest.mark.parametrize("scores,status", [
    # 8 -> 4 is 50 % to 3 months: Medicare's 50 % for 90 days is met.
    ({**GOOD_BLOCK}, Status.MET),
    # Relief fell below 50 % at 6 weeks (5 of 8): 14 days is short of 90.
    ({**GOOD_BLOCK, "w6": 5}, Status.NOT_MET),
])
def test_a_repeats_relief_criterion_is_read_from_the_recorded_outcome(client, gen, physician, login_as, scores, status):
    case = followed_up(gen, physician, scores=scores, indication=Indication.THERAPEUTIC)
    login_as(physician)
    prefilled = input_value(outcome_form(client, case.id), "therapeutic_days")

    record(client, case.id, next_step="repeat_injection", therapeutic_days=prefilled)

    db.session.expire_all()
    repeat = case.outcome.follow_on_case
    criterion = repeat_relief(repeat)
    assert criterion.status == status
    assert f", {prefilled} days at 50% or more" in criterion.evidence


@pytest.mark.parametrize("given_after_due, days, shown, status", [
    # On time: the 3-month window opens on day 90 (its reminder goes out then) and the score given
    # that day shows relief for the 90 days Medicare's repeat asks: met.
    (timedelta(0), 90, "90 days (last follow-up point at 50 % or more: 3 months)", Status.MET),
    # The probe's case: the 3-month score given the day its window opened when windows opened 14
    # days early (day 76; a window opened or answered before upgrade 0059 keeps its days). Relief was
    # seen for 76 days, short of Medicare's 90: the repeat is not met, and the reading says why not 90.
    (timedelta(days=-14), 76, "76 days (last follow-up point at 50 % or more: 3 months, given on day 76)",
     Status.NOT_MET),
    # Given late in its window (day 100), it shows relief to day 100.
    (timedelta(days=10), 100, "100 days (last follow-up point at 50 % or more: 3 months, given on day 100)",
     Status.MET),
])
def test_a_score_given_early_or_late_in_its_window_reads_at_the_day_it_was_given(
        client, gen, physician, login_as, given_after_due, days, shown, status):
    from tracker.diary.kept import keep_relief
    from tracker.models import ReliefSpan

    # Medicare, therapeutic: 8 before, 50 % or more to the 3-month score (4 of 8), none at 6 months.
    case = followed_up(gen, physician, indication=Indication.THERAPEUTIC,
                       scores={"t0": 8, "d1": 3, "d7": 2, "w2": 2, "w6": 3, "mo3": 4, "mo6": 8})
    three_months = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id, point_code="mo3")).scalar_one()
    entry = db.session.execute(db.select(DiaryEntry).filter_by(point_id=three_months.id)).scalar_one()
    entry.felt_at = entry.entered_at = three_months.due_at + given_after_due
    # The window the score was given in (before upgrade 0059 it opened 14 days before the point).
    three_months.opens_at = min(three_months.opens_at, entry.felt_at)
    keep_relief(case)
    db.session.commit()
    login_as(physician)

    page = outcome_form(client, case.id)
    assert shown in words(by_id(page, "reading-left"))
    assert input_value(page, "therapeutic_days") == str(days)
    # The Reports survival curve counts the same day (relief ended there).
    assert [(span.lasted_days, span.ended) for span in db.session.execute(
        db.select(ReliefSpan).filter_by(case_id=case.id)).scalars()] == [(days, True)]

    record(client, case.id, next_step="repeat_injection", therapeutic_days=str(days))

    db.session.expire_all()
    criterion = repeat_relief(case.outcome.follow_on_case)
    assert criterion.status == status
    assert f", {days} days at 50% or more, needs 50% for 90 days (left)" in criterion.evidence


def test_before_an_outcome_the_earlier_injections_relief_is_unknown(gen, physician):
    case = followed_up(gen, physician, indication=Indication.THERAPEUTIC)
    repeat = gen.case(patient=case.patient, indication=Indication.THERAPEUTIC, state=State.UNDER_REVIEW)
    assert repeat_relief(repeat).status == Status.UNKNOWN


def test_a_stricter_repeat_threshold_is_read_from_the_recorded_scores(gen, physician):
    # eviCore asks 75 % for 14 days: 8 -> 2 (75 %) at day 1 and day 7, 3 (62.5 %) at 2 weeks.
    case = followed_up(gen, physician, indication=Indication.THERAPEUTIC,
                       scores={"t0": 8, "m30": 2, "h1": 2, "d1": 2, "d7": 2, "w2": 3, "w6": 4, "mo3": 4})
    record_outcome(case, physician, "positive", 90, NextStep.DISCHARGE, version_id=case.version_id, confirm_early=True)
    db.session.expire_all()

    medicare, = prior_injections(gen.case(patient=case.patient), PROFILES["MEDICARE_LCD_2023"])
    evicore, = prior_injections(gen.case(patient=case.patient), PROFILES["EVICORE_CMM_203"])

    # A therapeutic injection is no block: the "positive" passed is not kept.
    assert (medicare.diagnostic_result, medicare.relief_duration_days) == (None, 90)
    assert medicare.peak_relief_percent == 75.0  # best follow-up relief of a therapeutic injection
    assert evicore.relief_duration_days == 7


def test_a_repeat_in_one_joint_is_judged_on_that_joints_relief_after_a_bilateral_injection(
        client, gen, physician, login_as):
    # Left 8 -> 3 (62.5 %) to 3 months; right 8 -> 5 (37.5 %) from day 1: the sides read apart (both
    # negative blocks under Medicare's 75 %, as recorded).
    left = {"t0": 8, "m30": 3, "h1": 3, "d1": 3, "d7": 3, "w2": 3, "w6": 3, "mo3": 3}
    right = {"t0": 8, "m30": 4, "h1": 4, "d1": 5, "d7": 5, "w2": 5, "w6": 5, "mo3": 5}
    case = followed_up(gen, physician, side=Side.BILATERAL, indication=Indication.THERAPEUTIC,
                       scores={code: {Side.LEFT: left[code], Side.RIGHT: right[code]} for code in left})
    login_as(physician)
    page = outcome_form(client, case.id)
    prefilled = {f"{joint}_days": input_value(page, f"{joint}_days") for joint in ("left", "right")}
    assert prefilled == {"left_days": "90", "right_days": "0"}  # each joint's duration is its own side's
    record(client, case.id, diagnostic_result="negative", **prefilled)
    db.session.expire_all()

    for side, status, evidence in (
            # The left's relief still held at its latest score (3 months) with the diary running: a lower bound.
            (Side.LEFT, Status.MET, "peak relief 62.5%, at least 90 days at 50% or more (the diary still running "
                                    "when recorded), needs 50% for 90 days (left)"),
            (Side.RIGHT, Status.NOT_MET, "peak relief 37.5%, 0 days at 50% or more, needs 50% for 90 days (right)")):
        repeat = gen.case(patient=case.patient, side=side, indication=Indication.THERAPEUTIC,
                          state=State.UNDER_REVIEW)
        criterion = repeat_relief(repeat)
        assert (criterion.status, criterion.evidence.split(": ", 1)[1]) == (status, evidence)

    # A bilateral repeat: each joint on its own relief.
    both = repeat_relief(gen.case(patient=case.patient, side=Side.BILATERAL, indication=Indication.THERAPEUTIC,
                                  state=State.UNDER_REVIEW))
    assert both.status == Status.NOT_MET
    assert "peak relief 62.5%, at least 90 days at 50% or more (the diary still running when recorded), needs 50% " \
           "for 90 days (left)" in both.evidence
    assert "peak relief 37.5%, 0 days at 50% or more, needs 50% for 90 days (right)" in both.evidence
    assert both.shortfall == "peak relief 37.5%, 0 days at 50% or more, needs 50% for 90 days (right)"


def test_a_block_recorded_against_the_diarys_reading_keeps_the_diarys_relief_beside_the_recorded_result(
        gen, physician):
    """A positive recorded against a diary that read negative (50 %, needs 75 %) stands for the
    outcome, but the payer asks for the relief: the confirmatory block's criterion is unknown (the
    physician may override with the records), never met on a relief the diary does not show."""
    case = followed_up(gen, physician, scores={"t0": 8, "m30": 4, "h1": 4})
    record_outcome(case, physician, "positive", None, NextStep.CONFIRMATORY_BLOCK,
                   reason="Outside records: complete relief at 20 minutes.", version_id=case.version_id,
                   confirm_early=True)
    db.session.expire_all()

    prior, = prior_injections(case.outcome.follow_on_case)

    assert (prior.diagnostic_result, prior.peak_relief_percent, prior.diary_result) == ("positive", 50.0, "negative")
    assert (prior.diary_window_scores, prior.recorded_by) == (2, "Dr Priya Raman")
    block = next(c for c in current_assessment(case.outcome.follow_on_case)[0].criteria
                 if c.code == CriterionCode.PRIOR_POSITIVE_BLOCK)
    assert block.status == Status.UNKNOWN
    assert "(recorded positive by Dr Priya Raman; the diary read negative: 50% relief from 2 scores" in block.evidence


def test_the_block_names_the_physician_whose_correction_set_its_result(gen, physician):
    """Recorded negative as the diary read it, then corrected to positive by another physician: the
    evidence names the one who recorded the positive; a later correction of the notes alone does not."""
    case = followed_up(gen, physician, scores={"t0": 8, "m30": 4, "h1": 4})
    record_outcome(case, physician, "negative", None, NextStep.DISCHARGE, version_id=case.version_id,
                   confirm_early=True)
    other = gen.user(Role.PHYSICIAN, name="Dr Amara Osei")
    correct_outcome(case.outcome, other, "positive", None, "", "", "Outside records: complete relief.",
                    case.outcome.version_id)
    correct_outcome(case.outcome, physician, "positive", None, "", "Seen again.", "Notes added.",
                    case.outcome.version_id)
    db.session.commit()

    prior, = prior_injections(gen.case(patient=case.patient, side=Side.LEFT))

    assert (prior.diagnostic_result, prior.diary_result, prior.recorded_by) == ("positive", "negative", "Dr Amara Osei")


def test_a_positive_recorded_over_one_score_of_75_percent_reads_met_with_what_it_rests_on(
        client, gen, physician, login_as):
    """Walkthrough finding 1: one 15-minute score of 75 % (indeterminate: too few entries), the physician
    records a positive with a reason and a confirmatory block; the new case's assessment read "✓ Met" beside
    "relief not recorded". It now names the recorded result, who recorded it and what the diary read."""
    case = followed_up(gen, physician, side=Side.RIGHT, scores={"t0": 8, "m15": 2})
    login_as(physician)

    response = record(client, case.id, next_step=NextStep.CONFIRMATORY_BLOCK.value, therapeutic_days="",
                      reason="Patient reported near-complete relief on the recovery-room call")

    page = text(client.get(response.location))
    status, evidence = criteria(page, "Today's assessment (not recorded)")["Prior positive diagnostic block"]
    assert "Met" in status and "Not met" not in status
    assert "not recorded" not in evidence
    assert evidence.startswith("diagnostic block ")
    assert evidence.endswith(" (recorded positive by Dr Priya Raman; the diary read indeterminate: 75% relief from "
                             "1 score in the anaesthetic window; needs 75%) (right)")
    # The same words in the verdict snapshot that the FHIR and CSV answers carry.
    db.session.expire_all()
    verdict, _ = current_assessment(case.outcome.follow_on_case)
    snapshot = next(c for c in verdict.as_dict()["criteria"] if c["code"] == "prior_positive_block")
    assert (snapshot["status"], snapshot["evidence"]) == ("met", evidence)


def confirmatory_evaluated(gen, physician):
    """The confirmatory case after a positive recorded over one 15-minute score of 75 %, its
    verdict taken: what the two tests below store and rename."""
    case = followed_up(gen, physician, side=Side.RIGHT, scores={"t0": 8, "m15": 2})
    record_outcome(case, physician, "positive", None, NextStep.CONFIRMATORY_BLOCK,
                   reason="Patient reported near-complete relief on the recovery-room call",
                   version_id=case.version_id, confirm_early=True)
    db.session.expire_all()
    new = case.outcome.follow_on_case
    new.state = State.UNDER_REVIEW
    evaluate_case(new, physician)
    db.session.commit()
    return new


def test_a_verdict_stored_in_the_earlier_words_of_that_block_still_stands(gen, physician):
    """A release before this one stored "relief not recorded" for the same block, with the peak left out
    of what it read: the new words and the diary's reading now kept beside the recorded result are no new
    fact, so the verdict neither goes stale for them nor loses an override (EVIDENCE_WORDING)."""
    new = confirmatory_evaluated(gen, physician)
    verdict = new.current_verdict
    # As the earlier release stored it: its words (wording 2), the digest of what it read.
    prior = [dataclasses.replace(p, peak_relief_percent=None, diary_result=None, diary_window_scores=None,
                                 recorded_by=None) for p in prior_injections(new)]
    snapshot = dict(verdict.snapshot)
    snapshot["wording"] = 2
    snapshot["criteria"] = [{**c, "evidence": re.sub(r"\(recorded positive .*needs 75%\)", "(relief not recorded, "
                                                     "needs 75%)", c["evidence"])} for c in snapshot["criteria"]]
    assert "(relief not recorded, needs 75%) (right)" in str(snapshot["criteria"])
    verdict.snapshot = snapshot
    verdict.facts_fingerprint = fingerprint(case_facts(new, clinic_today()), prior, profile_for(new))
    flag_modified(verdict, "snapshot")
    db.session.commit()

    assert staleness(new) is None


def staleness_of_the_earlier_releases_verdict(repeat, physician, status, new_words):
    """Why the repeat's verdict, as the release before this one stored it, no longer stands: its words
    (wording 6, without `new_words` and what follows them) and its answer, `status`, for the relief
    criterion."""
    repeat.state = State.UNDER_REVIEW
    evaluate_case(repeat, physician)
    db.session.commit()
    verdict = repeat.current_verdict
    snapshot = dict(verdict.snapshot)
    snapshot["wording"] = 6
    snapshot["criteria"] = [{**c, "status": status, "shortfall": c["shortfall"] if status != "met" else "",
                             "evidence": c["evidence"].split(new_words)[0] + " (left)"}
                            if c["code"] == "repeat_relief" else c for c in snapshot["criteria"]]
    verdict.snapshot = snapshot
    flag_modified(verdict, "snapshot")
    db.session.commit()
    return staleness(repeat)


def test_a_repeat_refused_by_the_earlier_release_on_a_relief_still_holding_is_stale_naming_the_criterion(
        client, gen, physician, login_as):
    """The release before this one read "at least 2 days" as 2 days short of Medicare's 90 and stored the
    repeat's verdict Not eligible. Nothing about the case changed, but the relief criterion now reads
    unknown: the verdict no longer stands, and the reason names the criterion, not the passing of time."""
    case = followed_up(gen, physician, indication=Indication.THERAPEUTIC,
                       scores={"t0": 8, "m15": 2, "m30": 2, "h1": 2, "h2": 2, "h4": 2, "h6": 2, "d1": 2, "d2": 2})
    login_as(physician)
    record(client, case.id, therapeutic_days="2", next_step="repeat_injection")
    db.session.expire_all()
    repeat = case.outcome.follow_on_case

    reason = staleness_of_the_earlier_releases_verdict(repeat, physician, "not_met", ": relief still held")

    assert reason.startswith("relief after last therapeutic injection was not met, now unknown (after therapeutic "
                             "injection of "), reason
    assert "passing of time" not in reason


def test_renaming_the_physician_who_recorded_the_block_leaves_the_verdict_standing(gen, physician):
    """The evidence names who recorded the block's result; a name corrected later (a typo, a
    marriage) is no new fact about the block, so the verdict neither goes stale nor loses an override."""
    new = confirmatory_evaluated(gen, physician)
    assert staleness(new) is None

    physician.name = "Dr Priya Raman-Okafor"
    db.session.commit()
    db.session.expire_all()

    assert staleness(new) is None


def test_the_case_page_links_the_diary_view_in_follow_up(client, gen, physician, login_as):
    case = followed_up(gen, physician)
    login_as(physician)
    page = text(client.get(f"/cases/{case.id}"))
    assert f'href="/cases/{case.id}/diary#outcome" class="button">Read the diary and record the outcome' in page


def test_a_correction_to_a_result_the_diary_contradicts_says_so_wherever_the_result_is_shown(
        client, gen, physician, login_as):
    case = followed_up(gen, physician)
    login_as(physician)
    record(client, case.id)
    assert "the diary read" not in words(by_id(text(client.get(f"/cases/{case.id}")), "outcome-panel"))

    correction(client, case, diagnostic_result="negative", correction_reason="Outside records: relief was brief.")

    assert "Diagnostic result negative (the diary read positive)" in words(
        by_id(text(client.get(f"/cases/{case.id}")), "outcome-panel"))
    assert "negative (the diary read positive)" in words(by_id(text(client.get(f"/cases/{case.id}/diary")), "outcome"))
    event = db.session.execute(db.select(AuditEvent).filter_by(object_type="outcome", action="update")).scalar_one()
    assert event.summary.endswith("; the diary read positive")
    assert {"field": "diagnostic_result", "old": "positive", "new": "negative"} in event.changes
    # Corrected back to what the diary read: no mark.
    correction(client, case, diagnostic_result="positive", correction_reason="Re-read: the diary was right.")
    assert "the diary read" not in words(by_id(text(client.get(f"/cases/{case.id}")), "outcome-panel"))


def test_every_value_to_correct_in_the_outcome_form_is_named_in_one_answer(client, gen, physician, login_as):
    # A result the diary contradicts without its reason, a duration off the diary's without its
    # reason, and scores still to come without the tick: all three at once, not one per try.
    case = followed_up(gen, physician)
    login_as(physician)

    response = record(client, case.id, diagnostic_result="negative", therapeutic_days="30", confirm_early="")

    page = text(response)
    assert response.status_code == 422
    assert "Give the reason for recording negative instead" in field_error(page, "reason")
    assert "Give the reason for recording 30 days instead" in field_error(page, "days_reason")
    assert "Tick the box to record the outcome now anyway" in field_error(page, "confirm_early")
    db.session.expire_all()
    assert case.outcome is None


def test_every_value_to_correct_in_a_correction_is_named_in_one_answer(client, gen, physician, login_as):
    case = followed_up(gen, physician)
    login_as(physician)
    record(client, case.id)

    response = correction(client, case, therapeutic_days="150")

    page = text(response)
    assert "Say why the outcome is corrected" in field_error(page, "correction_reason")
    assert "Give the reason for recording 150 days instead" in field_error(page, "days_reason")


def test_the_forms_own_errors_and_the_diarys_come_in_one_answer(client, gen, physician, login_as):
    # Days not a number and no next step (the form's checks), a result the diary contradicts
    # without its reason and scores still to come without the tick (the recording's): all four.
    case = followed_up(gen, physician)
    login_as(physician)

    response = record(client, case.id, diagnostic_result="negative", therapeutic_days="-3", next_step="",
                      confirm_early="")

    page = text(response)
    assert "Enter whole days from 0 to" in field_error(page, "therapeutic_days")
    assert "Choose the next step." in field_error(page, "next_step")
    assert "Give the reason for recording negative instead" in field_error(page, "reason")
    assert "Tick the box to record the outcome now anyway" in field_error(page, "confirm_early")


def test_a_corrections_own_errors_and_its_missing_reason_come_in_one_answer(client, gen, physician, login_as):
    case = followed_up(gen, physician)
    login_as(physician)
    record(client, case.id)

    page = text(correction(client, case, diagnostic_result="indeterminate", therapeutic_days="9999"))

    assert "Enter whole days from 0 to" in field_error(page, "therapeutic_days")
    assert "Say why the outcome is corrected" in field_error(page, "correction_reason")


def test_a_duration_longer_than_the_time_since_the_injection_is_refused_even_with_a_reason(
        client, gen, physician, login_as):
    # Injected 100 days ago; the physician types 120 days, with a reason: relief cannot have lasted
    # longer than the time since the injection, and the repeat would meet its relief criterion on
    # no evidence.
    case = followed_up(gen, physician, indication=Indication.THERAPEUTIC)
    diary_moved_back(case, 100)
    login_as(physician)

    refused = record(client, case.id, therapeutic_days="120", next_step="repeat_injection",
                     days_reason="Patient says relief has lasted four months.")

    assert refused.status_code == 422
    assert field_error(text(refused), "therapeutic_days").startswith(
        "Relief cannot have lasted longer than the time since the injection (")
    assert "at most 100 days today." in field_error(text(refused), "therapeutic_days")
    assert soup(refused).find("input", attrs={"name": "therapeutic_days"})["value"] == "120"
    assert db.session.execute(db.select(Outcome).filter_by(case_id=case.id)).first() is None
    # 100 days, the whole time since, is possible.
    record(client, case.id, therapeutic_days="100", next_step="repeat_injection",
           days_reason="Patient says relief has lasted to today.")
    db.session.expire_all()
    assert case.outcome.therapeutic_days == 100


def test_relief_from_one_monday_afternoon_to_the_next_monday_morning_may_be_recorded_as_seven_days(app, clock):
    """Counted as an injection given elsewhere counts it: from the injection's clinic day to today."""
    from tracker.diary import outcome as outcome_rules
    from tracker.refusals import FieldError

    with app.test_request_context():
        clock.set(clinic_at(0, 9))
        injected_at = clinic_at(-7, 16)  # a week ago, in the afternoon; recorded this morning
        outcome_rules._check_days({"left": 7}, injected_at, lambda joint: None)
        with pytest.raises(FieldError, match="at most 7 days today"):
            outcome_rules._check_days({"left": 8}, injected_at, lambda joint: None)
