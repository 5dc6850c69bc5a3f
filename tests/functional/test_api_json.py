"""The JSON API: the worklist with filters, paging and what each case waits for; a case with its
timeline; a day's appointments; a case's diary; every read audited; queries that do not grow."""
from datetime import datetime, timedelta, timezone

import pytest

from tracker.access import Role
from tracker.extensions import db
from tracker.models import AuditEvent, DiaryEntry, DiaryEntryRevision, RiskScreen
from tracker.vocab import Side
from tracker.workflow import State

from tests.api_support import bearer, episode, token_for
from tests.functional.test_diary_entry import patient  # noqa: F401 (fixture)
from tests.functional.test_diary_timed_from_injection import clock  # noqa: F401 (fixture)
from tests.functional.test_diary_times_said import given_then_corrected
from tests.functional.test_eligibility import OVERRIDE_REASON, documented_case, evaluate, override


@pytest.fixture
def headers(gen):
    return bearer(token_for(gen.user(Role.COORDINATOR)))


def test_the_worklist_says_what_each_case_waits_for_and_filters_and_pages(client, gen, headers):
    referred = gen.case(state=State.REFERRED, side=Side.RIGHT)
    gen.case(state=State.ELIGIBLE)
    gen.case(state=State.CLOSED)
    page = client.get("/api/v1/cases", headers=headers).get_json()
    assert page["total"] == 2  # open cases only, as the worklist
    by_id = {item["id"]: item for item in page["items"]}
    assert by_id[referred.id]["waiting_for"] == ["review to start"]
    assert by_id[referred.id]["patient"]["name"] == referred.patient.display_name
    only = client.get("/api/v1/cases?state=referred&side=right", headers=headers).get_json()
    assert [i["id"] for i in only["items"]] == [referred.id]
    paged = client.get("/api/v1/cases?per_page=1&page=2", headers=headers).get_json()
    assert (paged["page"], paged["pages"], paged["per_page"], len(paged["items"]), paged["has_next"]) == \
        (2, 2, 1, 1, False)
    first = client.get("/api/v1/cases?per_page=1&side=left", headers=headers).get_json()
    # A filter beyond state is never counted: the page says whether another follows.
    assert (first["total"], first["pages"], first["has_next"]) == (None, None, False)


def test_a_page_past_the_end_of_the_worklist_is_empty_with_no_next_page(client, gen, headers):
    """An integration reads until a page is empty: past the last page it must get no items (never
    the last page again, imported twice or forever), and `total` is there or not whatever the page."""
    for _ in range(3):
        gen.case(state=State.REFERRED, side=Side.RIGHT)
    last = client.get("/api/v1/cases?per_page=2&page=2", headers=headers).get_json()
    assert (last["page"], len(last["items"]), last["has_next"], last["total"], last["pages"]) == (2, 1, False, 3, 2)
    past = client.get("/api/v1/cases?per_page=2&page=7", headers=headers).get_json()
    assert (past["page"], past["items"], past["has_next"], past["total"], past["pages"]) == (7, [], False, 3, 2)
    # Filtered beyond state: never counted, on any page.
    for number, count in ((2, 1), (99, 0)):
        page = client.get(f"/api/v1/cases?side=right&per_page=2&page={number}", headers=headers).get_json()
        assert (page["page"], len(page["items"]), page["has_next"], page["total"], page["pages"]) == (
            number, count, False, None, None)


def test_a_page_past_the_end_of_a_days_appointments_is_empty_with_no_next_page(client, gen, headers):
    from tests.builders import clinic_at, clinic_day
    for minutes in (0, 30):
        gen.appointment(gen.case(state=State.SCHEDULED), starts_at=clinic_at(3, 12) + timedelta(minutes=minutes))
    day = clinic_day(3).isoformat()
    first = client.get(f"/api/v1/appointments?day={day}&per_page=1", headers=headers).get_json()
    assert (first["page"], len(first["items"]), first["has_next"]) == (1, 1, True)
    for number, count in ((2, 1), (5, 0)):
        page = client.get(f"/api/v1/appointments?day={day}&per_page=1&page={number}", headers=headers).get_json()
        assert (page["page"], len(page["items"]), page["has_next"], page["total"], page["pages"]) == (
            number, count, False, None, None)


def test_the_openapi_document_says_a_page_past_the_end_is_empty(client):
    document = client.get("/api/v1/openapi.json").get_json()
    [page] = [p for p in document["paths"]["/cases"]["get"]["parameters"] if p["name"] == "page"]
    assert "past the last page" in page["description"].lower() and "empty" in page["description"]


def test_a_bad_query_parameter_is_a_400_naming_it(client, headers):
    response = client.get("/api/v1/cases?state=lost&per_page=1000&q=a%00b", headers=headers)
    assert response.status_code == 400 and response.content_type == "application/problem+json"
    # The NUL never reaches the API: control characters are cleaned from every request
    # (tracker/inputs.py), so "a\x00b" arrives as the search "ab", which is a valid one.
    assert {e["field"] for e in response.get_json()["errors"]} == {"state", "per_page"}


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/appointments"])
def test_a_physician_id_that_is_no_physicians_is_a_400_naming_it(client, gen, headers, path):
    """An unknown physician is named as an unknown state or side is, not answered with an empty
    list a script would take for "no cases"; a deactivated physician's id is still a physician's."""
    coordinator = gen.user(Role.COORDINATOR)
    for unknown in (999999, coordinator.id):
        response = client.get(f"{path}?physician_id={unknown}", headers=headers)
        assert response.status_code == 400 and response.content_type == "application/problem+json"
        assert response.get_json()["errors"] == [
            {"field": "physician_id", "message": f"There is no physician with id {unknown}."}]
    retired = gen.user(Role.PHYSICIAN, active=False)
    assert client.get(f"{path}?physician_id={retired.id}", headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/appointments"])
def test_a_physician_given_another_role_is_still_a_physicians_id(client, gen, headers, path):
    moved = gen.user(Role.PHYSICIAN)
    case = gen.case(state=State.UNDER_REVIEW, physician=moved)
    moved.role = Role.COORDINATOR
    db.session.commit()

    response = client.get(f"{path}?physician_id={moved.id}", headers=headers)
    assert response.status_code == 200
    if path == "/api/v1/cases":
        assert [c["id"] for c in response.get_json()["items"]] == [case.id]


def test_the_openapi_document_says_an_unknown_physician_is_a_400(client):
    parameters = client.get("/api/v1/openapi.json").get_json()["paths"]["/cases"]["get"]["parameters"]
    [physician] = [p for p in parameters if p["name"] == "physician_id"]
    assert "no physician's" in physician["description"]


def test_the_worklist_api_keeps_a_fixed_number_of_queries(client, gen, headers, count_queries):
    counts = []
    for _ in range(2):
        for state in (State.REFERRED, State.UNDER_REVIEW, State.ELIGIBLE, State.SCHEDULED, State.FOLLOW_UP):
            gen.case(state=state)
        with count_queries() as counter:
            assert client.get("/api/v1/cases?per_page=100", headers=headers).status_code == 200
        counts.append(counter.n)
    assert counts[0] == counts[1], counts


def test_a_case_comes_with_its_referral_verdict_appointments_and_timeline(client, gen, headers):
    case = episode(gen, side=Side.LEFT)
    detail = client.get(f"/api/v1/cases/{case.id}", headers=headers).get_json()
    assert (detail["state"], detail["side"], detail["diagnosis_codes"]) == ("follow_up", "left", ["M46.1", "S33.6XXA"])
    assert [(t["from_state"], t["to_state"]) for t in detail["timeline"]][-1] == ("in_procedure", "follow_up")
    assert detail["verdict"]["criteria"] and detail["appointments"][0]["status"] == "done"
    assert client.get("/api/v1/cases/999999", headers=headers).status_code == 404


def test_a_closed_loop_case_comes_with_its_procedure_and_outcome(client, gen, headers):
    """What an outside system asks of an injected case: when it was started, injected and signed,
    by whom, and what the physician decided (each joint's result for a bilateral block)."""
    case = episode(gen, side=Side.BILATERAL)
    record = case.procedure_records[0]
    outcome = case.outcome
    outcome.diagnostic_result, outcome.side_results = None, {"left": "negative", "right": "positive"}
    db.session.commit()
    detail = client.get(f"/api/v1/cases/{case.id}", headers=headers).get_json()
    [procedure] = detail["procedures"]
    assert (procedure["status"], procedure["started_by"], procedure["signed_by"]) == (
        "signed", record.started_by.name, record.signed_by.name)
    assert datetime.fromisoformat(procedure["injected_at"]) == record.injected_at
    assert procedure["duration_minutes"] == record.duration_minutes and procedure["abandon_reason"] is None
    assert (procedure["side"], procedure["side_not_injected"], procedure["not_injected_reason"]) == (
        "bilateral", None, None), "both joints injected"
    assert detail["outcome"] == {
        "diagnostic_result": None,
        "results_by_joint": [{"side": "left", "result": "negative"}, {"side": "right", "result": "positive"}],
        "therapeutic_days": 42, "days_by_joint": [], "next_step": "rfa_evaluation", "decided_by": record.started_by.name,
        "decided_at": detail["outcome"]["decided_at"], "follow_on_case_id": None}
    # Before the procedure: no attempt and no outcome.
    waiting = client.get(f"/api/v1/cases/{gen.case(state=State.SCHEDULED).id}", headers=headers).get_json()
    assert (waiting["procedures"], waiting["outcome"]) == ([], None)


def test_a_verdict_a_physician_overrode_comes_with_the_physician_and_the_time(
        client, coordinator, gen, headers, make_client, login_as):
    """`eligible` is what the profile's criteria said; the override, its author and its time say
    why the case is eligible all the same, as on every page that shows the verdict."""
    case = documented_case(gen, care_days=27)  # 27 days of care: not eligible under Medicare
    evaluate(client, case)
    override(login_as(gen.user(Role.PHYSICIAN, name="Dr Amara Osei"), on=make_client()), case, OVERRIDE_REASON)
    db.session.expire_all()
    verdict = client.get(f"/api/v1/cases/{case.id}", headers=headers).get_json()["verdict"]
    assert (verdict["eligible"], verdict["override_reason"], verdict["override_by"]) == (
        False, OVERRIDE_REASON, "Dr Amara Osei")
    assert datetime.fromisoformat(verdict["override_at"]) == case.current_verdict.override_at
    evaluated = documented_case(gen)
    evaluate(client, evaluated)
    verdict = client.get(f"/api/v1/cases/{evaluated.id}", headers=headers).get_json()["verdict"]
    assert (verdict["eligible"], verdict["override_by"], verdict["override_at"]) == (True, None, None)


def test_a_days_appointments_with_readiness(client, gen, headers):
    case = gen.case(state=State.SCHEDULED)
    db.session.add(RiskScreen(case_id=case.id, anticoagulant_answer="none", allergy_answer="nkda",
                              red_flags_screened=True))
    soon = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=10)
    appointment = gen.appointment(case, starts_at=soon)
    gen.appointment(gen.case(state=State.SCHEDULED), starts_at=soon + timedelta(days=3))
    from tracker.timeutil import to_clinic
    day = to_clinic(soon).date().isoformat()
    page = client.get(f"/api/v1/appointments?day={day}", headers=headers).get_json()
    assert [i["id"] for i in page["items"]] == [appointment.id] and page["day"] == day
    assert page["items"][0]["ready"] is False
    # The items alone, as a list: no "Still needed:" label repeated in the value.
    assert page["items"][0]["still_needed"] == ["consent", "day-of check"]
    appointment.consent_obtained = appointment.day_of_check_done = True
    db.session.commit()
    page = client.get(f"/api/v1/appointments?day={day}", headers=headers).get_json()
    assert page["items"][0]["ready"] is True and page["items"][0]["still_needed"] == []


def test_a_cases_diary_shows_each_score_with_the_time_it_describes_and_late_ones_marked(client, gen, headers):
    case = episode(gen, side=Side.RIGHT)
    diary = client.get(f"/api/v1/cases/{case.id}/diary", headers=headers).get_json()
    points = {p["code"]: p for p in diary["points"]}
    assert points["t0"]["scores"][0]["score"] == 7 and points["t0"]["phase"] == "baseline"
    [late] = points["h2"]["scores"]
    assert late["late"] is True
    assert datetime.fromisoformat(late["entered_at"]) > datetime.fromisoformat(points["h2"]["closes_at"])


def test_a_corrected_diary_score_gives_when_it_was_first_entered_and_when_it_was_corrected(
        client, make_client, gen, login_as, patient, clock, headers):  # noqa: F811
    """As the diary page and its CSV: a 15-minute score given at 14:38 and corrected at 14:47 was
    entered at 14:38, corrected at 14:47; a score never corrected has no correction time."""
    case, given, corrected = given_then_corrected(client, gen, login_as, patient, clock)
    diary = make_client().get(f"/api/v1/cases/{case.id}/diary", headers=headers).get_json()
    points = {p["code"]: p for p in diary["points"]}
    [score] = points["m15"]["scores"]
    assert (score["score"], score["corrected"]) == (4, True)
    assert datetime.fromisoformat(score["entered_at"]) == given
    assert datetime.fromisoformat(score["corrected_at"]) == corrected
    [baseline] = points["t0"]["scores"]
    assert (baseline["corrected"], baseline["corrected_at"]) == (False, None)


def test_a_cases_diary_keeps_a_fixed_number_of_queries_however_many_corrections(
        client, gen, headers, count_queries):
    case = episode(gen, side=Side.BILATERAL)
    url = f"/api/v1/cases/{case.id}/diary"
    counts = []
    for _ in range(2):
        db.session.expire_all()
        with count_queries() as counter:
            assert client.get(url, headers=headers).status_code == 200
        counts.append(counter.n)
        # Then every score corrected twice.
        for entry in db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)).scalars():
            for _ in range(2):
                entry.revisions.append(DiaryEntryRevision(
                    score=entry.score, entered_at=entry.entered_at, source=entry.source,
                    replaced_at=entry.entered_at, reason="Typed the wrong number"))
        db.session.commit()
    assert counts[0] == counts[1], counts


def test_every_api_read_is_audited(client, gen):
    user = gen.user(Role.PHYSICIAN)
    raw = token_for(user)
    case = gen.case()
    client.get("/api/v1/cases", headers=bearer(raw))
    client.get(f"/api/v1/cases/{case.id}/diary", headers=bearer(raw))
    rows = db.session.execute(db.select(AuditEvent).filter_by(user_id=user.id, action="view")
                              .order_by(AuditEvent.id)).scalars().all()
    assert [(r.object_type, r.summary) for r in rows] == [
        ("worklist", "API GET /api/v1/cases"), ("case", f"API GET /api/v1/cases/{case.id}/diary")]
