"""One patient's open cases should agree on blood thinners, and two injection sessions on
consecutive days are worth a second look. Neither is refused (the clinician decides): a risk screen
saved, each open case's page, its appointment, its booking (a warning to acknowledge) and the
checklist's banner name the other case and what it records; a booking a day before or after
another of the patient's appointments is a warning naming it. Through the real forms, CSRF on."""

import pytest

from tracker.extensions import db
from tracker.models import RiskScreen
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import checklist_url, clinic_at, clinic_day
from tests.functional.test_booking import acknowledging, appointments_of, booking, physician, room  # noqa: F401
from tests.helpers import loaded, soup, submit, text, words

RIVAROXABAN = {"anticoagulant_answer": "taking", "anticoagulants": "rivaroxaban 20 mg daily",
               "anticoagulant_hold_days": 3, "anticoagulant_prescriber_agreed": True, "allergy_answer": "nkda"}
NONE = {"anticoagulant_answer": "none", "allergy_answer": "nkda"}


def screened(case, **answers):
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True, **answers))
    db.session.commit()
    return case


def said(page):
    return [words(tag) for tag in soup(page).select(".other-case-flag")]


@pytest.fixture
def right(gen):
    """Case on the right, eligible, recording rivaroxaban with a 3-day hold."""
    case = screened(gen.case(state=State.ELIGIBLE, side=Side.RIGHT, verdict=False), **RIVAROXABAN)
    gen.verdict(case)
    return case


def left_of(gen, right, state=State.UNDER_REVIEW, side=Side.LEFT, **answers):
    """The patient's case on the left (or `side`); an eligible one with its verdict taken on its risk screen."""
    case = gen.case(state=state, side=side, patient=right.patient, verdict=False)
    if answers:
        screened(case, **answers)
    if state == State.ELIGIBLE:
        gen.verdict(case)
    return case


def about(other, this):
    return (f"Case {other.id} (right) of this patient records anticoagulants: rivaroxaban 20 mg daily (no dose "
            f"for 3 days before the procedure day); this case records: {this}. Confirm with the patient which is "
            f"true and correct the risk screen that is wrong.")


def test_saving_a_risk_screen_that_disagrees_warns_and_saves(client, coordinator, gen, right):
    left = left_of(gen, right)
    data = {"version_id": "", "anticoagulant_answer": "none", "anticoagulants": "", "anticoagulant_hold_plan": "",
            "allergy_answer": "nkda", "contrast_premedication_plan": "", "pregnancy": "not_applicable",
            "hba1c": "", "red_flags_screened": "y", "red_flags_notes": ""}
    page = text(submit(client, f"/cases/{left.id}/risk-screen", data, follow_redirects=True))
    assert "Risk screen saved." in page
    assert said(page) == [about(right, "none")], "the case page the save lands on says it"
    db.session.expire_all()
    assert left.risk_screen.anticoagulant_answer == "none"


def test_each_open_case_page_names_the_other(client, coordinator, gen, right):
    left = left_of(gen, right, **NONE)
    assert said(loaded(client.get(f"/cases/{left.id}"))) == [about(right, "none")]
    assert said(loaded(client.get(f"/cases/{right.id}"))) == [
        f"Case {left.id} (left) of this patient records anticoagulants: none; this case records: rivaroxaban 20 mg "
        f"daily (no dose for 3 days before the procedure day). Confirm with the patient which is true and correct "
        f"the risk screen that is wrong."]


@pytest.mark.parametrize("answers", [
    pytest.param(RIVAROXABAN, id="same-answer"),
    pytest.param({**RIVAROXABAN, "anticoagulants": " Rivaroxaban  20 mg daily "}, id="same-drug-typed-differently"),
    pytest.param({**RIVAROXABAN, "anticoagulants": "Rivaroxaban 20mg"}, id="same-drug-dose-typed-differently"),
    pytest.param({"anticoagulant_answer": "not_asked"}, id="not-asked-yet"),
    pytest.param(None, id="no-risk-screen"),
])
def test_nothing_is_said_when_they_agree_or_one_is_not_answered(client, coordinator, gen, right, answers):
    left = left_of(gen, right, **(answers or {}))
    assert said(loaded(client.get(f"/cases/{left.id}"))) == []
    assert said(loaded(client.get(f"/cases/{right.id}"))) == []


def test_a_closed_case_is_history_and_not_compared(client, coordinator, gen, right):
    left = left_of(gen, right, state=State.CLOSED, **NONE)
    assert said(loaded(client.get(f"/cases/{right.id}"))) == []
    assert said(loaded(client.get(f"/cases/{left.id}"))) == []


def book_asks(client, case, data):
    """The booking page sent with `data`, and the warnings it asks to acknowledge."""
    page = text(submit(client, f"/cases/{case.id}/book", data))
    notice = soup(page).find("div", class_="notice-warning")
    assert notice is not None, words(soup(page).find("main"))
    return page, [words(li) for li in notice.find_all("li")]


def test_booking_warns_and_books_once_acknowledged(client, coordinator, gen, right, physician, room):
    left = left_of(gen, right, state=State.ELIGIBLE, **NONE)
    data = booking(clinic_day(20), "14:00", physician, room)
    page, warnings = book_asks(client, left, data)
    assert about(right, "none") in warnings
    assert submit(client, f"/cases/{left.id}/book", acknowledging(page, data)).status_code == 302
    [appointment] = appointments_of(left)
    assert about(right, "none") in appointment.acknowledged_warnings
    assert said(loaded(client.get(f"/appointments/{appointment.id}"))) == [about(right, "none")]


def hold_about(other, side, other_days, this_days):
    return (f"Case {other.id} ({side}) of this patient plans a {other_days}-day hold of rivaroxaban; this case "
            f"{this_days} days. Confirm the hold with the prescriber and correct the risk screen that is wrong.")


def test_the_same_drug_typed_otherwise_with_another_hold_is_a_warning_naming_both_holds(
        client, coordinator, gen, right, physician, room):
    left = left_of(gen, right, state=State.ELIGIBLE,
                   **{**RIVAROXABAN, "anticoagulants": "Rivaroxaban 20mg", "anticoagulant_hold_days": 5})
    assert said(loaded(client.get(f"/cases/{left.id}"))) == [hold_about(right, "right", 3, 5)]
    assert said(loaded(client.get(f"/cases/{right.id}"))) == [hold_about(left, "left", 5, 3)]
    data = booking(clinic_day(20), "14:00", physician, room)
    page, warnings = book_asks(client, left, data)
    assert hold_about(right, "right", 3, 5) in warnings
    assert not any("records anticoagulants" in warning for warning in warnings), "the drug itself agrees"
    assert submit(client, f"/cases/{left.id}/book", acknowledging(page, data)).status_code == 302


def test_the_checklist_banner_names_the_other_case(gen, doctor, physician, right):
    record = gen.procedure(physician=physician, patient=right.patient)
    screened(record.case, **NONE)
    banner = soup(loaded(doctor.get(checklist_url(record.case_id)))).select_one(".patient-banner")
    assert [words(tag) for tag in banner.select(".other-case-flag")] == [about(right, "none")]


# ------------------------------------------------------------------ consecutive days

def booked(gen, case, physician, room, days_ahead, hour):
    case.state = State.SCHEDULED
    return gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(days_ahead, hour))


def test_booking_the_day_before_another_appointment_of_the_patient_warns_naming_it(
        client, coordinator, gen, right, physician, room):
    other = booked(gen, right, physician, room, 21, 10)
    left = left_of(gen, right, state=State.ELIGIBLE, **RIVAROXABAN)
    data = booking(clinic_day(20), "14:00", physician, room)
    page, warnings = book_asks(client, left, data)
    day = clinic_day(21)
    assert (f"The patient has another appointment the day after: case {right.id} (right) on "
            f"{day:%A %d %B %Y} at 10:00. Two injection sessions on consecutive days: check they are "
            f"meant to be separate.") in warnings
    assert submit(client, f"/cases/{left.id}/book", acknowledging(page, data)).status_code == 302
    assert other.id != appointments_of(left)[0].id


def test_booking_the_day_after_warns_and_two_days_apart_does_not(client, coordinator, gen, right, physician,
                                                                  room):
    booked(gen, right, physician, room, 20, 10)
    left = left_of(gen, right, state=State.ELIGIBLE, **RIVAROXABAN)
    after = text(submit(client, f"/cases/{left.id}/book", booking(clinic_day(21), "14:00", physician, room)))
    assert f"The patient has another appointment the day before: case {right.id} (right)" in after
    apart = submit(client, f"/cases/{left.id}/book", booking(clinic_day(22), "14:00", physician, room))
    assert apart.status_code == 302, "two days apart: nothing to acknowledge"


# ------------------------------------------------------------------ allergies

CONTRAST_ALLERGY = {"anticoagulant_answer": "none", "allergy_answer": "documented", "allergy_contrast": True,
                    "contrast_premedication_planned": True,
                    "contrast_premedication_plan": "Prednisone 50 mg 13, 7 and 1 hours before."}
NO_ALLERGY_FORM = {"version_id": "", "anticoagulant_answer": "none", "anticoagulants": "",
                   "anticoagulant_hold_plan": "", "allergy_answer": "nkda", "contrast_premedication_plan": "",
                   "pregnancy": "not_applicable", "hba1c": "", "red_flags_screened": "y", "red_flags_notes": ""}


@pytest.fixture
def allergic(gen):
    """Harold's case on the left, eligible, recording an iodinated contrast allergy (premedication planned)."""
    case = screened(gen.case(state=State.ELIGIBLE, side=Side.LEFT, verdict=False), **CONTRAST_ALLERGY)
    gen.verdict(case)
    return case


def right_of(gen, allergic, state=State.UNDER_REVIEW, **answers):
    """Harold's case on the right."""
    return left_of(gen, allergic, state=state, side=Side.RIGHT, **answers)


def allergy_about(other, this="NKDA (no known allergies)", side="left"):
    return (f"Case {other.id} ({side}) of this patient records allergies: iodinated contrast; this case records: "
            f"{this}. Confirm with the patient which is true and correct the risk screen that is wrong. Iodinated "
            f"contrast is given at every injection: if the allergy is true, plan its premedication on this case's "
            f"risk screen.")


def test_saving_nkda_when_another_case_records_a_contrast_allergy_warns_and_saves(client, coordinator, gen,
                                                                                 allergic):
    right = right_of(gen, allergic)
    page = text(submit(client, f"/cases/{right.id}/risk-screen", NO_ALLERGY_FORM, follow_redirects=True))
    assert "Risk screen saved." in page
    assert said(page) == [allergy_about(allergic)], "the case page the save lands on says it"
    db.session.expire_all()
    assert right.risk_screen.allergy_answer == "nkda"


def test_saving_an_allergy_the_other_case_lacks_is_said_on_the_other_case(client, coordinator, gen):
    nkda = screened(gen.case(state=State.UNDER_REVIEW, side=Side.RIGHT, verdict=False), **NONE)
    left = gen.case(state=State.UNDER_REVIEW, side=Side.LEFT, patient=nkda.patient, verdict=False)
    data = {**NO_ALLERGY_FORM, "allergy_answer": "documented", "allergy_contrast": "y", "allergy_latex": "y",
            "contrast_premedication_planned": "y",
            "contrast_premedication_plan": "Prednisone 50 mg 13, 7 and 1 hours before."}
    page = text(submit(client, f"/cases/{left.id}/risk-screen", data, follow_redirects=True))
    assert "Risk screen saved." in page
    assert said(page) == [], "this case records more allergies than the other: nothing missing here"
    assert said(loaded(client.get(f"/cases/{nkda.id}"))) == [
        f"Case {left.id} (left) of this patient records allergies: iodinated contrast, latex; this case records: "
        f"NKDA (no known allergies). Confirm with the patient which is true and correct the risk screen that is "
        f"wrong. Iodinated contrast is given at every injection: if the allergy is true, plan its premedication on "
        f"this case's risk screen."]


def test_an_allergy_other_than_contrast_is_named_without_the_premedication(client, coordinator, gen):
    latex = screened(gen.case(state=State.UNDER_REVIEW, side=Side.LEFT, verdict=False),
                     anticoagulant_answer="none", allergy_answer="documented", allergy_latex=True)
    right = right_of(gen, latex, **NONE)
    assert said(loaded(client.get(f"/cases/{right.id}"))) == [
        f"Case {latex.id} (left) of this patient records allergies: latex; this case records: NKDA (no known "
        f"allergies). Confirm with the patient which is true and correct the risk screen that is wrong."]
    assert said(loaded(client.get(f"/cases/{latex.id}"))) == []


@pytest.mark.parametrize("answers", [
    pytest.param(CONTRAST_ALLERGY, id="same-allergy"),
    pytest.param({"allergy_answer": "not_asked", "anticoagulant_answer": "none"}, id="not-asked-yet"),
    pytest.param(None, id="no-risk-screen"),
])
def test_no_allergy_is_said_when_none_is_missing_or_one_is_not_answered(client, coordinator, gen, allergic,
                                                                        answers):
    right = right_of(gen, allergic, **(answers or {}))
    assert said(loaded(client.get(f"/cases/{right.id}"))) == []
    assert said(loaded(client.get(f"/cases/{allergic.id}"))) == []


def test_the_case_recording_more_allergies_is_not_told_and_the_other_is(client, coordinator, gen, allergic):
    right = right_of(gen, allergic, **{**CONTRAST_ALLERGY, "allergy_latex": True})
    assert said(loaded(client.get(f"/cases/{right.id}"))) == []
    assert said(loaded(client.get(f"/cases/{allergic.id}"))) == [
        f"Case {right.id} (right) of this patient records allergies: iodinated contrast, latex; this case records: "
        f"iodinated contrast. Confirm with the patient which is true and correct the risk screen that is wrong."]


def test_a_closed_case_allergy_is_history_and_not_compared(client, coordinator, gen, allergic):
    allergic.state = State.CLOSED
    right = right_of(gen, allergic, **NONE)
    assert said(loaded(client.get(f"/cases/{right.id}"))) == []


def test_booking_warns_of_the_allergy_and_the_appointment_says_it(client, coordinator, gen, allergic, physician,
                                                                  room):
    right = right_of(gen, allergic, state=State.ELIGIBLE, **NONE)
    data = booking(clinic_day(20), "14:00", physician, room)
    page, warnings = book_asks(client, right, data)
    assert allergy_about(allergic) in warnings
    assert submit(client, f"/cases/{right.id}/book", acknowledging(page, data)).status_code == 302
    [appointment] = appointments_of(right)
    assert allergy_about(allergic) in appointment.acknowledged_warnings
    assert said(loaded(client.get(f"/appointments/{appointment.id}"))) == [allergy_about(allergic)]


def test_blood_thinners_and_allergies_both_disagreeing_are_both_said_drug_first(client, coordinator, gen, right):
    left = left_of(gen, right, **{**CONTRAST_ALLERGY})
    assert said(loaded(client.get(f"/cases/{right.id}"))) == [
        f"Case {left.id} (left) of this patient records anticoagulants: none; this case records: rivaroxaban 20 mg "
        f"daily (no dose for 3 days before the procedure day). Confirm with the patient which is true and correct "
        f"the risk screen that is wrong.", allergy_about(left)]
    assert said(loaded(client.get(f"/cases/{left.id}"))) == [
        about(right, "none")], "the left case lacks no allergy the right one records"


def test_the_checklist_banner_names_the_other_case_allergy(gen, doctor, physician, allergic):
    record = gen.procedure(physician=physician, patient=allergic.patient)
    screened(record.case, **NONE)
    banner = soup(loaded(doctor.get(checklist_url(record.case_id)))).select_one(".patient-banner")
    assert [words(tag) for tag in banner.select(".other-case-flag")] == [allergy_about(allergic)]


def test_the_allergy_warning_costs_no_query_on_the_case_appointment_and_checklist_pages(
        client, doctor, gen, physician, room, count_queries):
    """Blood thinners and allergies are compared on the one read of the patient's other open cases."""
    def pages(other_allergy):
        other = screened(gen.case(state=State.ELIGIBLE, side=Side.LEFT, verdict=False),
                         **(CONTRAST_ALLERGY if other_allergy else NONE))
        case = right_of(gen, other, state=State.ELIGIBLE, **NONE)
        appointment = booked(gen, case, physician, room, 20, 10)
        record = gen.procedure(physician=physician, patient=other.patient)
        screened(record.case, **NONE)
        db.session.commit()
        return [(client, f"/cases/{case.id}"), (client, f"/appointments/{appointment.id}"),
                (doctor, checklist_url(record.case_id))]

    def counted(visits):
        counts, flagged = [], []
        for who, url in visits:
            with count_queries() as counter:
                page = loaded(who.get(url))
            counts.append(counter.n)
            flagged.append(any("records allergies" in words for words in said(page)))
        return counts, flagged

    agree, disagree = pages(False), pages(True)
    counted(agree)  # warm: the first request reads what every later one has cached
    (agreeing, none_said), (disagreeing, all_said) = counted(agree), counted(disagree)
    assert none_said == [False] * 3 and all_said == [True] * 3
    assert disagreeing == agreeing


def test_blood_thinners_and_allergies_of_every_other_open_case_are_read_in_one_query(gen, allergic, count_queries):
    from tracker.cases.services import risk_screens_elsewhere

    case = right_of(gen, allergic, **{**NONE, "anticoagulant_answer": "taking", "anticoagulants": "warfarin"})
    for _ in range(3):
        screened(gen.case(state=State.UNDER_REVIEW, side=Side.BILATERAL, patient=allergic.patient, verdict=False),
                 **CONTRAST_ALLERGY)
    db.session.expire_all()
    case = db.session.get(type(case), case.id)
    case.risk_screen  # the page has it already
    with count_queries() as counter:
        said_here = risk_screens_elsewhere(case)
    assert counter.n == 1
    assert len(said_here) == 8, "each of four cases: its blood thinner and its allergy"
