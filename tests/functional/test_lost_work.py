"""Work is not lost when a session ends: a form posted after the idle limit is held for its sender,
shown back after they sign in again on that browser, and sent again or discarded by them, never
applied unseen; nobody else sees it; it expires. The page's keep-alive renews the idle clock."""
import re
import time
from datetime import timedelta

from tracker.extensions import db
from tracker.models import Case, HeldForm, Patient
from tracker.roles import Role

from tests.helpers import csrf_from, form_data, form_posting_to, sign_in, text
from tests.builders import PATIENT, REFERRAL


def go_idle(client, app):
    with client.session_transaction() as session:
        session["last_seen"] = time.time() - app.config["STAFF_IDLE_TIMEOUT"].total_seconds() - 5


def post_after_the_session_ended(client, app, data):
    """Open the referral form, sit idle past the limit, then send it."""
    token = csrf_from(client.get("/referrals/new").get_data(as_text=True))
    go_idle(client, app)
    return client.post("/referrals/new", data={"csrf_token": token, **data})


def count(model):
    db.session.expire_all()
    return db.session.execute(db.select(db.func.count(model.id))).scalar()


def test_a_form_sent_after_the_session_ended_is_shown_back_after_signing_in_and_sent_then(client, gen, app):
    user = gen.user(Role.COORDINATOR)
    sign_in(client, user)
    typed = {**PATIENT, **REFERRAL, "reason": "Buttock pain on sit-to-stand\r\nworse after driving"}
    response = post_after_the_session_ended(client, app, typed)
    assert response.status_code == 302 and response.location.startswith("/sign-in")
    signed_out = text(client.get(response.location))
    assert "Nothing is lost: sign in again to see what you typed" in signed_out
    assert count(Patient) == 0 and count(HeldForm) == 1

    back = sign_in(client, user)
    assert back.location.startswith("/session/held/")
    page = text(client.get(back.location))
    assert "<strong>not</strong> been saved" in page
    assert "Okonkwo" in page and "worse after driving" in page and "Referring clinician" in page
    assert count(Patient) == 0  # shown, not applied

    resend = form_posting_to(page, "/referrals/new")
    response = client.post("/referrals/new", data=form_data(resend), follow_redirects=True)
    assert "Referral logged for Okonkwo, Ada" in text(response)
    assert count(Case) == 1 and count(HeldForm) == 0
    assert db.session.execute(db.select(Case)).scalar_one().reason.replace("\r\n", "\n") == \
        "Buttock pain on sit-to-stand\nworse after driving"


def test_someone_else_signing_in_on_that_browser_never_sees_it(client, gen, app):
    owner, other = gen.user(Role.COORDINATOR), gen.user(Role.COORDINATOR)
    sign_in(client, owner)
    post_after_the_session_ended(client, app, {**PATIENT, **REFERRAL})
    [held] = db.session.execute(db.select(HeldForm)).scalars().all()

    response = sign_in(client, other)
    assert response.location == "/cases/"
    assert client.get(f"/session/held/{held.token}").status_code == 404
    assert "Okonkwo" not in text(client.get("/cases/"))


def test_a_held_form_expires(client, gen, app, monkeypatch):
    user = gen.user(Role.COORDINATOR)
    sign_in(client, user)
    post_after_the_session_ended(client, app, {**PATIENT, **REFERRAL})
    held = db.session.execute(db.select(HeldForm)).scalar_one()
    held.expires_at = held.held_at - timedelta(seconds=1)
    db.session.commit()
    assert sign_in(client, user).location == "/cases/"


def test_a_held_form_can_be_discarded(client, gen, app):
    user = gen.user(Role.COORDINATOR)
    sign_in(client, user)
    post_after_the_session_ended(client, app, {**PATIENT, **REFERRAL})
    page = client.get(sign_in(client, user).location).get_data(as_text=True)
    discard = form_posting_to(page, re.compile(r"/session/held/[^/]+/discard"))["action"]
    response = client.post(discard, data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "What you had typed is discarded." in text(response)
    assert count(HeldForm) == 0 and count(Patient) == 0


def test_the_keep_alive_renews_the_idle_clock(client, gen, app):
    sign_in(client, gen.user(Role.COORDINATOR))
    token = csrf_from(client.get("/cases/").get_data(as_text=True))
    nearly = time.time() - app.config["STAFF_IDLE_TIMEOUT"].total_seconds() + 5
    with client.session_transaction() as session:
        session["last_seen"] = nearly
    assert client.post("/session/keep-alive", headers={"X-CSRFToken": token}).status_code == 204
    with client.session_transaction() as session:
        assert session["last_seen"] > nearly + 4
    # Without it, the same wait ends the session.
    go_idle(client, app)
    assert client.post("/session/keep-alive", headers={"X-CSRFToken": token}).status_code == 302


def test_a_password_in_a_held_form_is_never_kept_or_shown(client, gen, app):
    admin = gen.user(Role.ADMIN)
    sign_in(client, admin)
    token = csrf_from(client.get("/admin/users/new").get_data(as_text=True))
    go_idle(client, app)
    client.post("/admin/users/new", data={"csrf_token": token, "email": "new.person@test.clinic",
                                          "name": "New Person", "role": "coordinator",
                                          "new_password": "Very-secret-pass-42"})
    held = db.session.execute(db.select(HeldForm)).scalar_one()
    assert "Very-secret-pass-42" not in str(held.fields) and ["name", "New Person"] in held.fields
    page = text(client.get(sign_in(client, admin).location))
    assert "New Person" in page and "Very-secret-pass-42" not in page


def test_asking_whether_the_session_ended_neither_ends_nor_renews_it(client, gen, app):
    user = gen.user(Role.COORDINATOR)
    sign_in(client, user)
    token = csrf_from(client.get("/referrals/new").get_data(as_text=True))
    answer = client.get("/session/left")
    assert answer.status_code == 200 and answer.json["ended"] is False and answer.json["left"] > 0
    assert answer.headers["Cache-Control"] == "no-store"

    go_idle(client, app)
    with client.session_transaction() as session:
        idle_since = session["last_seen"]
    assert client.get("/session/left").json == {"ended": True, "left": 0}
    with client.session_transaction() as session:
        assert session["last_seen"] == idle_since and "_user_id" in session  # not renewed, not ended
    # So the form the page then sends is still held for its user (static/js/session.js).
    response = client.post("/referrals/new", data={"csrf_token": token, **PATIENT, **REFERRAL})
    assert response.status_code == 302 and count(HeldForm) == 1
    assert sign_in(client, user).location.startswith("/session/held/")


def test_asking_whether_the_session_ended_when_signed_out_leads_to_the_sign_in_page(client):
    answer = client.get("/session/left")
    assert answer.status_code == 302 and answer.location.startswith("/sign-in")
