"""Referral intake: find or register the patient, log the referral, edit it."""
import re
from datetime import date, timedelta

import pytest

from tracker.extensions import db
from tracker.models import Case, Patient
from tracker.roles import Role
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import PATIENT, REFERRAL, commit_elsewhere
from tests.helpers import field_error, form_data, input_by_id, input_value, is_checked, soup, submit, words


def _count(model):
    return db.session.execute(db.select(db.func.count(model.id))).scalar()


def test_new_patient_and_referral_open_a_referred_case(client, coordinator):
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Referral logged for Okonkwo, Ada" in page
    assert "worse on sit-to-stand, radiates to buttock / upper thigh" in page
    case = db.session.execute(db.select(Case)).scalar_one()
    assert (case.state, case.side.value, case.symptom_onset) == (State.REFERRED, "right", date(2026, 3, 1))
    assert [h.to_state for h in case.history] == [State.REFERRED]


def test_bad_referral_input_is_explained_next_to_each_field_and_nothing_typed_is_lost(client, coordinator):
    future = (date.today() + timedelta(days=30)).isoformat()
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "referral_date": future,
                                                 "email": "not-an-email", "family_name": "", "side": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This date is in the future" in page
    assert "Enter a valid email address." in page
    assert "Enter the family name." in page
    assert "Choose the side: left, right or bilateral." in page
    assert 'value="A-100200"' in page and "Buttock pain on sit-to-stand" in page
    assert _count(Case) == 0 and _count(Patient) == 0


def test_a_date_of_birth_left_empty_is_said_to_be_required(client, coordinator):
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "date_of_birth": ""})

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "date_of_birth") == "Enter the date of birth."
    assert _count(Patient) == 0


def test_a_date_of_birth_filled_in_part_asks_for_the_full_date(client, coordinator):
    """A date box filled in part (no year) sends nothing, as an empty one does: the page's script
    names it in `incomplete_dates` (static/js/dates.js), and the message asks for the whole date."""
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "date_of_birth": "",
                                                 "incomplete_dates": "date_of_birth"})

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "date_of_birth") == "Enter the date of birth as a full date."


def test_a_symptom_onset_filled_in_part_is_refused_not_dropped(client, coordinator):
    # Read as empty, the referral would say "Symptom onset: not recorded" and the pain's duration unknown.
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "symptom_onset": "",
                                                 "incomplete_dates": "symptom_onset"})

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "symptom_onset") == (
        "Enter a full date (month, day and year), or leave the box empty.")
    assert _count(Case) == 0


def test_a_required_date_filled_in_part_asks_for_the_full_date(client, coordinator):
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "referral_date": "",
                                                 "incomplete_dates": "referral_date"})

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "referral_date") == (
        "Enter a full date (month, day and year).")


def test_symptom_onset_after_the_referral_is_refused(client, coordinator):
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "symptom_onset": "2026-11-05"})
    assert "Symptom onset is after the referral date." in response.get_data(as_text=True)


def test_a_second_patient_with_the_same_mrn_is_refused_next_to_the_mrn(client, coordinator, gen):
    gen.patient(mrn="A-100200", family_name="Someone", given_name="Else", date_of_birth=date(1950, 1, 1))
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL})
    page = response.get_data(as_text=True)
    assert "A patient with this MRN is already registered (Someone, Else" in page
    assert "Log the referral on Someone, Else's record instead" in page
    assert 'value="Okonkwo"' in page
    assert _count(Case) == 0 and _count(Patient) == 1


def test_an_mrn_already_registered_is_named_with_the_forms_other_errors_at_once(client, coordinator, gen):
    gen.patient(mrn="A-100200", family_name="Someone", given_name="Else", date_of_birth=date(1950, 1, 1))
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "mrn": "a 100 200", "given_name": "Ada2"})
    page = response.get_data(as_text=True)
    assert field_error(page, "given_name") and "already registered (Someone, Else" in field_error(page, "mrn")
    assert _count(Patient) == 1
    owner = db.session.execute(db.select(Patient).filter_by(mrn="A-100200")).scalar_one()
    link = soup(page).find("a", string=lambda s: s and "Log the referral on Someone, Else's record instead" in s)
    assert link is not None and link["href"] == f"/referrals/patients/{owner.id}/new"


def test_same_name_and_birth_date_is_warned_and_needs_confirmation(client, coordinator, gen):
    known = gen.patient(mrn="B-7", family_name="Okonkwo", given_name="Ada", date_of_birth=date(1970, 3, 14))
    warned = submit(client, "/referrals/new", {**PATIENT, **REFERRAL})
    page = warned.get_data(as_text=True)
    assert "Possible duplicate" in page and "MRN B-7" in page
    assert f"/referrals/patients/{known.id}/new" in page
    assert _count(Patient) == 1
    confirmed = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "confirm_new_patient": "y"},
                       form_page="/referrals/new", follow_redirects=True)
    assert "Referral logged for Okonkwo, Ada" in confirmed.get_data(as_text=True)
    assert _count(Patient) == 2


def test_find_patient_by_mrn_or_name_and_refer_them_again(client, coordinator, gen):
    patient = gen.patient(mrn="C-42", family_name="Lindqvist", date_of_birth=date(1955, 9, 3))
    gen.patient(family_name="Other")
    by_mrn = client.get("/referrals/find?q=C-42").get_data(as_text=True)
    assert "Lindqvist" in by_mrn and "1 patient found" in by_mrn
    by_name = client.get("/referrals/find?q=lind&date_of_birth=1955-09-03").get_data(as_text=True)
    assert "Lindqvist" in by_name and "Other" not in by_name
    response = submit(client, f"/referrals/patients/{patient.id}/new", REFERRAL, follow_redirects=True)
    assert "Referral logged for Lindqvist" in response.get_data(as_text=True)
    assert _count(Patient) == 2 and len(db.session.get(Patient, patient.id).cases) == 1


def test_finding_the_patient_by_a_merged_records_mrn_or_name_finds_the_record_kept(client, coordinator, gen):
    """A referral that names a record since merged (its MRN on an old letter, its misspelt name):
    the header search finds the record kept, and so does the referral's search, so that the
    injection counts with the patient's others instead of "No patient found" and a new record."""
    kept = gen.patient(mrn="QA-7101", family_name="Whitfield", given_name="Harold", date_of_birth=date(1955, 3, 14))
    merged = gen.patient(mrn="QA-7199", family_name="Whitfeld", given_name="Harold", date_of_birth=date(1955, 3, 14))
    merged.merged_into_id = kept.id
    db.session.commit()
    for query in ("q=QA-7199", "q=QA-7199&date_of_birth=1955-03-14", "q=whitfeld&date_of_birth=1955-03-14"):
        page = client.get(f"/referrals/find?{query}").get_data(as_text=True)
        assert "1 patient found" in page, query
        assert f'href="/referrals/patients/{kept.id}/new"' in page, query
        assert f'href="/referrals/patients/{merged.id}/new"' not in page, query


def test_editing_the_referral_saves_and_a_stale_form_is_refused(client, make_client, coordinator, gen,
                                                                login_as):
    case = gen.case(state=State.UNDER_REVIEW)
    version = case.version_id
    edited = {**REFERRAL, "version_id": version, "side": "bilateral", "payer_profile_code": "EVICORE_CMM_203"}
    response = submit(client, f"/referrals/cases/{case.id}", edited,
                      follow_redirects=True)
    assert "Referral saved." in response.get_data(as_text=True)
    db.session.expire_all()
    assert case.side.value == "bilateral" and case.payer_profile_code == "EVICORE_CMM_203"

    other = login_as(gen.user(Role.COORDINATOR), on=make_client())
    stale = submit(other, f"/referrals/cases/{case.id}", {**edited, "side": "left"})
    assert stale.status_code == 409
    assert "Someone else saved this referral after you opened the form" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert case.side.value == "bilateral"


def _referral_form(page):
    """What the browser would send back unchanged from the referral form on `page`."""
    return form_data(soup(page).find("input", attrs={"name": "version_id"}).find_parent("form"))


def _opened(client, case):
    """The referral form as a tab opened it."""
    return _referral_form(client.get(f"/referrals/cases/{case.id}").get_data(as_text=True))


def test_a_second_save_after_a_conflict_keeps_a_colleagues_changes_to_fields_left_alone(client, coordinator, gen):
    """Walkthrough finding: tab A corrects the payer and the onset; tab B, opened before, changes
    only the reason and is refused as stale; pressing Save again put back the old payer and onset
    (and the old verdict). Now the refused form takes their values for the fields B left alone."""
    case = gen.case(state=State.UNDER_REVIEW, reason="Buttock pain")
    url = f"/referrals/cases/{case.id}"
    tab_a, tab_b = _opened(client, case), _opened(client, case)
    assert submit(client, url, {**tab_a, "payer_profile_code": "MP_558", "symptom_onset": "2025-10-01"}).status_code == 302

    refused = submit(client, url, {**tab_b, "reason": "Buttock pain, worse on stairs"})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Their changes to fields you had not changed are now in the form: Symptom onset, Payer profile." in words(soup(page))
    shown = _referral_form(page)
    assert (shown["payer_profile_code"], shown["symptom_onset"]) == ("MP_558", "2025-10-01")
    assert shown["reason"] == "Buttock pain, worse on stairs"  # what B typed, kept
    assert soup(page).find(class_="notice-warning", role="alert") is None  # nothing changed by both

    assert submit(client, url, shown).status_code == 302
    db.session.expire_all()
    assert (case.payer_profile_code, case.symptom_onset.isoformat(), case.reason) == (
        "MP_558", "2025-10-01", "Buttock pain, worse on stairs")


def test_a_field_both_changed_is_listed_and_the_second_save_stores_what_was_typed(client, coordinator, gen):
    case = gen.case(state=State.UNDER_REVIEW, reason="Buttock pain")
    url = f"/referrals/cases/{case.id}"
    tab_a, tab_b = _opened(client, case), _opened(client, case)
    assert submit(client, url, {**tab_a, "reason": "Pain on sit-to-stand"}).status_code == 302
    refused = submit(client, url, {**tab_b, "reason": "Pain after a long drive"})
    assert refused.status_code == 409
    notice = words(soup(refused.get_data(as_text=True)).find(class_="notice-warning", role="alert"))
    assert "Changed by both of you:" in notice
    assert "Reason for referral: saved Pain on sit-to-stand, your form Pain after a long drive" in notice
    shown = _referral_form(refused.get_data(as_text=True))
    assert shown["reason"] == "Pain after a long drive"
    assert submit(client, url, shown).status_code == 302
    db.session.expire_all()
    assert case.reason == "Pain after a long drive"


def test_a_third_save_merges_again_against_what_was_saved_after_the_second(client, coordinator, gen):
    """The refused form remembers the record as saved then: a colleague saving once more before the
    second save is merged again, not overwritten."""
    case = gen.case(state=State.UNDER_REVIEW, reason="Buttock pain")
    url = f"/referrals/cases/{case.id}"
    tab_a, tab_b = _opened(client, case), _opened(client, case)
    assert submit(client, url, {**tab_a, "payer_profile_code": "MP_558"}).status_code == 302
    shown = _referral_form(submit(client, url, {**tab_b, "reason": "Typed in B"}).get_data(as_text=True))
    again = _opened(client, case)
    assert submit(client, url, {**again, "symptom_onset": "2025-09-15"}).status_code == 302
    second = submit(client, url, shown)
    assert second.status_code == 409
    final = _referral_form(second.get_data(as_text=True))
    assert (final["payer_profile_code"], final["symptom_onset"], final["reason"]) == ("MP_558", "2025-09-15", "Typed in B")


# ---------------------------------------------------------------- MRNs as a clinic types them


def test_an_mrn_is_stored_trimmed_in_capitals_and_found_however_it_is_typed(client, coordinator):
    submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "mrn": "  a-100200 "})
    assert db.session.execute(db.select(Patient.mrn)).scalar_one() == "A-100200"

    found = client.get("/referrals/find?q=%20a-100200%20").get_data(as_text=True)
    on_worklist = client.get("/cases/?q=a-100200").get_data(as_text=True)

    assert "1 patient found" in found and "Okonkwo, Ada" in found
    assert "Okonkwo, Ada" in on_worklist


def test_the_same_mrn_in_other_letters_is_a_duplicate(client, coordinator, gen):
    gen.patient(mrn="DEMO-0001", family_name="Okafor", given_name="Grace", date_of_birth=date(1950, 1, 1))

    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "mrn": " demo-0001"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A patient with this MRN is already registered (Okafor, Grace" in page
    assert _count(Patient) == 1


def test_an_mrn_registered_by_someone_else_a_moment_ago_is_refused_next_to_the_mrn(
        client, coordinator, monkeypatch):
    """The other coordinator's patient is saved after this request checked the MRN and before it
    saves its own: the database refuses the second, and the user sees the check's message."""
    from tracker.referrals import services

    check = services.check_mrn_free

    def check_then_someone_else_registers(mrn, patient_id=None):
        check(mrn, patient_id)
        commit_elsewhere(Patient(mrn=mrn, family_name="Quick", given_name="Other",
                                 date_of_birth=date(1980, 1, 1)))

    monkeypatch.setattr(services, "check_mrn_free", check_then_someone_else_registers)
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL})
    monkeypatch.undo()

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A patient with this MRN is already registered (Quick, Other, born 1980-01-01)" in page
    assert 'value="Okonkwo"' in page and "Buttock pain on sit-to-stand" in page
    assert _count(Patient) == 1 and _count(Case) == 0


# ---------------------------------------------------------------- searching


@pytest.mark.parametrize("typed", ["%", "_", "%25", "o%"])
def test_wildcards_typed_in_the_search_are_plain_characters(client, coordinator, gen, typed):
    gen.patient(family_name="Okonkwo")
    gen.case(patient=gen.patient(family_name="Lindqvist"))

    found = client.get(f"/referrals/find?q={typed}").get_data(as_text=True)
    on_worklist = client.get(f"/cases/?q={typed}").get_data(as_text=True)

    # Too short or no letters at all: explained, never a match on everyone.
    assert "No patient found" in found or "letters or digits" in found
    assert "Okonkwo" not in found and "Lindqvist" not in found
    assert "Lindqvist" not in on_worklist


def test_punctuation_in_a_family_name_does_not_decide_whether_it_is_found(client, coordinator, gen):
    gen.patient(family_name="Test_Patient")
    gen.patient(family_name="Other")

    for typed in ("test_", "Test Patient", "testpatient"):
        found = client.get(f"/referrals/find?q={typed}").get_data(as_text=True)
        assert "1 patient found" in found and "Test_Patient" in found, typed


def _register_link(page):
    return soup(page).find("a", string=re.compile(r"^Register a new patient"))["href"]


def test_a_search_by_mrn_that_found_nobody_starts_the_registration_with_it(client, coordinator, gen):
    gen.patient(mrn="C-42")

    page = client.get("/referrals/find?q=%20z-991%20&date_of_birth=1970-03-14").get_data(as_text=True)
    link = _register_link(page)
    form = client.get(link).get_data(as_text=True)

    assert "No patient found" in page
    assert 'value="z-991"' in form and 'value="1970-03-14"' in form
    assert input_by_id(form, "family_name").get("value") == ""


def test_a_search_by_name_and_birth_date_that_found_nobody_starts_the_registration_with_them(
        client, coordinator, gen):
    gen.patient(family_name="Okonkwo", date_of_birth=date(1971, 1, 1))

    page = client.get("/referrals/find?q=Okonkwo&date_of_birth=1970-03-14").get_data(as_text=True)
    form = client.get(_register_link(page)).get_data(as_text=True)

    assert 'value="Okonkwo"' in form and 'value="1970-03-14"' in form
    assert input_by_id(form, "mrn").get("value") == ""
    response = submit(client, _register_link(page), {**PATIENT, **REFERRAL})
    assert response.status_code == 302


def test_a_family_given_search_that_found_nobody_starts_the_registration_with_each_name_in_its_box(
        client, coordinator, gen):
    """The find box takes "Family, Given" (as the worklist shows names): a search that found nobody
    starts the registration with the family name and the given name each in its own box, never the
    whole "Ní Bhriain, Aoife" as a family name (which the name rules then refuse for its comma)."""
    gen.patient(family_name="Okonkwo")

    page = client.get("/referrals/find", query_string={"q": "Ní Bhriain, Aoife",
                                                       "date_of_birth": "1955-03-14"}).get_data(as_text=True)
    form = client.get(_register_link(page)).get_data(as_text=True)

    assert "No patient found" in page
    assert input_by_id(form, "family_name").get("value") == "Ní Bhriain"
    assert input_by_id(form, "given_name").get("value") == "Aoife"


def test_a_phone_search_that_found_nobody_does_not_start_the_registration_with_it_as_the_mrn(
        client, coordinator, gen):
    """The find box takes a phone number; one that found nobody is the patient's phone, not an MRN:
    the registration must not offer "(201) 555-0199" as the medical record number."""
    gen.patient(mrn="C-42")

    page = client.get("/referrals/find", query_string={"q": "(201) 555-0199"}).get_data(as_text=True)
    form = client.get(_register_link(page)).get_data(as_text=True)

    assert "No patient found" in page
    assert input_by_id(form, "mrn").get("value") == ""
    assert input_by_id(form, "phone").get("value") in ("", "(201) 555-0199")


def test_a_search_that_found_the_patient_offers_an_empty_registration(client, coordinator, gen):
    gen.patient(mrn="C-42")

    page = client.get("/referrals/find?q=c-42").get_data(as_text=True)

    assert "1 patient found" in page
    assert _register_link(page) == "/referrals/new"


def test_the_referral_date_starts_at_today(client, gen, login_as):
    from tracker.roles import Role
    from tracker.timeutil import clinic_today

    login_as(gen.user(Role.COORDINATOR))
    page = client.get("/referrals/new").get_data(as_text=True)
    assert input_by_id(page, "referral_date").get("value") == clinic_today().isoformat()


def test_the_symptom_onset_says_which_day_to_enter_when_only_the_month_is_known(client, coordinator):
    # "Pain since June": the 1st would add up to a month to the pain duration a payer counts.
    hint = soup(client.get("/referrals/new").get_data(as_text=True)).find(id="symptom_onset-hint").get_text()
    assert "Pain must have lasted 3 months or more for most payers." in hint
    assert "Only the month known? Enter its last day" in hint


def test_the_referral_records_its_diagnosis_codes_from_the_clinics_list(client, coordinator):
    page = client.get("/referrals/new").get_data(as_text=True)
    assert "M46.1 Sacroiliitis, not elsewhere classified" in page and "M53.3" not in page
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "diagnosis_codes": ["M46.1", "M47.818"]},
                      follow_redirects=True)
    assert "M46.1, M47.818" in response.get_data(as_text=True)
    case = db.session.execute(db.select(Case)).scalar_one()
    assert case.diagnosis_codes == ["M46.1", "M47.818"]


def test_a_code_not_on_the_list_is_refused_and_the_form_kept(client, coordinator):
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "diagnosis_codes": ["M53.3"]})
    assert response.status_code == 422
    assert "Buttock pain on sit-to-stand" in response.get_data(as_text=True)
    assert _count(Case) == 0


def test_a_code_taken_off_the_list_stays_on_the_referral_that_carries_it(client, coordinator, gen):
    case = gen.case(diagnosis_codes=["M54.59"])
    page = client.get(f"/referrals/cases/{case.id}").get_data(as_text=True)
    assert is_checked(page, "diagnosis_codes", "M54.59")


@pytest.mark.parametrize("family, given, wrong", [
    ("Okonkwo🙂", "Ada", "family_name"), ("Okonkwo", "Ada ❤️", "given_name"), ("Okonkwo", "Ada2", "given_name")])
def test_a_name_with_an_emoji_or_a_digit_is_refused_next_to_the_field_and_kept(client, coordinator, family, given, wrong):
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "family_name": family, "given_name": given})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A name holds letters, spaces, apostrophes" in field_error(page, wrong)
    assert input_by_id(page, "family_name")["value"] == family and input_by_id(page, "given_name")["value"] == given
    assert _count(Case) == 0


@pytest.mark.parametrize("family, given", [("García", "Lucía"), ("O'Brien", "Zoë"), ("Nguyễn", "Thị Lan"),
                                           ("Smith-Jones", "J. R."), ("O’Brien", "Seán")])
def test_real_spellings_of_names_are_registered_as_typed(client, coordinator, family, given):
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "family_name": family, "given_name": given})
    assert response.status_code == 302
    patient = db.session.scalars(db.select(Patient)).one()
    assert (patient.family_name, patient.given_name) == (family, given)


def test_logging_a_referral_is_one_button_for_a_new_and_a_known_patient(client, coordinator, gen):
    patient = gen.patient(family_name="Lindqvist")
    for url in ("/referrals/new", f"/referrals/patients/{patient.id}/new"):
        buttons = [b.get("value") for b in soup(client.get(url).get_data(as_text=True)).select("form input[type=submit]")]
        assert "Log referral" in buttons and "Save referral" not in buttons, url


# ---------------------------------------------------------------- a second referral for the same joint

@pytest.mark.parametrize("open_side, referred_side", [
    ("right", "right"), ("bilateral", "right"), ("left", "bilateral")])
def test_a_second_referral_for_a_side_with_an_open_case_is_warned_and_needs_confirmation(
        client, coordinator, gen, open_side, referred_side):
    patient = gen.patient(family_name="Lindqvist")
    open_case = gen.case(patient=patient, state=State.UNDER_REVIEW, side=Side(open_side))
    url = f"/referrals/patients/{patient.id}/new"
    warned = submit(client, url, {**REFERRAL, "side": referred_side})
    page = warned.get_data(as_text=True)
    assert warned.status_code == 422
    assert "Already an open case on this side" in page
    assert f'href="/cases/{open_case.id}"' in page
    # The open case is not called an earlier one.
    assert "MRN" in words(soup(page).select_one("p.muted")) and "earlier case" not in page
    assert words(soup(page).select_one("p.muted")).endswith("· an open case on the same side")
    assert "tick this box to log this referral as well" in page
    # What was typed is kept for the confirmation.
    assert "Buttock pain on sit-to-stand" in page and 'value="Dr Marsh"' in page
    assert len(db.session.get(Patient, patient.id).cases) == 1
    # The confirmation covers the open cases listed: the form carries their ids.
    assert soup(page).find("input", attrs={"name": "seen_open_cases"})["value"] == str(open_case.id)
    confirmed = submit(client, url, {**REFERRAL, "side": referred_side, "confirm_second_referral": "y",
                                     "seen_open_cases": str(open_case.id)}, follow_redirects=True)
    assert "Referral logged for Lindqvist" in confirmed.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(Patient, patient.id).cases) == 2


def test_a_confirmation_covers_the_cases_it_listed_not_one_opened_since(client, coordinator, gen):
    """Review finding: the confirmed further referral sent twice (a double click, a retry) opened
    two cases. The second is refused, listing the case the first one opened."""
    patient = gen.patient(family_name="Lindqvist")
    open_case = gen.case(patient=patient, state=State.UNDER_REVIEW, side=Side.LEFT)
    url = f"/referrals/patients/{patient.id}/new"
    confirmation = {**REFERRAL, "side": "left", "confirm_second_referral": "y", "seen_open_cases": str(open_case.id)}
    assert submit(client, url, confirmation).status_code == 302
    again = submit(client, url, confirmation)
    assert again.status_code == 422
    page = again.get_data(as_text=True)
    db.session.expire_all()
    cases = db.session.get(Patient, patient.id).cases
    assert len(cases) == 2
    newest = max(case.id for case in cases)
    assert f'href="/cases/{newest}"' in page and "tick this box to log this referral as well" in page
    # Seen now, it can still be confirmed (a third referral on purpose).
    assert soup(page).find("input", attrs={"name": "seen_open_cases"})["value"] == f"{open_case.id},{newest}"


@pytest.mark.parametrize("state, side", [
    (State.CLOSED, "right"), (State.CANCELLED, "right"), (State.UNDER_REVIEW, "left")])
def test_a_referral_is_logged_without_a_question_when_no_open_case_shares_its_side(
        client, coordinator, gen, state, side):
    patient = gen.patient(family_name="Lindqvist")
    gen.case(patient=patient, state=state, side=Side(side))
    response = submit(client, f"/referrals/patients/{patient.id}/new", {**REFERRAL, "side": "right"},
                      follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Referral logged for Lindqvist" in page and "Already an open case" not in page


def test_registering_a_patient_who_prefers_email_without_an_address_is_refused_next_to_the_field(
        client, coordinator):
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "email": ""})

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "preferred_contact") == (
        "There is no email address to write to. Give one, or choose another way to contact the patient.")
    assert db.session.execute(db.select(Patient)).first() is None
    assert submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "email": "",
                                             "preferred_contact": "phone"}).status_code == 302


def test_the_new_referral_form_presumes_no_way_of_contact_and_asks_for_one_keeping_what_was_typed(
        client, coordinator):
    page = client.get("/referrals/new").get_data(as_text=True)
    chosen = soup(page).find("select", id="preferred_contact").find("option", selected=True)
    assert chosen is None or chosen["value"] == "", "no channel is chosen for the coordinator"

    phone_only = {**PATIENT, **REFERRAL, "email": "", "preferred_contact": ""}
    response = submit(client, "/referrals/new", phone_only)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "preferred_contact") == (
        "Choose how to contact the patient: a phone call, a text message (a mobile number) or email (an address).")
    assert input_value(page, "phone") == "+1 201 555 0100" and input_value(page, "mrn") == PATIENT["mrn"]
    assert db.session.execute(db.select(Patient)).first() is None
    assert submit(client, "/referrals/new", {**phone_only, "preferred_contact": "phone"}).status_code == 302


@pytest.mark.parametrize("field, typed, message", [
    ("date_of_birth", "1961-02-30", "1961-02-30 is not a date: February 1961 has 28 days."),
    ("symptom_onset", "2026-06-31", "2026-06-31 is not a date: June 2026 has 30 days."),
    ("referral_date", "02/11/2026", "02/11/2026 is not a date: use YYYY-MM-DD, e.g. 2026-05-12."),
])
def test_a_day_that_does_not_exist_is_named_next_to_the_field_and_everything_typed_is_kept(
        client, coordinator, field, typed, message):
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, field: typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, field) == message
    assert input_by_id(page, field)["value"] == typed
    assert input_by_id(page, "family_name")["value"] == PATIENT["family_name"]
    assert db.session.scalars(db.select(Patient)).first() is None


def test_once_booked_who_referred_and_the_reason_can_still_be_corrected(client, coordinator, gen):
    """Walkthrough finding: a typo in the referring clinician could not be fixed once the case was
    scheduled, and the refusal blamed the side, which had not changed."""
    case = gen.case(state=State.SCHEDULED, reason="Buttock pain", side=Side.LEFT)
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert soup(case_page).find("a", href=f"/referrals/cases/{case.id}") is not None
    page = client.get(f"/referrals/cases/{case.id}").get_data(as_text=True)
    shown = _referral_form(page)
    assert "side" not in shown and "payer_profile_code" not in shown  # not offered
    assert "Who referred and the reason for referral can still be corrected." in words(soup(page))
    response = submit(client, f"/referrals/cases/{case.id}", {**shown, "referring_clinician": "Dr Marsh",
                                                              "reason": "Buttock pain on stairs"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (case.referring_clinician, case.reason, case.side) == ("Dr Marsh", "Buttock pain on stairs", Side.LEFT)


def test_once_booked_a_side_sent_anyway_changes_nothing(client, coordinator, gen):
    case = gen.case(state=State.SCHEDULED, side=Side.LEFT, payer_profile_code=None)
    shown = _referral_form(client.get(f"/referrals/cases/{case.id}").get_data(as_text=True))
    response = submit(client, f"/referrals/cases/{case.id}", {**shown, "side": "right",
                                                              "payer_profile_code": "MP_558", "reason": "Typo fixed"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (case.side, case.payer_profile_code, case.reason) == (Side.LEFT, None, "Typo fixed")


@pytest.mark.parametrize("state", [State.CLOSED, State.CANCELLED])
def test_a_closed_or_cancelled_case_offers_no_referral_edit(client, coordinator, gen, state):
    case = gen.case(state=state)
    assert soup(client.get(f"/cases/{case.id}").get_data(as_text=True)).find(
        "a", href=f"/referrals/cases/{case.id}") is None
    shown = {"referring_clinician": "Dr Marsh", "referral_date": "2026-01-05", "side": case.side.value,
             "indication": case.indication.value, "version_id": str(case.version_id)}
    response = submit(client, f"/referrals/cases/{case.id}", shown)
    assert response.status_code == 422
    assert "This can no longer change" in response.get_data(as_text=True)


# ---------------------------------------------------------------- a physician taken off the schedule


def _physician_taken_off(gen, state):
    doctor = gen.user(Role.PHYSICIAN, name="Dr Former")
    case = gen.case(state=state, physician_id=doctor.id, reason="Buttock pain")
    doctor.active = False
    db.session.commit()
    return doctor, case


def test_correcting_a_referral_keeps_a_deactivated_physician_the_case_still_belongs_to(client, coordinator, gen):
    """README: a deactivated physician's cases stay theirs until a coordinator reassigns them (the
    worklist's filter lists them as "(inactive)"). The edit form offered active physicians only, so
    the browser sent "Not assigned yet" and correcting the onset silently unassigned the case."""
    doctor, case = _physician_taken_off(gen, State.UNDER_REVIEW)
    url = f"/referrals/cases/{case.id}"
    opened = _opened(client, case)
    assert opened["physician_id"] == str(doctor.id)  # shown as the case's physician, not as none

    assert submit(client, url, {**opened, "symptom_onset": "2025-10-01"}).status_code == 302
    db.session.expire_all()
    assert case.physician_id == doctor.id and case.symptom_onset == date(2025, 10, 1)


def test_the_reason_can_be_corrected_on_a_booked_case_whose_physician_was_deactivated(client, coordinator, gen):
    """Once booked only who referred and the reason can change; with the case's physician taken off
    the schedule (its appointment stays theirs until moved) the save was refused with "Physician: Not
    a valid choice.", a field the page does not even offer."""
    doctor, case = _physician_taken_off(gen, State.SCHEDULED)
    url = f"/referrals/cases/{case.id}"
    response = submit(client, url, {**_opened(client, case), "reason": "Buttock pain, worse on stairs"})
    assert response.status_code == 302, words(soup(response.get_data(as_text=True)).find("main"))
    db.session.expire_all()
    assert (case.reason, case.physician_id) == ("Buttock pain, worse on stairs", doctor.id)


def test_correcting_a_referrals_side_onto_a_side_with_an_open_case_is_warned_too(client, coordinator, gen):
    """A second referral for a joint with an open case is warned and needs the box (README, "A
    second referral for the same joint"). Logged for the right side and corrected to the left, the
    patient had two open cases on the left joint and nobody was told: the duplicate case the warning
    exists to prevent, reached through Edit."""
    patient = gen.patient(family_name="Lindqvist")
    left = gen.case(patient=patient, state=State.UNDER_REVIEW, side=Side.LEFT)
    right = gen.case(patient=patient, state=State.REFERRED, side=Side.RIGHT)
    url = f"/referrals/cases/{right.id}"
    response = submit(client, url, {**_opened(client, right), "side": "left"})
    page = response.get_data(as_text=True)
    db.session.expire_all()
    assert right.side == Side.RIGHT, "saved onto the left joint with an open left case, no warning"
    assert response.status_code == 422 and f'href="/cases/{left.id}"' in page
    assert "Already an open case on this side" in page
    assert field_error(page, "confirm_second_referral").startswith("This patient already has an open case")
    # Confirmed, the correction is saved (what was typed came back as typed, the box now ticked).
    again = submit(client, url, {**_referral_form(page), "confirm_second_referral": "y"})
    assert again.status_code == 302, words(soup(again.get_data(as_text=True)).find("main"))
    db.session.expire_all()
    assert right.side == Side.LEFT
    # Corrected again without touching the side, nothing is asked: the joint's cases were confirmed.
    assert submit(client, url, {**_opened(client, right), "reason": "Worse on stairs"}).status_code == 302


def test_a_patient_with_one_name_is_registered_and_named_by_it_without_a_stray_comma(client, coordinator):
    """Walkthrough: a patient with a single name (no given name: common in Indonesia, parts of
    India, Myanmar) could not be registered: "Enter the given name." was the only answer, so
    coordinators typed a dot or the name twice. The one name goes in *Family name*, *Given name*
    is left empty, and every page names the patient by it ("Suharto", never "Suharto, ")."""
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "family_name": "Suharto",
                                                 "given_name": "  "})
    assert response.status_code == 302, field_error(response.get_data(as_text=True), "given_name")
    patient = db.session.execute(db.select(Patient)).scalar_one()
    assert (patient.family_name, patient.given_name, patient.display_name) == ("Suharto", "", "Suharto")
    case_page = words(client.get(response.location))
    assert "Suharto" in case_page and "Suharto," not in case_page
    assert "Suharto," not in words(client.get(f"/patients/{patient.id}"))
    worklist = words(client.get("/cases/"))
    assert "Suharto" in worklist and "Suharto," not in worklist
    found = words(client.get("/search?q=suharto"))
    assert "A-100200" in found and "Suharto," not in found
    # The correction form keeps the given name empty.
    form = client.get(f"/patients/{patient.id}/edit").get_data(as_text=True)
    saved = submit(client, f"/patients/{patient.id}/edit", {
        **{k: PATIENT[k] for k in ("sex", "email", "preferred_contact", "language")}, "family_name": "Suharto",
        "given_name": "", "date_of_birth": PATIENT["date_of_birth"], "phone": "(201) 555-0100",
        "version_id": input_value(form, "version_id")})
    assert saved.status_code == 302
