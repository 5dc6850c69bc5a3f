"""The correction page names the clinic's zone with the time of the score on file, as every time the
diary gives a patient does: one travelling, or living in another zone, reads which hour it was."""
from datetime import timedelta

import pytest

from tracker.extensions import db
from tracker.models import DiaryEntry
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import make_diary_link, now
from tests.helpers import soup, text, words

ON_FILE = {"English": ("The score on file:", "(New York time)"), "Spanish": ("La puntuación registrada:", "(hora de Nueva York)")}


@pytest.mark.parametrize("language", ["English", "Spanish"])
def test_the_score_on_file_is_said_with_the_clinics_zone(client, gen, language):
    case = gen.case(patient=gen.patient(language=language), state=State.FOLLOW_UP, side=Side.LEFT)
    gen.diary(case, injected_at=now() - timedelta(hours=2), entries={"t0": 7})
    entry = db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)).scalar_one()
    entry.entered_at = entry.felt_at = now() - timedelta(hours=3)
    db.session.commit()
    _, token = make_diary_link(case)

    page = soup(text(client.get(f"/d/{token}/entries/{entry.id}/correct")))
    lead, zone = ON_FILE[language]
    [line] = [p for p in page.find_all("p") if words(p).startswith(lead)]
    assert words(line).endswith(f"{zone}.")
