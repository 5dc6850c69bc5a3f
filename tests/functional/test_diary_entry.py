"""The pain diary through the real forms: the patient's entry (what is due, two taps, late, a
second entry refused, a point not open yet, bad scores, both sides of a bilateral case), the
patient's same-day correction with history, staff entering a score given by phone and correcting
one, and the points that booking and signing create."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from babel.dates import format_time

from tracker.extensions import db
from tracker.i18n import opening_minute
from tracker.models import AuditEvent, DiaryEntry, DiaryPoint
from tracker.roles import Role
from tracker.timeutil import format_clinic_short, start_of_clinic_day, to_clinic
from tracker.vocab import EntrySource, Side
from tracker.workflow import State

from tests.helpers import soup, submit, text, words


def now():
    return datetime.now(timezone.utc).replace(microsecond=0)


def entries_of(case):
    db.session.expire_all()
    return db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)
                              .order_by(DiaryEntry.id)).scalars().all()


def error_of(page, field_id):
    """The message next to a field (the patient's form says it in a <p>, staff forms in a <small>)."""
    tag = soup(page).find(["p", "small"], id=f"{field_id}-error")
    return tag.get_text().strip() if tag else None


def checked(page, name):
    """The value of the checked radio of group `name`, or None."""
    return next((tag.get("value") for tag in soup(page).find_all("input", attrs={"name": name})
                 if tag.has_attr("checked")), None)


def missed_points(page):
    """The sentence naming the points no longer asked for, or None."""
    line = soup(page).find("p", class_="missed-points")
    return words(line) if line else None


def due_title(page):
    """The point asked for now: its heading's words and its badge."""
    title = soup(page).find("h2", class_="due-title")
    return words(title), title.find("span", class_="badge").get("class")


@pytest.fixture
def patient(gen):
    return gen.user(Role.PATIENT, name="Pat Diary")


def follow_up_case(gen, patient, since_injection, side=Side.LEFT, entries=None):
    """A case in follow-up whose injection was `since_injection` ago, with its diary."""
    case = gen.case(patient=patient.patient, state=State.FOLLOW_UP, side=side)
    gen.diary(case, injected_at=now() - since_injection, entries=entries if entries is not None else {"t0": 7})
    return case


def diary_url(case):
    return f"/my/cases/{case.id}/diary"


# ------------------------------------------------------------------ the patient's entry

def test_a_closed_cases_diary_tells_the_patient_it_has_ended(client, gen, login_as, patient):
    case = follow_up_case(gen, patient, timedelta(days=3))
    case.state = State.CLOSED
    db.session.commit()
    login_as(patient)

    page = text(client.get(diary_url(case)))

    assert "This diary is finished: it takes no more scores. Thank you for keeping it." in page
    assert "Nothing to enter right now" not in page and "Next:" not in page


def test_the_patient_sees_what_is_due_and_enters_it_with_one_choice_and_one_submit(client, gen, login_as, patient):
    case = follow_up_case(gen, patient, timedelta(hours=2))
    login_as(patient)

    case_page = text(client.get(f"/my/cases/{case.id}"))
    assert "Enter today's pain score" in case_page
    page = text(client.get(diary_url(case)))
    assert "2 hours after" in page and "due now" in page
    # A real radio group in a fieldset with a legend, with words at both ends of the scale.
    assert '<fieldset class="nrs" id="score"' in page and "<legend>How bad is your usual pain" in page
    assert len(soup(page).find_all("input", attrs={"type": "radio", "name": "score"}, class_="nrs-input")) == 11
    for score, word in ((0, "no pain"), (10, "worst pain imaginable")):
        label = soup(page).find("label", attrs={"for": f"score-{score}"})
        assert label.contents[0] == f"{score} " and label.find("span", class_="nrs-word").get_text() == word

    response = submit(client, diary_url(case), {"point": "h2", "score": "3"}, follow_redirects=True)

    assert "Thank you: your “2 hours after” score is saved." in text(response)
    [baseline, entry] = entries_of(case)
    assert (entry.point.point_code, entry.side, entry.score) == ("h2", Side.LEFT, 3)
    assert entry.source == EntrySource.PATIENT_ACCOUNT and entry.entered_by_id == patient.id
    assert entry.late is False
    # Not asked is not "no": the optional questions stay unanswered.
    assert (entry.analgesic_used, entry.opioid_used, entry.physical_therapy_done) == (None, None, None)
    audit = db.session.execute(db.select(AuditEvent).filter_by(object_type="diary_point")).scalars().one()
    assert audit.user_id == patient.id and "h2 entered" in audit.summary and "3" not in audit.summary.split(":")[1]


def test_the_optional_answers_are_stored_as_given(client, gen, login_as, patient):
    case = follow_up_case(gen, patient, timedelta(hours=2))
    login_as(patient)
    submit(client, diary_url(case), {"point": "h2", "score": "4", "analgesic_used": "yes", "opioid_used": "no",
                                     "physical_therapy_done": ""})
    entry = entries_of(case)[-1]
    assert (entry.analgesic_used, entry.opioid_used, entry.physical_therapy_done) == (True, False, None)


def test_a_closed_window_is_missed_never_asked_and_a_score_for_it_refused(client, gen, login_as, patient):
    # 62 hours on: the day-2 window (40-60 h) has just closed and day 7 has not opened.
    case = follow_up_case(gen, patient, timedelta(hours=62))
    login_as(patient)
    page = text(client.get(diary_url(case)))
    assert "Nothing to enter right now. Next: Day 7," in page
    assert re.match(r"Missed: the “15 minutes after”, .*“Day 1”, and “Day 2” scores\. These are not asked",
                    missed_points(page))
    assert "Save my score" not in page and "late" not in page.split("Your entries", 1)[0]

    response = submit(client, diary_url(case), {"point": "d2", "score": "5"})

    assert response.status_code == 422
    assert "The “Day 2” score could be given until" in error_of(text(response), "point")
    assert "it is missed" in error_of(text(response), "point")
    assert [e.point.point_code for e in entries_of(case)] == ["t0"]


def test_months_later_the_patient_is_asked_only_for_the_point_open_now_and_the_score_describes_now(
        client, gen, login_as, patient):
    # The link opened six months after the injection: Day 7 and the rest are missed, not asked.
    case = follow_up_case(gen, patient, timedelta(days=180), entries={"t0": 8, "d1": 2, "w6": 3, "mo3": 3})
    login_as(patient)
    page = text(client.get(diary_url(case)))
    assert due_title(page) == ("6 months due now", ["badge", "state-scheduled"])
    assert "“Day 7”" in missed_points(page)
    # Asking for Day 7 by its address shows the open point, and posting it is refused.
    assert '<h2 class="due-title">6 months' in text(client.get(f"{diary_url(case)}?point=d7"))
    assert submit(client, diary_url(case), {"point": "d7", "score": "5"}).status_code == 422

    submit(client, diary_url(case), {"point": "mo6", "score": "5"})

    entry = entries_of(case)[-1]
    assert (entry.point.point_code, entry.score, entry.late, entry.felt_at) == ("mo6", 5, False, entry.entered_at)
    assert not [e for e in entries_of(case) if e.point.point_code == "d7"]


def test_a_missed_score_sent_while_a_later_one_is_open_points_to_that_one(client, gen, login_as, patient):
    """Walkthrough: "…it is missed. A score now would describe your pain today, not then, so please
    give the next one when it is due. The form below now asks for the “6 months” score.": the next
    one is due now, on the form below, not later."""
    case = follow_up_case(gen, patient, timedelta(days=180), entries={"t0": 8, "d1": 2, "w6": 3, "mo3": 3})
    login_as(patient)

    said = words(error_of(text(submit(client, diary_url(case), {"point": "d7", "score": "5"})), "point"))

    assert "it is missed. A score now would describe your pain today, not then." in said
    assert "when it is due" not in said
    assert said.endswith("The form below now asks for the “6 months” score.")


def test_a_second_entry_for_the_same_point_is_refused_and_the_first_kept(client, gen, login_as, patient):
    case = follow_up_case(gen, patient, timedelta(hours=2), entries={"t0": 7, "h2": 4})
    login_as(patient)

    response = submit(client, diary_url(case), {"point": "h2", "score": "1"})

    assert response.status_code == 422
    message = error_of(text(response), "point")
    assert "“2 hours after” score was already entered" in message and "Correct" in message
    assert [e.score for e in entries_of(case) if e.point.point_code == "h2"] == [4]


def test_a_point_not_open_yet_is_refused_with_its_opening_time_and_the_typed_score_kept(
        client, gen, login_as, patient):
    case = follow_up_case(gen, patient, timedelta(hours=1))
    login_as(patient)

    response = submit(client, diary_url(case), {"point": "h2", "score": "5", "analgesic_used": "yes"})

    assert response.status_code == 422
    page = text(response)
    h2 = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id, point_code="h2")).scalar_one()
    message = error_of(page, "point")
    # The window opens at the injection's second: the time said is the first whole minute it is open.
    opens = format_time(to_clinic(opening_minute(h2.opens_at)), "short", locale="en")
    assert "The “2 hours after” score can be entered from" in message and opens in message
    assert checked(page, "score") == "5" and checked(page, "analgesic_used") == "yes"
    assert [e.point.point_code for e in entries_of(case)] == ["t0"]


@pytest.mark.parametrize("typed,message", [
    ("11", "Pain scores go from 0 to 10: 11 is not on the scale."),
    ("-1", "Pain scores go from 0 to 10: -1 is not on the scale."),
    ("three", "The pain score must be a whole number from 0 to 10."),
    ("2.5", "The pain score must be a whole number from 0 to 10."),
    ("", "Choose a number from 0 (no pain) to 10 (worst pain imaginable)."),
])
def test_a_score_outside_the_scale_or_not_a_number_is_refused_next_to_the_scale(
        client, gen, login_as, patient, typed, message):
    case = follow_up_case(gen, patient, timedelta(hours=2))
    login_as(patient)

    response = submit(client, diary_url(case), {"point": "h2", "score": typed, "opioid_used": "no"})

    assert response.status_code == 422
    page = text(response)
    assert error_of(page, "score") == message
    assert 'aria-describedby="score-error"' in page
    assert checked(page, "opioid_used") == "no"  # the rest of what was typed is kept
    assert [e.point.point_code for e in entries_of(case)] == ["t0"]


def test_a_bilateral_case_rates_each_side_on_the_same_form(client, gen, login_as, patient):
    case = follow_up_case(gen, patient, timedelta(hours=2), side=Side.BILATERAL)
    login_as(patient)
    page = text(client.get(diary_url(case)))
    assert 'id="score_left"' in page and 'id="score_right"' in page and 'name="score"' not in page

    missing = submit(client, diary_url(case), {"point": "h2", "score_left": "2"})
    assert missing.status_code == 422
    assert error_of(text(missing), "score_right").startswith("Choose a number from 0")
    assert checked(text(missing), "score_left") == "2"
    assert [e.point.point_code for e in entries_of(case)] == ["t0", "t0"]

    submit(client, diary_url(case), {"point": "h2", "score_left": "2", "score_right": "6"})
    assert sorted((e.side.value, e.score) for e in entries_of(case) if e.point.point_code == "h2") == [
        ("left", 2), ("right", 6)]


def test_the_baseline_is_not_asked_of_the_patient_after_the_injection(client, gen, login_as, patient):
    case = follow_up_case(gen, patient, timedelta(hours=2), entries={})
    login_as(patient)
    response = submit(client, diary_url(case), {"point": "t0", "score": "8"})
    assert response.status_code == 422
    assert "only be given before the injection" in error_of(text(response), "point")
    assert entries_of(case) == []


def test_another_patients_diary_is_not_found(client, gen, login_as, patient):
    other = gen.user(Role.PATIENT)
    case = follow_up_case(gen, other, timedelta(hours=2))
    login_as(patient)
    assert client.get(diary_url(case)).status_code == 404
    response = submit(client, diary_url(case), {"point": "h2", "score": "3"}, form_page="/my/")
    assert response.status_code == 404
    assert [e.point.point_code for e in entries_of(case)] == ["t0"]


# ------------------------------------------------------------------ corrections

def test_the_patient_corrects_a_score_the_same_day_and_the_earlier_value_is_kept(client, gen, login_as, patient):
    case = follow_up_case(gen, patient, timedelta(hours=2))
    login_as(patient)
    submit(client, diary_url(case), {"point": "h2", "score": "8"})
    entry = entries_of(case)[-1]
    url = f"{diary_url(case)}/entries/{entry.id}/correct"

    no_reason = submit(client, url, {"score": "2", "reason": "", "version_id": str(entry.version_id)})
    assert no_reason.status_code == 422
    assert "Say why the score changes" in text(no_reason) and checked(text(no_reason), "score") == "2"
    # What is on file, not "saved now", which read as if the refused correction had been saved.
    assert "The score on file: 8/10" in words(text(no_reason))

    response = submit(client, url, {"score": "2", "reason": "I tapped 8 instead of 2",
                                    "version_id": str(entry.version_id)}, follow_redirects=True)

    assert "The score is corrected" in text(response)
    entry = entries_of(case)[-1]
    [revision] = entry.revisions
    assert entry.score == 2 and revision.score == 8 and revision.reason == "I tapped 8 instead of 2"
    assert revision.source == EntrySource.PATIENT_ACCOUNT and revision.replaced_by_id == patient.id
    assert "corrected" in text(client.get(diary_url(case)))


def test_the_patient_cannot_correct_an_entry_from_an_earlier_day(client, gen, login_as, patient):
    case = follow_up_case(gen, patient, timedelta(days=3), entries={"t0": 7, "d2": 5})
    entry = entries_of(case)[-1]
    login_as(patient)
    url = f"{diary_url(case)}/entries/{entry.id}/correct"
    assert "please ask the clinic to correct it" in text(client.get(url))
    response = submit(client, url, {"score": "1", "reason": "changed my mind", "version_id": str(entry.version_id)})
    assert response.status_code == 409
    assert entries_of(case)[-1].score == 5 and entries_of(case)[-1].revisions == []


# ------------------------------------------------------------------ staff by phone


def felt(moment):
    """The phone form's day and time fields for a moment (clinic time)."""
    local = to_clinic(moment)
    return {"felt_on": local.date().isoformat(), "felt_time": local.strftime("%H:%M")}


def test_staff_enter_a_score_given_by_phone_and_it_shows_as_such(client, gen, login_as, patient, coordinator_account):
    case = follow_up_case(gen, patient, timedelta(hours=2))
    login_as(coordinator_account)
    url = f"/cases/{case.id}/diary/phone"
    page = text(client.get(url))
    # The moment the pain was felt, prefilled with now; the point follows from it.
    assert 'name="felt_on"' in page and 'name="felt_time"' in page and "Now: “2 hours after”." in page

    response = submit(client, url, {"score": "4", **felt(now())}, follow_redirects=True)

    assert "“2 hours after” score is saved, marked as given by phone." in text(response)
    entry = entries_of(case)[-1]
    assert entry.source == EntrySource.STAFF_PHONE and entry.entered_by_id == coordinator_account.id
    assert entry.point.point_code == "h2" and entry.late is False
    case_page = text(client.get(f"/cases/{case.id}"))
    assert "by phone (Casey Coordinator)" in words(case_page)


def phone_three_days_on(gen, patient, login_as, account):
    """(the injection, its case, the phone form's address) three days after an injection, signed in as `account`."""
    injected = now() - timedelta(days=3)
    case = follow_up_case(gen, patient, timedelta(days=3))
    login_as(account)
    return injected, case, f"/cases/{case.id}/diary/phone"


def test_staff_record_a_recalled_score_at_the_moment_the_patient_recalls_and_it_is_marked_late(
        client, gen, login_as, patient, coordinator_account):
    # Three days on, the patient recalls yesterday morning's pain... which falls in no window, then
    # the day-2 pain (48 h after the injection), which is filed under Day 2 with that moment.
    injected, case, url = phone_three_days_on(gen, patient, login_as, coordinator_account)

    between = submit(client, url, {"score": "3", **felt(injected + timedelta(hours=64))})
    assert between.status_code == 422
    message = error_of(text(between), "felt_time")
    assert "No time point of this diary covers" in message and "“Day 2” closed" in message
    assert "“Day 7” opens" in message
    assert checked(text(between), "score") == "3"
    future = submit(client, url, {"score": "3", **felt(now() + timedelta(hours=2))})
    assert "still to come" in error_of(text(future), "felt_time")

    submit(client, url, {"score": "3", **felt(injected + timedelta(hours=48))})

    entry = entries_of(case)[-1]
    assert entry.point.point_code == "d2" and entry.late is True
    assert entry.felt_at == (injected + timedelta(hours=48)).replace(second=0)
    page = text(client.get(f"/cases/{case.id}"))
    assert f"pain felt {to_clinic(entry.felt_at).strftime('%d %b %H:%M')}" in page


def test_the_phone_form_names_a_missing_score_and_a_refused_time_at_once_keeping_what_was_typed(
        client, gen, login_as, patient, coordinator_account):
    injected, case, url = phone_three_days_on(gen, patient, login_as, coordinator_account)
    before = len(entries_of(case))

    for moment, said in ((now() + timedelta(hours=2), "This time is still to come"),
                         (injected + timedelta(hours=64), "No time point of this diary covers")):
        typed = felt(moment)
        response = submit(client, url, {"score": "", "opioid_used": "yes", **typed})
        page = text(response)
        assert response.status_code == 422
        assert error_of(page, "score").startswith("Choose a number from 0")
        assert said in error_of(page, "felt_time")
        assert soup(page).find("input", attrs={"name": "felt_time"}).get("value") == typed["felt_time"]
        assert soup(page).find("input", attrs={"name": "felt_on"}).get("value") == typed["felt_on"]
        assert checked(page, "opioid_used") == "yes"
    assert len(entries_of(case)) == before
    # A time a point takes is not refused with the missing score.
    page = text(submit(client, url, {"score": "", **felt(injected + timedelta(hours=48))}))
    assert error_of(page, "score").startswith("Choose a number from 0") and error_of(page, "felt_time") is None


def test_staff_may_still_record_a_baseline_the_patient_gave_before_the_injection(
        client, gen, login_as, patient, coordinator_account):
    case = follow_up_case(gen, patient, timedelta(hours=2), entries={})
    login_as(coordinator_account)
    submit(client, f"/cases/{case.id}/diary/phone", {"score": "7", **felt(now() - timedelta(hours=3))})
    [entry] = entries_of(case)
    assert entry.point.point_code == "t0" and entry.late is True and entry.source == EntrySource.STAFF_PHONE


def test_staff_correct_an_entry_with_a_reason_and_the_history_shows_on_the_case_page(
        client, gen, login_as, patient, coordinator_account):
    case = follow_up_case(gen, patient, timedelta(days=3), entries={"t0": 7, "d2": 5})
    entry = entries_of(case)[-1]
    login_as(coordinator_account)
    url = f"/cases/{case.id}/diary/entries/{entry.id}/correct"

    submit(client, url, {"score": "3", "reason": "Patient called: meant 3", "version_id": str(entry.version_id)})

    entry = entries_of(case)[-1]
    assert entry.score == 3 and entry.revisions[0].score == 5
    assert entry.revisions[0].replaced_by_id == coordinator_account.id
    page = text(client.get(f"/cases/{case.id}"))
    assert "earlier values (1)" in page and "Was <strong>5/10</strong>" in page and "Patient called: meant 3" in page
    assert "corrected " + format_clinic_short(entry.entered_at) + " by phone (Casey Coordinator)" in words(page)


def test_a_patients_score_corrected_by_phone_is_still_the_patients(
        client, make_client, gen, login_as, patient, coordinator_account):
    """Staff correct the patient's Day 2 score on the phone: the score stays the patient's. Her own
    diary does not call it a score taken by phone, the API gives how it was first entered, and the
    FHIR Observation's performer is still the patient."""
    from tests.api_support import bearer, fhir_json, token_for

    case = follow_up_case(gen, patient, timedelta(days=3), entries={"t0": 7, "d2": 5})
    entry = entries_of(case)[-1]
    assert entry.source == EntrySource.LINK
    login_as(coordinator_account)
    submit(client, f"/cases/{case.id}/diary/entries/{entry.id}/correct",
           {"score": "3", "reason": "Patient called: meant 3", "version_id": str(entry.version_id)})

    mine = login_as(patient, on=make_client())
    own = words(soup(text(mine.get(diary_url(case)))).find("ul", class_="diary-log"))
    assert "Day 2: 3/10" in own and "corrected" in own and "by phone" not in own
    reader = bearer(token_for(gen.user(Role.PHYSICIAN)))
    api = make_client()
    [day2] = [p for p in api.get(f"/api/v1/cases/{case.id}/diary", headers=reader).get_json()["points"]
              if p["code"] == "d2"]
    assert (day2["scores"][0]["source"], day2["scores"][0]["score"]) == ("link", 3)
    observation = fhir_json(api.get(f"/fhir/Observation/{case.id}-diary-{entry.id}",
                                    headers=bearer(token_for(gen.user(Role.PHYSICIAN)), Accept="application/fhir+json")))
    assert observation["performer"] == [{"reference": f"Patient/{case.patient_id}"}]


def test_a_stale_correction_is_refused_and_nothing_overwritten(client, gen, login_as, patient, coordinator_account):
    case = follow_up_case(gen, patient, timedelta(days=3), entries={"t0": 7, "d2": 5})
    entry = entries_of(case)[-1]
    login_as(coordinator_account)
    url = f"/cases/{case.id}/diary/entries/{entry.id}/correct"
    submit(client, url, {"score": "3", "reason": "first", "version_id": str(entry.version_id)})
    response = submit(client, url, {"score": "9", "reason": "second", "version_id": str(entry.version_id)})
    assert response.status_code == 409
    page = text(response)
    assert ("This score was corrected meanwhile (in another window, or by the clinic): it is now 3/10. Your "
            "correction is still below; save it again to replace that one.") in words(page)
    assert entries_of(case)[-1].score == 3
    # What was typed is kept (walkthrough: the score chosen was lost), and saving it again replaces it.
    assert soup(page).find("input", attrs={"name": "score", "value": "9"}).has_attr("checked")
    assert soup(page).find("textarea", attrs={"name": "reason"}).get_text().strip() == "second"
    again = submit(client, url, {"score": "9", "reason": "second",
                                 "version_id": soup(page).find("input", attrs={"name": "version_id"})["value"]})
    assert again.status_code == 302
    assert entries_of(case)[-1].score == 9


def test_an_admin_cannot_enter_scores(client, gen, login_as, patient):
    case = follow_up_case(gen, patient, timedelta(hours=2))
    login_as(gen.user(Role.ADMIN))
    assert client.get(f"/cases/{case.id}/diary/phone").status_code == 403
    assert "Pain diary" not in text(client.get(f"/cases/{case.id}"))


# ------------------------------------------------------------------ the schedule goes live

def test_signing_the_procedure_creates_the_schedule_and_closes_the_baseline(gen):
    record = gen.procedure(steps="all", sign=True)
    points = {p.point_code: p for p in db.session.execute(
        db.select(DiaryPoint).filter_by(case_id=record.case_id)).scalars()}
    assert set(points) == {"t0", "m15", "m30", "h1", "h2", "h3", "h4", "h5", "h6", "d1", "d2", "d7", "w2",
                           "w6", "mo3", "mo6", "mo12"}
    # Timed from the injection (the injectate step's first save), not from the start.
    assert record.injected_at > record.started_at
    assert points["t0"].closes_at == record.injected_at
    assert points["h2"].due_at == record.injected_at + timedelta(hours=2)
    assert points["h2"].opens_at == record.injected_at + timedelta(hours=1, minutes=45)


def test_booking_opens_the_baseline(client, gen, login_as):
    from tracker.scheduling import services as scheduling
    from tracker.scheduling.services import Proposal

    physician = gen.user(Role.PHYSICIAN)
    coordinator = gen.user(Role.COORDINATOR)
    case = gen.case(state=State.ELIGIBLE)
    start = now() + timedelta(days=1)
    scheduling.book(case, Proposal(start=start, duration=timedelta(minutes=30), physician_id=physician.id,
                                   room_id=gen.room().id), coordinator, acknowledged=True)
    [baseline] = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id)).scalars().all()
    assert baseline.point_code == "t0" and baseline.closes_at is None
    # Asked on the morning of the injection, not from the booking (tests/functional/test_diary_baseline_day.py).
    assert baseline.opens_at == start_of_clinic_day(start)


def test_in_the_first_hours_only_the_open_point_is_asked_never_a_missed_one_marked_late(
        client, gen, login_as, patient):
    # 1 h 05 min on, nothing given since the baseline: the 1-hour score is asked, and once it is
    # given nothing is ("30 minutes after - late" is not asked; it is shown missed).
    case = follow_up_case(gen, patient, timedelta(hours=1, minutes=5))
    login_as(patient)
    page = text(client.get(diary_url(case)))
    assert due_title(page) == ("1 hour after due now", ["badge", "state-scheduled"])
    submit(client, diary_url(case), {"point": "h1", "score": "2"})

    page = text(client.get(diary_url(case)))
    asked = page.split("Your entries", 1)[0]
    assert "Nothing to enter right now. Next: 2 hours after," in asked
    assert "late" not in asked and "30 minutes after" in asked.split('class="missed-points"', 1)[1]


# ------------------------------------------------------------------ pages left open, corrections that change nothing

def test_a_page_left_open_past_its_window_asks_for_the_point_open_now_with_the_score_kept(
        client, gen, login_as, patient):
    # The patient opened the Day 7 form, left it, and taps Save six months on: the page names why
    # it was not saved and asks for the six-month score, with the 5 still chosen, not Day 7 again.
    case = follow_up_case(gen, patient, timedelta(days=180), entries={"t0": 8})
    login_as(patient)

    refused = submit(client, diary_url(case), {"point": "d7", "score": "5"})

    assert refused.status_code == 422
    page = text(refused)
    message = error_of(page, "point")
    assert "The “Day 7” score could be given until" in message
    assert "The form below now asks for the “6 months” score." in message
    assert due_title(page)[0] == "6 months due now"
    assert soup(page).find("input", attrs={"name": "point"})["value"] == "mo6"
    assert checked(page, "score") == "5"
    assert [e.point.point_code for e in entries_of(case)] == ["t0"]

    submit(client, diary_url(case), {"point": "mo6", "score": "5"})
    assert [e.point.point_code for e in entries_of(case)] == ["t0", "mo6"]


def test_a_score_sent_again_after_its_window_closed_is_said_saved_not_missed(client, gen, login_as, patient):
    # The Day 2 score was saved; the form sent again from another tab (or a reload) after its
    # window closed read "The “Day 2” score could be given until …: it is missed.", beside the
    # Day 2 score in the patient's entries.
    case = follow_up_case(gen, patient, timedelta(hours=62), entries={"t0": 7, "d2": 4})
    login_as(patient)
    page = text(submit(client, diary_url(case), {"point": "d2", "score": "5"}))
    assert "The “Day 2” score was already entered" in error_of(page, "point")
    assert "missed" not in error_of(page, "point")
    assert [(e.point.point_code, e.score) for e in entries_of(case)] == [("t0", 7), ("d2", 4)]


def test_a_refused_score_with_nothing_open_now_says_why_on_the_page(client, gen, login_as, patient):
    case = follow_up_case(gen, patient, timedelta(hours=62))
    login_as(patient)
    page = text(submit(client, diary_url(case), {"point": "d2", "score": "5"}))
    assert "it is missed" in error_of(page, "point") and "Nothing to enter right now." in page
    assert "now asks for" not in page


def test_the_phone_form_names_the_point_whose_window_holds_now_even_when_it_is_entered(
        client, gen, login_as, patient, coordinator_account):
    login_as(coordinator_account)
    # Two hours on, "2 hours after" is already entered: now is still its window, not Day 1's.
    entered = follow_up_case(gen, patient, timedelta(hours=2), entries={"t0": 7, "h2": 4})
    assert "Now: “2 hours after”, already entered." in words(text(client.get(f"/cases/{entered.id}/diary/phone")))
    # 62 hours on, Day 2 has closed and Day 7 not opened: no point is "now" (Day 2 is only missed).
    between = follow_up_case(gen, gen.user(Role.PATIENT), timedelta(hours=62))
    page = words(text(client.get(f"/cases/{between.id}/diary/phone")))
    assert "No time point’s window is open now." in page and "Now: “Day 2”" not in page


def test_a_correction_that_changes_nothing_is_refused_and_not_counted(client, gen, login_as, patient,
                                                                      coordinator_account):
    case = follow_up_case(gen, patient, timedelta(hours=2), entries={"t0": 7, "h2": 6})
    entry = entries_of(case)[-1]
    login_as(coordinator_account)
    url = f"/cases/{case.id}/diary/entries/{entry.id}/correct"

    same = submit(client, url, {"score": "6", "reason": "typo", "version_id": str(entry.version_id)})

    assert same.status_code == 422
    assert "This is the score already saved: nothing was changed." in error_of(text(same), "score")
    assert entries_of(case)[-1].revisions == [] and entries_of(case)[-1].source != EntrySource.STAFF_PHONE
    assert "corrected" not in words(text(client.get(f"/cases/{case.id}")))


def test_a_correction_is_audited_with_the_score_before_and_after(client, gen, login_as, patient,
                                                                  coordinator_account):
    case = follow_up_case(gen, patient, timedelta(hours=2), entries={"t0": 7, "h2": 6})
    entry = entries_of(case)[-1]
    login_as(coordinator_account)
    submit(client, f"/cases/{case.id}/diary/entries/{entry.id}/correct",
           {"score": "4", "reason": "patient misheard the question", "version_id": str(entry.version_id)})
    event = db.session.execute(db.select(AuditEvent).filter_by(object_type="diary_entry", object_id=str(entry.id))
                               .order_by(AuditEvent.id.desc())).scalars().first()
    assert {"field": "score", "old": 6, "new": 4} in event.changes


def test_the_patient_sees_a_score_given_by_phone_at_the_moment_it_describes(
        client, make_client, gen, login_as, patient, coordinator_account):
    injected = now() - timedelta(days=3)
    case = follow_up_case(gen, patient, timedelta(days=3))
    login_as(coordinator_account)
    submit(client, f"/cases/{case.id}/diary/phone", {"score": "3", **felt(injected + timedelta(hours=48))})
    felt_at = to_clinic(entries_of(case)[-1].felt_at)

    patient_client = make_client()
    login_as(patient, on=patient_client)
    line = next(li for li in soup(text(patient_client.get(diary_url(case)))).select("ul.diary-log li")
                if "Day 2" in li.get_text())
    assert felt_at.strftime("%b") in words(line) and f"{felt_at.day}," in words(line)
    assert to_clinic(now()).strftime("%a, %b %-d") not in words(line)
    # Entered by the clinic after Day 2's window closed: the patient is told what "late" means
    # (their own entries are never late: a closed point is not offered to them).
    assert "recorded after its time had passed" in words(line) and "· late" not in words(line)
    staff_line = next(li for li in soup(text(client.get(f"/cases/{case.id}/diary/phone"))).select("ul.diary-log li")
                      if "Day 2" in li.get_text())
    assert "late" in words(staff_line).split() and "recorded after" not in words(staff_line)


def test_a_recalled_time_in_the_minute_a_window_opens_is_filed_under_it(
        client, gen, login_as, patient, coordinator_account):
    # The injection at hh:mm:31: Day 2 opens 40 hours on at that second. Staff type whole minutes,
    # so the minute it opens in is that window's, kept at its opening moment.
    at = now()
    injected = (at - timedelta(days=3)).replace(second=31)
    case = follow_up_case(gen, patient, at - injected)
    login_as(coordinator_account)
    # As stored: set-up takes a moment, so the injection is read back rather than assumed.
    opens = db.session.execute(db.select(DiaryPoint.opens_at).filter_by(case_id=case.id, point_code="d2")).scalar_one()
    assert opens.second > 0   # it opens inside a minute, after the minute typed begins

    response = submit(client, f"/cases/{case.id}/diary/phone", {"score": "4", **felt(opens)})

    assert response.status_code == 302, error_of(text(response), "felt_time")
    entry = entries_of(case)[-1]
    assert entry.point.point_code == "d2" and entry.felt_at == opens
    # The minute before stays between windows.
    before = submit(client, f"/cases/{case.id}/diary/phone", {"score": "4", **felt(opens - timedelta(minutes=1))})
    assert "No time point of this diary covers" in error_of(text(before), "felt_time")



def test_a_baseline_open_only_seconds_inside_one_minute_takes_that_minute(
        client, gen, login_as, patient, coordinator_account):
    # A diary from before the baseline opened on the injection's morning: booked at hh:mm:00.4 and
    # the procedure started 13 seconds later, its baseline's window is those seconds. Called back
    # later, the patient recalls their pain "at hh:mm", the minute staff type: it is that
    # baseline's, kept at its opening (it was refused as "between windows", saying the baseline
    # "opens" at the very minute typed).
    booked = (now() - timedelta(hours=3)).replace(second=0, microsecond=400000)
    case = gen.case(patient=patient.patient, state=State.FOLLOW_UP, side=Side.LEFT)
    gen.diary(case, injected_at=booked + timedelta(seconds=13), booked_at=booked, entries={})
    baseline = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id, point_code="t0")).scalar_one()
    baseline.opens_at = booked  # as it was kept then (signing now opens it at that day's start)
    db.session.commit()
    login_as(coordinator_account)

    response = submit(client, f"/cases/{case.id}/diary/phone", {"score": "6", **felt(booked)})

    assert response.status_code == 302, error_of(text(response), "felt_time")
    entry = entries_of(case)[-1]
    assert entry.point.point_code == "t0" and entry.felt_at == booked
