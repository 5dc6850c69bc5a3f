"""A patient's whole record as FHIR resources, loaded in a fixed number of queries.

`load_patient` reads the patient and every case with everything the resources show, one query
per relation whatever the number of cases (a test counts them at 1 and 5 episodes);
`case_resources` and `everything` turn the loaded rows into resources (tracker/fhir/resources.py).
"""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from tracker import coding
from tracker.diary.services import given_earlier
from tracker.eligibility.standing import clinic_default_profile_code
from tracker.extensions import db
from tracker.fhir import resources as fhir
from tracker.models import (Appointment, Case, DiaryEntry, DiaryPoint, EligibilityVerdict, Outcome,
                            Patient, ProcedureAddendum, ProcedureRecord, ProcedureStep)
from tracker.policy import PROFILES, get_profile
from tracker.procedures.rules.billing import BillingSetting
from tracker.procedures.services import billing_setting, formulary


def mrn_system():
    return current_app.config["FHIR_MRN_SYSTEM"]


@dataclass(frozen=True)
class Context:
    """What every case's resources read besides the case: loaded once per request."""

    default_profile: str
    formulary: dict
    diagnoses: dict
    billing_setting: BillingSetting

    @classmethod
    def load(cls):
        config = current_app.config
        return cls(default_profile=clinic_default_profile_code(), formulary=formulary(),
                   diagnoses={c.code: c for c in coding.clinic_diagnosis_codes(config["DIAGNOSIS_CODES"])},
                   billing_setting=billing_setting())


CASE_DETAILS = (
    joinedload(Case.physician),
    selectinload(Case.external_identifiers),
    selectinload(Case.examination),
    selectinload(Case.risk_screen),
    selectinload(Case.outcome).joinedload(Outcome.decided_by),
    selectinload(Case.verdicts).options(joinedload(EligibilityVerdict.evaluated_by),
                                        joinedload(EligibilityVerdict.override_by)),
    selectinload(Case.appointments).options(joinedload(Appointment.physician), joinedload(Appointment.room)),
    selectinload(Case.procedure_records).options(
        joinedload(ProcedureRecord.started_by), joinedload(ProcedureRecord.signed_by),
        selectinload(ProcedureRecord.steps).options(joinedload(ProcedureStep.recorded_by),
                                                    joinedload(ProcedureStep.first_recorded_by),
                                                    selectinload(ProcedureStep.injectate)),
        selectinload(ProcedureRecord.addenda).joinedload(ProcedureAddendum.author)),
    selectinload(Case.diary_points).selectinload(DiaryPoint.entries).options(
        joinedload(DiaryEntry.entered_by), selectinload(DiaryEntry.revisions)),
)


def load_patient(patient_id, cases=True):
    """The patient with the records merged into it and (`cases`) every case with its details."""
    options = [selectinload(Patient.merged_records)]
    if cases:
        options.append(selectinload(Patient.cases).options(*CASE_DETAILS))
    return db.session.execute(db.select(Patient).filter_by(id=patient_id).options(*options)).scalar_one_or_none()


def load_case(case_id):
    return db.session.execute(db.select(Case).filter_by(id=case_id)
                              .options(joinedload(Case.patient), *CASE_DETAILS)).unique().scalar_one_or_none()


def _entries(case):
    # A baseline given for an appointment that did not take place describes another day's pain: the
    # diary page, its CSV and every reading leave it out, and so does the export.
    return sorted((e for point in case.diary_points for e in point.entries if not given_earlier(point, e)),
                  key=lambda e: (e.entered_at, e.id))


def case_resources(case, context):
    """The case's own resources (not the Patient, Practitioners or Locations they point to)."""
    profile = get_profile(case.payer_profile_code or context.default_profile)
    return [
        fhir.service_request(case, profile),
        *fhir.conditions(case, context.diagnoses),
        *fhir.allergies(case),
        *fhir.examination(case),
        *fhir.verdicts(case, PROFILES),
        *fhir.appointments(case),
        *fhir.procedures(case, context.billing_setting, context.formulary),
        *fhir.administrations(case, context.formulary),
        *fhir.diary(case, _entries(case)),
        *fhir.outcome(case),
    ]


def _people_and_places(cases):
    """The Practitioners and Locations the cases' resources point to, each once."""
    users, rooms = {}, {}

    def add(user):
        if user is not None:
            users[user.id] = user

    for case in cases:
        add(case.physician)
        for verdict in case.verdicts:
            add(verdict.evaluated_by)
            add(verdict.override_by)
        for appointment in case.appointments:
            add(appointment.physician)
            rooms[appointment.room.id] = appointment.room
        for record in case.procedure_records:
            add(record.started_by)
            add(record.signed_by)
            for step in record.steps:
                add(step.recorded_by)
                add(step.first_recorded_by)
            for addendum in record.addenda:
                add(addendum.author)
        for point in case.diary_points:
            for entry in point.entries:
                add(fhir.taken_by_staff(entry))
        if case.outcome:
            add(case.outcome.decided_by)
    return ([fhir.practitioner(u) for _, u in sorted(users.items())] +
            [fhir.location(r) for _, r in sorted(rooms.items())])


def everything(patient, context):
    """Every resource of the patient's record: the Patient, the records merged into it (which its
    `link` points to), each case's resources, and the Practitioners and Locations they point to."""
    found = [fhir.patient(row, mrn_system()) for row in (patient, *patient.merged_records)]
    for case in patient.cases:
        found.extend(case_resources(case, context))
    found.extend(_people_and_places(patient.cases))
    return found
