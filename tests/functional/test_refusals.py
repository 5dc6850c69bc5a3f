"""Services own their refusals: a refused save leaves nothing behind, a row changed underneath is
the domain's StaleEdit, and the one handler answers with the page the view declared."""
import pytest
from flask import get_flashed_messages
from sqlalchemy import update

from tracker.errors import back_to, on_refusal
from tracker.extensions import db
from tracker.models import Case
from tracker.refusals import StaleEdit
from tracker.review import services as review
from tracker.roles import Role
from tracker.workflow import State, TransitionRefused

from tests.builders import make_case, make_user


def test_a_refused_service_leaves_nothing_in_the_session(app_ctx):
    actor, case = make_user(Role.COORDINATOR), make_case(state=State.UNDER_REVIEW)
    case.reason = "typed before the refusal"
    with pytest.raises(StaleEdit):
        review.set_ongoing_rehab(case, True, case.version_id + 1, actor)
    assert not db.session.dirty
    assert db.session.get(Case, case.id).reason != "typed before the refusal"


def test_a_row_changed_underneath_is_refused_as_a_stale_edit_and_nothing_is_saved(app_ctx):
    actor, case = make_user(Role.COORDINATOR), make_case(state=State.UNDER_REVIEW)
    opened_on = case.version_id
    # Someone else saves the case between the form's version check and this save's write.
    db.session.execute(update(Case).where(Case.id == case.id).values(version_id=opened_on + 1,
                                                                     reason="theirs"))
    with pytest.raises(StaleEdit):
        review.set_ongoing_rehab(case, True, opened_on, actor)
    saved = db.session.get(Case, case.id)
    assert saved.ongoing_active_rehab is None


def test_a_refusal_is_answered_by_the_page_the_view_declared(app):
    with app.test_request_context("/cases/1/transition", method="POST"):
        on_refusal(back_to("/cases/1", stale="Changed by someone else."))
        response = app.make_response(app.handle_user_exception(StaleEdit()))
        assert response.status_code == 302 and response.location == "/cases/1"
        assert get_flashed_messages() == ["Changed by someone else."]


def test_a_refusal_no_view_declared_an_answer_for_still_says_why(app):
    with app.test_request_context("/cases/1/transition", method="POST"):
        response = app.make_response(app.handle_user_exception(
            TransitionRefused("Only a physician may start procedure.")))
        assert response.status_code == 409
        assert "Only a physician may start procedure." in response.get_data(as_text=True)
