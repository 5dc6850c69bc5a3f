"""Patients read the tracker in their language: every patient page in English and in Spanish,
chosen from the patient's record, the switch (remembered) or, before the patient is known, the
browser; emails and calendar files follow the patient's record; staff pages stay English."""
from datetime import time, timedelta

import pytest
from babel.dates import format_date
from icalendar import Calendar

from tracker.roles import Role
from tracker.extensions import db
from tracker.models import RiskScreen
from tracker.scheduling.rules import clinic_to_utc
from tracker.timeutil import clinic_today, clinic_zone
from tracker.vocab import AppointmentStatus, Side
from tracker.workflow import State

from tests.builders import make_diary_link, now
from tests.helpers import csrf_from, links, soup, submit, text

SPANISH = {"Accept-Language": "es-MX,es;q=0.9"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


def visible(response):
    """The page's words, tags removed and spaces folded (a narrow no-break space is a space)."""
    return " ".join(soup(response).get_text(" ").split())


def lang_of(response):
    return soup(response).find("html")["lang"]


@pytest.fixture
def spanish_patient(gen):
    return gen.user(Role.PATIENT, name="Lucía Ramos",
                    patient=gen.patient(family_name="Ramos", given_name="Lucía", language="Spanish"))


def follow_up_case(gen, user, since_injection=timedelta(hours=2), side=Side.LEFT):
    case = gen.case(patient=user.patient, state=State.FOLLOW_UP, side=side)
    gen.diary(case, injected_at=now() - since_injection, entries={"t0": 7})
    return case


def booked_case(gen, user):
    case = gen.case(patient=user.patient, state=State.SCHEDULED, side=Side.RIGHT)
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True, anticoagulants="apixaban",
                              anticoagulant_hold_plan="Stop apixaban 2 days before.", sedation_planned=True))
    db.session.commit()
    starts = clinic_to_utc(clinic_today() + timedelta(days=2), time(10, 15), clinic_zone())
    appointment = gen.appointment(case, room=gen.room(name="Sala 3", location="Planta 2"), starts_at=starts)
    return case, appointment


def link_for(case):
    return make_diary_link(case)[1]


# ------------------------------------------------------------------ the signed-in patient

def test_a_spanish_speaking_patient_reads_home_and_case_in_spanish_with_spanish_dates(
        client, gen, login_as, spanish_patient):
    case, appointment = booked_case(gen, spanish_patient)
    login_as(spanish_patient)

    home = client.get("/my/", headers=ENGLISH)  # the record wins over the browser
    assert lang_of(home) == "es"
    assert "Hola, Lucía" in visible(home) and "Estado: Programado" in visible(home)
    assert "Bloqueo diagnóstico de la articulación sacroilíaca derecha" in visible(home)
    assert "a las 10:15 (hora de Nueva York)" in visible(home)

    page = visible(client.get(f"/my/cases/{case.id}"))
    day = format_date(clinic_today() + timedelta(days=2), "full", locale="es")
    assert day in page and day.startswith(("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"))
    assert "a las 10:15 (hora de Nueva York)" in page
    assert "Dónde: Planta 2" in page and "Qué lado: derecho" in page
    # The preparation, in Spanish; what staff typed is shown as typed.
    assert "Llegue 30 minutos antes de la hora de su cita" in page
    assert "Anticoagulantes: Stop apixaban 2 days before." in page
    assert "un adulto debe llevarle a casa y usted no debe conducir durante 24 horas" in page
    assert "Agregar a mi calendario" in page and "Add to my calendar" not in page


@pytest.mark.parametrize("language, browser, greeting", [("English", ENGLISH, "Hello, Thị Hằng"),
                                                        ("Spanish", SPANISH, "Hola, Thị Hằng")])
def test_the_patient_is_greeted_by_her_whole_given_name_as_recorded(client, gen, login_as, language, browser, greeting):
    """Nguyễn Thị Hằng: her given name is "Thị Hằng" (two words), not its first word; her account's
    name is written given name first, as an invitation makes it."""
    patient = gen.patient(family_name="Nguyễn", given_name="Thị Hằng", language=language)
    login_as(gen.user(Role.PATIENT, name="Thị Hằng Nguyễn", patient=patient))

    heading = soup(client.get("/my/", headers=browser)).find("h1").get_text(" ", strip=True)

    assert heading == greeting


def test_two_cases_of_the_same_title_on_the_home_page_are_told_apart_by_their_referral_date(
        client, gen, login_as, spanish_patient):
    from datetime import date
    for state, day in ((State.REFERRED, date(2026, 11, 30)), (State.CANCELLED, date(2026, 10, 2))):
        gen.case(patient=spanish_patient.patient, state=state, side=Side.LEFT).referral_date = day
    db.session.commit()
    login_as(spanish_patient)
    cards = [" ".join(card.get_text(" ").split()) for card in soup(client.get("/my/")).find_all("article")]
    assert any("Estado: Derivado · Fecha de derivación: lunes, 30 de noviembre de 2026" in c for c in cards)
    assert any("Estado: Cancelado · Fecha de derivación: viernes, 2 de octubre de 2026" in c for c in cards)


@pytest.mark.parametrize("side, answer", [(Side.LEFT, "Qué lado: izquierdo"), (Side.BILATERAL, "Qué lado: ambos lados")])
def test_which_side_agrees_with_lado(client, gen, login_as, spanish_patient, side, answer):
    case, _appointment = booked_case(gen, spanish_patient)
    case.side = side
    db.session.commit()
    login_as(spanish_patient)
    assert answer in visible(client.get(f"/my/cases/{case.id}"))


@pytest.mark.parametrize("hour, words", [(10, "a las 10:00"), (13, "a las 13:00"), (1, "a la 1:00")])
def test_a_cancelled_appointment_says_a_las_for_every_hour_but_one(client, gen, login_as, spanish_patient, hour, words):
    case = gen.case(patient=spanish_patient.patient, state=State.ELIGIBLE, side=Side.LEFT)
    starts = clinic_to_utc(clinic_today() + timedelta(days=3), time(hour, 0), clinic_zone())
    gen.appointment(case, starts_at=starts, status=AppointmentStatus.CANCELLED, cancelled_reason="clinic closed")
    login_as(spanish_patient)
    page = visible(client.get(f"/my/cases/{case.id}"))
    assert f"Su cita del {format_date(clinic_today() + timedelta(days=3), 'full', locale='es')} {words} quedó cancelada." \
        in page


def test_the_pain_diary_in_spanish_scale_words_errors_thanks_and_correction(client, gen, login_as, spanish_patient):
    case = follow_up_case(gen, spanish_patient)
    login_as(spanish_patient)
    url = f"/my/cases/{case.id}/diary"

    page = text(client.get(url))
    assert "¿Qué tan fuerte es ahora su dolor habitual" in page
    for score, word in ((0, "sin dolor"), (10, "el peor dolor imaginable")):
        label = soup(page).find("label", attrs={"for": f"score-{score}"})
        assert label.contents[0] == f"{score} " and label.find("span", class_="nrs-word").get_text() == word
    assert "2 horas después" in page and "toca ahora" in page

    missing = submit(client, url, {"point": "h2", "score": ""})
    assert missing.status_code == 422
    assert "Elija un número del 0 (sin dolor) al 10 (el peor dolor imaginable)." in text(missing)

    saved = submit(client, url, {"point": "h2", "score": "4"}, follow_redirects=True)
    assert "Gracias: su puntuación «2 horas después» quedó guardada." in text(saved)

    [correct_url] = [href for href in links(saved) if href.endswith("/correct")]
    assert correct_url.startswith(f"{url}/entries/")
    correction = visible(client.get(correct_url))
    assert "Corrija su puntuación «2 horas después»" in correction and "Guardar la corrección" in correction
    no_reason = submit(client, correct_url, {"score": "3", "reason": "", "version_id": "1"})
    assert "Diga por qué cambia la puntuación" in text(no_reason)


def test_a_closed_cases_diary_tells_a_spanish_speaking_patient_it_has_ended(client, gen, login_as, spanish_patient):
    case = follow_up_case(gen, spanish_patient)
    case.state = State.CLOSED
    db.session.commit()
    login_as(spanish_patient)

    page = text(client.get(f"/my/cases/{case.id}/diary"))

    assert "Este diario ha terminado: ya no admite más puntuaciones. Gracias por llevarlo." in page


def test_account_pages_and_errors_a_patient_sees_are_in_spanish(client, gen, login_as, spanish_patient):
    login_as(spanish_patient)
    assert "Cambie su contraseña" in visible(client.get("/account/password"))
    missing = client.get("/my/cases/999999")
    assert missing.status_code == 404 and "Página no encontrada" in visible(missing)
    # Signed out, the patient is not known any more: the sign-in page follows the browser.
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH["Accept-Language"]
    signed_out = submit(client, "/sign-out", {}, form_page="/my/", follow_redirects=True)
    assert "Ha cerrado la sesión." in visible(signed_out) and "Iniciar sesión" in visible(signed_out)


def test_an_english_speaking_patient_reads_english(client, gen, login_as):
    user = gen.user(Role.PATIENT, patient=gen.patient(language="English"))
    case = follow_up_case(gen, user)
    login_as(user)
    page = client.get(f"/my/cases/{case.id}/diary", headers=SPANISH)
    assert lang_of(page) == "en" and "How bad is your usual pain" in text(page)


# ------------------------------------------------------------------ the switch

def test_the_switch_on_every_patient_page_is_remembered_and_returns_to_the_page(client, gen, login_as):
    user = gen.user(Role.PATIENT, patient=gen.patient(language="English"))
    case = follow_up_case(gen, user)
    login_as(user)
    diary = f"/my/cases/{case.id}/diary"
    page = text(client.get(diary))
    assert '<button type="submit" name="lang" value="es" lang="es"' in page

    switched = client.post("/language", data={"csrf_token": csrf_from(page), "lang": "es", "next": diary})
    assert switched.status_code == 302 and switched.headers["Location"].endswith(diary)
    assert "Max-Age=31536000" in switched.headers["Set-Cookie"]
    for url in ("/my/", f"/my/cases/{case.id}", diary):
        assert lang_of(client.get(url)) == "es"

    back = client.post("/language", data={"csrf_token": csrf_from(text(client.get("/my/"))), "lang": "en",
                                          "next": "/my/"})
    assert back.status_code == 302 and lang_of(client.get("/my/")) == "en"


def test_the_switch_refuses_a_foreign_address_and_an_unknown_language(client):
    page = text(client.get("/sign-in"))
    response = client.post("/language", data={"csrf_token": csrf_from(page), "lang": "xx",
                                              "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]
    assert "Set-Cookie" not in response.headers or "lang=" not in response.headers["Set-Cookie"]
    without_token = client.post("/language", data={"lang": "es", "next": "/sign-in"})
    assert without_token.status_code == 400


# ------------------------------------------------------------------ before the patient is known

def test_the_sign_in_page_follows_the_browser(client):
    spanish = client.get("/sign-in", headers=SPANISH)
    assert lang_of(spanish) == "es" and "Iniciar sesión" in visible(spanish)
    assert "Correo electrónico" in visible(spanish) and "Contraseña" in visible(spanish)
    assert "Accept-Language" in spanish.headers["Vary"]
    english = client.get("/sign-in", headers=ENGLISH)
    assert lang_of(english) == "en" and "Sign in" in visible(english)
    refused = submit(client, "/sign-in", {"email": "nobody@test.clinic", "password": "wrong-password-123"})
    assert refused.status_code in (200, 422)


def test_a_refused_sign_in_says_so_in_spanish(client, spanish_patient):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH["Accept-Language"]
    refused = submit(client, "/sign-in", {"email": spanish_patient.email, "password": "not-the-password-1"})
    assert "El correo electrónico o la contraseña no son correctos." in visible(refused)


def test_the_personal_link_speaks_the_patients_language_whatever_the_browser(client, gen, spanish_patient):
    case = follow_up_case(gen, spanish_patient)
    token = link_for(case)
    page = client.get(f"/d/{token}", headers=ENGLISH)
    assert lang_of(page) == "es" and "Su diario del dolor" in visible(page)
    saved = submit(client, f"/d/{token}", {"point": "h2", "score": "5"}, follow_redirects=True)
    assert "Gracias: su puntuación «2 horas después» quedó guardada." in visible(saved)


def test_a_link_that_is_not_valid_follows_the_browser(client):
    spanish = client.get("/d/not-a-real-token", headers=SPANISH)
    assert spanish.status_code == 404 and lang_of(spanish) == "es"
    assert "Este enlace ya no es válido: pida uno nuevo a la clínica." in visible(spanish)
    english = client.get("/d/not-a-real-token", headers=ENGLISH)
    assert "This link is not valid any more" in visible(english)


# ------------------------------------------------------------------ staff, unknown languages

def test_staff_pages_stay_english_whatever_the_browser(client, gen, login_as):
    staff = gen.user(Role.COORDINATOR)
    login_as(staff)
    page = client.get("/cases/", headers=SPANISH)
    assert lang_of(page) == "en" and "Worklist" in visible(page)


def test_a_language_without_a_catalog_falls_back_to_english_and_staff_are_told(client, gen, login_as, make_client):
    user = gen.user(Role.PATIENT, patient=gen.patient(language="Tagalog"))
    case = follow_up_case(gen, user)
    login_as(user)
    assert lang_of(client.get("/my/", headers=SPANISH)) == "en"

    staff_client = make_client()
    login_as(gen.user(Role.COORDINATOR), on=staff_client)
    staff_page = visible(staff_client.get(f"/cases/{case.id}"))
    assert "the tracker has no Tagalog translation: this patient's pages and messages are in English" in staff_page
    spanish_case = follow_up_case(gen, gen.user(Role.PATIENT, patient=gen.patient(language="español")))
    assert "translation" not in visible(staff_client.get(f"/cases/{spanish_case.id}")).split("Language")[1][:80]


# ------------------------------------------------------------------ messages and calendar files

def test_the_diary_link_email_is_in_the_patients_language(client, gen, login_as, monkeypatch):
    from tracker.diary import services

    sent = []
    monkeypatch.setattr(services, "send_mail", lambda to, subject, body: sent.append((subject, body)))
    patient = gen.patient(language="Spanish", email="lucia@example.org")
    case = gen.case(patient=patient, state=State.FOLLOW_UP)
    gen.diary(case, injected_at=now() - timedelta(hours=2), entries={"t0": 6})
    login_as(gen.user(Role.COORDINATOR))
    submit(client, f"/cases/{case.id}/diary/link", {}, form_page=f"/cases/{case.id}")
    [(subject, body)] = sent
    assert subject.startswith("Enlace a su diario del dolor de ")
    assert "Use este enlace personal para completar su diario del dolor" in body and "/d/" in body


def test_the_calendar_file_is_in_the_patients_language(client, gen, login_as, spanish_patient):
    case, appointment = booked_case(gen, spanish_patient)
    login_as(spanish_patient)
    [event] = Calendar.from_ical(client.get(f"/my/appointments/{appointment.id}.ics").data).walk("VEVENT")
    assert str(event["summary"]).startswith("Cita para inyección en la articulación sacroilíaca")
    assert "Cómo prepararse" in str(event["description"])


# ------------------------------------------------------------------ every patient page, both languages

# (what the page is, how to reach it, a phrase it shows in English, the same in Spanish)
PAGES = [
    ("home", lambda c, e, t, a: "/my/", "Your care", "Su atención"),
    ("case", lambda c, e, t, a: f"/my/cases/{c.id}", "Your appointment", "Su cita"),
    ("diary", lambda c, e, t, a: f"/my/cases/{c.id}/diary", "Your pain diary", "Su diario del dolor"),
    ("correction", lambda c, e, t, a: f"/my/cases/{c.id}/diary/entries/{e.id}/correct",
     "Save the correction", "Guardar la corrección"),
    ("password", lambda c, e, t, a: "/account/password", "Change your password", "Cambie su contraseña"),
    ("not found", lambda c, e, t, a: "/my/cases/999999", "Page not found", "Página no encontrada"),
    ("link diary", lambda c, e, t, a: f"/d/{t}", "Your pain diary", "Su diario del dolor"),
    ("link correction", lambda c, e, t, a: f"/d/{t}/entries/{e.id}/correct", "Save the correction",
     "Guardar la corrección"),
]


@pytest.mark.parametrize("language,recorded", [("en", "English"), ("es", "Spanish")])
@pytest.mark.parametrize("page", PAGES, ids=[p[0] for p in PAGES])
def test_every_patient_page_in_both_languages(client, gen, login_as, language, recorded, page):
    _, address, english, spanish = page
    user = gen.user(Role.PATIENT, patient=gen.patient(language=recorded))
    case = follow_up_case(gen, user)
    gen.appointment(case, starts_at=now() + timedelta(days=3))
    db.session.commit()
    token = link_for(case)
    login_as(user)
    submit(client, f"/my/cases/{case.id}/diary", {"point": "h2", "score": "4"})
    from tracker.models import DiaryEntry
    entry = db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)
                               .order_by(DiaryEntry.id.desc())).scalars().first()
    if address(case, entry, token, None).startswith("/d/"):
        client.post("/sign-out", data={"csrf_token": csrf_from(text(client.get("/my/")))})

    response = client.get(address(case, entry, token, None), headers=ENGLISH if language == "es" else SPANISH)

    shown = visible(response)
    assert lang_of(response) == language
    assert (spanish if language == "es" else english) in shown
    assert (english if language == "es" else spanish) not in shown
