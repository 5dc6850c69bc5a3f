"""A session given over the payer's frequency limits: what the procedure note's billing section says."""
from datetime import date

import pytest

from tracker.policy import BookedSession, PriorInjection
from tracker.policy.profiles import PROFILES
from tracker.procedures.rules.billing import limits_broken, over_payer_limit

CAP = {"code": "diagnostic_cap", "label": "Diagnostic blocks in 12 months", "status": "not_met",
       "evidence": "diagnostic sessions in the last 12 months: 2; this would be 3 of 2 (patient)",
       "shortfall": "diagnostic cap: this would be 3 of 2 (patient), next from 2027-03-02"}
SPACING = {"code": "spacing", "label": "Interval since last therapeutic injection", "status": "not_met",
           "evidence": "40 days since therapeutic injection of 2026-10-27, needs 90 days (left)",
           "shortfall": "interval 40 of 90 days (left), earliest 2027-01-25"}
CARE = {"code": "conservative_care_duration", "label": "Failed conservative care", "status": "not_met",
        "evidence": "27 days", "shortfall": "27 of 28 days"}
MEDICARE = "Medicare SI joint LCDs (2023)"
OVERRIDE = "Dr Amara Osei, 2026-12-01"
BROKEN = "Diagnostic blocks in 12 months: diagnostic cap: this would be 3 of 2 (patient), next from 2027-11-20"
MEDICARE_PROFILE = PROFILES["MEDICARE_LCD_2023"]


def test_only_medicares_profile_is_medicares():
    assert [code for code, profile in PROFILES.items() if profile.medicare] == ["MEDICARE_LCD_2023"]


def test_a_medicare_session_over_the_cap_by_override_names_the_cap_and_its_figures_and_asks_for_an_abn():
    notice = over_payer_limit([CARE, CAP], MEDICARE, True, OVERRIDE)
    assert notice.summary() == ("Over the payer's limit under Medicare SI joint LCDs (2023), given by physician "
                                "override (Dr Amara Osei, 2026-12-01): this session is expected to be denied.")
    assert notice.limits == ("Diagnostic blocks in 12 months: diagnostic cap: this would be 3 of 2 (patient), "
                             "next from 2027-03-02",), "a clinical criterion overridden is no payer limit"
    assert notice.notice() == (
        "Medicare: the patient can be billed for it only with an Advance Beneficiary Notice of Noncoverage (ABN, "
        "form CMS-R-131) signed before the procedure. Add modifier GA with a signed ABN on file, GZ without one "
        "(the patient then cannot be billed). The tracker does not record the ABN: check the patient's signed forms.")
    assert notice.modifier() == "with GA (ABN on file) or GZ (no ABN)"


def test_the_interval_counts_as_a_limit_like_the_caps():
    notice = over_payer_limit([SPACING], MEDICARE, True, OVERRIDE)
    assert notice.limits == ("Interval since last therapeutic injection: interval 40 of 90 days (left), "
                             "earliest 2027-01-25",)


def test_another_payer_needs_its_own_financial_responsibility_notice_and_no_ga_or_gz():
    notice = over_payer_limit([CAP], "CAM 770HB", False, OVERRIDE)
    assert notice.notice() == (
        "CAM 770HB is not Medicare: the patient can be billed for it only with the payer's patient "
        "financial-responsibility notice (waiver) signed before the procedure, as its rules ask. No GA or GZ "
        "modifier: those are Medicare's. The tracker does not record the notice: check the patient's signed forms.")
    assert notice.modifier() == ""
    assert "ABN" not in notice.summary() + notice.notice()


@pytest.mark.parametrize("criteria", [pytest.param([CAP], id="cap-not-met"), pytest.param([CARE], id="care"),
                                      pytest.param([{**CAP, "status": "met"}], id="cap-met"), pytest.param([], id="none")])
def test_without_an_override_or_a_limit_broken_nothing_is_said(criteria):
    assert over_payer_limit(criteria, MEDICARE, True) is None


def test_an_override_of_other_criteria_within_the_limits_says_nothing():
    assert over_payer_limit([CARE, {**CAP, "status": "met"}], MEDICARE, True, OVERRIDE) is None


def test_a_session_over_a_cap_counting_the_sessions_before_it_needs_the_notice_without_an_override():
    notice = over_payer_limit([{**CAP, "status": "met"}], MEDICARE, True, "", (BROKEN,))
    assert notice.limits == (BROKEN,) and notice.override == ""
    assert notice.summary() == ("Over the payer's limit under Medicare SI joint LCDs (2023), counting the patient's "
                                "sessions given and booked before it: this session is expected to be denied.")


def test_the_limits_an_overridden_verdict_names_are_not_said_twice():
    assert over_payer_limit([CAP], MEDICARE, True, OVERRIDE, (BROKEN,)).limits == (
        "Diagnostic blocks in 12 months: diagnostic cap: this would be 3 of 2 (patient), next from 2027-03-02",)


def _given(day):
    return PriorInjection(performed_on=day, side="left", indication="diagnostic")


def _booked(day, case_id, indication="diagnostic"):
    return BookedSession(day=day, side="left", indication=indication,
                         named=f"the appointment of {day:%a} {day.day} {day:%b %Y} (case {case_id})")


@pytest.mark.parametrize("day, broken", [
    pytest.param(date(2026, 12, 15), (), id="the-2nd-of-2-within-the-cap"),
    pytest.param(date(2027, 1, 12), ("Diagnostic blocks in 12 months: diagnostic cap: this would be 3 of 2 (patient), "
                                     "next from 2027-11-20",), id="the-3rd-over-it"),
])
def test_of_the_sessions_booked_the_one_over_the_cap_is_the_later_in_date_order(day, broken):
    """1 block given on 20 Nov 2026; case 41's booked on 15 Dec, case 42's on 12 Jan 2027: whichever
    was booked first, the 12 Jan session is the 3rd of Medicare's 2, the 15 Dec one the 2nd."""
    others = [_booked(d, case_id) for d, case_id in ((date(2026, 12, 15), 41), (date(2027, 1, 12), 42)) if d != day]
    assert limits_broken(day, "left", "diagnostic", [_given(date(2026, 11, 20))], others, MEDICARE_PROFILE) == broken


def test_a_session_given_or_booked_later_or_the_same_day_is_not_counted_before_it():
    later = [_given(date(2027, 2, 1)), _given(date(2026, 12, 15))]
    assert limits_broken(date(2026, 12, 15), "left", "diagnostic", [_given(date(2026, 11, 20)), *later],
                         [_booked(date(2026, 12, 15), 43)], MEDICARE_PROFILE) == ()


def test_before_the_procedure_the_staff_are_told_which_notice_to_get_signed():
    medicare = over_payer_limit([CAP], MEDICARE, True, OVERRIDE)
    assert medicare.before().startswith("Before the procedure, have the patient read and sign an Advance Beneficiary "
                                        "Notice of Noncoverage (ABN, form CMS-R-131)")
    assert medicare.card() == "Over Medicare's limits: have the patient sign an ABN (form CMS-R-131) before the procedure."
    other = over_payer_limit([SPACING], "MP-558 profile", False, OVERRIDE)
    assert other.before().startswith("Before the procedure, have the patient sign MP-558 profile's patient "
                                     "financial-responsibility notice (waiver)")
    assert "ABN" not in other.before() + other.card()


@pytest.mark.parametrize("signed, modifier, said", [
    (True, "with GA (ABN on file)", "Medicare: the patient signed an Advance Beneficiary Notice of Noncoverage (ABN, "
     "form CMS-R-131) before the procedure (recorded at readiness). Add modifier GA: the patient can be billed if "
     "Medicare denies the claim."),
    (False, "with GZ (no ABN on file)", "Medicare: no signed ABN (form CMS-R-131) was recorded before the procedure. "
     "Add modifier GZ: the patient cannot be billed if Medicare denies the claim."),
    (None, "with GA (ABN on file) or GZ (no ABN)", None)])
def test_what_readiness_recorded_of_the_abn_decides_ga_or_gz(signed, modifier, said):
    notice = over_payer_limit([CAP], MEDICARE, True, OVERRIDE, signed=signed)
    assert notice.modifier() == modifier
    if said:
        assert notice.notice() == said
    else:
        assert notice.notice().endswith("The tracker does not record the ABN: check the patient's signed forms.")


def test_another_payers_signed_notice_is_said_without_ga_or_gz():
    notice = over_payer_limit([CAP], "CAM 770HB", False, OVERRIDE, signed=True)
    assert notice.modifier() == ""
    assert "the patient signed the payer's financial-responsibility notice" in notice.notice()
    assert notice.card() == "Over CAM 770HB's limits: financial-responsibility notice signed."


def test_of_two_therapeutic_sessions_booked_too_close_the_later_one_breaks_the_interval():
    """eviCore asks for 60 days between therapeutic injections in a joint: of case 41's session on
    15 Dec and case 42's on 5 Jan, the 5 Jan one is too soon, the 15 Dec one is not."""
    evicore = PROFILES["EVICORE_CMM_203"]
    december, january = _booked(date(2026, 12, 15), 41, "therapeutic"), _booked(date(2027, 1, 5), 42, "therapeutic")
    assert limits_broken(december.day, "left", "therapeutic", [], [january], evicore) == ()
    assert limits_broken(january.day, "left", "therapeutic", [], [december], evicore) == (
        "Interval since last therapeutic injection: interval 21 of 60 days (left), earliest 2027-02-13",)
