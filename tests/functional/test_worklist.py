"""The coordinator's worklist: counts, what each case waits for, filters, search, sorting, paging,
and a query count that does not grow with the data."""
import re
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import text

from tracker.extensions import db
from tracker.models import Case, CaseHistory, EligibilityVerdict, Examination, Patient
from tracker.roles import Role
from tracker.vocab import Indication, ProvocationResult, Side
from tracker.workflow import State

from tests.helpers import field_error, links, selected, soup, words


def page(client, query=""):
    response = client.get(f"/cases/{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_counts_per_state_link_to_the_filtered_list(client, coordinator, gen):
    gen.case(state=State.REFERRED, patient=gen.patient(family_name="Zephyr"))
    gen.case(state=State.REFERRED)
    gen.case(state=State.SCHEDULED, patient=gen.patient(family_name="Yarrow"))
    html = page(client)
    assert "Referred: <strong>2</strong>" in html and "Scheduled: <strong>1</strong>" in html
    scheduled = page(client, "?state=scheduled")
    assert "Yarrow" in scheduled and "Zephyr" not in scheduled


def test_each_case_says_what_it_is_waiting_for(client, coordinator, gen):
    case = gen.case(state=State.UNDER_REVIEW, side=Side.LEFT, patient=gen.patient(family_name="Waits"))
    gen.therapy(case, start_date=date.today() - timedelta(days=21), end_date=date.today())
    db.session.add(Examination(case=case, faber_left=ProvocationResult.POSITIVE,
                               gaenslen_left=ProvocationResult.POSITIVE,
                               thigh_thrust_left=ProvocationResult.NEGATIVE))
    db.session.commit()
    html = page(client)
    assert "conservative care 3 of 4 weeks" in html
    assert "provocation tests not done (left: 3)" in html  # 2 positive, 1 negative: 3 of 6 still possible


def test_a_referred_case_waits_for_the_review_to_start(client, coordinator, gen):
    gen.case(state=State.REFERRED)
    assert "review to start" in page(client)


def test_a_verdict_made_stale_by_new_facts_is_flagged(client, coordinator, gen):
    case = gen.case(state=State.NOT_ELIGIBLE)
    db.session.add(EligibilityVerdict(case_id=case.id, evaluated_by_id=coordinator.id,
                                      profile_code="MEDICARE_LCD_2023", profile_version=1,
                                      eligible=False, snapshot={"criteria": []},
                                      facts_fingerprint="facts-as-they-were"))
    db.session.commit()
    assert "verdict stale: re-evaluate" in page(client)


def test_days_waiting_count_clinic_calendar_days_from_the_last_state_change(client, coordinator, gen):
    """Calendar days in the clinic's zone, whatever the hour: changed late nine clinic days ago is 9, and
    so is changed just after midnight (the same span of time as 8 days and a bit)."""
    from tracker.timeutil import clinic_today, clinic_zone

    case = gen.case(state=State.ELIGIBLE)
    nine_days_ago = clinic_today() - timedelta(days=9)
    case.state_changed_at = datetime.combine(nine_days_ago, time(23, 30), clinic_zone())
    db.session.commit()
    assert "<td>9</td>" in page(client)
    case.state_changed_at = datetime.combine(nine_days_ago, time(0, 5), clinic_zone())
    db.session.commit()
    assert "<td>9</td>" in page(client)


def test_filters_by_physician_side_and_payer_profile(client, coordinator, gen):
    doctor = gen.user(Role.PHYSICIAN, name="Dr Filter")
    gen.case(patient=gen.patient(family_name="Mine"), physician=doctor, side=Side.RIGHT)
    gen.case(patient=gen.patient(family_name="Leftie"), side=Side.LEFT, payer_profile_code="EVICORE_CMM_203")
    gen.case(patient=gen.patient(family_name="Defaulty"), side=Side.LEFT)
    gen.case(patient=gen.patient(family_name="Bothsides"), side=Side.BILATERAL)
    by_physician = page(client, f"?physician={doctor.id}")
    assert "Mine" in by_physician and "Leftie" not in by_physician
    # A bilateral case is a case of each joint, as in the reports.
    by_side = page(client, "?side=left")
    assert "Leftie" in by_side and "Bothsides" in by_side and "Mine" not in by_side
    by_side = page(client, "?side=right")
    assert "Mine" in by_side and "Bothsides" in by_side and "Leftie" not in by_side
    by_side = page(client, "?side=bilateral")
    assert "Bothsides" in by_side and "Mine" not in by_side and "Leftie" not in by_side
    by_payer = page(client, "?profile=EVICORE_CMM_203")
    assert "Leftie" in by_payer and "Defaulty" not in by_payer
    default_payer = page(client, "?profile=MEDICARE_LCD_2023")
    assert "Defaulty" in default_payer and "Leftie" not in default_payer


def test_search_finds_by_exact_mrn_or_family_name_prefix(client, coordinator, gen):
    gen.case(patient=gen.patient(mrn="Q-5555", family_name="Quentin"))
    gen.case(patient=gen.patient(family_name="O'Hara_x%"))
    gen.case(patient=gen.patient(family_name="Other"))
    assert "Quentin" in page(client, "?q=Q-5555")
    by_name = page(client, "?q=quen")
    assert "Quentin" in by_name and "Other" not in by_name
    assert "Other" not in page(client, "?q=O%27Hara_x%25")
    assert "No cases match." in page(client, "?q=%25")


def _case_links(html):
    return {href for href in links(html) if re.fullmatch(r"/cases/\d+", href)}


@pytest.mark.parametrize("typed", [
    # A later part of a family name, alone, with the given name in either order, or as "Family, Given".
    "Lopez", "lóp", "López, Lucía", "Lucía López", "lopez lucia", "García López Lucía", "Lucia Garcia Lopez",
    "O'Connor", "Dhúill", "Siobhan OConnor", "Dhuill-O'Connor, Siobhán",
    # The start of the whole family name, the given name, and the middle of a part (nobody).
    "García", "garcia l", "Lucía", "Connor", "hull",
    # A later word of a given name of several, alone or with the family name.
    "Hằng", "hang", "Nguyen Hang", "Hang Nguyễn", "Nguyễn, Hằng",
])
def test_the_name_filter_finds_the_patients_the_search_finds(client, coordinator, gen, typed):
    for family, given in (("García López", "Lucía"), ("Ní Dhúill-O'Connor", "Siobhán"), ("Lopez", "Ana"),
                          ("Connors", "Lucas"), ("Other", "Person"), ("Nguyễn", "Thị Hằng"), ("Nguyễn", "Văn Minh")):
        gen.case(state=State.UNDER_REVIEW, patient=gen.patient(family_name=family, given_name=given))
    searched = client.get("/search", query_string={"q": typed}).get_data(as_text=True)
    on_worklist = page(client, "?" + urlencode({"q": typed}))
    assert _case_links(on_worklist) == _case_links(searched), typed


def test_the_name_filter_still_finds_an_exact_mrn_among_names(client, coordinator, gen):
    by_mrn = gen.case(patient=gen.patient(mrn="QA-1002", family_name="Numbered"))
    gen.case(patient=gen.patient(mrn="QA-10020", family_name="Longer"))
    assert _case_links(page(client, "?q=qa1002")) == {f"/cases/{by_mrn.id}"}


def test_the_mrn_of_a_record_merged_away_finds_the_kept_patients_cases(client, coordinator, gen):
    """As the header search does: the MRN on an old referral letter still finds the patient."""
    kept = gen.patient(mrn="QA-7001", family_name="Ruiz")
    merged = gen.patient(mrn="QA-7101", family_name="Ruiz-Older")
    hers = gen.case(patient=kept)
    gen.case(patient=gen.patient(mrn="QA-7102", family_name="Otherperson"))
    merged.merged_into_id = kept.id
    db.session.commit()

    for typed in ("QA-7101", "qa7101", "QA-7001"):
        assert _case_links(page(client, "?" + urlencode({"q": typed}))) == {f"/cases/{hers.id}"}, typed


def test_the_name_of_a_record_merged_away_finds_the_kept_patients_cases(client, coordinator, gen):
    """A referral letter written before a merge names the patient as the record merged away had
    her (a maiden name, a misspelling): the worklist finds her cases as the MRN would."""
    kept = gen.patient(mrn="QA-7201", family_name="Okonkwo", given_name="Adaeze")
    merged = gen.patient(mrn="QA-7202", family_name="Okonkwo-Bright Ilori", given_name="Ada")
    hers = gen.case(patient=kept)
    his = gen.case(patient=gen.patient(mrn="QA-7203", family_name="Brightwell", given_name="Tom"))
    merged.merged_into_id = kept.id
    db.session.commit()

    for typed in ("Okonkwo-Bright", "Ilori", "Ada Ilori", "Okonkwo-Bright Ilori, Ada"):
        assert _case_links(page(client, "?" + urlencode({"q": typed}))) == {f"/cases/{hers.id}"}, typed
    assert _case_links(page(client, "?q=Bright")) == {f"/cases/{hers.id}", f"/cases/{his.id}"}


def test_sorting_is_limited_to_the_allowed_orders(client, coordinator, gen):
    gen.case(patient=gen.patient(family_name="Zulu"))
    gen.case(patient=gen.patient(family_name="Alpha"))
    by_name = page(client, "?sort=name")
    assert by_name.index("Alpha") < by_name.index("Zulu")
    unknown = page(client, "?sort=password_hash")
    assert "Alpha" in unknown and "Zulu" in unknown


def test_unknown_filter_values_are_ignored_not_crashed_on(client, coordinator, gen):
    gen.case(patient=gen.patient(family_name="Still"))
    assert "Still" in page(client, "?state=teleported&side=middle&page=zz")


def _physician_options(html):
    return [words(option) for option in soup(html).find("select", attrs={"name": "physician"}).find_all("option")]


@pytest.mark.parametrize("typed", ["99", "abc", "9" * 40])
def test_an_unknown_physician_in_the_address_is_named_next_to_the_filter_not_dropped(client, coordinator, gen, typed):
    gen.case(patient=gen.patient(family_name="Everyone"))

    for address in (f"/cases/?physician={typed}", f"/cases/worklist.csv?physician={typed}"):
        response = client.get(address)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, address
        assert field_error(html, "physician") == f"There is no physician “{typed}”: choose one from the list."
        assert "Everyone" not in html  # not every case, as if there were no filter


def test_a_deactivated_physician_is_offered_marked_inactive_and_lists_their_cases(client, coordinator, gen):
    ortega = gen.user(Role.PHYSICIAN, name="Dr Tomas Ortega", active=False)
    gone = gen.user(Role.PHYSICIAN, name="Dr Long Gone", active=False)
    gen.user(Role.PHYSICIAN, name="Dr Helen Park")
    gen.case(patient=gen.patient(family_name="Orphaned"), state=State.SCHEDULED, physician=ortega)
    gen.case(patient=gen.patient(family_name="Finished"), state=State.CLOSED, physician=gone)
    gen.case(patient=gen.patient(family_name="Other"))

    html = page(client)
    # Active first, then every deactivated physician, each by name.
    assert _physician_options(html)[1:] == ["Dr Helen Park", "Dr Long Gone (inactive)", "Dr Tomas Ortega (inactive)"]
    theirs = page(client, f"?physician={ortega.id}")
    assert "Orphaned" in theirs and "Other" not in theirs
    assert selected(theirs, "physician") == str(ortega.id)
    closed = page(client, f"?physician={gone.id}&state=closed")
    assert "Finished" in closed and selected(closed, "physician") == str(gone.id)


def test_a_physician_given_another_role_is_offered_as_no_longer_a_physician_and_lists_their_cases(
        client, coordinator, gen):
    moved = gen.user(Role.PHYSICIAN, name="Dr Now Coordinating")
    gen.case(patient=gen.patient(family_name="Stranded"), state=State.UNDER_REVIEW, physician=moved)
    gen.case(patient=gen.patient(family_name="Other"))
    gen.user(Role.PHYSICIAN, name="Dr Helen Park")
    gen.user(Role.PHYSICIAN, name="Dr Long Gone", active=False)
    gen.user(Role.COORDINATOR, name="Always Coordinating")
    moved.role = Role.COORDINATOR
    db.session.commit()

    html = page(client)
    assert _physician_options(html)[1:] == ["Dr Helen Park", "Dr Long Gone (inactive)",
                                            "Dr Now Coordinating (no longer a physician)"]
    theirs = page(client, f"?physician={moved.id}")
    assert "Stranded" in theirs and "Other" not in theirs
    assert selected(theirs, "physician") == str(moved.id)


def test_the_worklist_takes_the_same_queries_whoever_the_physicians_are(client, coordinator, gen, count_queries):
    def queries(address):
        with count_queries() as counter:
            assert client.get(address).status_code == 200
        return counter.n

    doctor = gen.user(Role.PHYSICIAN)
    gen.case(physician=doctor)
    before = queries(f"/cases/?physician={doctor.id}")
    for _ in range(3):
        gen.case(physician=gen.user(Role.PHYSICIAN, active=False))
    assert queries(f"/cases/?physician={doctor.id}") == before


def test_pages_through_many_cases(client, coordinator, gen):
    _bulk_cases(coordinator, 30)
    assert "Page 1 of 2 (30 in all)" in page(client)
    assert "Page 2 of 2" in page(client, "?page=2")


def _bulk_cases(creator, n, state=State.UNDER_REVIEW, prefix="BULK"):
    """Many cases in one transaction (fast enough for 1,000)."""
    patients = [Patient(mrn=f"{prefix}{i:06d}", family_name=f"{prefix.title()}{i}", given_name="Test",
                        date_of_birth=date(1960, 1, 1)) for i in range(n)]
    db.session.add_all(patients)
    cases = []
    for i, patient in enumerate(patients):
        case = Case(patient=patient, state=state if i % 3 else State.ELIGIBLE, side=Side.LEFT,
                    indication=Indication.DIAGNOSTIC, referring_clinician="Dr R",
                    referral_date=date(2026, 1, 1), created_by_id=creator.id)
        case.history.append(CaseHistory(actor_id=creator.id, actor_role=creator.role, action="refer",
                                        to_state=case.state))
        cases.append(case)
    db.session.add_all(cases)
    db.session.commit()


def test_query_count_is_the_same_for_10_and_1000_cases(client, coordinator, gen, count_queries):
    def queries():
        with count_queries() as counter:
            assert client.get("/cases/?sort=name").status_code == 200
        return counter.n

    _bulk_cases(coordinator, 10)
    few = queries()
    _bulk_cases(coordinator, 990, prefix="MORE")
    assert db.session.execute(db.select(db.func.count(Case.id))).scalar() == 1000
    many = queries()
    assert few == many


@pytest.mark.parametrize("where,index", [
    ("cases.state = 'under_review'", "ix_cases_state_changed"),
    ("cases.physician_id = 1", "ix_cases_physician_id"),
    ("cases.side = 'left'", "ix_cases_side"),
    ("cases.payer_profile_code = 'MP_558'", "ix_cases_payer_profile_code"),
    # SQLite may read the name-order index, which also starts with the folded family name.
    ("patients.family_name_key LIKE 'abc%'", "ix_patients_family_name_search|ix_patients_name_order"),
    ("patients.mrn_key = 'X'", "ix_patients_mrn_key"),
])
def test_worklist_filters_can_use_an_index(app_ctx, where, index):
    table = where.split(".")[0]
    sql = f"SELECT * FROM {table} WHERE {where}"
    if db.engine.dialect.name == "sqlite":
        plan = " ".join(str(row) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        # SQLite names the index behind a unique constraint sqlite_autoindex_<table>_<n>.
        assert any(name in plan for name in index.split("|")), plan
    else:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}")))
        assert index.split("|")[0] in plan, plan
    db.session.rollback()


def test_the_physician_filters_choices_read_the_accounts_alone(app_ctx):
    """Which deactivated physicians still own an open case is not asked: for one who owns none, the
    question read the whole cases table on PostgreSQL (0.5 s a page at 1,000,000 cases)."""
    from tracker.cases.worklist import physician_choices_query
    sql = str(physician_choices_query().compile(db.engine, compile_kwargs={"literal_binds": True}))
    assert "cases" not in sql, sql




def test_an_mrn_with_a_hyphen_is_never_broken_across_lines(client, coordinator, gen):
    """At 768 px "MRN DEMO-" on one line and "0001" on the next read as two numbers: the MRN is kept
    whole (white-space: nowrap) on the worklist, the case page, the patient's record and search."""
    case = gen.case(patient=gen.patient(mrn="QA-7781", family_name="Fernández-Ruiz"))

    def whole(page):
        return [tag.get_text() for tag in soup(page.get_data(as_text=True)).select(".nowrap")
                if "QA-7781" in tag.get_text()]

    assert whole(client.get("/cases/")) == ["MRN QA-7781"]
    assert whole(client.get(f"/cases/{case.id}")) == ["MRN QA-7781"]
    assert whole(client.get(f"/patients/{case.patient_id}")) == ["MRN QA-7781"]
    assert whole(client.get("/search?q=QA-7781")) == ["QA-7781"]
    css = open("static/css/app.css", encoding="utf-8").read()
    assert re.search(r"(^|,\s*)\.nowrap\b[^{]*\{\s*white-space:\s*nowrap", css, re.M)


@pytest.fixture
def okafor(coordinator, gen):
    patient = gen.patient(mrn="W-7400", family_name="Okafor", given_name="Chidi", date_of_birth=date(1966, 6, 6))
    gen.case(patient=patient)
    return patient


def test_a_name_search_finding_no_case_offers_the_patients_one_slip_away(client, okafor):
    """ "Okafer" finds no case: the worklist offers Okafor, Chidi as the header search would,
    linked to his record and to a worklist search by his name."""
    html = page(client, "?" + urlencode({"q": "Okafer"}))
    assert "No cases match." in html
    offered = soup(html).find(id="did-you-mean")
    assert offered is not None
    # Under the page's h1, not an h3 skipping a level.
    assert offered.find("h2", id="did-you-mean-h") is not None
    said = " ".join(offered.get_text(" ").split())
    assert "Okafor, Chidi" in said and "family name one letter away" in said
    assert offered.find("a", href=f"/patients/{okafor.id}")
    search = offered.find("a", href=re.compile(r"^/cases/\?q="))
    assert search is not None
    assert "Okafor, Chidi" in page(client, search["href"][len("/cases/"):])
    assert "No cases match." not in page(client, search["href"][len("/cases/"):])


def test_nothing_is_offered_when_the_name_is_right_but_the_filters_leave_no_case(client, okafor):
    html = page(client, "?" + urlencode({"q": "Okafor", "state": State.SCHEDULED.value}))
    assert "No cases match." in html and soup(html).find(id="did-you-mean") is None


def test_a_name_search_finding_cases_takes_the_same_queries_with_names_one_slip_away(
        client, coordinator, gen, okafor, count_queries):
    """A name that finds cases reads no suggestion: the same queries as "Oka", too short to compare."""
    def queries(typed):
        with count_queries() as counter:
            assert "Okafor, Chidi" in page(client, "?" + urlencode({"q": typed}))
        return counter.n

    short = queries("Oka")
    for i, given in enumerate(("Ada", "Ngozi", "Emeka")):
        gen.patient(mrn=f"W-75{i}", family_name="Okafer", given_name=given, date_of_birth=date(1970, 1, 1))
    assert queries("Okafor") == short


def test_the_patients_offered_are_counted_in_the_pages_audit_row(client, okafor):
    from tracker.models import AuditEvent
    page(client, "?" + urlencode({"q": "Okafer"}))
    row = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert row.summary == "viewed worklist page 1: 0 cases and 1 patient offered (did you mean) (q=Okafer, sort=waiting)", row.summary
