"""The worklist at scale: per-state counts are kept (never counted per request), and filtered lists
page without counting the whole filtered table."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from tracker.cases.counts import state_counts
from tracker.cases.services import transition
from tracker.extensions import db
from tracker.models import Case, Patient
from tracker.timeutil import clinic_today
from tracker.workflow import State

from tests.builders import correct_mrn_in_a_register
from tests.helpers import links


def case_links(page):
    return [href for href in links(page) if re.fullmatch(r"/cases/\d+", href)]


def counted():
    return {state: n for state, n in
            db.session.execute(db.select(Case.state, db.func.count()).group_by(Case.state)).all()}


def kept():
    return {state: n for state, n in state_counts(db.session).items() if n}


def test_kept_counts_follow_new_cases_transitions_and_cancellations(app_ctx, gen, coordinator):
    first = gen.case(state=State.REFERRED)
    gen.case(state=State.REFERRED)
    gen.case(state=State.SCHEDULED)
    assert kept() == counted() == {State.REFERRED: 2, State.SCHEDULED: 1}
    transition(first, "start_review", coordinator)
    transition(first, "cancel", coordinator, reason="patient moved away")
    assert kept() == counted() == {State.REFERRED: 1, State.SCHEDULED: 1, State.CANCELLED: 1}


def test_a_rolled_back_change_leaves_the_counts_as_they_were(app_ctx, gen, coordinator):
    case = gen.case(state=State.REFERRED)
    case.state = State.UNDER_REVIEW
    db.session.flush()
    assert kept() == {State.UNDER_REVIEW: 1}
    db.session.rollback()
    assert kept() == counted() == {State.REFERRED: 1}


def test_the_worklist_never_counts_the_cases_table(client, coordinator, gen, count_queries):
    for _ in range(3):
        gen.case(state=State.UNDER_REVIEW)
    for query in ("", "?state=under_review", "?side=left", "?q=smith", "?sort=name"):
        with count_queries() as counter:
            assert client.get(f"/cases/{query}").status_code == 200
        counts = [s for s in counter.statements if re.search(r"count\s*\(", s, re.I)]
        assert counts == [], (query, counts)


def test_a_filtered_list_pages_with_previous_and_next(client, coordinator, gen):
    for i in range(30):
        gen.case(state=State.UNDER_REVIEW, side="left", patient=gen.patient(family_name=f"Pager{i:02d}"))
    first = client.get("/cases/?side=left").get_data(as_text=True)
    assert "Page 1</li>" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/cases/?side=left&page=2").get_data(as_text=True)
    assert "Page 2</li>" in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert len(case_links(second)) == 5


def test_a_page_past_the_end_of_a_filtered_list_shows_the_last(client, coordinator, gen):
    for i in range(27):
        gen.case(state=State.UNDER_REVIEW, side="right", patient=gen.patient(family_name=f"Late{i:02d}"))
    html = client.get("/cases/?side=right&page=9").get_data(as_text=True)
    assert "Page 2 of 2 (27 in all)" in html and len(case_links(html)) == 2


def test_the_migration_fills_the_counts_from_existing_cases(app_ctx, gen):
    gen.case(state=State.ELIGIBLE)
    gen.case(state=State.ELIGIBLE)
    db.session.execute(text("DELETE FROM case_state_counts"))
    from tracker.cases.counts import rebuild_state_counts_sql
    for statement in rebuild_state_counts_sql().split(";"):
        db.session.execute(text(statement))
    assert kept() == {State.ELIGIBLE: 2}


# ---------------------------------------------------------------- kept lines and the clock

def _under_review_with_ongoing_care(gen, started_days_ago):
    from datetime import timedelta
    from tracker.timeutil import clinic_today
    from tracker.vocab import Side
    case = gen.case(state=State.UNDER_REVIEW, side=Side.LEFT, patient=gen.patient(family_name="Clock"))
    gen.therapy(case, start_date=clinic_today() - timedelta(days=started_days_ago), end_date=None)
    return case


def _three_of_four_weeks():
    """The line of a case whose failed care began 22 days ago and goes on: 23 days, 28 on the 5th day from now."""
    return f"conservative care 3 of 4 weeks, enough on {(clinic_today() + timedelta(days=5)).isoformat()}"


def _days_later(monkeypatch, days):
    from datetime import timedelta
    import tracker.timeutil
    real = tracker.timeutil.utcnow
    monkeypatch.setattr(tracker.timeutil, "utcnow", lambda: real() + timedelta(days=days))


def test_a_line_is_kept_when_the_record_changes_and_read_without_the_engine(client, coordinator, gen,
                                                                          monkeypatch):
    from tracker.models import CaseRow, Examination
    from tracker.vocab import ProvocationResult
    case = _under_review_with_ongoing_care(gen, 22)
    db.session.add(Examination(case=case, faber_left=ProvocationResult.POSITIVE,
                               gaenslen_left=ProvocationResult.POSITIVE))
    db.session.commit()
    kept_line = db.session.get(CaseRow, case.id).waiting_for
    assert "provocation tests not done (left: 4)" in kept_line and _three_of_four_weeks() in kept_line
    import tracker.cases.rows as rows
    monkeypatch.setattr(rows, "current_assessment", lambda *a, **k: pytest.fail("engine ran on a read"))
    html = client.get("/cases/").get_data(as_text=True)
    assert "provocation tests not done (left: 4)" in html


def test_time_alone_moves_a_line_and_the_nightly_refresh_keeps_it(client, coordinator, gen, monkeypatch, app):
    from tracker.models import CaseRow
    case = _under_review_with_ongoing_care(gen, 22)
    assert _three_of_four_weeks() in db.session.get(CaseRow, case.id).waiting_for
    _days_later(monkeypatch, 7)  # ongoing care has now lasted four weeks
    # Before the nightly run the page works the line out again: never yesterday's answer.
    html = client.get("/cases/").get_data(as_text=True)
    assert "Clock" in html and "conservative care 3 of 4 weeks" not in html
    result = app.test_cli_runner().invoke(args=["worklist", "refresh"])
    assert result.exit_code == 0 and "1 worklist line(s)" in result.output
    db.session.expire_all()
    row = db.session.get(CaseRow, case.id)
    from tracker.timeutil import clinic_today
    assert row.computed_on == clinic_today()
    assert not any("conservative care" in item for item in row.waiting_for)
    # A second run (or two at once) finds nothing left to do.
    assert "0 worklist line(s)" in app.test_cli_runner().invoke(args=["worklist", "refresh"]).output


def test_a_new_clinic_default_profile_is_never_shown_with_old_lines(client, coordinator, gen, app):
    from tracker.cases.rows import is_current
    from tracker.eligibility.services import set_clinic_default_profile
    from tracker.models import CaseRow
    from tracker.timeutil import clinic_today
    case = _under_review_with_ongoing_care(gen, 20)
    old_profile = db.session.get(CaseRow, case.id).default_profile
    assert old_profile != "CAM_770HB"
    set_clinic_default_profile("CAM_770HB", coordinator)
    case = db.session.get(Case, case.id)
    assert not is_current(case.row, case, "CAM_770HB", clinic_today())
    result = app.test_cli_runner().invoke(args=["worklist", "refresh"])
    assert "1 worklist line(s)" in result.output
    db.session.expire_all()
    assert db.session.get(CaseRow, case.id).default_profile == "CAM_770HB"


def test_after_an_upgrade_the_refresh_works_out_every_missing_line(client, coordinator, gen, app):
    from tracker.models import CaseRow
    referred = gen.case(state=State.REFERRED)
    reviewed = _under_review_with_ongoing_care(gen, 22)
    db.session.execute(text("DELETE FROM case_rows"))
    db.session.commit()
    # Without its line the page still says what each case waits for.
    assert "review to start" in client.get("/cases/").get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["worklist", "refresh"])
    assert "2 worklist line(s)" in result.output
    db.session.expire_all()
    assert db.session.get(CaseRow, referred.id).waiting_for == ["review to start"]
    assert _three_of_four_weeks() in db.session.get(CaseRow, reviewed.id).waiting_for


def test_after_an_upgrade_refresh_all_rewrites_the_lines_kept_today_in_the_old_words(client, coordinator, gen, app):
    """A release that changes what a line says leaves the lines already worked out today as they
    were: the nightly refresh skips them (kept today) until the next day or the case's next change.
    `--all` works out every line again, once, after the upgrade."""
    from tracker.models import CaseRow
    case = _under_review_with_ongoing_care(gen, 22)
    # The line as an earlier release worded it, kept today.
    db.session.execute(text("UPDATE case_rows SET waiting_for = :old WHERE case_id = :id"),
                       {"old": '["an earlier release\'s words"]', "id": case.id})
    db.session.commit()
    assert "0 worklist line(s)" in app.test_cli_runner().invoke(args=["worklist", "refresh"]).output
    assert "an earlier release" in client.get("/cases/").get_data(as_text=True)

    result = app.test_cli_runner().invoke(args=["worklist", "refresh", "--all"])

    assert result.exit_code == 0 and "1 worklist line(s) worked out again" in result.output
    db.session.expire_all()
    assert _three_of_four_weeks() in db.session.get(CaseRow, case.id).waiting_for
    assert "an earlier release" not in client.get("/cases/").get_data(as_text=True)


# ---------------------------------------------------------------- the other busy pages

def _plan(statement):
    """The database's plan for `statement` (SQLAlchemy select), as one string."""
    sql = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("ANALYZE"))  # SQLite weighs two usable indexes by their sizes
        return " ".join(str(row) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    # A test's tables are tiny: reading them whole, or sorting them, would be cheapest. Off, the
    # planner shows the path it takes on a clinic's tables (a sort still appears if no index
    # gives the order).
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        db.session.execute(text(f"SET LOCAL {setting} = off"))
    # Statistics as of now, not as autovacuum last found the tables (mid-run, after another test's
    # thousands of rows, it could weigh the indexes otherwise: a plan chosen by timing).
    db.session.execute(text("ANALYZE"))
    return " ".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}")))


def test_the_overdue_list_reads_the_first_page_of_one_index_range(app_ctx, gen):
    """The overdue page is a range of the partial index on chased pending points, read in its
    order and stopped after a page: no ranking of every overdue case, no sort."""
    from datetime import timedelta

    from tracker.diary import overdue
    from tracker.timeutil import utcnow

    from tests.builders import diary_case
    for days in (3, 20, 30):
        diary_case(gen, injected_ago=timedelta(days=days))
    plan = _plan(overdue.query(utcnow()).limit(26))
    db.session.rollback()
    assert "ix_diary_points_chased_closes_at" in plan, plan
    assert "TEMP B-TREE" not in plan and " Sort " not in f" {plan} " and "HashAggregate" not in plan, plan


def test_a_case_leaving_follow_up_leaves_the_overdue_index(app_ctx, gen):
    """A point is chased only while it can be: from signing, the points whose next one has
    already opened are not (a diary timed in the past); when the case leaves follow-up, none is,
    and the last point's chase ended then (the same flush as the move)."""
    from datetime import timedelta

    from tracker.models import DiaryPoint

    from tests.builders import diary_case, now

    def chased(case):
        db.session.expire_all()
        return {p.point_code for p in db.session.scalars(db.select(DiaryPoint).filter_by(case_id=case.id, chased=True))}

    ongoing = diary_case(gen, injected_ago=timedelta(days=20))
    closing = diary_case(gen, injected_ago=timedelta(days=20))
    # Day 1, day 2 and day 7 were followed by a later point long ago: never chased.
    assert chased(ongoing) == chased(closing) == {"w2", "w6", "mo3", "mo6", "mo12"}
    closing.state, closing.state_changed_at = State.CLOSED, now()  # as the close writes them
    db.session.commit()
    assert chased(closing) == set() and chased(ongoing) == {"w2", "w6", "mo3", "mo6", "mo12"}
    last = db.session.scalar(db.select(DiaryPoint).filter_by(case_id=closing.id, point_code="mo12"))
    assert last.chase_until == db.session.get(Case, closing.id).state_changed_at


def test_the_open_lists_read_an_index_of_open_cases_in_waiting_order(app_ctx, gen):
    """The worklist's default and the physician's list read the open cases' own index in order
    (PostgreSQL), never walking past the closed and cancelled cases of earlier years; SQLite
    reads the index of every case in that order. Neither sorts."""
    from tracker.cases import worklist
    from tracker.cases.worklist import physician_query
    for state in (State.REFERRED, State.UNDER_REVIEW, State.FOLLOW_UP):
        gen.case(state=state)
    # Earlier years' closed and cancelled cases outnumber the open ones, as in a clinic: with one of
    # each, the two indexes cost the planner the same and it chose either from run to run.
    patient = gen.patient()
    for _ in range(20):
        for state in (State.CLOSED, State.CANCELLED):
            gen.case(state=state, patient=patient)
    index = "ix_cases_open_waiting" if db.engine.dialect.name == "postgresql" else "ix_cases_state_changed_at"
    for statement in (worklist.query(worklist.open_states()),
                      physician_query(1)):
        plan = _plan(statement.limit(26))
        db.session.rollback()
        assert index in plan, plan
        assert "TEMP B-TREE" not in plan and " Sort " not in f" {plan} ", plan


def test_a_list_of_one_state_reads_that_state_in_waiting_order(app_ctx, gen):
    """Filtered by one state, the worklist reads that state's range of one index, in order on
    PostgreSQL (no sort), never walking past the open cases of the other states. (SQLite may
    still sort a test's four rows: it weighs the sort by its table statistics.)"""
    from tracker.cases import worklist
    for state in (State.REFERRED, State.UNDER_REVIEW, State.FOLLOW_UP, State.CLOSED):
        gen.case(state=state)
    plan = _plan(worklist.query([State.UNDER_REVIEW.value]).limit(26))
    db.session.rollback()
    assert "ix_cases_state_changed " in f"{plan} " and "ix_cases_open_waiting" not in plan, plan
    if db.engine.dialect.name == "postgresql":
        assert " Sort " not in f" {plan} ", plan


def test_the_name_filter_reads_each_meaning_of_a_name_through_an_index(app_ctx, gen):
    """A name on the worklist finds what the search finds (the start of the family name, of any of
    its later parts, of the given name, both together, or the exact MRN): each through its own
    index, in one query, never reading the patients or the family name parts whole."""
    from tracker.cases import worklist
    for family, given in (("García López", "Lucía"), ("Ní Dhúill-O'Connor", "Siobhán"), ("Lopez", "Ana")):
        gen.case(state=State.UNDER_REVIEW, patient=gen.patient(family_name=family, given_name=given))
    # A register of some size: on three rows SQLite's statistics make reading them all cheapest
    # (each match reads its record too, for the record kept when it was merged away).
    db.session.add_all(Patient(mrn=f"R-{n:05d}", family_name=f"Register{n}", given_name="Pat",
                               date_of_birth=date(1960, 1, 1)) for n in range(300))
    db.session.commit()
    plan = _plan(worklist.query(worklist.open_states(), q="Lucía López").limit(26))
    db.session.rollback()
    for index in ("ix_patients_mrn_key", "ix_patients_given_name_search", "ix_family_name_parts_key"):
        assert index in plan, (index, plan)
    # SQLite may read the name-order index, which also starts with the folded family name.
    assert "ix_patients_family_name_search" in plan or "ix_patients_name_order" in plan, plan
    whole = r"SCAN (patients|family_name_parts)\b" if db.engine.dialect.name == "sqlite" else r"Seq Scan"
    assert not re.search(whole, plan), plan


def test_an_mrn_on_the_worklist_reads_the_mrn_index_even_for_a_record_merged_away(app_ctx, gen):
    """The exact MRN gives the record kept for a merged one (its cases moved there): still one
    query, the MRN read through its index and the cases through their patient's."""
    from tracker.cases import worklist
    kept = gen.patient(mrn="QA-7001")
    gen.case(state=State.UNDER_REVIEW, patient=kept)
    gen.patient(mrn="QA-7101", merged_into_id=kept.id)
    # A register of some size: on three rows SQLite's statistics make reading them all cheapest.
    db.session.add_all(Patient(mrn=f"R-{n:05d}", family_name=f"Register{n}", given_name="Pat",
                               date_of_birth=date(1960, 1, 1)) for n in range(300))
    db.session.commit()
    statement = worklist.query(worklist.open_states(), q="QA-7101").limit(26)
    assert [row.patient_id for row in db.session.execute(statement)] == [kept.id]
    plan = _plan(statement)
    db.session.rollback()
    assert "ix_patients_mrn_key" in plan, plan
    whole = r"SCAN (patients|family_name_parts)\b" if db.engine.dialect.name == "sqlite" else r"Seq Scan"
    assert not re.search(whole, plan), plan


def test_the_physicians_list_takes_the_same_queries_for_3_and_30_cases_and_counts_nothing(
        client, gen, login_as, count_queries):
    from tracker.roles import Role
    physician = gen.user(Role.PHYSICIAN)
    login_as(physician)

    def read(cases):
        for i in range(cases):
            gen.case(state=(State.SCHEDULED, State.FOLLOW_UP, State.NOT_ELIGIBLE, State.UNDER_REVIEW)[i % 4],
                     physician=physician)
        with count_queries() as counter:
            html = client.get("/cases/physician").get_data(as_text=True)
        assert not [s for s in counter.statements if re.search(r"count\s*\(", s, re.I)]
        return counter.n, len(case_links(html))

    few, shown_few = read(3)
    many, shown_many = read(27)
    assert (shown_few, shown_many) == (3, 25) and few == many


def test_across_day_boundaries_the_nightly_refresh_keeps_every_time_driven_field(client, coordinator, gen,
                                                                                monkeypatch, app):
    """A controlled clock moves days ahead: what time alone changes (the weeks of ongoing care a
    line waits for, a verdict gone stale, a diary point's chase ending when the next opens) is
    right on the pages before the nightly command runs, and kept right after it."""
    from datetime import timedelta

    import tracker.diary.overdue_views
    import tracker.timeutil
    from tracker.models import CaseRow, DiaryPoint
    from tracker.timeutil import clinic_today

    from tests.builders import diary_case, make_verdict

    real = tracker.timeutil.utcnow

    def days_on(days):
        moved = lambda: real() + timedelta(days=days)  # noqa: E731
        monkeypatch.setattr(tracker.timeutil, "utcnow", moved)
        monkeypatch.setattr(tracker.diary.overdue_views, "utcnow", moved)

    def refresh():
        result = app.test_cli_runner().invoke(args=["worklist", "refresh"])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        return result.output

    def overdue_page():
        return client.get("/diaries/overdue").get_data(as_text=True)

    def line(case):
        return db.session.get(CaseRow, case.id)

    def chased(case):
        return {p.point_code for p in db.session.scalars(db.select(DiaryPoint).filter_by(case_id=case.id, chased=True))}

    waiting = _under_review_with_ongoing_care(gen, 22)
    # Not eligible on three weeks of care: four weeks later the same facts read otherwise.
    judged = _under_review_with_ongoing_care(gen, 22)
    make_verdict(judged, eligible=False)
    judged.state = State.NOT_ELIGIBLE
    db.session.commit()
    diarist = diary_case(gen, injected_ago=timedelta(days=12), patient=gen.patient(family_name="Diarist"))
    assert not line(judged).verdict_stale and "conservative care 3 of 4 weeks" in " ".join(line(waiting).waiting_for)
    page = overdue_page()
    assert "Diarist" in page and "Day 7" in page  # day 7's window closed on day 9; 2 weeks opens on day 14
    assert "d7" in chased(diarist)

    days_on(3)  # day 15 after the injection: 2 weeks has opened, day 7 is missed, not chased
    assert "Diarist" not in overdue_page()  # before the nightly run too
    worklist = client.get("/cases/").get_data(as_text=True)
    assert "verdict stale: re-evaluate" not in worklist  # three days: still three weeks of care

    days_on(7)
    worklist = client.get("/cases/").get_data(as_text=True)
    assert "verdict stale: re-evaluate" in worklist  # before the nightly run: worked out again
    output = refresh()
    assert "2 worklist line(s)" in output and "1 diary point(s) no longer chased" in output
    assert line(waiting).computed_on == line(judged).computed_on == clinic_today()
    assert not any("conservative care" in item for item in line(waiting).waiting_for)
    assert line(judged).verdict_stale and line(judged).waiting_for == ["verdict stale: re-evaluate"]
    assert "d7" not in chased(diarist) and "w2" in chased(diarist)

    days_on(9)  # day 21: the 2-week window closed on day 20, 6 weeks opens on day 42
    page = overdue_page()
    assert "Diarist" in page and "2 weeks" in page
    output = refresh()
    assert "0 diary point(s)" in output and "w2" in chased(diarist)


def test_a_corrected_records_former_mrn_on_the_worklist_reads_the_former_numbers_index(app_ctx, gen):
    """A number corrected away (QA-7002 → QA-7009) still gives its record on the worklist, as a
    merged record's number gives the record kept: one query, through the former numbers' index."""
    from tracker.cases import worklist
    patient = gen.patient(mrn="QA-7002")
    gen.case(state=State.UNDER_REVIEW, patient=patient)
    correct_mrn_in_a_register(patient, "QA-7009")
    statement = worklist.query(worklist.open_states(), q="QA-7002").limit(26)
    assert [row.patient_id for row in db.session.execute(statement)] == [patient.id]
    plan = _plan(statement)
    db.session.rollback()
    assert "ix_former_mrns_mrn_key" in plan, plan
    whole = r"SCAN (patients|family_name_parts|former_mrns)\b" if db.engine.dialect.name == "sqlite" else r"Seq Scan"
    assert not re.search(whole, plan), plan
