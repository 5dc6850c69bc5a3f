"""Referral intake, the case page and its timeline, and state changes through the real forms."""
from datetime import date, timedelta

import pytest

from tracker.access import Role
from tracker.extensions import db
from tracker.models import AuditEvent, Case, CaseHistory, Patient
from tracker.workflow import State

from tests.conftest import submit

REFERRAL = {
    "mrn": "A-100200", "family_name": "Okonkwo", "given_name": "Ada", "date_of_birth": "1970-03-14",
    "sex": "female", "phone": "+1 555 0100", "email": "ada@example.org", "preferred_contact": "email",
    "language": "English", "referring_clinician": "Dr Marsh", "referral_date": "2026-11-02",
    "side": "right", "indication": "diagnostic", "reason": "Buttock pain on sit-to-stand",
}


@pytest.fixture
def coordinator(gen, login_as, client):
    user = gen.user(Role.COORDINATOR)
    login_as(user)
    return user


def test_coordinator_logs_a_referral_and_sees_the_new_case(client, coordinator):
    response = submit(client, "/cases/new", REFERRAL, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Referral logged for Okonkwo, Ada" in page
    assert "Referred" in page and "Right" in page
    case = db.session.execute(db.select(Case)).scalar_one()
    assert case.state == State.REFERRED and case.patient.mrn == "A-100200"
    assert [h.to_state for h in case.history] == [State.REFERRED]


def test_bad_referral_input_is_explained_next_to_the_field_and_nothing_typed_is_lost(client, coordinator):
    future = (date.today() + timedelta(days=30)).isoformat()
    response = submit(client, "/cases/new", {**REFERRAL, "referral_date": future, "email": "not-an-email",
                                             "family_name": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This date is in the future" in page
    assert "Enter a valid email address." in page
    assert "Enter the family name." in page
    assert 'value="A-100200"' in page and "Buttock pain on sit-to-stand" in page
    assert db.session.execute(db.select(db.func.count(Case.id))).scalar() == 0


def test_a_known_mrn_attaches_the_referral_to_the_same_patient(client, coordinator, gen):
    gen.patient(mrn="A-100200", family_name="Okonkwo", given_name="Ada", date_of_birth=date(1970, 3, 14))
    submit(client, "/cases/new", REFERRAL)
    assert db.session.execute(db.select(db.func.count(Patient.id))).scalar() == 1
    assert db.session.execute(db.select(db.func.count(Case.id))).scalar() == 1


def test_a_known_mrn_with_another_name_is_refused_and_nothing_is_saved(client, coordinator, gen):
    gen.patient(mrn="A-100200", family_name="Someone", given_name="Else", date_of_birth=date(1950, 1, 1))
    response = submit(client, "/cases/new", REFERRAL)
    page = response.get_data(as_text=True)
    assert "belongs to a patient with another name or date of birth" in page
    assert 'value="Okonkwo"' in page
    assert db.session.execute(db.select(db.func.count(Case.id))).scalar() == 0


def test_starting_the_review_moves_the_case_and_adds_to_the_timeline(client, coordinator, gen):
    case = gen.case(state=State.REFERRED)
    response = submit(client, f"/cases/{case.id}/transition",
                      {"action": "start_review", "version_id": case.version_id, "reason": ""},
                      form_page=f"/cases/{case.id}", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Case is now under review" in page
    db.session.expire_all()
    assert case.state == State.UNDER_REVIEW
    last = case.history[-1]
    assert (last.from_state, last.to_state, last.actor_id) == (State.REFERRED, State.UNDER_REVIEW, coordinator.id)
    assert db.session.execute(db.select(AuditEvent).filter_by(action="transition")).scalar_one()


def test_cancelling_needs_a_reason_which_the_timeline_then_shows(client, coordinator, gen):
    case = gen.case(state=State.UNDER_REVIEW)
    refused = submit(client, f"/cases/{case.id}/transition",
                     {"action": "cancel", "version_id": case.version_id, "reason": ""},
                     form_page=f"/cases/{case.id}", follow_redirects=True)
    assert "A reason is required to cancel case" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert case.state == State.UNDER_REVIEW
    done = submit(client, f"/cases/{case.id}/transition",
                  {"action": "cancel", "version_id": case.version_id, "reason": "Moved out of area"},
                  form_page=f"/cases/{case.id}", follow_redirects=True)
    assert "Reason: Moved out of area" in done.get_data(as_text=True)


def test_a_transition_not_offered_to_the_role_is_refused(client, coordinator, gen):
    case = gen.case(state=State.UNDER_REVIEW)
    response = submit(client, f"/cases/{case.id}/transition",
                      {"action": "return_to_referral", "version_id": case.version_id, "reason": "x"},
                      form_page=f"/cases/{case.id}", follow_redirects=True)
    assert "not available" in response.get_data(as_text=True)
    db.session.expire_all()
    assert case.state == State.UNDER_REVIEW


def test_a_change_from_a_stale_page_is_refused_and_the_first_change_stays(client, make_client, coordinator,
                                                                         gen, login_as):
    case = gen.case(state=State.REFERRED)
    stale_version = case.version_id
    other = login_as(gen.user(Role.PHYSICIAN), on=make_client())
    submit(other, f"/cases/{case.id}/transition",
           {"action": "start_review", "version_id": stale_version, "reason": ""}, form_page=f"/cases/{case.id}")
    response = submit(client, f"/cases/{case.id}/transition",
                      {"action": "cancel", "version_id": stale_version, "reason": "duplicate"},
                      form_page=f"/cases/{case.id}", follow_redirects=True)
    assert "changed by someone else" in response.get_data(as_text=True)
    db.session.expire_all()
    assert case.state == State.UNDER_REVIEW


def test_state_history_and_audit_commit_together_or_not_at_all(client, coordinator, gen, monkeypatch):
    case = gen.case(state=State.REFERRED)
    history_before = db.session.execute(db.select(db.func.count(CaseHistory.id))).scalar()

    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("tracker.cases.services.audit.record", broken_audit)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = submit(client, f"/cases/{case.id}/transition",
                          {"action": "start_review", "version_id": case.version_id, "reason": ""},
                          form_page=f"/cases/{case.id}")
    finally:
        client.application.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    db.session.expire_all()
    assert case.state == State.REFERRED
    assert db.session.execute(db.select(db.func.count(CaseHistory.id))).scalar() == history_before


def test_viewing_a_case_is_audited(client, coordinator, gen):
    case = gen.case()
    client.get(f"/cases/{case.id}")
    event = db.session.execute(db.select(AuditEvent).filter_by(action="view", object_id=str(case.id))).scalar_one()
    assert event.user_id == coordinator.id


def test_worklist_counts_cases_per_state_and_filters(client, coordinator, gen):
    gen.case(state=State.REFERRED, patient=gen.patient(family_name="Zephyr"))
    gen.case(state=State.REFERRED)
    gen.case(state=State.SCHEDULED)
    page = client.get("/cases/").get_data(as_text=True)
    assert "Referred: <strong>2</strong>" in page and "Scheduled: <strong>1</strong>" in page
    filtered = client.get("/cases/?state=scheduled").get_data(as_text=True)
    assert "Zephyr" not in filtered
    searched = client.get("/cases/?q=zeph").get_data(as_text=True)
    assert "Zephyr" in searched


def test_worklist_pages_through_many_cases(client, coordinator, gen):
    patient = gen.patient()
    for _ in range(30):
        gen.case(patient=patient)
    first = client.get("/cases/").get_data(as_text=True)
    assert "Page 1 of 2 (30 in all)" in first
    second = client.get("/cases/?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second


def test_worklist_query_count_does_not_grow_with_the_cases(client, coordinator, gen, count_queries):
    def queries_for_page():
        with count_queries() as counter:
            assert client.get("/cases/").status_code == 200
        return counter.n

    for _ in range(3):
        gen.case(patient=gen.patient(), physician=coordinator)
    few = queries_for_page()
    for _ in range(22):
        gen.case(patient=gen.patient(), physician=coordinator)
    many = queries_for_page()
    assert few == many
