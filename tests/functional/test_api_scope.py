"""What a token lists follows its account's role, as the web app does (README "JSON API"): a
physician's token lists the physician's list (their own cases in the states a physician acts
on, and unassigned ones), never the coordinators' whole worklist, which the physician's web role
is refused; a coordinator's token lists the whole worklist."""
import re

import pytest

from tracker.access import Role
from tracker.vocab import Side
from tracker.workflow import State

from tests.api_support import bearer, token_for
from tests.helpers import links


@pytest.fixture
def clinic(gen):
    physician = gen.user(Role.PHYSICIAN, name="Dr Amara Osei")
    other = gen.user(Role.PHYSICIAN, name="Dr Other")
    cases = {
        "mine scheduled": gen.case(state=State.SCHEDULED, physician=physician, side=Side.LEFT),
        "mine under review": gen.case(state=State.UNDER_REVIEW, physician=physician, side=Side.RIGHT),
        "unassigned follow-up": gen.case(state=State.FOLLOW_UP, side=Side.RIGHT),
        # The coordinators' alone: a case under review nobody is assigned to, cases before review,
        # another physician's.
        "unassigned under review": gen.case(state=State.UNDER_REVIEW),
        "mine referred": gen.case(state=State.REFERRED, physician=physician),
        "mine eligible": gen.case(state=State.ELIGIBLE, physician=physician),
        "other's scheduled": gen.case(state=State.SCHEDULED, physician=other),
    }
    return physician, other, {name: case.id for name, case in cases.items()}


def _ids(response):
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["items"]}


def _web_list(client, physician, login_as):
    page = login_as(physician, on=client()).get("/cases/physician")
    assert page.status_code == 200
    return {int(href.rsplit("/", 1)[1]) for href in links(page) if re.fullmatch(r"/cases/\d+", href)}


def test_a_physicians_token_lists_the_physicians_own_list_as_the_web_page_shows_it(
        client, clinic, make_client, login_as):
    physician, _other, ids = clinic
    listed = _ids(client.get("/api/v1/cases?per_page=100", headers=bearer(token_for(physician))))
    assert listed == {ids["mine scheduled"], ids["mine under review"], ids["unassigned follow-up"]}
    assert listed == _web_list(make_client, physician, login_as)


def test_a_coordinators_token_still_lists_the_whole_worklist(client, clinic, gen):
    _physician, _other, ids = clinic
    listed = _ids(client.get("/api/v1/cases?per_page=100", headers=bearer(token_for(gen.user(Role.COORDINATOR)))))
    assert listed == set(ids.values())


def test_a_physicians_token_narrows_its_own_list_with_the_filters(client, clinic):
    physician, _other, ids = clinic
    headers = bearer(token_for(physician))
    assert _ids(client.get("/api/v1/cases?state=scheduled", headers=headers)) == {ids["mine scheduled"]}
    assert _ids(client.get("/api/v1/cases?side=right", headers=headers)) == {
        ids["mine under review"], ids["unassigned follow-up"]}
    # Their own id: their own cases, without the unassigned ones.
    assert _ids(client.get(f"/api/v1/cases?physician_id={physician.id}", headers=headers)) == {
        ids["mine scheduled"], ids["mine under review"]}
    assert _ids(client.get("/api/v1/cases?sort=name&q=zzzz", headers=headers)) == set()


def test_a_physicians_token_asking_for_what_their_list_does_not_hold_is_refused_naming_it(client, clinic):
    physician, other, _ids_ = clinic
    headers = bearer(token_for(physician))
    for query, field in ((f"physician_id={other.id}", "physician_id"), ("state=referred", "state"),
                         ("state=eligible", "state")):
        response = client.get(f"/api/v1/cases?{query}", headers=headers)
        assert response.status_code == 403 and response.content_type == "application/problem+json", query
        body = response.get_json()
        assert [e["field"] for e in body["errors"]] == [field], body
        assert "physician" in body["detail"] and "/cases/physician" in body["detail"], body
    [error] = client.get("/api/v1/cases?state=referred", headers=headers).get_json()["errors"]
    assert "under_review, not_eligible, scheduled, in_procedure, follow_up" in error["message"]


def test_the_openapi_document_says_a_physicians_token_lists_the_physicians_list(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/cases"]["get"]
    assert "physician's token" in operation["description"]
    assert "physician" in operation["responses"]["403"]["description"]
