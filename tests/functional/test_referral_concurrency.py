"""The same new-referral form sent twice at the same moment (a double click on a slow link, a
browser's retry, two coordinators logging the same faxed referral) opens one case; the other is
refused with the "already an open case on this side" warning, as a second referral sent later is.

Each submit is a real form post (CSRF on) from its own client in its own thread, so its own
request, database session and connection (tests.helpers.post_together). A barrier releases the posts together, and the open-case check (which runs
after the patient's lock is taken) is slowed down so that, without the lock, both would find no
open case before either wrote. The lock itself is not touched.

Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL); on SQLite the second request waits for the
database's write lock rather than fail with "database is locked".
"""
import time

import pytest

from tracker.extensions import db
from tracker.models import Case
from tracker.referrals import services
from tracker.roles import Role
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import REFERRAL
from tests.helpers import post_together, sign_in, soup, words

SLOW_CHECK_SECONDS = 0.3
THREAD_TIMEOUT = 60


@pytest.fixture
def slow_open_case_check(monkeypatch):
    """Make the open-case check (run after the patient's lock is taken) slow, widening the window in
    which two unlocked referrals would both find no open case."""
    original = services.open_cases_on_side

    def slow_check(*args, **kwargs):
        time.sleep(SLOW_CHECK_SECONDS)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "open_cases_on_side", slow_check)


def _open_cases(patient):
    db.session.expire_all()
    return db.session.execute(db.select(Case).filter_by(patient_id=patient.id).filter(
        Case.state.notin_((State.CLOSED, State.CANCELLED))).order_by(Case.id)).scalars().all()


def _signed_in_clients(make_client, gen, count):
    clients = []
    for i in range(count):
        client = make_client()
        user = gen.user(Role.COORDINATOR, name=f"Coordinator {i}", email=f"coordinator{i}@clinic.example")
        assert sign_in(client, user).status_code == 302
        clients.append(client)
    return clients


@pytest.mark.parametrize("sent", [2, 4])
def test_the_same_referral_sent_at_the_same_moment_opens_one_case_and_the_others_are_warned(
        app, make_client, gen, slow_open_case_check, sent):
    database = db.engine.dialect.name
    patient = gen.patient(family_name="Clicker", given_name="Double")
    right = gen.case(patient=patient, state=State.UNDER_REVIEW, side=Side.RIGHT)
    clients = _signed_in_clients(make_client, gen, sent)
    url = f"/referrals/patients/{patient.id}/new"

    answers = post_together(clients, url, [{**REFERRAL, "side": "left"}] * sent, THREAD_TIMEOUT)

    logged = [a for a in answers if a.status_code == 302]
    warned = [a.get_data(as_text=True) for a in answers if a.status_code == 422]
    assert len(logged) == 1 and len(warned) == sent - 1, (
        f"on {database}: expected one case and {sent - 1} warnings, got {[a.status_code for a in answers]}")
    cases = _open_cases(patient)
    assert [c.side for c in cases] == [Side.RIGHT, Side.LEFT], f"on {database}: {[(c.id, c.side) for c in cases]}"
    left = cases[1]
    assert logged[0].location.endswith(f"/cases/{left.id}")
    for page in warned:
        # Refused as a second referral sent later is: the open case named, the box to confirm.
        assert "Already an open case on this side" in page
        assert f'href="/cases/{left.id}"' in page and f'href="/cases/{right.id}"' not in page
        assert "tick this box to log this referral as well" in words(soup(page))


def test_a_confirmed_referral_sent_at_the_same_moment_as_an_unconfirmed_one_opens_one_case(
        app, make_client, gen, slow_open_case_check):
    """The lock serialises the check. A confirmation covers the open cases its user was shown
    (none here): whichever is checked second finds the case the first opened and is refused,
    listing it, so one case is opened whatever the order."""
    patient = gen.patient(family_name="Racer", given_name="Rita")
    clients = _signed_in_clients(make_client, gen, 2)
    url = f"/referrals/patients/{patient.id}/new"
    forms = [{**REFERRAL, "side": "right"}, {**REFERRAL, "side": "right", "confirm_second_referral": "y"}]
    statuses = sorted(a.status_code for a in post_together(clients, url, forms, THREAD_TIMEOUT))
    cases = _open_cases(patient)
    assert (statuses, len(cases)) == ([302, 422], 1), (statuses, [c.id for c in cases])


def test_the_same_confirmation_sent_twice_at_the_same_moment_opens_one_case(
        app, make_client, gen, slow_open_case_check):
    patient = gen.patient(family_name="Doubled", given_name="Dora")
    left = gen.case(patient=patient, state=State.UNDER_REVIEW, side=Side.LEFT)
    clients = _signed_in_clients(make_client, gen, 2)
    url = f"/referrals/patients/{patient.id}/new"
    confirmation = {**REFERRAL, "side": "left", "confirm_second_referral": "y", "seen_open_cases": str(left.id)}
    statuses = sorted(a.status_code for a in post_together(clients, url, [confirmation] * 2, THREAD_TIMEOUT))
    assert statuses == [302, 422] and len(_open_cases(patient)) == 2
