"""The JSON API's documents and query parameters, as pydantic models: the views validate what
comes in and build what goes out with them, and the OpenAPI document (tracker/api/openapi.py)
is generated from the same models, so the description cannot drift from the code."""
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tracker.cases.worklist import DEFAULT_SORT, PHYSICIAN_FOCUS, SORTS
from tracker.formfields import INT_MAX
from tracker.policy import PROFILES
from tracker.diary.relief import DiagnosticResult
from tracker.models.procedure import ProcedureStatus
from tracker.vocab import AppointmentStatus, Indication, NextStep, Side
from tracker.workflow import State

Id = Field(ge=1, le=INT_MAX)
MAX_PER_PAGE = 100

StateCode = Literal[tuple(s.value for s in State)]
SideCode = Literal[tuple(s.value for s in Side)]
IndicationCode = Literal[tuple(i.value for i in Indication)]
ProfileCode = Literal[tuple(PROFILES)]
SortCode = Literal[tuple(SORTS)]
AppointmentStatusCode = Literal[tuple(s.value for s in AppointmentStatus)]
ProcedureStatusCode = Literal[tuple(s.value for s in ProcedureStatus)]
ResultCode = Literal[tuple(r.value for r in DiagnosticResult)]
NextStepCode = Literal[tuple(s.value for s in NextStep)]


def _printable(value):
    # Characters no search term needs (NUL and other controls) would reach the database.
    if value is not None and any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("control characters are not allowed")
    return value


class Query(BaseModel):
    """A list's query parameters: these alone (an unknown one is a 400 naming it, tracker/api/views.py)."""

    model_config = ConfigDict(extra="forbid")

    page: int = Field(1, ge=1, le=INT_MAX, description=(
        "Page number, from 1. A page past the last page answers that page number with an empty `items` "
        "and `has_next` false (never the last page again): read until `has_next` is false or `items` is empty."))
    per_page: int = Field(25, ge=1, le=MAX_PER_PAGE, description=f"Items per page, 1 to {MAX_PER_PAGE}.")


class NoQuery(BaseModel):
    """A route that takes no query parameter (one object): any is a 400 naming it."""

    model_config = ConfigDict(extra="forbid")


PHYSICIAN_ID = ("Only this physician's cases (a former physician's too: deactivated, or given another role). An "
                "id that is no physician's account is a 400 naming `physician_id`.")


class WorklistQuery(Query):
    state: StateCode | None = Field(None, description=(
        "Only cases in this state (default: every open state). A physician's token lists the physician's list: "
        f"one of its states ({', '.join(s.value for s in PHYSICIAN_FOCUS)}), any other is a 403 naming `state`."))
    physician_id: int | None = Field(None, ge=1, le=INT_MAX, description=PHYSICIAN_ID + (
        " A physician's token: only its own account's id (its own cases, without the unassigned ones); another "
        "is a 403 naming `physician_id`."))
    side: SideCode | None = None
    profile: ProfileCode | None = Field(None, description="Payer profile code (the clinic default includes "
                                                          "cases without one).")
    q: str | None = Field(None, max_length=80, description=(
        "Exact MRN, or a name as the patient search finds it: the start of the family name or of any "
        "of its parts, of the given name, or both in either order."))
    sort: SortCode = Field(DEFAULT_SORT, description="waiting (longest first), recent, referral, name.")

    _clean_q = field_validator("q")(_printable)


class DayQuery(Query):
    day: date | None = Field(None, description="The clinic's day (YYYY-MM-DD); default today.")
    physician_id: int | None = Field(None, ge=1, le=INT_MAX, description=PHYSICIAN_ID.replace("cases", "appointments"))


class Paging(BaseModel):
    page: int = Field(description="The page asked, also past the last page (then `items` is empty).")
    per_page: int
    has_next: bool = Field(description="Whether page + 1 has items; false on the last page and past it.")
    total: int | None = Field(description="Known only where the tracker keeps the count (the worklist "
                                          "filtered by state alone, for a coordinator's token), and then on "
                                          "every page, past the last included; null otherwise (a physician's "
                                          "list too), on every page: lists are never counted to page them.")
    pages: int | None = Field(description="The number of pages, where `total` is known; null otherwise.")


class NoLongerReachable(BaseModel):
    why: Literal["died", "left_care"] = Field(description="died, or left_care (moved away, left the clinic's care).")
    died_on: date | None = Field(description="The day of death (why: died); null for left_care.")
    recorded_at: datetime = Field(description="When it was recorded on the patient's record.")


class PatientSummary(BaseModel):
    id: int
    mrn: str
    name: str = Field(description='"Family, Given" as the worklist shows it.')
    no_longer_reachable: NoLongerReachable | None = Field(
        None, description="Recorded on the patient's record: nothing is sent to them any more (texts, emails, "
                          "diary links). Null for a patient still reached.")


class WorklistItem(BaseModel):
    id: int
    patient: PatientSummary
    state: StateCode
    side: SideCode
    indication: IndicationCode
    referral_date: date
    state_changed_at: datetime
    days_waiting: int = Field(description="Days in the current state (clinic calendar days).")
    waiting_for: list[str] = Field(description="What the case waits for, as the worklist says it.")
    verdict_stale: bool
    physician: str | None
    payer_profile: ProfileCode | None = Field(description="None: the clinic's default profile applies.")


class WorklistPage(Paging):
    items: list[WorklistItem]


class TimelineEntry(BaseModel):
    at: datetime
    action: str
    from_state: StateCode | None
    to_state: StateCode
    actor: str | None = Field(description="None: the tracker itself (a scheduled command).")
    reason: str


class Criterion(BaseModel):
    code: str
    label: str
    status: Literal["met", "not_met", "unknown"]
    evidence: str


class VerdictSummary(BaseModel):
    evaluated_at: datetime
    profile: str
    profile_version: int
    eligible: bool = Field(description="What the profile's criteria said. A physician's override (override_*) makes "
                                       "a case not eligible under the profile eligible all the same.")
    override_reason: str | None = Field(description="None: not overridden.")
    override_by: str | None = Field(description="The physician who overrode the verdict.")
    override_at: datetime | None = Field(description="When the physician overrode the verdict.")
    criteria: list[Criterion]


class AppointmentSummary(BaseModel):
    id: int
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatusCode
    physician: str
    room: str


class ProcedureSummary(BaseModel):
    id: int
    status: ProcedureStatusCode
    started_at: datetime
    started_by: str
    injected_at: datetime | None = Field(description="The Injectate step's first save (a bilateral case's later "
                                                     "joint): the moment the pain diary's points are timed from. "
                                                     "None before it.")
    ended_at: datetime | None = Field(description="The Sign-out step's first save, stamped at signing.")
    duration_minutes: int | None = Field(description="Whole minutes from the start to the sign-out step.")
    signed_at: datetime | None
    signed_by: str | None = Field(description="The physician who signed: the one the reports credit the block to.")
    abandon_reason: str | None = Field(description="Why an abandoned attempt was stopped.")
    side: SideCode = Field(description="The side the attempt was started for (the case's side then).")
    side_not_injected: Literal["left", "right"] | None = Field(
        description="A bilateral attempt stopped after one joint: the joint its sign-out names as not "
                    "injected (the case then goes on for the other). None when both were, or one-sided.")
    not_injected_reason: str | None = Field(description="Why that side was not injected, as the sign-out says.")


class JointResult(BaseModel):
    side: Literal["left", "right"]
    result: ResultCode


class JointDays(BaseModel):
    side: Literal["left", "right"]
    days: int | None


class OutcomeSummary(BaseModel):
    diagnostic_result: ResultCode | None = Field(
        description="A block's result. None for a therapeutic injection, and for a bilateral block whose joints "
                    "were recorded differently: read results_by_joint.")
    results_by_joint: list[JointResult] = Field(
        description="A bilateral block's result for each joint (left first); empty otherwise.")
    therapeutic_days: int | None = Field(
        description="How long relief stayed at 50 % or more, as recorded. For a bilateral case, the shorter "
                    "joint's, null when either joint's is not known (never the other joint's): read "
                    "days_by_joint.")
    days_by_joint: list[JointDays] = Field(
        description="A bilateral case's therapeutic duration for each joint (left first; days null: not known); "
                    "empty otherwise.")
    next_step: NextStepCode
    decided_by: str
    decided_at: datetime
    follow_on_case_id: int | None = Field(description="The repeat or confirmatory case the next step opened.")


class CaseDetail(BaseModel):
    id: int
    patient: PatientSummary
    date_of_birth: date
    state: StateCode
    side: SideCode
    indication: IndicationCode
    diagnosis_codes: list[str] = Field(description="ICD-10-CM codes.")
    referring_clinician: str
    referral_date: date
    symptom_onset: date | None
    payer_profile: ProfileCode | None
    physician: str | None
    previous_case_id: int | None
    waiting_for: list[str]
    verdict: VerdictSummary | None = Field(description="The current eligibility verdict.")
    appointments: list[AppointmentSummary]
    timeline: list[TimelineEntry] = Field(description="Every state change, oldest first.")
    procedures: list[ProcedureSummary] = Field(description="Every procedure attempt, oldest first (an abandoned "
                                                            "one stays listed).")
    outcome: OutcomeSummary | None = Field(description="The physician's outcome, once recorded.")


class DayAppointment(BaseModel):
    id: int
    case_id: int
    patient: PatientSummary
    side: SideCode
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatusCode
    physician: str
    room: str
    ready: bool
    still_needed: list[str] = Field(description=(
        'The readiness items not yet done, e.g. ["consent", "driver"]; empty when every item is done '
        '(`ready` is true without them when a physician recorded why the procedure may go ahead).'))


class DayPage(Paging):
    day: date
    items: list[DayAppointment]


class DiaryScore(BaseModel):
    side: Literal["left", "right"]
    score: int = Field(ge=0, le=10)
    entered_at: datetime = Field(description="When the score was first entered: a correction never moves it.")
    corrected_at: datetime | None = Field(description="When the score was last corrected; null if it was never "
                                                      "corrected.")
    felt_at: datetime = Field(description="The moment the score describes: when it was given, or the time the "
                                          "patient recalled for a score staff took by phone.")
    late: bool
    source: Literal["patient", "link", "staff_phone"] = Field(
        description="How the score was first entered (a correction by phone does not make it the staff's).")
    corrected: bool


class DiaryPoint(BaseModel):
    code: str
    label: str
    phase: Literal["baseline", "anaesthetic", "therapeutic"]
    due_at: datetime | None
    opens_at: datetime
    closes_at: datetime | None
    completed_at: datetime | None
    scores: list[DiaryScore]


class CaseDiary(BaseModel):
    case_id: int
    side: SideCode
    points: list[DiaryPoint] = Field(description="Every time point, in window order.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict] | None = None
