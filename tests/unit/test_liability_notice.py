"""A session given over the payer's frequency limits: what the procedure note's billing section says."""
import pytest

from tracker.policy.profiles import PROFILES
from tracker.procedures.rules.billing import over_payer_limit

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
BOOKED_CAP = ("The payer's diagnostic 12-month cap on that date, counting the sessions already booked: this would "
              "be session 3 of 2 (patient) in the 12 months to 9 Dec 2026, counting the appointment of case 4 on "
              "Tue 8 Dec 2026. Once given, a session over the cap is not covered.")


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
def test_without_an_override_or_an_acknowledged_limit_warning_nothing_is_said(criteria):
    assert over_payer_limit(criteria, MEDICARE, True) is None


def test_an_override_of_other_criteria_within_the_limits_says_nothing():
    assert over_payer_limit([CARE, {**CAP, "status": "met"}], MEDICARE, True, OVERRIDE) is None


def test_a_booking_that_acknowledged_a_cap_counting_booked_sessions_needs_the_notice_without_an_override():
    notice = over_payer_limit([{**CAP, "status": "met"}], MEDICARE, True, "",
                              f"The patient already has an appointment that day (09:00).\n{BOOKED_CAP}")
    assert notice.limits == () and notice.acknowledged == (BOOKED_CAP,), "only the payer's limits count"
    assert notice.summary() == ("Over the payer's limit under Medicare SI joint LCDs (2023), given with the "
                                "booking's warning acknowledged: this session is expected to be denied.")
    assert over_payer_limit([], MEDICARE, True, "", "The patient already has an appointment that day (09:00).") is None


def test_the_bookings_words_for_a_criterion_the_override_names_already_are_not_said_twice():
    verdict_day = "Payer rule on 2026-12-09: Diagnostic blocks in 12 months: this would be 3 of 2 (patient)."
    both = over_payer_limit([CAP], MEDICARE, True, OVERRIDE, f"{verdict_day}\n{BOOKED_CAP}")
    assert both.acknowledged == (BOOKED_CAP,)
    alone = over_payer_limit([CAP], MEDICARE, True, "", verdict_day)
    assert alone.acknowledged == (verdict_day,) and alone.limits == ()


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
