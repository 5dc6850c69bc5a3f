"""A bilateral procedure stopped after one side: the left joint is injected, the right is not (the
patient could not go on, the right needle showed vascular uptake again and again). The physician
records at the sign-out which side was not injected and why, and signs. Before, the sign-out asked
for the right's injectate and the abandon was refused (an injection was given): she could get out
only by recording a step that never happened."""
from datetime import timedelta

from tracker.diary.services import sides_of
from tracker.eligibility.facts import patient_injections
from tracker.extensions import db
from tracker.models import AuditEvent, Case, CaseHistory, DiaryPoint, ProcedureRecord, ProcedureStatus
from tracker.roles import Role
from tracker.vocab import Side
from tracker.workflow import State

from tests.api_support import bearer, fhir_json, token_for
from tests.builders import REFERRAL, answers_for, checklist_url, post_step
from tests.helpers import by_id, field_error, sign_in, soup, submit, text, words

BEFORE_THE_NEEDLE = ["sign_in", "time_out", "positioning", "skin_prep", "fluoroscopy"]
NOT_INJECTED = {"not_injected_side": "right",
                "not_injected_reason": "Vascular uptake on every reposition; stopped after the left"}
SIGN_OUT = {**answers_for("sign_out"), "complications": ["other"],
            "complication_other": "Right side abandoned for vascular uptake"}


def _left_injected_right_not(gen, physician, doctor):
    """Both joints imaged; the left confirmed and injected; the right's contrast showed vascular uptake."""
    record = gen.procedure(side=Side.BILATERAL, physician=physician, steps=BEFORE_THE_NEEDLE)
    assert post_step(doctor, record.case_id, "contrast", answers_for("contrast"), side="left").status_code == 302
    uptake = {**answers_for("contrast"), "vascular_uptake": True}
    assert post_step(doctor, record.case_id, "contrast", uptake, side="right").status_code == 302
    assert post_step(doctor, record.case_id, "injectate", answers_for("injectate"), side="left").status_code == 302
    return record


def _sign(client, record):
    db.session.expire_all()
    version = db.session.get(ProcedureRecord, record.id).version_id
    return submit(client, f"/cases/{record.case_id}/procedure/sign", {"version_id": version},
                  form_page=checklist_url(record.case_id))


def _fresh(record):
    db.session.expire_all()
    return db.session.get(ProcedureRecord, record.id)


def test_the_sign_out_of_a_bilateral_record_asks_which_side_was_not_injected(gen, doctor, physician):
    record = _left_injected_right_not(gen, physician, doctor)
    sign_out = by_id(text(doctor.get(checklist_url(record.case_id))), "step-sign_out")
    assert "Side not injected" in words(sign_out)
    assert sign_out.find("input", attrs={"name": "sign_out-not_injected_side", "value": "right"}) is not None
    assert sign_out.find(id="sign_out-not_injected_reason") is not None

    unilateral = gen.procedure(side=Side.LEFT, physician=physician, steps=["sign_in"])
    page = soup(text(doctor.get(checklist_url(unilateral.case_id))))
    assert page.find(attrs={"name": "sign_out-not_injected_side"}) is None, "a one-sided record has no other side"
    assert "Side not injected" not in words(page.find(id="step-sign_out"))


def test_one_side_injected_the_sign_out_is_recorded_and_signing_names_both_ways_out(gen, doctor, physician):
    record = _left_injected_right_not(gen, physician, doctor)

    # The injection is given on the left: the sign-out may be recorded now.
    saved = post_step(doctor, record.case_id, "sign_out", SIGN_OUT)
    assert saved.status_code == 302, text(saved)
    assert saved.location.endswith("#step-contrast-right")
    box = words(by_id(text(doctor.get(checklist_url(record.case_id))), "step-contrast-right"))
    assert ("record the repeat check (check 2) below. If the right side will not be injected, answer Side not "
            "injected at the sign-out instead.") in box

    refused = _sign(doctor, record)
    assert refused.status_code == 422
    said = words(by_id(text(refused), "sign-refused"))
    assert "Injectate (right): At least one drug, or at the sign-out, Side not injected: right, with the reason" in said
    # The right's repeat check is not the only way on either: she need not reposition a needle she has given up on.
    assert ("Contrast confirmation (right): a repeat check with the needle repositioned (the last check showed "
            "vascular uptake or no intra-articular spread), or at the sign-out, Side not injected: right, with the "
            "reason") in said
    assert _fresh(record).status == ProcedureStatus.IN_PROGRESS


def test_a_side_not_injected_is_signed_and_the_case_goes_on_for_the_side_injected(gen, doctor, physician):
    record = _left_injected_right_not(gen, physician, doctor)
    case_id = record.case_id

    saved = post_step(doctor, case_id, "sign_out", {**SIGN_OUT, **NOT_INJECTED})
    assert saved.status_code == 302, text(saved)
    assert "#step-contrast-right" not in saved.location, "the right's repeat check no longer waits"
    page = text(doctor.get(checklist_url(case_id)))
    # The case's header now says Left (the case goes on for it): the banner says why the record is bilateral.
    assert words(soup(page).select_one(".side-banner")).startswith(
        "Side: Bilateral: right side not injected (sign-out), only the left injected ·")
    for box in ("step-contrast-right", "step-injectate-right"):
        assert "Side not injected (sign-out)" in words(by_id(page, box).find("h2")), box
        assert "The sign-out records the right side as not injected: nothing more is needed here." in words(
            by_id(page, box))
    assert "record the repeat check" not in words(by_id(page, "step-contrast-right"))
    assert "Not yet:" not in words(by_id(page, "step-injectate-right")), "said once, by the box's own notice"
    assert "Injectate (right)" not in words(by_id(page, "sign")), "nothing is missing for the right side"
    # Before the one irreversible tap, what the signed record will say of the sides.
    flags = by_id(page, "sign-flags")
    assert "notice-warning" in flags["class"]
    assert ("Injected: the left side only; right side not injected: Vascular uptake on every reposition; stopped "
            "after the left. Billed as one joint (no bilateral modifier 50).") in words(flags)
    signed = _sign(doctor, record)
    assert signed.status_code == 302, text(signed)

    record = _fresh(record)
    assert record.status == ProcedureStatus.SIGNED
    assert record.side == Side.BILATERAL, "the record keeps what was attempted, both joints' steps with it"
    case = db.session.get(Case, case_id)
    assert case.state == State.FOLLOW_UP
    assert case.side == Side.LEFT, "the diary, the outcome and the caps follow the joint injected"
    history = db.session.execute(db.select(CaseHistory).filter_by(case_id=case_id, action="sign_procedure")).scalar_one()
    assert history.reason == ("Right side not injected: Vascular uptake on every reposition; stopped after the left. "
                              "The case goes on for the left side; the side was bilateral.")

    note = text(doctor.get(f"/cases/{case_id}/procedure/note"))
    assert "Right side not injected" in words(by_id(note, "not-injected"))
    assert "Vascular uptake on every reposition" in words(by_id(note, "not-injected"))
    assert "Professional claim: <strong>CPT 27096</strong>" in note and "27096-50" not in note, \
        "one joint injected is billed without the bilateral modifier"
    assert "Contrast confirmation — right side" in note, "the right side's attempt stays on the record"

    # The case page's header says Left now: its Procedure panel says the procedure was bilateral and why one side is not.
    panel = words(by_id(text(doctor.get(f"/cases/{case_id}")), "procedure"))
    assert ("Bilateral procedure, right side not injected: Vascular uptake on every reposition; stopped after the "
            "left. The case goes on for the left side.") in panel
    # FHIR names the joint injected and bills it alike; the sign-out's answer is among its notes.
    procedure = fhir_json(doctor.get(f"/fhir/Procedure/{case_id}-procedure-{record.id}",
                                     headers=bearer(token_for(gen.user(Role.COORDINATOR)))))
    assert procedure["bodySite"][0]["text"] == "Left sacroiliac joint"
    cpt = [c for c in procedure["code"]["coding"] if c["code"] == "27096"]
    assert cpt and "extension" not in cpt[0], "no bilateral modifier"
    assert any(note["text"].startswith("Right side not injected: Vascular uptake") for note in procedure["note"])
    assert any("Only the left side was injected." in note["text"] for note in procedure["note"])
    # The JSON API says it too: the attempt was bilateral, one side was not injected, and why.
    detail = doctor.get(f"/api/v1/cases/{case_id}", headers=bearer(token_for(gen.user(Role.COORDINATOR)))).get_json()
    [attempt] = detail["procedures"]
    assert (attempt["side"], attempt["side_not_injected"], attempt["not_injected_reason"]) == (
        "bilateral", "right", "Vascular uptake on every reposition; stopped after the left")
    assert detail["side"] == "left"
    # The diary started for the joint injected.
    assert db.session.execute(db.select(DiaryPoint).filter_by(case_id=case_id)).scalars().all()
    # The caps count one joint, not two.
    joints = [injection.side for injection in patient_injections(case.patient)]
    assert joints == ["left"]


def test_the_side_not_injected_must_be_one_without_an_injectate_and_needs_a_reason(gen, doctor, physician):
    record = _left_injected_right_not(gen, physician, doctor)

    wrong = post_step(doctor, record.case_id, "sign_out", {**SIGN_OUT, "not_injected_side": "left",
                                                           "not_injected_reason": "typed the wrong side"})
    assert wrong.status_code == 422
    assert field_error(text(wrong), "sign_out-not_injected_side") == (
        "The left side's injectate is recorded: it was injected. Choose the side that was not.")

    no_reason = post_step(doctor, record.case_id, "sign_out", {**SIGN_OUT, "not_injected_side": "right"})
    assert no_reason.status_code == 422
    assert field_error(text(no_reason), "sign_out-not_injected_reason") == (
        "Say why the right side was not injected.")
    assert _fresh(record).sign_out_at is None, "nothing saved"


def test_an_injectate_for_the_side_the_sign_out_says_was_not_injected_is_refused(gen, doctor, physician):
    record = _left_injected_right_not(gen, physician, doctor)
    assert post_step(doctor, record.case_id, "sign_out", {**SIGN_OUT, **NOT_INJECTED}).status_code == 302
    again = {**answers_for("contrast"), "vascular_uptake": False}
    assert post_step(doctor, record.case_id, "contrast", again, side="right", attempt="2").status_code == 302

    refused = post_step(doctor, record.case_id, "injectate", answers_for("injectate"), side="right")

    assert refused.status_code == 409
    assert ("The sign-out records the right side as not injected: correct the sign-out before recording its "
            "injectate.") in words(by_id(text(refused), "step-injectate-right"))


def test_a_bilateral_record_with_no_joint_injected_still_waits_for_an_injectate_before_the_sign_out(
        gen, doctor, physician):
    record = gen.procedure(side=Side.BILATERAL, physician=physician, steps=BEFORE_THE_NEEDLE)
    refused = post_step(doctor, record.case_id, "sign_out", {**SIGN_OUT, **NOT_INJECTED})
    assert refused.status_code == 409
    assert "Record the injectate on the left side before the sign-out." in words(by_id(text(refused), "step-sign_out"))


def test_the_abandon_refusal_of_a_bilateral_record_points_to_the_side_not_injected(gen, doctor, physician):
    record = _left_injected_right_not(gen, physician, doctor)
    refused = submit(doctor, f"/cases/{record.case_id}/procedure/abandon",
                     {"version_id": _fresh(record).version_id, "reason": "Could not go on"},
                     form_page=checklist_url(record.case_id))
    assert refused.status_code == 422
    assert "answer Side not injected at the sign-out" in field_error(text(refused), "reason")


def test_a_sign_out_set_back_to_none_keeps_no_reason_for_a_side_it_no_longer_names(gen, doctor, physician):
    """She named the right, then the right was injected after all: the sign-out is set back to None
    with the reason still typed in its box. The signed note must not say why a side 'was not injected'
    beside the bilateral claim."""
    record = _left_injected_right_not(gen, physician, doctor)
    case_id = record.case_id
    assert post_step(doctor, case_id, "sign_out", {**SIGN_OUT, **NOT_INJECTED}).status_code == 302
    version = next(row.version_id for row in _fresh(record).steps if row.step == "sign_out")
    back = post_step(doctor, case_id, "sign_out", {**SIGN_OUT, **NOT_INJECTED, "not_injected_side": ""},
                     version=version)
    assert back.status_code == 302, text(back)
    again = {**answers_for("contrast"), "vascular_uptake": False}
    assert post_step(doctor, case_id, "contrast", again, side="right", attempt="2").status_code == 302
    assert post_step(doctor, case_id, "injectate", answers_for("injectate"), side="right").status_code == 302
    assert _sign(doctor, record).status_code == 302

    note = text(doctor.get(f"/cases/{case_id}/procedure/note"))
    assert "27096-50" in note
    assert "Why that side was not injected" not in words(soup(note)), "no side is named: no reason is kept"
    assert db.session.get(Case, case_id).side == Side.BILATERAL


def test_a_reason_typed_with_its_full_stop_is_said_with_one(gen, doctor, physician):
    record = _left_injected_right_not(gen, physician, doctor)
    reason = {**NOT_INJECTED, "not_injected_reason": "Patient could not tolerate further positioning. "}
    assert post_step(doctor, record.case_id, "sign_out", {**SIGN_OUT, **reason}).status_code == 302
    assert _sign(doctor, record).status_code == 302

    note = words(by_id(text(doctor.get(f"/cases/{record.case_id}/procedure/note")), "not-injected"))
    assert "further positioning. Only the left side was injected" in note
    procedure = fhir_json(doctor.get(f"/fhir/Procedure/{record.case_id}-procedure-{record.id}",
                                     headers=bearer(token_for(gen.user(Role.COORDINATOR)))))
    assert any(n["text"] == ("Right side not injected: Patient could not tolerate further positioning. Only the "
                             "left side was injected.") for n in procedure["note"])


def test_the_diary_starts_for_the_left_when_the_sign_out_names_the_right_not_at_the_signature(gen, doctor, physician):
    """The left's anaesthetic window runs from its injection: its 15-minute to 6-hour scores are the
    block's result. Signing may come later (a field to fix, a note read over at the end of the list);
    the diary waits for the injection to be over, not for the signature, as when both joints are injected."""
    record = _left_injected_right_not(gen, physician, doctor)
    case_id = record.case_id
    assert db.session.execute(db.select(DiaryPoint).filter_by(case_id=case_id, point_code="m15")).scalar() is None

    saved = post_step(doctor, case_id, "sign_out", {**SIGN_OUT, **NOT_INJECTED})
    assert saved.status_code == 302
    db.session.expire_all()
    record = _fresh(record)
    m15 = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case_id, point_code="m15")).scalar_one()
    left = next(row for row in record.steps if row.step == "injectate")
    assert m15.due_at == left.first_recorded_at + timedelta(minutes=15), "timed from the left's injection"
    case = db.session.get(Case, case_id)
    assert case.side == Side.LEFT and sides_of(case) == [Side.LEFT], "the patient rates the joint injected alone"
    assert record.status == ProcedureStatus.IN_PROGRESS
    assert "The pain diary has started" in text(doctor.get(checklist_url(case_id)))

    # Set back to None (the right is to be injected after all): the case is bilateral again.
    version = next(row.version_id for row in record.steps if row.step == "sign_out")
    assert post_step(doctor, case_id, "sign_out", SIGN_OUT, version=version).status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case_id).side == Side.BILATERAL
    changes = db.session.execute(db.select(AuditEvent.summary).filter_by(object_type="case", object_id=str(case_id))
                                 .order_by(AuditEvent.id)).scalars().all()
    assert [c for c in changes if c.startswith("side:")] == [
        "side: bilateral → left (right side not injected, at the sign-out)",
        "side: left → bilateral (the sign-out no longer names a side not injected)"]


def test_after_the_signature_the_right_is_a_new_referral_and_an_addendum_changes_words_only(
        gen, doctor, physician, make_client):
    record = _left_injected_right_not(gen, physician, doctor)
    case_id = record.case_id
    assert post_step(doctor, case_id, "sign_out", {**SIGN_OUT, **NOT_INJECTED}).status_code == 302
    assert _sign(doctor, record).status_code == 302
    added = submit(doctor, f"/cases/{case_id}/procedure/addenda",
                   {"reason": "Correction", "text": "The right needle was repositioned twice before stopping."},
                   form_page=f"/cases/{case_id}/procedure/note")
    assert added.status_code == 302
    note = text(doctor.get(f"/cases/{case_id}/procedure/note"))
    assert "repositioned twice" in note and "27096-50" not in note
    patient_id = db.session.get(Case, case_id).patient_id

    coordinator = make_client()
    sign_in(coordinator, gen.user(Role.COORDINATOR))
    url = f"/referrals/patients/{patient_id}/new"
    right = submit(coordinator, url, {**REFERRAL, "side": "right"})
    assert right.status_code == 302, "the case is the left's: a referral for the right is no second referral"
    both = submit(coordinator, url, {**REFERRAL, "side": "bilateral"})
    assert both.status_code == 422 and "Already an open case on this side" in text(both)


def test_the_abandon_refused_once_the_sign_out_names_the_side_asks_only_for_the_signature(gen, doctor, physician):
    record = _left_injected_right_not(gen, physician, doctor)
    assert post_step(doctor, record.case_id, "sign_out", {**SIGN_OUT, **NOT_INJECTED}).status_code == 302
    refused = submit(doctor, f"/cases/{record.case_id}/procedure/abandon",
                     {"version_id": _fresh(record).version_id, "reason": "Could not go on"},
                     form_page=checklist_url(record.case_id))
    assert refused.status_code == 422
    said = field_error(text(refused), "reason")
    assert "sign the record instead of abandoning it" in said
    assert "answer Side not injected" not in said, "it is answered already"


def _left_injected_twenty_minutes_ago(gen, physician, doctor):
    record = _left_injected_right_not(gen, physician, doctor)
    left = next(row for row in _fresh(record).steps if row.step == "injectate")
    left.first_recorded_at -= timedelta(minutes=20)
    db.session.commit()
    return record, left.first_recorded_at


def test_set_back_to_none_and_the_right_injected_after_all_the_diary_is_timed_from_the_later_joint(
        gen, doctor, physician):
    """Naming the right started the left's diary, timed from the left's injection. Set back to None,
    the case is bilateral again: the diary waits for both joints, as for any bilateral injection, and
    its anaesthetic window runs from the right's injection. Timed from the left's, the 15-minute
    score would be asked while the right's needle was still in, and a bilateral block's result read
    from scores that describe one joint only."""
    record, left_at = _left_injected_twenty_minutes_ago(gen, physician, doctor)
    case_id = record.case_id
    assert post_step(doctor, case_id, "sign_out", {**SIGN_OUT, **NOT_INJECTED}).status_code == 302
    db.session.expire_all()
    m15 = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case_id, point_code="m15")).scalar_one()
    assert m15.due_at == left_at + timedelta(minutes=15)

    version = next(row.version_id for row in _fresh(record).steps if row.step == "sign_out")
    assert post_step(doctor, case_id, "sign_out", SIGN_OUT, version=version).status_code == 302
    db.session.expire_all()
    assert db.session.execute(db.select(DiaryPoint).filter_by(case_id=case_id, point_code="m15")).scalar() is None, \
        "the diary waits for the right's injection again"
    again = {**answers_for("contrast"), "vascular_uptake": False}
    assert post_step(doctor, case_id, "contrast", again, side="right", attempt="2").status_code == 302
    assert post_step(doctor, case_id, "injectate", answers_for("injectate"), side="right").status_code == 302
    db.session.expire_all()
    right = next(row for row in _fresh(record).steps if row.step == "injectate" and row.side == "right")
    m15 = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case_id, point_code="m15")).scalar_one()
    assert m15.due_at == right.first_recorded_at + timedelta(minutes=15), "timed from the later joint"
    assert _sign(doctor, record).status_code == 302
    assert sides_of(db.session.get(Case, case_id)) == [Side.LEFT, Side.RIGHT]


def test_once_the_left_alone_has_a_score_the_sign_out_cannot_be_set_back_to_none(gen, doctor, physician):
    """The patient has rated the left alone (a score describes the left injected, the right not): the
    case went on for the left, and a bilateral diary cannot be made of it. The answer stays, said next
    to it, with what was typed kept; the right is a referral of its own."""
    from tests.builders import enter

    record, _ = _left_injected_twenty_minutes_ago(gen, physician, doctor)
    case_id = record.case_id
    assert post_step(doctor, case_id, "sign_out", {**SIGN_OUT, **NOT_INJECTED}).status_code == 302
    db.session.expire_all()
    enter(db.session.get(Case, case_id), "m15", side=Side.LEFT, score=2)

    version = next(row.version_id for row in _fresh(record).steps if row.step == "sign_out")
    refused = post_step(doctor, case_id, "sign_out", {**SIGN_OUT, "not_injected_reason": ""}, version=version)
    assert refused.status_code == 422
    assert field_error(text(refused), "sign_out-not_injected_side") == (
        "The patient has already rated the left joint alone (time point '15 minutes after'), so the case goes on "
        "for the left side: keep Right here, with the reason. Log a new referral for the right joint.")
    db.session.expire_all()
    assert db.session.get(Case, case_id).side == Side.LEFT
    assert db.session.execute(db.select(DiaryPoint).filter_by(case_id=case_id, point_code="m15")).scalar_one()


def test_once_the_left_alone_was_reminded_of_a_score_the_sign_out_cannot_be_set_back_to_none(gen, doctor, physician):
    """A text asking the patient to rate her pain has gone out for the left alone: the same answer."""
    from tests.builders import point
    from tracker.models import DiaryReminder

    record, _ = _left_injected_twenty_minutes_ago(gen, physician, doctor)
    case_id = record.case_id
    assert post_step(doctor, case_id, "sign_out", {**SIGN_OUT, **NOT_INJECTED}).status_code == 302
    db.session.expire_all()
    db.session.add(DiaryReminder(point_id=point(db.session.get(Case, case_id), "m15").id, channel="sms", attempt=1,
                                 status="sent"))
    db.session.commit()

    version = next(row.version_id for row in _fresh(record).steps if row.step == "sign_out")
    refused = post_step(doctor, case_id, "sign_out", {**SIGN_OUT, "not_injected_reason": ""}, version=version)
    assert refused.status_code == 422
    assert field_error(text(refused), "sign_out-not_injected_side").startswith(
        "The patient has already been reminded to rate the left joint alone (time point '15 minutes after')")


def test_the_verdict_the_injection_rested_on_is_not_called_stale_for_the_side_narrowed_at_the_sign_out(
        gen, doctor, physician):
    """A walkthrough's coordinator read "Verdict stale" on the header of a case injected on the left
    only, whose every criterion was still met: the evidence named one joint instead of two. After the
    injection the verdict is the record of what the booking rested on, compared by status: words
    that name fewer joints are no criterion that moved."""
    from tests.functional.test_eligibility import documented_case

    case = documented_case(gen, side=Side.BILATERAL)
    record = gen.procedure(side=Side.BILATERAL, physician=physician, steps=BEFORE_THE_NEEDLE, patient=case.patient)
    db.session.add_all([type(row)(**{c.name: getattr(row, c.name) for c in row.__table__.columns
                                     if c.name not in ("id", "case_id", "version_id")}, case_id=record.case_id)
                        for row in (case.examination,)])
    db.session.commit()
    case_id = record.case_id
    from tests.builders import make_verdict
    make_verdict(db.session.get(Case, case_id))
    assert post_step(doctor, case_id, "contrast", answers_for("contrast"), side="left").status_code == 302
    assert post_step(doctor, case_id, "injectate", answers_for("injectate"), side="left").status_code == 302
    before = words(soup(text(doctor.get(f"/cases/{case_id}"))).find("h1").parent)
    assert "Verdict stale" not in before
    assert post_step(doctor, case_id, "sign_out", {**SIGN_OUT, **NOT_INJECTED}).status_code == 302
    assert _sign(doctor, record).status_code == 302

    page = text(doctor.get(f"/cases/{case_id}"))
    assert db.session.get(Case, case_id).side == Side.LEFT
    assert "Verdict stale" not in words(soup(page)) and "no longer stands" not in words(soup(page))
