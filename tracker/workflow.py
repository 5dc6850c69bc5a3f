"""The case lifecycle: its states and the whole transition table, in one place (DESIGN.md section 2).

This module is pure: it knows nothing of the database or of HTTP. `tracker.cases.services.transition`
is the one function that applies a transition (checks it here, then writes the state, the case
history and the audit row in one transaction).
"""
import enum
from dataclasses import dataclass, field

from tracker.access import Role
from tracker.vocab import Choice


class State(Choice):
    REFERRED = "referred", "Referred"
    UNDER_REVIEW = "under_review", "Under review"
    ELIGIBLE = "eligible", "Eligible"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROCEDURE = "in_procedure", "In procedure"
    FOLLOW_UP = "follow_up", "Follow-up"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


BEFORE_PROCEDURE = frozenset(
    {State.REFERRED, State.UNDER_REVIEW, State.ELIGIBLE, State.NOT_ELIGIBLE, State.SCHEDULED}
)
FINAL_STATES = frozenset({State.CLOSED, State.CANCELLED})


class Stage(enum.Enum):
    """Which part of the app supplies a transition's guard and its user interface.

    A transition whose stage is not built yet is kept in the table (so the lifecycle is complete
    and the demo can show every state) but is not offered to users.
    """

    CORE = "core"
    ELIGIBILITY = "eligibility"
    SCHEDULING = "scheduling"
    PROCEDURE = "procedure"
    OUTCOME = "outcome"


BUILT_STAGES = frozenset({Stage.CORE, Stage.ELIGIBILITY, Stage.SCHEDULING, Stage.PROCEDURE, Stage.OUTCOME})

# The tracker itself, acting from a scheduled command (e.g. marking no-shows), not a person.
SYSTEM = None

STAFF_WHO_STEER = frozenset({Role.COORDINATOR, Role.PHYSICIAN})
CLINICAL_LEAD = frozenset({Role.PHYSICIAN, Role.ADMIN})


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset
    target: State
    roles: frozenset
    stage: Stage = Stage.CORE
    reason_required: bool = False
    # Guards take the case and return a list of human-readable reasons it may not move (empty = ok).
    guards: tuple = field(default_factory=tuple)
    # Applied by its own form (e.g. "Evaluate eligibility") rather than a plain button.
    own_form: bool = False

    @property
    def offered(self):
        return self.stage in BUILT_STAGES


def _verdict_says(eligible):
    def guard(case):
        verdict = case.current_verdict
        if verdict is None:
            return ["Evaluate eligibility first."]
        if verdict.eligible != eligible:
            return [f"The current verdict is {'eligible' if verdict.eligible else 'not eligible'}."]
        return []
    return guard


_UNKNOWN = object()


def verdict_problems(case, staleness=_UNKNOWN):
    """Booking and injecting need a verdict of eligible (or a physician's override) that still
    stands: `case.verdict_staleness` says why it no longer does (facts or time moved on); a page
    that has worked it out already passes it as `staleness`."""
    verdict = case.current_verdict
    if verdict is None:
        return ["Evaluate eligibility first."]
    if not verdict.eligible and verdict.override_at is None:
        return ["The current verdict is not eligible and no physician has overridden it."]
    if why := (case.verdict_staleness if staleness is _UNKNOWN else staleness):
        return [f"The eligibility verdict no longer stands ({why}). Re-evaluate eligibility first."]
    return []


def _has_appointment(case):
    return [] if case.active_appointment else ["Book an appointment first."]


def _has_no_appointment(case):
    return ["Cancel the appointment first."] if case.active_appointment else []


def _ready_for_procedure(case):
    from tracker.scheduling.readiness import is_ready, missing

    appointment = case.active_appointment
    if appointment is None:
        return ["There is no appointment to start."]
    if is_ready(appointment, case.risk_screen):
        return []
    return ["Not ready: " + "; ".join(missing(appointment, case.risk_screen)).lower()
            + ". Complete them, or a physician records why the procedure may go ahead."]


def _procedure_signed(case):
    """Signing the record (tracker.procedures.services.sign) checks the checklist is complete,
    then stamps the signature before it moves the case: the move needs that signed record."""
    records = [r for r in case.procedure_records if r.status != "abandoned"]
    if records and records[-1].signed:
        return []
    return ["Complete and sign the procedure checklist first."]


def _outcome_recorded(case):
    """Closing is the outcome form's last act (tracker.diary.outcome.record_outcome): it adds the
    outcome, then moves the case, in one transaction."""
    return [] if case.outcome is not None else ["Record the outcome and the next step first."]


TRANSITIONS = (
    Transition("start_review", "Start review", frozenset({State.REFERRED}), State.UNDER_REVIEW,
               STAFF_WHO_STEER),
    Transition("mark_eligible", "Record eligible verdict", frozenset({State.UNDER_REVIEW}),
               State.ELIGIBLE, STAFF_WHO_STEER, Stage.ELIGIBILITY,
               guards=(_verdict_says(True),), own_form=True),
    Transition("mark_not_eligible", "Record not-eligible verdict", frozenset({State.UNDER_REVIEW}),
               State.NOT_ELIGIBLE, STAFF_WHO_STEER, Stage.ELIGIBILITY,
               guards=(_verdict_says(False),), own_form=True),
    Transition("override_eligibility", "Override: eligible", frozenset({State.NOT_ELIGIBLE}),
               State.ELIGIBLE, frozenset({Role.PHYSICIAN}), Stage.ELIGIBILITY,
               reason_required=True, guards=(_verdict_says(False),), own_form=True),
    # New facts (more weeks of therapy, a new exam) send the case back for re-evaluation.
    Transition("reopen_review", "Re-open review with new facts",
               frozenset({State.ELIGIBLE, State.NOT_ELIGIBLE}), State.UNDER_REVIEW,
               STAFF_WHO_STEER, reason_required=True),
    Transition("schedule", "Book appointment", frozenset({State.ELIGIBLE}), State.SCHEDULED,
               STAFF_WHO_STEER, Stage.SCHEDULING, guards=(verdict_problems, _has_appointment),
               own_form=True),
    # The appointment was cancelled or missed: the case can be booked again.
    Transition("unschedule", "Cancel appointment", frozenset({State.SCHEDULED}), State.ELIGIBLE,
               STAFF_WHO_STEER | {SYSTEM}, Stage.SCHEDULING, reason_required=True,
               guards=(_has_no_appointment,), own_form=True),
    # Starting, signing and abandoning also write the procedure record and the appointment:
    # each has its own form (tracker/procedures), never the case page's plain button.
    Transition("start_procedure", "Start procedure", frozenset({State.SCHEDULED}),
               State.IN_PROCEDURE, frozenset({Role.PHYSICIAN}), Stage.PROCEDURE,
               guards=(verdict_problems, _ready_for_procedure), own_form=True),
    Transition("sign_procedure", "Sign procedure record", frozenset({State.IN_PROCEDURE}),
               State.FOLLOW_UP, frozenset({Role.PHYSICIAN}), Stage.PROCEDURE,
               guards=(_procedure_signed,), own_form=True),
    Transition("close", "Record outcome and close", frozenset({State.FOLLOW_UP}), State.CLOSED,
               frozenset({Role.PHYSICIAN}), Stage.OUTCOME, guards=(_outcome_recorded,), own_form=True),
    Transition("cancel", "Cancel case", BEFORE_PROCEDURE, State.CANCELLED,
               frozenset({Role.COORDINATOR, Role.PHYSICIAN, Role.ADMIN}), reason_required=True),
    # Backward moves not drawn in the lifecycle: a physician or admin, with a reason.
    Transition("return_to_referral", "Return to referral", frozenset({State.UNDER_REVIEW}),
               State.REFERRED, CLINICAL_LEAD, reason_required=True),
    Transition("abandon_procedure", "Abandon procedure (back to scheduled)",
               frozenset({State.IN_PROCEDURE}), State.SCHEDULED, CLINICAL_LEAD,
               Stage.PROCEDURE, reason_required=True, own_form=True),
)

BY_ACTION = {t.action: t for t in TRANSITIONS}


class TransitionRefused(Exception):
    """The move is not allowed; the message says why in words a user understands."""


def check(case, action, role, reason=None):
    """Return the Transition if `role` (or SYSTEM) may apply `action` to `case` now, else raise
    TransitionRefused."""
    transition = BY_ACTION.get(action)
    if transition is None:
        raise TransitionRefused(f"Unknown action {action!r}.")
    state = State(case.state)
    if state not in transition.sources:
        raise TransitionRefused(
            f"“{transition.label}” is not possible while the case is {state.label.lower()}."
        )
    if (role if role is SYSTEM else Role(role)) not in transition.roles:
        allowed = ", ".join(sorted(r.label.lower() for r in transition.roles if r is not SYSTEM))
        raise TransitionRefused(f"Only a {allowed} may {transition.label.lower()}.")
    if transition.reason_required and not (reason or "").strip():
        raise TransitionRefused(f"A reason is required to {transition.label.lower()}.")
    problems = [problem for guard in transition.guards for problem in guard(case)]
    if problems:
        raise TransitionRefused(" ".join(problems))
    return transition


def available(case, role):
    """Transitions a user of `role` could apply to `case` with a plain button on the case page
    (guards are checked on submit; transitions with their own form are offered by that form)."""
    state = State(case.state)
    return [
        t for t in TRANSITIONS
        if t.offered and not t.own_form and state in t.sources and Role(role) in t.roles
    ]
