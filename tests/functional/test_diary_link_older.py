"""Each diary link sent replaces the one before (a new link after STOP and START, a re-send), and a
text thread keeps them all: a patient tapping an older one is pointed to the newer one she may
have, not only told to ask the clinic for a new one (which would replace the one she has)."""
import pytest

from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import make_diary_link, now
from tests.helpers import soup, text, words

SAID = {"en": "If the clinic has sent you a newer link, open that one instead.",
        "es": "Si la clínica le ha enviado un enlace más reciente, abra ese."}


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_older_link_points_to_the_newer_one(client, gen, language):
    case = gen.case(state=State.FOLLOW_UP, side=Side.LEFT)
    _, old = make_diary_link(case, revoked_at=now())
    make_diary_link(case)
    page = client.get(f"/d/{old}", headers={"Accept-Language": language})
    assert page.status_code == 404
    assert SAID[language] in words(soup(text(page)).find("main"))
