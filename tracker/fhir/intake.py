"""Referral intake: a FHIR transaction Bundle (a Patient, a ServiceRequest, optionally Conditions)
becomes a referred case, for a patient found through the tracker's duplicate rules or registered.

`read_referral` is pure: it turns the Bundle (a dict) into the values a referral needs, or a list
of problems, each with where it is ("Bundle.entry[1].resource.bodySite"). `receive` matches the
patient and writes the patient (if new), the case, its history, the sender's identifier and the
audit rows in one transaction. The same referral posted again (the same ServiceRequest identifier)
finds its case: no second one. What it said clinically is kept with its identifier as received
(`received_content`). A re-sent referral is a replay when it says what was received, however a
coordinator corrected the case since (or what the case holds now: the sender caught up with that
correction); one that says another side, indication, diagnosis, symptom onset or patient is refused
(ResentDifferently, 409), each difference named (`differences`), and the case is not changed: the
refusal is noted on its timeline (`note_resent_differently`, once for each distinct content).
"""
import enum
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from tracker import audit, coding
from tracker.extensions import db
from tracker.formfields import EARLIEST_DATE, LATEST_DATE, name_problem, too_old
from tracker.i18n import has_catalog, recorded_name
from tracker.models import Case, CaseHistory, CaseIdentifier, Patient
from tracker.patients.duplicates import NAME_AND_BIRTH_AGREE, Identity, match_reasons
from tracker.patients.identity import mrn_key, name_key, normalise_mrn
from tracker.patients.lookup import find_duplicates, identity_of
from tracker.phones import PhoneError, may_take_texts, to_e164
from tracker.referrals import services as referrals
from tracker.timeutil import clinic_today, to_clinic
from tracker.refusals import FieldError, Refusal
from tracker.transactions import savepoint, service
from tracker.vocab import ContactChannel, Indication, Sex, Side
from tracker.workflow import BEFORE_PROCEDURE

SIDES_BY_CODE = {c.code: side for side, c in coding.LATERALITY.items()}
INDICATIONS_BY_CODE = {coding.value("indication", i.value, i.label).code: i for i in Indication}
SEXES = {"female": Sex.FEMALE, "male": Sex.MALE, "other": Sex.OTHER, "unknown": Sex.UNKNOWN}
TEXT_LIMITS = {"mrn": 32, "family_name": 80, "given_name": 80, "phone": 32, "email": 254, "language": 40,
               "referring_clinician": 120, "reason": 4000}


class IntakeProblem(Refusal):
    """The Bundle cannot become a referral: `problems` is [(message, where)], `status` 400 or 422."""

    def __init__(self, problems, status=422, withdrawn=None):
        super().__init__("; ".join(message for message, _ in problems))
        self.problems = problems
        self.status = status
        # ((system, value), status) when the sender says it withdrew the referral (WITHDRAWN):
        # the refusal is put on the case it opened, if any (note_withdrawn).
        self.withdrawn = withdrawn


class DuplicateCandidate(Refusal):
    """A patient on file may be this person: someone must decide (never a silent second record)."""

    status = 409
    code = "duplicate"

    def __init__(self, patients, message, where=None):
        super().__init__(message)
        self.patients = patients
        # Where in the Bundle the sender looks (FHIRPath): its Patient, or its MRN identifier.
        self.problems = [(message, where)]


class ResentDifferently(Refusal):
    """The referral's identifier is on file with other clinical content: the tracker keeps what it
    has (a coordinator changes it there), and the sender hears each difference."""

    status = 409
    code = "conflict"

    def __init__(self, case, problems, referral=None, differing=()):
        super().__init__("; ".join(message for message, _ in problems))
        self.case = case
        self.problems = problems
        self.referral = referral
        # [(field, label, received, sent, on file now)], in words: what the case's timeline names.
        self.differing = list(differing)


@dataclass
class Referral:
    patient: dict
    referral: dict
    identifier: tuple
    problems: list = field(default_factory=list)
    # Where each compared value is in the Bundle (FHIRPath), to name a difference where it is.
    wheres: dict = field(default_factory=dict)


TOO_DEEP = "The body is not a FHIR JSON resource: it is nested too deep."


class NotJson:
    """A body that cannot be read as JSON, and why, in a sentence (`parse_bundle` says it: a 400)."""

    def __init__(self, message):
        self.message = message


def loads(body):
    """The posted bytes as JSON, or NotJson saying where they break. A body nested deeper than
    the parser's recursion allows is no FHIR resource either: a 400, not an internal error."""
    try:
        return json.loads(body)
    except json.JSONDecodeError as error:
        return NotJson(f"The body is not JSON: {error.msg} at line {error.lineno}, column {error.colno}.")
    except UnicodeDecodeError as error:
        return NotJson(f"The body is not JSON: not UTF-8 at byte {error.start}.")
    except ValueError:
        return NotJson("The body is not JSON.")
    except RecursionError:
        return NotJson(TOO_DEEP)


def parse_bundle(document):
    """The Bundle as a validated R4B model, or IntakeProblem(400) naming each invalid element in
    plain words, where it is as FHIRPath ("Bundle.entry[0].resource.birthDate")."""
    if isinstance(document, NotJson):
        raise IntakeProblem([(document.message, None)], 400)
    if not isinstance(document, dict):
        raise IntakeProblem([("The body is not a FHIR JSON resource.", None)], 400)
    if document.get("resourceType") != "Bundle":
        kind = document.get("resourceType")
        if isinstance(kind, str) and kind:
            got = f"{_article(kind)} {kind}"
        else:
            got = "a resource without a resourceType" if kind in (None, "") else f"resourceType {kind}"
        raise IntakeProblem([(f"This endpoint takes a FHIR Bundle of type transaction; got {got}.",
                              "Bundle.resourceType")], 400)
    _check_resource_types(document)
    _check_nulls(document)
    try:
        bundle = Bundle.model_validate(document)
    except ValidationError as error:
        raise IntakeProblem([(_plain(e), _fhirpath(e["loc"])) for e in error.errors()[:20]], 400) from None
    except (ValueError, TypeError) as error:
        raise IntakeProblem([(f"Not a valid Bundle: {error}", None)], 400) from None
    except RecursionError:
        raise IntakeProblem([(TOO_DEEP, None)], 400) from None
    _check_codes(document)
    return bundle


def _article(word):
    return "an" if word[:1].upper() in "AEIOU" else "a"


def _check_resource_types(document):
    """Each entry's resource names a FHIR R4 resource type (the validator fails on an unknown one
    instead of naming it)."""
    entries = document.get("entry")
    problems = []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        kind = resource.get("resourceType")
        try:
            known = isinstance(kind, str) and get_fhir_model_class(kind) is not None
        except ValueError:
            known = False
        if not known:
            problems.append((f"{kind} is not a FHIR R4 resource type." if kind else "The resource has no resourceType.",
                             f"Bundle.entry[{index}].resource.resourceType"))
    if problems:
        raise IntakeProblem(problems, 400)


NULL_IS_NO_VALUE = "null is not a value in FHIR JSON: leave the element out, or send its value."


def _check_nulls(document):
    """IntakeProblem(400) at each null. FHIR JSON has none, but in a list of primitives that its
    `_name` list lines up with (an item carried by its extension alone); the validator would read
    one as an element left out (a null birth date as none sent) or say only "required"."""
    problems = []

    def walk(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                at = f"{where}.{key}"
                if item is None:
                    problems.append((NULL_IS_NO_VALUE, at))
                elif isinstance(item, list):
                    lined_up = isinstance(value.get(f"_{key}"), list)
                    for index, element in enumerate(item):
                        if element is None and not lined_up and not key.startswith("_"):
                            problems.append((NULL_IS_NO_VALUE, f"{at}[{index}]"))
                        else:
                            walk(element, f"{at}[{index}]")
                else:
                    walk(item, at)

    walk(document, "Bundle")
    if problems:
        raise IntakeProblem(problems[:20], 400)


# The codes FHIR R4 binds as *required* on the elements intake reads (the validator checks a code's
# form, not its value set): a code outside its set is not valid FHIR, never read as "unknown".
REQUIRED_CODES = {
    "Patient": {
        ("gender",): ("male", "female", "other", "unknown"),
        ("name", "use"): ("usual", "official", "temp", "nickname", "anonymous", "old", "maiden"),
        ("telecom", "system"): ("phone", "fax", "email", "pager", "url", "sms", "other"),
        ("telecom", "use"): ("home", "work", "temp", "old", "mobile")},
    "ServiceRequest": {
        ("status",): ("draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"),
        ("intent",): ("proposal", "plan", "directive", "order", "original-order", "reflex-order", "filler-order",
                      "instance-order", "option"),
        ("priority",): ("routine", "urgent", "asap", "stat")},
}


def _check_codes(document):
    """IntakeProblem(400) naming each code outside the value set FHIR R4 requires for its element
    ("“woman” is not a code FHIR R4 allows in Patient.gender: male, female, other or unknown.")."""
    problems = []
    for index, entry in enumerate(document.get("entry") or []):
        resource = entry.get("resource") or {}
        kind = resource.get("resourceType")
        for path, allowed in REQUIRED_CODES.get(kind, {}).items():
            for where, value in _values_at(resource, path, f"Bundle.entry[{index}].resource"):
                if value not in allowed:
                    choices = f"{', '.join(allowed[:-1])} or {allowed[-1]}"
                    problems.append((f"“{value}” is not a code FHIR R4 allows in {kind}.{'.'.join(path)}: "
                                     f"{choices}.", where))
        problems += _spaced_uris(resource, f"Bundle.entry[{index}].resource")
    if problems:
        raise IntakeProblem(problems, 400)


# FHIR R4's uri type has no whitespace (pattern \S*); the validator does not hold a uri to it. An
# identifier's system is kept and sent back: taken with a space, the tracker's own reads would fail.
URI_ELEMENTS = ("system", "url")


def _spaced_uris(value, where):
    """(message, FHIRPath) of each uri element (a coding's or identifier's system, an extension's
    url) under `value` holding whitespace."""
    if isinstance(value, list):
        return [p for position, item in enumerate(value) for p in _spaced_uris(item, f"{where}[{position}]")]
    if not isinstance(value, dict):
        return []
    problems = []
    for name, child in value.items():
        if name in URI_ELEMENTS and isinstance(child, str) and re.search(r"\s", child):
            problems.append((f"“{child}” is not a FHIR uri: a uri has no spaces.", f"{where}.{name}"))
        else:
            problems += _spaced_uris(child, f"{where}.{name}")
    return problems


def _values_at(value, path, where):
    """(FHIRPath, value) of each value at `path` under `value` (lists followed, with their positions)."""
    if not path:
        yield where, value
        return
    child = value.get(path[0]) if isinstance(value, dict) else None
    if isinstance(child, list):
        for position, item in enumerate(child):
            yield from _values_at(item, path[1:], f"{where}.{path[0]}[{position}]")
    elif child is not None:
        yield from _values_at(child, path[1:], f"{where}.{path[0]}")


def _fhirpath(loc):
    """The validator's location as FHIRPath: ("entry", 0, "resource", "_birthDate", "id") ->
    "Bundle.entry[0].resource.birthDate.id" (a primitive's `_name` holds its id and extensions)."""
    path = "Bundle"
    for part in loc:
        if part == "root":  # pydantic's name for a model's own value, not an element
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += "." + ("resourceType" if part == "resource_type" else str(part).lstrip("_"))
    return path


# fhir.resources names a FHIR type in its messages ("Date value string does not match spec regex.").
_FHIR_TYPE_MESSAGE = re.compile(r"(\w+) value string does not match spec regex")
_FORMATS = {"date": "YYYY-MM-DD (or YYYY, YYYY-MM)", "dateTime": "YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss with a time zone",
            "instant": "YYYY-MM-DDThh:mm:ss with a time zone"}
_SHAPES = {"string_type": "text", "bool_parsing": "true or false", "bool_type": "true or false",
           "int_parsing": "a whole number", "int_type": "a whole number", "decimal_parsing": "a number",
           "list_type": "a list ([...])", "dict_type": "a JSON object ({...})", "model_type": "a JSON object ({...})",
           "json_invalid": "a JSON object ({...})", "model_validation_format": "a JSON object ({...})"}
# A choice of types (multipleBirth[x]) given twice, or a required one not given.
_ONE_OF = re.compile(r"from this list \[(.*)\]")


def _plain(error):
    """The validator's complaint in words a sender's developer can act on."""
    kind, given = error["type"], error.get("input")
    if kind in ("missing", "model_field_validation.missing"):
        return "This element is required."
    if kind == "extra_forbidden":
        return "This is not an element FHIR R4 defines here."
    if kind in _SHAPES:
        return f"This should be {_SHAPES[kind]}."
    if kind == "string_pattern_mismatch" and given == "":
        return "An empty value is not valid FHIR: leave the element out."
    if kind.startswith("date") and isinstance(given, str):
        why = (error.get("ctx") or {}).get("error")
        return f"“{given}” is not a date{f' ({why})' if why else ''}: use YYYY-MM-DD."
    choices = _ONE_OF.search(error["msg"])
    if choices:
        names = choices.group(1).replace("'", "")
        return f"Give exactly one of {names}."
    found = _FHIR_TYPE_MESSAGE.search(error["msg"])
    if found and isinstance(given, str):
        fhir_type = found.group(1)[:1].lower() + found.group(1)[1:]
        form = f": use {_FORMATS[fhir_type]}" if fhir_type in _FORMATS else ""
        return f"“{given}” is not a FHIR {fhir_type}{form}."
    return error["msg"].removeprefix("Value error, ")


def read_referral(document, mrn_system, diagnoses, profiles, today=None):
    """Referral values from a transaction Bundle (a dict as posted). Raises IntakeProblem naming
    every problem found, not only the first."""
    bundle = parse_bundle(document)
    problems = []
    if bundle.type != "transaction":
        problems.append((f"Referral intake takes a transaction Bundle, not {bundle.type!r}.", "Bundle.type"))
    by_type, full_urls, entry_urls = {}, {}, {}
    for index, entry in enumerate(bundle.entry or []):
        where = f"Bundle.entry[{index}]"
        resource = entry.resource
        if resource is None:
            problems.append(("An entry without a resource.", where))
            continue
        kind = resource.get_resource_type()
        if kind not in ("Patient", "ServiceRequest", "Condition"):
            problems.append((f"{kind} is not taken by referral intake (Patient, ServiceRequest, Condition).", where))
            continue
        # Only a transaction's entries carry a request (a collection's must not): a Bundle of
        # another type is told its type alone.
        if bundle.type == "transaction" and (entry.request is None or entry.request.method != "POST"):
            problems.append(("Each entry is created: request.method must be POST.", f"{where}.request"))
        by_type.setdefault(kind, []).append((where, resource))
        if entry.fullUrl:
            full_urls[entry.fullUrl] = kind
            entry_urls[where] = entry.fullUrl
    for kind in ("Patient", "ServiceRequest"):
        if len(by_type.get(kind, [])) != 1:
            problems.append((f"The Bundle needs exactly one {kind} (it has {len(by_type.get(kind, []))}).", "Bundle.entry"))
    if problems:
        raise IntakeProblem(problems)
    patient_where, patient = by_type["Patient"][0]
    request_where, request = by_type["ServiceRequest"][0]
    patient_values = _patient(patient, patient_where, mrn_system, problems)
    referral_values, identifier = _service_request(request, request_where, profiles, problems, today)
    _check_subject(request.subject, request_where, full_urls, problems, entry_urls.get(request_where))
    codes, onsets = _diagnoses(by_type.get("Condition", []), request, request_where, diagnoses, full_urls, problems,
                               entry_urls)
    referral_values["diagnosis_codes"] = codes
    onset, onset_where = min(onsets, default=(None, None))
    referral_values["symptom_onset"] = onset
    if onset and onset > referral_values["referral_date"]:
        problems.append(("The symptom onset is after the referral date.", onset_where))
    # The referral form's rule for dates in the patient's story (formfields.not_before_birth).
    born = patient_values.get("date_of_birth")
    for day, what, where in ((referral_values["referral_date"], "The referral date", f"{request_where}.resource.authoredOn"),
                             (onset, "The symptom onset", onset_where)):
        if day and isinstance(born, date) and day < born:
            problems.append((f"{what} ({day.isoformat()}) is before the patient was born ({born.isoformat()}).", where))
    if problems:
        withdrawn = (identifier, request.status) if identifier and request.status in WITHDRAWN else None
        raise IntakeProblem(problems, withdrawn=withdrawn)
    condition_where = by_type["Condition"][0][0] if by_type.get("Condition") else None
    patient_at, request_at = f"{patient_where}.resource", f"{request_where}.resource"
    name_at = f"{patient_at}.name[{_name_in_use(patient)[0]}]"
    wheres = {"patient": patient_at, "mrn": f"{patient_at}.identifier", "family_name": f"{name_at}.family",
              "given_name": f"{name_at}.given", "date_of_birth": f"{patient_at}.birthDate",
              "side": f"{request_at}.bodySite", "indication": f"{request_at}.extension",
              "diagnosis_codes": f"{condition_where}.resource.code" if condition_where else f"{request_at}.reasonCode",
              "symptom_onset": onset_where or (f"{condition_where}.resource.onsetDateTime" if condition_where
                                               else "Bundle.entry")}
    return Referral(patient=patient_values, referral=referral_values, identifier=identifier, wheres=wheres)


def _text(values, name, value, where, problems, required=True, label=None):
    value = (value or "").strip()
    if not value:
        if required:
            problems.append((f"{label or name} is missing.", where))
        values[name] = value
        return
    if len(value) > TEXT_LIMITS[name]:
        problems.append((f"{label or name} is longer than {TEXT_LIMITS[name]} characters.", where))
    values[name] = value


def _name_in_use(patient):
    """(its position, the name): the first name not marked no longer in use (use "old", such as a
    maiden name an EHR keeps), else the first; (0, None) without a name."""
    names = list(patient.name or [])
    return next(((i, n) for i, n in enumerate(names) if n.use != "old"), (0, names[0] if names else None))


def _patient(patient, where, mrn_system, problems):
    values = {}
    numbers = [normalise_mrn(i.value) for i in patient.identifier or [] if i.system == mrn_system and i.value]
    # Two different numbers under the clinic's own system: taking either would file the referral
    # under a patient the sender may not mean (the same number written twice is one number).
    distinct = list(dict.fromkeys(n for n in numbers if n))
    if len({mrn_key(n) for n in distinct}) > 1:
        problems.append((f"The Patient has {len(distinct)} different medical record numbers with system "
                         f"{mrn_system} ({', '.join(distinct)}): send the one this clinic files the patient under.",
                         f"{where}.resource.identifier"))
    mrn = distinct[0] if distinct else None
    if not mrn:
        problems.append((f"The Patient needs its medical record number as an identifier with system "
                         f"{mrn_system}.", f"{where}.resource.identifier"))
    _text(values, "mrn", mrn, f"{where}.resource.identifier", problems if mrn else [],
          label="The patient's MRN (identifier)")
    position, name = _name_in_use(patient)
    for field_name, value, element, label in (
            ("family_name", name.family if name else None, "family", "The patient's family name"),
            # A given name may be null where its extension says why (data-absent-reason): left out.
            ("given_name", " ".join(g for g in name.given or [] if g) if name else None, "given",
             "The patient's given name")):
        name_where = f"{where}.resource.name[{position}].{element}"
        # A patient with one name has no given name (it is in `family`, as the clinic's form keeps it).
        _text(values, field_name, value, name_where, problems, label=label, required=field_name == "family_name")
        problem = values[field_name] and name_problem(values[field_name])
        if problem:
            problems.append((problem, name_where))
    if patient.birthDate is None:
        problems.append(("The patient's full date of birth (YYYY-MM-DD) is missing.", f"{where}.resource.birthDate"))
    elif not isinstance(patient.birthDate, date):
        # A year or a month alone ("1968") is valid FHIR, but sent: it is not missing.
        problems.append((f"The patient's date of birth (birthDate) needs a full day (YYYY-MM-DD), not "
                         f"{patient.birthDate!s}.", f"{where}.resource.birthDate"))
    elif patient.birthDate > clinic_today():
        problems.append(("The patient's date of birth is in the future.", f"{where}.resource.birthDate"))
    elif patient.birthDate < EARLIEST_DATE:
        # The referral form's plausibility rule (formfields.plausible_date).
        problems.append((f"The patient's date of birth ({patient.birthDate.isoformat()}) is before "
                         f"{EARLIEST_DATE.year}: the year looks like a typing slip (the referral form takes dates "
                         f"from {EARLIEST_DATE.year} to {LATEST_DATE.year}).", f"{where}.resource.birthDate"))
    elif age := too_old(patient.birthDate, clinic_today()):
        # The referral form's rule (formfields.plausible_birth_date).
        problems.append((f"The patient's date of birth ({patient.birthDate.isoformat()}) would make them {age} "
                         f"years old: the year looks like a typing slip.", f"{where}.resource.birthDate"))
    values["date_of_birth"] = patient.birthDate
    values["sex"] = SEXES.get(patient.gender or "unknown", Sex.UNKNOWN)
    telecom = {t.system: t.value for t in reversed(patient.telecom or []) if t.value}
    _text(values, "phone", telecom.get("phone"), f"{where}.resource.telecom", problems, required=False,
          label="The patient's phone number (telecom)")
    _text(values, "email", telecom.get("email"), f"{where}.resource.telecom", problems, required=False,
          label="The patient's email address (telecom)")
    values["phone"], values["email"] = values["phone"] or None, values["email"] or None
    if values["phone"]:
        try:
            values["phone"] = to_e164(values["phone"])  # stored in E.164, as the referral form stores it
        except PhoneError as error:
            problems.append((str(error), f"{where}.resource.telecom"))
    if values["email"]:
        try:
            validate_email(values["email"], check_deliverability=False)
        except EmailNotValidError:
            problems.append((f"{values['email']!r} is not a valid email address.", f"{where}.resource.telecom"))
    values["preferred_contact"] = sent_contact(values["phone"], values["email"])
    # The preferred language (else the first), by its text, a coding's display or its code ("es"),
    # the first of them that names a language the tracker speaks ("es-MX" when the display says
    # "Mexican"), else the first given: none sent is not known, stored as such (never assumed English).
    spoken = sorted(patient.communication or [], key=lambda c: not c.preferred)
    language = next((c.language for c in spoken if c.language), None)
    names = [n for n in ([language.text] + [x for c in language.coding or [] for x in (c.display, c.code)]
                         if language else []) if n]
    language = next((n for n in names if has_catalog(n)), names[0] if names else None)
    _text(values, "language", language, f"{where}.resource.communication", problems, required=False,
          label="The patient's language (communication)")
    values["language"] = recorded_name(values["language"])
    return values


def sent_contact(phone, email):
    """The preferred contact a referral implies by what it sent: email with an address (it carries
    the preparation), else a text to a number that can take texts, else a phone call. With neither,
    a phone call: the record is flagged as having no way to reach the patient until a coordinator
    adds a number or an address."""
    if email:
        return ContactChannel.EMAIL
    return ContactChannel.SMS if phone and may_take_texts(phone) else ContactChannel.PHONE


def _laterality_codes(body_sites):
    """The SNOMED CT laterality codes anywhere in the body sites (as a coding, or in the tracker's
    laterality extension)."""
    codes = set()
    for site in body_sites or []:
        concepts = [site] + [e.valueCodeableConcept for e in site.extension or []
                             if e.url == coding.EXT_LATERALITY and e.valueCodeableConcept]
        for concept in concepts:
            codes |= {c.code for c in concept.coding or [] if c.system == coding.SNOMED and c.code in SIDES_BY_CODE}
    return codes


def _side(codes):
    """The side from the body sites' laterality codes; None when absent or contradictory."""
    found = {SIDES_BY_CODE[code] for code in codes}
    return found.pop() if len(found) == 1 else (Side.BILATERAL if found == {Side.LEFT, Side.RIGHT} else None)


def _extension_code(resource, url):
    return next((e.valueCoding.code for e in resource.extension or [] if e.url == url and e.valueCoding), None)


def _service_request(request, where, profiles, problems, today):
    values = {}
    if request.status != "active":
        # Withdrawn, in error, done, a draft or on hold: nothing to act on. A referral already
        # received and now withdrawn is not a replay either: its case is cancelled by a person.
        problems.append((f"The ServiceRequest has status {request.status}: intake takes a referral to act on, "
                         f"status active. A referral received before and now withdrawn or entered in error "
                         f"is not changed by intake: a coordinator cancels the case in the tracker.",
                         f"{where}.resource.status"))
    identifier = next(((i.system, i.value) for i in request.identifier or [] if i.system and i.value), None)
    if identifier is None:
        problems.append(("The ServiceRequest needs an identifier (system and value): posting the same "
                         "referral again must not open a second case.", f"{where}.resource.identifier"))
    elif len(identifier[0]) > 255 or len(identifier[1]) > 255:
        problems.append(("The ServiceRequest identifier is longer than 255 characters.", f"{where}.resource.identifier"))
    codes = _laterality_codes(request.bodySite)
    side = _side(codes)
    if side is None and codes:
        problems.append((f"The body site's lateralities disagree ({', '.join(sorted(codes))}): "
                         "send one, SNOMED CT 7771000 (left), 24028007 (right) or 51440002 (both).",
                         f"{where}.resource.bodySite"))
    elif side is None:
        problems.append(("The side is missing: give the body site's laterality as SNOMED CT 7771000 (left), "
                         "24028007 (right) or 51440002 (both).", f"{where}.resource.bodySite"))
    values["side"] = side
    indication = INDICATIONS_BY_CODE.get(_extension_code(request, coding.EXT_INDICATION))
    if indication is None:
        choices = ", ".join(INDICATIONS_BY_CODE)
        problems.append((f"The indication is missing or unknown: extension {coding.EXT_INDICATION} with a "
                         f"code of {coding.TRACKER_SYSTEM} ({choices}).", f"{where}.resource.extension"))
    values["indication"] = indication
    profile_code = _extension_code(request, coding.EXT_PAYER_PROFILE)
    values["payer_profile_code"] = None
    if profile_code is not None:
        known = {coding.value("payer-profile", p.code, p.name).code: p.code for p in profiles.values()}
        if profile_code not in known:
            problems.append((f"Unknown payer profile {profile_code!r} (known: {', '.join(known)}).",
                             f"{where}.resource.extension"))
        values["payer_profile_code"] = known.get(profile_code)
    _text(values, "referring_clinician", request.requester.display if request.requester else None,
          f"{where}.resource.requester.display", problems, label="Who referred the patient (requester.display)")
    # Absent, the referral is dated the day it arrives; present, it must name a day: a month alone
    # ("2026-11") taken as today would shorten every lead time counted from the referral date.
    values["referral_date"] = _day(request.authoredOn) or today or clinic_today()
    if request.authoredOn is not None and _day(request.authoredOn) is None:
        problems.append((f"The referral date (authoredOn) needs a full day (YYYY-MM-DD), not "
                         f"{request.authoredOn!s}.", f"{where}.resource.authoredOn"))
    elif values["referral_date"] > clinic_today():
        problems.append(("The referral date (authoredOn) is in the future.", f"{where}.resource.authoredOn"))
    reason = "\n".join(n.text for n in request.note or [] if n.text)
    _text(values, "reason", reason, f"{where}.resource.note", problems, required=False,
          label="The reason for the referral (note)")
    return values, identifier


def _day(value):
    """A FHIR date or dateTime as the clinic's day: an instant ("2026-11-21T02:30:00Z") is the day
    it fell on in the clinic (20 November in New York), as every recorded moment is. A partial date
    such as "2026-05" is not a day: None."""
    if isinstance(value, datetime):
        return to_clinic(value).date()
    return value if isinstance(value, date) else None


# A RESTful fullUrl ("https://ehr.example.org/fhir/ServiceRequest/9"): its base, before the type and id.
_RESTFUL = re.compile(r"^(?P<base>https?://\S+/)[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}(/_history/[A-Za-z0-9\-.]{1,64})?$")


def _check_subject(subject, where, full_urls, problems, own_url=None):
    target = subject.reference if subject else None
    restful = _RESTFUL.match(own_url or "")
    if target and restful and not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", target):
        # FHIR R4 (Bundle, "Resolving references in Bundles"): a relative reference ("Patient/123")
        # from an entry with a RESTful fullUrl is that fullUrl's base and the reference.
        target = restful.group("base") + target
    if full_urls.get(target) != "Patient":
        problems.append(("The subject must reference the Bundle's Patient entry (its fullUrl).",
                         f"{where}.resource.subject"))


def _icd_codes(concept):
    return [c.code for c in (concept.coding if concept else None) or [] if c.system == coding.ICD10CM and c.code]


def _diagnoses(conditions, request, request_where, diagnoses, full_urls, problems, entry_urls):
    """ICD-10-CM codes from the Conditions and the ServiceRequest's reasonCode, each on the clinic's
    list; onsets from the Conditions, each as (day, where)."""
    found, onsets = [], []
    sources = [(f"{w}.resource.code", c.code) for w, c in conditions]
    sources += [(f"{request_where}.resource.reasonCode", r) for r in request.reasonCode or []]
    for where, condition in conditions:
        _check_subject(condition.subject, where, full_urls, problems, entry_urls.get(where))
        if _day(condition.onsetDateTime) is not None:
            onsets.append((_day(condition.onsetDateTime), f"{where}.resource.onsetDateTime"))
        elif condition.onsetDateTime is not None:
            # Dropped, the month the referrer knows would leave "pain for 3 months" unknown unsaid.
            problems.append((f"The symptom onset (onsetDateTime) needs a full day (YYYY-MM-DD), not "
                             f"{condition.onsetDateTime!s}: give the first of the month if only the month "
                             f"is known.", f"{where}.resource.onsetDateTime"))
        for kind in ("onsetAge", "onsetPeriod", "onsetRange", "onsetString"):
            if getattr(condition, kind, None) is not None:
                problems.append((f"The symptom onset is taken as onsetDateTime (a day), not {kind}.",
                                 f"{where}.resource.{kind}"))
    for where, concept in sources:
        codes = _icd_codes(concept)
        if not codes:
            problems.append((f"No ICD-10-CM code ({coding.ICD10CM}).", where))
        for code in codes:
            try:
                code = coding.check_diagnosis_code(code)
            except coding.BadDiagnosisCode as error:
                problems.append((str(error), where))
                continue
            if code not in diagnoses:
                problems.append((f"Unknown code {code}: not on the clinic's ICD-10-CM list "
                                 f"({', '.join(diagnoses)}).", where))
            elif code not in found:
                found.append(code)
    return found, onsets


# ------------------------------------------------------------------ a referral sent again

# What a re-sent referral must say as it was received: who the patient is and what is to be done.
# Who referred, when, the note and the payer profile are the sender's administration: a re-send
# may word them otherwise.
PATIENT_FACTS = (("mrn", "the patient's MRN", mrn_key), ("family_name", "the patient's family name", name_key),
                 ("given_name", "the patient's given name", name_key), ("date_of_birth", "date of birth", None))
CASE_FACTS = ("side", "indication", "diagnosis_codes", "symptom_onset")


# Each compared fact as the case's timeline names it.
FACT_LABELS = {"mrn": "MRN", "family_name": "Family name", "given_name": "Given name",
               "date_of_birth": "Date of birth", "side": "Side", "indication": "Indication",
               "diagnosis_codes": "Diagnosis codes", "symptom_onset": "Symptom onset"}


def received_content(referral):
    """The referral's clinical facts as received, as `CaseIdentifier.received` keeps them (JSON:
    dates as YYYY-MM-DD, choices by value, the codes sorted)."""
    facts = {name: referral.patient[name] for name, *_ in PATIENT_FACTS}
    facts.update((name, referral.referral[name]) for name in CASE_FACTS)
    return {name: _stored(value) for name, value in facts.items()}


def _stored(value):
    if isinstance(value, list):
        return sorted(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


_RESTORE = {"date_of_birth": date.fromisoformat, "symptom_onset": date.fromisoformat, "side": Side,
            "indication": Indication}
_KEYS = {name: key for name, _words, key in PATIENT_FACTS if key}


def _same(name, one, other):
    """Whether two stored values of fact `name` say the same (MRNs and names by their keys)."""
    key = _KEYS.get(name)
    return (key(one) if key else one) == (key(other) if key else other)


def differing(referral, case, received=None):
    """[(field, words, received, sent, on file now)]: each clinical fact the re-sent `referral`
    states otherwise than it was first `received` (CaseIdentifier.received; the case's own facts
    when None) and otherwise than `case` holds now, the values in words (its patient compared as
    the duplicate rules compare: QA-1002 = qa 1002, García = GARCIA). Empty for a true replay,
    however a coordinator has corrected the case since."""
    # The record the referral was received for may since have been merged into the case's patient.
    records = [case.patient, *case.patient.merged_records]
    patient = next((r for r in records if mrn_key(r.mrn) == mrn_key(referral.patient["mrn"])), case.patient)
    now = {name: getattr(patient, name) for name, *_ in PATIENT_FACTS}
    now.update((name, getattr(case, name)) for name in CASE_FACTS)
    now_stored, sent = {name: _stored(v) for name, v in now.items()}, received_content(referral)
    first = received if received is not None else now_stored
    words_of = {name: words for name, words, _key in PATIENT_FACTS}
    found = []
    for name in (*words_of, *CASE_FACTS):
        if _same(name, first.get(name), sent[name]) or _same(name, now_stored[name], sent[name]):
            continue
        held = _said(_shown(name, first.get(name)))
        # What the case holds now, in words; the same words when only spelled otherwise.
        on_file = held if _same(name, first.get(name), now_stored[name]) else _said(_shown(name, now_stored[name]))
        found.append((name, words_of.get(name) or name.replace("_", " "), held, _said(_shown(name, sent[name])),
                      on_file))
    return found


def _shown(name, stored):
    """A stored value of fact `name` as the tracker holds it (a date, a choice), for `_said`."""
    return _RESTORE[name](stored) if name in _RESTORE and stored is not None else stored


def differences(referral, case, found):
    """[(message, where)]: each of `differing` as the sender hears it, with where it is in the
    Bundle, and what the case holds now when a coordinator has changed it since."""
    said = []
    for name, words, held, sent, now in found:
        if now == held:
            start = f"Referral {referral.identifier[1]} is on file (ServiceRequest/{case.id}) with {words} {held}"
        else:
            start = (f"Referral {referral.identifier[1]} was received (ServiceRequest/{case.id}) with {words} "
                     f"{held} (on file now: {now})")
        said.append((f"{start}; this Bundle says {sent}: a change must be made in the tracker by a coordinator.",
                     referral.wheres.get(name)))
    return said


def _said(value):
    if isinstance(value, list):
        return ", ".join(value) if value else "none"
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "label"):
        return str(value.label).lower()
    return value if value not in (None, "") else "none"


def _replayed(referral, case):
    """The case a true replay finds; ResentDifferently when the re-send says something else than
    was received (and than the case holds now)."""
    system, value = referral.identifier
    received = next((row.received for row in case.external_identifiers
                     if (row.system, row.value) == (system, value)), None)
    found = differing(referral, case, received)
    if found:
        raise ResentDifferently(case, differences(referral, case, found), referral, found)
    return case, False, False


RESENT_DIFFERENTLY = "referral_resent_differently"
WITHDRAWN_NOTE = "referral_withdrawn"
# ServiceRequest statuses by which the sender takes a referral back.
WITHDRAWN = ("revoked", "entered-in-error")


@service
def note_resent_differently(refusal, actor):
    """Put a refused re-send (ResentDifferently) on its case's timeline, naming each differing
    fact, so the coordinator looking at the case learns what the referrer now says (`_note_once`)."""
    case, (system, value) = refusal.case, refusal.referral.identifier
    said = " ".join(f"{FACT_LABELS[name]}: {sent} (on file: {held})." if now == held else
                    f"{FACT_LABELS[name]}: {sent} (received first: {held}; on file now: {now})."
                    for name, _words, held, sent, now in refusal.differing)
    fields = ", ".join(name.replace("_", " ") for name, *_ in refusal.differing)
    return _note_once(
        case, actor, RESENT_DIFFERENTLY,
        f"Referral {value} was sent again through FHIR intake saying otherwise; the case was not changed. {said}",
        f"refused re-send of referral {system}|{value} for case {case.id} noted on its timeline (differs in {fields})")


@service
def note_withdrawn(refusal, actor):
    """Put a referral its sender withdrew (re-sent as revoked or entered-in-error, refused: intake
    never cancels a case) on the timeline of the case it opened while that case can still be
    cancelled, so the coordinator learns of it where they look (`_note_once`)."""
    (system, value), status = refusal.withdrawn
    case = existing_case((system, value))
    if case is None or case.state not in BEFORE_PROCEDURE:
        return None
    return _note_once(
        case, actor, WITHDRAWN_NOTE,
        f"Referral {value} was sent again through FHIR intake with status {status}; the case was not changed: "
        f"cancel it on this page if the referral is withdrawn.",
        f"refused withdrawal ({status}) of referral {system}|{value} for case {case.id} noted on its timeline")


def _note_once(case, actor, action, reason, summary):
    """A timeline entry that moves nothing, with its audit row, committed; the case itself is not
    changed. The same entry again adds nothing: an EHR retrying does not flood the timeline (each
    request is still audited as a read)."""
    noted = db.session.execute(db.select(CaseHistory.id).filter_by(
        case_id=case.id, action=action, reason=reason).limit(1)).scalar()
    if noted is not None:
        return None
    # By the case's id, not the relationship: the case row (its version, its waiting time) stays as it was.
    note = CaseHistory(case_id=case.id, actor_id=actor.id, actor_role=actor.role, action=action,
                       from_state=case.state, to_state=case.state, reason=reason)
    db.session.add(note)
    db.session.flush()
    audit.record(audit.Action.CREATE, "case_history", note.id, user=actor, summary=summary)
    db.session.commit()
    return note


# ------------------------------------------------------------------ writing

def existing_case(identifier):
    system, value = identifier
    row = db.session.execute(db.select(CaseIdentifier).filter_by(system=system, value=value)).scalar_one_or_none()
    return row.case if row else None


def match_patient(values, wheres=None):
    """The patient on file who is this person, None for a new one, or DuplicateCandidate (naming the
    Bundle's element in question when `wheres`, Referral.wheres, says where it is).

    The tracker's own duplicate rules (tracker.patients.duplicates, as at registration): the MRN
    is compared by its key (case, spaces, punctuation, invisible characters, full-width digits
    ignored: QA-1002 = QA1002), names
    accent-folded. The same MRN is the same record when the name and date of birth agree by those
    rules too (a record merged away stands for the record it was merged into). Any other likely
    duplicate (the same family name and date of birth, a name one slip away or swapped, or the MRN
    on file for someone else) goes to a person: never a silent second record.
    """
    identity = Identity(values["mrn"], values["family_name"], values["given_name"], values["date_of_birth"],
                        values.get("phone") or "")
    by_mrn = db.session.execute(db.select(Patient).filter_by(mrn_key=mrn_key(values["mrn"]))
                                .order_by(Patient.merged_into_id.is_not(None), Patient.id).limit(1)).scalar()
    if by_mrn is not None:
        kept = by_mrn.merged_into or by_mrn
        if set(match_reasons(identity, identity_of(by_mrn))) & NAME_AND_BIRTH_AGREE \
                or set(match_reasons(identity, identity_of(kept))) & NAME_AND_BIRTH_AGREE:
            return kept
        raise DuplicateCandidate([kept], f"MRN {by_mrn.mrn} is {_named(kept, ())}, whose name or date of "
                                         f"birth differs from the Bundle's: a person must check the record.",
                                 (wheres or {}).get("mrn"))
    candidates = find_duplicates(identity)
    if candidates:
        named = "; ".join(_named(patient, reasons) for patient, reasons in candidates)
        raise DuplicateCandidate([p for p, _ in candidates],
                                 f"A patient on file under another MRN may be this person: {named}. A person "
                                 f"must decide whether this is the same person before the referral is logged.",
                                 (wheres or {}).get("patient"))
    return None


def _named(patient, reasons):
    why = f": {'; '.join(reasons)}" if reasons else ""
    return (f"Patient/{patient.id} ({patient.display_name}, MRN {patient.mrn}, born "
            f"{patient.date_of_birth.isoformat()}{why})")


@service
def receive(referral, actor):
    """(case, created_patient, created_case). One commit: the patient if new, the case, its
    history, the sender's identifier and the audit rows, or nothing (a refusal rolls back)."""
    case = existing_case(referral.identifier)
    if case is not None:
        return _replayed(referral, case)
    patient = match_patient(referral.patient, referral.wheres)
    values = dict(referral.referral)
    try:
        # When the database refuses these writes because another request wrote the same referral
        # a moment ago, only they are undone, and this request answers with that request's case.
        with savepoint():
            if patient is None:
                case = referrals.register_and_refer(referral.patient, values, actor, confirmed_different_person=False,
                                                    commit=False)
            else:
                case = referrals.refer(patient, values, actor, commit=False)
            db.session.add(CaseIdentifier(case=case, system=referral.identifier[0], value=referral.identifier[1],
                                          received=received_content(referral)))
            audit.record(audit.Action.CREATE, "case", case.id, user=actor,
                         summary=f"referral received through FHIR intake ({referral.identifier[0]}|{referral.identifier[1]})")
    except IntegrityError:
        case = existing_case(referral.identifier)
        if case is None:
            raise
        return _replayed(referral, case)
    except referrals.PossibleDuplicate as duplicate:
        raise DuplicateCandidate(duplicate.patients, "A patient with the same name and date of birth is on file.",
                                 referral.wheres.get("patient")) from None
    except FieldError as error:
        # Another request registered this MRN since the match above.
        raise DuplicateCandidate([], error.message, referral.wheres.get("mrn")) from None
    db.session.commit()
    return case, patient is None, True
