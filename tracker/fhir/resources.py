"""The tracker's records as FHIR R4 resources (fhir.resources' R4B models: validated as they are
built, so a resource that would break the standard fails here, in our tests, not at the peer).

Every function takes records already loaded (tracker/fhir/record.py loads a patient's whole
record in a fixed number of queries) and queries nothing. Ids: a Patient, Practitioner or
Location has its row's id; every other resource belongs to one case and its id starts with the
case's id ("12", "12-M46.1", "12-exam-faber-left", "12-diary-345"), so a read finds its case from
the id alone. Codes come from tracker/coding.py only.
"""
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.servicerequest import ServiceRequest

from tracker import coding
from tracker.clinical import PROVOCATION_TESTS, oswestry_index
from tracker.diary.schedule import Phase
from tracker.diary.services import first_entry, time_point
from tracker.i18n import language_code
from tracker.models.procedure import ProcedureStatus
from tracker.models.review import EXAM_SIDES
from tracker.procedures.records import acknowledged, describe, drug_name, injected_side, not_injected
from tracker.procedures.rules.billing import claims
from tracker.procedures.rules.duration import duration_flag
from tracker.procedures.rules.schema import PER_SIDE_STEPS, STEPS, Complication, Guidance, Step
from tracker.timeutil import format_clinic
from tracker.vocab import AllergyAnswer, AppointmentStatus, EntrySource, ProvocationResult, Side
from tracker.workflow import State

HL7 = "http://terminology.hl7.org/CodeSystem"
OBSERVATION_CATEGORY = f"{HL7}/observation-category"
DATA_ABSENT = f"{HL7}/data-absent-reason"

GENDER = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}
REQUEST_STATUS = {State.FOLLOW_UP: "completed", State.CLOSED: "completed", State.CANCELLED: "revoked"}
APPOINTMENT_STATUS = {
    AppointmentStatus.BOOKED: "booked", AppointmentStatus.CHECKED_IN: "checked-in",
    AppointmentStatus.IN_PROCEDURE: "arrived", AppointmentStatus.DONE: "fulfilled",
    AppointmentStatus.NO_SHOW: "noshow", AppointmentStatus.CANCELLED: "cancelled",
}
PROCEDURE_STATUS = {ProcedureStatus.IN_PROGRESS: "in-progress", ProcedureStatus.SIGNED: "completed",
                    ProcedureStatus.ABANDONED: "stopped"}
ADMINISTRATION_STATUS = {ProcedureStatus.IN_PROGRESS: "in-progress", ProcedureStatus.SIGNED: "completed",
                         ProcedureStatus.ABANDONED: "stopped"}
KNOWN_COMPLICATIONS = frozenset(c.value for c in Complication)
ALLERGIES = (
    ("allergy_contrast", "iodinated-contrast", "Iodinated contrast media"),
    ("allergy_iodine", "iodine-povidone", "Iodine / povidone-iodine"),
    ("allergy_latex", "latex", "Latex"),
    ("allergy_local_anaesthetic", "local-anaesthetic", "Local anaesthetic"),
    ("allergy_steroid", "corticosteroid", "Corticosteroid"),
)


# ------------------------------------------------------------------ small parts

def coding_of(code):
    return {"system": code.system, "code": code.code, "display": code.display}


def concept(*codes, text=None):
    value = {"coding": [coding_of(c) for c in codes]}
    if text or codes:
        value["text"] = text or codes[0].display
    return value


def ref(kind, ident, display=None):
    value = {"reference": f"{kind}/{ident}"}
    if display:
        value["display"] = display
    return value


def laterality(side):
    """The side as the tracker's (documented) laterality extension."""
    return [{"url": coding.EXT_LATERALITY, "valueCodeableConcept": concept(coding.LATERALITY[Side(side)])}]


def si_joint(side):
    """The body site, with the side as a laterality extension on it."""
    return {**concept(coding.SI_JOINT, text=f"{Side(side).label} sacroiliac joint"), "extension": laterality(side)}


def category(code, display):
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def quantity(value, unit, ucum):
    return {"value": value, "unit": unit, "system": coding.UCUM, "code": ucum}


def practitioner_ref(user):
    return ref("Practitioner", user.id, user.name) if user else None


def case_id_of(resource_id):
    """The case a case-derived resource id belongs to ("12-diary-3" -> 12), or None."""
    head = resource_id.split("-", 1)[0]
    return int(head) if head.isdigit() and len(head) < 10 else None


# ------------------------------------------------------------------ people and places

def patient(row, mrn_system):
    """The record; a merged one (a tombstone) is inactive and `replaced-by` the record kept, which
    `replaces` each record merged into it (FHIR's Patient.link; `merged_records` loaded)."""
    if row.merged_into_id is not None:
        links = [{"other": ref("Patient", row.merged_into_id), "type": "replaced-by"}]
    else:
        links = [{"other": ref("Patient", merged.id), "type": "replaces"} for merged in row.merged_records]
    telecom = []
    if row.phone:
        telecom.append({"system": "phone", "value": row.phone})
    if row.email:
        telecom.append({"system": "email", "value": row.email})
    return Patient(
        id=str(row.id), active=row.merged_into_id is None, link=links or None,
        identifier=[{"use": "usual", "system": mrn_system, "value": row.mrn,
                     "type": {"coding": [{"system": f"{HL7}/v2-0203", "code": "MR",
                                          "display": "Medical record number"}]}}],
        # A patient with one name has no given name: none is sent rather than an empty string.
        name=[{"use": "official", "family": row.family_name, **({"given": [row.given_name]} if row.given_name else {})}],
        gender=GENDER[row.sex.value], birthDate=row.date_of_birth, telecom=telecom or None,
        communication=[{"language": language(row.language), "preferred": True}] if row.language else None,
        # Recorded as died (Patients › No longer reachable): the day, as FHIR's dateTime allows a date.
        deceasedDateTime=row.contact_ended_on.isoformat() if row.died else None,
    )


def language(recorded):
    """The record's language as sent: its name as text and, for a language the tracker speaks, its
    BCP 47 tag (which intake reads back as that language)."""
    known = coding.LANGUAGES.get(language_code(recorded))
    return concept(known, text=recorded) if known else {"text": recorded}


def practitioner(user):
    return Practitioner(id=str(user.id), active=user.active, name=[{"text": user.name}])


def location(room):
    return Location(id=str(room.id), status="active" if room.active else "inactive", name=room.name,
                    description=room.location or None, mode="instance")


# ------------------------------------------------------------------ the referral

def service_request(case, profile):
    """The referral. `profile` is the payer profile whose criteria apply (the case's or the
    clinic's default), named in an extension: the tracker knows the payer's rules, not the
    patient's coverage, so it sends no Coverage resource."""
    extensions = [
        {"url": coding.EXT_PAYER_PROFILE, "valueCoding": coding_of(coding.value(
            "payer-profile", profile.code, profile.name))},
        {"url": coding.EXT_INDICATION, "valueCoding": coding_of(coding.value(
            "indication", case.indication.value, case.indication.label))},
    ]
    identifiers = [{"system": coding.CASE_IDENTIFIER, "value": str(case.id)}]
    # The sender's own referral identifiers (FHIR intake), so it can find its referral again.
    identifiers += [{"system": i.system, "value": i.value} for i in case.external_identifiers]
    return ServiceRequest(
        id=str(case.id), identifier=identifiers, extension=extensions,
        status=REQUEST_STATUS.get(case.state, "active"), intent="order",
        code=concept(coding.SI_JOINT_INJECTION, coding.Code(coding.CPT, "27096", _CPT_27096)),
        subject=ref("Patient", case.patient_id), authoredOn=case.referral_date,
        requester={"display": case.referring_clinician},
        performer=[practitioner_ref(case.physician)] if case.physician else None,
        reasonReference=[ref("Condition", condition_id(case, code)) for code in case.diagnosis_codes] or None,
        bodySite=[si_joint(case.side)],
        note=[{"text": case.reason}] if case.reason else None,
        replaces=[ref("ServiceRequest", case.previous_case_id)] if case.previous_case_id else None,
    )


_CPT_27096 = ("Injection procedure for sacroiliac joint, anesthetic/steroid, with image guidance "
              "(fluoroscopy or CT) including arthrography when performed")


def condition_id(case, code):
    return f"{case.id}-{code}"


def conditions(case, diagnoses):
    """One Condition per ICD-10-CM code on the referral, with the clinic's display text."""
    return [Condition(
        id=condition_id(case, code),
        clinicalStatus=concept(coding.Code(f"{HL7}/condition-clinical", "active", "Active")),
        verificationStatus=concept(coding.Code(f"{HL7}/condition-ver-status", "provisional", "Provisional")),
        category=[concept(coding.Code(f"{HL7}/condition-category", "encounter-diagnosis",
                                      "Encounter Diagnosis"))],
        code=concept(diagnoses.get(code) or coding.Code(coding.ICD10CM, code, code)),
        bodySite=[si_joint(case.side)], subject=ref("Patient", case.patient_id),
        onsetDateTime=case.symptom_onset, recordedDate=case.referral_date,
    ) for code in case.diagnosis_codes]


def allergies(case):
    """One AllergyIntolerance per documented allergy; "no known allergies" is an answer of its own
    and is sent as one too (the tracker's code allergy-none-known), so a reader can tell it from a
    question not asked (nothing sent)."""
    screen = case.risk_screen
    if screen is None:
        return []
    if screen.allergy_answer == AllergyAnswer.NKDA:
        return [AllergyIntolerance(
            id=f"{case.id}-allergy-none-known",
            clinicalStatus=concept(coding.Code(f"{HL7}/allergyintolerance-clinical", "active", "Active")),
            code=concept(coding.value("allergy", "none-known", "No known allergies (NKDA)")),
            patient=ref("Patient", case.patient_id), recordedDate=screen.updated_at)]
    return [AllergyIntolerance(
        id=f"{case.id}-allergy-{code}",
        clinicalStatus=concept(coding.Code(f"{HL7}/allergyintolerance-clinical", "active", "Active")),
        code=concept(coding.value("allergy", code, label)), patient=ref("Patient", case.patient_id),
        recordedDate=screen.updated_at,
    ) for attribute, code, label in ALLERGIES if getattr(screen, attribute)]


# ------------------------------------------------------------------ examination and verdicts

def _observation(case, ident, code, **fields):
    return Observation(id=f"{case.id}-{ident}", status=fields.pop("status", "final"), code=code,
                       subject=ref("Patient", case.patient_id), basedOn=[ref("ServiceRequest", case.id)],
                       **fields)


def examination(case):
    exam = case.examination
    if exam is None:
        return []
    when = exam.examined_on or exam.updated_at
    found = []
    for side in EXAM_SIDES:
        for test, label in PROVOCATION_TESTS:
            result = ProvocationResult(exam.results(side)[test])
            value = ({"dataAbsentReason": concept(coding.Code(DATA_ABSENT, "not-performed", "Not Performed"))}
                     if result == ProvocationResult.NOT_DONE else
                     {"valueCodeableConcept": concept(coding.value("provocation-result", result.value,
                                                                    result.label))})
            found.append(_observation(
                case, f"exam-{test.replace('_', '-')}-{side.value}", concept(coding.provocation_test(test, label)),
                category=category("exam", "Exam"), effectiveDateTime=when, bodySite=si_joint(side), **value))
    if exam.baseline_nrs is not None:
        found.append(_observation(case, "pain-baseline", concept(coding.PAIN_SCORE),
                                  category=category("survey", "Survey"), effectiveDateTime=when,
                                  valueInteger=exam.baseline_nrs, bodySite=si_joint(case.side)))
    odi = oswestry_index(exam.odi_sections)
    if odi is not None:
        found.append(_observation(case, "odi", concept(coding.OSWESTRY_INDEX),
                                  category=category("survey", "Survey"), effectiveDateTime=when,
                                  valueQuantity=quantity(round(odi, 1), "%", "%")))
    return found


def verdicts(case, profiles):
    """Each dated verdict as an Observation group, its criteria as members (met / not met /
    unknown, with the evidence and its source as notes)."""
    found = []
    for verdict in case.verdicts:
        base = f"verdict-{verdict.id}"
        members = []
        for criterion in verdict.snapshot.get("criteria", []):
            ident = f"{base}-{criterion['code'].replace('_', '-')}"
            members.append(_observation(
                case, ident, concept(coding.criterion(criterion["code"], criterion["label"])),
                effectiveDateTime=verdict.evaluated_at,
                valueCodeableConcept=concept(coding.value("criterion-status", criterion["status"],
                                                          criterion["status"].replace("_", " "))),
                note=[{"text": f"Evidence: {criterion['evidence']}"}, {"text": f"Source: {criterion['source']}"}]))
        overridden = verdict.override_reason is not None
        if overridden:
            verdict_value = coding.value("verdict", "eligible-by-override", "Eligible (physician override)")
        elif verdict.eligible:
            verdict_value = coding.value("verdict", "eligible", "Eligible")
        else:
            verdict_value = coding.value("verdict", "not-eligible", "Not eligible")
        profile = profiles.get(verdict.profile_code)
        notes = [{"text": f"Override by {verdict.override_by.name}: {verdict.override_reason}",
                  "time": verdict.override_at}] if overridden else []
        performers = [practitioner_ref(verdict.evaluated_by)]
        if overridden:
            performers.append(practitioner_ref(verdict.override_by))
        found.append(_observation(
            case, base, concept(coding.ELIGIBILITY_VERDICT), effectiveDateTime=verdict.evaluated_at,
            performer=performers, valueCodeableConcept=concept(verdict_value),
            method={"text": f"{profile.name if profile else verdict.profile_code}, "
                            f"version {verdict.profile_version}"},
            hasMember=[ref("Observation", m.id) for m in members] or None, note=notes or None))
        found.extend(members)
    return found


# ------------------------------------------------------------------ scheduling and procedure

def appointments(case):
    return [Appointment(
        id=f"{case.id}-appointment-{a.id}", status=APPOINTMENT_STATUS[a.status],
        description=f"SI joint injection ({case.side.label.lower()})", start=a.starts_at, end=a.ends_at,
        created=a.created_at, basedOn=[ref("ServiceRequest", case.id)],
        cancelationReason={"text": a.cancelled_reason} if a.cancelled_reason else None,
        participant=[{"actor": ref("Patient", case.patient_id), "status": "accepted"},
                     {"actor": practitioner_ref(a.physician), "status": "accepted"},
                     {"actor": ref("Location", a.room_id, a.room.name), "status": "accepted"}],
    ) for a in case.appointments]


def _latest(record, step):
    """The latest saved row of a step per side (contrast checks are numbered; the latest counts)."""
    rows = {}
    for row in sorted((r for r in record.steps if r.step == step), key=lambda r: r.attempt):
        rows[row.side] = row
    return rows


def _contrast_extensions(record):
    """Every contrast check of each side in order, as the note prints them (one that showed vascular
    uptake or a poor pattern, then its repeat): `check` numbers them, a side's last one counts."""
    found = []
    for row in sorted((r for r in record.steps if r.step == Step.CONTRAST), key=lambda r: (r.side.value, r.attempt)):
        answers = row.answers
        parts = [{"url": "side", "valueCode": row.side.value}, {"url": "check", "valueInteger": row.attempt},
                 {"url": "recorded", "valueDateTime": row.first_recorded_at}]
        if answers.get("omitted"):
            # The reason as recorded; none invented (a check saved part-filled may not have one yet).
            parts.append({"url": "omitted", "valueBoolean": True})
            if (answers.get("omission_reason") or "").strip():
                parts.append({"url": "reason", "valueString": answers["omission_reason"].strip()})
        else:
            for name, kind in (("agent", "valueString"), ("volume_ml", "valueDecimal"),
                               ("arthrogram_pattern", "valueString")):
                if answers.get(name) not in (None, ""):
                    parts.append({"url": name.replace("_", "-"), kind: answers[name]})
            if answers.get("vascular_uptake") is not None:
                parts.append({"url": "vascular-uptake", "valueBoolean": answers["vascular_uptake"] in (True, "yes")})
        found.append({"url": coding.EXT_CONTRAST, "extension": parts})
    return found


def _warning_notes(record):
    """The warnings kept with each saved step (each contrast check), as the note prints them
    ("Warning noted: …"): a volume beyond what the joint holds, a drug against an allergy, a
    confirmation with its reason."""
    rows = sorted(record.steps, key=lambda r: (STEPS.index(Step(r.step)), r.side.value, r.attempt))
    notes = []
    for row in rows:
        step = Step(row.step)
        where = (f" ({row.side.value})" if step in PER_SIDE_STEPS and record.side == Side.BILATERAL else "") \
            + (f", check {row.attempt}" if step == Step.CONTRAST else "")
        notes += [{"text": f"Warning noted ({step.label}{where}): {line}", "time": row.recorded_at}
                  for line in (row.warnings or "").splitlines() if line.strip()]
    return notes


def _record_notes(record, formulary):
    """What the physician acknowledged to start the procedure, in her name at the start's time,
    then each answer of the sign-in and the skin prep as the note prints it ("Sign-in / verification:
    Consent confirmed: yes", "Skin prep: Local skin anaesthetic: Not used"), with the time and person
    of the step's first save and, when saved again since, its correction ("… (corrected 2026-12-05
    17:33:06 by Dr X)")."""
    said = acknowledged(record)
    notes = [{"text": f"Acknowledged at the start: {said}", "time": record.started_at,
              "authorReference": practitioner_ref(record.started_by)}] if said else []
    for step in (Step.SIGN_IN, Step.SKIN_PREP):
        for row in _latest(record, step).values():
            notes += [{"text": f"{step.label}: {label}: {value}{_correction(row)}", "time": row.first_recorded_at,
                       "authorReference": practitioner_ref(row.first_recorded_by)}
                      for label, value in describe(row, formulary)]
    return notes


def _correction(row):
    if not row.corrected:
        return ""
    return f" (corrected {format_clinic(row.recorded_at, '%Y-%m-%d %H:%M:%S')} by {row.recorded_by.name})"


def procedure_code(record, billing_setting):
    """The tracker's code, CPT 27096 (the physician's claim; modifier 50 when bilateral, as an
    extension on that coding) and, where the clinic's billing setting is a facility, HCPCS G0260.
    An ultrasound-guided injection has no billing code: the coder decides."""
    imaging = next(iter(_latest(record, Step.FLUOROSCOPY).values()), None)
    guidance = (imaging.answers.get("modality") if imaging else None) or Guidance.FLUOROSCOPY
    codings = [coding_of(coding.SI_JOINT_INJECTION)]
    lines = claims(injected_side(record).value, billing_setting, guidance).values()
    for bill in (code for codes in lines for code in codes):
        description = _CPT_27096 if bill.system == "CPT" else bill.description
        item = coding_of(coding.Code(coding.BILLING_SYSTEMS[bill.system], bill.code, description))
        if bill.modifier:
            item["extension"] = [{"url": coding.EXT_BILLING_MODIFIER,
                                  "valueCoding": coding_of(coding.CPT_BILATERAL_MODIFIER)}]
        codings.append(item)
    return {"coding": codings, "text": coding.SI_JOINT_INJECTION.display}


def procedure_id(case, record):
    return f"{case.id}-procedure-{record.id}"


def procedures(case, billing_setting, formulary):
    found = []
    for record in case.procedure_records:
        sign_out = next(iter(_latest(record, Step.SIGN_OUT).values()), None)
        answers = sign_out.answers if sign_out else {}
        complications = [Complication(c) for c in answers.get("complications") or [] if c in KNOWN_COMPLICATIONS]
        complication = [concept(coding.value("complication", c.value, c.label),
                                text=answers.get("complication_other") if c == Complication.OTHER
                                and answers.get("complication_other") else None) for c in complications]
        follow_up = []
        if answers.get("discharge_instructions_given"):
            follow_up.append(concept(coding.value("follow-up", "discharge-instructions", "Discharge instructions given")))
        if record.signed:
            follow_up.append(concept(coding.value("follow-up", "pain-diary", "Pain diary follow-up")))
        notes = [{"text": f"Addendum ({a.reason}): {a.text}", "time": a.at,
                  "authorReference": practitioner_ref(a.author)} for a in record.addenda]
        if record.abandon_reason:
            notes.append({"text": f"Abandoned: {record.abandon_reason}", "time": record.abandoned_at})
        notes += _record_notes(record, formulary)
        skipped = not_injected(record)
        if skipped:
            # The bodySite and the code name the joint injected; the attempt on the other is said here.
            notes.append({"text": f"{skipped.side.label} side not injected: {skipped.reason}. Only the "
                                  f"{skipped.injected.value} side was injected.", "time": sign_out.first_recorded_at,
                          "authorReference": practitioner_ref(sign_out.first_recorded_by)})
        notes += _warning_notes(record)
        if record.duration_minutes is not None:
            minutes = record.duration_minutes
            flag = duration_flag(minutes)
            notes.append({"text": f"Duration {minutes} minute{'' if minutes == 1 else 's'}"
                                  + (f", flagged: {flag}." if flag else ".")})
        performers = [{"actor": practitioner_ref(record.started_by)}]
        if record.signed_by and record.signed_by_id != record.started_by_id:
            performers.append({"actor": practitioner_ref(record.signed_by)})
        outcome = case.outcome if record.signed else None
        found.append(Procedure(
            id=procedure_id(case, record), status=PROCEDURE_STATUS[record.status],
            extension=_contrast_extensions(record) or None,
            basedOn=[ref("ServiceRequest", case.id)], code=procedure_code(record, billing_setting),
            subject=ref("Patient", case.patient_id),
            performedPeriod={"start": record.started_at, **({"end": record.ended_at} if record.ended_at else {})},
            performer=performers, bodySite=[si_joint(injected_side(record))],
            reasonReference=[ref("Condition", condition_id(case, c)) for c in case.diagnosis_codes] or None,
            complication=complication or None, followUp=follow_up or None,
            outcome=_procedure_outcome(outcome),
            note=notes or None,
        ))
    return found


def _procedure_outcome(row):
    """The outcome in words on the Procedure; its coded parts are the outcome Observation."""
    if row is None:
        return None
    # A bilateral block's result is each joint's (one joint may be negative while the other is positive).
    per_joint = getattr(row, "results_by_side", None) or []
    if per_joint:
        parts = ["diagnostic block " + ", ".join(f"{joint} SI joint {result}" for joint, result in per_joint)]
    else:
        parts = [f"diagnostic block {row.diagnostic_result}"] if row.diagnostic_result else []
    # A bilateral case's duration is each joint's, named (never one figure an EHR would read as both's).
    # Not known for either joint: nothing said, as for one joint.
    per_joint_days = getattr(row, "days_by_side", None) or []
    if per_joint_days:
        if any(days is not None for _joint, days in per_joint_days):
            parts.append("relief of 50% or more: " + ", ".join(
                f"{joint} SI joint {_relief_lasted(days, row.side_days_so_far(joint))}"
                for joint, days in per_joint_days))
    elif row.therapeutic_days == 0:
        parts.append("no relief of 50% or more")  # as the diary page says it, never "for 0 days"
    elif row.therapeutic_days is not None:
        days = f"{row.therapeutic_days} day{'' if row.therapeutic_days == 1 else 's'}"
        parts.append(f"relief of 50% or more for at least {days} (the diary still running when recorded)"
                     if _days_at_least(row) else f"relief of 50% or more for {days}")
    parts.append(f"next step: {row.next_step.label.lower()}")
    text = "; ".join(parts)
    return {"text": text[:1].upper() + text[1:]}


def _relief_lasted(days, at_least):
    """One joint's relief in the Procedure's words: "for 90 days", "none", "not known"."""
    if days is None:
        return "not known"
    if days == 0:
        return "none"
    lasted = f"{days} day{'' if days == 1 else 's'}"
    return f"for at least {lasted} (the diary still running when recorded)" if at_least else f"for {lasted}"


def _days_at_least(row):
    """The recorded duration is the diary's reading, a lower bound when recorded (the diary ran on)."""
    return row.diary_days_so_far and row.therapeutic_days == row.diary_therapeutic_days


def administrations(case, formulary):
    """One MedicationAdministration per drug injected into one joint."""
    found = []
    for record in case.procedure_records:
        for side, step in sorted(_latest(record, Step.INJECTATE).items()):
            for row in step.injectate:
                name = drug_name(row, formulary)
                text = (f"{name} {row.concentration_mg_per_ml.normalize():f} mg/mL, {row.volume_ml.normalize():f} mL "
                        f"({row.dose_mg.normalize():f} mg), {side.label.lower()} SI joint")
                found.append(MedicationAdministration(
                    id=f"{case.id}-injectate-{row.id}", status=ADMINISTRATION_STATUS[record.status],
                    medicationCodeableConcept=concept(coding.value("drug", row.drug_code, name)),
                    subject=ref("Patient", case.patient_id), partOf=[ref("Procedure", procedure_id(case, record))],
                    effectiveDateTime=step.first_recorded_at,
                    performer=[{"actor": practitioner_ref(step.first_recorded_by)}],
                    extension=[{"url": coding.EXT_LOT, "valueString": row.lot_number}],
                    dosage={"text": text, "site": si_joint(side),
                            "dose": quantity(row.dose_mg, "mg", "mg"),
                            "extension": [
                                {"url": coding.EXT_VOLUME, "valueQuantity": quantity(row.volume_ml, "mL", "mL")},
                                {"url": coding.EXT_CONCENTRATION, "valueRatio": {
                                    "numerator": quantity(row.concentration_mg_per_ml, "mg", "mg"),
                                    "denominator": quantity(1, "mL", "mL")}}]},
                ))
    return found


# ------------------------------------------------------------------ diary and outcome

def taken_by_staff(entry):
    """The staff member who took a diary score by phone, or None for a score the patient gave
    themself (signed in to their account, whose row is a User too, or through the personal link)."""
    return entry.entered_by if entry.source == EntrySource.STAFF_PHONE else None


def diary(case, entries):
    """Each diary score as a LOINC 72514-3 Observation at the moment it describes (`effective`:
    when it was given, or the time the patient recalled for a score staff took by phone; `issued`:
    when this version was recorded: a correction's time), with its time point, its side, and whether
    it came late. Its performer is whoever gave the score first: the patient, or the Practitioner
    who took it by phone (a correction by phone does not make the patient's score the staff's)."""
    found = []
    for entry in entries:
        point = time_point(case, entry.point.point_code)
        extensions = [{"url": coding.EXT_DIARY_POINT, "valueCoding": coding_of(
            coding.value("diary-point", point.code, point.label))},
            {"url": coding.EXT_LATE_ENTRY, "valueBoolean": entry.late}]
        notes = []
        if entry.late and point.phase == Phase.ANAESTHETIC:
            extensions.append({"url": coding.EXT_COUNTED, "valueBoolean": False})
            notes.append({"text": "Given after its window closed: not counted in the block result."})
        found.append(_observation(
            case, f"diary-{entry.id}", concept(coding.PAIN_SCORE), status="corrected" if entry.revisions else "final",
            category=category("survey", "Survey"), effectiveDateTime=entry.felt_at or entry.entered_at,
            issued=entry.entered_at,
            valueInteger=entry.score, bodySite=si_joint(entry.side), extension=extensions, note=notes or None,
            performer=[practitioner_ref(taken_by_staff(first_entry(entry))) or ref("Patient", case.patient_id)]))
    return found


def outcome_id(case):
    return f"{case.id}-outcome"


def outcome(case):
    row = case.outcome
    if row is None:
        return []
    components = []
    # A bilateral block: one result component per joint, named in its code's text and coded by its
    # laterality extension (never one "Positive" an EHR would read as both joints').
    for joint, result in row.results_by_side:
        components.append({"extension": laterality(joint), "code": concept(coding.DIAGNOSTIC_RESULT,
                                           text=f"Diagnostic block result, {joint} SI joint"),
                           "valueCodeableConcept": concept(coding.value("diagnostic-result", result,
                                                                        result.capitalize()))})
    if row.diagnostic_result and not row.results_by_side:
        components.append({"code": concept(coding.DIAGNOSTIC_RESULT), "valueCodeableConcept": concept(
            coding.value("diagnostic-result", row.diagnostic_result, row.diagnostic_result.capitalize()))})
    # A bilateral case: one duration component per joint, named in its code's text and coded by its
    # laterality extension.
    for joint, joint_days in row.days_by_side:
        if joint_days is not None:
            days = quantity(joint_days, "days", "d")
            components.append({"extension": laterality(joint), "code": concept(coding.THERAPEUTIC_DAYS,
                                               text=f"Therapeutic relief duration, {joint} SI joint"),
                               "valueQuantity": {**days, "comparator": ">="} if row.side_days_so_far(joint) else days})
    if row.therapeutic_days is not None and not row.days_by_side:
        days = quantity(row.therapeutic_days, "days", "d")
        components.append({"code": concept(coding.THERAPEUTIC_DAYS),
                           "valueQuantity": {**days, "comparator": ">="} if _days_at_least(row) else days})
    components.append({"code": concept(coding.NEXT_STEP), "valueCodeableConcept": concept(
        coding.value("next-step", row.next_step.value, row.next_step.label))})
    signed = [r for r in case.procedure_records if r.signed]
    return [_observation(
        case, "outcome", concept(coding.OUTCOME), effectiveDateTime=row.decided_at,
        performer=[practitioner_ref(row.decided_by)], component=components,
        partOf=[ref("Procedure", procedure_id(case, signed[-1]))] if signed else None,
        note=[{"text": row.notes}] if row.notes else None)]
