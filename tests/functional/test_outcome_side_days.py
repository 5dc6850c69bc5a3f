"""A bilateral case's outcome records the therapeutic duration per joint (probe 4, finding 1): the
form asks the left and the right joint's days, each prefilled from that side's diary reading, a
departure from a side's reading needing the duration's reason; the repeat criterion judges each
joint by its own days, and the pages, FHIR and the API name the joint of each duration.

Scenario (Medicare, bilateral therapeutic injection 200 days ago, baseline 8 both sides): the left
joint keeps 50 % or more through the 3-month score (90 days), the right falls to 12.5 % at 2 weeks
(7 days). One duration for the case made the right joint's repeat Met on the left joint's 90 days."""
from datetime import timedelta

from tracker.diary.outcome import correct_outcome, read_outcome_diary, record_outcome
from tracker.eligibility.standing import current_assessment
from tracker.extensions import db
from tracker.models import DiaryEntry, DiaryPoint, ProcedureRecord
from tracker.policy import CriterionCode, Status
from tracker.roles import Role
from tracker.vocab import EntrySource, Indication, NextStep, Side

from tests.helpers import by_id, field_error, input_value, submit, text, words

SHIFT = timedelta(days=200)
# (point, left, right): left 62.5-75 % through 3 months, 0 % at 6 months; right 12.5 % from 2 weeks.
SCORES = (("d1", 3, 3), ("d7", 2, 3), ("w2", 2, 7), ("w6", 3, 8), ("mo3", 3, 8), ("mo6", 8, 8))


def _shift(case):
    """The injection 200 days ago, so every point up to 6 months has come."""
    for p in db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id)).scalars():
        p.due_at = p.due_at - SHIFT if p.due_at else None
        p.opens_at = p.opens_at - SHIFT if p.opens_at else None
        p.closes_at = p.closes_at - SHIFT if p.closes_at else None
    for h in case.history:
        if h.action == "start_procedure":
            h.at -= SHIFT
    for r in db.session.execute(db.select(ProcedureRecord).filter_by(case_id=case.id)).scalars():
        r.started_at -= SHIFT
        if r.ended_at:
            r.ended_at -= SHIFT
    db.session.commit()


def _put(case, code, scores):
    p = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id, point_code=code)).scalar_one()
    # The baseline an hour before the injection, but never before its window opened (the morning of
    # the injection's day): a suite run just after midnight would put it on the day before, a score
    # given for another appointment.
    moment = p.due_at if code != "t0" else max(p.opens_at, p.closes_at - timedelta(hours=1))
    for side, score in scores.items():
        db.session.add(DiaryEntry(point_id=p.id, case_id=case.id, side=side, score=score, entered_at=moment,
                                  felt_at=moment, source=EntrySource.LINK, late=False))
    p.completed_at = moment
    db.session.commit()


def bilateral_therapeutic(gen, physician):
    rec = gen.procedure(side=Side.BILATERAL, physician=physician, steps="all", sign=True,
                        indication=Indication.THERAPEUTIC)
    case = rec.case
    _shift(case)
    _put(case, "t0", {Side.LEFT: 8, Side.RIGHT: 8})
    for code, left, right in SCORES:
        _put(case, code, {Side.LEFT: left, Side.RIGHT: right})
    return case


def repeat_relief(case):
    verdict, _ = current_assessment(case)
    return next(c for c in verdict.criteria if c.code == CriterionCode.REPEAT_RELIEF)


def post_outcome(client, case_id, **fields):
    page = text(client.get(f"/cases/{case_id}/diary"))
    data = {"left_days": input_value(page, "left_days"), "right_days": input_value(page, "right_days"),
            "days_reason": "", "next_step": "repeat_injection", "notes": "", "confirm_early": "y",
            "version_id": input_value(page, "version_id"), **fields}
    return submit(client, f"/cases/{case_id}/outcome", {k: v for k, v in data.items() if v is not None},
                  form_page=f"/cases/{case_id}/diary")


def test_the_form_asks_each_joints_days_prefilled_from_its_own_side(client, gen, physician, login_as):
    case = bilateral_therapeutic(gen, physician)
    login_as(physician)

    page = text(client.get(f"/cases/{case.id}/diary"))

    assert (input_value(page, "left_days"), input_value(page, "right_days")) == ("90", "7")
    assert 'name="therapeutic_days"' not in page
    form = words(by_id(page, "outcome-form"))
    assert "Left joint: therapeutic relief lasted" in form and "Right joint: therapeutic relief lasted" in form
    assert "Prefilled from the left side's diary reading: 90 days" in form
    assert "Prefilled from the right side's diary reading: 7 days" in form


def test_each_joints_repeat_is_judged_by_its_own_days(client, gen, physician, login_as):
    case = bilateral_therapeutic(gen, physician)
    login_as(physician)

    response = post_outcome(client, case.id)

    assert response.status_code == 302
    db.session.expire_all()
    outcome = case.outcome
    assert outcome.side_days == {"left": 90, "right": 7}
    assert outcome.therapeutic_days == 7  # the shorter joint's
    assert not outcome.days_depart_from_diary and outcome.therapeutic_days_reason == ""
    criterion = repeat_relief(outcome.follow_on_case)
    assert criterion.status == Status.NOT_MET
    assert "7 days at 50% or more, needs 50% for 90 days (right)" in criterion.shortfall
    assert "(left)" not in criterion.shortfall
    assert "90 days at 50% or more, needs 50% for 90 days (left)" in criterion.evidence
    assert "recorded 90 days" not in criterion.evidence
    shown = words(by_id(text(client.get(f"/cases/{case.id}/diary")), "outcome-duration"))
    assert shown == "left joint: 90 days (the diary's reading); right joint: 7 days (the diary's reading)"


def test_the_left_joints_days_never_stand_for_the_right(gen, physician):
    """The probe's call: the left joint's true 90 days, with a reason, for the left joint only."""
    case = bilateral_therapeutic(gen, physician)
    reading = read_outcome_diary(case)

    record_outcome(case, physician, None, None, NextStep.REPEAT_INJECTION, version_id=case.version_id,
                   reading=reading, confirm_early=True, side_days={"left": 90, "right": 7})

    db.session.expire_all()
    criterion = repeat_relief(case.outcome.follow_on_case)
    evidence = dict(part.rsplit(" (", 1)[::-1] for part in criterion.evidence.split("; "))
    assert criterion.status == Status.NOT_MET
    assert "90 days at 50% or more" in evidence["left)"] and "recorded" not in evidence["left)"]
    assert "7 days at 50% or more" in evidence["right)"] and "recorded" not in evidence["right)"]


def test_a_joints_days_other_than_its_reading_need_the_reason_and_every_error_shows_at_once(
        client, gen, physician, login_as):
    case = bilateral_therapeutic(gen, physician)
    login_as(physician)

    refused = post_outcome(client, case.id, left_days="120", right_days="3 months", next_step=None)

    assert refused.status_code == 422
    page = text(refused)
    assert field_error(page, "days_reason") == (
        "The diary reads the left joint 90 days. Give the reason for recording 120 days for the left joint "
        "instead (for example the outside records).")
    assert field_error(page, "right_days").startswith("Enter whole days from 0 to")
    assert field_error(page, "next_step") == "Choose the next step."
    assert (input_value(page, "left_days"), input_value(page, "right_days")) == ("120", "3 months")
    db.session.expire_all()
    assert case.outcome is None


def test_each_departing_joint_is_named_and_the_reason_keeps_both(client, gen, physician, login_as):
    case = bilateral_therapeutic(gen, physician)
    login_as(physician)

    refused = post_outcome(client, case.id, left_days="120", right_days="30")

    assert field_error(text(refused), "days_reason") == (
        "The diary reads the left joint 90 days and the right joint 7 days. Give the reason for recording "
        "120 days for the left joint and 30 days for the right joint instead (for example the outside records).")
    done = post_outcome(client, case.id, left_days="120", right_days="7", days_reason="Outside records, left.")
    assert done.status_code == 302
    db.session.expire_all()
    outcome = case.outcome
    assert outcome.side_days == {"left": 120, "right": 7} and outcome.therapeutic_days_reason == "Outside records, left."
    assert outcome.side_days_depart_from_diary("left") and not outcome.side_days_depart_from_diary("right")
    shown = words(by_id(text(client.get(f"/cases/{case.id}/diary")), "outcome-duration"))
    assert shown == ("left joint: recorded 120 days; diary read 90 days (Outside records, left.); "
                     "right joint: 7 days (the diary's reading)")
    criterion = repeat_relief(outcome.follow_on_case)
    assert criterion.status == Status.NOT_MET
    assert "120 days at 50% or more (recorded 120 days; diary read 90 days), needs 50% for 90 days (left)" \
        in criterion.evidence


def test_a_correction_changes_one_joints_days_and_keeps_both_before(client, gen, physician, login_as):
    case = bilateral_therapeutic(gen, physician)
    login_as(physician)
    post_outcome(client, case.id, next_step="discharge")
    page = text(client.get(f"/cases/{case.id}/diary"))
    assert (input_value(page, "left_days"), input_value(page, "right_days")) == ("90", "7")

    refused = submit(client, f"/cases/{case.id}/outcome/correct",
                     {"left_days": "90", "right_days": "21", "days_reason": "", "notes": "",
                      "correction_reason": "", "version_id": input_value(page, "version_id")},
                     form_page=f"/cases/{case.id}/diary")
    assert refused.status_code == 422
    assert field_error(text(refused), "days_reason") == (
        "The diary reads the right joint 7 days. Give the reason for recording 21 days for the right joint "
        "instead (for example the outside records).")
    assert field_error(text(refused), "correction_reason")
    done = submit(client, f"/cases/{case.id}/outcome/correct",
                  {"left_days": "90", "right_days": "21", "days_reason": "Phone call: right relieved 3 weeks.",
                   "notes": "", "correction_reason": "Patient called.",
                   "version_id": input_value(page, "version_id")}, form_page=f"/cases/{case.id}/diary")

    assert done.status_code == 302
    db.session.expire_all()
    assert case.outcome.side_days == {"left": 90, "right": 21} and case.outcome.therapeutic_days == 21
    [revision] = case.outcome.revisions
    assert (revision.side_days, revision.therapeutic_days) == ({"left": 90, "right": 7}, 7)
    shown = words(by_id(text(client.get(f"/cases/{case.id}/diary")), "outcome-revisions"))
    assert "therapeutic relief left joint 90 days, right joint 7 days" in shown


def test_a_correction_that_changes_no_joints_days_is_refused(gen, physician):
    case = bilateral_therapeutic(gen, physician)
    record_outcome(case, physician, None, None, NextStep.DISCHARGE, version_id=case.version_id,
                   confirm_early=True, side_days={"left": 90, "right": 7})
    import pytest
    from tracker.refusals import FieldError
    with pytest.raises(FieldError) as refused:
        correct_outcome(case.outcome, physician, None, None, "", "", "why", case.outcome.version_id,
                        side_days={"left": 90, "right": 7})
    assert "Nothing was changed" in str(refused.value)


def test_one_duration_given_for_a_bilateral_case_reads_as_before(gen, physician):
    """A caller that gives one duration: the diary's reading (the shorter side's) is each joint's own."""
    case = bilateral_therapeutic(gen, physician)
    record_outcome(case, physician, None, 7, NextStep.DISCHARGE, version_id=case.version_id, confirm_early=True)
    db.session.expire_all()
    assert case.outcome.side_days == {"left": 90, "right": 7}


def test_fhir_and_the_api_name_each_joints_days(client, gen, physician):
    from tests.api_support import bearer, check_bundle, fhir_json, of_type, token_for

    case = bilateral_therapeutic(gen, physician)
    record_outcome(case, physician, None, None, NextStep.DISCHARGE, version_id=case.version_id,
                   confirm_early=True, side_days={"left": 90, "right": 7})
    headers = bearer(token_for(gen.user(Role.COORDINATOR)))

    found = check_bundle(fhir_json(client.get(f"/fhir/Patient/{case.patient_id}/$everything", headers=headers)))

    [procedure] = of_type(found, "Procedure")
    assert procedure["outcome"]["text"] == ("Relief of 50% or more: left SI joint for 90 days, right SI joint for "
                                            "7 days; next step: discharge")
    outcome = found[f"Observation/{case.id}-outcome"]
    days = [(c["code"]["text"], c["valueQuantity"]["value"]) for c in outcome["component"]
            if "valueQuantity" in c]
    assert days == [("Therapeutic relief duration, left SI joint", 90),
                    ("Therapeutic relief duration, right SI joint", 7)]
    detail = client.get(f"/api/v1/cases/{case.id}", headers=headers).get_json()
    assert detail["outcome"]["days_by_joint"] == [{"side": "left", "days": 90}, {"side": "right", "days": 7}]
    assert detail["outcome"]["therapeutic_days"] == 7


def test_fhir_codes_each_joints_days_with_its_laterality_not_only_in_words(client, gen, physician):
    from tests.api_support import bearer, check_bundle, fhir_json, token_for

    case = bilateral_therapeutic(gen, physician)
    record_outcome(case, physician, None, None, NextStep.DISCHARGE, version_id=case.version_id,
                   confirm_early=True, side_days={"left": 90, "right": 7})
    headers = bearer(token_for(gen.user(Role.COORDINATOR)))
    found = check_bundle(fhir_json(client.get(f"/fhir/Patient/{case.patient_id}/$everything", headers=headers)))
    outcome = found[f"Observation/{case.id}-outcome"]
    sides = [([e["valueCodeableConcept"]["coding"][0]["code"] for e in c.get("extension", [])
               if e["url"].endswith("/StructureDefinition/laterality")], c["valueQuantity"]["value"])
             for c in outcome["component"] if "valueQuantity" in c]
    assert sides == [(["7771000"], 90), (["24028007"], 7)]


def test_a_joint_left_not_known_leaves_the_cases_one_duration_not_known_everywhere(client, gen, physician, login_as):
    """The left joint recorded at 120 days (outside records), the right left empty (not known): the
    case's one duration, "the shorter joint's", is not known, never the left joint's 120 for a joint
    never measured; the diary page, the case page, FHIR and the API agree."""
    from tests.api_support import bearer, check_bundle, fhir_json, of_type, token_for

    case = bilateral_therapeutic(gen, physician)
    login_as(physician)

    done = post_outcome(client, case.id, left_days="120", right_days="", days_reason="Outside records, left.",
                        next_step="discharge")

    assert done.status_code == 302
    db.session.expire_all()
    outcome = case.outcome
    assert (outcome.side_days, outcome.therapeutic_days) == ({"left": 120, "right": None}, None)
    evidence = ("left joint: recorded 120 days; diary read 90 days (Outside records, left.); "
                "right joint: not known (diary read 7 days)")
    assert words(by_id(text(client.get(f"/cases/{case.id}/diary")), "outcome-duration")) == evidence
    assert f"Therapeutic relief {evidence}; next step discharge" in words(text(client.get(f"/cases/{case.id}")))
    headers = bearer(token_for(gen.user(Role.COORDINATOR)))
    found = check_bundle(fhir_json(client.get(f"/fhir/Patient/{case.patient_id}/$everything", headers=headers)))
    [procedure] = of_type(found, "Procedure")
    assert procedure["outcome"]["text"] == ("Relief of 50% or more: left SI joint for 120 days, right SI joint not "
                                            "known; next step: discharge")
    assert [(c["code"]["text"], c["valueQuantity"]["value"]) for c in found[f"Observation/{case.id}-outcome"]
            ["component"] if "valueQuantity" in c] == [("Therapeutic relief duration, left SI joint", 120)]
    detail = client.get(f"/api/v1/cases/{case.id}", headers=headers).get_json()["outcome"]
    assert detail["days_by_joint"] == [{"side": "left", "days": 120}, {"side": "right", "days": None}]
    assert detail["therapeutic_days"] is None
    # The audit trail says it in words too, never "right None days".
    from tracker.models import AuditEvent
    summary = db.session.execute(db.select(AuditEvent.summary).filter_by(object_type="outcome", action="create",
                                                                         object_id=str(case.id))).scalar_one()
    assert "; duration per joint left 120 days, right not known, against the diary's left 90 days, right 7 days" \
        in summary, summary


def test_a_correction_that_leaves_a_joint_not_known_leaves_the_cases_one_duration_not_known(gen, physician):
    case = bilateral_therapeutic(gen, physician)
    record_outcome(case, physician, None, None, NextStep.DISCHARGE, version_id=case.version_id,
                   confirm_early=True, side_days={"left": 90, "right": 7})

    correct_outcome(case.outcome, physician, None, None, "", "", "Right joint's scores were another patient's.",
                    case.outcome.version_id, side_days={"left": 90, "right": None})

    db.session.expire_all()
    assert (case.outcome.side_days, case.outcome.therapeutic_days) == ({"left": 90, "right": None}, None)
    [revision] = case.outcome.revisions
    assert (revision.side_days, revision.therapeutic_days) == ({"left": 90, "right": 7}, 7)
