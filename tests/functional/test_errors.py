"""Error pages in the app's own style; a 500 shows an incident id, never a trace."""
import logging
import re

import pytest

from config import TestingConfig

from tests.helpers import IsolatedClient, by_id, sign_in, soup, words
from tracker import create_app
from tracker.extensions import db
from tracker.roles import Role

STYLESHEET = "/static/css/app.css"


def test_unknown_address_shows_the_apps_not_found_page(client):
    response = client.get("/no-such-page")

    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in html
    assert STYLESHEET in html
    assert 'href="/"' in html  # a way back home


def test_missing_case_shows_not_found_inside_the_signed_in_layout(client, gen, login_as):
    login_as(gen.user(Role.COORDINATOR, name="Casey Coordinator"))

    response = client.get("/cases/999999")

    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in html
    assert "Casey Coordinator" in html and "Sign out" in html and "Worklist" in html


@pytest.mark.parametrize("case_id", ["2147483648", "99999999999999999999"])
def test_a_case_number_too_large_to_exist_is_not_found_not_a_server_error(client, gen, login_as, case_id):
    login_as(gen.user(Role.COORDINATOR, name="Casey Coordinator"))

    response = client.get(f"/cases/{case_id}")

    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in html and "Casey Coordinator" in html


def test_refused_page_shows_the_apps_forbidden_page(client, gen, login_as):
    login_as(gen.user(Role.PHYSICIAN, name="Dr Priya Raman"))

    response = client.get("/admin/users")

    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "You do not have access to this page" in html
    assert "This attempt has been recorded." in html
    assert STYLESHEET in html and "Dr Priya Raman" in html


def test_wrong_method_is_answered_in_the_apps_style(client):
    response = client.get("/sign-out")

    assert response.status_code == 405
    assert STYLESHEET in response.get_data(as_text=True)


@pytest.fixture
def failing_app(app):
    """A throwaway app, on the same database, with a route that fails the way a bug would."""
    broken = create_app(TestingConfig, PROPAGATE_EXCEPTIONS=False,
                        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    broken.test_client_class = IsolatedClient

    @broken.route("/boom")
    def boom():
        raise RuntimeError("secret internals: password_hash=scrypt$abc in /srv/tracker/views.py")

    yield broken
    with broken.app_context():
        db.session.remove()
        db.engine.dispose()


def test_server_error_shows_an_incident_id_and_no_trace(failing_app, caplog):
    with caplog.at_level(logging.ERROR):
        response = failing_app.test_client().get("/boom")

    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    incident = by_id(html, "incident").get_text()
    assert re.fullmatch(r"[0-9a-f]{12}", incident)
    for leak in ("Traceback", "RuntimeError", "secret internals", "scrypt", "views.py"):
        assert leak not in html
    assert STYLESHEET in html
    assert any(incident in record.getMessage() for record in caplog.records), \
        "the incident id must be in the log so the admin can find the trace"


def test_each_server_error_gets_its_own_incident_id(failing_app):
    client = failing_app.test_client()

    ids = {by_id(client.get("/boom"), "incident").get_text() for _ in range(3)}

    assert len(ids) == 3


def test_a_patient_refused_a_page_is_led_back_to_their_own_and_told_to_call_the_clinic(client, gen, login_as):
    login_as(gen.user(Role.PATIENT, patient=gen.patient()))

    response = client.get("/search?q=garcia")

    page = soup(response)
    assert response.status_code == 403
    assert "ask an admin" not in words(page).lower() and "Your role" not in words(page)
    assert words(page.find("h1")) == "This page is not part of your record"
    assert page.find("a", string="Go back to my page")["href"] == "/my/"
    assert "Questions? Call the clinic" in words(page.find(id="clinic-contact"))


def test_a_spanish_patient_refused_a_page_reads_it_in_spanish(client, gen, login_as):
    login_as(gen.user(Role.PATIENT, patient=gen.patient(language="Spanish")))

    page = soup(client.get("/search?q=garcia"))

    assert words(page.find("h1")) == "Esta página no forma parte de su expediente"
    assert page.find("a", string="Volver a mi página")


# ------------------------------------------------------------------ a patient on an error page

def in_patient_layout(page, home_words):
    """The patient's own layout: their language switch, the clinic's phone at the foot, the way
    back to their page; never the staff title nor the role badge."""
    assert "patient" in page.body.get("class", [])
    assert page.find("form", class_="language-switch") is not None
    assert page.find(id="clinic-contact").find("a", href=lambda href: href and href.startswith("tel:"))
    assert page.find("a", string=home_words)["href"] == "/my/"
    assert "SI joint tracker" not in words(page) and "(Patient)" not in words(page)
    assert "Seguimiento de la articulación sacroilíaca" not in words(page) and "(Paciente)" not in words(page)


@pytest.fixture
def clinic_phone(app, monkeypatch):
    monkeypatch.setitem(app.config, "CLINIC_PHONE", "+12015550188")


@pytest.mark.parametrize("address", ["/my/cases/999999", "/my/appointments/99.ics", "/nonexistent"])
def test_a_patient_who_changes_an_address_is_not_found_in_their_own_layout(client, gen, login_as, clinic_phone,
                                                                            address):
    """Walkthrough: another patient's case, or a mistyped address, showed the staff layout: the
    staff title, "Sean O'Brien (Patient)", no language switch and no clinic phone."""
    login_as(gen.user(Role.PATIENT, name="Sean O'Brien", patient=gen.patient()))

    response = client.get(address)

    page = soup(response)
    assert response.status_code == 404
    assert words(page.find("h1")) == "Page not found"
    in_patient_layout(page, "Go back to my page")


def test_a_spanish_patient_not_found_reads_it_all_in_spanish(client, gen, login_as, clinic_phone):
    login_as(gen.user(Role.PATIENT, name="Sean O'Brien", patient=gen.patient(language="Spanish")))

    response = client.get("/my/cases/999999")

    page = soup(response)
    assert response.status_code == 404
    assert page.html["lang"] == "es"
    assert words(page.find("h1")) == "Página no encontrada"
    in_patient_layout(page, "Volver a mi página")


def test_a_patient_sending_the_wrong_method_gets_their_own_layout(client, gen, login_as, clinic_phone):
    login_as(gen.user(Role.PATIENT, patient=gen.patient()))

    response = client.delete("/my/")

    assert response.status_code == 405 and response.headers.get("Allow")
    in_patient_layout(soup(response), "Go back to my page")


def test_a_server_error_met_by_a_patient_is_in_their_layout_and_says_to_call_the_clinic(
        failing_app, gen, clinic_phone):
    failing_app.config["CLINIC_PHONE"] = "+12015550188"
    user = gen.user(Role.PATIENT, patient=gen.patient(language="Spanish"))
    client = failing_app.test_client()
    assert sign_in(client, user).status_code == 302

    response = client.get("/boom")

    page = soup(response)
    assert response.status_code == 500
    assert re.fullmatch(r"[0-9a-f]{12}", by_id(response, "incident").get_text())
    in_patient_layout(page, "Volver a mi página")
    assert "administrador" not in words(page)
    assert "llame a la clínica" in words(page)
