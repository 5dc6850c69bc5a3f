"""The patient's language through the real forms: chosen from a list (English, Spanish / Español,
Other with its own box), nothing chosen at first so it must be chosen; a record's language shown
in the list as it reads there, an unchanged save changing nothing; a merge never asks to choose
between two spellings of one language; FHIR intake without a language stores it as not known and
serves no communication."""
import copy
from datetime import date

import pytest

from tracker.access import Role
from tracker.extensions import db
from tracker.models import Patient, PatientHistory

from tests.api_support import bearer, fhir_json, intake_bundle, post_bundle, token_for
from tests.builders import PATIENT, REFERRAL
from tests.helpers import field_error, input_value, selected, soup, submit, words


def options_of(page, name):
    return [(o.get("value"), o.get_text().strip()) for o in soup(page).find("select", attrs={"name": name})
            .find_all("option")]


def registered(mrn):
    db.session.expire_all()
    return db.session.execute(db.select(Patient).filter_by(mrn=mrn)).scalar_one_or_none()


def test_the_referral_form_offers_the_languages_as_a_list_with_nothing_chosen(client, coordinator):
    page = client.get("/referrals/new").get_data(as_text=True)
    assert options_of(page, "language") == [("", "Choose…"), ("English", "English"),
                                            ("Spanish", "Spanish / Español"), ("other", "Other (type it below)")]
    assert selected(page, "language") in (None, "") and input_value(page, "language_other") == ""


def test_a_referral_without_a_language_is_refused_next_to_it_with_everything_typed_kept(client, coordinator):
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "language": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "language") == ("Choose the language the patient reads: texts, emails and their "
                                             "pages follow it.")
    assert input_value(page, "family_name") == PATIENT["family_name"] and registered(PATIENT["mrn"]) is None


def test_other_needs_the_language_typed_next_to_its_box(client, coordinator):
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "language": "other", "language_other": " "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "language_other") == "Type the patient's language, or choose it in the list above."
    assert selected(page, "language") == "other"


def test_the_language_chosen_or_typed_is_recorded(client, coordinator):
    for mrn, given, chosen, typed, recorded in (
            ("L-1", "Ada", "Spanish", "", "Spanish"), ("L-2", "Bea", "other", "Tagalog", "Tagalog"),
            ("L-3", "Cleo", "other", "español", "Spanish"), ("L-4", "Dora", "English", "", "English")):
        response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "mrn": mrn, "given_name": given,
                                                     "language": chosen, "language_other": typed,
                                                     "confirm_new_patient": "y"})
        assert response.status_code == 302, response.get_data(as_text=True)
        assert registered(mrn).language == recorded


def test_correct_details_shows_the_recorded_language_in_the_list_and_an_unchanged_save_changes_nothing(
        client, coordinator, gen):
    for recorded, chosen, typed in (("español", "Spanish", ""), ("Tagalog", "other", "Tagalog"),
                                    ("English", "English", "")):
        patient = gen.patient(language=recorded, email="pat@example.org")
        page = client.get(f"/patients/{patient.id}/edit").get_data(as_text=True)
        assert (selected(page, "language"), input_value(page, "language_other")) == (chosen, typed)
        data = {name: input_value(page, name) for name in ("family_name", "given_name", "date_of_birth", "phone",
                                                            "email", "language_other")}
        response = submit(client, f"/patients/{patient.id}/edit",
                          {**data, "language": chosen, "sex": patient.sex.value, "preferred_contact": "email"},
                          follow_redirects=True)
        assert "Nothing changed" in words(response), recorded
        db.session.expire_all()
        assert db.session.get(Patient, patient.id).language == recorded


def test_a_language_not_known_is_shown_so_and_must_be_chosen_on_correct_details(client, coordinator, gen):
    patient = gen.patient(language=None, email="pat@example.org")
    assert "Not known (not recorded:" in words(client.get(f"/patients/{patient.id}"))
    page = client.get(f"/patients/{patient.id}/edit").get_data(as_text=True)
    assert selected(page, "language") in (None, "")
    data = {name: input_value(page, name) for name in ("family_name", "given_name", "date_of_birth", "email")}
    refused = submit(client, f"/patients/{patient.id}/edit", {**data, "sex": "unknown", "preferred_contact": "email"})
    assert refused.status_code == 422 and "Choose the language" in field_error(refused.get_data(as_text=True),
                                                                                "language")
    saved = submit(client, f"/patients/{patient.id}/edit",
                   {**data, "sex": "unknown", "preferred_contact": "email", "language": "Spanish"})
    assert saved.status_code == 302
    [row] = db.session.scalars(db.select(PatientHistory).filter_by(patient_id=patient.id, field="language"))
    assert (row.old_value, row.new_value) == ("", "Spanish")


def test_a_merge_does_not_ask_to_choose_between_two_spellings_of_one_language(client, coordinator, gen):
    kept = gen.patient(mrn="QA-7001", family_name="Ruiz", given_name="María", date_of_birth=date(1958, 6, 14),
                       language="español")
    other = gen.patient(mrn="QA-7101", family_name="Ruiz", given_name="Maria", date_of_birth=date(1958, 6, 14),
                        language="Spanish")
    page = client.get(f"/patients/{kept.id}/merge/{other.id}").get_data(as_text=True)
    assert not soup(page).find("input", attrs={"name": "language_from"})
    assert not [m for m in soup(page).find_all("mark") if m.get_text() in ("español", "Spanish")]


def test_fhir_intake_of_a_patient_without_a_language_stores_it_not_known_and_serves_none(client, gen):
    intake = bearer(token_for(gen.user(Role.COORDINATOR), "intake"))
    assert post_bundle(client, intake, intake_bundle()).status_code == 201
    patient = registered("EHR-1001")
    assert patient.language is None
    served = fhir_json(client.get(f"/fhir/Patient/{patient.id}", headers=bearer(token_for(gen.user(Role.PHYSICIAN)))))
    assert "communication" not in served


def test_fhir_intake_reads_the_language_sent_as_a_code(client, gen):
    intake = bearer(token_for(gen.user(Role.COORDINATOR), "intake"))
    bundle = copy.deepcopy(intake_bundle())
    bundle["entry"][0]["resource"]["communication"] = [
        {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es"}]}, "preferred": True}]
    assert post_bundle(client, intake, bundle).status_code == 201
    assert registered("EHR-1001").language == "Spanish"


@pytest.mark.parametrize("language", [
    {"coding": [{"system": "urn:ietf:bcp:47", "code": "es-MX", "display": "Spanish (Mexico)"}]},
    {"coding": [{"system": "urn:ietf:bcp:47", "code": "es-ES", "display": "Spanish (Spain)"}]},
    {"coding": [{"system": "urn:ietf:bcp:47", "code": "es-US", "display": "Mexican"}]},
    {"text": "Español (México)"},
])
def test_fhir_intake_reads_a_regional_spanish_as_spanish(client, gen, language):
    """A BCP-47 coding of a region ("es-MX", displayed "Spanish (Mexico)", as the FHIR value set
    names it) is Spanish: the patient reads Spanish, not English with a "no translation" note."""
    intake = bearer(token_for(gen.user(Role.COORDINATOR), "intake"))
    bundle = copy.deepcopy(intake_bundle())
    bundle["entry"][0]["resource"]["communication"] = [{"language": language, "preferred": True}]
    assert post_bundle(client, intake, bundle).status_code == 201
    assert registered("EHR-1001").language == "Spanish"


def test_a_language_the_tracker_does_not_speak_is_kept_as_sent(client, gen):
    intake = bearer(token_for(gen.user(Role.COORDINATOR), "intake"))
    bundle = copy.deepcopy(intake_bundle())
    bundle["entry"][0]["resource"]["communication"] = [
        {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "vi", "display": "Vietnamese"}]}}]
    assert post_bundle(client, intake, bundle).status_code == 201
    assert registered("EHR-1001").language == "Vietnamese"
