"""The header search finds patients however their names and numbers were typed, for every
clinical role, and explains what it cannot search for; registration warns of likely duplicates."""
import re
from datetime import date

import pytest

from tracker.roles import Role
from tracker.extensions import db
from tracker.models import Case, Patient
from tracker.patients import lookup
from tracker.vocab import Side
from tracker.workflow import State

from tests.helpers import form_data, soup, submit
from tests.builders import PATIENT, REFERRAL, correct_mrn_in_a_register


@pytest.fixture
def garcia(gen):
    patient = gen.patient(mrn="A-100200", family_name="García", given_name="Lucía",
                          date_of_birth=date(1961, 4, 2), phone="+1 (555) 010-0177")
    gen.case(patient=patient, state=State.UNDER_REVIEW)
    gen.patient(mrn="B-7", family_name="Garza", given_name="Tomás", date_of_birth=date(1970, 1, 1))
    return patient


def _found(client, typed):
    return client.get("/search", query_string={"q": typed}).get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PHYSICIAN])
@pytest.mark.parametrize("typed", [
    "garcia", "GARCÍA", "Garc", "García, Lucía", "garcia, lu", "Lucia", "Lucía García",
    "A-100200", "a-100200", "ａ－１００２００", "100200", "0020", "04/02/1961", "1961-04-02",
    "555 010 0177", "0100177", "Gar\u200bcia",
    # The MRN without its hyphen, with spaces or other punctuation, and a fragment across the hyphen.
    "A100200", "a 100 200", "A.100/200", "A1002", "a-1002",
])
def test_every_clinical_role_finds_the_patient_however_it_is_typed(client, gen, login_as, garcia, role, typed):
    login_as(gen.user(role))
    page = _found(client, typed)
    assert "García, Lucía" in page, typed
    assert f'href="/patients/{garcia.id}"' in page
    # Their cases are listed with the patient, linked to the case page.
    assert f'href="/cases/{garcia.cases[0].id}"' in page


@pytest.mark.parametrize("typed", ["23/04/1979", "23.04.1979", "23-4-1979"])
def test_a_date_of_birth_typed_day_first_is_read_day_first_and_the_page_says_so(client, gen, login_as, typed):
    """The clinic writes MM/DD/YYYY; 23 is no month, so 23/04/1979 can only be 23 April 1979."""
    login_as(gen.user(Role.COORDINATOR))
    gen.patient(mrn="N-4411", family_name="Nguyễn", given_name="Thi Lan", date_of_birth=date(1979, 4, 23))
    page = _found(client, typed)
    assert "Nguyễn, Thi Lan" in page
    assert (f"{typed} was read as 23 April 1979 (1979-04-23), day first: dates here are usually MM/DD/YYYY, "
            "and 23 is not a month.") in page
    # A date the clinic's way is read as it always was, with nothing to explain.
    assert "was read as" not in _found(client, "04/23/1979")
    # Typed with the name, the notice quotes the date, not the whole search.
    with_name = _found(client, f"Nguyen {typed}")
    assert "Nguyễn, Thi Lan" in with_name and f"{typed} was read as 23 April 1979" in with_name
    assert f"Nguyen {typed} was read as" not in with_name


@pytest.mark.parametrize("typed", ["Garcia 04/02/1961", "García, Lucía 1961-04-02", "04/02/1961 lucia garcia",
                                   "Garc 04/02/1961"])
def test_a_name_with_the_date_of_birth_finds_the_patient_born_that_day_only(client, coordinator, gen, garcia, typed):
    """Walkthrough: a coordinator checks the two identifiers together, name and date of birth,
    as they are told to: "Garcia 04/02/1961" said "No patient found" for a patient on file. The
    name and the date typed together find the patients of that name born that day."""
    namesake = gen.patient(mrn="C-9", family_name="Garcia", given_name="Lucia", date_of_birth=date(1975, 6, 1))
    page = _found(client, typed)
    assert f'href="/patients/{garcia.id}"' in page, typed
    assert f'href="/patients/{namesake.id}"' not in page and "No patient found" not in page
    # Another day: nobody of that name was born then.
    assert f'href="/patients/{garcia.id}"' not in _found(client, "Garcia 1961-04-03")
    # New referral's find reads it the same way.
    found = client.get("/referrals/find", query_string={"q": typed}).get_data(as_text=True)
    assert f"/referrals/patients/{garcia.id}/new" in found and f"/referrals/patients/{namesake.id}/new" not in found


def test_a_family_name_prefix_does_not_find_other_names(client, gen, login_as, garcia):
    login_as(gen.user(Role.COORDINATOR))
    page = _found(client, "Garz")
    assert "Garza, Tomás" in page and "García" not in page


@pytest.mark.parametrize("typed,message", [
    ("a", "at least 2 letters or digits"),
    ("''", "has no letters or digits"),
    ("\u200b\u200b\u200b", "has no letters or digits"),
    ("%%", "has no letters or digits"),
    ("", "Type a name, medical record number"),
])
def test_searches_that_cannot_be_run_are_explained_and_keep_what_was_typed(client, gen, login_as, garcia, typed, message):
    login_as(gen.user(Role.COORDINATOR))
    response = client.get("/search", query_string={"q": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and "García" not in page


def test_a_fragment_of_an_mrn_shorter_than_four_characters_does_not_search_inside_numbers(client, gen, login_as, garcia):
    login_as(gen.user(Role.COORDINATOR))
    assert "No patient found" in _found(client, "002")


def test_wildcards_in_a_search_are_never_wildcards(client, gen, login_as):
    # An MRN is compared without its punctuation: '%' and '_' typed are dropped like a hyphen,
    # never read as "any characters".
    gen.patient(mrn="AB%123", family_name="Percent")
    gen.patient(mrn="ABX123", family_name="Plain")
    login_as(gen.user(Role.COORDINATOR))
    for typed in ("B%123", "B_123"):
        page = _found(client, typed)
        assert "Percent" in page and "Plain" not in page, typed


def test_an_mrn_typed_without_its_hyphen_is_found_and_shown_as_the_clinic_wrote_it(client, gen, login_as):
    """The walkthrough's case: MRN QA-1002 searched as QA1002, by pieces of it, and not by a
    piece shorter than four characters."""
    patient = gen.patient(mrn="QA-1002", family_name="Okafor", given_name="Grace")
    gen.patient(mrn="QB-1003", family_name="Other", given_name="Person")
    login_as(gen.user(Role.PHYSICIAN))
    for typed in ("QA1002", "qa1002", "QA 1002", "QA.1002", "A100", "qa-10", "1002"):
        page = _found(client, typed)
        assert "Okafor, Grace" in page and f'href="/patients/{patient.id}"' in page, typed
        assert "QA-1002" in page and "Other, Person" not in page, typed
    assert "No patient found" in _found(client, "A10")


def test_admins_are_told_patient_search_is_for_clinical_staff(client, gen, login_as, garcia):
    login_as(gen.user(Role.ADMIN))
    response = client.get("/search?q=garcia")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Patient search is for clinical staff" in page and "García" not in page
    assert "ask an admin" not in page.lower()


def test_the_header_offers_the_search_to_every_staff_role(client, gen, login_as):
    login_as(gen.user(Role.PHYSICIAN))
    page = client.get("/cases/physician").get_data(as_text=True)
    assert 'action="/search"' in page and 'name="q"' in page


def test_search_takes_the_same_number_of_queries_for_many_matches(client, gen, login_as, count_queries):
    login_as(gen.user(Role.COORDINATOR))

    def run():
        with count_queries() as counter:
            assert client.get("/search?q=lee").status_code == 200
        return counter.n

    for n in range(2):
        gen.case(patient=gen.patient(family_name=f"Lee{n}"))
    few = run()
    for n in range(2, 12):
        gen.case(patient=gen.patient(family_name=f"Lee{n}"))
        gen.case(patient=gen.patient(given_name=f"Lee{n}"))
    # The signed-in user, the patients found with their cases in one query, the search's audit row.
    assert run() == few == 3


def test_a_term_matching_more_than_fifty_lists_the_first_fifty_in_name_order_whichever_name_matched(
        client, gen, login_as):
    login_as(gen.user(Role.COORDINATOR))
    # Half match by family name, half by given name; the list is in family name order across both.
    for n in range(30):
        gen.patient(family_name=f"Lee{n:02d}", given_name="Ann")
        gen.patient(family_name=f"Abbott{n:02d}", given_name=f"Leena{n:02d}")
    page = _found(client, "lee")
    assert "50+ patients found" in page and "Only the first 50 are shown" in page
    shown = re.findall(r'<a href="/patients/\d+">([^<]+)</a>', page)
    expected = [f"Abbott{n:02d}, Leena{n:02d}" for n in range(30)] + [f"Lee{n:02d}, Ann" for n in range(20)]
    assert shown == expected


def test_a_merged_record_found_by_its_own_details_lists_the_record_kept_at_the_end_of_its_merges_once(
        client, gen, login_as, count_queries):
    login_as(gen.user(Role.COORDINATOR))
    kept = gen.patient(mrn="K-1", family_name="Kept", given_name="Person")
    middle = gen.patient(mrn="M-1", family_name="Middle", given_name="Person")
    first = gen.patient(mrn="F-1", family_name="First", given_name="Person")
    older, newer = gen.case(patient=kept), gen.case(patient=kept, side=Side.RIGHT)
    gen.case(patient=first)
    # First was merged into Middle, and Middle later into Kept.
    first.merged_into_id, middle.merged_into_id = middle.id, kept.id
    db.session.commit()
    with count_queries() as counter:
        page = _found(client, "Person")
    assert "1 patient found" in page
    assert "Kept, Person" in page and "First, Person" not in page and "Middle, Person" not in page
    # The record kept's cases, newest first.
    assert page.index(f'href="/cases/{newer.id}"') < page.index(f'href="/cases/{older.id}"')
    # One more query for each step of the merges (and the search's one audit row).
    assert counter.n == 3
    with count_queries() as counter:
        page = _found(client, "F-1")
    assert "1 patient found" in page and "Kept, Person" in page and f'href="/patients/{kept.id}"' in page
    assert counter.n == 5
    # Found by a merged record's number: the page says which record led to it.
    assert "Found by First, Person (MRN F-1), merged into this record" in page
    # Found by its own name too: nothing to explain.
    assert "Found by" not in _found(client, "Person")


# ---------------------------------------------------------------- family names of several words

@pytest.fixture
def siobhan(gen):
    """A family name of several words, one of them double-barrelled, beside simpler namesakes."""
    patient = gen.patient(mrn="IE-4410", family_name="Ní Dhúill-O'Connor", given_name="Siobhán",
                          date_of_birth=date(1984, 6, 9))
    gen.case(patient=patient, state=State.REFERRED)
    gen.patient(mrn="IE-4411", family_name="O'Brien", given_name="Sean")
    gen.patient(mrn="IE-4412", family_name="Connors", given_name="Siobhan")
    return patient


@pytest.mark.parametrize("typed", [
    # The whole name, given first or family first, as typed on a keyboard with or without accents.
    "Siobhán Ní Dhúill-O'Connor", "Siobhan Ni Dhuill-OConnor", "siobhan ni dhuill o connor",
    "Ní Dhúill-O'Connor Siobhán", "Ni Dhuill-OConnor Siobhan", "Ní Dhúill-O'Connor, Siobhán", "ni dhuill, siob",
    # The family name alone, whole or from the start of any of its parts.
    "Ní Dhúill-O'Connor", "Ni Dh", "O'Connor", "oconnor", "O Con", "Dhúill", "dhuill", "Dhuill-OConnor",
    # A later part with the given name, in either order.
    "O'Connor, Siobhán", "Siobhan OConnor", "Siobhán Dhúill-O'Connor", "oconnor siobhan",
])
def test_a_family_name_of_several_words_is_found_whole_in_either_order_and_by_the_start_of_any_part(
        client, gen, login_as, siobhan, typed):
    login_as(gen.user(Role.COORDINATOR))
    page = _found(client, typed)
    assert "Ní Dhúill-O&#39;Connor, Siobhán" in page, typed
    assert f'href="/patients/{siobhan.id}"' in page and f'href="/cases/{siobhan.cases[0].id}"' in page
    assert "O&#39;Brien" not in page


@pytest.mark.parametrize("typed", ["Connor", "hull", "Siobhan Connor"])
def test_the_middle_of_a_part_finds_nobody_with_several_words(client, gen, login_as, siobhan, typed):
    """A name is found by the start of a part: O'Connor is one part, never "Connor"."""
    login_as(gen.user(Role.COORDINATOR))
    assert "Ní Dhúill" not in _found(client, typed)


def test_simple_names_are_found_as_before_beside_names_of_several_words(client, gen, login_as, siobhan, garcia):
    login_as(gen.user(Role.COORDINATOR))
    for typed in ("Sean O'Brien", "O'Brien, Sean", "Lucía García", "García Lucía"):
        page = _found(client, typed)
        assert "1 patient found" in page and "Ní Dhúill" not in page, typed
    assert "Connors, Siobhan" in _found(client, "Siobhan Connors")


def _search_plan(typed):
    """The database's plan for the search page's query for `typed`, as the page runs it (the
    values bound, not written into the SQL); on PostgreSQL with sequential scans made a last
    resort, so a plan that still reads a table whole has no index to read instead."""
    shape, values = lookup._shape_and_values(lookup.parse_search(typed))
    compiled = lookup._page_statement(shape, lookup.MAX_RESULTS).compile(dialect=db.engine.dialect)
    params = compiled.construct_params(values)
    connection = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + compiled.string,
                                          tuple(params[name] for name in compiled.positiontup))
        return [row[-1] for row in rows]
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    return [row[0] for row in connection.exec_driver_sql("EXPLAIN " + compiled.string, params)]


@pytest.mark.parametrize("typed", ["Siobhán Ní Dhúill-O'Connor", "O'Connor", "O'Connor, Siobhán"])
def test_a_search_for_a_name_of_several_words_reads_indexes_never_a_whole_table(app_ctx, siobhan, typed):
    plan = _search_plan(typed)
    db.session.rollback()
    assert any("ix_family_name_parts_key" in line for line in plan), plan
    if db.engine.dialect.name == "sqlite":
        # "SCAN <table>" reads it whole (its rows, or one of its indexes from end to end).
        assert not [line for line in plan if re.match(r"SCAN (patients|family_name_parts)\b", line)], plan
    else:
        assert not [line for line in plan if "Seq Scan" in line], plan


def test_a_corrected_family_name_is_found_by_its_new_parts_and_no_longer_by_the_old(client, gen, login_as, siobhan):
    login_as(gen.user(Role.COORDINATOR))
    url = f"/patients/{siobhan.id}/edit"
    # The correction form as it stands, with the family name changed (its CSRF token sent along).
    page = soup(client.get(url).get_data(as_text=True))
    values = form_data(next(f for f in page.find_all("form", method="post") if not f.get("action")))
    response = client.post(url, data={**values, "family_name": "Ní Dhúill-Walsh"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "Ní Dhúill-Walsh, Siobhán" in _found(client, "Siobhán Walsh")
    assert "Ní Dhúill-Walsh, Siobhán" in _found(client, "dhuill")
    assert "No patient found" in _found(client, "O'Connor")


@pytest.mark.parametrize("typed", ["Siobhán Ní Dhúill-O'Connor", "Siobhan Ni Dhuill-OConnor", "O'Connor", "dhuill"])
def test_the_referrals_find_the_patient_finds_names_of_several_words_the_same_way(
        client, gen, login_as, siobhan, typed):
    login_as(gen.user(Role.COORDINATOR))
    page = client.get("/referrals/find", query_string={"q": typed}).get_data(as_text=True)
    assert "1 patient found" in page, typed
    assert f'href="/referrals/patients/{siobhan.id}/new"' in page
    # Narrowed by the date of birth as well.
    narrowed = client.get("/referrals/find", query_string={"q": typed, "date_of_birth": "1984-06-09"})
    assert f'href="/referrals/patients/{siobhan.id}/new"' in narrowed.get_data(as_text=True)


def test_registering_part_of_a_double_barrelled_name_again_warns_of_the_record_on_file(
        client, gen, login_as, siobhan):
    """The coordinator who missed Siobhán Ní Dhúill-O'Connor registers "Siobhan O'Connor", born the
    same day: the referral form lists the record on file before making another."""
    login_as(gen.user(Role.COORDINATOR))
    values = {**PATIENT, **REFERRAL, "mrn": "NEW-9", "family_name": "O'Connor", "given_name": "Siobhan",
              "date_of_birth": "1984-06-09"}
    response = submit(client, "/referrals/new", values)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Possible duplicate" in page and "family name part of the other" in page
    assert f'href="/patients/{siobhan.id}"' in page
    assert db.session.execute(db.select(db.func.count(Patient.id))).scalar() == 3


# ---------------------------------------------------------------- duplicates at registration

@pytest.mark.parametrize("typed,reason", [
    ({"family_name": "Garcia", "given_name": "Lucia"}, "same family name and date of birth"),
    ({"family_name": "Lucía", "given_name": "García"}, "given and family names swapped"),
    ({"family_name": "Garcai", "given_name": "Lucia"}, "name one letter apart"),
])
def test_registering_a_likely_duplicate_warns_with_links_and_needs_confirming(client, gen, login_as, garcia, typed, reason):
    login_as(gen.user(Role.COORDINATOR))
    values = {**PATIENT, **REFERRAL, "mrn": "NEW-1", "date_of_birth": "1961-04-02", **typed}
    response = submit(client, "/referrals/new", values)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Possible duplicate" in page and reason in page
    assert f'href="/patients/{garcia.id}"' in page
    assert f'href="/referrals/patients/{garcia.id}/new"' in page
    assert db.session.execute(db.select(db.func.count(Patient.id))).scalar() == 2

    confirmed = submit(client, "/referrals/new", {**values, "confirm_new_patient": "y"})
    assert confirmed.status_code == 302
    assert db.session.execute(db.select(db.func.count(Patient.id))).scalar() == 3


@pytest.mark.parametrize("mrn", ["A-100\u200b200", "ａ-１００２００", " a-100200 ",
                                 "A100200", "a 100 200", "A.100/200", "A/100-200"])
def test_an_mrn_that_differs_only_by_invisible_or_full_width_characters_or_punctuation_is_refused(client, gen, login_as, garcia, mrn):
    login_as(gen.user(Role.COORDINATOR))
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "mrn": mrn})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A patient with this MRN is already registered (García, Lucía" in page
    assert db.session.execute(db.select(db.func.count(Case.id))).scalar() == 1


def test_registering_qa1002_beside_qa_1002_is_told_it_is_the_same_mrn_and_keeps_what_was_typed(
        client, gen, login_as):
    existing = gen.patient(mrn="QA-1002", family_name="Okafor", given_name="Grace", date_of_birth=date(1950, 3, 3))
    login_as(gen.user(Role.COORDINATOR))
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "mrn": "QA1002", "family_name": "Okafor",
                                                 "given_name": "Grace"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A patient with this MRN is already registered (Okafor, Grace, born 1950-03-03)" in page
    assert 'value="QA1002"' in page
    assert db.session.execute(db.select(db.func.count(Patient.id))).scalar() == 1
    assert db.session.get(Patient, existing.id).mrn == "QA-1002"


def test_a_new_mrn_is_stored_with_the_clinics_punctuation(client, gen, login_as):
    login_as(gen.user(Role.COORDINATOR))
    assert submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "mrn": "qa.77/1"}).status_code == 302
    patient = db.session.execute(db.select(Patient)).scalar_one()
    assert (patient.mrn, patient.mrn_key) == ("QA.77/1", "QA771")


def test_names_are_stored_as_spelled_without_bidi_controls(client, gen, login_as):
    login_as(gen.user(Role.COORDINATOR))
    submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "family_name": "\u202eO'Brien\u202c",
                                      "given_name": "Se\u200bán", "mrn": "ＮＥＷ－２"})
    patient = db.session.execute(db.select(Patient)).scalar_one()
    assert (patient.family_name, patient.given_name, patient.mrn) == ("O'Brien", "Seán", "NEW-2")
    assert (patient.family_name_key, patient.given_name_key) == ("obrien", "sean")


# ---------------------------------------------------------------- a corrected MRN's former number

def _correct_mrn(client, patient, mrn, reason):
    """Correct details as a coordinator does it: the form as it stands, a new MRN and its reason."""
    url = f"/patients/{patient.id}/edit"
    page = soup(client.get(url).get_data(as_text=True))
    data = form_data(next(f for f in page.find_all("form", method="post") if not f.get("action")))
    return client.post(url, data={**data, "mrn": mrn, "mrn_reason": reason})


@pytest.fixture
def corrected(client, gen, login_as):
    """QA-7002 corrected to QA-7009 through Correct details, with a reason; a namesake beside it."""
    login_as(gen.user(Role.COORDINATOR))
    patient = gen.patient(mrn="QA-7002", family_name="Lindqvist", given_name="Erik")
    case = gen.case(patient=patient, state=State.UNDER_REVIEW)
    gen.patient(mrn="QA-7003", family_name="Lindqvist", given_name="Anna")
    assert _correct_mrn(client, patient, "QA-7009", "Label printer misread the last digit").status_code == 302
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).mrn == "QA-7009"
    return patient, case


@pytest.mark.parametrize("typed", ["QA-7002", "qa7002", "QA 7002"])
def test_a_corrected_mrns_former_number_still_finds_the_record_saying_formerly(client, corrected, typed,
                                                                               count_queries):
    patient, case = corrected
    with count_queries() as counter:
        page = _found(client, typed)
    assert "1 patient found" in page and f'href="/patients/{patient.id}"' in page and "Lindqvist, Anna" not in page
    row = soup(page).find("a", href=f"/patients/{patient.id}").find_parent("tr")
    assert "QA-7009 formerly QA-7002" in " ".join(row.get_text().split())
    assert f'href="/cases/{case.id}"' in page
    # As many queries as any search: the user, the patients with their cases, the audit row.
    assert counter.n == 3
    # The new number finds it too, with nothing said of the old.
    page = _found(client, "QA-7009")
    assert "1 patient found" in page and "formerly" not in page


def test_the_worklist_finds_a_corrected_record_by_its_former_mrn(client, corrected):
    patient, case = corrected
    page = client.get("/cases/", query_string={"q": "QA-7002"}).get_data(as_text=True)
    assert f'href="/cases/{case.id}"' in page


def test_a_number_given_back_is_the_records_own_again_not_a_former_one(client, corrected):
    patient, _ = corrected
    assert _correct_mrn(client, db.session.get(Patient, patient.id), "QA-7002", "Corrected back").status_code == 302
    page = _found(client, "QA-7002")
    assert "1 patient found" in page and "formerly" not in page
    assert "formerly QA-7009" in " ".join(soup(_found(client, "QA-7009")).get_text().split())


def test_a_search_for_a_former_mrn_reads_indexes_never_a_whole_table(app_ctx, gen):
    patient = gen.patient(mrn="QA-7002")
    correct_mrn_in_a_register(patient, "QA-7009")
    if db.engine.dialect.name == "sqlite":
        db.session.execute(db.text("ANALYZE"))
    plan = _search_plan("QA-7002")
    db.session.rollback()
    assert any("ix_former_mrns_mrn_key" in line for line in plan), plan
    if db.engine.dialect.name == "sqlite":
        # The former numbers are read through their index, the patients by their id. (SQLite has
        # no trigram index: a fragment of an MRN reads a name index end to end, as it always has.)
        assert not [line for line in plan if re.match(r"SCAN former_mrns\b", line)], plan
        assert "SEARCH patients USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
    else:
        assert not [line for line in plan if "Seq Scan" in line], plan


@pytest.fixture
def hang(gen):
    """Nguyễn Thị Hằng: family name Nguyễn, given name "Thị Hằng" (two words), beside namesakes."""
    patient = gen.patient(mrn="VN-2201", family_name="Nguyễn", given_name="Thị Hằng", date_of_birth=date(1968, 3, 9))
    gen.case(patient=patient, state=State.REFERRED)
    gen.patient(mrn="VN-2202", family_name="Nguyễn", given_name="Văn Minh", date_of_birth=date(1971, 5, 1))
    gen.patient(mrn="VN-2203", family_name="Trần", given_name="Thị Lan", date_of_birth=date(1980, 2, 2))
    return patient


@pytest.mark.parametrize("typed", [
    # Any word of the given name alone, or from there on; with the family name in either order.
    "hang", "Hằng", "HẰNG", "Thi Hang", "Thị Hằng", "Nguyen Hang", "Nguyễn Hằng", "Hang Nguyen", "Nguyễn, Hằng",
    "nguyen, thi hang", "Nguyen Thi Hang",
])
def test_a_given_name_of_several_words_is_found_by_any_of_them(client, gen, login_as, hang, typed):
    login_as(gen.user(Role.COORDINATOR))
    page = _found(client, typed)
    assert "1 patient found" in page, typed
    assert "Nguyễn, Thị Hằng" in page and f'href="/patients/{hang.id}"' in page
    assert f'href="/cases/{hang.cases[0].id}"' in page


def test_the_middle_of_a_given_name_word_finds_nobody(client, gen, login_as, hang):
    login_as(gen.user(Role.COORDINATOR))
    assert "Nguyễn, Thị Hằng" not in _found(client, "ang")


@pytest.mark.parametrize("typed", ["hang", "Nguyen Hang", "Hằng Nguyễn", "Nguyễn, Hằng"])
def test_a_search_for_a_later_word_of_a_given_name_reads_indexes_never_a_whole_table(app_ctx, hang, typed):
    plan = _search_plan(typed)
    db.session.rollback()
    assert any("ix_given_name_parts_key" in line for line in plan), plan
    if db.engine.dialect.name == "sqlite":
        assert not [line for line in plan if re.match(r"SCAN (patients|given_name_parts)\b", line)], plan
    else:
        assert not [line for line in plan if "Seq Scan" in line], plan


def test_a_corrected_given_name_is_found_by_its_new_words_and_no_longer_by_the_old(client, gen, login_as, hang):
    login_as(gen.user(Role.COORDINATOR))
    url = f"/patients/{hang.id}/edit"
    page = soup(client.get(url).get_data(as_text=True))
    values = form_data(next(f for f in page.find_all("form", method="post") if not f.get("action")))
    response = client.post(url, data={**values, "given_name": "Thị Thu Hà"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "Nguyễn, Thị Thu Hà" in _found(client, "Thu")
    assert "Nguyễn, Thị Thu Hà" in _found(client, "Nguyen Ha")
    assert "No patient found" in _found(client, "Hang")


def test_the_referrals_find_the_patient_by_a_later_word_of_her_given_name(client, gen, login_as, hang):
    login_as(gen.user(Role.COORDINATOR))
    page = client.get("/referrals/find", query_string={"q": "Hằng", "date_of_birth": "1968-03-09"})
    assert f'href="/referrals/patients/{hang.id}/new"' in page.get_data(as_text=True)


def test_did_you_mean_says_the_family_name_is_as_typed_when_only_the_given_name_differs(client, gen, login_as, hang):
    """ "Nguyen Mai": the family name is Nguyễn's exactly, the given name nobody's: the offer must not
    say the family name is "one letter away"."""
    login_as(gen.user(Role.COORDINATOR))
    page = soup(_found(client, "Nguyen Mai"))
    assert "No patient found" in page.get_text()
    offered = page.find(id="did-you-mean")
    assert offered is not None
    said = " ".join(offered.get_text(" ").split())
    assert "one letter away" not in said
    assert "Nguyễn, Thị Hằng" in said and "Nguyễn, Văn Minh" in said
    for item in offered.find_all("li"):
        assert "family name as typed, another given name" in " ".join(item.get_text(" ").split())


@pytest.fixture
def nunez(gen):
    patient = gen.patient(mrn="W-7001", family_name="Núñez Peña", given_name="María José",
                          date_of_birth=date(1952, 7, 14))
    gen.patient(mrn="W-7500", family_name="Nunn", given_name="Arthur", date_of_birth=date(1948, 2, 2))
    return patient


@pytest.mark.parametrize("typed", ["Nunes", "Nunex", "Nuñes Pena", "nuenz", "Maria Nunes", "Nunes, Maria"])
def test_a_name_one_slip_away_is_offered_when_the_search_finds_nobody(client, gen, login_as, nunez, typed):
    """A coordinator on the phone types the name with one letter wrong: nobody is found, and the
    record that name is one letter away from is offered, linked, with its MRN and date of birth."""
    login_as(gen.user(Role.COORDINATOR))
    page = soup(_found(client, typed))
    assert "No patient found" in page.get_text()
    offered = page.find(id="did-you-mean")
    assert offered is not None, typed
    assert "Núñez Peña, María José" in offered.get_text() and "MRN W-7001, born 1952-07-14" in offered.get_text()
    assert offered.find("a", href=f"/patients/{nunez.id}")
    assert "family name one letter away" in " ".join(offered.get_text(" ").split())
    # Nunn is two letters from "nunes" (and from "nunex"): not offered.
    assert "Nunn" not in offered.get_text()


@pytest.mark.parametrize("typed", ["Nu", "Nun", "Smith", "W-7009", "07/14/1953"])
def test_nothing_is_offered_for_short_words_other_names_or_numbers(client, gen, login_as, nunez, typed):
    login_as(gen.user(Role.COORDINATOR))
    page = soup(_found(client, typed))
    if "No patient found" in page.get_text():
        assert page.find(id="did-you-mean") is None, typed


def test_a_merged_record_is_not_offered(client, gen, login_as, nunez):
    login_as(gen.user(Role.COORDINATOR))
    kept = gen.patient(mrn="W-7100", family_name="Ortiz", given_name="Ana", date_of_birth=date(1960, 1, 1))
    nunez.merged_into_id = kept.id
    db.session.commit()
    assert soup(_found(client, "Nunes")).find(id="did-you-mean") is None


def test_the_referrals_find_the_patient_offers_a_name_one_slip_away_with_a_new_referral(client, gen, login_as, nunez):
    login_as(gen.user(Role.COORDINATOR))
    page = soup(client.get("/referrals/find", query_string={"q": "Nunes"}).get_data(as_text=True))
    offered = page.find(id="did-you-mean")
    assert offered is not None and "Núñez Peña, María José" in offered.get_text()
    assert offered.find("a", href=f"/referrals/patients/{nunez.id}/new")


def test_a_search_offering_names_audits_them_as_shown(client, gen, login_as, nunez):
    from tracker.models import AuditEvent
    login_as(gen.user(Role.COORDINATOR))
    _found(client, "Nunes")
    row = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert row.summary == "viewed patient search results: 1 patient (q=Nunes)"


def test_the_header_search_box_is_for_clinical_staff_only(gen, login_as, make_client):
    """An admin's search could never show a patient: the box is not in an admin's header."""
    for role, shown in ((Role.COORDINATOR, True), (Role.PHYSICIAN, True), (Role.ADMIN, False)):
        client = login_as(gen.user(role), on=make_client())
        header = soup(client.get("/account/password").get_data(as_text=True)).find("header")
        assert (header.find(id="header-q") is not None) is shown, role


def test_the_admins_search_page_says_truly_what_an_admin_sees(gen, login_as, make_client):
    """An admin may open a case page by its address (to move a case back or cancel it), so the
    search page never says that an admin does not see patient records."""
    client = login_as(gen.user(Role.ADMIN), on=make_client())
    said = " ".join(soup(client.get("/search?q=Nunes").get_data(as_text=True)).find("main").get_text().split())

    assert "you do not see them" not in said
    assert ("Patient search is for clinical staff: an admin is shown no search results. To give a patient an "
            "account, use Users with their medical record number; a coordinator or physician can find and "
            "correct the record itself. An admin opens a case page only from its address, to move the case "
            "back or cancel it, and each opening is in the audit trail.") in said


@pytest.fixture
def murphy(gen):
    patient = gen.patient(mrn="W-7300", family_name="Murphy", given_name="Siobhán", date_of_birth=date(1971, 5, 3))
    gen.patient(mrn="W-7301", family_name="Murphy", given_name="Aoife", date_of_birth=date(1980, 1, 9))
    gen.patient(mrn="W-7302", family_name="Sims", given_name="Sioban", date_of_birth=date(1990, 2, 2))
    return patient


def _offered(client, typed):
    page = soup(_found(client, typed))
    assert "No patient found" in page.get_text(), typed
    offered = page.find(id="did-you-mean")
    assert offered is not None, typed
    return [" ".join(item.get_text(" ").split()) for item in offered.find_all("li")]


@pytest.mark.parametrize("typed", ["Siobahn", "Siobhn", "Siobhann", "siobahn murphy", "Murphy Siobahn"])
def test_a_given_name_one_slip_away_is_offered_and_said_to_be(client, gen, login_as, murphy, typed):
    """A new user types "Siobahn": nobody is found, and Siobhán Murphy is offered, linked, saying
    that her given name is one letter away."""
    login_as(gen.user(Role.COORDINATOR))
    items = _offered(client, typed)
    hers = [item for item in items if "Murphy, Siobhán" in item]
    assert hers and "given name one letter away" in hers[0], items
    assert soup(_found(client, typed)).find(id="did-you-mean").find("a", href=f"/patients/{murphy.id}")


def test_given_family_with_a_slip_in_either_offers_the_record_matching_both_first(client, gen, login_as, murphy):
    login_as(gen.user(Role.COORDINATOR))
    items = _offered(client, "Siobahn Murphy")
    assert "Murphy, Siobhán" in items[0] and "given name one letter away" in items[0], items
    # The other Murphy: her family name as typed, another given name.
    assert any("Murphy, Aoife" in i and "family name as typed, another given name" in i for i in items), items
    items = _offered(client, "Siobhan Murphey")
    assert "Murphy, Siobhán" in items[0] and "family name one letter away" in items[0], items


def test_a_given_name_as_typed_alone_is_not_offered(client, gen, login_as, murphy):
    login_as(gen.user(Role.COORDINATOR))
    page = soup(_found(client, "Siobhan Xavier"))
    offered = page.find(id="did-you-mean")
    assert offered is None or "Murphy, Siobhán" not in offered.get_text()
