"""A blood thinner's hold that did not fit the booked day (booked against the warning) is said at the
table as what it is: readiness asks the day of the last dose before the plan can be confirmed; the
checklist's banner and the procedure note say the hold did not fit and the last dose confirmed (or
that it is still to be confirmed), never the original plan as if followed. Through the real forms,
CSRF on."""
from datetime import datetime, timedelta, timezone

from babel.dates import format_skeleton
import pytest

from tracker.extensions import db
from tracker.models import Appointment, RiskScreen
from tracker.scheduling.instructions import in_words
from tracker.timeutil import clinic_today, to_clinic
from tracker.workflow import State

from tests.builders import checklist_url, clinic_at, clinic_day
from tests.functional.test_booking import acknowledging, booking, physician, room  # noqa: F401
from tests.functional.test_preparation_fit import (appointment_of, booked_too_late, day, eligible,  # noqa: F401
                                                   morning, patient_user, CLOPIDOGREL)
from tests.helpers import by_id, form_data, form_posting_to, loaded, sign_in, soup, submit, text, words

APIXABAN = {"anticoagulant_answer": "taking", "anticoagulants": "apixaban 5 mg twice daily",
            "anticoagulant_hold_plan": "Hold 2 days (CrCl 60). Restart evening after procedure.",
            "anticoagulant_hold_days": 2, "anticoagulant_prescriber_agreed": True, "allergy_answer": "nkda"}


def readiness(client, appointment, **ticks):
    url = f"/appointments/{appointment.id}/readiness"
    data = form_data(form_posting_to(text(client.get(f"/appointments/{appointment.id}")), url))
    for name in ("consent_obtained", "anticoagulant_plan_confirmed", "driver_arranged",
                 "contrast_premedication_sent", "day_of_check_done"):
        data.pop(name, None)
    data.update(ticks)
    return client.post(url, data=data)


def test_confirming_a_hold_that_did_not_fit_asks_the_day_of_the_last_dose_and_keeps_what_was_ticked(
        client, booked_too_late):
    response = readiness(client, booked_too_late, consent_obtained="y", anticoagulant_plan_confirmed="y")
    assert response.status_code == 422
    page = text(response)
    assert ("The hold did not fit this booking: enter the day of the last dose (ask the patient) to confirm "
            "the plan.") in words(by_id(page, "anticoagulant_last_dose_on").find_parent("li"))
    ticked = {box["name"] for box in soup(page).select("ul.checklist input[checked]")}
    assert {"consent_obtained", "anticoagulant_plan_confirmed"} <= ticked
    db.session.expire_all()
    saved = db.session.get(Appointment, booked_too_late.id)
    assert not saved.consent_obtained and not saved.anticoagulant_plan_confirmed


def test_a_refused_readiness_save_says_at_the_top_of_the_form_which_field_stops_it(client, booked_too_late):
    """Beside red "Did not fit as planned" warnings that do not stop the save, the one that does is
    named above the form and links to its field, as on every other form."""
    response = readiness(client, booked_too_late, consent_obtained="y", anticoagulant_plan_confirmed="y")
    summary = by_id(text(response), "form-errors")
    assert summary.find_parent("section")["aria-labelledby"] == "readiness-h"
    assert "Please correct the highlighted field." in words(summary)
    assert [a["href"] for a in summary.find_all("a")] == ["#anticoagulant_last_dose_on"]


def test_a_last_dose_after_the_appointment_day_is_refused(client, booked_too_late):
    response = readiness(client, booked_too_late, anticoagulant_plan_confirmed="y",
                         anticoagulant_last_dose_on=clinic_day(1).isoformat())
    assert response.status_code == 422
    assert "The last dose cannot be after the appointment's day" in words(
        by_id(text(response), "anticoagulant_last_dose_on").find_parent("li"))
    assert by_id(text(response), "anticoagulant_last_dose_on")["value"] == clinic_day(1).isoformat()


def test_a_last_dose_in_the_year_before_is_refused_beside_the_field_as_typed_and_not_kept(client, booked_too_late):
    typo = clinic_day(-2) - timedelta(days=365)  # the year before, as a slip of the year types it
    response = readiness(client, booked_too_late, anticoagulant_plan_confirmed="y",
                         anticoagulant_last_dose_on=typo.isoformat())
    assert response.status_code == 422
    field = by_id(text(response), "anticoagulant_last_dose_on")
    assert field["value"] == typo.isoformat()
    assert (f"The last dose was on {in_words(typo)} — more than 30 days before the appointment "
            f"({in_words(clinic_today())}): check the year and the month.") in words(field.find_parent("li"))
    db.session.expire_all()
    saved = db.session.get(Appointment, booked_too_late.id)
    assert not saved.anticoagulant_plan_confirmed and saved.anticoagulant_last_dose_on is None


def test_the_confirmed_last_dose_is_kept_and_said_beside_the_item(client, booked_too_late):
    # The patient stopped on the planned day after all: five days without clopidogrel before today.
    response = readiness(client, booked_too_late, anticoagulant_plan_confirmed="y",
                         anticoagulant_last_dose_on=clinic_day(-6).isoformat())
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Appointment, booked_too_late.id)
    assert saved.anticoagulant_plan_confirmed and saved.anticoagulant_last_dose_on == clinic_day(-6)
    page = text(client.get(f"/appointments/{saved.id}"))
    item = words(by_id(page, "anticoagulant_last_dose_on").find_parent("li"))
    assert (f"Hold planned 5 days — did not fit this booking: the last dose would have been {day(-6)}; "
            f"last dose on {day(-6)}, as confirmed at readiness") in item
    assert "leaves" not in item and "anticoagulant plan" not in words(soup(page).select_one(".readiness-summary"))


@pytest.mark.parametrize("offset, held", [(0, 0), (-1, 0), (-2, 1), (-5, 4)])
def test_a_last_dose_inside_the_hold_is_kept_but_not_a_confirmed_plan(client, booked_too_late, offset, held):
    # Saved without the tick, which it refuses (tests/functional/test_hold_not_kept.py).
    response = readiness(client, booked_too_late, consent_obtained="y",
                         contrast_premedication_sent="y", day_of_check_done="y",
                         anticoagulant_last_dose_on=clinic_day(offset).isoformat())
    assert response.status_code == 302
    page = text(client.get(f"/appointments/{booked_too_late.id}"))
    item = words(by_id(page, "anticoagulant_last_dose_on").find_parent("li"))
    shortfall = f"Last dose {day(offset)} leaves {held} of the planned 5 days' hold before the appointment"
    assert (f"{shortfall}: not confirmed, the hold was not kept as planned. Move the appointment, or a physician "
            f"overrides readiness and decides at the start.") in item
    assert (f"Hold planned 5 days — did not fit this booking: the last dose would have been {day(-6)}; "
            f"last dose {day(offset)} leaves {held} of the planned 5 days' hold before the appointment "
            f"(as confirmed at readiness): not kept as planned") in item
    assert "; Last dose" not in item
    heading = words(by_id(page, "readiness-h"))
    assert "Not ready" in heading and "Ready" not in heading.replace("Not ready", "")
    assert words(soup(page).select_one(".readiness-summary")) == (
        "Still needed: the physician's decision (anticoagulant hold not kept as planned)")


def test_moving_the_appointment_clears_the_last_dose_with_the_confirmation(
        client, coordinator, morning, physician, room, gen, patient_user):
    case = eligible(gen, patient_user, **CLOPIDOGREL)
    case.state = State.SCHEDULED
    appointment = gen.appointment(case, physician=physician, room=room, starts_at=clinic_at(10, 10),
                                  anticoagulant_plan_confirmed=True, anticoagulant_last_dose_on=clinic_day(-1))
    url = f"/appointments/{appointment.id}/reschedule"
    data = booking(clinic_day(0), "11:40", physician, room, reason="Earlier slot free.",
                   version_id=str(appointment.version_id))
    assert submit(client, url, acknowledging(text(submit(client, url, data)), data)).status_code == 302
    moved = appointment_of(case)
    assert (moved.anticoagulant_plan_confirmed, moved.anticoagulant_last_dose_on) == (False, None)


def started_against_the_hold(gen, physician, **appointment_fields):
    """A procedure started on an appointment booked now for five minutes ago: the 2-day hold's last
    dose would have been three days ago, before the booking."""
    record = gen.procedure(physician=physician)
    db.session.add(RiskScreen(case_id=record.case_id, red_flags_screened=True, **APIXABAN))
    appointment = record.appointment
    appointment.created_at = datetime.now(timezone.utc).replace(microsecond=0)
    for name, value in appointment_fields.items():
        setattr(appointment, name, value)
    db.session.commit()
    return record


def hold_said(page):
    return [words(tag) for tag in soup(page).select(".hold-flag")]


def last_dose_would_have_been():
    """Three days before the procedure day (two with no dose, and the day itself)."""
    return in_words(clinic_today() - timedelta(days=3))


def test_the_checklist_banner_says_the_hold_did_not_fit_and_to_confirm_the_last_dose(gen, doctor, physician):
    record = started_against_the_hold(gen, physician)
    page = loaded(doctor.get(checklist_url(record.case_id)))
    banner = words(soup(page).select_one(".patient-banner"))
    assert "Anticoagulants: apixaban 5 mg twice daily" in banner
    assert hold_said(page) == [f"Hold planned 2 days — did not fit this booking: the last dose would have been "
                               f"{last_dose_would_have_been()}; confirm when the last dose was taken"]


def test_the_banner_and_the_note_name_the_last_dose_confirmed_at_readiness(gen, doctor, physician):
    last = clinic_today() - timedelta(days=3)  # the 2-day hold kept after all
    record = started_against_the_hold(gen, physician, anticoagulant_plan_confirmed=True,
                                      anticoagulant_last_dose_on=last)
    said = (f"Hold planned 2 days — did not fit this booking: the last dose would have been "
            f"{last_dose_would_have_been()}; last dose on {in_words(last)}, as confirmed at readiness")
    assert hold_said(loaded(doctor.get(checklist_url(record.case_id)))) == [said]
    note = soup(loaded(doctor.get(f"/cases/{record.case_id}/procedure/note")))
    [anticoagulants] = [words(dt.find_next_sibling("dd")) for dt in note.find_all("dt") if words(dt) == "Anticoagulants"]
    assert said in anticoagulants
    assert "(plan: Hold 2 days" not in anticoagulants
    # The printed plan names its restart: the words say it was the hold that went otherwise.
    assert anticoagulants == ("apixaban 5 mg twice daily; hold not as planned (the plan recorded: “Hold 2 days "
                              f"(CrCl 60). Restart evening after procedure.”): {said}")


def test_a_hold_that_fitted_is_printed_as_planned_and_flags_nothing(gen, doctor, physician):
    record = started_against_the_hold(gen, physician)
    record.appointment.created_at = datetime.now(timezone.utc) - timedelta(days=7)
    db.session.commit()
    assert hold_said(loaded(doctor.get(checklist_url(record.case_id)))) == []
    note = soup(loaded(doctor.get(f"/cases/{record.case_id}/procedure/note")))
    [anticoagulants] = [words(dt.find_next_sibling("dd")) for dt in note.find_all("dt") if words(dt) == "Anticoagulants"]
    assert anticoagulants == ("apixaban 5 mg twice daily (plan: Hold 2 days (CrCl 60). Restart evening after "
                              "procedure.)")


def test_readiness_of_a_plan_that_fits_asks_no_last_dose(client, coordinator, morning, physician, room, gen,
                                                          patient_user):
    case = eligible(gen, patient_user, **CLOPIDOGREL)
    response = submit(client, f"/cases/{case.id}/book", booking(clinic_day(20), "10:15", physician, room))
    assert response.status_code == 302
    appointment = appointment_of(case)
    assert soup(text(client.get(f"/appointments/{appointment.id}"))).find(id="anticoagulant_last_dose_on") is None
    assert readiness(client, appointment, anticoagulant_plan_confirmed="y").status_code == 302


def cards(client, make_client, physician, appointment, count_queries):
    """The appointment's card on the day board (as `client`) and on its physician's day, as read, with
    how many statements each page ran."""
    day = to_clinic(appointment.starts_at).date().isoformat()
    doctor = make_client()
    sign_in(doctor, physician)
    said, queries = [], []
    for browser, url in ((client, f"/schedule/day?date={day}"), (doctor, f"/schedule/mine?date={day}")):
        with count_queries() as counter:
            page = loaded(browser.get(url))
        [card] = [words(article) for article in soup(page).find_all("article")
                  if f"/appointments/{appointment.id}" in str(article)]
        said.append(card)
        queries.append(counter.n)
    return said, queries


def test_the_cards_say_the_last_dose_is_not_confirmed_then_the_day_confirmed_in_as_many_queries(
        client, make_client, physician, booked_too_late, count_queries):
    unconfirmed, before = cards(client, make_client, physician, booked_too_late, count_queries)
    assert all("Last dose: not confirmed yet" in card for card in unconfirmed), unconfirmed

    last = clinic_day(-6)  # the planned 5 days kept
    assert readiness(client, booked_too_late, anticoagulant_plan_confirmed="y",
                     anticoagulant_last_dose_on=last.isoformat()).status_code == 302

    confirmed, after = cards(client, make_client, physician, booked_too_late, count_queries)
    shown = format_skeleton("MMMEd", last, locale="en")
    assert all(f"Last dose: {shown} (confirmed)" in card for card in confirmed), confirmed
    assert not any("not confirmed" in card for card in confirmed)
    assert after == before


def test_a_card_whose_hold_fitted_says_nothing_of_the_last_dose(client, coordinator, morning, physician, room, gen,
                                                                 patient_user):
    case = eligible(gen, patient_user, **CLOPIDOGREL)
    response = submit(client, f"/cases/{case.id}/book", booking(clinic_day(20), "10:15", physician, room))
    assert response.status_code == 302
    board = words(loaded(client.get(f"/schedule/day?date={clinic_day(20).isoformat()}")))
    assert "Last dose" not in board


def test_the_cards_of_a_last_dose_inside_the_hold_say_not_ready_as_the_appointment_does(
        client, make_client, physician, booked_too_late, count_queries):
    # Every other box ticked, the last dose the day before: 0 of the planned 5 days' hold.
    assert readiness(client, booked_too_late, consent_obtained="y",
                     contrast_premedication_sent="y", day_of_check_done="y",
                     anticoagulant_last_dose_on=clinic_day(-1).isoformat()).status_code == 302
    said, _ = cards(client, make_client, physician, booked_too_late, count_queries)
    for card in said:
        assert ("✗ Not ready Still needed: the physician's decision (anticoagulant hold not kept as planned)"
                in card), card
        assert "✓ Ready" not in card, card


def test_the_cards_of_a_last_dose_inside_the_hold_say_it_was_not_kept_in_as_many_queries(
        client, make_client, physician, booked_too_late, count_queries):
    _, before = cards(client, make_client, physician, booked_too_late, count_queries)
    last = clinic_day(-2)  # 1 of the planned 5 days
    assert readiness(client, booked_too_late, anticoagulant_last_dose_on=last.isoformat()).status_code == 302
    said, after = cards(client, make_client, physician, booked_too_late, count_queries)
    shown = format_skeleton("MMMEd", last, locale="en")
    for card in said:
        assert (f"Last dose: {shown}, which leaves 1 of the planned 5 days' hold: not kept as planned "
                f"(see the appointment)") in card, card
        assert "(confirmed)" not in card, card
    assert after == before
