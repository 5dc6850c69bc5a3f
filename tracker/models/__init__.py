"""One module per aggregate; importing this package registers every table with the metadata."""
from tracker.models.api_token import ApiScope, ApiToken
from tracker.models.audit import AuditAction, AuditCheck, AuditEvent, AuditSeal
from tracker.models.case import Case, CaseHistory, CaseRow, CaseStateCount
from tracker.models.case_identifier import CaseIdentifier
from tracker.models.diary import (DiaryEntry, DiaryEntryRevision, DiaryLink, DiaryPoint, DiaryReminder, Outcome,
                                  OutcomeRevision, ReliefSpan)
from tracker.models.eligibility import ClinicSettings, EligibilityVerdict
from tracker.models.held_form import HeldForm
from tracker.models.outside import OutsideInjection
from tracker.models.patient import FamilyNamePart, FormerMrn, GivenNamePart, Patient, PatientHistory, SmsOptOut
from tracker.models.procedure import (FormularyDrug, InjectateRow, ProcedureAddendum, ProcedureRecord,
                                      ProcedureStatus, ProcedureStep)
from tracker.models.review import ConservativeCare, Examination, RiskScreen
from tracker.models.schedule import (Appointment, AppointmentChange, AppointmentMessage, Closure, Room, ScheduleLock,
                                     WorkingHours)
from tracker.models.user import SignInThrottle, User

__all__ = ["ApiScope", "ApiToken", "Appointment", "AppointmentChange", "AppointmentMessage", "AuditAction", "AuditCheck", "AuditEvent", "AuditSeal", "Case", "CaseHistory", "CaseIdentifier", "CaseRow", "CaseStateCount", "ClinicSettings", "Closure", "ConservativeCare",
           "DiaryEntry", "DiaryEntryRevision", "DiaryLink", "DiaryPoint", "DiaryReminder",
           "EligibilityVerdict", "HeldForm", "Examination", "FamilyNamePart", "FormerMrn", "FormularyDrug", "GivenNamePart", "InjectateRow", "Outcome", "OutcomeRevision", "OutsideInjection", "Patient", "ReliefSpan", "PatientHistory",
           "ProcedureAddendum", "ProcedureRecord", "ProcedureStatus", "ProcedureStep", "RiskScreen", "Room", "ScheduleLock", "SignInThrottle", "SmsOptOut", "User",
           "WorkingHours"]
