"""Evaluating eligibility from the case page: the stored verdict, criterion by criterion; stale
verdicts and one-click re-evaluation; the physician's override; the case's payer profile."""
import html
import re
from datetime import timedelta

import pytest

from tracker.clinical import PROVOCATION_TESTS
from tracker.extensions import db
from tracker.models import CaseHistory, EligibilityVerdict, Examination, RiskScreen
from tracker.roles import Role
from tracker.timeutil import clinic_today, to_clinic
from tracker.vocab import ProvocationResult, Response, Side, TherapyKind
from tracker.workflow import State

from tests.functional.test_diary_timed_from_injection import clock  # noqa: F401 (fixture)
from tests.helpers import by_id, field_error, form_data, input_value, is_checked, soup, submit, text, words
from tracker.eligibility import services as eligibility_services

MEDICARE_CRITERIA = {"pain_duration", "pain_location", "provocation_tests", "conservative_care_duration",
                     "conservative_care_composition", "other_causes_excluded", "diagnostic_cap"}
STALE_PAGE = "This case was changed by someone else while you were looking at it. Nothing was changed"
OVERRIDE_REASON = "Classic SI joint pain; the patient could not tolerate more therapy."


@pytest.fixture
def signed_in_physician(gen, make_client, login_as):
    """A physician and a client of their own signed in as them: (user, client)."""
    user = gen.user(Role.PHYSICIAN, name="Dr Amara Osei")
    return user, login_as(user, on=make_client())


def days_ago(n):
    return clinic_today() - timedelta(days=n)


def documented_case(gen, side=Side.LEFT, care_days=28, positive=None, exam=True, **fields):
    """A case under review with complete facts for the Medicare profile: pain for about 5 months,
    `care_days` days of failed physical therapy (with a 14-day medication trial inside them), pain below
    L5 without radicular signs, `positive` tests per side (3 on the case's side(s) by default),
    red flags screened and absent."""
    case = gen.case(state=State.UNDER_REVIEW, side=side, symptom_onset=days_ago(150), **fields)
    gen.therapy(case, kind=TherapyKind.PHYSICAL_THERAPY, start_date=days_ago(40),
                end_date=days_ago(40 - care_days + 1), response=Response.NONE)
    gen.therapy(case, kind=TherapyKind.MEDICATION, start_date=days_ago(40), end_date=days_ago(27),
                response=Response.PARTIAL)
    if exam:
        if positive is None:
            positive = {"left": 3 if side in (Side.LEFT, Side.BILATERAL) else 0,
                        "right": 3 if side in (Side.RIGHT, Side.BILATERAL) else 0}
        results = {}
        for joint, count in positive.items():
            for i, (test, _) in enumerate(PROVOCATION_TESTS):
                results[f"{test}_{joint}"] = ProvocationResult.POSITIVE if i < count else ProvocationResult.NEGATIVE
        db.session.add(Examination(case=case, pain_below_l5=True, radicular_signs=False, baseline_nrs=7,
                                   **results))
    db.session.add(RiskScreen(case=case, red_flags_screened=True, red_flags_present=False))
    db.session.commit()
    return case


def case_url(case):
    return f"/cases/{case.id}"


def evaluate(client, case, version_id=None):
    """Press "Evaluate eligibility" on the case page."""
    db.session.expire_all()
    version = case.version_id if version_id is None else version_id
    return submit(client, f"/cases/{case.id}/eligibility/evaluate", {"version_id": version},
                  form_page=case_url(case), follow_redirects=True)


def override(client, case, reason, follow_redirects=True):
    db.session.expire_all()
    return submit(client, f"/cases/{case.id}/eligibility/override",
                  {"version_id": case.version_id, "reason": reason}, form_page=case_url(case),
                  follow_redirects=follow_redirects)


def criteria(page, caption="Recorded verdict, criterion by criterion"):
    """The criteria table as the user reads it: {label: (status, evidence)}."""
    caption_tag = soup(page).find("caption", string=caption)
    assert caption_tag, f"no table captioned {caption!r} on the page"
    found = {}
    for row in caption_tag.find_parent("table").find_all("tr"):
        label, cells = row.find("th", scope="row"), row.find_all("td")
        status = cells[0].find("span", class_=re.compile(r"^status")) if cells else None
        if label is not None and status is not None:
            found[markup(label)] = (markup(status), markup(cells[1]))
    return found


def markup(tag):
    return html.unescape(tag.decode_contents()).strip()


def verdicts(case):
    db.session.expire_all()
    return db.session.execute(db.select(EligibilityVerdict).filter_by(case_id=case.id)
                              .order_by(EligibilityVerdict.id)).scalars().all()


def moves(case):
    """The timeline as (from, to) pairs."""
    db.session.expire_all()
    rows = db.session.execute(db.select(CaseHistory).filter_by(case_id=case.id)
                              .order_by(CaseHistory.id)).scalars().all()
    return [(row.from_state, row.to_state) for row in rows]


def test_evaluating_a_case_that_meets_medicare_stores_the_verdict_and_makes_it_eligible(client, coordinator, gen):
    case = documented_case(gen)
    page = text(evaluate(client, case))

    assert "Eligible under Medicare SI joint LCDs (2023)" in page
    (verdict,) = verdicts(case)
    assert (verdict.profile_code, verdict.profile_version, verdict.eligible) == ("MEDICARE_LCD_2023", 1, True)
    assert verdict.evaluated_by_id == coordinator.id
    stored = {c["code"]: c for c in verdict.snapshot["criteria"]}
    assert set(stored) == MEDICARE_CRITERIA
    assert all(c["status"] == "met" and c["evidence"] and c["source"] for c in stored.values())
    assert verdict.snapshot["as_of"] == clinic_today().isoformat()
    assert case.state == State.ELIGIBLE
    assert moves(case)[-1] == (State.UNDER_REVIEW, State.ELIGIBLE)

    shown = criteria(page)
    assert set(shown) == {"Pain duration", "Pain below L5 without radiculopathy", "Provocation tests",
                          "Failed conservative care", "Medication and active therapy tried",
                          "Other causes excluded (red flags)", "Diagnostic blocks in 12 months"}
    assert {status for status, _ in shown.values()} == {"✓ Met"}
    assert shown["Failed conservative care"][1] == "failed conservative care 28 days, needs 28 days"
    assert shown["Provocation tests"][1] == "3 of 6 tests positive, needs 3 (left)"
    assert shown["Pain below L5 without radiculopathy"][1] == "pain below L5: yes; radicular signs: no"
    assert shown["Other causes excluded (red flags)"][1] == "red flags screened: yes; red flags present: no"
    assert f"since {days_ago(150).isoformat()}, needs 3 months" in shown["Pain duration"][1]
    assert "LCD L39455 / L39402" in page
    assert "— Medicare SI joint LCDs (2023) (version 1), evaluated" in page and "by Casey Coordinator" in page
    assert '<span class="badge state-eligible">Eligible</span>' in page


def test_27_days_of_failed_care_is_not_eligible_and_shows_conservative_care_not_met(client, coordinator, gen):
    case = documented_case(gen, care_days=27)
    page = text(evaluate(client, case))

    assert "Not eligible: see the criteria not met below." in page
    db.session.expire_all()
    assert case.state == State.NOT_ELIGIBLE
    assert verdicts(case)[-1].eligible is False
    shown = criteria(page)
    assert shown["Failed conservative care"] == ("✗ Not met", "failed conservative care 27 days, needs 28 days")
    assert [label for label, (status, _) in shown.items() if status != "✓ Met"] == ["Failed conservative care"]


def test_an_unrecorded_fact_is_unknown_never_met_and_the_verdict_is_incomplete_not_ineligible(
        client, coordinator, gen):
    case = documented_case(gen, exam=False)
    page = text(evaluate(client, case))

    db.session.expire_all()
    # Criteria unknown and none failed: incomplete, listing them; the case stays under review.
    assert case.state == State.UNDER_REVIEW
    assert ("Incomplete: still unknown: Pain below L5 without radiculopathy, Provocation tests. None failed; "
            "the case stays under review.") in page
    assert "<strong>Incomplete</strong>: still unknown: Pain below L5 without radiculopathy" in page
    assert verdicts(case)[-1].incomplete
    shown = criteria(page)
    assert shown["Pain below L5 without radiculopathy"] == (
        "? Unknown", "pain below L5: not recorded; radicular signs: not recorded")
    assert shown["Provocation tests"] == ("? Unknown", "not examined (left)")
    assert shown["Failed conservative care"][0] == "✓ Met"
    stored = {c["code"]: c["status"] for c in verdicts(case)[-1].snapshot["criteria"]}
    assert stored["pain_location"] == stored["provocation_tests"] == "unknown"
    assert verdicts(case)[-1].eligible is False


def test_new_facts_make_the_verdict_stale_and_one_click_re_evaluates(client, coordinator, gen):
    case = documented_case(gen, care_days=27)
    evaluate(client, case)
    assert "Verdict stale" not in text(client.get(case_url(case)))

    # One more week of physical therapy, through the conservative-care form.
    added = submit(client, f"/cases/{case.id}/conservative-care",
                   {"kind": "home_exercise", "start_date": days_ago(13).isoformat(),
                    "end_date": days_ago(7).isoformat(), "response": "partial", "details": ""})
    assert added.status_code == 302
    page = text(client.get(case_url(case)))
    assert "Verdict stale" in page
    # The page names the criterion and the fact it read.
    assert ("This verdict no longer stands: failed conservative care: was “failed conservative care 27 days, "
            "needs 28 days”, now “failed conservative care 34 days, needs 28 days”") in page
    assert ">Re-evaluate eligibility</button>" in page
    assert "failed conservative care 34 days, needs 28 days" in criteria(page, "Today's assessment (not recorded)")[
        "Failed conservative care"][1]

    page = text(evaluate(client, case))
    assert "Verdict stale" not in page
    assert criteria(page)["Failed conservative care"] == ("✓ Met", "failed conservative care 34 days, needs 28 days")
    db.session.expire_all()
    assert case.state == State.ELIGIBLE
    assert [v.eligible for v in verdicts(case)] == [False, True]
    assert moves(case)[-3:] == [(State.UNDER_REVIEW, State.NOT_ELIGIBLE),
                                (State.NOT_ELIGIBLE, State.UNDER_REVIEW),
                                (State.UNDER_REVIEW, State.ELIGIBLE)]
    assert "<strong>Under review</strong> (from not eligible)" in page
    assert "<strong>Eligible</strong> (from under review)" in page
    assert "Reason: re-evaluated with new facts" in page


@pytest.mark.parametrize("left, right, eligible, evidence", [
    pytest.param(3, 3, True, "3 of 6 tests positive, needs 3 (left); 3 of 6 tests positive, needs 3 (right)",
                 id="3-each-side"),
    pytest.param(3, 2, False, "3 of 6 tests positive, needs 3 (left); 2 of 6 tests positive, needs 3 (right)",
                 id="right-side-short"),
    pytest.param(2, 6, False, "2 of 6 tests positive, needs 3 (left); 6 of 6 tests positive, needs 3 (right)",
                 id="left-side-short"),
])
def test_a_bilateral_case_needs_3_positive_tests_on_each_side(client, coordinator, gen, left, right, eligible,
                                                              evidence):
    case = documented_case(gen, side=Side.BILATERAL, positive={"left": left, "right": right})
    page = text(evaluate(client, case))
    db.session.expire_all()
    assert case.state == (State.ELIGIBLE if eligible else State.NOT_ELIGIBLE)
    assert criteria(page)["Provocation tests"] == ("✓ Met" if eligible else "✗ Not met", evidence)


def test_a_bilateral_case_not_eligible_for_one_side_says_the_other_side_alone_meets_every_criterion(
        client, coordinator, gen):
    """The right side meets every criterion, the left has two positive tests: the bilateral case is
    not eligible, and the page says what would be (the coordinator had to work it out)."""
    case = documented_case(gen, side=Side.BILATERAL, positive={"left": 2, "right": 4})
    page = text(evaluate(client, case))
    db.session.expire_all()
    assert case.state == State.NOT_ELIGIBLE
    said = words(by_id(page, "one-joint-meets"))
    assert said == ("The right side alone meets every criterion of Medicare SI joint LCDs (2023): if only the "
                    "right is to be injected, correct the referral's side to Right, then re-evaluate.")
    assert f'href="/referrals/cases/{case.id}"' in str(by_id(page, "one-joint-meets"))


def test_a_bilateral_case_short_on_both_sides_is_told_nothing_about_one_side(client, coordinator, gen):
    case = documented_case(gen, side=Side.BILATERAL, positive={"left": 2, "right": 2})
    page = text(evaluate(client, case))
    assert 'id="one-joint-meets"' not in page


def test_a_physician_overrides_not_eligible_with_a_reason_shown_with_the_verdict(client, coordinator, gen,
                                                                                signed_in_physician):
    doctor, doctor_client = signed_in_physician
    case = documented_case(gen, care_days=27)
    evaluate(client, case)

    page = text(override(doctor_client, case, OVERRIDE_REASON))
    assert "Overridden: the case is eligible. The reason is shown with the verdict." in page
    db.session.expire_all()
    assert case.state == State.ELIGIBLE
    verdict = verdicts(case)[-1]
    assert (verdict.override_reason, verdict.override_by_id) == (OVERRIDE_REASON, doctor.id)
    assert verdict.override_at is not None
    line = re.sub(r"\s+", " ", markup(soup(page).find("p", class_="verdict")))
    assert "Not eligible under the profile — overridden to eligible</strong> by Dr Amara Osei" in line
    assert f"Reason: “{OVERRIDE_REASON}”" in line
    header = words(soup(page).find("hgroup"))
    assert "override" in header.lower(), "the page header should say the case is eligible by override"
    assert moves(case)[-1] == (State.NOT_ELIGIBLE, State.ELIGIBLE)
    assert f"Reason: {OVERRIDE_REASON}" in page  # the timeline

    # The coordinator sees the override too.
    seen = text(client.get(case_url(case)))
    assert "overridden to eligible</strong> by Dr Amara Osei" in seen and OVERRIDE_REASON in seen


@pytest.mark.parametrize("reason, message", [
    pytest.param("", "Write the clinical reason for the override.", id="no-reason"),
    pytest.param("   ", "Write the clinical reason for the override.", id="blank-reason"),
    pytest.param("looks ok", "Write the reason in at least 10 characters.", id="too-short"),
])
def test_an_override_without_a_proper_reason_is_refused_next_to_the_field(client, coordinator, gen, signed_in_physician,
                                                                          reason, message):
    _, doctor_client = signed_in_physician
    case = documented_case(gen, care_days=27)
    evaluate(client, case)

    response = override(doctor_client, case, reason, follow_redirects=False)
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "reason") == message
    if reason.strip():
        assert soup(page).find("textarea", id="reason").get_text().lstrip() == reason, \
            "the typed reason must stay in the form"
    db.session.expire_all()
    assert case.state == State.NOT_ELIGIBLE
    assert verdicts(case)[-1].override_reason is None


def test_a_coordinator_cannot_override(client, coordinator, gen):
    case = documented_case(gen, care_days=27)
    page = text(evaluate(client, case))
    assert "Physician override" not in page, "the override form is for physicians only"

    response = override(client, case, OVERRIDE_REASON, follow_redirects=False)
    assert response.status_code == 403
    db.session.expire_all()
    assert case.state == State.NOT_ELIGIBLE
    assert verdicts(case)[-1].override_reason is None


def test_an_override_of_a_stale_verdict_is_refused(client, coordinator, gen, signed_in_physician):
    _, doctor_client = signed_in_physician
    case = documented_case(gen, care_days=27)
    evaluate(client, case)
    gen.therapy(case, kind=TherapyKind.CHIROPRACTIC, start_date=days_ago(12), end_date=days_ago(6))

    response = override(doctor_client, case, OVERRIDE_REASON, follow_redirects=False)
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "reason") == ("The facts changed since this verdict. Evaluate eligibility again "
                                           "before overriding.")
    assert OVERRIDE_REASON in soup(page).find("textarea", id="reason").get_text()
    db.session.expire_all()
    assert case.state == State.NOT_ELIGIBLE
    assert verdicts(case)[-1].override_reason is None


def test_the_payer_profile_chosen_on_the_referral_decides_which_criteria_apply(client, coordinator, gen):
    case = documented_case(gen)
    page = text(evaluate(client, case))
    assert "Ongoing active rehabilitation" not in criteria(page)

    db.session.expire_all()
    edited = submit(client, f"/referrals/cases/{case.id}", {
        "version_id": case.version_id, "referring_clinician": "Dr Referrer",
        "referral_date": days_ago(7).isoformat(), "side": "left", "indication": "diagnostic",
        "symptom_onset": days_ago(150).isoformat(), "payer_profile_code": "EVICORE_CMM_203", "reason": ""},
        follow_redirects=True)
    page = text(edited)
    assert "Referral saved." in page and "<dd>eviCore / Cigna CMM-203</dd>" in page
    assert "Verdict stale" in page, "a new payer profile must make the Medicare verdict stale"
    page = text(client.get(case_url(case)))
    assert ("This verdict no longer stands: the payer profile changed from Medicare SI joint LCDs (2023) to "
            "eviCore / Cigna CMM-203.") in page

    page = text(evaluate(client, case))
    db.session.expire_all()
    # Ongoing rehabilitation is not recorded: unknown, none failed, so incomplete.
    assert case.state == State.UNDER_REVIEW and verdicts(case)[-1].incomplete
    assert verdicts(case)[-1].profile_code == "EVICORE_CMM_203"
    shown = criteria(page)
    assert shown["Ongoing active rehabilitation"] == ("? Unknown", "active rehabilitation ongoing: not recorded")
    assert "Medication and active therapy tried" not in shown
    assert "eviCore CMM-203" in page and "— eviCore / Cigna CMM-203 (version 1)" in page

    submit(client, f"/cases/{case.id}/conservative-care/rehab",
           {"ongoing_active_rehab": "yes", "version_id": case.version_id},
           form_page=f"/cases/{case.id}/conservative-care")
    page = text(evaluate(client, case))
    db.session.expire_all()
    assert case.state == State.ELIGIBLE
    assert criteria(page)["Ongoing active rehabilitation"] == ("✓ Met", "active rehabilitation ongoing: yes")


def test_evaluating_from_a_stale_page_is_refused_and_nothing_is_stored(client, coordinator, gen, signed_in_physician):
    _, doctor_client = signed_in_physician
    case = documented_case(gen)
    opened_version = case.version_id
    # Meanwhile the physician records ongoing rehabilitation (a change to the case itself).
    submit(doctor_client, f"/cases/{case.id}/conservative-care/rehab",
           {"ongoing_active_rehab": "no", "version_id": opened_version},
           form_page=f"/cases/{case.id}/conservative-care")
    db.session.expire_all()
    assert case.version_id != opened_version

    page = text(evaluate(client, case, version_id=opened_version))
    assert STALE_PAGE in page
    assert verdicts(case) == []
    db.session.expire_all()
    assert case.state == State.UNDER_REVIEW


def test_the_admin_chooses_the_clinic_default_profile_for_cases_without_a_payer(client, coordinator, gen,
                                                                               make_client, login_as):
    case = documented_case(gen)
    evaluate(client, case)
    assert verdicts(case)[-1].profile_code == "MEDICARE_LCD_2023"

    refused = submit(client, "/admin/settings", {"default_profile_code": "EVICORE_CMM_203"},
                     form_page=case_url(case))
    assert refused.status_code == 403, "only an admin may change the clinic's default profile"

    admin = login_as(gen.user(Role.ADMIN), on=make_client())
    version = input_value(text(admin.get("/admin/settings")), "profile_version_id")
    saved = submit(admin, "/admin/settings", {"default_profile_code": "EVICORE_CMM_203", "confirm_change": "y",
                                              "change_key": eligibility_services.default_change_impact(
                                                  "EVICORE_CMM_203").key, "profile_version_id": version},
                   follow_redirects=True)
    assert "default payer profile is saved" in text(saved)
    assert '<option selected value="EVICORE_CMM_203">' in text(admin.get("/admin/settings"))

    page = text(client.get(case_url(case)))
    assert "Verdict stale" in page, "a new clinic default must make verdicts under the old default stale"
    page = text(evaluate(client, case))
    assert verdicts(case)[-1].profile_code == "EVICORE_CMM_203"
    assert "Ongoing active rehabilitation" in criteria(page)

    own_payer = documented_case(gen, payer_profile_code="MEDICARE_LCD_2023")
    evaluate(client, own_payer)
    assert verdicts(own_payer)[-1].profile_code == "MEDICARE_LCD_2023", \
        "a case that names its payer keeps that payer's profile"


def _judged_under_medicare(gen, n_booked_at=(), n_unbooked=1):
    """Open cases without a payer of their own, each with a verdict under the default (Medicare):
    one booked at each of `n_booked_at`, `n_unbooked` with no appointment; besides, a case with its
    own payer and a closed one, which a new default does not touch."""
    for starts_at in n_booked_at:
        case = gen.case(state=State.SCHEDULED, patient=gen.patient(family_name="Booked"))
        gen.verdict(case)
        gen.appointment(case, starts_at=starts_at)
    for _ in range(n_unbooked):
        gen.verdict(gen.case(state=State.ELIGIBLE))
    gen.verdict(gen.case(state=State.ELIGIBLE, payer_profile_code="MEDICARE_LCD_2023"))
    gen.verdict(gen.case(state=State.CLOSED))


def test_changing_the_default_profile_counts_the_verdicts_it_makes_stale_and_waits_for_a_confirmation(
        gen, make_client, login_as, count_queries):
    from tests.builders import clinic_at
    from tracker.timeutil import format_clinic

    first = clinic_at(1, 12)
    _judged_under_medicare(gen, n_booked_at=(clinic_at(2, 12), first), n_unbooked=1)
    admin = login_as(gen.user(Role.ADMIN), on=make_client())

    refused = submit(admin, "/admin/settings", {"default_profile_code": "EVICORE_CMM_203", **_opened_version(admin)})

    assert refused.status_code == 422
    page = text(refused)
    assert field_error(page, "default_profile_code") == (
        "3 stored verdicts of cases without a payer of their own become stale, 2 of them on booked appointments, "
        f"the first {format_clinic(first)}: a coordinator re-evaluates each before its procedure. Tick “Change it "
        "anyway” to save, or keep the current default.")
    assert "Booked" not in words(page)  # no patient named to an admin
    assert soup(page).find("option", selected=True)["value"] == "EVICORE_CMM_203"  # the choice is kept
    assert not is_checked(page, "confirm_change")
    assert eligibility_services.default_change_impact("EVICORE_CMM_203").stale == 3
    from tracker.eligibility.standing import clinic_default_profile_code
    assert clinic_default_profile_code() == "MEDICARE_LCD_2023"

    saved = admin.post("/admin/settings", data={**_form_values(page), "confirm_change": "y"}, follow_redirects=True)
    assert ("The clinic's default payer profile is saved. 3 stored verdicts of cases without a payer of their own "
            f"now show as stale, 2 of them on booked appointments, the first {format_clinic(first)}: a coordinator "
            "re-evaluates each before its procedure.") in words(text(saved))
    assert clinic_default_profile_code() == "EVICORE_CMM_203"


def test_counting_what_a_default_change_makes_stale_takes_the_same_queries_for_any_number_of_cases(
        gen, count_queries):
    from tests.builders import clinic_at

    def queries():
        db.session.expire_all()
        with count_queries() as counter:
            impact = eligibility_services.default_change_impact("EVICORE_CMM_203")
        return counter.n, impact.stale

    _judged_under_medicare(gen, n_booked_at=(clinic_at(1, 12),))
    few, stale = queries()
    assert stale == 2
    _judged_under_medicare(gen, n_booked_at=(clinic_at(2, 12), clinic_at(3, 12)), n_unbooked=4)
    assert queries() == (few, 8)


def _opened_version(admin):
    """The clinic settings' version the admin's page carries as opened now."""
    return {"profile_version_id": input_value(text(admin.get("/admin/settings")), "profile_version_id")}


def _form_values(page):
    form = soup(page).find("select", attrs={"name": "default_profile_code"}).find_parent("form")
    return form_data(form)


def test_a_confirmation_given_for_other_counts_does_not_carry_over(gen, make_client, login_as):
    _judged_under_medicare(gen)
    admin = login_as(gen.user(Role.ADMIN), on=make_client())
    page = text(submit(admin, "/admin/settings", {"default_profile_code": "EVICORE_CMM_203", **_opened_version(admin)}))
    data = {**_form_values(page), "confirm_change": "y"}

    gen.verdict(gen.case(state=State.ELIGIBLE))  # meanwhile, another case is judged

    again = admin.post("/admin/settings", data=data)
    assert again.status_code == 422
    assert field_error(text(again), "default_profile_code").startswith(
        "2 stored verdicts of cases without a payer of their own become stale:")


def test_a_default_change_that_makes_nothing_stale_saves_at_once_and_says_so(gen, make_client, login_as):
    gen.verdict(gen.case(state=State.ELIGIBLE, payer_profile_code="MEDICARE_LCD_2023"))
    admin = login_as(gen.user(Role.ADMIN), on=make_client())

    saved = submit(admin, "/admin/settings", {"default_profile_code": "EVICORE_CMM_203", **_opened_version(admin)}, follow_redirects=True)

    assert ("The clinic's default payer profile is saved. No stored verdict becomes stale: no open case without a "
            "payer of its own was judged under the old default.") in words(text(saved))


# ---------------------------------------------------------------- a verdict that no longer stands


def scheduled(gen, case):
    """The eligible case booked (test set-up): an appointment tomorrow, the case scheduled."""
    appointment = gen.appointment(case)
    case.state = State.SCHEDULED
    db.session.commit()
    return appointment


def test_a_stale_verdict_holds_back_booking_until_re_evaluated(client, coordinator, gen):
    case = documented_case(gen)
    evaluate(client, case)
    gen.therapy(case, kind=TherapyKind.CHIROPRACTIC, start_date=days_ago(12), end_date=days_ago(6))

    page = text(client.get(case_url(case)))
    assert ("Booking waits: The eligibility verdict no longer stands (failed conservative care: was "
            "“failed conservative care 28 days, needs 28 days”, now “failed conservative care 35 days") in page
    assert f'href="/cases/{case.id}/book"' not in page
    refused = submit(client, f"/cases/{case.id}/book",
                     {"date": (clinic_today() + timedelta(days=1)).isoformat(), "start": "10:00",
                      "duration": "30", "physician_id": "", "room_id": ""},
                     form_page=f"/cases/{case.id}/book")
    assert refused.status_code == 422
    db.session.expire_all()
    assert case.state == State.ELIGIBLE and case.appointments == []

    assert f'href="/cases/{case.id}/book"' in text(evaluate(client, case))


def test_a_standing_verdict_is_not_evaluated_again_so_an_override_is_never_silently_replaced(
        client, coordinator, gen, signed_in_physician):
    _, doctor_client = signed_in_physician
    case = documented_case(gen, care_days=27)
    evaluate(client, case)
    override(doctor_client, case, OVERRIDE_REASON)
    page = text(client.get(case_url(case)))
    assert "Re-evaluate eligibility" not in page

    refused = text(evaluate(client, case))
    assert "The verdict still stands: nothing it read has changed." in refused
    db.session.expire_all()
    assert case.state == State.ELIGIBLE
    assert verdicts(case)[-1].override_reason == OVERRIDE_REASON


def test_time_passing_can_make_a_verdict_stale_without_any_edit(client, coordinator, gen):
    case = documented_case(gen)
    evaluate(client, case)
    # The stored snapshot read one criterion differently (as it would have months ago, before
    # the pain had lasted three months): the same facts, another day, another answer.
    verdict = verdicts(case)[-1]
    snapshot = dict(verdict.snapshot)
    snapshot["criteria"] = [dict(c, status="not_met") if c["code"] == "pain_duration" else c
                            for c in snapshot["criteria"]]
    verdict.snapshot = snapshot
    db.session.commit()

    page = text(client.get(case_url(case)))
    assert "Verdict stale" in page
    assert "This verdict no longer stands: with the passing of time, pain duration" in page


def test_a_scheduled_case_still_eligible_on_new_facts_keeps_its_appointment(client, coordinator, gen):
    case = documented_case(gen)
    evaluate(client, case)
    appointment = scheduled(gen, case)
    gen.therapy(case, kind=TherapyKind.CHIROPRACTIC, start_date=days_ago(12), end_date=days_ago(6))

    page = text(client.get(case_url(case)))
    assert "Verdict stale" in page and ">Re-evaluate eligibility</button>" in page
    assert "re-evaluating cancels its appointment" in page

    page = text(evaluate(client, case))
    assert "Verdict stale" not in page
    db.session.expire_all()
    assert case.state == State.SCHEDULED
    assert case.active_appointment.id == appointment.id
    assert [v.eligible for v in verdicts(case)] == [True, True]


def move_form(client, appointment, days_ahead=2, clock="11:00", **extra):
    """Send the appointment's Move form (CSRF and all) to another day, same physician and room."""
    db.session.expire_all()
    url = f"/appointments/{appointment.id}/reschedule"
    data = {"date": (clinic_today() + timedelta(days=days_ahead)).isoformat(), "start": clock,
            "duration": "30", "physician_id": str(appointment.physician_id),
            "room_id": str(appointment.room_id), "version_id": str(appointment.version_id),
            "reason": "Patient asked for later", **extra}
    return submit(client, url, data)


STALE_WORDS = "The eligibility verdict no longer stands (failed conservative care: was"


def test_moving_an_appointment_whose_verdict_went_stale_says_so_as_booking_does(client, coordinator, gen):
    case = documented_case(gen)
    evaluate(client, case)
    appointment = scheduled(gen, case)
    starts_at = appointment.starts_at
    gen.therapy(case, kind=TherapyKind.CHIROPRACTIC, start_date=days_ago(12), end_date=days_ago(6))

    page = text(move_form(client, appointment))
    assert STALE_WORDS in field_error(page, "start")
    assert "Re-evaluate eligibility first." in field_error(page, "start")
    db.session.expire_all()
    assert appointment.starts_at == starts_at, "the move waits for the re-evaluation, as booking does"


def test_moving_an_appointment_whose_verdict_stands_says_nothing_of_it(client, coordinator, gen):
    case = documented_case(gen)
    evaluate(client, case)
    appointment = scheduled(gen, case)

    response = move_form(client, appointment)
    if response.status_code == 409:  # other warnings (the physician's hours...): acknowledged
        page = text(response)
        assert "no longer stands" not in page
        response = move_form(client, appointment, acknowledge="y",
                             warnings_digest=input_value(page, "warnings_digest"))
    assert response.status_code == 302
    assert "no longer stands" not in text(client.get(response.location))
    db.session.expire_all()
    assert to_clinic(appointment.starts_at).date() == clinic_today() + timedelta(days=2)


def test_a_scheduled_case_no_longer_eligible_loses_its_appointment_on_re_evaluation(
        client, coordinator, gen):
    case = documented_case(gen)
    evaluate(client, case)
    appointment = scheduled(gen, case)
    # The examination is corrected: only two tests were positive.
    exam = db.session.get(Examination, case.examination.id)
    exam.gaenslen_left = ProvocationResult.NEGATIVE
    db.session.commit()

    evaluate(client, case)
    db.session.expire_all()
    assert case.state == State.NOT_ELIGIBLE
    assert db.session.get(type(appointment), appointment.id).cancelled_reason == "not eligible on re-evaluation"
    assert moves(case)[-3:] == [(State.SCHEDULED, State.ELIGIBLE), (State.ELIGIBLE, State.UNDER_REVIEW),
                                (State.UNDER_REVIEW, State.NOT_ELIGIBLE)]


def test_a_re_evaluation_that_cancels_the_appointment_says_so_and_what_the_patient_must_hear(
        client, coordinator, gen):
    """Walkthrough finding: the page said only "Not eligible"; the appointment's cancellation and
    the blood-thinner restart (said on a manual cancel) were nowhere to be seen."""
    from tracker.timeutil import format_clinic

    case = documented_case(gen)
    risk = case.risk_screen
    risk.anticoagulant_answer, risk.anticoagulants = "taking", "Eliquis 5 mg twice daily"
    risk.anticoagulant_hold_days, risk.anticoagulant_prescriber_agreed = 2, True
    db.session.commit()
    evaluate(client, case)
    appointment = scheduled(gen, case)
    exam = db.session.get(Examination, case.examination.id)
    exam.gaenslen_left = ProvocationResult.NEGATIVE
    db.session.commit()

    page = words(soup(evaluate(client, case).get_data(as_text=True)))
    assert "Not eligible: see the criteria not met below." in page
    when = format_clinic(appointment.starts_at, "%a %d %b %Y %H:%M")
    assert f"The appointment of {when} with {appointment.physician.name} is cancelled with it" in page
    # Booked for tomorrow, the 2-day hold did not fit: the patient was told to stop and call.
    assert ("The patient was told to stop Eliquis 5 mg twice daily (the hold did not fit: they were told to "
            "call) for this appointment: make sure they know when to start it again") in page


def test_a_re_evaluation_that_keeps_the_booking_says_nothing_of_the_appointment(client, coordinator, gen):
    case = documented_case(gen)
    evaluate(client, case)
    scheduled(gen, case)
    case.examination.baseline_nrs = 6  # read by no Medicare criterion: the verdict stands
    db.session.commit()
    page = words(soup(evaluate(client, case).get_data(as_text=True)))
    assert "is cancelled with it" not in page


# ---------------------------------------------------------------- stale only when a criterion's fact changed

def test_a_fact_no_criterion_of_the_profile_reads_does_not_make_the_verdict_stale(client, coordinator, gen):
    # Medicare reads neither the baseline pain nor the Oswestry answers.
    case = documented_case(gen)
    evaluate(client, case)
    exam = case.examination
    exam.baseline_nrs, exam.odi_4 = 3, 4
    db.session.commit()

    page = text(client.get(case_url(case)))
    assert "Verdict stale" not in page and "no longer stands" not in page


def test_under_cam_the_baseline_pain_is_read_so_changing_it_names_the_criterion_and_the_fact(
        client, coordinator, gen):
    case = documented_case(gen, payer_profile_code="CAM_770HB", care_days=42)
    gen.therapy(case, kind=TherapyKind.PHYSICAL_THERAPY, start_date=days_ago(60), end_date=days_ago(1))
    evaluate(client, case)
    case.examination.baseline_nrs = 5
    db.session.commit()

    page = text(client.get(case_url(case)))
    assert ("This verdict no longer stands: pain severity or disability: was “pain 7/10, needs 6; or Oswestry "
            "not recorded, needs 21”, now “pain 5/10, needs 6; or Oswestry not recorded, needs 21”") in page


def test_under_cam_the_tests_are_counted_out_of_the_six_the_examination_records(client, coordinator, gen,
                                                                                make_client, login_as):
    case = documented_case(gen, side=Side.BILATERAL, payer_profile_code="CAM_770HB", care_days=42,
                           positive={"left": 4, "right": 2})

    page = evaluate(client, case).get_data(as_text=True)

    assert criteria(page)["Provocation tests"] == (
        "✗ Not met", "4 of 6 tests positive, needs 3 (left); 2 of 6 tests positive, needs 3 (right); "
                     "the payer lists 8 tests, the clinic examines 6 of them")
    assert "Left 4 of 6, Right 2 of 6" in words(page)
    admin = login_as(gen.user(Role.ADMIN), on=make_client())
    assert ("at least 3 of 8 positive (the payer lists 8 tests; the examination records 6 of them, and the count "
            "is out of those)") in words(text(admin.get("/admin/settings")))
    assert "at least 3 of 6 positive (" not in words(text(admin.get("/admin/settings")))


def provocation(case, positive):
    for i, (test, _) in enumerate(PROVOCATION_TESTS):
        setattr(case.examination, f"{test}_left",
                ProvocationResult.POSITIVE if i < positive else ProvocationResult.NEGATIVE)
    db.session.commit()


def overridden(client, gen, signed_in_physician):
    """A case not eligible on 2 of 3 provocation tests, overridden by the physician."""
    case = documented_case(gen, positive={"left": 2, "right": 0})
    evaluate(client, case)
    override(signed_in_physician[1], case, OVERRIDE_REASON)
    db.session.expire_all()
    assert case.state == State.ELIGIBLE
    return case


def test_re_evaluating_an_override_where_every_criterion_reads_as_before_keeps_it(
        client, coordinator, gen, signed_in_physician):
    case = overridden(client, gen, signed_in_physician)
    # The onset date is corrected by a week: pain duration's evidence moves, still met.
    case.symptom_onset = days_ago(157)
    db.session.commit()
    assert "Verdict stale" in text(client.get(case_url(case)))

    page = text(evaluate(client, case))

    db.session.expire_all()
    assert "the physician's override stands: every criterion reads as before" in page
    assert case.state == State.ELIGIBLE
    latest = verdicts(case)[-1]
    assert latest.override_reason == OVERRIDE_REASON and latest.override_by_id == signed_in_physician[0].id
    assert "Dr Amara Osei's override of" in page and "stands: every criterion reads as before" in page


def test_an_override_given_before_an_upgrade_reworded_the_evidence_stands_while_every_status_holds(
        client, coordinator, gen, signed_in_physician):
    """A release that words the evidence differently ("4 of 8" became "4 of 6 … the payer lists 8")
    changed no fact: a verdict stored in the earlier words neither goes stale for it nor loses its
    override at the next re-evaluation (which would put a booked case back under review); only a
    criterion whose status moved ends the override."""
    from sqlalchemy.orm.attributes import flag_modified
    case = overridden(client, gen, signed_in_physician)
    verdict = verdicts(case)[-1]
    snapshot = dict(verdict.snapshot)
    snapshot.pop("wording", None)  # stored by a release before the evidence's wording was versioned
    snapshot["criteria"] = [{**c, "evidence": "in an earlier release's words: " + c["evidence"]}
                            for c in snapshot["criteria"]]
    verdict.snapshot = snapshot
    flag_modified(verdict, "snapshot")
    db.session.commit()
    assert "Verdict stale" not in text(client.get(case_url(case)))

    case.symptom_onset = days_ago(157)  # a fact moves, every status holds: the verdict stands
    db.session.commit()
    assert "Verdict stale" not in text(client.get(case_url(case)))
    reopened = submit(client, f"/cases/{case.id}/transition",
                      {"action": "reopen_review", "reason": "Outside records arrived", "version_id": case.version_id},
                      form_page=case_url(case))
    assert reopened.status_code == 302
    page = text(evaluate(client, case))

    db.session.expire_all()
    assert "stands: every criterion reads as before" in page
    assert case.state == State.ELIGIBLE and verdicts(case)[-1].override_reason == OVERRIDE_REASON


def test_re_evaluating_an_override_where_a_criterion_changed_goes_back_to_a_physician_with_the_change(
        client, coordinator, gen, signed_in_physician):
    case = overridden(client, gen, signed_in_physician)
    provocation(case, 1)

    page = text(evaluate(client, case))

    db.session.expire_all()
    assert case.state == State.NOT_ELIGIBLE
    assert verdicts(case)[-1].override_reason is None
    assert ("Dr Amara Osei's override of " in page and " no longer stands: provocation tests: was “2 of 6 "
            "tests positive, needs 3 (left)”, now “1 of 6 tests positive, needs 3 (left)”") in page
    assert "Physician override" in text(signed_in_physician[1].get(case_url(case)))


def test_an_incomplete_verdict_can_be_overridden_by_a_physician_with_the_outside_records(
        client, coordinator, gen, signed_in_physician):
    case = documented_case(gen, exam=False)
    evaluate(client, case)
    assert "Physician override" in text(signed_in_physician[1].get(case_url(case)))

    override(signed_in_physician[1], case, OVERRIDE_REASON)

    db.session.expire_all()
    assert case.state == State.ELIGIBLE and verdicts(case)[-1].override_reason == OVERRIDE_REASON


def test_an_overridden_incomplete_verdict_reads_incomplete_never_not_eligible(
        client, coordinator, gen, signed_in_physician):
    """Nothing failed: the profile's verdict was incomplete, and the case page, after the
    override and after a re-evaluation that keeps it, says so rather than "Not eligible"."""
    case = documented_case(gen, exam=False)
    evaluate(client, case)

    page = text(override(signed_in_physician[1], case, OVERRIDE_REASON))

    line = re.sub(r"\s+", " ", markup(soup(page).find("p", class_="verdict")))
    assert "Incomplete under the profile — overridden to eligible</strong> by Dr Amara Osei" in line
    assert "Not eligible" not in line
    db.session.expire_all()
    case.symptom_onset = days_ago(157)  # a met criterion's figures move; the unknown ones do not
    db.session.commit()
    again = words(evaluate(client, case))
    assert "Incomplete under the profile, and the physician's override stands" in again
    assert "Not eligible under the profile" not in again


def test_an_override_of_an_incomplete_verdict_stands_through_re_evaluation_while_nothing_it_judged_changed(
        client, coordinator, gen, signed_in_physician):
    case = documented_case(gen, exam=False)
    evaluate(client, case)
    override(signed_in_physician[1], case, OVERRIDE_REASON)
    db.session.expire_all()
    assert case.state == State.ELIGIBLE
    case.symptom_onset = days_ago(157)  # a met criterion's figures move; the unknown ones do not
    db.session.commit()

    evaluate(client, case)

    db.session.expire_all()
    assert case.state == State.ELIGIBLE and verdicts(case)[-1].override_reason == OVERRIDE_REASON


def test_todays_assessment_tells_a_criterion_not_met_from_one_still_to_record(client, coordinator, gen):
    """"0 of 3 positive tests" is no missing fact: the tests were done and were negative. The
    assessment says what is not met apart from what is still to be recorded."""
    case = documented_case(gen, care_days=27, positive={"left": 1, "right": 0})
    db.session.delete(case.risk_screen)
    db.session.commit()
    summary = words(soup(text(client.get(case_url(case)))).find("summary", string=re.compile("Today's assessment"))
                    .find_parent("details").find("p"))
    not_met, still = summary.split(" Still to record: ")
    assert not_met.startswith("Not met: ")
    assert "1 of 3 positive tests (left)" in not_met and "conservative care 3 of 4 weeks" in not_met
    assert still == "red-flag screen"
    assert "Still missing" not in summary


def test_a_verdict_that_counted_care_from_before_the_onset_is_stale_naming_the_criterion(
        client, coordinator, gen, monkeypatch):
    """A release before this one counted every day of a course that began before the symptom onset.
    Its verdict on such a case is stale, naming the count that moved; a case with no such course
    keeps the digest it had, so its verdict stands (DESIGN.md section 4)."""
    from sqlalchemy.orm.attributes import flag_modified

    from tracker.eligibility import facts as facts_module
    from tracker.eligibility.standing import current_assessment

    untouched = documented_case(gen)
    evaluate(client, untouched)
    case = documented_case(gen)
    gen.therapy(case, kind=TherapyKind.CHIROPRACTIC, start_date=days_ago(200), end_date=days_ago(150),
                response=Response.NONE)
    db.session.commit()
    evaluate(client, case)
    verdict = verdicts(case)[-1]
    clipped = (f"chiropractic / manipulation {days_ago(200).isoformat()} to {days_ago(150).isoformat()}: 1 day on or "
               f"after the onset of {days_ago(150).isoformat()} counts")
    stored = {c["code"]: c for c in verdict.snapshot["criteria"]}
    assert stored["conservative_care_duration"]["evidence"] == ("failed conservative care 29 days, needs 28 days; "
                                                                f"counted from the onset: {clipped}")

    # As the earlier release stored it: the 50 days before the onset counted, its digest without them apart.
    monkeypatch.setattr(facts_module, "_begun_before_onset", lambda facts: [])
    _, earlier_digest = current_assessment(case)
    assert current_assessment(untouched)[1] == verdicts(untouched)[-1].facts_fingerprint
    monkeypatch.undo()
    snapshot = dict(verdict.snapshot)
    snapshot["criteria"] = [{**c, "evidence": "failed conservative care 79 days, needs 28 days"}
                            if c["code"] == "conservative_care_duration" else c for c in snapshot["criteria"]]
    verdict.snapshot, verdict.facts_fingerprint = snapshot, earlier_digest
    flag_modified(verdict, "snapshot")
    db.session.commit()

    page = text(client.get(case_url(case)))
    assert "Verdict stale" in page
    assert ("This verdict no longer stands: failed conservative care: was “failed conservative care 79 days, needs 28 "
            f"days”, now “failed conservative care 29 days, needs 28 days; counted from the onset: {clipped}”") in page
    assert "with the passing of time" not in page
    assert "Verdict stale" not in text(client.get(case_url(untouched)))


def test_a_right_side_evaluated_on_the_day_the_left_was_injected_is_one_more_session_unless_booked_that_day(
        gen, coordinator):
    """Review: the same-day rule read the evaluation day as the session's, so a right side still under
    review (not bookable today) was stored within Medicare's cap of 2 on the left side's day."""
    from tests.builders import clinic_at, make_injection
    from tracker.eligibility.services import evaluate_case
    from tracker.models import Appointment
    patient = gen.patient()
    make_injection(patient, days_ago=90)
    make_injection(patient, days_ago=0)  # the left side, this morning
    right = documented_case(gen, side=Side.RIGHT, patient=patient)

    stored = {c["code"]: c for c in evaluate_case(right, gen.user(Role.COORDINATOR)).snapshot["criteria"]}
    assert stored["diagnostic_cap"]["status"] == "not_met"
    assert "this would be 3 of 2 (patient)" in stored["diagnostic_cap"]["evidence"]
    # Booked for this evening: the same session as the left side's this morning.
    db.session.add(Appointment(case=right, physician_id=gen.user(Role.PHYSICIAN).id, room_id=gen.room().id,
                               starts_at=clinic_at(0, 23, 0), ends_at=clinic_at(0, 23, 30),
                               created_by_id=gen.user(Role.COORDINATOR).id))
    db.session.commit()
    db.session.expire_all()
    from tracker.eligibility.standing import current_assessment
    [cap] = [c for c in current_assessment(right)[0].criteria if c.code == "diagnostic_cap"]
    assert cap.status == "met" and "the same session as the injection of" in cap.evidence
    # The verdict read before the booking no longer stands, for what changed (not "the passing of time").
    from tracker.eligibility.standing import staleness
    from tracker.workflow import stale_verdict_words
    because = staleness(db.session.get(type(right), right.id))
    assert because and "passing of time" not in stale_verdict_words(because)


@pytest.mark.parametrize("left_as", ["checked_in", "booked"])
def test_a_check_in_of_an_earlier_day_is_no_session_to_come_for_the_cases_own_verdict(
        gen, client, coordinator, clock, left_as):
    """Read yesterday with the right side booked for the evening, the session the left side was given
    that morning: within Medicare's cap of 2. The patient checked in and was sent home (the attempt
    abandoned), or never came (a no-show not marked yet): today that appointment is no session to
    come, so the verdict no longer stands for what changed, the cap criterion named (never "with the
    passing of time"), as the caps and booking warnings read it (facts.still_to_be_given)."""
    from tests.builders import clinic_at, make_injection
    from tracker.models import Appointment
    from tracker.vocab import AppointmentStatus

    patient = gen.patient()
    make_injection(patient, days_ago=90)
    make_injection(patient, days_ago=1)  # the left side, yesterday morning
    right = documented_case(gen, side=Side.RIGHT, patient=patient)
    evening = Appointment(case=right, physician_id=gen.user(Role.PHYSICIAN).id, room_id=gen.room().id,
                          starts_at=clinic_at(-1, 19, 0), ends_at=clinic_at(-1, 19, 30),
                          created_by_id=gen.user(Role.COORDINATOR).id)
    db.session.add(evening)
    db.session.commit()
    clock.set(clinic_at(-1, 17, 0))
    evaluate(client, right)
    stored = {c["code"]: c for c in verdicts(right)[-1].snapshot["criteria"]}
    assert stored["diagnostic_cap"]["status"] == "met"
    assert "the same session as the injection of" in stored["diagnostic_cap"]["evidence"]
    # Checked in at 19:00 and sent home febrile (nothing started), or left booked.
    evening.status = AppointmentStatus(left_as)
    db.session.commit()

    clock.set(None)  # today
    page = text(client.get(case_url(right)))
    assert "Verdict stale" in page
    reason = words(soup(page).find(string=re.compile("This verdict no longer stands")).parent)
    assert "diagnostic" in reason.lower() and "3 of 2" in reason, reason
    assert "with the passing of time" not in page


def _tests_done(case, positive, not_done):
    """The case's left side: `positive` tests positive, then `not_done` not done, the rest negative."""
    for i, (test, _) in enumerate(PROVOCATION_TESTS):
        setattr(case.examination, f"{test}_left", ProvocationResult.POSITIVE if i < positive else
                ProvocationResult.NOT_DONE if i < positive + not_done else ProvocationResult.NEGATIVE)
    db.session.commit()


def _red_flags_not_screened(case):
    """The risk screen saved (blood thinners, allergies) before anyone screened for red flags."""
    case.risk_screen.red_flags_screened = False
    case.risk_screen.red_flags_present = False
    db.session.commit()


@pytest.mark.parametrize("criterion,still_to_record", [
    # Two tests tapped positive and four still *Not done* (the form's default): 3 of 6 is still possible.
    ("Provocation tests", lambda case: _tests_done(case, positive=2, not_done=4)),
    ("Other causes excluded (red flags)", _red_flags_not_screened),
])
def test_a_fact_still_to_record_leaves_the_verdict_incomplete_not_ineligible(
        client, coordinator, gen, criterion, still_to_record):
    """Recording the fact can meet the criterion: unknown, the verdict incomplete and the case still
    under review, never *Not eligible*."""
    case = documented_case(gen, side=Side.LEFT)
    still_to_record(case)

    page = text(evaluate(client, case))

    db.session.expire_all()
    assert criteria(page)[criterion][0] == "? Unknown"
    assert verdicts(case)[-1].incomplete
    assert case.state == State.UNDER_REVIEW


def test_with_yeomans_test_not_done_the_verdict_counts_the_five_tests_done(client, coordinator, gen):
    """The examination saved through its form with Yeoman's test *Not done* and four of the other
    five positive: the verdict's evidence, on the case page and through the API, says "4 of 5 tests
    done positive (1 not done)"; the case page's summary counts the same way."""
    from tests.api_support import bearer, token_for

    case = documented_case(gen)
    results = {f"{test}_{side}": "positive" if side == "left" and i < 4 else "negative"
               for i, (test, _) in enumerate(PROVOCATION_TESTS) for side in ("left", "right")}
    results["yeoman_left"] = "not_done"
    exam_url = f"/cases/{case.id}/examination"
    data = {**form_data(soup(client.get(exam_url)).find("form", attrs={"method": "post"})), **results}
    data.pop("csrf_token")
    assert submit(client, exam_url, data).status_code == 302

    page = text(evaluate(client, case))

    evidence = "4 of 5 tests done positive (1 not done), needs 3 (left)"
    assert criteria(page)["Provocation tests"] == ("✓ Met", evidence)
    assert "Positive provocation tests: Left 4 of 5 done (1 not done)." in words(page)
    api = client.get(f"/api/v1/cases/{case.id}", headers=bearer(token_for(coordinator))).get_json()
    assert {c["code"]: c["evidence"] for c in api["verdict"]["criteria"]}["provocation_tests"] == evidence


def test_a_verdict_read_before_tests_not_done_counted_stands_unless_they_change_its_answer(
        client, coordinator, gen, monkeypatch):
    """An earlier release read a test not done as not positive (and worded the evidence in words of
    its own, EVIDENCE_WORDING 4). After the upgrade, a verdict whose answer the tests not done do not
    change (4 positive, 2 not done: met either way) stands; one they change (2 positive, 4 not done:
    "not met" then, unknown now) is stale, naming the criterion, what it was and what it reads now."""
    from tracker.eligibility import facts as facts_module
    from tracker.policy import engine

    met, short = documented_case(gen), documented_case(gen)
    _tests_done(met, positive=4, not_done=2)
    _tests_done(short, positive=2, not_done=4)
    earlier = facts_module._provocation_tests
    monkeypatch.setattr(facts_module, "_provocation_tests", lambda exam: (earlier(exam)[0], {}))
    monkeypatch.setattr(engine, "EVIDENCE_WORDING", 4)
    evaluate(client, met)
    evaluate(client, short)
    db.session.expire_all()
    assert (met.state, short.state) == (State.ELIGIBLE, State.NOT_ELIGIBLE)
    monkeypatch.undo()

    assert "Verdict stale" not in text(client.get(case_url(met)))
    page = text(client.get(case_url(short)))
    assert ("provocation tests was not met, now unknown (2 of 2 tests done positive (4 not done), needs 3 "
            "(left))") in page


def test_a_test_marked_not_done_after_the_verdict_makes_it_stale_naming_what_it_reads_now(client, coordinator, gen):
    """The evidence names the tests not done, so marking one *Not done* after the verdict (a negative
    test found not to have been done) is a fact it read changing: the page says what it was and is."""
    case = documented_case(gen, positive={"left": 4, "right": 0})
    evaluate(client, case)
    _tests_done(case, positive=4, not_done=1)

    page = text(client.get(case_url(case)))

    assert ("provocation tests: was “4 of 6 tests positive, needs 3 (left)”, now “4 of 5 tests done positive (1 "
            "not done), needs 3 (left)”") in page


def test_the_kept_worklist_line_goes_stale_with_the_case_page_once_the_same_day_booking_is_a_no_show(
        gen, client, coordinator, clock, app):
    """Review: the right side booked for 09:00 today, read at 08:30 as the same session as the left
    side's of this morning (within Medicare's cap of 2). Not checked in past NO_SHOW_GRACE_MINUTES, it is
    a no-show whether or not the cron has marked it (README, "Caps count the patient's earlier
    injections"): the case page says the verdict no longer stands (the cap "3 of 2"), and the worklist
    line, kept since 08:30 for today, must say so too (rows.py: "the two never disagree")."""
    from tests.builders import clinic_at, make_injection
    from tracker.cases.rows import line_for
    from tracker.eligibility.standing import clinic_default_profile_code
    from tracker.models import Appointment

    patient = gen.patient()
    make_injection(patient, days_ago=90)
    left = make_injection(patient, days_ago=0)
    start = db.session.execute(db.select(CaseHistory).filter_by(case_id=left.id, action="start_procedure")).scalar_one()
    start.at = clinic_at(0, 7, 0)  # the left side, this morning
    right = documented_case(gen, side=Side.RIGHT, patient=patient)
    db.session.add(Appointment(case=right, physician_id=gen.user(Role.PHYSICIAN).id, room_id=gen.room().id,
                               starts_at=clinic_at(0, 9, 0), ends_at=clinic_at(0, 9, 30),
                               created_by_id=gen.user(Role.COORDINATOR).id))
    db.session.commit()
    clock.set(clinic_at(0, 8, 30))
    evaluate(client, right)
    stored = {c["code"]: c for c in verdicts(right)[-1].snapshot["criteria"]}
    assert "the same session as the injection of" in stored["diagnostic_cap"]["evidence"]
    right.state = State.SCHEDULED
    db.session.commit()
    db.session.expire_all()
    assert line_for(right, clinic_default_profile_code(), clinic_today()) == (["procedure day"], False, False)

    # Never checked in: past the grace period it is a no-show, not marked yet.
    clock.set(clinic_at(0, 9, 0) + timedelta(minutes=app.config["NO_SHOW_GRACE_MINUTES"] + 5))
    page = text(client.get(case_url(right)))
    assert "Verdict stale" in page and "3 of 2" in page
    db.session.expire_all()
    waiting, stale, _ = line_for(right, clinic_default_profile_code(), clinic_today())
    assert stale and waiting == ["verdict stale: re-evaluate"]
