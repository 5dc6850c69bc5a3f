"""A baseline given for an appointment that did not take place is asked again: the baseline
describes the pain on the morning of the injection, so when the appointment is cancelled (or
missed) and the case booked again, or moved to another day, the scores felt before the new day's
window opens (00:00 clinic time) no longer count. The patient is asked again that morning (pages,
reminder from 06:00); the new score replaces the old one, which is kept as a revision; never
given again, the relief reads the examination's baseline, marked as such, and the diary pages name
the earlier score. A move within the day changes nothing. Through the real booking, cancel, move,
patient, checklist and physician pages (CSRF on), on a clock set to clinic times."""
import sys
from dataclasses import dataclass
from datetime import time, timedelta

import pytest

from tracker.diary import reminders
from tracker.diary import services as diary_services
from tracker.diary.outcome import read_outcome_diary
from tracker.extensions import db
from tracker.models import Appointment, DiaryEntry, Examination
from tracker.roles import Role
from tracker.scheduling.rules import clinic_to_utc
from tracker.timeutil import clinic_zone
from tracker.vocab import AppointmentStatus, EntrySource, Side
from tracker.workflow import State

from tests.builders import clinic_day
from tests.helpers import soup, submit, text, words

from tests.functional.test_booking import booking, set_hours
from tests.functional.test_diary_baseline_day import book
from tests.functional.test_diary_timed_from_injection import clock, point, walk_the_checklist  # noqa: F401 (clock: a fixture)
from tests.functional.test_procedure_checklist import answered


@pytest.fixture(autouse=True)
def first_day(monkeypatch, gen):
    """Today, fixed before the clock moves: `at` and `on` count days from it (tests.builders'
    clinic_at counts from the clock's day)."""
    monkeypatch.setattr(sys.modules[__name__], "DAY0", clinic_day(0))


DAY0 = None


def on(days):
    return DAY0 + timedelta(days=days)


def at(days, hh, mm=0):
    return clinic_to_utc(on(days), time(hh, mm), clinic_zone())


def a_booked_case(gen, staff, physician, room, side=Side.LEFT):
    patient = gen.user(Role.PATIENT, patient=gen.patient(language="English"))
    case = gen.case(patient=patient.patient, state=State.ELIGIBLE, side=side, physician_id=physician.id)
    db.session.add(Examination(case_id=case.id, baseline_nrs=7, pain_below_l5=True))
    answered(gen, case)
    db.session.commit()
    return patient, case, book(staff, case, on(2), "10:00", physician, room)


def give(client, case, **scores):
    response = submit(client, f"/my/cases/{case.id}/diary", {"point": scores.pop("point", "t0"), **scores})
    assert response.status_code == 302, words(text(response))


def entries(case, code="t0"):
    db.session.expire_all()
    return sorted(db.session.execute(db.select(DiaryEntry).filter_by(point_id=point(case, code).id)).scalars(),
                  key=lambda e: e.side.value)


def diary_asks_baseline(client, case):
    """The patient's diary page asks for "Before the injection" now."""
    page = soup(text(client.get(f"/my/cases/{case.id}/diary")))
    asked = page.find("input", attrs={"type": "hidden", "name": "point"})
    title = page.find(class_="due-title")
    return asked is not None and asked["value"] == "t0" and words(title).startswith("Before the injection due now")


def cancel(staff, appointment):
    response = submit(staff, f"/appointments/{appointment.id}/cancel",
                      {"version_id": str(appointment.version_id), "reason": "Patient unwell"},
                      form_page=f"/appointments/{appointment.id}")
    assert response.status_code == 302, words(text(response))


def move(staff, appointment, day, at, physician, room):
    db.session.refresh(appointment)
    response = submit(staff, f"/appointments/{appointment.id}/reschedule",
                      booking(on(day), at, physician, room, reason="Patient asked",
                              version_id=str(appointment.version_id), acknowledge="y"))
    assert response.status_code == 302, words(text(response))


def inject_and_score_the_block(doctor, patient_client, case, clock, day, scores):
    """The injection at 10:12 on `day` (through the checklist), then the 30-minute and 1-hour
    scores given by the patient on time."""
    appointment = db.session.execute(db.select(Appointment).filter_by(
        case_id=case.id, status=AppointmentStatus.BOOKED)).scalar_one()
    appointment.consent_obtained = appointment.day_of_check_done = True
    db.session.commit()
    walk_the_checklist(doctor, case, clock, at(day, 10))
    injected = at(day, 10, 12)
    for code, minutes in (("m30", 30), ("h1", 60)):
        clock.set(injected + timedelta(minutes=minutes))
        scored = {"score": str(scores)} if case.side != Side.BILATERAL else {
            "score_left": str(scores), "score_right": str(scores)}
        give(patient_client, case, point=code, **scored)


@dataclass
class Scene:
    staff: object
    case: object
    appointment: object
    room: object


@pytest.fixture
def given_that_morning(client, gen, login_as, make_client, coordinator_account, physician, clock):
    """`given_that_morning(side, **scores)`: a case booked (on day 0) for 10:00 on day 2, its
    baseline given by the patient (signed in on `client`) at 07:00 that morning."""
    def scene(side=Side.LEFT, **scores):
        set_hours(physician)
        clock.set(at(0, 9))
        room = gen.room()
        staff = login_as(coordinator_account, on=make_client())
        patient, case, appointment = a_booked_case(gen, staff, physician, room, side=side)
        login_as(patient)
        clock.set(at(2, 7))
        give(client, case, **scores)
        return Scene(staff, case, appointment, room)
    return scene


def cancelled_and_booked_again(scene, physician, clock, day=23):
    """The appointment cancelled at 08:00 that morning, the case booked again for 10:00 on `day`."""
    clock.set(at(2, 8))
    cancel(scene.staff, scene.appointment)
    response = submit(scene.staff, f"/cases/{scene.case.id}/book", booking(on(day), "10:00", physician, scene.room))
    assert response.status_code == 302, words(text(response))


def test_cancelled_and_booked_again_the_baseline_is_asked_again_and_replaces_the_old_one(
        client, login_as, make_client, physician, clock, given_that_morning):
    scene = given_that_morning(score="8")
    case = scene.case
    assert point(case, "t0").completed_at is not None
    cancelled_and_booked_again(scene, physician, clock)

    baseline = point(case, "t0")
    assert (baseline.opens_at, baseline.completed_at, baseline.closes_at) == (at(23, 0), None, None)
    clock.set(at(22, 12))
    assert not diary_asks_baseline(client, case)
    assert "Nothing to enter right now. Next: Before the injection, on the morning of your injection," in words(
        text(client.get(f"/my/cases/{case.id}/diary")))
    assert baseline.id not in {due.point_id for due in reminders.due_reminders(at(23, 5))}
    assert baseline.id in {due.point_id for due in reminders.due_reminders(at(23, 6, 30))}
    clock.set(at(23, 7))
    assert "Your “Before the injection” pain score is due now." in text(client.get("/my/"))
    assert diary_asks_baseline(client, case)
    give(client, case, score="5")

    [entry] = entries(case)
    assert (entry.score, entry.felt_at) == (5, at(23, 7))
    [revision] = entry.revisions
    assert revision.score == 8
    assert revision.reason.startswith("Given on ") and "for an appointment that did not take place; asked " \
        "again on the morning of " in revision.reason
    assert point(case, "t0").completed_at == at(23, 7)

    doctor = login_as(physician, on=make_client())
    inject_and_score_the_block(doctor, client, case, clock, 23, 2)
    page = text(doctor.get(f"/cases/{case.id}/diary"))
    assert "5/10 (the patient's entry before the injection)" in page
    assert "peak relief 60 % in the window, below the 75 % threshold" in page
    assert "75 %" not in page.split("peak relief")[1][:4]


def test_moved_to_another_day_each_side_is_asked_again(
        client, login_as, make_client, physician, clock, given_that_morning):
    scene = given_that_morning(Side.BILATERAL, score_left="8", score_right="6")
    case = scene.case
    move(scene.staff, scene.appointment, 9, "10:00", physician, scene.room)

    assert (point(case, "t0").opens_at, point(case, "t0").completed_at) == (at(9, 0), None)
    reading = read_outcome_diary(case)
    assert [(s.baseline.score, s.baseline.source, s.baseline.earlier.score) for s in reading.sides] == [
        (7, "examination", 8), (7, "examination", 6)]
    clock.set(at(9, 6, 45))
    assert diary_asks_baseline(client, case)
    give(client, case, score_left="5", score_right="4")
    assert [(e.side, e.score, [r.score for r in e.revisions]) for e in entries(case)] == [
        (Side.LEFT, 5, [8]), (Side.RIGHT, 4, [6])]
    assert not diary_asks_baseline(client, case)

    doctor = login_as(physician, on=make_client())
    inject_and_score_the_block(doctor, client, case, clock, 9, 2)
    page = text(doctor.get(f"/cases/{case.id}/diary"))
    assert "peak relief 60 % in the window, below the 75 % threshold" in page  # left: 5 -> 2
    assert "peak relief 50 % in the window, below the 75 % threshold" in page  # right: 4 -> 2


def test_moved_within_the_day_the_baseline_stays_as_given(client, physician, given_that_morning):
    scene = given_that_morning(score="8")
    case = scene.case
    completed = point(case, "t0").completed_at
    move(scene.staff, scene.appointment, 2, "15:00", physician, scene.room)

    assert (point(case, "t0").opens_at, point(case, "t0").completed_at) == (at(2, 0), completed)
    [entry] = entries(case)
    assert (entry.score, entry.revisions) == (8, [])
    assert not diary_asks_baseline(client, case)
    [side] = read_outcome_diary(case).sides
    assert (side.baseline.score, side.baseline.source, side.baseline.earlier) == (8, "diary", None)


def test_not_given_again_the_examinations_baseline_is_read_and_the_earlier_score_named(
        client, login_as, make_client, physician, clock, given_that_morning):
    scene = given_that_morning(score="8")
    case = scene.case
    cancelled_and_booked_again(scene, physician, clock)

    doctor = login_as(physician, on=make_client())
    inject_and_score_the_block(doctor, client, case, clock, 23, 2)
    assert point(case, "t0").closes_at == at(23, 10, 12)
    [entry] = entries(case)
    assert (entry.score, entry.revisions) == (8, []), "kept as given, not read"
    with pytest.raises(diary_services.EntryRefused, match="for an appointment that did not take place"):
        diary_services.correct_entry(entry, 6, {}, "misheard", entry.version_id, EntrySource.STAFF_PHONE,
                                     actor=physician)
    page = words(text(doctor.get(f"/cases/{case.id}/diary")))
    assert "7/10 from the examination (no baseline diary entry)" in page
    day = f"{on(2):%a %d %b %Y}"
    assert (f"The diary's earlier score, 8/10 given on {day}, was given for an appointment that did not take "
            "place: it is not the pain before this injection and is not counted.") in page
    assert "peak relief 71.4 % in the window, below the 75 % threshold" in page  # 7 -> 2, not 8 -> 2
    panel = words(text(doctor.get(f"/cases/{case.id}")))
    assert "Earlier score 8/10, given " in panel and "for an appointment that did not take place: not counted" in panel


def test_a_baseline_closed_by_the_injection_is_never_moved(gen):
    case = gen.case(state=State.SCHEDULED, side=Side.LEFT)
    diary_services.ensure_baseline(case, diary_services.baseline_opens(at(0, 10)))
    db.session.flush()
    db.session.add(DiaryEntry(point_id=point(case, "t0").id, case_id=case.id, side=Side.LEFT, score=8,
                              entered_at=at(0, 7), felt_at=at(0, 7), source=EntrySource.LINK))
    diary_services.start_follow_up(case, at(0, 10))
    db.session.commit()
    diary_services.ensure_baseline(case, diary_services.baseline_opens(at(21, 10)))
    db.session.commit()
    baseline = point(case, "t0")
    assert (baseline.opens_at, baseline.closes_at) == (at(0, 0), at(0, 10))
    [side] = read_outcome_diary(case).sides
    assert (side.baseline.score, side.baseline.source) == (8, "diary")


def test_not_given_again_the_api_and_fhir_do_not_give_the_earlier_score_as_the_baseline(
        client, gen, login_as, make_client, physician, clock, given_that_morning):
    """The diary page, its CSV and the relief read no baseline diary entry (the examination's 7 stands
    in); the JSON API and the FHIR export must not hand another system the 8 given for the appointment
    that did not take place as the score of "Before the injection", unmarked and final."""
    from tests.api_support import bearer, check_bundle, fhir_json, token_for

    scene = given_that_morning(score="8")
    case = scene.case
    cancelled_and_booked_again(scene, physician, clock)
    doctor = login_as(physician, on=make_client())
    inject_and_score_the_block(doctor, client, case, clock, 23, 2)
    assert "7/10 from the examination (no baseline diary entry)" in words(text(doctor.get(f"/cases/{case.id}/diary")))

    headers = bearer(token_for(gen.user(Role.COORDINATOR)))
    api = make_client()
    points = {p["code"]: p for p in api.get(f"/api/v1/cases/{case.id}/diary", headers=headers).get_json()["points"]}
    assert [s["score"] for s in points["t0"]["scores"]] == [], "the API gives 8 as the baseline score"

    found = check_bundle(fhir_json(api.get(f"/fhir/Patient/{case.patient_id}/$everything", headers=headers)))
    baseline_scores = [o["valueInteger"] for o in found.values() if o["resourceType"] == "Observation"
                       and "-diary-" in o["id"] and '"diary-point-t0"' in __import__("json").dumps(o)]
    assert baseline_scores == [], "FHIR gives 8 as the pain before the injection"
