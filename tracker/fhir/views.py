"""`/fhir`: the CapabilityStatement, reads of each resource the tracker exposes, a patient's
`$everything`, and referral intake (`POST /fhir`, a transaction Bundle)."""
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from flask import Blueprint, request, url_for

from tracker.access import public
from tracker.api.auth import api_user, record_read, token_allow
from tracker.errors import on_refusal
from tracker.extensions import csrf, db
from tracker.fhir import intake, record, resources
from tracker.fhir.responses import FHIR_JSON, check_acceptable, outcome_response, resource_response
from tracker.loaders import kept_record
from tracker.models import ApiScope, Room, User
from tracker.policy import PROFILES
from tracker.roles import Role
from tracker.timeutil import utcnow

bp = Blueprint("fhir", __name__)
# Tokens only (tracker/api/auth.py): a browser session opens nothing here, so no CSRF token is needed.
csrf.exempt(bp)

READERS = (Role.COORDINATOR, Role.PHYSICIAN)
# What a read can return, and whence its id comes: the patient's row, a staff account, a room,
# or (every other type) one case's resources.
CASE_TYPES = ("ServiceRequest", "Condition", "AllergyIntolerance", "Observation", "Appointment", "Procedure",
              "MedicationAdministration")
READABLE = ("Patient", "Practitioner", "Location", *CASE_TYPES)


@bp.before_request
def negotiate():
    check_acceptable()


def base_url():
    return url_for("fhir.capabilities", _external=True).rsplit("/", 1)[0]


@bp.route("/metadata")
@public
def capabilities():
    """What the tracker supports, and nothing more: reads by id, `$everything` on a Patient, and
    a transaction Bundle for referral intake. No search, no history, no update."""
    statement = CapabilityStatement(
        status="active", date=utcnow(), kind="instance", fhirVersion="4.0.1", format=[FHIR_JSON, "json"],
        publisher="SI joint injection tracker",
        software={"name": "SI joint injection tracker"},
        implementation={"description": "SI joint injection tracker FHIR API", "url": base_url()},
        rest=[{
            "mode": "server",
            "documentation": "Send `Authorization: Bearer <token>` (tokens from the clinic's admin). A read "
                             "token reads; an intake token also posts referral transaction Bundles.",
            "security": {"description": "Bearer tokens; 401 for an unknown, expired or revoked token, 403 "
                                        "outside the token's scope or account role.", "cors": False},
            "resource": [_readable(kind) for kind in READABLE],
            "interaction": [{"code": "transaction",
                             "documentation": "Referral intake: a Patient, a ServiceRequest (status active: a "
                                              "referral withdrawn is cancelled by a coordinator, never by "
                                              "intake) and optionally Conditions; needs an intake token. The "
                                              "same identifier sent "
                                              "again is a replay (200) when the patient, side, indication, "
                                              "diagnosis codes and symptom onset are those first received "
                                              "(however a coordinator corrected the case since) or those "
                                              "on file now, else a 409 naming each difference: a "
                                              "correction is made in the tracker by a coordinator."}],
        }],
    )
    return resource_response(statement)


def _readable(kind):
    entry = {"type": kind, "interaction": [{"code": "read"}], "versioning": "no-version",
             "readHistory": False, "updateCreate": False}
    if kind == "Patient":
        entry["operation"] = [{"name": "everything",
                               "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                               "documentation": "Every case of the patient; no parameters (start, end, "
                                                "_since, _type, _count are ignored and left out of the "
                                                "self link; with Prefer: handling=strict, a 400). On a record "
                                                "merged into another (inactive, link replaced-by): the "
                                                "record kept, where its cases went."}]
    return entry


def _not_readable(kind):
    return outcome_response(404, [f"{kind} is not a resource type this server reads ({', '.join(READABLE)})."],
                            "not-supported")


def _not_found(kind, ident):
    return outcome_response(404, [f"{kind}/{ident} is not known."])


@bp.route("/<kind>")
@token_allow(*READERS)
def search(kind):
    """FHIR search (GET /fhir/Patient?name=…) is not offered: said so, with what to ask instead,
    rather than a bare "not found" that reads like no match. A type the server does not read is
    said to be one, as its read says (no read by id to point to)."""
    if kind not in READABLE:
        return _not_readable(kind)
    return outcome_response(400, [f"Search is not supported ({kind}?…): read a resource by its id "
                                  f"(GET /fhir/{kind}/<id>), or a patient's whole record with "
                                  "GET /fhir/Patient/<id>/$everything."], "not-supported")


@bp.route("/<kind>/<ident>")
@token_allow(*READERS)
def read(kind, ident):
    if kind not in READABLE:
        return _not_readable(kind)
    found = _find(kind, ident)
    if found is None:
        return _not_found(kind, ident)
    # The audit row names the record read (the path in its summary names the resource).
    case_id = resources.case_id_of(ident) if kind in CASE_TYPES else None
    record_read(*(("case", case_id) if case_id else (kind.lower(), ident)))
    return resource_response(found)


def _row_id(ident):
    return int(ident) if ident.isdigit() and len(ident) < 10 else None


def _find(kind, ident):
    if kind == "Patient":
        row = record.load_patient(_row_id(ident), cases=False) if _row_id(ident) else None
        return resources.patient(row, record.mrn_system()) if row else None
    if kind == "Practitioner":
        user = db.session.get(User, _row_id(ident)) if _row_id(ident) else None
        return resources.practitioner(user) if user and user.is_staff else None
    if kind == "Location":
        room = db.session.get(Room, _row_id(ident)) if _row_id(ident) else None
        return resources.location(room) if room else None
    case_id = resources.case_id_of(ident)
    case = record.load_case(case_id) if case_id else None
    if case is None:
        return None
    return next((r for r in record.case_resources(case, record.Context.load())
                 if r.get_resource_type() == kind and r.id == ident), None)


@bp.route("/Patient/<int:patient_id>/$everything")
@token_allow(*READERS)
def everything(patient_id):
    """The record's every resource; a merged record's are those of the record kept, where its
    cases went (the Bundle holds both Patients, linked replaced-by and replaces)."""
    ignored = [name for name in request.args if name != "_format"]
    if ignored and _strict():
        return outcome_response(400, [(f"{name} is not supported: $everything takes no parameters and returns the "
                                       "patient's whole record.", name) for name in ignored], "not-supported")
    patient = record.load_patient(patient_id)
    if patient is None:
        return _not_found("Patient", patient_id)
    if patient.merged_into_id is not None:
        patient = record.load_patient(kept_record(patient).id)
    found = record.everything(patient, record.Context.load())
    base = base_url()
    # The self link names the parameters applied only (FHIR: one left out of it was ignored).
    applied = {name: value for name, value in request.args.items() if name == "_format"}
    bundle = Bundle(type="searchset", timestamp=utcnow(), total=len(found),
                    link=[{"relation": "self",
                           "url": url_for("fhir.everything", patient_id=patient_id, _external=True, **applied)}],
                    entry=[{"fullUrl": f"{base}/{r.get_resource_type()}/{r.id}", "resource": r,
                            "search": {"mode": "match"}} for r in found])
    record_read("patient", patient.id)
    return resource_response(bundle)


def _strict():
    """`Prefer: handling=strict`: the client wants an error for a parameter the server would ignore."""
    preferences = request.headers.get("Prefer", "").replace(";", ",").split(",")
    return any(p.strip().lower().replace(" ", "") == "handling=strict" for p in preferences)


@bp.route("", methods=["POST"])
@token_allow(*READERS, scope=ApiScope.INTAKE)
def transaction():
    """Referral intake: 201 with the new resources' locations (200 when the same referral was
    received before), 400/422 naming each problem, 409 when a patient on file may be this person
    or when the referral was received before saying something else (each difference named)."""
    if request.mimetype not in ("application/fhir+json", "application/json"):
        return outcome_response(415, ["Send the Bundle as application/fhir+json."])
    document = intake.loads(request.get_data())
    context = record.Context.load()
    on_refusal(_intake_refused)
    referral = intake.read_referral(document, record.mrn_system(), context.diagnoses, PROFILES)
    case, new_patient, new_case = intake.receive(referral, api_user())
    # Every intake answered with a record is audited as the read it also is, created or found.
    record_read("case", case.id)
    return _transaction_response(document, case, new_patient, new_case)


def _intake_refused(refusal):
    """Each problem named with where it is (IntakeProblem), or the patient a person must check
    (DuplicateCandidate, 409: the answer shows each candidate's name, MRN and birth date, so each
    is audited as read), or each difference from the referral as received (ResentDifferently, 409, audited
    as a read of that case)."""
    for patient in getattr(refusal, "patients", []):
        record_read("patient", patient.id)
    if getattr(refusal, "case", None) is not None:  # ResentDifferently: the answer quotes the case
        intake.note_resent_differently(refusal, api_user())
        record_read("case", refusal.case.id)
    if getattr(refusal, "withdrawn", None):
        intake.note_withdrawn(refusal, api_user())
    return outcome_response(refusal.status, getattr(refusal, "problems", [str(refusal)]),
                            getattr(refusal, "code", None))


def _transaction_response(document, case, new_patient, new_case):
    created, found = "201 Created", "200 OK"
    entries = []
    for entry in document["entry"]:
        kind = entry["resource"]["resourceType"]
        if kind == "Patient":
            entries.append({"response": {"status": created if new_patient else found,
                                         "location": f"Patient/{case.patient_id}"}})
        elif kind == "ServiceRequest":
            entries.append({"response": {"status": created if new_case else found,
                                         "location": f"ServiceRequest/{case.id}"}})
        else:
            codes = [c["code"] for c in entry["resource"].get("code", {}).get("coding", [])
                     if c.get("system") == resources.coding.ICD10CM]
            location = f"Condition/{resources.condition_id(case, codes[0].strip().upper())}"
            entries.append({"response": {"status": created if new_case else found, "location": location}})
    bundle = Bundle(type="transaction-response", timestamp=utcnow(), entry=entries)
    return resource_response(bundle, 201 if new_case else 200,
                             {"Location": f"{base_url()}/ServiceRequest/{case.id}"})
