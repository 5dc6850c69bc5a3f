"""The risk screen: bleeding, allergies, pregnancy, infection, diabetes, sedation and red flags,
saved through the form and summarised on the case page; the rules that refuse incomplete entries."""
from decimal import Decimal

import pytest

from tracker.extensions import db
from tracker.models import AuditEvent, RiskScreen
from tracker.roles import Role
from tracker.vocab import Pregnancy
from tracker.workflow import State

from tests.helpers import field_error, form_data, input_by_id, soup, submit, text, words


@pytest.fixture
def case(gen):
    return gen.case(state=State.UNDER_REVIEW)


def risk_url(case):
    return f"/cases/{case.id}/risk-screen"


def screen(**fields):
    """A plain screen: nothing ticked, not pregnant, red flags screened and absent."""
    data = {"version_id": "", "anticoagulants": "", "anticoagulant_hold_plan": "",
            "contrast_premedication_plan": "", "pregnancy": "no", "hba1c": "",
            "red_flags_screened": "y", "red_flags_notes": ""}
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def saved_screen(case):
    db.session.expire_all()
    return db.session.execute(db.select(RiskScreen).filter_by(case_id=case.id)).scalar_one_or_none()


def risk_summary(page):
    """The risk screen part of the case page's summary, as the user reads it."""
    section = page.split("<h3>Risk screen", 1)[1].split("</ul>", 1)[0]
    return words(section)


def test_a_saved_risk_screen_is_summarised_on_the_case_page(client, coordinator, case):
    data = screen(anticoagulants="apixaban 5 mg twice daily", anticoagulant_hold_plan="hold 3 days before",
                  anticoagulant_hold_days="3", anticoagulant_prescriber_agreed="yes",
                  allergy_contrast="y", allergy_latex="y", contrast_premedication_plan="prednisolone 13, 7, 1 h",
                  contrast_premedication_planned="y", pregnancy="not_applicable", sedation_planned="y",
                  fasting_hours="6")
    response = submit(client, risk_url(case), data, follow_redirects=True)
    page = text(response)
    assert "Risk screen saved." in page
    summary = risk_summary(page)
    assert ("Anticoagulants: apixaban 5 mg twice daily — no dose for 3 days before the procedure day, "
            "prescriber agreed — hold plan: hold 3 days before") in summary
    assert ("Allergies: iodinated contrast, latex — contrast-allergy plan: prednisolone 13, 7, 1 h "
            "(premedication taken from the evening before)") in summary
    assert "Sedation planned: yes — driver and 24 h no-driving rule; fasting 6 h before" in summary
    assert "Red flags: screened" in summary and "present" not in summary
    assert "glucose monitoring" not in summary

    record = saved_screen(case)
    assert (record.allergy_contrast, record.allergy_latex, record.allergy_iodine) == (True, True, False)
    assert record.pregnancy == Pregnancy.NOT_APPLICABLE and record.sedation_planned is True
    assert (record.anticoagulant_hold_days, record.anticoagulant_prescriber_agreed) == (3, True)
    assert (record.contrast_premedication_planned, record.fasting_hours) == (True, 6)


def test_an_anticoagulant_needs_the_days_without_a_dose_and_keeps_what_was_typed(client, coordinator, case):
    response = submit(client, risk_url(case), screen(anticoagulants="clopidogrel 75 mg",
                                                     anticoagulant_hold_plan="restart the next morning",
                                                     anticoagulant_prescriber_agreed="yes", fasting_hours="6"))
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "anticoagulant_hold_days").startswith(
        "Give the days with no dose before the procedure day (0 to keep taking it)")
    assert 'value="clopidogrel 75 mg"' in page and "restart the next morning" in page
    assert '<option selected value="yes">' in page and input_by_id(page, "fasting_hours")["value"] == "6"
    assert saved_screen(case) is None


@pytest.mark.parametrize("fields, name, message", [
    ({"anticoagulants": "warfarin", "anticoagulant_hold_days": "45"}, "anticoagulant_hold_days",
     "Give the days without a dose, from 0 (keep taking it) to 30."),
    ({"anticoagulant_hold_days": "3"}, "anticoagulant_hold_days",
     "Name the anticoagulant to hold, or leave the days empty."),
    ({"fasting_hours": "36"}, "fasting_hours",
     "Give the fasting hours, from 1 to 24, or leave it empty (no fasting)."),
    ({"contrast_premedication_planned": "y"}, "contrast_premedication_planned",
     "Tick the contrast allergy to plan premedication for it."),
])
def test_preparation_answers_that_cannot_hold_are_refused_next_to_the_field(client, coordinator, case,
                                                                             fields, name, message):
    response = submit(client, risk_url(case), screen(anticoagulant_hold_plan="as agreed", **fields))
    assert response.status_code == 422
    assert field_error(text(response), name) == message
    assert saved_screen(case) is None


def test_continuing_an_anticoagulant_is_zero_days(client, coordinator, case):
    submit(client, risk_url(case), screen(anticoagulants="aspirin 81 mg", anticoagulant_hold_plan="continue",
                                          anticoagulant_hold_days="0"))
    assert saved_screen(case).anticoagulant_hold_days == 0
    summary = risk_summary(text(client.get(f"/cases/{case.id}")))
    assert "Anticoagulants: aspirin 81 mg — keep taking it — hold plan: continue" in summary


def test_reopening_the_risk_screen_shows_what_was_saved(client, coordinator, case):
    submit(client, risk_url(case), screen(allergy_steroid="y", pregnancy="possible"))
    page = text(client.get(risk_url(case)))
    assert input_by_id(page, "allergy_steroid").has_attr("checked")
    assert '<option selected value="possible">' in page


def test_an_anticoagulant_without_a_hold_plan_is_refused(client, coordinator, case):
    response = submit(client, risk_url(case), screen(anticoagulants="clopidogrel 75 mg", allergy_iodine="y"))
    page = text(response)
    assert response.status_code == 422, (
        "BUG: an anticoagulant with an empty hold plan was saved. tracker/review/forms.py:111 gives "
        "anticoagulant_hold_plan an Optional() validator, which stops the chain on an empty field, so "
        "validate_anticoagulant_hold_plan (line 131) never runs")
    assert field_error(page, "anticoagulant_hold_plan") == \
        "Give the hold plan for the anticoagulant (or write 'continue')."
    assert 'value="clopidogrel 75 mg"' in page
    assert input_by_id(page, "allergy_iodine").has_attr("checked"), "ticked boxes must stay ticked"
    assert saved_screen(case) is None


def test_a_red_flag_without_the_screen_ticked_is_refused(client, coordinator, case):
    response = submit(client, risk_url(case), screen(red_flags_screened=None, red_flags_present="y",
                                                     red_flags_notes="night pain, weight loss"))
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "red_flags_present") == "Tick 'Red flags screened' when recording a red flag."
    assert "night pain, weight loss" in page
    assert saved_screen(case) is None


def test_a_red_flag_without_notes_is_refused(client, coordinator, case):
    response = submit(client, risk_url(case), screen(red_flags_present="y", red_flags_notes=""))
    page = text(response)
    assert response.status_code == 422, (
        "BUG: a red flag with no notes was saved. tracker/review/forms.py:128 gives red_flags_notes an "
        "Optional() validator, which stops the chain on an empty field, so validate_red_flags_notes "
        "(line 139) never runs")
    assert field_error(page, "red_flags_notes") == "Describe the red flag found."
    assert saved_screen(case) is None


def test_a_red_flag_with_notes_is_shown_on_the_case_page(client, coordinator, case):
    page = text(submit(client, risk_url(case), screen(red_flags_present="y", red_flags_notes="fever 38.5"),
                       follow_redirects=True))
    assert "Red flags: screened — present: fever 38.5" in risk_summary(page)


@pytest.mark.parametrize("hba1c", ["2.9", "20.1", "abc"])
def test_an_hba1c_out_of_range_is_refused(client, coordinator, case, hba1c):
    response = submit(client, risk_url(case), screen(diabetes="y", hba1c=hba1c))
    page = text(response)
    assert response.status_code == 422
    assert "HbA1c is a percentage between 3 and 20." in (field_error(page, "hba1c") or "")
    assert input_by_id(page, "hba1c").get("value") == f"{hba1c}"
    assert saved_screen(case) is None


def test_an_hba1c_without_diabetes_ticked_is_refused(client, coordinator, case):
    response = submit(client, risk_url(case), screen(hba1c="8.2"))
    assert response.status_code == 422
    assert field_error(text(response), "hba1c") == "Tick 'Diabetes' to record an HbA1c, or leave it empty."
    assert saved_screen(case) is None


def test_a_plan_to_use_no_contrast_is_labelled_a_plan_not_a_premedication(client, coordinator, gen, make_client,
                                                                         login_as):
    """The contrast-allergy plan may be a premedication or doing without contrast: the case page
    labels the field by what it holds ("contrast-allergy plan"), never "premedication" for a plan
    to use no contrast; the patient's page gives the plan as the clinic wrote it, under their allergy."""
    from datetime import time, timedelta

    from tracker.scheduling.rules import clinic_to_utc
    from tracker.timeutil import clinic_today, clinic_zone

    patient = gen.user(Role.PATIENT)
    case = gen.case(patient=patient.patient, state=State.UNDER_REVIEW)
    page = text(submit(client, risk_url(case), screen(allergy_contrast="y", allergy_answer="documented",
                                                      contrast_premedication_plan="No iodinated contrast will be used"),
                       follow_redirects=True))

    summary = risk_summary(page)
    assert "Allergies: iodinated contrast — contrast-allergy plan: No iodinated contrast will be used" in summary
    assert "premedication" not in summary

    case.state = State.SCHEDULED
    db.session.commit()
    gen.appointment(case, starts_at=clinic_to_utc(clinic_today() + timedelta(days=2), time(10, 15), clinic_zone()))
    mine = words(text(login_as(patient, on=make_client()).get(f"/my/cases/{case.id}")))
    assert "Contrast allergy: No iodinated contrast will be used" in mine
    assert "premedication" not in mine


def test_a_contrast_allergy_needs_a_premedication_plan_and_keeps_what_was_typed(client, coordinator, case):
    response = submit(client, risk_url(case), screen(allergy_contrast="y", anticoagulants="apixaban",
                                                     anticoagulant_hold_plan="hold 48 h", anticoagulant_hold_days="2"))
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "contrast_premedication_plan").startswith(
        "Give the premedication plan for the contrast allergy")
    assert 'value="apixaban"' in page and "hold 48 h" in page
    assert saved_screen(case) is None


@pytest.mark.parametrize("fields, advised", [
    pytest.param({"hba1c": "7.1"}, True, id="hba1c-above-7"),
    pytest.param({"hba1c": "7.0"}, False, id="hba1c-exactly-7"),
    pytest.param({"hba1c": "6.2", "insulin": "y"}, True, id="insulin"),
    pytest.param({"hba1c": ""}, False, id="diet-controlled-no-hba1c"),
])
def test_the_case_page_gives_glucose_monitoring_advice_for_hba1c_above_7_or_insulin(
        client, coordinator, case, fields, advised):
    page = text(submit(client, risk_url(case), screen(diabetes="y", **fields), follow_redirects=True))
    assert "Risk screen saved." in page
    summary = risk_summary(page)
    assert ("glucose monitoring advice for about a week" in summary) is advised
    if fields["hba1c"]:
        assert f"HbA1c {fields['hba1c']}%" in summary
        assert saved_screen(case).hba1c == Decimal(fields["hba1c"])


def test_insulin_saved_alone_before_it_was_refused_still_gives_glucose_monitoring_advice(client, coordinator, case):
    """A patient on insulin needs the advice (DESIGN.md 3): a screen saved with insulin alone before
    the form refused it keeps the advice on the case page."""
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True, insulin=True))
    db.session.commit()
    summary = risk_summary(text(client.get(f"/cases/{case.id}")))
    assert "on insulin" in summary
    assert "glucose monitoring advice for about a week" in summary


def test_two_people_saving_the_risk_screen_the_second_is_refused(client, coordinator, case, gen,
                                                                 make_client, login_as):
    other = login_as(gen.user(Role.COORDINATOR), on=make_client())
    assert submit(client, risk_url(case), screen(allergy_latex="y")).status_code == 302
    second = submit(other, risk_url(case), screen(allergy_steroid="y"))  # opened before the first save
    page = text(second)
    assert second.status_code == 409
    assert "Someone else saved this record after you opened it" in page
    record = saved_screen(case)
    assert (record.allergy_latex, record.allergy_steroid) == (True, False)


def _risk_form(page):
    return form_data(soup(page).find("input", attrs={"name": "version_id"}).find_parent("form"))


def test_a_second_save_after_a_conflict_keeps_the_colleagues_blood_thinner(client, coordinator, case, gen,
                                                                           make_client, login_as):
    """Walkthrough finding: a colleague recorded "clopidogrel 75 mg, 7-day hold"; a form opened
    before (no anticoagulants asked yet) was refused as stale, and one more Save replaced the
    colleague's answer. The refused form now holds their answer for the fields left alone."""
    assert submit(client, risk_url(case), screen(anticoagulant_answer="none")).status_code == 302
    other = login_as(gen.user(Role.COORDINATOR), on=make_client())
    mine = _risk_form(other.get(risk_url(case)).get_data(as_text=True))  # opened before the colleague's save
    assert submit(client, risk_url(case), screen(
        version_id=str(saved_screen(case).version_id), anticoagulant_answer="taking",
        anticoagulants="clopidogrel 75 mg", anticoagulant_hold_days="7", anticoagulant_hold_plan="7-day hold",
        anticoagulant_prescriber_agreed="yes")).status_code == 302

    refused = submit(other, risk_url(case), {**mine, "allergy_latex": "y"})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Their changes to fields you had not changed are now in the form" in words(soup(page))
    again = _risk_form(page)
    assert (again["anticoagulant_answer"], again["anticoagulants"], again["anticoagulant_hold_days"]) == (
        "taking", "clopidogrel 75 mg", "7")
    assert again.get("allergy_latex") == "y"
    assert submit(other, risk_url(case), again).status_code in (302, 303)
    record = saved_screen(case)
    assert (record.anticoagulants, record.anticoagulant_hold_days, record.allergy_latex) == ("clopidogrel 75 mg", 7, True)


def test_pregnancy_has_no_preset_answer_and_must_be_chosen(client, coordinator, case):
    page = text(client.get(risk_url(case)))
    select = soup(page).find("select", id="pregnancy")
    assert select.find("option", value="").get_text() == "Choose…"
    assert not any(option.has_attr("selected") for option in select.find_all("option"))
    response = submit(client, risk_url(case), screen(pregnancy="", anticoagulants="warfarin",
                                                     anticoagulant_hold_plan="hold 5 days, INR day before"))
    assert response.status_code == 422
    assert field_error(text(response), "pregnancy") == \
        "Say whether the patient is or may be pregnant (or not applicable)."
    assert 'value="warfarin"' in text(response)
    assert saved_screen(case) is None


# ------------------------------------------------------------------ explicit "none" and "NKDA"

def test_no_anticoagulants_and_no_known_allergies_are_answers_shown_as_none_and_nkda(client, coordinator, case):
    response = submit(client, risk_url(case), screen(anticoagulant_answer="none", allergy_answer="nkda"),
                      follow_redirects=True)

    summary = risk_summary(text(response))
    assert "Anticoagulants: none" in summary and "Allergies: NKDA (no known allergies)" in summary
    assert "n/a" not in summary and "not asked" not in summary
    record = saved_screen(case)
    assert (record.anticoagulant_answer, record.allergy_answer, record.anticoagulants) == ("none", "nkda", "")


def test_questions_left_unanswered_read_not_asked_never_none(client, coordinator, case):
    response = submit(client, risk_url(case), screen(), follow_redirects=True)

    summary = risk_summary(text(response))
    assert "Anticoagulants: not asked" in summary and "Allergies: not asked" in summary
    record = saved_screen(case)
    assert (record.anticoagulant_answer, record.allergy_answer) == ("not_asked", "not_asked")


def test_a_new_risk_screen_offers_not_asked_none_and_taking_with_not_asked_chosen(client, coordinator, case):
    page = soup(client.get(risk_url(case)))
    assert [(radio["value"], radio.has_attr("checked"))
            for radio in page.select("input[name=anticoagulant_answer]")] == [
        ("not_asked", True), ("none", False), ("taking", False)]
    assert [radio["value"] for radio in page.select("input[name=allergy_answer]")] == ["not_asked", "nkda", "documented"]


@pytest.mark.parametrize("typed", ["n/a", "None", "nil", "-"])
def test_n_a_typed_as_the_drug_is_refused_as_a_drug_and_the_typed_values_are_kept(client, coordinator, case, typed):
    response = submit(client, risk_url(case), screen(anticoagulant_answer="taking", anticoagulants=typed,
                                                     anticoagulant_hold_plan="hold 2 days", allergy_latex="y"))

    assert response.status_code == 422
    assert field_error(text(response), "anticoagulants") == (
        f"“{typed}” is not a drug: choose “No anticoagulants or antiplatelets” above instead.")
    page = text(response)
    assert input_by_id(page, "anticoagulants")["value"] == typed
    assert soup(page).find(id="anticoagulant_hold_plan").text.strip() == "hold 2 days"
    assert input_by_id(page, "allergy_latex").has_attr("checked")
    assert saved_screen(case) is None


def test_n_a_typed_with_the_question_left_unanswered_is_saved_as_none_not_as_a_drug(client, coordinator, case):
    response = submit(client, risk_url(case), screen(anticoagulants="N/A"), follow_redirects=True)

    assert "Anticoagulants: none" in risk_summary(text(response))
    record = saved_screen(case)
    assert (record.anticoagulant_answer, record.anticoagulants) == ("none", "")


def test_taking_needs_the_drug_named(client, coordinator, case):
    response = submit(client, risk_url(case), screen(anticoagulant_answer="taking"))
    assert response.status_code == 422
    assert field_error(text(response), "anticoagulants").startswith("Name the anticoagulant or antiplatelet")


def test_no_anticoagulants_with_a_drug_named_is_refused(client, coordinator, case):
    response = submit(client, risk_url(case), screen(anticoagulant_answer="none", anticoagulants="warfarin"))
    assert response.status_code == 422
    assert "“No anticoagulants” was chosen but a drug is named (warfarin)" in field_error(
        text(response), "anticoagulant_answer")
    assert input_by_id(text(response), "anticoagulants")["value"] == "warfarin"


def test_nkda_with_a_ticked_allergy_is_refused_and_allergies_without_a_tick_too(client, coordinator, case):
    response = submit(client, risk_url(case), screen(allergy_answer="nkda", allergy_latex="y"))
    assert response.status_code == 422
    assert field_error(text(response), "allergy_answer") == (
        "“No known allergies” cannot go with a ticked allergy (latex): untick it, or choose “Allergies”.")

    response = submit(client, risk_url(case), screen(allergy_answer="documented"))
    assert response.status_code == 422
    assert field_error(text(response), "allergy_answer") == (
        "Tick each allergy below, or choose “No known allergies (NKDA)”.")
    assert saved_screen(case) is None


def test_a_ticked_allergy_is_the_answer_even_with_the_question_left_at_not_asked(client, coordinator, case):
    submit(client, risk_url(case), screen(allergy_steroid="y"))
    assert saved_screen(case).allergy_answer == "documented"


def test_changing_the_answer_to_none_clears_the_drug_and_is_audited(client, coordinator, case):
    submit(client, risk_url(case), screen(anticoagulants="apixaban", anticoagulant_hold_plan="hold 2 days",
                                          anticoagulant_hold_days="2"))
    record = saved_screen(case)
    assert record.anticoagulant_answer == "taking"

    response = submit(client, risk_url(case), screen(version_id=str(record.version_id), anticoagulant_answer="none",
                                                     anticoagulants=""), follow_redirects=True)

    assert "Anticoagulants: none" in risk_summary(text(response))
    record = saved_screen(case)
    assert (record.anticoagulant_answer, record.anticoagulants) == ("none", "")
    audit = db.session.execute(db.select(AuditEvent).filter_by(object_type="risk_screen")
                               .order_by(AuditEvent.id.desc())).scalars().first()
    assert "anticoagulant_answer" in audit.summary


@pytest.mark.parametrize("answer", ["yes", "possible"])
def test_a_male_patient_cannot_be_marked_pregnant_and_what_was_typed_is_kept(client, coordinator, case, answer):
    case.patient.sex = "male"
    db.session.commit()

    response = submit(client, risk_url(case), screen(pregnancy=answer, anticoagulants="apixaban",
                                                     anticoagulant_hold_plan="hold 2 days", diabetes="y",
                                                     hba1c="8.2"))

    assert response.status_code == 422
    assert field_error(text(response), "pregnancy") == (
        "The patient's recorded sex is male: choose “Not pregnant” or “Not applicable”, or correct the sex on "
        "the patient record first if it is wrong.")
    page = soup(text(response))
    assert page.find("select", id="pregnancy").find("option", selected=True)["value"] == answer
    assert input_by_id(text(response), "hba1c").get("value") == "8.2" and 'value="apixaban"' in text(response)
    assert saved_screen(case) is None


@pytest.mark.parametrize("sex, answer", [("female", "yes"), ("other", "possible"), ("unknown", "yes"),
                                         ("male", "not_applicable"), ("male", "no")])
def test_pregnancy_is_still_asked_of_every_patient_not_recorded_male(client, coordinator, case, sex, answer):
    case.patient.sex = sex
    db.session.commit()
    assert submit(client, risk_url(case), screen(pregnancy=answer)).status_code == 302
    assert saved_screen(case).pregnancy == answer


def test_insulin_without_diabetes_ticked_is_refused_and_keeps_what_was_typed(client, coordinator, case):
    response = submit(client, risk_url(case), screen(insulin="y", anticoagulants="apixaban",
                                                     anticoagulant_hold_plan="hold 48 h"))
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "insulin") == "Tick 'Diabetes' to record that the patient is on insulin, or untick it."
    assert input_by_id(page, "insulin").has_attr("checked")
    assert 'value="apixaban"' in page and "hold 48 h" in page
    assert saved_screen(case) is None
