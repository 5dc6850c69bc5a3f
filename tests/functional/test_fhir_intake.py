"""FHIR referral intake: a transaction Bundle opens a referred case in one transaction; the
patient is matched through the duplicate rules (a doubt goes to a person: 409); each problem is
named, in plain words at its FHIRPath location, names held to the referral form's rule; the same
referral posted twice opens one case; intake then $everything shows the same facts; every audit row
of an intake names its token, and every intake request is audited."""
import json
import re
from datetime import date

import pytest

from tracker.access import Role
from tracker.extensions import db
from tracker.models import AuditEvent, Case, CaseIdentifier, Patient
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import PATIENT, REFERRAL, commit_elsewhere
from tests.api_support import (MRN_SYSTEM, bearer, check_bundle, codes, fhir_json, intake_bundle, of_type, post_bundle,
                               token_for, validated)
from tests.helpers import field_error, form_data, loaded, soup, submit, words


@pytest.fixture
def intake(gen):
    return bearer(token_for(gen.user(Role.COORDINATOR), "intake"))


def _count(model):
    return db.session.execute(db.select(db.func.count(model.id))).scalar()


def test_a_referral_bundle_opens_a_referred_case_for_a_new_patient(client, intake):
    response = post_bundle(client, intake, intake_bundle())
    assert response.status_code == 201, response.get_data(as_text=True)
    answer = fhir_json(response)
    assert answer["type"] == "transaction-response"
    case = db.session.execute(db.select(Case)).scalar_one()
    assert [e["response"]["location"] for e in answer["entry"]] == [
        f"Patient/{case.patient_id}", f"ServiceRequest/{case.id}", f"Condition/{case.id}-M46.1"]
    assert [e["response"]["status"] for e in answer["entry"]] == ["201 Created"] * 3
    assert response.headers["Location"].endswith(f"/fhir/ServiceRequest/{case.id}")
    assert (case.state, case.side, case.indication.value, case.diagnosis_codes) == \
        (State.REFERRED, Side.LEFT, "diagnostic", ["M46.1"])
    assert (case.referring_clinician, case.referral_date.isoformat(), case.symptom_onset.isoformat()) == \
        ("Dr Alvarez (Spine Clinic)", "2026-11-20", "2026-05-01")
    assert (case.patient.mrn, case.patient.family_name, case.patient.date_of_birth.isoformat(), case.patient.phone) == \
        ("EHR-1001", "Nakamura", "1968-04-02", "+12015550123")
    assert [h.to_state for h in case.history] == [State.REFERRED]
    trail = db.session.execute(db.select(AuditEvent).filter_by(action="create")).scalars().all()
    assert {r.object_type for r in trail} == {"api_token", "patient", "case"}
    assert any("FHIR intake" in r.summary and "API token" in r.actor for r in trail)


def test_the_same_bundle_posted_again_opens_no_second_case(client, intake):
    assert post_bundle(client, intake, intake_bundle()).status_code == 201
    again = post_bundle(client, intake, intake_bundle())
    assert again.status_code == 200
    assert [e["response"]["status"] for e in fhir_json(again)["entry"]] == ["200 OK"] * 3
    assert (_count(Case), _count(Patient), _count(CaseIdentifier)) == (1, 1, 1)


def test_the_same_referral_number_with_a_corrected_side_is_refused_naming_the_difference(client, intake):
    """An EHR that re-sends REF-2026-0042 with the side corrected is told the correction was not
    taken (409), not "200 OK" while the case stays on the other side."""
    assert post_bundle(client, intake, intake_bundle()).status_code == 201
    case = db.session.execute(db.select(Case)).scalar_one()
    response = post_bundle(client, intake, intake_bundle(side_code="24028007"))
    [issue] = _issues(response, 409)
    validated(fhir_json(response))
    assert issue["code"] == "conflict"
    assert issue["diagnostics"] == (
        f"Referral REF-2026-0042 is on file (ServiceRequest/{case.id}) with side left; this Bundle says right: "
        "a change must be made in the tracker by a coordinator.")
    assert issue["expression"] == ["Bundle.entry[1].resource.bodySite"]
    db.session.expire_all()
    assert (case.side, _count(Case), _count(CaseIdentifier)) == (Side.LEFT, 1, 1)


def test_each_clinical_difference_of_a_resent_referral_is_named(client, intake):
    assert post_bundle(client, intake, intake_bundle()).status_code == 201
    changed = intake_bundle(indication="indication-therapeutic", icd_codes=("M46.1", "S33.6XXA"),
                            onset="2026-04-01", birth_date="1968-04-20", given="Amy")
    issues = _issues(post_bundle(client, intake, changed), 409)
    said = {issue["expression"][0]: issue["diagnostics"] for issue in issues}
    assert set(said) == {"Bundle.entry[0].resource.name[0].given", "Bundle.entry[0].resource.birthDate",
                         "Bundle.entry[1].resource.extension", "Bundle.entry[2].resource.code",
                         "Bundle.entry[2].resource.onsetDateTime"}
    assert "with the patient's given name Emi; this Bundle says Amy" in said["Bundle.entry[0].resource.name[0].given"]
    assert "date of birth 1968-04-02; this Bundle says 1968-04-20" in said["Bundle.entry[0].resource.birthDate"]
    assert "indication diagnostic block; this Bundle says therapeutic injection" in \
        said["Bundle.entry[1].resource.extension"]
    assert "diagnosis codes M46.1; this Bundle says M46.1, S33.6XXA" in said["Bundle.entry[2].resource.code"]
    assert "symptom onset 2026-05-01; this Bundle says 2026-04-01" in said["Bundle.entry[2].resource.onsetDateTime"]
    case = db.session.execute(db.select(Case)).scalar_one()
    assert (case.indication.value, case.diagnosis_codes, case.patient.given_name) == ("diagnostic", ["M46.1"], "Emi")


def test_a_resent_referral_differing_only_in_spelling_the_tracker_ignores_is_a_replay(client, intake):
    """The MRN and names compare as the duplicate rules compare them; the order of the codes and
    the wording of the note are no clinical difference."""
    assert post_bundle(client, intake, intake_bundle(icd_codes=("M46.1", "S33.6XXA"))).status_code == 201
    again = intake_bundle(mrn="ehr 1001", family="NAKAMURA", icd_codes=("S33.6XXA", "M46.1"))
    again["entry"][1]["resource"]["note"] = [{"text": "Buttock pain (re-sent)."}]
    response = post_bundle(client, intake, again)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (_count(Case), _count(Patient)) == (1, 1)


def _timeline(case_id, client):
    return [words(li) for li in soup(loaded(client.get(f"/cases/{case_id}"))).select("ol.timeline li")]


def test_a_refused_resend_is_on_the_cases_timeline_and_audit_trail_naming_what_differs(
        client, gen, make_client, login_as):
    """The coordinator looking at the case learns the referrer sent another side and indication;
    the case keeps what it had."""
    sender = gen.user(Role.COORDINATOR, name="Spine Clinic EHR")
    intake = bearer(token_for(sender, "intake"))
    assert post_bundle(client, intake, intake_bundle()).status_code == 201
    case = db.session.execute(db.select(Case)).scalar_one()
    version, changed_at, before = case.version_id, case.state_changed_at, _last_audit_id()

    _issues(post_bundle(client, intake, intake_bundle(side_code="24028007", indication="indication-therapeutic")), 409)

    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.side, case.indication.value, case.state) == (Side.LEFT, "diagnostic", State.REFERRED)
    assert (case.version_id, case.state_changed_at) == (version, changed_at), "the case itself is unchanged"
    note = case.history[-1]
    assert (note.action, note.from_state, note.to_state, note.actor_id) == (
        "referral_resent_differently", State.REFERRED, State.REFERRED, sender.id)
    [row] = [r for r in _rows_after(before) if r.action.value != "view"]
    assert (row.action.value, row.object_type, row.object_id) == ("create", "case_history", str(note.id))
    assert "REF-2026-0042" in row.summary and "side, indication" in row.summary and "API token" in row.actor
    page = make_client()
    login_as(gen.user(Role.COORDINATOR), on=page)
    *_, entry = _timeline(case.id, page)
    assert "Referral re-sent with other content, not applied" in entry and "Spine Clinic EHR" in entry
    assert ("REF-2026-0042 was sent again through FHIR intake saying otherwise; the case was not changed. "
            "Side: right (on file: left). Indication: therapeutic injection (on file: diagnostic block).") in entry


def test_the_same_refused_resend_again_adds_no_second_timeline_entry_but_other_content_does(client, intake):
    assert post_bundle(client, intake, intake_bundle()).status_code == 201
    for bundle in (intake_bundle(side_code="24028007"), intake_bundle(side_code="24028007"),
                   intake_bundle(side_code="51440002"), intake_bundle(side_code="24028007")):
        _issues(post_bundle(client, intake, bundle), 409)
    case = db.session.execute(db.select(Case)).scalar_one()
    notes = [h.reason for h in case.history if h.action == "referral_resent_differently"]
    assert len(notes) == 2, notes
    assert "Side: right (on file: left)." in notes[0] and "Side: bilateral (on file: left)." in notes[1]
    trail = db.session.execute(db.select(AuditEvent).filter_by(object_type="case_history")).scalars().all()
    assert len(trail) == 2, "one audit row with each timeline entry"


def _correct(page_client, path, **changes):
    """A coordinator saves the form at `path` as it stands, with `changes` typed in (CSRF on)."""
    forms = soup(loaded(page_client.get(path))).find_all("form", method="post")
    [form] = [f for f in forms if all(f.find(attrs={"name": name}) for name in changes)]
    data = {**form_data(form), **changes}
    data.pop("csrf_token", None)
    response = submit(page_client, path, data)
    assert response.status_code == 302, response.get_data(as_text=True)


def _coordinator_page(gen, make_client, login_as):
    return login_as(gen.user(Role.COORDINATOR), on=make_client())


def test_the_same_bundle_again_after_a_coordinator_corrected_the_mrn_is_a_replay_of_the_same_case(
        client, intake, gen, make_client, login_as):
    """The EHR sent QA-1020, the coordinator corrected it to QA-1002; the EHR retries the very
    Bundle it sent: 200 with the same case, nothing on the timeline, the correction kept."""
    assert post_bundle(client, intake, intake_bundle(mrn="QA-1020")).status_code == 201
    case = db.session.execute(db.select(Case)).scalar_one()
    page = _coordinator_page(gen, make_client, login_as)
    # The Patient was sent without a language: the correction chooses it as it corrects the MRN.
    _correct(page, f"/patients/{case.patient_id}/edit", mrn="QA-1002", mrn_reason="Digits swapped by the referrer",
             language="English")
    db.session.expire_all()
    assert db.session.get(Patient, case.patient_id).mrn == "QA-1002"

    again = post_bundle(client, intake, intake_bundle(mrn="QA-1020"))

    assert again.status_code == 200, again.get_data(as_text=True)
    assert fhir_json(again)["entry"][1]["response"]["location"] == f"ServiceRequest/{case.id}"
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.patient.mrn, _count(Case), _count(Patient), _count(CaseIdentifier)) == ("QA-1002", 1, 1, 1)
    assert [h.action for h in case.history if h.action == "referral_resent_differently"] == []


def test_the_same_bundle_again_after_a_coordinator_changed_the_side_and_onset_is_a_replay(
        client, intake, gen, make_client, login_as):
    assert post_bundle(client, intake, intake_bundle()).status_code == 201
    case = db.session.execute(db.select(Case)).scalar_one()
    page = _coordinator_page(gen, make_client, login_as)
    _correct(page, f"/referrals/cases/{case.id}", side="bilateral", symptom_onset="2026-03-15")
    db.session.expire_all()
    assert (case.side, case.symptom_onset.isoformat()) == (Side.BILATERAL, "2026-03-15")

    again = post_bundle(client, intake, intake_bundle())

    assert again.status_code == 200, again.get_data(as_text=True)
    assert fhir_json(again)["entry"][1]["response"]["location"] == f"ServiceRequest/{case.id}"
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.side, case.symptom_onset.isoformat()) == (Side.BILATERAL, "2026-03-15")
    assert [h for h in case.history if h.action == "referral_resent_differently"] == []


def test_a_resend_differing_from_what_the_sender_first_sent_is_refused_naming_that_and_what_is_on_file_now(
        client, intake, gen, make_client, login_as):
    """Sent left, corrected to bilateral in the tracker, re-sent right: the 409 compares with the
    left received and says the case now holds bilateral; the timeline says it once."""
    assert post_bundle(client, intake, intake_bundle()).status_code == 201
    case = db.session.execute(db.select(Case)).scalar_one()
    page = _coordinator_page(gen, make_client, login_as)
    _correct(page, f"/referrals/cases/{case.id}", side="bilateral")

    response = post_bundle(client, intake, intake_bundle(side_code="24028007"))
    _issues(post_bundle(client, intake, intake_bundle(side_code="24028007")), 409)

    [issue] = _issues(response, 409)
    assert issue["diagnostics"] == (
        f"Referral REF-2026-0042 was received (ServiceRequest/{case.id}) with side left (on file now: bilateral); "
        "this Bundle says right: a change must be made in the tracker by a coordinator.")
    assert issue["expression"] == ["Bundle.entry[1].resource.bodySite"]
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.side == Side.BILATERAL
    [note] = [h.reason for h in case.history if h.action == "referral_resent_differently"]
    assert "Side: right (received first: left; on file now: bilateral)." in note
    *_, entry = _timeline(case.id, page)
    assert "Referral re-sent with other content, not applied" in entry and "on file now: bilateral" in entry


def test_a_resend_saying_what_the_coordinator_corrected_the_case_to_is_no_conflict(
        client, intake, gen, make_client, login_as):
    """The sender caught up with the tracker's correction: nothing to apply, nothing to refuse."""
    assert post_bundle(client, intake, intake_bundle()).status_code == 201
    case = db.session.execute(db.select(Case)).scalar_one()
    page = _coordinator_page(gen, make_client, login_as)
    _correct(page, f"/referrals/cases/{case.id}", side="right")

    again = post_bundle(client, intake, intake_bundle(side_code="24028007"))

    assert again.status_code == 200, again.get_data(as_text=True)
    db.session.expire_all()
    assert [h for h in db.session.get(Case, case.id).history if h.action == "referral_resent_differently"] == []
    # The first content is still a replay too.
    assert post_bundle(client, intake, intake_bundle()).status_code == 200


def test_a_known_patient_is_matched_and_gets_a_new_case(client, intake, gen):
    patient = gen.patient(mrn="EHR-1001", family_name="Nakamura", given_name="Emi",
                          date_of_birth=__import__("datetime").date(1968, 4, 2))
    gen.case(patient=patient, state=State.CLOSED)
    response = post_bundle(client, intake, intake_bundle(mrn=" ehr-1001 "))
    assert response.status_code == 201
    assert fhir_json(response)["entry"][0]["response"] == {"status": "200 OK", "location": f"Patient/{patient.id}"}
    assert _count(Patient) == 1 and _count(Case) == 2


def test_a_referral_for_a_patient_recorded_as_died_is_refused_and_opens_nothing(client, intake, gen):
    """As on the referral form: no case is opened for a patient whose record says they died."""
    from tracker.timeutil import utcnow
    from tracker.vocab import ContactEnded
    patient = gen.patient(mrn="EHR-1001", family_name="Nakamura", given_name="Emi", date_of_birth=date(1968, 4, 2),
                          contact_ended=ContactEnded.DIED, contact_ended_on=date(2026, 11, 3),
                          contact_ended_at=utcnow(), contact_ended_by="Casey Coordinator")

    [issue] = _issues(post_bundle(client, intake, intake_bundle()), 409)

    assert issue["code"] == "business-rule"
    assert issue["diagnostics"] == ("No referral is logged: the patient's record says Died on 2026-11-03 (recorded "
                                    "by Casey Coordinator). If that is wrong, undo it on the patient's record first.")
    assert (_count(Case), _count(CaseIdentifier)) == (0, 0) and patient.cases == []


def test_the_same_name_and_birth_date_under_another_mrn_needs_a_person(client, intake, gen):
    namesake = gen.patient(mrn="OLD-77", family_name="Nakamura", given_name="Emi",
                           date_of_birth=__import__("datetime").date(1968, 4, 2))
    response = post_bundle(client, intake, intake_bundle())
    assert response.status_code == 409
    issue = fhir_json(response)["issue"][0]
    assert issue["code"] == "duplicate" and f"Patient/{namesake.id}" in issue["diagnostics"]
    assert issue["expression"] == ["Bundle.entry[0].resource"], "the sender's Patient is the one in question"
    assert (_count(Patient), _count(Case)) == (1, 0)


def test_a_likely_duplicate_by_the_registration_rules_needs_a_person_and_leaves_nothing(client, intake, gen):
    # Given and family name swapped: not the intake's exact match, but the registration's duplicate rules.
    swapped = gen.patient(mrn="OLD-78", family_name="Emi", given_name="Nakamura",
                          date_of_birth=__import__("datetime").date(1968, 4, 2))
    response = post_bundle(client, intake, intake_bundle())
    assert response.status_code == 409
    assert fhir_json(response)["issue"][0]["code"] == "duplicate"
    assert (_count(Patient), _count(Case), _count(CaseIdentifier)) == (1, 0, 0)
    assert swapped.id == db.session.execute(db.select(Patient.id)).scalar_one()


def test_a_patients_number_with_an_extension_is_refused_not_cut_short(client, intake):
    bundle = intake_bundle()
    bundle["entry"][0]["resource"]["telecom"] = [{"system": "phone", "value": "(201) 555-0114 ext. 3"}]
    issues = [i["diagnostics"] for i in _issues(post_bundle(client, intake, bundle), 422)]
    assert ("A patient's number cannot have an extension (ext. 3): texts cannot reach one. "
            "Give the number alone.") in issues
    assert _count(Case) == 0


def test_an_mrn_on_file_for_someone_else_needs_a_person(client, intake, gen):
    other = gen.patient(mrn="EHR-1001", family_name="Okafor", given_name="Grace")
    response = post_bundle(client, intake, intake_bundle())
    assert response.status_code == 409
    assert f"Patient/{other.id}" in fhir_json(response)["issue"][0]["diagnostics"]
    assert fhir_json(response)["issue"][0]["expression"] == ["Bundle.entry[0].resource.identifier"]
    assert _count(Case) == 0


def test_each_problem_is_named_with_where_it_is(client, intake):
    bundle = intake_bundle(side_code=None, icd_codes=("M53.3", "Z99.89"), identifier=None, requester=None,
                           indication="indication-cosmetic")
    bundle["entry"][0]["resource"]["telecom"] = [{"system": "email", "value": "emi at example"},
                                                 {"system": "phone", "value": "555"}]
    response = post_bundle(client, intake, bundle)
    issues = {i["diagnostics"]: i.get("expression", [None])[0] for i in _issues(response, 422)}
    text = " | ".join(issues)
    assert "The side is missing" in text
    assert "M53.3 is a sacrococcygeal disorder, not the sacroiliac joint." in text
    assert "Unknown code Z99.89" in text
    assert "needs an identifier" in text
    assert "Who referred the patient" in text
    assert "The indication is missing or unknown" in text
    assert "'emi at example' is not a valid email address." in text
    assert "“555” is not a valid phone number" in text
    assert issues[next(m for m in issues if m.startswith("The side"))] == "Bundle.entry[1].resource.bodySite"
    assert _count(Case) == 0 and _count(Patient) == 0


def test_two_different_mrns_under_the_clinics_system_are_refused_naming_both(client, intake, gen):
    """Filing the referral under the first of two numbers would pick a patient the sender may not
    mean; the same number written twice (in other punctuation) is one number and goes through."""
    gen.patient(mrn="EHR-1001", family_name="Nakamura", given_name="Emi", date_of_birth=date(1968, 4, 2))
    bundle = intake_bundle(mrn="EHR-2002")
    bundle["entry"][0]["resource"]["identifier"].append({"system": MRN_SYSTEM, "value": "EHR-1001"})
    [issue] = _issues(post_bundle(client, intake, bundle), 422)
    assert issue["diagnostics"] == (
        f"The Patient has 2 different medical record numbers with system {MRN_SYSTEM} (EHR-2002, EHR-1001): "
        "send the one this clinic files the patient under.")
    assert issue["expression"] == ["Bundle.entry[0].resource.identifier"]
    assert (_count(Patient), _count(Case)) == (1, 0)
    same = intake_bundle(mrn="EHR-1001")
    same["entry"][0]["resource"]["identifier"].append({"system": MRN_SYSTEM, "value": "ehr 1001"})
    assert post_bundle(client, intake, same).status_code == 201
    assert (_count(Patient), _count(Case)) == (1, 1)


def test_a_bundle_that_is_not_valid_fhir_is_a_400_naming_the_element(client, intake):
    bundle = intake_bundle()
    bundle["entry"][0]["resource"]["birthDate"] = "second of April"
    response = post_bundle(client, intake, bundle)
    assert [i["expression"] for i in _issues(response, 400)] == [["Bundle.entry[0].resource.birthDate"]]
    for body, content_type in (("{not json", "application/fhir+json"), ("[]", "application/fhir+json")):
        bad = client.post("/fhir", headers={**intake, "Content-Type": content_type}, data=body)
        assert bad.status_code == 400, body
    wrong_type = client.post("/fhir", headers={**intake, "Content-Type": "text/plain"}, data="x")
    assert wrong_type.status_code == 415


def test_intake_then_everything_shows_the_same_facts(client, intake, gen):
    post_bundle(client, intake, intake_bundle(side_code="51440002", icd_codes=("M46.1", "S33.6XXA")))
    case = db.session.execute(db.select(Case)).scalar_one()
    reader = bearer(token_for(gen.user(Role.PHYSICIAN)))
    response = client.get(f"/fhir/Patient/{case.patient_id}/$everything", headers=reader)
    found = check_bundle(fhir_json(response))
    [patient] = of_type(found, "Patient")
    assert (patient["identifier"][0]["value"], patient["name"][0]["family"], patient["birthDate"]) == \
        ("EHR-1001", "Nakamura", "1968-04-02")
    [request] = of_type(found, "ServiceRequest")
    assert {"system": "urn:oid:2.16.840.1.113883.3.9999.1", "value": "REF-2026-0042"} in request["identifier"]
    laterality = request["bodySite"][0]["extension"][0]["valueCodeableConcept"]
    assert codes(laterality) == {("http://snomed.info/sct", "51440002")}
    assert request["requester"]["display"] == "Dr Alvarez (Spine Clinic)" and request["authoredOn"] == "2026-11-20"
    assert [e["valueCoding"]["code"] for e in request["extension"] if e["url"].endswith("/indication")] == \
        ["indication-diagnostic"]
    conditions = of_type(found, "Condition")
    assert sorted(c["code"]["coding"][0]["code"] for c in conditions) == ["M46.1", "S33.6XXA"]
    assert {c["onsetDateTime"] for c in conditions} == {"2026-05-01"}
    # Posting what was exported back in (as an EHR might) finds the same case.
    again = post_bundle(client, intake, intake_bundle(side_code="51440002", icd_codes=("M46.1", "S33.6XXA")))
    assert again.status_code == 200 and _count(Case) == 1


def test_a_patients_language_read_from_the_tracker_is_taken_back_as_that_language(client, intake, gen):
    """Round trip: the Patient's `communication` as `Patient/{id}` gives it (a BCP 47 coding with
    the name as text) sent back in a referral of another patient records the same language."""
    spanish = gen.patient(language="Spanish")
    reader = bearer(token_for(gen.user(Role.PHYSICIAN)))
    sent = fhir_json(client.get(f"/fhir/Patient/{spanish.id}", headers=reader))["communication"]
    assert sent[0]["language"]["coding"] == [{"system": "urn:ietf:bcp:47", "code": "es", "display": "Spanish"}]
    bundle = intake_bundle()
    bundle["entry"][0]["resource"]["communication"] = sent
    validated(bundle["entry"][0]["resource"])

    assert post_bundle(client, intake, bundle).status_code == 201, "refused"
    case = db.session.execute(db.select(Case)).scalar_one()
    assert case.patient.language == "Spanish"
    assert fhir_json(client.get(f"/fhir/Patient/{case.patient_id}", headers=reader))["communication"] == sent


# ---------------------------------------------------------------- the tracker's duplicate rules

def test_an_mrn_sent_with_a_zero_width_space_attaches_to_the_patient_on_file(client, intake, gen):
    patient = gen.patient(mrn="EHR-1001", family_name="García", given_name="Lucía", date_of_birth=date(1968, 4, 2))
    response = post_bundle(client, intake, intake_bundle(mrn="EHR\u200b-1001", family="Garcia", given="Lucia"))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert fhir_json(response)["entry"][0]["response"] == {"status": "200 OK", "location": f"Patient/{patient.id}"}
    assert (_count(Patient), _count(Case)) == (1, 1)


@pytest.mark.parametrize("sent", ["EHR1001", "ehr 1001", "EHR.1001", "EHR/10-01"])
def test_an_mrn_written_without_or_with_other_punctuation_attaches_to_the_patient_on_file(client, intake, gen, sent):
    patient = gen.patient(mrn="EHR-1001", family_name="Nakamura", given_name="Emi", date_of_birth=date(1968, 4, 2))
    response = post_bundle(client, intake, intake_bundle(mrn=sent))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert fhir_json(response)["entry"][0]["response"] == {"status": "200 OK", "location": f"Patient/{patient.id}"}
    assert (_count(Patient), _count(Case)) == (1, 1)
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).mrn == "EHR-1001"  # the clinic's spelling is kept


def test_garcia_without_the_accent_under_another_mrn_needs_a_person(client, intake, gen):
    garcia = gen.patient(mrn="OLD-77", family_name="García", given_name="Lucía", date_of_birth=date(1968, 4, 2))
    response = post_bundle(client, intake, intake_bundle(family="Garcia", given="Lucia"))
    assert response.status_code == 409
    issue = fhir_json(response)["issue"][0]
    assert issue["code"] == "duplicate"
    assert f"Patient/{garcia.id} (García, Lucía, MRN OLD-77" in issue["diagnostics"]
    assert "same family name and date of birth" in issue["diagnostics"]
    assert (_count(Patient), _count(Case)) == (1, 0)


def test_the_same_name_born_with_day_and_month_swapped_under_another_mrn_needs_a_person(client, intake, gen):
    namesake = gen.patient(mrn="OLD-77", family_name="Nakamura", given_name="Emi", date_of_birth=date(1968, 2, 4))
    response = post_bundle(client, intake, intake_bundle())
    assert response.status_code == 409
    issue = fhir_json(response)["issue"][0]
    assert issue["code"] == "duplicate" and f"Patient/{namesake.id}" in issue["diagnostics"]
    assert "same name, date of birth with day and month swapped: 1968-04-02 / 1968-02-04" in issue["diagnostics"]
    assert (_count(Patient), _count(Case)) == (1, 0)


def test_the_same_mrn_born_with_day_and_month_swapped_is_not_taken_as_the_patient_without_a_person(client, intake,
                                                                                                   gen):
    """Name and date of birth do not agree: the swapped date is a reason to look, not to attach."""
    gen.patient(mrn="EHR-1001", family_name="Nakamura", given_name="Emi", date_of_birth=date(1968, 2, 4))
    response = post_bundle(client, intake, intake_bundle())
    assert response.status_code == 409
    assert fhir_json(response)["issue"][0]["expression"] == ["Bundle.entry[0].resource.identifier"]
    assert _count(Case) == 0


def test_a_name_one_slip_away_with_the_same_birth_date_needs_a_person(client, intake, gen):
    close = gen.patient(mrn="OLD-78", family_name="Nakamura", given_name="Emi", date_of_birth=date(1968, 4, 2))
    swapped = gen.patient(mrn="OLD-79", family_name="Emi", given_name="Nakamura", date_of_birth=date(1968, 4, 2))
    response = post_bundle(client, intake, intake_bundle(family="Nakamure", given="Emi"))
    assert response.status_code == 409
    diagnostics = fhir_json(response)["issue"][0]["diagnostics"]
    assert f"Patient/{close.id}" in diagnostics and "one letter apart" in diagnostics
    assert f"Patient/{swapped.id}" not in diagnostics
    assert (_count(Patient), _count(Case)) == (2, 0)


def test_part_of_a_double_barrelled_family_name_under_another_mrn_needs_a_person(client, intake, gen):
    on_file = gen.patient(mrn="OLD-80", family_name="Ní Dhúill-O'Connor", given_name="Siobhán",
                          date_of_birth=date(1968, 4, 2))
    response = post_bundle(client, intake, intake_bundle(family="O'Connor", given="Siobhan"))
    assert response.status_code == 409
    diagnostics = fhir_json(response)["issue"][0]["diagnostics"]
    assert f"Patient/{on_file.id}" in diagnostics and "family name part of the other" in diagnostics
    assert (_count(Patient), _count(Case)) == (1, 0)


def test_the_same_mrn_with_part_of_the_double_barrelled_family_name_on_file_is_that_patient(client, intake, gen):
    on_file = gen.patient(mrn="OLD-81", family_name="Ní Dhúill-O'Connor", given_name="Siobhán",
                          date_of_birth=date(1968, 4, 2))
    response = post_bundle(client, intake, intake_bundle(mrn="OLD-81", family="O'Connor", given="Siobhan"))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert fhir_json(response)["entry"][0]["response"] == {"status": "200 OK", "location": f"Patient/{on_file.id}"}
    assert (_count(Patient), _count(Case)) == (1, 1)


def test_an_mrn_of_a_merged_record_attaches_to_the_record_kept(client, intake, gen):
    kept = gen.patient(mrn="EHR-2000", family_name="Nakamura", given_name="Emi", date_of_birth=date(1968, 4, 2))
    merged = gen.patient(mrn="EHR-1001", family_name="Nakamura", given_name="Emi", date_of_birth=date(1968, 4, 2),
                         merged_into_id=kept.id)
    response = post_bundle(client, intake, intake_bundle())
    assert response.status_code == 201, response.get_data(as_text=True)
    assert fhir_json(response)["entry"][0]["response"]["location"] == f"Patient/{kept.id}"
    assert db.session.get(Patient, merged.id).cases == []
    again = post_bundle(client, intake, intake_bundle())
    assert again.status_code == 200, again.get_data(as_text=True)  # the MRN sent is the merged record's


def test_the_same_referral_written_by_another_request_a_moment_ago_is_answered_with_its_case(
        client, intake, monkeypatch):
    """The other request stores the referral after this one looked for it and before it writes:
    the database refuses the second identifier, and this request answers with the other's case."""
    from tracker.fhir import intake as service

    assert post_bundle(client, intake, intake_bundle()).status_code == 201
    looked = []
    real = service.existing_case

    def not_there_yet(identifier):
        looked.append(identifier)
        return None if len(looked) == 1 else real(identifier)

    monkeypatch.setattr(service, "existing_case", not_there_yet)
    again = post_bundle(client, intake, intake_bundle())
    monkeypatch.undo()

    assert again.status_code == 200, again.get_data(as_text=True)
    case = db.session.execute(db.select(Case)).scalar_one()
    assert fhir_json(again)["entry"][1]["response"]["location"] == f"ServiceRequest/{case.id}"
    assert (_count(Case), _count(Patient), _count(CaseIdentifier)) == (1, 1, 1)


def test_an_mrn_registered_by_another_request_a_moment_ago_needs_a_person_and_leaves_nothing(
        client, intake, monkeypatch):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("on SQLite the intake's savepoint holds a read lock: the other request waits for it, no race")
    from tracker.referrals import services as referrals

    check = referrals.check_mrn_free

    def check_then_someone_else_registers(mrn, patient_id=None):
        check(mrn, patient_id)
        commit_elsewhere(Patient(mrn=mrn, family_name="Quick", given_name="Other", date_of_birth=date(1980, 1, 1)))

    monkeypatch.setattr(referrals, "check_mrn_free", check_then_someone_else_registers)
    response = post_bundle(client, intake, intake_bundle())
    monkeypatch.undo()

    assert response.status_code == 409, response.get_data(as_text=True)
    issue = fhir_json(response)["issue"][0]
    assert issue["code"] == "duplicate" and "Quick, Other" in issue["diagnostics"]
    assert (_count(Patient), _count(Case), _count(CaseIdentifier)) == (1, 0, 0)


@pytest.mark.parametrize("family, given, where", [
    ("<script>alert(1)</script>", "Emi", "Bundle.entry[0].resource.name[0].family"),
    ("Smile😀", "Emi", "Bundle.entry[0].resource.name[0].family"),
    ("Nakamura", "Emi 2", "Bundle.entry[0].resource.name[0].given")])
def test_a_name_the_referral_form_refuses_is_refused_at_intake_in_the_forms_words(
        client, make_client, gen, login_as, intake, family, given, where):
    response = post_bundle(client, intake, intake_bundle(family=family, given=given))
    assert response.status_code == 422, response.get_data(as_text=True)
    [issue] = fhir_json(response)["issue"]
    assert issue["expression"] == [where]
    browser = login_as(gen.user(Role.COORDINATOR), on=make_client())
    form = submit(browser, "/referrals/new", {**PATIENT, **REFERRAL, "family_name": family, "given_name": given})
    assert form.status_code == 422
    assert issue["diagnostics"] == field_error(form.get_data(as_text=True), where.rsplit(".", 1)[1] + "_name")
    assert (_count(Patient), _count(Case)) == (0, 0)


# ---------------------------------------------------------------- what an OperationOutcome says, and where

FHIRPATH = re.compile(r"Bundle(\.[a-z][A-Za-z]*(\[\d+\])?)*")
RAW_VALIDATOR_WORDS = ("``", "Value error", "spec regex", "Input should", "ModelClass", "_type")


def _issues(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    issues = fhir_json(response)["issue"]
    for issue in issues:
        assert all(FHIRPATH.fullmatch(where) for where in issue.get("expression", [])), issue
        assert not any(words in issue["diagnostics"] for words in RAW_VALIDATOR_WORDS), issue
    return issues


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/fhir+xml",
                                          "application/x-www-form-urlencoded", None])
def test_a_bundle_sent_as_another_content_type_is_a_415_outcome_saying_what_to_send(client, intake, content_type):
    headers = {**intake, "Content-Type": content_type} if content_type else intake
    response = client.post("/fhir", headers=headers, data=json.dumps(intake_bundle()))
    [issue] = _issues(response, 415)
    assert response.mimetype == "application/fhir+json"
    assert (issue["code"], issue["diagnostics"]) == ("not-supported", "Send the Bundle as application/fhir+json.")
    assert (_count(Case), _count(Patient)) == (0, 0)


@pytest.mark.parametrize("content_type", ["application/json", "application/fhir+json; charset=utf-8"])
def test_a_bundle_sent_as_plain_json_or_with_a_charset_is_taken(client, intake, content_type):
    response = client.post("/fhir", headers={**intake, "Content-Type": content_type}, data=json.dumps(intake_bundle()))
    assert response.status_code == 201, response.get_data(as_text=True)


def test_a_resource_other_than_a_bundle_is_a_400_that_says_so_in_plain_words(client, intake):
    response = client.post("/fhir", headers={**intake, "Content-Type": "application/fhir+json"},
                           data=json.dumps({"resourceType": "Patient"}))
    [issue] = _issues(response, 400)
    assert issue["diagnostics"] == "This endpoint takes a FHIR Bundle of type transaction; got a Patient."
    assert issue["expression"] == ["Bundle.resourceType"]
    [issue] = _issues(client.post("/fhir", headers={**intake, "Content-Type": "application/fhir+json"},
                                  data=json.dumps({"type": "transaction"})), 400)
    assert issue["expression"] == ["Bundle.resourceType"] and "Bundle" in issue["diagnostics"]


def _set(bundle, path, value):
    *parents, last = path
    target = bundle
    for key in parents:
        target = target[key]
    target[last] = value
    return bundle


@pytest.mark.parametrize("path, value, where, says", [
    (("entry", 0, "resource", "birthDate"), "second of April", "Bundle.entry[0].resource.birthDate",
     "“second of April” is not a FHIR date"),
    (("entry", 0, "resource", "birthDate"), "1968-02-30", "Bundle.entry[0].resource.birthDate",
     "“1968-02-30” is not a date"),
    (("entry", 1, "resource", "bodySite", 0, "coding", 0, "userSelected"), "maybe",
     "Bundle.entry[1].resource.bodySite[0].coding[0].userSelected", "true or false"),
    (("entry", 0, "resource", "_birthDate"), {"id": 5}, "Bundle.entry[0].resource.birthDate.id", "text"),
    (("entry", 0, "resource", "nickname"), "Emi", "Bundle.entry[0].resource.nickname", "not an element"),
    (("entry", 0, "resource", "resourceType"), "Nope", "Bundle.entry[0].resource.resourceType",
     "Nope is not a FHIR R4 resource type."),
])
def test_a_bundle_that_is_not_valid_fhir_names_each_element_by_its_fhirpath_in_plain_words(
        client, intake, path, value, where, says):
    issues = _issues(post_bundle(client, intake, _set(intake_bundle(), path, value)), 400)
    assert [i["expression"] for i in issues] == [[where]]
    assert says in issues[0]["diagnostics"]
    assert (_count(Patient), _count(Case)) == (0, 0)


def test_a_symptom_onset_after_the_referral_is_named_at_its_condition(client, intake):
    [issue] = _issues(post_bundle(client, intake, intake_bundle(onset="2026-11-21")), 422)
    assert issue["expression"] == ["Bundle.entry[2].resource.onsetDateTime"]



def test_a_symptom_onset_or_referral_before_the_patients_birth_is_refused_as_the_form_refuses_it(client, intake):
    # Was taken (201): the case then read "pain for 1523 months" as a met criterion.
    [issue] = _issues(post_bundle(client, intake, intake_bundle(birth_date="1990-01-01", onset="1900-01-01")), 422)
    assert issue["expression"] == ["Bundle.entry[2].resource.onsetDateTime"]
    assert "before the patient was born (1990-01-01)" in issue["diagnostics"]
    issues = _issues(post_bundle(client, intake, intake_bundle(birth_date="2026-11-25", onset="2026-11-21")), 422)
    assert {i["expression"][0] for i in issues} == {"Bundle.entry[1].resource.authoredOn",
                                                    "Bundle.entry[2].resource.onsetDateTime"}
    assert (_count(Patient), _count(Case)) == (0, 0)

def test_a_date_of_birth_before_1900_is_refused_as_the_form_refuses_it(client, intake):
    # Was taken (201), though the referral and correction forms refuse it as a typing slip.
    [issue] = _issues(post_bundle(client, intake, intake_bundle(birth_date="1850-03-01")), 422)
    assert issue["expression"] == ["Bundle.entry[0].resource.birthDate"]
    assert issue["diagnostics"] == ("The patient's date of birth (1850-03-01) is before 1900: the year looks like a "
                                    "typing slip (the referral form takes dates from 1900 to 2100).")
    assert (_count(Patient), _count(Case)) == (0, 0)


def test_a_date_of_birth_making_the_patient_older_than_120_is_refused_as_the_form_refuses_it(client, intake):
    from tracker.timeutil import clinic_today
    today = clinic_today()
    born = today.replace(year=today.year - 123, day=min(today.day, 28))
    [issue] = _issues(post_bundle(client, intake, intake_bundle(birth_date=born.isoformat())), 422)
    assert issue["expression"] == ["Bundle.entry[0].resource.birthDate"]
    assert issue["diagnostics"] == (f"The patient's date of birth ({born.isoformat()}) would make them 123 years old: "
                                    "the year looks like a typing slip.")
    assert (_count(Patient), _count(Case)) == (0, 0)


def test_a_birth_year_alone_is_refused_as_not_a_full_day_not_as_missing(client, intake):
    # Was "The patient's full date of birth (YYYY-MM-DD) is missing." for a Bundle that sent 1968.
    [issue] = _issues(post_bundle(client, intake, intake_bundle(birth_date="1968")), 422)
    assert issue["expression"] == ["Bundle.entry[0].resource.birthDate"]
    assert issue["diagnostics"] == "The patient's date of birth (birthDate) needs a full day (YYYY-MM-DD), not 1968."
    bundle = intake_bundle()
    del bundle["entry"][0]["resource"]["birthDate"]
    [issue] = _issues(post_bundle(client, intake, bundle), 422)
    assert issue["diagnostics"] == "The patient's full date of birth (YYYY-MM-DD) is missing."
    assert (_count(Patient), _count(Case)) == (0, 0)


def test_a_name_no_longer_in_use_is_not_taken_for_the_patients_name(client, intake):
    """A Patient whose former name comes first (use "old", as an EHR keeps a maiden name) was
    registered under that former name."""
    bundle = intake_bundle()
    bundle["entry"][0]["resource"]["name"] = [{"use": "old", "family": "Tanaka", "given": ["Emi"]},
                                              {"use": "official", "family": "Nakamura", "given": ["Emi"]}]
    response = post_bundle(client, intake, bundle)
    assert response.status_code == 201, response.get_data(as_text=True)
    patient = db.session.execute(db.select(Patient)).scalar_one()
    assert (patient.family_name, patient.given_name) == ("Nakamura", "Emi")


def test_a_problem_with_the_name_in_use_is_named_at_that_name(client, intake):
    bundle = intake_bundle()
    bundle["entry"][0]["resource"]["name"] = [{"use": "old", "family": "Tanaka", "given": ["Emi"]},
                                              {"use": "official", "family": "Smile\U0001F600", "given": ["Emi"]}]
    [issue] = _issues(post_bundle(client, intake, bundle), 422)
    assert issue["expression"] == ["Bundle.entry[0].resource.name[1].family"]
    assert (_count(Patient), _count(Case)) == (0, 0)


def test_lateralities_that_disagree_are_refused_as_disagreeing_not_as_missing(client, intake):
    # Left and "right and left" were told "The side is missing: give the body site's laterality …".
    bundle = intake_bundle(side_code="7771000")
    _service_request_of(bundle)["bodySite"][0]["coding"].append({"system": "http://snomed.info/sct", "code": "51440002"})
    [issue] = _issues(post_bundle(client, intake, bundle), 422)
    assert issue["expression"] == ["Bundle.entry[1].resource.bodySite"]
    assert issue["diagnostics"] == ("The body site's lateralities disagree (51440002, 7771000): send one, SNOMED CT "
                                    "7771000 (left), 24028007 (right) or 51440002 (both).")
    assert _count(Case) == 0


def test_a_text_too_long_is_named_in_words_not_by_the_trackers_field_name(client, intake):
    # Were "mrn is longer than 32 characters." and "reason is longer than 4000 characters.".
    bundle = intake_bundle(mrn="M" * 40)
    _service_request_of(bundle)["note"] = [{"text": "y" * 4001}]
    issues = {i["expression"][0]: i["diagnostics"] for i in _issues(post_bundle(client, intake, bundle), 422)}
    assert issues == {
        "Bundle.entry[0].resource.identifier": "The patient's MRN (identifier) is longer than 32 characters.",
        "Bundle.entry[1].resource.note": "The reason for the referral (note) is longer than 4000 characters."}
    assert _count(Case) == 0


def test_a_relative_subject_resolved_against_restful_full_urls_is_the_bundles_patient(client, intake):
    """An EHR sending its own addresses as fullUrls and "Patient/123" as the subject (FHIR R4's
    rule for references in a Bundle: resolved against the fullUrl's base) was refused: "The
    subject must reference the Bundle's Patient entry (its fullUrl)." """
    bundle = intake_bundle()
    base = "https://ehr.example.org/fhir/"
    for entry, address in zip(bundle["entry"], ("Patient/123", "ServiceRequest/9", "Condition/7")):
        entry["fullUrl"] = base + address
        if entry["resource"]["resourceType"] != "Patient":
            entry["resource"]["subject"] = {"reference": "Patient/123"}
    response = post_bundle(client, intake, bundle)
    assert response.status_code == 201, response.get_data(as_text=True)
    # The Patient's full address as the subject still is the Patient.
    for entry in bundle["entry"][1:]:
        entry["resource"]["subject"] = {"reference": base + "Patient/123"}
    assert post_bundle(client, intake, bundle).status_code == 200
    # One that resolves to another address is still refused where it is.
    other = intake_bundle(identifier="REF-2026-0043")
    for entry, address in zip(other["entry"], ("Patient/123", "ServiceRequest/9", "Condition/7")):
        entry["fullUrl"] = base + address
        if entry["resource"]["resourceType"] != "Patient":
            entry["resource"]["subject"] = {"reference": "Patient/124"}
    issues = _issues(post_bundle(client, intake, other), 422)
    assert {i["expression"][0] for i in issues} == {"Bundle.entry[1].resource.subject",
                                                    "Bundle.entry[2].resource.subject"}


# ---------------------------------------------------------------- the audit trail of an intake

def _rows_after(last_id):
    return db.session.execute(db.select(AuditEvent).filter(AuditEvent.id > last_id)
                              .order_by(AuditEvent.id)).scalars().all()


def _last_audit_id():
    return db.session.execute(db.select(db.func.coalesce(db.func.max(AuditEvent.id), 0))).scalar()


def test_every_audit_row_an_intake_writes_names_the_token(client, gen):
    coordinator = gen.user(Role.COORDINATOR)
    raw = token_for(coordinator, "intake")
    before = _last_audit_id()
    assert post_bundle(client, bearer(raw), intake_bundle()).status_code == 201
    rows = _rows_after(before)
    case = db.session.execute(db.select(Case)).scalar_one()
    assert {(r.action.value, r.object_type) for r in rows} >= {("create", "patient"), ("create", "case")}
    assert len([r for r in rows if r.action.value == "create" and r.object_type == "case"]) == 2
    for row in rows:
        assert row.user_id == coordinator.id and row.actor == f"{coordinator.email} (API token {raw[:12]}…)", \
            (row.summary, row.actor)
    assert any(r.object_type == "patient" and r.object_id == str(case.patient_id) for r in rows)


def test_each_intake_request_is_in_the_audit_trail_whatever_its_answer(client, gen, intake):
    """A new referral (201), a second new one, the first again (200) and one a person must check
    (409, which names the patient on file): each request leaves its "API POST /fhir" row."""
    answers, requests = [], []
    for bundle in (intake_bundle(), intake_bundle(mrn="EHR-2002", family="Okafor", given="Grace",
                                                  identifier="REF-2026-0043"),
                   intake_bundle(), intake_bundle(mrn="EHR-3003", identifier="REF-2026-0044")):
        before = _last_audit_id()
        answers.append(post_bundle(client, intake, bundle).status_code)
        requests.append([r for r in _rows_after(before) if r.summary == "API POST /fhir"])
    assert answers == [201, 201, 200, 409]
    cases = db.session.execute(db.select(Case).order_by(Case.id)).scalars().all()
    assert [[(r.action.value, r.object_type, r.object_id) for r in rows] for rows in requests] == [
        [("view", "case", str(cases[0].id))], [("view", "case", str(cases[1].id))],
        [("view", "case", str(cases[0].id))], [("view", "patient", str(cases[0].patient_id))]]
    assert all("API token" in r.actor for rows in requests for r in rows)


@pytest.mark.parametrize("telecom, prefers, flagged", [
    ([{"system": "email", "value": "emi@example.org"}, {"system": "phone", "value": "(201) 555-0123"}],
     "Email", None),
    ([{"system": "phone", "value": "(201) 555-0123"}], "Text message", None),
    ([{"system": "phone", "value": "+44 20 7946 0958"}], "Phone call", None),
    ([], "Phone call", "There is no phone number and no email address on the record"),
])
def test_intake_records_a_preferred_contact_that_matches_what_was_sent(
        client, intake, gen, login_as, telecom, prefers, flagged):
    bundle = intake_bundle()
    bundle["entry"][0]["resource"]["telecom"] = telecom
    assert post_bundle(client, intake, bundle).status_code == 201
    case = db.session.execute(db.select(Case)).scalar_one()
    login_as(gen.user(Role.COORDINATOR))
    for url in (f"/patients/{case.patient_id}", f"/cases/{case.id}"):
        shown = words(client.get(url))
        assert prefers in shown, url
        if flagged:
            assert "No way to reach this patient by their preferred contact" in shown and flagged in shown, url
        else:
            assert "No way to reach this patient" not in shown, url


def _service_request_of(bundle):
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ServiceRequest")


def test_an_authored_on_instant_is_the_clinics_day_it_fell_on(client, intake, monkeypatch):
    """An EHR stamps authoredOn as a UTC instant. At 21:00 in New York (02:00 UTC the next day) a
    referral authored half an hour before is not "in the future", and its referral date, from which
    lead times run, is the clinic's day it was authored on."""
    from datetime import datetime, timezone

    from tracker import timeutil
    monkeypatch.setattr(timeutil, "utcnow", lambda: datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc))
    bundle = intake_bundle()
    _service_request_of(bundle)["authoredOn"] = "2026-12-02T01:30:00Z"  # 20:30 on 1 December in New York
    response = post_bundle(client, intake, bundle)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert db.session.execute(db.select(Case)).scalar_one().referral_date == date(2026, 12, 1)


def test_a_month_for_the_referral_date_or_the_onset_is_refused_by_name_not_taken_as_today_or_dropped(client, intake):
    """"2026-11" is valid FHIR but not a day: taken as today it would shorten every lead time, and a
    symptom onset dropped would leave "pain for 3 months" unknown without a word."""
    bundle = intake_bundle(onset="2026-05")
    _service_request_of(bundle)["authoredOn"] = "2026-11"
    response = post_bundle(client, intake, bundle)
    assert response.status_code == 422
    issues = {i["expression"][0]: i["diagnostics"] for i in fhir_json(response)["issue"]}
    request_at = next(k for k in issues if k.endswith(".authoredOn"))
    onset_at = next(k for k in issues if k.endswith(".onsetDateTime"))
    assert "needs a full day (YYYY-MM-DD), not 2026-11" in issues[request_at]
    assert "needs a full day (YYYY-MM-DD), not 2026-05" in issues[onset_at]
    assert _count(Case) == 0


def test_an_onset_given_as_text_is_refused_where_it_is(client, intake):
    bundle = intake_bundle()
    condition = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition")
    condition.pop("onsetDateTime", None)
    condition["onsetString"] = "last spring"
    response = post_bundle(client, intake, bundle)
    assert response.status_code == 422
    assert any(i["expression"][0].endswith(".onsetString") for i in fhir_json(response)["issue"])


@pytest.mark.parametrize("body", [
    "[" * 100000 + "]" * 100000,
    '{"resourceType": "Bundle", "type": "transaction", "entry": ' + "[" * 50000 + "]" * 50000 + "}",
])
def test_a_body_nested_too_deep_is_a_400_outcome_not_an_internal_error(client, intake, app, monkeypatch, body):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(app, "testing", False)
    response = client.post("/fhir", headers={**intake, "Content-Type": "application/fhir+json"}, data=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert fhir_json(response)["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("path, value, where, says", [
    (("entry", 0, "resource", "gender"), "woman", "Bundle.entry[0].resource.gender", "male, female, other or unknown"),
    (("entry", 0, "resource", "gender"), "F", "Bundle.entry[0].resource.gender", "male, female, other or unknown"),
    (("entry", 0, "resource", "name", 0, "use"), "legal", "Bundle.entry[0].resource.name[0].use", "official"),
    (("entry", 0, "resource", "telecom", 1, "system"), "mobile", "Bundle.entry[0].resource.telecom[1].system", "sms"),
    (("entry", 1, "resource", "intent"), "referral", "Bundle.entry[1].resource.intent", "order"),
])
def test_a_code_fhir_r4_does_not_allow_is_a_400_at_its_element_not_recorded_as_unknown(
        client, intake, path, value, where, says):
    """A code outside its required value set (FHIR R4's administrative gender, name use, contact
    point system, request intent) is not valid FHIR: a "woman" or "F" taken as sex *Unknown* would
    lose what the sender meant without a word."""
    issues = _issues(post_bundle(client, intake, _set(intake_bundle(), path, value)), 400)
    assert [i["expression"] for i in issues] == [[where]]
    assert f"“{value}”" in issues[0]["diagnostics"] and says in issues[0]["diagnostics"]
    assert (_count(Patient), _count(Case)) == (0, 0)


@pytest.mark.parametrize("status", ["revoked", "entered-in-error", "completed", "draft", "on-hold"])
def test_a_referral_that_is_not_active_opens_no_case(client, intake, status):
    """A ServiceRequest withdrawn, entered in error, done, still a draft or on hold is no referral to
    act on: a 422 at its status saying what is taken, and nothing is written."""
    bundle = _set(intake_bundle(), ("entry", 1, "resource", "status"), status)
    issues = _issues(post_bundle(client, intake, bundle), 422)
    assert [i["expression"] for i in issues] == [["Bundle.entry[1].resource.status"]]
    assert f"status {status}" in issues[0]["diagnostics"] and "active" in issues[0]["diagnostics"]
    assert (_count(Patient), _count(Case)) == (0, 0)


def test_a_received_referral_sent_again_as_revoked_is_not_answered_as_a_replay(client, intake):
    """The sender's cancellation is not applied by intake (a coordinator cancels the case): it must
    not hear 200, as if the tracker had taken it, while the case stays on the worklist."""
    assert post_bundle(client, intake, intake_bundle()).status_code == 201
    revoked = _set(intake_bundle(), ("entry", 1, "resource", "status"), "revoked")
    issues = _issues(post_bundle(client, intake, revoked), 422)
    assert "a coordinator cancels the case" in issues[0]["diagnostics"]
    case = db.session.execute(db.select(Case)).scalar_one()
    assert case.state == State.REFERRED


@pytest.mark.parametrize("path, where", [
    (("entry", 1, "resource", "identifier", 0, "system"), "Bundle.entry[1].resource.identifier[0].system"),
    (("entry", 1, "resource", "extension", 0, "url"), "Bundle.entry[1].resource.extension[0].url"),
])
def test_a_uri_with_a_space_is_a_400_not_kept_to_make_the_trackers_own_fhir_invalid(client, intake, path, where):
    """A FHIR uri has no whitespace. The referral's identifier is kept and sent back on its
    ServiceRequest: taken with a space, every read of that patient would fail HL7's schema."""
    bundle = _set(intake_bundle(), path, "urn:oid:2.16.840.1 113883")
    issues = _issues(post_bundle(client, intake, bundle), 400)
    assert [i["expression"] for i in issues] == [[where]]
    assert "“urn:oid:2.16.840.1 113883” is not a FHIR uri" in issues[0]["diagnostics"]
    assert (_count(Patient), _count(Case)) == (0, 0)


@pytest.mark.parametrize("body, says", [
    ('{"resourceType": "Bundle", "type": "transaction"\n "entry": []}', "Expecting ',' delimiter at line 2, column 2"),
    ('{"resourceType": "Bundle", "type": "transaction", ', "at line 1, column 51"),
    (b'{"resourceType": "Bundle\xff"}', "not UTF-8 at byte 24"),
])
def test_a_body_that_is_not_json_says_where_the_json_breaks(client, intake, body, says):
    """A sender's developer looking at a Bundle of thousands of lines needs the place, as any JSON
    tool gives it, not only that it is not JSON."""
    response = client.post("/fhir", headers={**intake, "Content-Type": "application/fhir+json"}, data=body)
    [issue] = _issues(response, 400)
    assert issue["diagnostics"].startswith("The body is not JSON") and says in issue["diagnostics"], issue


@pytest.mark.parametrize("status", ["revoked", "entered-in-error"])
def test_a_referral_withdrawn_by_its_sender_is_put_on_its_cases_timeline_once(client, intake, status, gen, login_as,
                                                                               make_client):
    """The sender's withdrawal is refused (a person cancels the case), but the coordinator must
    learn of it where they look, the case's timeline, or the case waits on the worklist for a
    referral nobody wants any more; an EHR retrying does not add a second entry, and the case
    itself (its state, how long it has waited) is not changed."""
    assert post_bundle(client, intake, intake_bundle()).status_code == 201
    case = db.session.execute(db.select(Case)).scalar_one()
    version, changed_at, before = case.version_id, case.state_changed_at, _last_audit_id()
    withdrawn = _set(intake_bundle(), ("entry", 1, "resource", "status"), status)
    for _ in range(2):
        _issues(post_bundle(client, intake, withdrawn), 422)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    [note] = [h for h in case.history if h.action == "referral_withdrawn"]
    assert (note.from_state, note.to_state) == (State.REFERRED, State.REFERRED)
    assert (case.state, case.version_id, case.state_changed_at) == (State.REFERRED, version, changed_at)
    [row] = [r for r in _rows_after(before) if r.action.value != "view"]
    assert (row.action.value, row.object_type, row.object_id) == ("create", "case_history", str(note.id))
    page = make_client()
    login_as(gen.user(Role.COORDINATOR), on=page)
    *_, entry = _timeline(case.id, page)
    assert "Referral withdrawn by its sender, not applied" in entry
    assert (f"REF-2026-0042 was sent again through FHIR intake with status {status}; the case was not changed: "
            "cancel it on this page if the referral is withdrawn.") in entry


def test_a_collection_bundle_is_told_to_be_a_transaction_and_nothing_a_collection_must_not_have(client, intake):
    """A collection's entries have no request (FHIR forbids it there): telling each entry to add
    request.method POST as well sent the sender to write an invalid collection. The one thing to
    change is the Bundle's type."""
    bundle = intake_bundle()
    bundle["type"] = "collection"
    for entry in bundle["entry"]:
        del entry["request"]
    issues = _issues(post_bundle(client, intake, bundle), 422)
    assert [i["expression"] for i in issues] == [["Bundle.type"]]
    assert (_count(Patient), _count(Case)) == (0, 0)
def test_a_patient_with_one_name_is_taken_without_a_given_name_and_read_back_without_one(client, intake, gen):
    """A one-name patient (no given name) comes from an EHR as `name.family` alone: taken, and read
    back without an empty `given`."""
    bundle = intake_bundle(family="Suharto")
    del bundle["entry"][0]["resource"]["name"][0]["given"]
    response = post_bundle(client, intake, bundle)
    assert response.status_code == 201, response.get_data(as_text=True)
    patient = db.session.execute(db.select(Patient)).scalar_one()
    assert (patient.family_name, patient.given_name, patient.display_name) == ("Suharto", "", "Suharto")
    reader = bearer(token_for(gen.user(Role.COORDINATOR), "read"))
    read = fhir_json(client.get(f"/fhir/Patient/{patient.id}", headers=reader))
    assert read["name"] == [{"use": "official", "family": "Suharto"}]


@pytest.mark.parametrize("path, where", [
    (("entry", 0, "resource", "birthDate"), "Bundle.entry[0].resource.birthDate"),
    (("entry", 1, "resource", "note", 0, "text"), "Bundle.entry[1].resource.note[0].text"),
    (("entry", 0, "resource", "name", 0, "given"), "Bundle.entry[0].resource.name[0].given"),
])
def test_a_json_null_is_a_400_at_its_element_never_read_as_left_out(client, intake, path, where):
    """FHIR JSON has no null: an element without a value is left out. A null birth date read as
    "not sent" would register the patient without one; the sender hears where the null is."""
    bundle = _set(intake_bundle(), path, None)
    issues = _issues(post_bundle(client, intake, bundle), 400)
    assert [(i["diagnostics"], i["expression"]) for i in issues] == [
        ("null is not a value in FHIR JSON: leave the element out, or send its value.", [where])]
    assert (_count(Patient), _count(Case)) == (0, 0)


def test_a_null_in_a_list_that_a_primitive_extension_lines_up_with_is_fhir(client, intake):
    """The one place FHIR JSON has null: a list of primitives whose `_name` list carries an extension
    for an item without a value ("given": [null, "Emi"], "_given": [{...}, null])."""
    bundle = intake_bundle()
    name = bundle["entry"][0]["resource"]["name"][0]
    name["given"] = [None, "Emi"]
    name["_given"] = [{"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                                      "valueCode": "unknown"}]}, None]
    assert post_bundle(client, intake, bundle).status_code == 201
