"""Two phones open the same diary link (the patient's and her daughter's, or a tab left open) and
both send the same time point: the first score is kept, and the second phone is told which score
is on file and that the one it chose was not saved, in the patient's language."""
from datetime import timedelta

import pytest

from tracker.extensions import db
from tracker.models import DiaryEntry
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import make_diary_link, now
from tests.helpers import csrf_from, soup, text, words

SAID = {
    "English": ("The “2 hours after” score was already entered: 4/10, ", "Your score, 1/10, was not saved.",
                "to change it, use “Correct”"),
    "Spanish": ("La puntuación «2 horas después» ya se anotó: 4/10, ", "Su puntuación, 1/10, no se guardó.",
                "use «Corregir»"),
}


@pytest.mark.parametrize("language", ["English", "Spanish"])
def test_the_second_phone_is_told_the_score_on_file_and_that_its_own_was_not_saved(make_client, gen, language):
    patient = gen.patient(language=language, phone="+12015550147", preferred_contact="sms")
    case = gen.case(patient=patient, state=State.FOLLOW_UP, side=Side.LEFT)
    gen.diary(case, injected_at=now() - timedelta(hours=2), entries={"t0": 7})
    _, token = make_diary_link(case)
    url = f"/d/{token}"
    first, second = make_client(), make_client()
    first_token = csrf_from(first.get(url).get_data(as_text=True))
    second_token = csrf_from(second.get(url).get_data(as_text=True))

    assert first.post(url, data={"csrf_token": first_token, "point": "h2", "score": "4"}).status_code == 302
    answer = second.post(url, data={"csrf_token": second_token, "point": "h2", "score": "1"})

    assert answer.status_code == 422
    said = words(soup(text(answer)).find(id="point-error"))
    for part in SAID[language]:
        assert part in said, said
    db.session.expire_all()
    assert [e.score for e in db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)
                                                .order_by(DiaryEntry.id)).scalars()] == [7, 4]
