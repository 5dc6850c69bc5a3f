"""The case page, its timeline, and state changes through the real forms."""
from datetime import date

import pytest

from tracker.diary.services import correct_entry
from tracker.extensions import db
from tracker.models import AuditEvent, CaseHistory, DiaryEntry, DiaryPoint, Examination, RiskScreen
from tracker.roles import Role
from tracker.vocab import EntrySource
from tracker.workflow import State

from tests.builders import diary, followed_up, make_diary_link, make_injection
from tests.helpers import sign_in, soup, submit

# What the case page costs (SQL statements, the signed-in user's own row and the audit row of the
# view among them): a change that reads one more thing per request fails here, and says so.
ELIGIBLE_CASE_QUERIES = 7
# One of them reads the patient's other open cases with their risk screens (do they agree on blood thinners?).
FOLLOW_UP_CASE_QUERIES = 10


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


def test_a_reason_over_its_limit_is_refused_next_to_it_with_the_text_kept(client, coordinator, gen):
    # It was a bare 400 page, and the 2,100 characters typed were gone.
    from tests.helpers import soup, text

    case = gen.case(state=State.UNDER_REVIEW)
    typed = "Moved out of area; " * 110 + "end"
    page_before = soup(text(client.get(f"/cases/{case.id}")))
    assert "Up to 2000 characters." in page_before.find("details", class_="reasoned").get_text()
    refused = submit(client, f"/cases/{case.id}/transition",
                     {"action": "cancel", "version_id": case.version_id, "reason": typed},
                     form_page=f"/cases/{case.id}")
    assert refused.status_code == 422
    page = soup(text(refused))
    box = page.find("textarea", id="reason-cancel")
    assert box.get_text() == typed and box["aria-invalid"] == "true"
    assert box.find_parent("details").has_attr("open")
    error = page.find(id="reason-cancel-error").get_text()
    assert f"Up to 2000 characters: this has {len(typed)}, {len(typed) - 2000} too many." in error
    db.session.expire_all()
    assert case.state == State.UNDER_REVIEW


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


def test_the_case_page_leads_to_the_patients_record_for_those_who_may_open_it(client, make_client, coordinator, gen):
    case = gen.case(state=State.UNDER_REVIEW)
    record = f'href="/patients/{case.patient_id}"'
    assert record in client.get(f"/cases/{case.id}").get_data(as_text=True)
    admin = make_client()
    sign_in(admin, gen.user(Role.ADMIN))
    page = admin.get(f"/cases/{case.id}")
    assert page.status_code == 200 and record not in page.get_data(as_text=True)


def test_viewing_a_case_is_audited(client, coordinator, gen):
    case = gen.case()
    client.get(f"/cases/{case.id}")
    event = db.session.execute(db.select(AuditEvent).filter_by(action="view", object_id=str(case.id))).scalar_one()
    assert event.user_id == coordinator.id


@pytest.mark.parametrize("page, summary", [("conservative-care", "viewed conservative care"),
                                           ("examination", "viewed examination"),
                                           ("risk-screen", "viewed risk screen")])
def test_opening_each_review_page_is_audited_as_a_view_of_the_case(client, coordinator, gen, page, summary):
    case = gen.case(state=State.UNDER_REVIEW)
    assert client.get(f"/cases/{case.id}/{page}").status_code == 200
    event = db.session.execute(db.select(AuditEvent).filter_by(action="view", object_id=str(case.id))
                               ).scalar_one()
    assert (event.user_id, event.object_type, event.summary) == (coordinator.id, "case", summary)


def test_the_case_page_runs_the_same_number_of_queries_for_1_and_8_earlier_cases(
        client, coordinator, gen, count_queries):
    # Earlier injections count towards caps and spacing, so the page reads the patient's other
    # cases and their history: in a fixed number of queries, not one per earlier case.
    patient = gen.patient()
    case = gen.case(patient=patient, state=State.ELIGIBLE)

    url = f"/cases/{case.id}"

    def queries():
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.n

    def injected_before():
        earlier = gen.case(patient=patient, state=State.CLOSED)
        db.session.add(CaseHistory(case=earlier, action="start_procedure", from_state=State.SCHEDULED,
                                   to_state=State.IN_PROCEDURE))
        db.session.commit()

    injected_before()
    few = queries()
    for _ in range(7):
        injected_before()
    assert queries() == few == ELIGIBLE_CASE_QUERIES


def test_the_case_page_reads_a_full_record_in_the_same_number_of_queries_however_much_it_holds(
        client, coordinator, gen, count_queries):
    # A case in follow-up shows everything: verdict, care, examination, risk screen, appointment,
    # signed procedure, diary with entries, personal link, the patient's earlier injections. More
    # of any of them adds no query.
    physician = gen.user(Role.PHYSICIAN)
    patient = gen.patient(email="patient@home.example", phone="+1 201 555 0100")
    make_injection(patient, days_ago=400)
    case = followed_up(gen, physician, scores={"t0": 8, "m30": 2}, patient=patient)
    db.session.add_all([Examination(case_id=case.id, baseline_nrs=7, pain_below_l5=True),
                        RiskScreen(case_id=case.id, red_flags_screened=True)])
    gen.therapy(case)
    make_diary_link(case, sent_to="patient@home.example")

    url = f"/cases/{case.id}"

    def queries():
        with count_queries() as counter:
            page = client.get(url).get_data(as_text=True)
        assert "Pain diary" in page and "Procedure note" in page and "Sent to" in page
        return counter.n

    few = queries()
    for days_ago in (200, 300):
        make_injection(patient, days_ago=days_ago)
    gen.therapy(case, start_date=date(2026, 3, 1), end_date=date(2026, 4, 1))
    diary(case, {"h1": 1, "h2": 2, "h4": 3, "d1": 3})
    # Others' work names them: a correction by phone, a new link.
    # (Day 1's: the block's scores are fixed once their time has passed.)
    entry = db.session.execute(db.select(DiaryEntry).join(DiaryEntry.point)
                               .filter(DiaryEntry.case_id == case.id, DiaryPoint.point_code == "d1")).scalar_one()
    correct_entry(entry, 5, {}, "misheard", entry.version_id, EntrySource.STAFF_PHONE, actor=gen.user(Role.PHYSICIAN))
    make_diary_link(case, created_by=gen.user(Role.COORDINATOR), sent_to="patient@home.example")
    assert queries() == few == FOLLOW_UP_CASE_QUERIES


def test_a_booked_case_offers_only_the_referral_notes_and_still_the_review_pages(client, coordinator, gen):
    eligible = gen.case(state=State.ELIGIBLE)
    assert f'href="/referrals/cases/{eligible.id}"' in client.get(f"/cases/{eligible.id}").get_data(as_text=True)
    case = gen.case(state=State.SCHEDULED)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'href="/referrals/cases/{case.id}"' in page  # who referred and the reason only
    edit = client.get(f"/referrals/cases/{case.id}").get_data(as_text=True)
    assert 'name="referring_clinician"' in edit and 'name="side"' not in edit
    assert f'href="/cases/{case.id}/examination"' in page


@pytest.mark.parametrize("state, badge", [(State.ELIGIBLE, True), (State.SCHEDULED, True),
                                          (State.CANCELLED, False), (State.CLOSED, False)])
def test_the_overrides_badge_is_shown_while_it_clears_the_case_and_quietly_after(
        client, coordinator, gen, physician, state, badge):
    case = gen.case(state=state)
    verdict = gen.verdict(case, eligible=False)
    at = verdict.evaluated_at
    verdict.override_reason, verdict.override_by_id, verdict.override_at = "Clear history of SI pain", physician.id, at
    db.session.commit()
    header = soup(client.get(f"/cases/{case.id}").get_data(as_text=True)).find("hgroup")
    shown = header.find("span", class_="badge", string="Eligible by physician override")
    assert (shown is not None) == badge
    assert (header.find(class_="override-history") is not None) == (not badge)


def test_a_case_past_its_booking_says_what_it_waits_for_not_that_nothing_can_be_done(client, gen, login_as):
    # The physician opening a case in follow-up read "No change is available to you at this
    # stage." above the diary whose outcome she is to record: the next step is below, not none.
    physician = gen.user(Role.PHYSICIAN)
    case = followed_up(gen, physician, scores={"t0": 8, "m30": 2})
    login_as(physician)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert "No change is available to you at this stage." not in page
    assert soup(page).find(id="waiting-for").get_text(" ", strip=True) == "Waiting for: pain diary and outcome (below)."
