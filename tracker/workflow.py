"""The case lifecycle: its states and the whole transition table, in one place (DESIGN.md section 2).

This module is pure: it knows nothing of the database or of HTTP. `tracker.cases.services.transition`
is the one function that applies a transition (checks it here, then writes the state, the case
history and the audit row in one transaction).
"""
from dataclasses import dataclass, field

from tracker.refusals import Refusal
from tracker.roles import Role
from tracker.vocab import N_, Choice


class State(Choice):
    REFERRED = "referred", N_("Referred")
    UNDER_REVIEW = "under_review", N_("Under review")
    ELIGIBLE = "eligible", N_("Eligible")
    NOT_ELIGIBLE = "not_eligible", N_("Not eligible")
    SCHEDULED = "scheduled", N_("Scheduled")
    IN_PROCEDURE = "in_procedure", N_("In procedure")
    FOLLOW_UP = "follow_up", N_("Follow-up")
    CLOSED = "closed", N_("Closed")
    CANCELLED = "cancelled", N_("Cancelled")


BEFORE_PROCEDURE = frozenset(
    {State.REFERRED, State.UNDER_REVIEW, State.ELIGIBLE, State.NOT_ELIGIBLE, State.SCHEDULED}
)
FINAL_STATES = frozenset({State.CLOSED, State.CANCELLED})
# No verdict asked for yet: the review is still being documented.
BEFORE_VERDICT = frozenset({State.REFERRED, State.UNDER_REVIEW})
# The referral (side, indication, payer) is fixed once an appointment is booked for it.
BEFORE_BOOKING = BEFORE_PROCEDURE - {State.SCHEDULED}
# What no verdict, booking or claim reads (who referred, the reason in their words) can still be
# corrected after the booking, until the case is closed or cancelled.
REFERRAL_NOTES_ONLY = frozenset(State) - BEFORE_BOOKING - FINAL_STATES
# Cleared by a verdict (or its override) and not yet injected.
CLEARED_FOR_PROCEDURE = frozenset({State.ELIGIBLE, State.SCHEDULED})
# From the booking on, the case has a procedure (to come or done) and a pain diary.
FROM_BOOKING = frozenset({State.SCHEDULED, State.IN_PROCEDURE, State.FOLLOW_UP, State.CLOSED})
# The injection is signed: the diary is read and the outcome recorded.
AFTER_PROCEDURE = frozenset({State.FOLLOW_UP, State.CLOSED})


# The tracker itself, acting from a scheduled command (e.g. marking no-shows), not a person.
SYSTEM = None

STAFF_WHO_STEER = frozenset({Role.COORDINATOR, Role.PHYSICIAN})
CLINICAL_LEAD = frozenset({Role.PHYSICIAN, Role.ADMIN})


@dataclass(frozen=True)
class GuardFacts:
    """What the guards read about a case, as plain values (`tracker.cases.services.guard_facts`
    gathers them from the records)."""

    state: State
    verdict_eligible: bool | None = None  # None: eligibility never evaluated
    verdict_overridden: bool = False  # a physician overrode a not-eligible verdict
    verdict_incomplete: bool = False  # criteria still unknown and none failed
    verdict_stale_because: str | None = None  # why the verdict no longer stands, if it does not
    booked: bool = False  # the case has an active appointment
    not_ready: tuple = ()  # readiness items still missing, with no physician's override
    procedure_signed: bool = False  # its latest procedure record that was not abandoned is signed
    outcome_recorded: bool = False


@dataclass(frozen=True)
class FreesBooking:
    """A transition's declared side effect: the case's active appointment (if any) is cancelled
    with it. `appointment` words the appointment's cancellation reason and `history` the case
    history's reason when an appointment was cancelled, each from the move's `{reason}`."""
    appointment: str = "{reason}"
    history: str = "{reason}"


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset
    target: State
    roles: frozenset
    reason_required: bool = False
    # Guards take the GuardFacts and return a list of human-readable reasons the case may not move
    # (empty = ok).
    guards: tuple = field(default_factory=tuple)
    # Applied by its own form (e.g. "Evaluate eligibility") rather than a plain button.
    own_form: bool = False
    # The move ends the case's booking (FreesBooking): `cases.services.transition` cancels the
    # active appointment, if there is one, in the same transaction.
    frees_booking: FreesBooking | None = None


def _verdict_says(eligible):
    """The current verdict is eligible (a physician's override carried onto it by a re-evaluation
    counts: every criterion read as before), or not."""
    def guard(facts):
        if facts.verdict_eligible is None:
            return ["Evaluate eligibility first."]
        says = facts.verdict_eligible or facts.verdict_overridden
        if says != eligible:
            return [f"The current verdict is {'eligible' if says else 'not eligible'}."]
        return []
    return guard


def _overridable(facts):
    """A not-eligible verdict, or an incomplete one (an unknown criterion the outside records
    settle: the case waits under review), not yet overridden."""
    if facts.verdict_eligible is None:
        return ["Evaluate eligibility first."]
    if facts.verdict_eligible or facts.verdict_overridden:
        return ["The current verdict is eligible."]
    if facts.state == State.UNDER_REVIEW and not facts.verdict_incomplete:
        return ["Only a not-eligible or an incomplete verdict is overridden."]
    return []


def verdict_problems(facts):
    """Booking and injecting need a verdict of eligible (or a physician's override) that still
    stands (the facts or time may have moved on since it was given)."""
    if facts.verdict_eligible is None:
        return ["Evaluate eligibility first."]
    if not facts.verdict_eligible and not facts.verdict_overridden:
        return ["The current verdict is not eligible and no physician has overridden it."]
    if facts.verdict_stale_because:
        return [stale_verdict_words(facts.verdict_stale_because)]
    return []


def stale_verdict_words(because):
    """Why booking (and moving) waits on a verdict that no longer stands: `because` is its staleness."""
    return f"The eligibility verdict no longer stands ({because}). Re-evaluate eligibility first."


def _has_appointment(facts):
    return [] if facts.booked else ["Book an appointment first."]


def _ready_for_procedure(facts):
    if not facts.booked:
        return ["There is no appointment to start."]
    if not facts.not_ready:
        return []
    # Each item as the sentence goes on ("consent obtained"), its names kept as written ("Sunday,
    # December 6", "CMS-R-131"). A hold not kept is no task to complete: it is the physician's decision.
    tasks = [item for item in facts.not_ready if not item.startswith(HOLD_NOT_KEPT)]
    return ["Not ready: " + "; ".join(item[:1].lower() + item[1:] for item in facts.not_ready)
            + (". Complete them, or " if tasks else ". That is the physician's decision: ") + OVERRIDE_WORDS + "."]


# How the refused start names a hold whose last dose left fewer days than planned (readiness.missing),
# and the words the start's page links to the physician's override (procedures.views).
HOLD_NOT_KEPT = "The anticoagulant hold was not kept as planned"
OVERRIDE_WORDS = "a physician records why the procedure may go ahead"


def _procedure_signed(facts):
    """Signing the record (tracker.procedures.services.sign) checks the checklist is complete,
    then stamps the signature before it moves the case: the move needs that signed record."""
    return [] if facts.procedure_signed else ["Complete and sign the procedure checklist first."]


def _outcome_recorded(facts):
    """Closing is the outcome form's last act (tracker.diary.outcome.record_outcome): it adds the
    outcome, then moves the case, in one transaction."""
    return [] if facts.outcome_recorded else ["Record the outcome and the next step first."]


TRANSITIONS = (
    Transition("start_review", N_("Start review"), frozenset({State.REFERRED}), State.UNDER_REVIEW,
               STAFF_WHO_STEER),
    Transition("mark_eligible", N_("Record eligible verdict"), frozenset({State.UNDER_REVIEW}),
               State.ELIGIBLE, STAFF_WHO_STEER, guards=(_verdict_says(True),), own_form=True),
    Transition("mark_not_eligible", N_("Record not-eligible verdict"), frozenset({State.UNDER_REVIEW}),
               State.NOT_ELIGIBLE, STAFF_WHO_STEER, guards=(_verdict_says(False),), own_form=True),
    Transition("override_eligibility", N_("Override: eligible"), frozenset({State.NOT_ELIGIBLE, State.UNDER_REVIEW}),
               State.ELIGIBLE, frozenset({Role.PHYSICIAN}),
               reason_required=True, guards=(_overridable,), own_form=True),
    # New facts (more weeks of therapy, a new exam) send the case back for re-evaluation.
    Transition("reopen_review", N_("Re-open review with new facts"),
               frozenset({State.ELIGIBLE, State.NOT_ELIGIBLE}), State.UNDER_REVIEW,
               STAFF_WHO_STEER, reason_required=True),
    Transition("schedule", N_("Book appointment"), frozenset({State.ELIGIBLE}), State.SCHEDULED,
               STAFF_WHO_STEER, guards=(verdict_problems, _has_appointment), own_form=True),
    # The appointment is cancelled (by this move, if it was still booked) or was missed: the
    # case can be booked again.
    Transition("unschedule", N_("Cancel appointment"), frozenset({State.SCHEDULED}), State.ELIGIBLE,
               STAFF_WHO_STEER | {SYSTEM}, reason_required=True, own_form=True,
               frees_booking=FreesBooking(history="appointment cancelled: {reason}")),
    # Starting, signing and abandoning also write the procedure record and the appointment:
    # each has its own form (tracker/procedures), never the case page's plain button.
    Transition("start_procedure", N_("Start procedure"), frozenset({State.SCHEDULED}),
               State.IN_PROCEDURE, frozenset({Role.PHYSICIAN}),
               guards=(verdict_problems, _ready_for_procedure), own_form=True),
    Transition("sign_procedure", N_("Sign procedure record"), frozenset({State.IN_PROCEDURE}),
               State.FOLLOW_UP, frozenset({Role.PHYSICIAN}), guards=(_procedure_signed,), own_form=True),
    Transition("close", N_("Record outcome and close"), frozenset({State.FOLLOW_UP}), State.CLOSED,
               frozenset({Role.PHYSICIAN}), guards=(_outcome_recorded,), own_form=True),
    Transition("cancel", N_("Cancel case"), BEFORE_PROCEDURE, State.CANCELLED,
               frozenset({Role.COORDINATOR, Role.PHYSICIAN, Role.ADMIN}), reason_required=True,
               frees_booking=FreesBooking(appointment="case cancelled: {reason}")),
    # Backward moves not drawn in the lifecycle: a physician or admin, with a reason.
    Transition("return_to_referral", N_("Return to referral"), frozenset({State.UNDER_REVIEW}),
               State.REFERRED, CLINICAL_LEAD, reason_required=True),
    Transition("abandon_procedure", N_("Abandon procedure (back to scheduled)"),
               frozenset({State.IN_PROCEDURE}), State.SCHEDULED, CLINICAL_LEAD,
               reason_required=True, own_form=True),
)

BY_ACTION = {t.action: t for t in TRANSITIONS}


class TransitionRefused(Refusal):
    """The move is not allowed; the message says why in words a user understands."""


def check(facts, action, role, reason=None):
    """Return the Transition if `role` (or SYSTEM) may apply `action` to the case whose GuardFacts
    are `facts` now, else raise TransitionRefused."""
    transition = BY_ACTION.get(action)
    if transition is None:
        raise TransitionRefused(f"Unknown action {action!r}.")
    state = State(facts.state)
    if state not in transition.sources:
        raise TransitionRefused(
            f"“{transition.label}” is not possible while the case is {state.label.lower()}."
        )
    if (role if role is SYSTEM else Role(role)) not in transition.roles:
        allowed = ", ".join(sorted(r.label.lower() for r in transition.roles if r is not SYSTEM))
        raise TransitionRefused(f"Only a {allowed} may {transition.label.lower()}.")
    if transition.reason_required and not (reason or "").strip():
        raise TransitionRefused(f"A reason is required to {transition.label.lower()}.")
    problems = [problem for guard in transition.guards for problem in guard(facts)]
    if problems:
        raise TransitionRefused(" ".join(problems))
    return transition


def open_to(state, action, role=None):
    """Whether `action` can apply to a case in `state` (and, given `role`, whether that role may
    apply it). Guards are checked when the move is asked for: pages use this to offer it."""
    transition = BY_ACTION[action]
    return State(state) in transition.sources and (role is None or Role(role) in transition.roles)


def available(state, role):
    """Transitions a user of `role` could apply to a case in `state` with a plain button on the
    case page (guards are checked on submit; transitions with their own form are offered by that
    form)."""
    state = State(state)
    return [t for t in TRANSITIONS if not t.own_form and state in t.sources and Role(role) in t.roles]
