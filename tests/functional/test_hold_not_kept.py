"""Walk 17: a blood thinner's hold not kept (the day of the last dose leaves fewer days than planned)
is the physician's decision, never the coordinator's tick. Readiness refuses *Anticoagulant hold plan
confirmed* with the reason beside the box, every tick and the day kept as typed; the day saved without
the tick says what is needed. The refused start names the hold not kept with its last dose (not a box
the coordinator ticked) and links straight to the physician's override, which the link opens. The
physician's card words the hold as a plan. Through the real forms, CSRF on."""
from tracker.extensions import db
from tracker.models import Appointment
from tracker.scheduling.instructions import in_words

from tests.builders import clinic_day
from tests.functional.test_booking import physician, room  # noqa: F401
from tests.functional.test_hold_at_table import readiness
from tests.functional.test_preparation_fit import booked_too_late, morning, patient_user  # noqa: F401
from tests.helpers import by_id, field_error, form_data, form_posting_to, is_checked, loaded, sign_in, soup, text, words


def saved(appointment):
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id)


def test_ticking_the_plan_with_a_last_dose_inside_the_hold_is_refused_beside_the_box_all_kept(
        client, booked_too_late):
    last = clinic_day(-1)  # 0 of the planned 5 days
    response = readiness(client, booked_too_late, consent_obtained="y", anticoagulant_plan_confirmed="y",
                         day_of_check_done="y", anticoagulant_last_dose_on=last.isoformat())

    assert response.status_code == 422
    page = text(response)
    said = field_error(page, "anticoagulant_plan_confirmed")
    assert said is not None and said.startswith(
        f"The hold was not kept as planned: last dose on {in_words(last)} leaves 0 of the planned 5 days' hold "
        f"before the appointment.")
    assert "physician" in said
    # Everything typed is kept: the ticks, and the day as typed.
    assert all(is_checked(page, name) for name in ("consent_obtained", "anticoagulant_plan_confirmed",
                                                   "day_of_check_done"))
    assert by_id(page, "anticoagulant_last_dose_on")["value"] == last.isoformat()
    stored = saved(booked_too_late)
    assert not stored.anticoagulant_plan_confirmed and stored.anticoagulant_last_dose_on is None


def test_the_day_saved_without_the_tick_says_the_physician_decides_and_the_box_stays_unticked(
        client, booked_too_late):
    last = clinic_day(-1)
    response = readiness(client, booked_too_late, consent_obtained="y", contrast_premedication_sent="y",
                         day_of_check_done="y", anticoagulant_last_dose_on=last.isoformat())
    assert response.status_code == 302
    stored = saved(booked_too_late)
    assert (stored.anticoagulant_plan_confirmed, stored.anticoagulant_last_dose_on) == (False, last)

    page = loaded(client.get(f"/appointments/{booked_too_late.id}"))
    assert not is_checked(page, "anticoagulant_plan_confirmed")
    assert words(soup(page).select_one(".readiness-summary")) == (
        "Still needed: the physician's decision (anticoagulant hold not kept as planned)")


def refused_start(client, make_client, physician, appointment, last):
    assert readiness(client, appointment, consent_obtained="y", contrast_premedication_sent="y",
                     day_of_check_done="y", anticoagulant_last_dose_on=last.isoformat()).status_code == 302
    doctor = make_client()
    sign_in(doctor, physician)
    start = f"/cases/{appointment.case_id}/procedure/start"
    response = doctor.post(start, data=form_data(form_posting_to(text(doctor.get(f"/cases/{appointment.case_id}")),
                                                                 start)))
    assert response.status_code == 302
    return doctor, response


def test_the_refused_start_names_the_hold_not_kept_not_a_ticked_box(client, make_client, physician, booked_too_late):
    last = clinic_day(-1)
    doctor, response = refused_start(client, make_client, physician, booked_too_late, last)

    page = loaded(doctor.get(response.location))
    [refusal] = soup(page).select(".notice-error")
    said = words(refusal)
    assert (f"The procedure was not started. Not ready: the anticoagulant hold was not kept as planned: last dose "
            f"on {in_words(last)} leaves 0 of the planned 5 days' hold before the appointment") in said
    assert "anticoagulant hold plan confirmed" not in said.lower()
    assert "Complete them" not in said


def test_the_refused_start_links_to_the_override_which_the_link_opens(client, make_client, physician, booked_too_late):
    doctor, response = refused_start(client, make_client, physician, booked_too_late, clinic_day(-1))

    page = loaded(doctor.get(response.location))
    [refusal] = soup(page).select(".notice-error")
    [link] = refusal.find_all("a", href=True)
    assert "physician records why" in words(link) or "override" in words(link).lower()
    href = link["href"]
    assert href.endswith("#readiness-override")
    # Before the link is followed the override stays folded; the link's page has it open, without a
    # script (tests/browser/test_start_refused_override.py: the keyboard lands in its reason box).
    assert not by_id(page, "readiness-override").has_attr("open")
    opened = loaded(doctor.get(href.split("#")[0]))
    override = by_id(opened, "readiness-override")
    assert override.name == "details" and override.has_attr("open")
    assert override.find("textarea", attrs={"name": "reason"}) is not None


def test_my_day_words_the_hold_as_a_plan(client, make_client, physician, booked_too_late):
    assert readiness(client, booked_too_late, anticoagulant_last_dose_on=clinic_day(-1).isoformat()).status_code == 302
    doctor = make_client()
    sign_in(doctor, physician)
    day = clinic_day(0).isoformat()
    # My day's card (the day board's has no safety line).
    for url in (f"/schedule/mine?date={day}",):
        [card] = [words(article) for article in soup(loaded(doctor.get(url))).find_all("article")
                  if f"/appointments/{booked_too_late.id}" in str(article)]
        assert "Anticoagulants: clopidogrel 75 mg daily, hold planned 5 days" in card, card
        assert "held 5 days" not in card, card


def test_a_tick_saved_before_with_a_day_inside_the_hold_says_it_does_not_count(client, booked_too_late):
    """Ticked before this was refused (or on data from before): the page does not read "not
    confirmed" beside a ticked box without saying the tick does not count, and why."""
    appointment = saved(booked_too_late)
    appointment.anticoagulant_plan_confirmed, appointment.anticoagulant_last_dose_on = True, clinic_day(-1)
    db.session.commit()

    page = loaded(client.get(f"/appointments/{booked_too_late.id}"))

    assert is_checked(page, "anticoagulant_plan_confirmed")
    item = words(by_id(page, "anticoagulant_last_dose_on").find_parent("li"))
    assert ("the hold was not kept as planned, so the tick above does not count: a hold not kept is the "
            "physician's decision") in item
    assert "not confirmed, the hold" not in item
