"""A bilateral block's outcome records a diagnostic result per joint (walkthrough finding 2): the
form asks the left and the right joint's result, each prefilled from that side's diary reading; a
follow-on case opened from sides that differ injects the positive joint only; eligibility, the
pages and FHIR read each joint's own result."""
from tracker.diary.outcome import correct_outcome, record_outcome
from tracker.diary.services import when
from tracker.eligibility.facts import prior_injections
from tracker.eligibility.standing import current_assessment
from tracker.extensions import db
from tracker.policy import CriterionCode, Status
from tracker.vocab import Indication, NextStep, Side
from tracker.workflow import State

from tests.builders import diary_moved_back, followed_up, point
from tests.helpers import by_id, field_error, input_value, is_checked, submit, text, words

# Medicare (75 %): right 5 -> 0 (100 %, positive), left 5 -> 3 (40 %, negative), two scores in the window.
SIDES_DIFFER = {"t0": {Side.LEFT: 5, Side.RIGHT: 5}, "m30": {Side.LEFT: 3, Side.RIGHT: 0},
                "h1": {Side.LEFT: 3, Side.RIGHT: 0}}
# Left 5 -> 3 (negative), right a single score in the window (indeterminate): no joint positive.
NONE_POSITIVE = {"t0": {Side.LEFT: 5, Side.RIGHT: 5}, "m30": {Side.LEFT: 3, Side.RIGHT: 0},
                 "h1": {Side.LEFT: 3}}


def bilateral_block(gen, physician, scores=SIDES_DIFFER):
    return followed_up(gen, physician, side=Side.BILATERAL, scores=scores)


def post_outcome(client, case_id, **fields):
    page = text(client.get(f"/cases/{case_id}/diary"))
    data = {"left_result": "negative", "right_result": "positive", "therapeutic_days": "",
            "next_step": "discharge", "notes": "", "reason": "", "confirm_early": "y",
            "version_id": input_value(page, "version_id"), **fields}
    return submit(client, f"/cases/{case_id}/outcome", {k: v for k, v in data.items() if v is not None},
                  form_page=f"/cases/{case_id}/diary")


def prior_block(repeat):
    return next(c for c in current_assessment(repeat)[0].criteria if c.code == CriterionCode.PRIOR_POSITIVE_BLOCK)


def test_the_form_asks_each_joints_result_prefilled_from_its_own_diary_reading(client, gen, physician, login_as):
    case = bilateral_block(gen, physician)
    login_as(physician)

    page = text(client.get(f"/cases/{case.id}/diary"))

    form = words(by_id(page, "outcome-form"))
    assert "Left joint" in form and "Right joint" in form
    assert "choose the result for the case" not in form
    assert is_checked(page, "left_result", "negative") and is_checked(page, "right_result", "positive")
    assert not is_checked(page, "left_result", "positive")
    # The injection was just given: each side's reading is so far, the rest of its window to come.
    until = " ".join(when(point(case, "h6").closes_at).split())
    assert (f"Prefilled from the left side's diary reading: negative so far (6 more scores can come in the window, "
            f"until {until}).") in form
    assert (f"Prefilled from the right side's diary reading: positive so far (6 more scores can come in the window, "
            f"until {until}).") in form

    diary_moved_back(case, 1)  # the window has closed: each reading is final
    form = words(by_id(text(client.get(f"/cases/{case.id}/diary")), "outcome-form"))
    assert "Prefilled from the left side's diary reading: negative." in form
    assert "Prefilled from the right side's diary reading: positive." in form


def test_each_joints_result_is_recorded_and_shown_per_side(client, gen, physician, login_as):
    case = bilateral_block(gen, physician)
    login_as(physician)

    response = post_outcome(client, case.id)

    assert response.status_code == 302
    db.session.expire_all()
    outcome = case.outcome
    assert outcome.side_results == {"left": "negative", "right": "positive"}
    assert outcome.diagnostic_result is None  # the sides differ: no one result for the case
    assert (outcome.result_for("left"), outcome.result_for("right")) == ("negative", "positive")
    shown = words(by_id(text(client.get(f"/cases/{case.id}/diary")), "outcome"))
    assert "Left joint: negative" in shown and "Right joint: positive" in shown
    panel = words(text(client.get(f"/cases/{case.id}")))
    assert "Diagnostic result left joint negative, right joint positive" in panel


def test_a_missing_joints_result_is_refused_next_to_its_field_and_the_rest_is_kept(client, gen, physician, login_as):
    case = bilateral_block(gen, physician)
    login_as(physician)

    response = post_outcome(client, case.id, left_result=None, notes="both joints injected")

    assert response.status_code == 422
    page = text(response)
    assert field_error(page, "left_result") == "Choose the left joint's diagnostic result."
    assert field_error(page, "right_result") is None
    assert is_checked(page, "right_result", "positive") and "both joints injected" in page
    db.session.expire_all()
    assert case.outcome is None


def test_a_joints_result_other_than_its_diary_reading_needs_the_reason(client, gen, physician, login_as):
    case = bilateral_block(gen, physician)
    diary_moved_back(case, 1)  # the anaesthetic window has closed: the diary's reading is final
    login_as(physician)

    refused = post_outcome(client, case.id, left_result="positive")

    assert refused.status_code == 422
    assert field_error(text(refused), "reason") == ("The diary reads the left joint negative. Give the reason "
                                                     "for recording positive instead.")
    done = post_outcome(client, case.id, left_result="positive", reason="Outside records: complete relief.")
    assert done.status_code == 302
    db.session.expire_all()
    assert case.outcome.side_results == {"left": "positive", "right": "positive"}
    assert case.outcome.diagnostic_result == "positive"
    shown = words(by_id(text(client.get(f"/cases/{case.id}/diary")), "outcome"))
    # The badge is set apart for a screen reader too (brackets it reads, the eye sees the badge).
    assert "Left joint: positive (the diary read negative)" in shown
    assert "Left joint's diagnostic result recorded as positive; the diary read negative" in shown


def test_a_repeat_after_sides_that_differ_injects_the_positive_joint_only(client, gen, physician, login_as):
    case = bilateral_block(gen, physician)
    login_as(physician)

    response = post_outcome(client, case.id, next_step="repeat_injection")

    db.session.expire_all()
    new = case.outcome.follow_on_case
    assert (new.side, new.indication) == (Side.RIGHT, Indication.THERAPEUTIC)
    page = words(text(client.get(response.location)))
    assert (f"The therapeutic injection is case #{new.id}, for the right joint only (the left joint's block was "
            f"negative), referred and ready for review.") in page
    assert "for the right joint only: the left joint's block was negative" in page
    # The joint whose block failed reads Not met, as recorded: never one override away.
    left = gen.case(patient=case.patient, side=Side.LEFT, indication=Indication.THERAPEUTIC,
                    state=State.UNDER_REVIEW)
    criterion = prior_block(left)
    assert criterion.status == Status.NOT_MET
    assert "recorded positive" not in criterion.evidence
    assert prior_block(new).status == Status.MET


def test_a_confirmatory_block_after_sides_with_none_positive_keeps_both_joints(client, gen, physician, login_as):
    case = bilateral_block(gen, physician, scores=NONE_POSITIVE)
    login_as(physician)

    response = post_outcome(client, case.id, right_result="indeterminate", next_step="confirmatory_block")

    assert response.status_code == 302
    db.session.expire_all()
    assert case.outcome.follow_on_case.side == Side.BILATERAL


def test_each_joints_recorded_result_is_what_eligibility_reads(gen, physician):
    case = bilateral_block(gen, physician)
    record_outcome(case, physician, None, None, NextStep.DISCHARGE, version_id=case.version_id,
                   confirm_early=True, side_results={"left": "negative", "right": "positive"})
    db.session.expire_all()

    repeat = gen.case(patient=case.patient, side=Side.BILATERAL, indication=Indication.THERAPEUTIC,
                      state=State.UNDER_REVIEW)
    by_joint = {p.side: p for p in prior_injections(repeat)}
    assert (by_joint["left"].diagnostic_result, by_joint["left"].diary_result) == ("negative", None)
    assert (by_joint["right"].diagnostic_result, by_joint["right"].diary_result) == ("positive", None)
    criterion = prior_block(repeat)
    assert criterion.status == Status.NOT_MET
    assert "(left)" in criterion.shortfall and "(right)" not in criterion.shortfall


def test_a_correction_changes_one_joints_result_and_the_history_keeps_both(client, gen, physician, login_as):
    case = bilateral_block(gen, physician)
    login_as(physician)
    post_outcome(client, case.id)
    page = text(client.get(f"/cases/{case.id}/diary"))
    correction = by_id(page, "correct-outcome")
    assert correction.find("input", attrs={"name": "left_result", "value": "negative", "checked": True})

    done = submit(client, f"/cases/{case.id}/outcome/correct",
                  {"left_result": "indeterminate", "right_result": "positive", "therapeutic_days": "",
                   "days_reason": "", "notes": "", "correction_reason": "The 1-hour call was about the right side.",
                   "version_id": input_value(page, "version_id")}, form_page=f"/cases/{case.id}/diary")

    assert done.status_code == 302
    db.session.expire_all()
    assert case.outcome.side_results == {"left": "indeterminate", "right": "positive"}
    [revision] = case.outcome.revisions
    assert revision.side_results == {"left": "negative", "right": "positive"}
    shown = words(by_id(text(client.get(f"/cases/{case.id}/diary")), "outcome-revisions"))
    assert "Before: result left joint negative, right joint positive" in shown


def test_a_correction_missing_a_joints_result_is_refused_next_to_it(gen, physician):
    case = bilateral_block(gen, physician)
    record_outcome(case, physician, None, None, NextStep.DISCHARGE, version_id=case.version_id,
                   confirm_early=True, side_results={"left": "negative", "right": "positive"})
    from tracker.refusals import FieldError
    import pytest
    with pytest.raises(FieldError) as refused:
        correct_outcome(case.outcome, physician, None, None, "", "", "why", case.outcome.version_id,
                        side_results={"left": None, "right": "positive"})
    assert "Choose the left joint's diagnostic result." in str(refused.value)


def test_fhir_says_each_joints_result(client, gen, physician):
    from tests.api_support import bearer, check_bundle, fhir_json, of_type, token_for
    from tracker.roles import Role

    case = bilateral_block(gen, physician)
    record_outcome(case, physician, None, None, NextStep.DISCHARGE, version_id=case.version_id,
                   confirm_early=True, side_results={"left": "negative", "right": "positive"})
    headers = bearer(token_for(gen.user(Role.COORDINATOR)))

    response = client.get(f"/fhir/Patient/{case.patient_id}/$everything", headers=headers)

    found = check_bundle(fhir_json(response))
    [procedure] = of_type(found, "Procedure")
    assert procedure["outcome"]["text"] == ("Diagnostic block left SI joint negative, right SI joint positive; "
                                            "next step: discharge")
    outcome = found[f"Observation/{case.id}-outcome"]
    results = [(c["code"]["text"], c["valueCodeableConcept"]["text"]) for c in outcome["component"]
               if c["code"]["coding"][0]["code"] == "diagnostic-block-result"]
    assert results == [("Diagnostic block result, left SI joint", "Negative"),
                       ("Diagnostic block result, right SI joint", "Positive")]


def test_the_follow_on_case_still_names_the_joint_it_was_opened_for_after_a_correction(
        client, gen, physician, login_as):
    case = bilateral_block(gen, physician)
    record_outcome(case, physician, None, None, NextStep.REPEAT_INJECTION, version_id=case.version_id,
                   confirm_early=True, side_results={"left": "negative", "right": "positive"})
    new = case.outcome.follow_on_case
    correct_outcome(case.outcome, physician, None, None, "", "", "Outside records: left relieved too.",
                    case.outcome.version_id, side_results={"left": "positive", "right": "positive"})
    login_as(physician)

    page = words(text(client.get(f"/cases/{new.id}")))

    assert new.side == Side.RIGHT
    assert "left joint positive, right joint positive" in page
    assert "this case is for the right joint only" in page and "block was positive" not in page


def test_fhir_codes_each_joints_result_with_its_laterality_not_only_in_words(client, gen, physician):
    """Both joints' components have the same code: a receiving system reading codes, not text,
    tells them apart by the tracker's laterality extension (SNOMED CT 7771000 left, 24028007 right)."""
    from tests.api_support import bearer, check_bundle, fhir_json, token_for
    from tracker.roles import Role

    case = bilateral_block(gen, physician)
    record_outcome(case, physician, None, None, NextStep.DISCHARGE, version_id=case.version_id,
                   confirm_early=True, side_results={"left": "negative", "right": "positive"})
    headers = bearer(token_for(gen.user(Role.COORDINATOR)))
    found = check_bundle(fhir_json(client.get(f"/fhir/Patient/{case.patient_id}/$everything", headers=headers)))
    outcome = found[f"Observation/{case.id}-outcome"]
    sides = [([e["valueCodeableConcept"]["coding"][0]["code"] for e in c.get("extension", [])
               if e["url"].endswith("/StructureDefinition/laterality")], c["valueCodeableConcept"]["text"])
             for c in outcome["component"] if c["code"]["coding"][0]["code"] == "diagnostic-block-result"]
    assert sides == [(["7771000"], "Negative"), (["24028007"], "Positive")]
