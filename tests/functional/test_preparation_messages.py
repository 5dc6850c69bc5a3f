"""The preparation a patient is told before the appointment, piece by piece and in both languages, in
the reminder email and on their appointment page: the anticoagulant's last dose with its date (only once
the prescriber agreed), a driver when sedated, the contrast premedication the evening before, fasting
from a time; texts carry none of it (a link instead); a moved appointment's update carries the new dates;
and Spanish says "a la 1:05" but "a las 10:15"."""
import html
import re
from datetime import time, timedelta

import pytest
from babel.dates import format_date, format_time

from tracker.extensions import db
from tracker.models import AppointmentChange, RiskScreen
from tracker.roles import Role
from tracker.scheduling import reminders
from tracker.scheduling.rules import clinic_to_utc
from tracker.timeutil import clinic_zone
from tracker.vocab import ContactChannel, Side
from tracker.workflow import State

from tests.builders import clinic_day
from tests.helpers import sign_in, soup, text
from tests.sms_provider import provider, settings_for  # noqa: F401

MOBILE = "+12015550123"
RECORDED = {"en": "English", "es": "Spanish"}
WEEK = 7  # the appointment is a week ahead: every hold date falls before it


def long(day, language):
    return format_date(day, "full", locale=language)


def booked(gen, language, hh=10, mm=15, days_ahead=WEEK, **risk):
    user = gen.user(Role.PATIENT, patient=gen.patient(language=RECORDED[language], email="pat@example.org"))
    case = gen.case(patient=user.patient, state=State.SCHEDULED, side=Side.LEFT)
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True, **risk))
    db.session.commit()
    starts = clinic_to_utc(clinic_day(days_ahead), time(hh, mm), clinic_zone())
    appointment = gen.appointment(case, room=gen.room(location="Level 2, desk B"), starts_at=starts)
    return user, case, appointment


def reminder_email(appointment, reminder_outbox):
    """The two-day reminder, sent as it falls due."""
    reminders.send_due(now=appointment.starts_at - timedelta(hours=47))
    [(_to, _subject, body, _)] = reminder_outbox
    return " ".join(body.split())


def page_steps(make_client, user, case):
    browser = make_client()
    assert sign_in(browser, user).status_code == 302
    page = text(browser.get(f"/my/cases/{case.id}"))
    heading = soup(page).find("h3", id=False, string=re.compile("Before you come|Antes de venir"))
    return [re.sub(r"\s+", " ", html.unescape(li.get_text())).strip()
            for li in heading.find_next("ul").find_all("li")]


def told(gen, reminder_outbox, make_client, language, **risk):
    """What the patient reads, in the email and on their page (the same steps)."""
    user, case, appointment = booked(gen, language, **risk)
    shown = page_steps(make_client, user, case)
    body = reminder_email(appointment, reminder_outbox)
    for step in shown:
        assert step in body, step
    return shown


def one(steps, start):
    [step] = [s for s in steps if s.startswith(start)]
    return step


HOLD = {"anticoagulants": "apixaban", "anticoagulant_hold_plan": "restart the morning after",
        "anticoagulant_hold_days": 3}


# ------------------------------------------------------------------ the anticoagulant

@pytest.mark.parametrize("language, expected", [
    ("en", "Blood thinner (apixaban): take your last dose on {last}, and none from {first} until after your "
           "appointment. The clinic will tell you when to start it again."),
    ("es", "Anticoagulante (apixaban): tome la última dosis el {last} y ninguna desde el {first} hasta después "
           "de su cita. La clínica le dirá cuándo volver a tomarlo."),
])
def test_an_agreed_hold_gives_the_date_of_the_last_dose(gen, reminder_outbox, make_client, language, expected):
    steps = told(gen, reminder_outbox, make_client, language, anticoagulant_prescriber_agreed=True, **HOLD)
    # Three full days with no dose before the procedure day: the last dose is four days before.
    assert expected.format(last=long(clinic_day(WEEK - 4), language),
                           first=long(clinic_day(WEEK - 3), language)) in steps
    assert not any("restart the morning after" in s for s in steps)  # the staff's note stays with staff


@pytest.mark.parametrize("language, expected", [
    ("en", "Blood thinner (apixaban): do not stop it yet. The clinic will call you with the day to stop once "
           "your prescriber has agreed."),
    ("es", "Anticoagulante (apixaban): no lo suspenda todavía. La clínica le llamará para indicarle el día en "
           "que debe suspenderlo cuando el médico que se lo receta lo haya aprobado."),
])
@pytest.mark.parametrize("agreed", [None, False])
def test_a_hold_the_prescriber_has_not_agreed_says_not_to_stop_yet(gen, reminder_outbox, make_client, language,
                                                                   expected, agreed):
    steps = told(gen, reminder_outbox, make_client, language, anticoagulant_prescriber_agreed=agreed, **HOLD)
    assert expected in steps
    assert not any(long(clinic_day(WEEK - 4), language) in s for s in steps)


@pytest.mark.parametrize("language, expected", [
    ("en", "Blood thinner (aspirin 81 mg): keep taking it as usual."),
    ("es", "Anticoagulante (aspirin 81 mg): siga tomándolo como de costumbre."),
])
def test_zero_days_is_keep_taking_it(gen, reminder_outbox, make_client, language, expected):
    steps = told(gen, reminder_outbox, make_client, language, anticoagulants="aspirin 81 mg",
                 anticoagulant_hold_plan="continue", anticoagulant_hold_days=0)
    assert expected in steps


# ------------------------------------------------------------------ driver, premedication, fasting

@pytest.mark.parametrize("language, expected", [
    ("en", "You will have sedation: an adult must take you home, and you must not drive for 24 hours."),
    ("es", "Recibirá sedación: un adulto debe llevarle a casa y usted no debe conducir durante 24 horas."),
])
def test_a_sedated_patient_is_told_to_bring_a_driver(gen, reminder_outbox, make_client, language, expected):
    assert expected in told(gen, reminder_outbox, make_client, language, sedation_planned=True)


@pytest.mark.parametrize("language, expected", [
    ("en", "Contrast allergy: start your premedication the evening before, on {evening}, as planned: "
           "Prednisone 50 mg 13, 7 and 1 h before."),
    ("es", "Alergia al medio de contraste: empiece la premedicación la noche anterior, el {evening}, según lo "
           "indicado: Prednisone 50 mg 13, 7 and 1 h before."),
])
def test_planned_contrast_premedication_starts_the_evening_before(gen, reminder_outbox, make_client, language,
                                                                  expected):
    steps = told(gen, reminder_outbox, make_client, language, allergy_contrast=True,
                 contrast_premedication_planned=True,
                 contrast_premedication_plan="Prednisone 50 mg 13, 7 and 1 h before.")
    assert expected.format(evening=long(clinic_day(WEEK - 1), language)) in steps


def test_a_contrast_allergy_without_premedication_says_the_plan_only(gen, reminder_outbox, make_client):
    steps = told(gen, reminder_outbox, make_client, "en", allergy_contrast=True,
                 contrast_premedication_plan="No contrast will be used.")
    assert "Contrast allergy: No contrast will be used." in steps
    assert not any("evening before" in s for s in steps)


@pytest.mark.parametrize("language, expected", [
    ("en", "Fasting: nothing to eat or drink from {day}, {time} (6 hours before your appointment)."),
    ("es", "Ayuno: no coma ni beba nada desde el {day}, {time} (6 horas antes de su cita)."),
])
def test_fasting_gives_the_moment_to_stop_eating(gen, reminder_outbox, make_client, language, expected):
    steps = told(gen, reminder_outbox, make_client, language, sedation_planned=True, fasting_hours=6)
    stop = clinic_to_utc(clinic_day(WEEK), time(4, 15), clinic_zone())
    clock = format_time(stop.astimezone(clinic_zone()), "short", locale=language).replace("\u202f", " ")
    assert expected.format(day=long(clinic_day(WEEK), language), time=clock) in steps


def test_no_fasting_step_unless_told_to_fast(gen, reminder_outbox, make_client):
    steps = told(gen, reminder_outbox, make_client, "en", sedation_planned=True)
    assert not any(s.startswith("Fasting") for s in steps)


# ------------------------------------------------------------------ texts, moves, staff

@pytest.mark.parametrize("language, where", [("en", "how to prepare: in the email we sent you."),
                                             ("es", "preparación: vea su correo.")])
def test_a_text_carries_no_preparation_only_where_to_read_it(app, gen, provider, language, where):
    _user, case, appointment = booked(gen, language, anticoagulant_prescriber_agreed=True, sedation_planned=True,
                                      fasting_hours=6, allergy_contrast=True, contrast_premedication_planned=True,
                                      contrast_premedication_plan="Prednisone 50 mg.", **HOLD)
    case.patient.preferred_contact, case.patient.phone = ContactChannel.SMS, MOBILE
    db.session.commit()
    reminders.send_due(now=appointment.starts_at - timedelta(hours=47))
    [sent] = provider.texts_to(MOBILE)
    body = sent["body"].replace(app.config["CLINIC_NAME"], "").lower()
    # The email that goes with it holds the whole preparation (README, A patient reached by text).
    assert where in body
    for clinical in ("apixaban", "prednisone", "dose", "dosis", "fast", "ayuno", "sedat", "sedac", "contrast",
                     "driv", "conduc", long(clinic_day(WEEK - 4), language).lower()):
        assert clinical not in body, clinical


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_moved_appointments_update_carries_the_new_dates(gen, reminder_outbox, language):
    _user, _case, appointment = booked(gen, language, anticoagulant_prescriber_agreed=True,
                                       allergy_contrast=True, contrast_premedication_planned=True,
                                       contrast_premedication_plan="Prednisone 50 mg.", **HOLD)
    reminders.send_due()  # the booking's confirmation: the patient knows the old dates
    moved_at = appointment.starts_at - timedelta(days=WEEK - 1)
    appointment.changes.append(AppointmentChange(change="rescheduled", old_starts_at=appointment.starts_at,
                                                 reason="patient asked", at=moved_at))
    appointment.starts_at += timedelta(days=2)
    appointment.ends_at += timedelta(days=2)
    db.session.commit()

    reminders.send_due(now=moved_at + timedelta(minutes=5))
    [_confirmation, (_to, subject, body, _)] = reminder_outbox
    body = " ".join(body.split())
    assert subject.startswith("Your appointment has moved" if language == "en" else "Su cita cambió")
    new_last, old_last = long(clinic_day(WEEK + 2 - 4), language), long(clinic_day(WEEK - 4), language)
    assert new_last in body and old_last not in body
    assert long(clinic_day(WEEK + 2 - 1), language) in body  # the premedication's new evening


def test_the_coordinator_sees_what_the_patient_is_told(client, gen, login_as):
    _user, _case, appointment = booked(gen, "es", anticoagulant_prescriber_agreed=True, **HOLD)
    login_as(gen.user(Role.COORDINATOR))
    page = soup(text(client.get(f"/appointments/{appointment.id}")))
    told_list = " ".join(page.find(id="patient-preparation").get_text().split())
    # Staff read it in English, with this appointment's dates.
    assert f"take your last dose on {long(clinic_day(WEEK - 4), 'en')}" in told_list


# ------------------------------------------------------------------ "a la 1", "a las 10"

@pytest.mark.parametrize("hh, words", [(13, "a las 13:05"), (1, "a la 1:05"), (10, "a las 10:05")])
def test_spanish_agrees_the_article_with_the_hour(gen, reminder_outbox, make_client, hh, words):
    user, case, appointment = booked(gen, "es", hh=hh, mm=5)
    browser = make_client()
    assert sign_in(browser, user).status_code == 302
    page = " ".join(soup(text(browser.get(f"/my/cases/{case.id}"))).get_text().split())
    home = " ".join(soup(text(browser.get("/my/"))).get_text().split())
    body = reminder_email(appointment, reminder_outbox)
    wrong = "a las 1:05" if hh == 1 else "a la " + words.split()[-1]
    for shown in (page, home, body):
        assert words in shown and wrong not in shown


def test_english_is_unchanged_by_the_hour(gen, reminder_outbox, make_client):
    user, case, appointment = booked(gen, "en", hh=1, mm=5)
    body = reminder_email(appointment, reminder_outbox)
    assert f"{long(clinic_day(WEEK), 'en')} at 1:05 AM" in body  # (the narrow space read as a space)
