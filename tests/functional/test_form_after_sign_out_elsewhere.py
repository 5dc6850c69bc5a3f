"""A form sent after its session ended in another tab or window (signed out there, or signed out
and in again) is refused for its stale security token, but what was typed is shown back on the
refusal, never lost, and no password is echoed. Through the real forms, CSRF on."""
import pytest

from tracker.extensions import db
from tracker.models import RiskScreen
from tracker.roles import Role
from tracker.workflow import State

from tests.helpers import csrf_from, sign_in, soup, submit, words

TYPED = {"anticoagulant_answer": "taking", "anticoagulants": "Xarelto 20 mg daily",
         "anticoagulant_hold_days": "2", "anticoagulant_hold_plan": "Hold 2 days, restart the day after",
         "allergy_answer": "nkda", "pregnancy": "no", "red_flags_screened": "y"}


@pytest.fixture
def opened(client, gen):
    """A coordinator with the risk screen open in one tab: its page, the form's token, the case."""
    coordinator = gen.user(Role.COORDINATOR)
    case = gen.case(state=State.UNDER_REVIEW)
    sign_in(client, coordinator)
    url = f"/cases/{case.id}/risk-screen"
    return coordinator, url, csrf_from(client.get(url).get_data(as_text=True))


def _send(client, url, token):
    return client.post(url, data={"csrf_token": token, **TYPED}, headers={"Referer": f"http://localhost{url}"})


def _typed_shown(response):
    shown = words(soup(response.get_data(as_text=True)).find("dl", class_="held-fields"))
    assert "Xarelto 20 mg daily" in shown and "Hold 2 days, restart the day after" in shown
    return shown


def test_signed_out_in_another_tab_the_refusal_shows_what_was_typed_and_says_to_sign_in(client, opened):
    _, url, token = opened
    submit(client, "/sign-out", {}, form_page="/cases/")  # the other tab
    response = _send(client, url, token)
    assert response.status_code == 400
    page = words(soup(response.get_data(as_text=True)))
    assert "Nothing was saved." in page
    assert "sign in again, open the form again and send it" in page
    _typed_shown(response)
    link = soup(response.get_data(as_text=True)).find("a", string="Open the form again in a new tab")
    assert link["href"].endswith(url)
    db.session.expire_all()
    assert db.session.execute(db.select(RiskScreen)).scalars().all() == []


def test_signed_in_again_in_another_tab_the_refusal_still_shows_what_was_typed(client, opened):
    coordinator, url, token = opened
    submit(client, "/sign-out", {}, form_page="/cases/")
    sign_in(client, coordinator)
    response = _send(client, url, token)
    assert response.status_code == 400
    assert "The form was opened before you last signed in" in words(soup(response.get_data(as_text=True)))
    _typed_shown(response)


def test_a_refused_password_form_echoes_no_password(client, gen):
    sign_in(client, gen.user(Role.COORDINATOR))
    response = client.post("/account/password", data={"csrf_token": "stale", "current_password": "Secret-Horse-77",
                                                      "new_password": "Another-Horse-88"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Secret-Horse-77" not in page and "Another-Horse-88" not in page


def test_a_form_an_idle_page_sent_by_itself_is_refused_without_showing_what_was_typed(client, opened):
    """static/js/session.js marks the form it sends from an idle page (`_left_idle`): nobody is at
    that screen, so a refusal must not list the patient's details on it."""
    _, url, token = opened
    submit(client, "/sign-out", {}, form_page="/cases/")
    response = client.post(url, data={"csrf_token": token, "_left_idle": "1", **TYPED},
                           headers={"Referer": f"http://localhost{url}"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Xarelto 20 mg daily" not in page and "Hold 2 days" not in page
    assert soup(page).find("dl", class_="held-fields") is None


@pytest.mark.parametrize("site, shown", [("same-origin", True), ("cross-site", False), ("same-site", False)])
def test_typed_fields_are_shown_back_only_to_this_sites_own_page(client, opened, site, shown):
    """A post another site's page sent would put its words on this site's refusal page."""
    _, url, token = opened
    submit(client, "/sign-out", {}, form_page="/cases/")
    response = client.post(url, data={"csrf_token": token, **TYPED}, headers={"Sec-Fetch-Site": site})
    assert response.status_code == 400
    assert ("Xarelto 20 mg daily" in response.get_data(as_text=True)) is shown


def test_without_the_browsers_header_another_sites_referrer_shows_nothing_typed(client, opened):
    _, url, token = opened
    submit(client, "/sign-out", {}, form_page="/cases/")
    response = client.post(url, data={"csrf_token": token, **TYPED}, headers={"Referer": "https://evil.example/x"})
    assert response.status_code == 400 and "Xarelto 20 mg daily" not in response.get_data(as_text=True)
