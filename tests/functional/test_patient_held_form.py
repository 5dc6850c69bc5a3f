"""A patient whose session ended (the absolute limit, SESSION_MAX_AGE) while a diary score was on
its way: the score is held and shown back after signing in again, as staff's forms are, but in the
patient's own layout and language, with what she chose said in her words."""
import time
from datetime import timedelta

from tracker.extensions import db
from tracker.models import DiaryEntry, HeldForm
from tracker.roles import Role
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import now
from tests.helpers import csrf_from, form_data, form_posting_to, sign_in, soup, text, words


def past_the_session_limit(client, app):
    with client.session_transaction() as session:
        session["signed_in_at"] = time.time() - app.config["SESSION_MAX_AGE"].total_seconds() - 5


def test_a_spanish_patients_score_held_at_the_end_of_her_session_is_shown_back_in_spanish(client, gen, app):
    patient = gen.patient(language="Spanish", given_name="María José", family_name="Núñez Peña")
    user = gen.user(Role.PATIENT, patient=patient, name="María José Núñez Peña")
    case = gen.case(patient=patient, state=State.FOLLOW_UP, side=Side.LEFT)
    gen.diary(case, injected_at=now() - timedelta(hours=2), entries={"t0": 7})
    sign_in(client, user)
    url = f"/my/cases/{case.id}/diary"
    token = csrf_from(client.get(url).get_data(as_text=True))
    past_the_session_limit(client, app)
    response = client.post(url, data={"csrf_token": token, "point": "h2", "score": "4", "analgesic_used": "yes"})
    assert response.status_code == 302 and response.location.startswith("/sign-in")

    back = sign_in(client, user)
    assert back.location.startswith("/session/held/")
    page = text(client.get(back.location))
    shown = words(soup(page).find("main") or soup(page))
    # Her layout (no staff title or navigation), her language, her words for what she chose.
    assert "patient" in soup(page).find("body")["class"]
    assert soup(page).find("html")["lang"] == "es"
    assert "no se ha guardado" in shown
    assert "Su dolor ahora: 4" in shown
    assert "«2 horas después»" in shown and "Sí" in shown
    assert "Point" not in shown and "Score" not in shown and "Analgesic" not in shown
    assert "/my/cases" not in shown  # an address is not her words

    # Sent again from there, the score is saved for the point she gave it for.
    resend = form_posting_to(page, url)
    saved = client.post(url, data=form_data(resend), follow_redirects=True)
    assert "Gracias" in text(saved)
    db.session.expire_all()
    assert db.session.execute(db.select(HeldForm)).scalars().all() == []
    assert [e.score for e in db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)
                                                .order_by(DiaryEntry.id)).scalars()] == [7, 4]
