"""FHIR read: the CapabilityStatement, `$everything` for a whole episode (validated by
fhir.resources' R4B models, every reference resolved), each mapping's content, reads of single
resources, content negotiation, audit, and a fixed number of queries; who performed a diary score
(the patient, or staff by phone), and merged records (inactive, linked to the record kept)."""
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tracker.roles import Role
from tracker.extensions import db
from tracker.models import AuditEvent, DiaryEntry
from tracker.timeutil import to_clinic, utcnow
from tracker.procedures.rules.schema import Step
from tracker.vocab import AppointmentStatus, EntrySource, Side
from tracker.workflow import State

from tests.api_support import (FHIR_JSON, bearer, check_bundle, codes, episode, fhir_json, of_type,
                               r4_errors, token_for, validated)
from tests.helpers import csrf_from, input_value, submit

SNOMED, LOINC, CPT, ICD = "http://snomed.info/sct", "http://loinc.org", "http://www.ama-assn.org/go/cpt", \
    "http://hl7.org/fhir/sid/icd-10-cm"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
EXTENSION_BASE = "https://si-joint-tracker.invalid/fhir/StructureDefinition"


@pytest.fixture
def reader(gen):
    return bearer(token_for(gen.user(Role.COORDINATOR)))


def _everything(client, headers, patient_id):
    response = client.get(f"/fhir/Patient/{patient_id}/$everything", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    data = fhir_json(response)
    return data, check_bundle(data)


def _laterality(concept):
    [ext] = [e for e in concept["extension"] if e["url"].endswith("/laterality")]
    return codes(ext["valueCodeableConcept"])


def test_the_r4_check_names_what_fhir_r4_does_not_allow():
    """The resources here are held to HL7's R4 JSON schema as well as to the R4B models: it names
    an element R4 does not have, a code outside a required value set and a malformed date."""
    patient = {"resourceType": "Patient", "gender": "woman", "birthDate": "1970-13-01", "nickname": "Ada"}
    errors = r4_errors(patient)
    assert any(e.startswith("gender:") for e in errors) and any(e.startswith("birthDate:") for e in errors)
    assert any("'nickname' was unexpected" in e for e in errors)
    assert r4_errors({"resourceType": "Patient", "gender": "female", "birthDate": "1970-12-01"}) == []


def test_metadata_says_what_is_supported_and_nothing_more(client):
    response = client.get("/fhir/metadata")
    statement = fhir_json(response)
    validated(statement)
    assert statement["resourceType"] == "CapabilityStatement" and statement["fhirVersion"] == "4.0.1"
    rest = statement["rest"][0]
    kinds = {r["type"]: r for r in rest["resource"]}
    assert {"Patient", "ServiceRequest", "Condition", "Observation", "Appointment", "Procedure",
            "MedicationAdministration"} <= set(kinds)
    assert all([i["code"] for i in r["interaction"]] == ["read"] and "searchParam" not in r for r in kinds.values())
    assert kinds["Patient"]["operation"][0]["name"] == "everything"
    assert [i["code"] for i in rest["interaction"]] == ["transaction"]
    # A sender learns before it re-sends a corrected referral that the tracker will not take it.
    assert "same identifier" in rest["interaction"][0]["documentation"] and \
        "409" in rest["interaction"][0]["documentation"]


def test_everything_for_a_bilateral_episode_is_a_valid_bundle_with_every_fact(client, gen, reader):
    case = episode(gen, side=Side.BILATERAL)
    data, found = _everything(client, reader, case.patient_id)
    assert data["type"] == "searchset" and data["total"] == len(data["entry"])

    [patient] = of_type(found, "Patient")
    assert patient["identifier"][0]["value"] == case.patient.mrn

    [request] = of_type(found, "ServiceRequest")
    assert _laterality(request["bodySite"][0]) == {(SNOMED, "51440002")}
    payer = [e for e in request["extension"] if e["url"].endswith("/payer-profile")]
    assert payer and payer[0]["valueCoding"]["display"]

    conditions = of_type(found, "Condition")
    assert {c for cond in conditions for c in codes(cond["code"])} == {(ICD, "M46.1"), (ICD, "S33.6XXA")}

    observations = of_type(found, "Observation")
    exam = [o for o in observations if "-exam-" in o["id"]]
    assert len(exam) == 12  # six tests, each side
    faber_left = found[f"Observation/{case.id}-exam-faber-left"]
    assert faber_left["valueCodeableConcept"]["coding"][0]["code"] == "provocation-result-positive"
    assert _laterality(faber_left["bodySite"]) == {(SNOMED, "7771000")}
    assert found[f"Observation/{case.id}-exam-yeoman-right"]["dataAbsentReason"]["coding"][0]["code"] == "not-performed"
    assert found[f"Observation/{case.id}-pain-baseline"]["valueInteger"] == 7
    assert codes(found[f"Observation/{case.id}-pain-baseline"]["code"]) == {(LOINC, "72514-3")}
    assert found[f"Observation/{case.id}-odi"]["valueQuantity"]["value"] == 40.0

    [verdict] = [o for o in observations if o["id"].startswith(f"{case.id}-verdict-") and "hasMember" in o]
    members = [found[m["reference"]] for m in verdict["hasMember"]]
    assert members and all(m["valueCodeableConcept"]["coding"][0]["code"].startswith("criterion-status-")
                           for m in members)

    [appointment] = of_type(found, "Appointment")
    assert appointment["status"] == "fulfilled"
    assert {p["actor"]["reference"].split("/")[0] for p in appointment["participant"]} == \
        {"Patient", "Practitioner", "Location"}

    [procedure] = of_type(found, "Procedure")
    assert procedure["status"] == "completed"
    assert procedure["performedPeriod"]["start"] and procedure["performedPeriod"]["end"]
    assert procedure["performer"][0]["actor"]["reference"].startswith("Practitioner/")
    assert _laterality(procedure["bodySite"][0]) == {(SNOMED, "51440002")}
    [cpt] = [c for c in procedure["code"]["coding"] if c["system"] == CPT]
    assert cpt["code"] == "27096" and cpt["extension"][0]["valueCoding"]["code"] == "50"
    assert procedure["complication"][0]["coding"][0]["code"] == "complication-none"
    assert {c["coding"][0]["code"] for c in procedure["followUp"]} == {"follow-up-discharge-instructions",
                                                                       "follow-up-pain-diary"}
    assert "Rfa" not in procedure["outcome"]["text"] and "next step" in procedure["outcome"]["text"]

    given = of_type(found, "MedicationAdministration")
    assert len(given) == 4  # two drugs into each joint
    assert sorted(codes(g["dosage"]["site"]["extension"][0]["valueCodeableConcept"]).pop()[1] for g in given) == \
        ["24028007", "24028007", "7771000", "7771000"]
    steroid = next(g for g in given if g["medicationCodeableConcept"]["coding"][0]["code"] == "drug-triamcinolone")
    assert steroid["dosage"]["dose"] == {"value": 40.0, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}
    assert steroid["partOf"][0]["reference"] == f"Procedure/{procedure['id']}"

    diary = [o for o in observations if "-diary-" in o["id"]]
    assert len(diary) == 8  # t0, 30 min, day 7 and the late 2 hours, each side
    assert all(o["effectiveDateTime"] and codes(o["code"]) == {(LOINC, "72514-3")} for o in diary)

    [outcome] = [o for o in observations if o["id"] == f"{case.id}-outcome"]
    parts = {c["code"]["coding"][0]["code"]: c for c in outcome["component"]}
    assert parts["therapeutic-relief-days"]["valueQuantity"]["value"] == 42
    assert parts["next-step"]["valueCodeableConcept"]["coding"][0]["code"] == "next-step-rfa-evaluation"


# Every standard code the tracker may send, each checked against its publisher's release
# (tracker/coding.py): a code outside these in a standard system would be an invented one.
STANDARD_CODES = {SNOMED: {"39723000", "7771000", "24028007", "51440002"}, LOINC: {"72514-3"},
                  CPT: {"27096", "50"}, HCPCS: {"G0260"}, "urn:ietf:bcp:47": {"en", "es"}}
README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _walk(value, key):
    """Every dict anywhere in `value` that has `key`."""
    if isinstance(value, dict):
        if key in value:
            yield value
        for item in value.values():
            yield from _walk(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)


@pytest.mark.parametrize("billing", ["office", "facility"])
def test_standard_systems_carry_only_known_codes_and_every_extension_is_the_trackers_documented_one(
        client, gen, reader, billing):
    from tracker.admin.services import set_billing_setting

    set_billing_setting(billing, gen.user(Role.ADMIN))
    for side, allergy in ((Side.BILATERAL, False), (Side.LEFT, True)):
        case = episode(gen, side=side, contrast_allergy=allergy, patient=gen.patient())
        data, _ = _everything(client, reader, case.patient_id)
        codings = [c for c in _walk(data, "system") if "code" in c and c["system"] in (*STANDARD_CODES, ICD)]
        billed = {CPT, HCPCS} if billing == "facility" else {CPT}
        assert {c["system"] for c in codings} >= {SNOMED, LOINC, ICD} | billed
        for item in codings:
            known = set(case.diagnosis_codes) if item["system"] == ICD else STANDARD_CODES[item["system"]]
            assert item["code"] in known, item
        extensions = {e["url"] for e in _walk(data, "url") if "://" in e["url"]
                      and any(key.startswith("value") or key == "extension" for key in e)}
        assert {url.rsplit("/", 1)[1] for url in extensions} >= {"laterality", "payer-profile", "indication"}
        for url in extensions:
            assert url.startswith(EXTENSION_BASE + "/"), url
            name = url.rsplit("/", 1)[1]
            assert f"| `{name}` |" in README, f"extension {name} is not in the README's table"


def test_a_contrast_omitted_for_a_documented_allergy_travels_with_its_reason(client, gen, reader):
    case = episode(gen, side=Side.LEFT, contrast_allergy=True)
    _, found = _everything(client, reader, case.patient_id)
    [procedure] = of_type(found, "Procedure")
    [contrast] = [e for e in procedure["extension"] if e["url"].endswith("/contrast-check")]
    parts = {p["url"]: p for p in contrast["extension"]}
    assert parts["omitted"]["valueBoolean"] is True
    assert "anaphylaxis" in parts["reason"]["valueString"]
    assert "agent" not in parts
    [allergy] = of_type(found, "AllergyIntolerance")
    assert allergy["code"]["coding"][0]["code"] == "allergy-iodinated-contrast"
    assert len(of_type(found, "MedicationAdministration")) == 2  # the injectate still given, no contrast


def test_a_contrast_omitted_without_a_reason_on_file_sends_none_rather_than_claiming_an_allergy(
        client, gen, reader):
    """A check saved part-filled (omitted, its reason still to write): the export says omitted and
    gives no reason, never "documented contrast allergy" for a patient with none on file."""
    from tracker.models import ProcedureStep

    case = episode(gen, side=Side.LEFT, contrast_allergy=True)
    row = db.session.execute(db.select(ProcedureStep).where(ProcedureStep.step == Step.CONTRAST)).scalar_one()
    # Written past the signed record's guard, as a row saved part-filled would read.
    db.session.execute(db.update(ProcedureStep).where(ProcedureStep.id == row.id)
                       .values(answers={**row.answers, "omission_reason": ""}))
    db.session.commit()
    _, found = _everything(client, reader, case.patient_id)
    [procedure] = of_type(found, "Procedure")
    [contrast] = [e for e in procedure["extension"] if e["url"].endswith("/contrast-check")]
    parts = {p["url"]: p for p in contrast["extension"]}
    assert parts["omitted"]["valueBoolean"] is True
    assert "reason" not in parts


def test_no_known_allergies_is_sent_as_an_answer_and_a_question_not_asked_sends_nothing(client, gen, reader):
    case = episode(gen, side=Side.LEFT)
    _, found = _everything(client, reader, case.patient_id)
    assert of_type(found, "AllergyIntolerance") == [], "not asked: nothing to say"

    case.risk_screen.allergy_answer = "nkda"
    db.session.commit()
    _, found = _everything(client, reader, case.patient_id)
    [allergy] = of_type(found, "AllergyIntolerance")
    assert allergy["id"] == f"{case.id}-allergy-none-known"
    assert allergy["code"]["coding"][0]["code"] == "allergy-none-known"


def test_a_late_diary_score_keeps_the_time_it_was_given_and_says_it_is_late(client, gen, reader):
    case = episode(gen, side=Side.RIGHT)
    _, found = _everything(client, reader, case.patient_id)
    diary = {o["id"]: o for o in of_type(found, "Observation") if "-diary-" in o["id"]}

    def ext(o, name):
        return next(e for e in o["extension"] if e["url"].endswith("/" + name))

    late = [o for o in diary.values() if ext(o, "diary-late-entry")["valueBoolean"]]
    [entry] = late
    assert ext(entry, "diary-time-point")["valueCoding"]["code"] == "diary-point-h2"
    assert ext(entry, "diary-counted-in-result")["valueBoolean"] is False
    row = db.session.get(DiaryEntry, int(entry["id"].rsplit("-", 1)[1]))
    assert datetime.fromisoformat(entry["effectiveDateTime"].replace("Z", "+00:00")) == row.entered_at
    assert row.entered_at > row.point.closes_at
    on_time = [o for o in diary.values() if o is not entry]
    assert all("diary-counted-in-result" not in json.dumps(o) for o in on_time)


def test_a_score_taken_by_phone_is_effective_at_the_moment_the_patient_recalled_and_issued_when_recorded(
        client, gen, reader):
    case = episode(gen, side=Side.RIGHT)
    # The last score was taken by phone: the patient recalled a moment three hours before the call.
    row = db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)
                             .order_by(DiaryEntry.id.desc())).scalars().first()
    row.source, row.entered_by_id = EntrySource.STAFF_PHONE, gen.user(Role.COORDINATOR).id
    row.felt_at = row.entered_at - timedelta(hours=3)
    db.session.commit()

    _, found = _everything(client, reader, case.patient_id)
    observation = found[f"Observation/{case.id}-diary-{row.id}"]
    assert datetime.fromisoformat(observation["effectiveDateTime"].replace("Z", "+00:00")) == row.felt_at
    assert datetime.fromisoformat(observation["issued"].replace("Z", "+00:00")) == row.entered_at
    api = bearer(token_for(gen.user(Role.COORDINATOR)))
    diary = client.get(f"/api/v1/cases/{case.id}/diary", headers=api).get_json()
    [score] = [s for p in diary["points"] for s in p["scores"] if s["source"] == "staff_phone"
               and datetime.fromisoformat(s["entered_at"]) == row.entered_at]
    assert datetime.fromisoformat(score["felt_at"]) == row.felt_at


def test_each_resource_reads_alone_as_it_is_in_the_bundle(client, gen, reader):
    case = episode(gen, side=Side.LEFT)
    _, found = _everything(client, reader, case.patient_id)
    for key, resource in found.items():
        response = client.get(f"/fhir/{key}", headers=reader)
        assert response.status_code == 200, key
        assert fhir_json(response) == resource, key


def test_unknown_resources_are_an_operation_outcome_404(client, gen, reader):
    for url in ("/fhir/Patient/999", "/fhir/Observation/999-odi", "/fhir/Observation/abc",
                "/fhir/Claim/1", "/fhir/Patient/999/$everything"):
        response = client.get(url, headers=reader)
        assert response.status_code == 404, url
        assert fhir_json(response)["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("url", ["/fhir/Patient?name=Nakamura", "/fhir/Procedure", "/fhir/Observation?patient=1"])
def test_a_search_is_said_to_be_unsupported_with_what_to_ask_instead(client, reader, url):
    response = client.get(url, headers=reader)
    assert response.status_code == 400
    issue = fhir_json(response)["issue"][0]
    assert issue["code"] == "not-supported"
    assert "Search is not supported" in issue["diagnostics"] and "$everything" in issue["diagnostics"]


def test_a_search_of_a_type_the_server_does_not_read_says_so_rather_than_pointing_at_a_read_that_fails(
        client, reader):
    response = client.get("/fhir/Claim?patient=1", headers=reader)
    assert response.status_code == 404
    diagnostics = fhir_json(response)["issue"][0]["diagnostics"]
    assert diagnostics.startswith("Claim is not a resource type this server reads") and "/fhir/Claim/" not in diagnostics


def test_a_search_without_a_token_is_refused_as_a_read_is(client):
    assert client.get("/fhir/Patient?name=x").status_code == 401


@pytest.mark.parametrize("headers,query", [({"Accept": "application/fhir+xml"}, ""), ({"Accept": "text/html"}, ""),
                                           ({}, "?_format=xml")])
def test_a_format_other_than_json_is_refused_with_406(client, gen, reader, headers, query):
    patient = gen.patient()
    response = client.get(f"/fhir/Patient/{patient.id}{query}", headers={**reader, **headers})
    assert response.status_code == 406
    assert fhir_json(response)["issue"][0]["code"] == "not-supported"


def test_json_is_served_to_clients_that_accept_it(client, gen, reader):
    patient = gen.patient()
    for accept in (FHIR_JSON, "application/json", "*/*"):
        assert client.get(f"/fhir/Patient/{patient.id}", headers={**reader, "Accept": accept}).status_code == 200


BCP47 = "urn:ietf:bcp:47"


@pytest.mark.parametrize("recorded, code", [("Spanish", "es"), ("English", "en")])
def test_a_patients_language_is_coded_in_bcp_47_with_its_name_kept_as_text(client, gen, reader, recorded, code):
    patient = gen.patient(language=recorded)
    read = validated(fhir_json(client.get(f"/fhir/Patient/{patient.id}", headers=reader))).model_dump(mode="json")
    assert read["communication"] == [{"language": {"coding": [{"system": BCP47, "code": code, "display": recorded}],
                                                   "text": recorded}, "preferred": True}]


def test_a_language_the_tracker_has_no_tag_for_is_sent_as_text_alone(client, gen, reader):
    patient = gen.patient(language="Tagalog")
    read = fhir_json(client.get(f"/fhir/Patient/{patient.id}", headers=reader))
    assert not r4_errors(read)
    assert read["communication"] == [{"language": {"text": "Tagalog"}, "preferred": True}]


def test_a_patient_recorded_as_died_is_sent_with_the_date_of_death(client, gen, reader):
    """Another system reading the record learns the death (deceasedDateTime, a date), not only that
    the clinic stopped messaging; one who moved away is sent as before."""
    from tracker.patients.services import end_contact
    from tracker.vocab import ContactEnded
    died, moved = gen.patient(), gen.patient(family_name="Okafor")
    staff = gen.user(Role.COORDINATOR)
    end_contact(died, ContactEnded.DIED, date(2026, 11, 30), "", died.version_id, staff)
    end_contact(moved, ContactEnded.LEFT_CARE, None, "Moved to Oregon", moved.version_id, staff)
    read = fhir_json(client.get(f"/fhir/Patient/{died.id}", headers=reader))
    assert not r4_errors(read)
    assert read["deceasedDateTime"] == "2026-11-30"
    assert "deceasedDateTime" not in fhir_json(client.get(f"/fhir/Patient/{moved.id}", headers=reader))


def test_every_read_is_in_the_audit_trail_with_its_token(client, gen):
    user = gen.user(Role.PHYSICIAN)
    raw = token_for(user)
    case = episode(gen, side=Side.LEFT)
    client.get(f"/fhir/Patient/{case.patient_id}/$everything", headers=bearer(raw))
    client.get(f"/fhir/ServiceRequest/{case.id}", headers=bearer(raw))
    rows = db.session.execute(db.select(AuditEvent).filter_by(user_id=user.id, action="view")
                              .order_by(AuditEvent.id)).scalars().all()
    assert [(r.object_type, r.object_id) for r in rows] == [("patient", str(case.patient_id)),
                                                             ("case", str(case.id))]
    assert rows[1].summary == f"API GET /fhir/ServiceRequest/{case.id}"
    assert all(raw[:12] in r.actor and raw not in r.actor for r in rows)


def test_everything_takes_the_same_queries_for_one_episode_or_five(client, gen, reader, count_queries):
    one = episode(gen, side=Side.LEFT).patient
    five = episode(gen, side=Side.LEFT).patient
    for _ in range(4):
        episode(gen, side=Side.BILATERAL, patient=five)
    counts = []
    for patient in (one, five):
        with count_queries() as counter:
            data, found = _everything(client, reader, patient.id)
        counts.append(counter.n)
    assert len(of_type(found, "Procedure")) == 5
    assert counts[0] == counts[1], counts


def test_a_score_the_patient_gave_through_their_account_is_performed_by_the_patient_not_a_practitioner(
        client, make_client, gen, login_as, reader):
    """Through the signed-in account and through the personal link alike, the patient performed the
    score; only staff taking it by phone are a Practitioner, and a patient's account is never one."""
    account = gen.user(Role.PATIENT, name="Sean O'Brien")
    coordinator = gen.user(Role.COORDINATOR, name="Casey Coordinator")
    case = gen.case(patient=account.patient, state=State.FOLLOW_UP, side=Side.LEFT)
    injected = utcnow() - timedelta(hours=2)
    gen.diary(case, injected_at=injected, entries={"t0": 7})  # the baseline, by the link

    patient_browser = login_as(account, on=make_client())
    assert submit(patient_browser, f"/my/cases/{case.id}/diary", {"point": "h2", "score": "3"}).status_code == 302
    staff_browser = login_as(coordinator, on=make_client())
    felt = to_clinic(injected + timedelta(minutes=30))  # the 30-minute score, recalled on the phone
    assert submit(staff_browser, f"/cases/{case.id}/diary/phone", {
        "score": "4", "felt_on": felt.date().isoformat(), "felt_time": felt.strftime("%H:%M")}).status_code == 302
    entries = {e.source: e for e in db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)).scalars()}
    assert set(entries) == {EntrySource.PATIENT_ACCOUNT, EntrySource.LINK, EntrySource.STAFF_PHONE}

    _, found = _everything(client, reader, account.patient.id)
    performers = {source: found[f"Observation/{case.id}-diary-{entry.id}"]["performer"]
                  for source, entry in entries.items()}
    assert performers[EntrySource.PATIENT_ACCOUNT] == [{"reference": f"Patient/{account.patient.id}"}]
    assert performers[EntrySource.LINK] == [{"reference": f"Patient/{account.patient.id}"}]
    assert performers[EntrySource.STAFF_PHONE] == [
        {"reference": f"Practitioner/{coordinator.id}", "display": "Casey Coordinator"}]
    assert f"Practitioner/{account.id}" not in found
    assert f"Practitioner/{coordinator.id}" in found
    observation = client.get(f"/fhir/Observation/{case.id}-diary-{entries[EntrySource.PATIENT_ACCOUNT].id}",
                             headers=reader)
    assert fhir_json(observation)["performer"] == [{"reference": f"Patient/{account.patient.id}"}]


def _merged_through_the_page(make_client, gen, login_as):
    """Two records of one person, each with a case, merged by a coordinator through the merge page:
    (kept, merged away)."""
    kept = gen.patient(mrn="A-100200", family_name="García", given_name="Lucía", date_of_birth=date(1961, 4, 2))
    other = gen.patient(mrn="A-100299", family_name="Garcia", given_name="Lucia", date_of_birth=date(1961, 4, 2))
    gen.case(patient=kept)
    gen.case(patient=other, side=Side.RIGHT)
    browser = login_as(gen.user(Role.COORDINATOR), on=make_client())
    url = f"/patients/{kept.id}/merge/{other.id}"
    page = browser.get(url).get_data(as_text=True)
    merged = browser.post(url, data={"csrf_token": csrf_from(page), "reason": "Same person, confirmed by phone",
                                     "kept_version": input_value(page, "kept_version"),
                                     "merged_version": input_value(page, "merged_version")})
    assert merged.status_code == 302, merged.get_data(as_text=True)
    return kept.id, other.id


def test_a_merged_away_record_reads_as_inactive_and_replaced_by_the_record_kept(client, make_client, gen, login_as,
                                                                                reader):
    kept, other = _merged_through_the_page(make_client, gen, login_as)

    tombstone = fhir_json(client.get(f"/fhir/Patient/{other}", headers=reader))
    validated(tombstone)
    assert tombstone["active"] is False
    assert tombstone["link"] == [{"other": {"reference": f"Patient/{kept}"}, "type": "replaced-by"}]
    live = fhir_json(client.get(f"/fhir/Patient/{kept}", headers=reader))
    validated(live)
    assert live["active"] is True
    assert live["link"] == [{"other": {"reference": f"Patient/{other}"}, "type": "replaces"}]


def test_everything_on_a_merged_away_record_is_the_record_kept_with_both_records_linked(
        client, make_client, gen, login_as, reader):
    kept, other = _merged_through_the_page(make_client, gen, login_as)

    data, found = _everything(client, reader, kept)
    assert [p["id"] for p in of_type(found, "Patient")] == [str(kept), str(other)]
    assert found[f"Patient/{other}"]["active"] is False
    assert found[f"Patient/{other}"]["link"][0]["type"] == "replaced-by"
    assert found[f"Patient/{kept}"]["link"][0]["type"] == "replaces"
    requests = of_type(found, "ServiceRequest")
    assert len(requests) == 2 and {r["subject"]["reference"] for r in requests} == {f"Patient/{kept}"}

    followed, followed_found = _everything(client, reader, other)
    assert followed_found == found and followed["total"] == data["total"]
    viewed = db.session.execute(db.select(AuditEvent).filter_by(action="view", object_type="patient")
                                .order_by(AuditEvent.id.desc())).scalars().first()
    assert viewed.object_id == str(kept) and viewed.summary == f"API GET /fhir/Patient/{other}/$everything"


def test_a_procedure_carries_every_contrast_check_and_the_flags_its_note_prints(client, gen, reader):
    from tracker.procedures import services
    from tests.builders import PROCEDURE_ANSWERS

    record = gen.procedure(side=Side.LEFT, steps=["sign_in", "time_out", "positioning", "skin_prep", "fluoroscopy"])
    physician = record.started_by
    clean = PROCEDURE_ANSWERS["contrast"]
    services.save_step(record, "contrast", "left", {**clean, "vascular_uptake": True}, physician, "", attempt="1")
    services.save_step(record, "contrast", "left", clean, physician, "", attempt="2")
    too_much = {"rows": [{"drug": "triamcinolone", "concentration_mg_per_ml": "40", "dose_mg": "40", "volume_ml": "1",
                          "lot_number": "TA-1"},
                         {"drug": "bupivacaine", "concentration_mg_per_ml": "2.5", "dose_mg": "5", "volume_ml": "2",
                          "lot_number": "BU-1"}]}
    services.save_step(record, "injectate", "left", too_much, physician, "")
    services.save_step(record, "sign_out", None, PROCEDURE_ANSWERS["sign_out"], physician, "")
    services.sign(record, physician, record.version_id)  # at once: 0 minutes

    response = client.get(f"/fhir/Procedure/{record.case_id}-procedure-{record.id}", headers=reader)

    procedure = fhir_json(response)
    validated(procedure)
    checks = [{p["url"]: next(v for k, v in p.items() if k.startswith("value")) for p in e["extension"]}
              for e in procedure["extension"] if e["url"] == f"{EXTENSION_BASE}/contrast-check"]
    assert [(c["side"], c["check"], c["vascular-uptake"]) for c in checks] == [("left", 1, True), ("left", 2, False)]
    notes = [note["text"] for note in procedure["note"]]
    assert ("Warning noted (Contrast confirmation, check 1): Vascular uptake: reposition the needle and repeat "
            "the contrast check before injecting.") in notes
    assert ("Warning noted (Injectate): Left side: 3.0 mL in total is more than the joint usually holds "
            "(about 0.6–2.5 mL).") in notes
    assert notes[-1] == "Duration 0 minutes, flagged: shorter than 5 minutes."


def test_a_procedure_carries_each_sign_in_answer_and_what_the_physician_acknowledged_to_start_it(
        client, gen, reader, doctor, physician):
    from tracker.models import ProcedureRecord, RiskScreen
    from tests.builders import answers_for, post_step
    from tests.helpers import form_data, form_posting_to, text

    case = gen.case(state=State.SCHEDULED, physician_id=physician.id)
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True, anticoagulant_answer="none",
                              allergy_answer="nkda", pregnancy="possible"))
    db.session.commit()
    gen.verdict(case)
    gen.appointment(case, physician=physician, consent_obtained=True, day_of_check_done=True,
                    starts_at=utcnow().replace(microsecond=0) - timedelta(minutes=5), status=AppointmentStatus.CHECKED_IN)
    start = f"/cases/{case.id}/procedure/start"
    warning = text(doctor.post(start, data=form_data(form_posting_to(text(doctor.get(f"/cases/{case.id}")), start))))
    doctor.post(start, data={**form_data(form_posting_to(warning, start)), "pregnancy_acknowledged": "y"})
    assert post_step(doctor, case.id, "sign_in", {**answers_for("sign_in"), "pregnancy_reviewed": True,
                                                  "site_marked": False}).status_code == 302
    record = db.session.execute(db.select(ProcedureRecord).filter_by(case_id=case.id)).scalar_one()
    [sign_in] = record.steps

    response = client.get(f"/fhir/Procedure/{case.id}-procedure-{record.id}", headers=reader)

    procedure = fhir_json(response)
    validated(procedure)
    notes = {note["text"]: note for note in procedure["note"]}
    me = {"reference": f"Practitioner/{physician.id}", "display": physician.name}
    acknowledged = notes["Acknowledged at the start: Possibly pregnant on the risk screen"]
    assert acknowledged["authorReference"] == me
    assert datetime.fromisoformat(acknowledged["time"]) == record.started_at
    said = [line for line in notes if line.startswith("Sign-in / verification: ")]
    assert said == [f"Sign-in / verification: {answer}" for answer in (
        "Two patient identifiers confirmed: yes", "Consent confirmed: yes", "Procedure confirmed: yes",
        "Side confirmed: Left", "Site marked: no", "Allergies reviewed: yes", "Anticoagulation reviewed: yes",
        "Pregnancy reviewed: a negative pregnancy test today, or the physician's decision to proceed: yes")]
    assert all(notes[line]["authorReference"] == me
               and datetime.fromisoformat(notes[line]["time"]) == sign_in.recorded_at for line in said)


def test_a_procedure_says_whether_local_skin_anaesthetic_was_used(client, gen, reader, doctor, physician):
    from tests.builders import answers_for, post_step

    record = gen.procedure(side=Side.LEFT, physician=physician, steps=["sign_in", "time_out", "positioning"])
    skipped = {**answers_for("skin_prep"), "local_skin_anaesthetic": "not_used"}
    assert post_step(doctor, record.case_id, "skin_prep", skipped).status_code == 302

    response = client.get(f"/fhir/Procedure/{record.case_id}-procedure-{record.id}", headers=reader)

    procedure = fhir_json(response)
    validated(procedure)
    notes = [note["text"] for note in procedure["note"]]
    assert [line for line in notes if line.startswith("Skin prep: ")] == [
        "Skin prep: Skin prep agent: Chlorhexidine 2% in 70% isopropyl alcohol", "Skin prep: Sterile drape: yes",
        "Skin prep: Local skin anaesthetic: Not used"]


def test_a_procedure_times_each_answer_when_it_was_first_recorded_and_names_its_correction(
        client, gen, reader, doctor, physician, login_as, make_client, monkeypatch):
    from tracker.procedures import services
    from tracker.timeutil import format_clinic
    from tests.builders import answers_for, post_step

    record = gen.procedure(side=Side.LEFT, physician=physician, steps=["sign_in", "time_out", "fluoroscopy", "contrast"])
    base = utcnow().replace(microsecond=0)
    clock = {"now": base + timedelta(seconds=10)}
    monkeypatch.setattr(services, "utcnow", lambda: clock["now"])
    assert post_step(doctor, record.case_id, "injectate", answers_for("injectate"), side="left").status_code == 302
    colleague = login_as(gen.user(Role.PHYSICIAN, name="Dr Sam Okafor"), on=make_client())
    clock["now"] = base + timedelta(seconds=70)
    [sign_in] = [row for row in record.steps if row.step == "sign_in"]
    assert post_step(colleague, record.case_id, "sign_in", {**answers_for("sign_in"), "site_marked": False},
                     version=sign_in.version_id).status_code == 302
    assert post_step(colleague, record.case_id, "injectate", {"rows": [
        {**answers_for("injectate")["rows"][0], "lot_number": "TA-2232"}]}, side="left",
        version=next(row for row in record.steps if row.step == "injectate").version_id).status_code == 302
    db.session.expire_all()
    [sign_in] = [row for row in record.steps if row.step == "sign_in"]

    procedure = fhir_json(client.get(f"/fhir/Procedure/{record.case_id}-procedure-{record.id}", headers=reader))
    validated(procedure)
    correction = f" (corrected {format_clinic(base + timedelta(seconds=70), '%Y-%m-%d %H:%M:%S')} by Dr Sam Okafor)"
    notes = {note["text"]: note for note in procedure["note"]}
    site = notes[f"Sign-in / verification: Site marked: no{correction}"]
    assert datetime.fromisoformat(site["time"]) == sign_in.first_recorded_at < sign_in.recorded_at
    assert site["authorReference"] == {"reference": f"Practitioner/{physician.id}", "display": physician.name}
    _, found = _everything(client, reader, record.case.patient_id)
    [given] = of_type(found, "MedicationAdministration")
    assert datetime.fromisoformat(given["effectiveDateTime"]) == base + timedelta(seconds=10)


def test_everything_says_in_its_self_link_that_the_parameters_it_does_not_support_were_not_applied(
        client, gen, reader):
    """FHIR: a server ignoring a parameter says so by leaving it out of the Bundle's self link. A
    `_type=Observation`, `start` or `_count` echoed back there reads as applied, and the whole
    record taken as the filtered part of it."""
    case = episode(gen)
    url = f"/fhir/Patient/{case.patient_id}/$everything"
    whole = fhir_json(client.get(url, headers=reader))
    response = client.get(f"{url}?_type=Observation&start=2026-01-01&_count=5&_format=json", headers=reader)
    assert response.status_code == 200
    data = fhir_json(response)
    assert data["total"] == whole["total"] == len(data["entry"])
    assert data["link"] == [{"relation": "self", "url": f"http://localhost{url}?_format=json"}]


def test_everything_with_strict_handling_refuses_a_parameter_it_does_not_support(client, gen, reader):
    """`Prefer: handling=strict` (FHIR's way to ask for an error rather than a parameter ignored)."""
    case = episode(gen)
    url = f"/fhir/Patient/{case.patient_id}/$everything"
    strict = {**reader, "Prefer": "handling=strict"}
    response = client.get(f"{url}?_type=Observation&_count=5", headers=strict)
    assert response.status_code == 400
    issues = fhir_json(response)["issue"]
    assert validated(fhir_json(response))
    assert [(i["code"], i["expression"]) for i in issues] == [("not-supported", ["_type"]),
                                                              ("not-supported", ["_count"])]
    assert "$everything takes no parameters" in issues[0]["diagnostics"]
    assert client.get(f"{url}?_format=json", headers=strict).status_code == 200
