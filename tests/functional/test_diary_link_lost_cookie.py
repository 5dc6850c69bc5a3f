"""A phone that lost the personal link's cookie between opening the page and saving (the browser
closed in the background and the tab restored, cookies cleared, a private tab): the form's security
token no longer matches. Nothing is saved, but the patient is not sent to a staff error page in
English telling her to sign in (she has no account) with "Point m15": her diary page comes back in
her language with her scores still chosen, saying to tap Save again, and that saves."""
from datetime import timedelta

from tracker.extensions import db
from tracker.models import DiaryEntry
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import make_diary_link, now
from tests.helpers import csrf_from, is_checked, soup, text, words


def scores_of(case):
    db.session.expire_all()
    return sorted((e.point.point_code, e.side, e.score) for e in db.session.execute(
        db.select(DiaryEntry).filter_by(case_id=case.id)).scalars())


def test_a_score_sent_after_the_phone_lost_its_cookie_comes_back_chosen_and_saves_on_the_next_tap(make_client, gen):
    patient = gen.patient(language="Spanish", phone="+12015550147", preferred_contact="sms", email=None)
    case = gen.case(patient=patient, state=State.FOLLOW_UP, side=Side.BILATERAL)
    gen.diary(case, injected_at=now() - timedelta(hours=2), entries={"t0": 7})
    _, token = make_diary_link(case)
    url = f"/d/{token}"
    stale = csrf_from(make_client().get(url).get_data(as_text=True))  # the page as it was opened

    restored = make_client()  # the same phone, its cookie gone
    answer = restored.post(url, data={"csrf_token": stale, "point": "h2", "score_left": "5", "score_right": "6",
                                      "analgesic_used": "yes"})

    page = text(answer)
    assert answer.status_code == 422
    assert "Su diario del dolor" in page and "Iniciar sesión" not in page and "sign in" not in page
    assert "Todavía no se ha guardado su puntuación" in words(soup(page).find(id="point-error"))
    assert is_checked(page, "score_left", "5") and is_checked(page, "score_right", "6")
    assert is_checked(page, "analgesic_used", "yes")
    assert scores_of(case) == [("t0", "left", 7), ("t0", "right", 7)]

    again = restored.post(url, data={"csrf_token": csrf_from(page), "point": "h2", "score_left": "5",
                                     "score_right": "6", "analgesic_used": "yes"})
    assert again.status_code == 302
    assert ("h2", "left", 5) in scores_of(case) and ("h2", "right", 6) in scores_of(case)


def test_a_link_post_without_any_token_saves_nothing(client, gen):
    case = gen.case(state=State.FOLLOW_UP, side=Side.LEFT)
    gen.diary(case, injected_at=now() - timedelta(hours=2), entries={"t0": 7})
    _, token = make_diary_link(case)
    answer = client.post(f"/d/{token}", data={"point": "h2", "score": "5"})
    assert answer.status_code == 422 and "Your score is not saved yet" in text(answer)
    assert scores_of(case) == [("t0", "left", 7)]
