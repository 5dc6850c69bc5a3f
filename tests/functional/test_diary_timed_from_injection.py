"""The pain diary's post-injection points are timed from the injection, the moment the injectate
step was first recorded (for a bilateral case the later joint's), not from Start procedure: on a
procedure of usual length the "15 minutes after" score is still to come when the record is signed,
and the patient gives it 15 minutes after the injection. The points are made with the injectate,
so a record signed hours later loses none of the anaesthetic window's scores. Driven through the checklist's forms (CSRF
on) on a clock set to noon of a clinic day (America/New_York), so it reads the same at any hour."""
import sys
from datetime import timedelta

import pytest

import tracker.timeutil
from tracker.diary import links, reminders
from tracker.diary import services as diary_services
from tracker.extensions import db
from tracker.models import DiaryEntry, DiaryLink, DiaryPoint, Examination, ProcedureRecord, ReliefSpan
from tracker.procedures.rules.schema import PER_SIDE_STEPS, STEPS
from tracker.roles import Role
from tracker.timeutil import format_clinic
from tracker.vocab import AppointmentStatus, Side, joints_of
from tracker.workflow import State

from tests.builders import answers_for, checklist_url, clinic_at, post_step
from tests.helpers import soup, submit, text, words

from tests.functional.test_procedure_checklist import answered

START_MINUTES = {"sign_in": 1, "time_out": 2, "positioning": 3, "skin_prep": 5, "fluoroscopy": 7, "contrast": 9,
                 "injectate": 12, "sign_out": 14}


@pytest.fixture
def clock(monkeypatch):
    """Sets the app's clock (every module's `utcnow`) to `clock.at`."""
    real = tracker.timeutil.utcnow

    class Clock:
        at = None

        def set(self, moment):
            self.at = moment

    fixed = Clock()
    now = lambda: fixed.at or real()  # noqa: E731 (the real clock until set)
    for name, module in list(sys.modules.items()):
        if (name == "tracker" or name.startswith("tracker.")) and getattr(module, "utcnow", None) is real:
            monkeypatch.setattr(module, "utcnow", now)
    return fixed


def booked_at_noon(gen, physician, side, noon):
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id, side=side)
    db.session.add(Examination(case_id=case.id, baseline_nrs=7, pain_below_l5=True))  # the relief's baseline
    answered(gen, case)
    gen.appointment(case, physician=physician, starts_at=noon - timedelta(minutes=5), consent_obtained=True,
                    day_of_check_done=True, status=AppointmentStatus.CHECKED_IN)
    diary_services.ensure_baseline(case, noon - timedelta(days=1))  # open from the booking
    db.session.commit()
    return case


def walk_the_checklist(doctor, case, clock, noon, minutes=START_MINUTES, through=None):
    """Start at noon, then save each step (each joint's needle steps) at `noon + minutes[step]`
    (a {step: {side: minutes}} entry times each joint apart), through the checklist's forms; with
    `through`, no step after that one."""
    clock.set(noon)
    # The patient is here: a start for an appointment not checked in checks it in (the start warning's tick).
    response = submit(doctor, f"/cases/{case.id}/procedure/start",
                      {"version_id": case.version_id, "check_in_acknowledged": "y"}, form_page=checklist_url(case.id))
    assert response.status_code == 302, text(response)
    for step in STEPS:
        joints = joints_of(case.side) if step in PER_SIDE_STEPS else [None]
        for joint in joints:
            at = minutes[step.value]
            at = at[joint.value] if isinstance(at, dict) else at
            clock.set(noon + timedelta(minutes=at))
            answers = answers_for(step.value, case.side)
            response = post_step(doctor, case.id, step.value, answers, side=joint and joint.value)
            assert response.status_code == 302, text(response)
        if step.value == through:
            break
    db.session.expire_all()
    return db.session.execute(db.select(ProcedureRecord).filter_by(case_id=case.id)).scalar_one()


def sign_at(doctor, record, clock, moment):
    clock.set(moment)
    return submit(doctor, f"/cases/{record.case_id}/procedure/sign", {"version_id": record.version_id},
                  form_page=checklist_url(record.case_id), follow_redirects=True)


def point(case, code):
    db.session.expire_all()
    return db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id, point_code=code)).scalar_one()


def diary_rows(page):
    """The case page's diary table: {time point: (window, status)}."""
    table = soup(page).find("section", id="diary").find("table")
    return {words(row.th): tuple(words(cell) for cell in row.find_all("td")[:2]) for row in table.tbody.find_all("tr")}


def patient_link(case, moment, sent_to=None):
    link = DiaryLink(case_id=case.id, created_by_id=case.created_by_id, created_at=moment,
                     expires_at=moment + timedelta(days=30), sent_to=sent_to)
    db.session.add(link)
    db.session.commit()
    return links.sign(link)


def test_the_15_minute_score_is_timed_from_the_injectate_and_still_to_come_at_signing(
        client, gen, doctor, physician, clock):
    noon = clinic_at(0, 12)
    case = booked_at_noon(gen, physician, Side.RIGHT, noon)
    record = walk_the_checklist(doctor, case, clock, noon)
    injected = noon + timedelta(minutes=12)
    assert record.injected_at == injected

    signed = sign_at(doctor, record, clock, noon + timedelta(minutes=16))

    page = text(signed)
    assert "Procedure record signed: 14 minutes. The case is now in follow-up." in page
    assert "the first score is due 15 minutes after the injection." in page
    first = point(case, "m15")
    assert first.due_at == noon + timedelta(minutes=27), "15 minutes after the injectate, not after the start"
    assert (first.opens_at, first.closes_at) == (noon + timedelta(minutes=22), noon + timedelta(minutes=34))
    assert point(case, "t0").closes_at == injected, "the baseline is the pain before the injection"
    assert point(case, "h1").due_at == injected + timedelta(hours=1)
    rows = diary_rows(text(doctor.get(f"/cases/{case.id}")))
    assert rows["15 minutes after"] == (
        f"{format_clinic(noon + timedelta(minutes=22), '%d %b %H:%M')} – "
        f"{format_clinic(noon + timedelta(minutes=34), '%d %b %H:%M')}", "Not open yet")
    assert [label for label, (_, status) in rows.items() if status == "Missed"] == ["Before the injection"], \
        "no post-injection point is missed at signing (only the baseline nobody gave)"

    # 15 minutes after the injection, the patient gives it through their link, on time.
    token = patient_link(case, noon + timedelta(minutes=17))
    clock.set(noon + timedelta(minutes=27))
    assert "15 minutes after" in words(soup(text(client.get(f"/d/{token}"))).find("h2", class_="due-title"))
    saved = submit(client, f"/d/{token}", {"point": "m15", "score": "2"}, follow_redirects=True)
    assert "Thank you: your “15 minutes after” score is saved." in text(saved)
    entry = db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id, point_id=first.id)).scalar_one()
    assert (entry.score, entry.late) == (2, False)
    # The reports' relief span is timed from the same moment as the diary.
    clock.set(injected + timedelta(days=1))
    assert submit(client, f"/d/{token}", {"point": "d1", "score": "3"}).status_code == 302
    [span] = db.session.execute(db.select(ReliefSpan).filter_by(case_id=case.id)).scalars().all()
    assert span.injected_at == injected


def test_a_bilateral_diary_is_timed_from_the_later_joints_injectate(gen, doctor, physician, clock):
    noon = clinic_at(0, 12)
    case = booked_at_noon(gen, physician, Side.BILATERAL, noon)
    minutes = {**START_MINUTES, "fluoroscopy": {"left": 6, "right": 7}, "contrast": {"left": 8, "right": 9},
               "injectate": {"left": 10, "right": 13}}
    record = walk_the_checklist(doctor, case, clock, noon, minutes)

    sign_at(doctor, record, clock, noon + timedelta(minutes=16))

    assert point(case, "m15").due_at == noon + timedelta(minutes=28), "15 minutes after the right's injection"
    assert point(case, "t0").closes_at == noon + timedelta(minutes=13)


def test_the_anaesthetic_scores_are_taken_from_the_injectate_while_the_record_waits_for_its_signature(
        client, gen, doctor, physician, clock, make_client, login_as, coordinator_account):
    noon = clinic_at(0, 12)
    case = booked_at_noon(gen, physician, Side.LEFT, noon)
    token = patient_link(case, noon - timedelta(hours=2), sent_to="pat@home.example")
    record = walk_the_checklist(doctor, case, clock, noon)
    assert record.case.state == State.IN_PROCEDURE and not record.signed
    injected = noon + timedelta(minutes=12)
    assert point(case, "m15").due_at == injected + timedelta(minutes=15), "made with the injectate"

    # The patient's link asks for the 15-minute score, after the injection, though nothing is signed.
    clock.set(injected + timedelta(minutes=15))
    page = text(client.get(f"/d/{token}"))
    assert words(soup(page).find("p", class_="diary-about")).startswith("Your left side, after your injection on")
    assert "15 minutes after" in words(soup(page).find("h2", class_="due-title"))
    saved = submit(client, f"/d/{token}", {"point": "m15", "score": "2"}, follow_redirects=True)
    assert "Thank you: your “15 minutes after” score is saved." in text(saved)
    # The 30-minute score is reminded of while its window is open, and staff take it by phone.
    clock.set(injected + timedelta(minutes=31))
    assert point(case, "m30").id in {due.point_id for due in reminders.due_reminders()}
    staff = login_as(coordinator_account, on=make_client())
    felt = clock.at
    phone = submit(staff, f"/cases/{case.id}/diary/phone",
                   {"score": "1", "felt_on": format_clinic(felt, "%Y-%m-%d"), "felt_time": format_clinic(felt, "%H:%M")},
                   follow_redirects=True)
    assert "The “30 minutes after” score is saved, marked as given by phone." in text(phone)

    # The physician signs at the end of the day: the scores stand, on time, in the same points.
    sign_at(doctor, record, clock, noon + timedelta(hours=5))
    db.session.expire_all()
    assert db.session.get(ProcedureRecord, record.id).signed
    assert point(case, "m15").due_at == injected + timedelta(minutes=15), "the points are not made again"
    scored = {entry.point.point_code: (entry.score, entry.late)
              for entry in db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)).scalars()}
    assert scored == {"m15": (2, False), "m30": (1, False)}
    rows = diary_rows(text(doctor.get(f"/cases/{case.id}")))
    assert rows["15 minutes after"][1] == rows["30 minutes after"][1] == "Entered"


def test_the_patients_case_page_says_the_injection_was_given_once_its_injectate_is_recorded(
        gen, doctor, physician, clock, make_client, login_as):
    noon = clinic_at(0, 12)
    case = booked_at_noon(gen, physician, Side.LEFT, noon)
    patient = login_as(gen.user(Role.PATIENT, patient=case.patient), on=make_client())
    walk_the_checklist(doctor, case, clock, noon, through="contrast")
    page = words(patient.get(f"/my/cases/{case.id}"))
    assert "Your injection is under way." in page and "has been given" not in page

    clock.set(noon + timedelta(minutes=12))
    saved = post_step(doctor, case.id, "injectate", answers_for("injectate", case.side), side=Side.LEFT.value)
    assert saved.status_code == 302, text(saved)
    record = db.session.execute(db.select(ProcedureRecord).filter_by(case_id=case.id)).scalar_one()
    assert record.case.state == State.IN_PROCEDURE and not record.signed
    page = words(patient.get(f"/my/cases/{case.id}"))
    assert ("Your injection has been given. Please record your pain at set times after it: each score is "
            "shown below when it is due.") in page
    assert "under way" not in page
    # 15 minutes after the injection, the diary asks for that score, and the page points to it.
    clock.set(noon + timedelta(minutes=12 + 15))
    page = patient.get(f"/my/cases/{case.id}")
    assert "has been given" in words(page) and "under way" not in words(page)
    assert "Your “15 minutes after” pain score is due now." in words(page)
    assert words(soup(text(page)).find("p", class_="diary-about")).startswith("Your left side, after your injection on")

    patient.set_cookie("lang", "es")
    spanish = words(patient.get(f"/my/cases/{case.id}"))
    assert "Ya se le ha puesto la inyección." in spanish and "en curso" not in spanish


def test_for_a_patient_no_link_can_reach_the_diarys_start_says_so_and_offers_the_phone(
        gen, doctor, physician, clock):
    """Walkthrough: for a patient with no email address and no mobile number, the injectate's save
    said "Send the patient their diary link from the case page now", and the case page then said
    there was nowhere to send it. The first score is 15 minutes away: say what can be done."""
    noon = clinic_at(0, 12)
    case = booked_at_noon(gen, physician, Side.LEFT, noon)
    walk_the_checklist(doctor, case, clock, noon, through="injectate")

    shown = words(doctor.get(checklist_url(case.id)))
    assert ("The pain diary has started, and no link can reach the patient (no email address, and no mobile "
            "number that takes texts): add one on the patient's record, or enter their scores by phone: the first "
            "score is due 15 minutes after the injection.") in shown
    assert "Send the patient their diary link" not in shown


def test_saving_the_injectate_without_a_diary_link_asks_for_one_as_the_diary_starts(
        gen, doctor, physician, clock):
    noon = clinic_at(0, 12)
    case = booked_at_noon(gen, physician, Side.LEFT, noon)
    case.patient.email = "pat@example.org"  # a link can reach them
    db.session.commit()
    clock.set(noon)
    submit(doctor, f"/cases/{case.id}/procedure/start", {"version_id": case.version_id},
           form_page=checklist_url(case.id))
    prompt = 'The pain diary has started. <a href="/cases/%d#diary">Send the patient their diary link</a>' % case.id
    for step in STEPS:
        clock.set(noon + timedelta(minutes=START_MINUTES[step.value]))
        saved = post_step(doctor, case.id, step.value, answers_for(step.value, case.side),
                          side=Side.LEFT.value if step in PER_SIDE_STEPS else None)
        assert saved.status_code == 302, text(saved)
        shown = text(doctor.get(saved.location))
        if step.value == "injectate":
            # The diary starts now: its first score is 15 minutes away, so the link is asked for now.
            assert prompt in shown, "asked for the link when the diary starts"
        else:
            assert prompt not in shown, step.value
