"""Whether a case's eligibility verdict still stands: today's assessment from the facts as they
stand, compared with the stored snapshot. Reads only; the verdict itself is written by
`tracker.eligibility.services`."""
from dataclasses import replace
from datetime import date

from tracker.eligibility.facts import booked_sessions, case_facts, fingerprint, injection_day, prior_injections
from tracker.extensions import db
from tracker.models import ClinicSettings
from tracker.policy import (DEFAULT_PROFILE_CODE, PROFILES, booked_notes, booked_over_cap, booked_too_close, evaluate,
                            get_profile)
from tracker.policy.engine import EVIDENCE_WORDING, Status
from tracker.policy.profiles import CriterionCode
from tracker.timeutil import clinic_today, to_clinic
from tracker.vocab import Side, joints_of
from tracker.workflow import BEFORE_PROCEDURE, State

EVALUABLE_STATES = frozenset({State.UNDER_REVIEW, State.ELIGIBLE, State.NOT_ELIGIBLE, State.SCHEDULED})
# After a verdict, evaluating again is only for a stale verdict: re-running it on unchanged facts
# would silently replace a physician's override with the engine's answer.
REEVALUATE_ONLY_WHEN_STALE = EVALUABLE_STATES - {State.UNDER_REVIEW}


def clinic_default_profile_code():
    settings = db.session.get(ClinicSettings, 1)
    return settings.default_profile_code if settings else DEFAULT_PROFILE_CODE


def profile_for(case, default_code=None):
    return get_profile(case.payer_profile_code or default_code or clinic_default_profile_code())


def current_assessment(case, default_code=None, as_of=None, session_on=None):
    """What the engine says today (or on `as_of`) from the facts as they stand (not stored);
    `session_on`: the day of the session asked about, for a booking's check (case_facts)."""
    profile = profile_for(case, default_code)
    facts, prior = case_facts(case, as_of or clinic_today(), session_on), prior_injections(case, profile)
    return evaluate(facts, prior, profile), fingerprint(facts, prior, profile)


def joints_that_meet(case, assessment, default_code=None):
    """For a bilateral case that does not meet its profile (`assessment`, today's Verdict), the
    joints that would alone: the case page then says what a coordinator would otherwise work out
    (correct the side to the joint that meets). [] for a one-sided or eligible case, or when
    neither joint meets on its own. Under review or not eligible only: two runs of the engine more."""
    # Not once eligible (an override, a booking): the physician decided on both joints.
    if case.side != Side.BILATERAL or assessment.eligible or case.state not in (State.UNDER_REVIEW,
                                                                                 State.NOT_ELIGIBLE):
        return []
    profile = profile_for(case, default_code)
    facts, prior = case_facts(case, clinic_today()), prior_injections(case, profile)
    return [joint for joint in joints_of(case.side)
            if evaluate(replace(facts, side=joint.value), prior, profile).eligible]


def over_cap_with_booked(case, as_of, default_code=None):
    """The caps a session of `case` on `as_of` would break once the patient's other booked
    appointments are given too (policy.BookedOverCap each; [] within every cap). The verdict never
    counts them: they are not given yet (README, "Sessions already booked")."""
    profile = profile_for(case, default_code)
    return booked_over_cap(case_facts(case, as_of), prior_injections(case, profile), booked_sessions(case), profile)


def too_close_to_booked(case, as_of, default_code=None):
    """The patient's other booked appointments, earlier or later, that a session of `case` on `as_of`
    would be nearer to than the payer's interval between therapeutic injections once both are given
    (policy.BookedTooClose each; [] where none is, or the profile sets no interval). The interval
    criterion reads only the injections given, as the caps do."""
    profile = profile_for(case, default_code)
    return booked_too_close(case_facts(case, as_of), prior_injections(case, profile), booked_sessions(case), profile)


def booked_cap_notes(case, as_of, default_code=None):
    """The case's caps with the patient's other booked sessions around `as_of` (policy.BookedNote
    each), for the case page: they are not given, so no criterion counts them."""
    profile = profile_for(case, default_code)
    return booked_notes(case_facts(case, as_of), prior_injections(case, profile), booked_sessions(case), profile)


CAP_CRITERIA = frozenset({CriterionCode.DIAGNOSTIC_CAP, CriterionCode.THERAPEUTIC_CAP})


def caps_not_met(criteria):
    """The shortfalls of the cap criteria not met among `criteria` ([]: within every cap)."""
    return [c.shortfall for c in criteria if c.code in CAP_CRITERIA and c.status == Status.NOT_MET]


def over_cap(case, default_code=None):
    """(the injection's day, [cap shortfalls]) for a case whose injection is given and, counted with
    the facts as they now stand, was over a cap on its day; None otherwise."""
    day = injection_day(case)
    if day is None:
        return None
    shortfalls = caps_not_met(current_assessment(case, default_code, as_of=day)[0].criteria)
    return (day, shortfalls) if shortfalls else None


def staleness(case, verdict=None, assessment=None, default_code=None):
    """Why the stored verdict no longer stands, naming the criterion and the fact, or None when
    it still does.

    Stale only when something one of its criteria read has changed (DESIGN.md section 4):
    - the payer profile (another profile, or a new version of it);
    - a fact a criterion of the profile reads: the case as it stands now, evaluated on the
      verdict's own day, gives a criterion other evidence than the stored one. A fact no criterion
      of the profile reads (baseline pain under Medicare, one Oswestry answer) changes no evidence;
    - time: nothing changed, but today a criterion reads otherwise (a 12-month window rolled on,
      ongoing care added weeks);
    - the tracker's reading: a verdict stored by an earlier release (EVIDENCE_WORDING) whose
      criterion, on the same facts and day, now reads another status (named without "the passing of
      time").
    ``assessment`` is today's ``current_assessment(case)`` when the caller has it already.
    """
    verdict = verdict or case.current_verdict
    if verdict is None:
        return None
    profile = profile_for(case, default_code)
    if verdict.profile_code != profile.code:
        return f"the payer profile changed from {_profile_name(verdict.profile_code)} to {profile.name}"
    if verdict.profile_version != profile.version:
        return (f"the {profile.name} profile changed (version {verdict.profile_version} to "
                f"{profile.version})")
    result, digest = assessment or current_assessment(case, default_code)
    stored = verdict.snapshot.get("criteria", ())
    # Once the procedure has begun, the verdict is the record of what the booking rested on: compared
    # by status, a criterion that moved, not by its words (a sign-out that narrowed a bilateral case
    # to the joint injected names one joint where the verdict named two, every criterion still met).
    by_words = same_wording(verdict.snapshot) and case.state in BEFORE_PROCEDURE
    if digest != verdict.facts_fingerprint:
        # Something the engine reads changed: which criteria read it differently on the verdict's day?
        then = evaluate(case_facts(case, _verdict_day(verdict)), prior_injections(case, profile), profile)
        moved = changed_criteria(stored, then.criteria, evidence=by_words)
        if moved:
            return "; ".join(moved)
    moved = changed_criteria(stored, result.criteria, evidence=False)
    if moved and not same_wording(verdict.snapshot):
        # Stored by an earlier release: a criterion that reads otherwise on the verdict's own day, on
        # the same facts, does so because the tracker reads it anew (a lower bound no longer failed),
        # not with the passing of time.
        then = evaluate(case_facts(case, _verdict_day(verdict)), prior_injections(case, profile), profile)
        if anew := changed_criteria(stored, then.criteria, evidence=False):
            return "; ".join(anew)
    if moved:
        return "with the passing of time, " + "; ".join(moved)
    return None


def same_wording(snapshot):
    """Whether a stored verdict's evidence is in today's words (EVIDENCE_WORDING); one stored before
    is compared by status alone: its words differ without any fact having changed."""
    return snapshot.get("wording", 1) == EVIDENCE_WORDING


def _verdict_day(verdict):
    """The day the verdict was evaluated for (its snapshot's as_of, else the day it was stored)."""
    as_of = verdict.snapshot.get("as_of")
    return date.fromisoformat(as_of) if as_of else to_clinic(verdict.evaluated_at).date()


def changed_criteria(stored, criteria, evidence=True):
    """Each criterion that reads otherwise than in the stored snapshot, in words naming it and
    what it read: "failed conservative care: was “27 days, needs 28 days”, now “34 days …”".
    Compares the evidence (the facts read), or with `evidence` False only the status."""
    before = {c["code"]: c for c in stored}
    now = {str(c.code): c for c in criteria}
    changes = []
    for code, criterion in now.items():
        old = before.get(code)
        if old is None:
            changes.append(f"{_in_sentence(criterion.label)} now applies: {criterion.evidence}")
        elif evidence and old["evidence"] != criterion.evidence:
            changes.append(f"{_in_sentence(criterion.label)}: was “{old['evidence']}”, now “{criterion.evidence}”")
        elif old["status"] != criterion.status.value:
            changes.append(f"{_in_sentence(criterion.label)} was {_status_words(old['status'])}, now "
                           f"{_status_words(criterion.status.value)} ({criterion.evidence})")
    changes += [f"{_in_sentence(old['label'])} no longer applies" for code, old in before.items() if code not in now]
    return changes


def override_changes(stored, criteria, evidence=True):
    """What a physician's override no longer covers, in words ([]: it stands). The override was
    given on the criteria as they read then: it stands while each criterion has the same status,
    and each one not met or unknown (what the physician overrode) the same evidence (with
    `evidence` False, a verdict stored in earlier words: the status alone). A met criterion whose
    figures moved on (one more month of pain) changes nothing the override judged."""
    before = {c["code"]: c for c in stored}
    now = {str(c.code): c for c in criteria}
    changes = []
    for code, criterion in now.items():
        old = before.get(code)
        label = _in_sentence(criterion.label)
        if old is None:
            changes.append(f"{label} now applies ({_status_words(criterion.status.value)}: {criterion.evidence})")
        elif old["status"] != criterion.status.value:
            changes.append(f"{label} was {_status_words(old['status'])}, now "
                           f"{_status_words(criterion.status.value)} ({criterion.evidence})")
        elif evidence and old["status"] != "met" and old["evidence"] != criterion.evidence:
            changes.append(f"{label}: was “{old['evidence']}”, now “{criterion.evidence}”")
    changes += [f"{_in_sentence(old['label'])} no longer applies" for code, old in before.items() if code not in now]
    return changes


def _status_words(status):
    return status.replace("_", " ")


def _profile_name(code):
    return PROFILES[code].name if code in PROFILES else code


def is_stale(case, verdict=None, default_code=None, assessment=None):
    """True when the stored verdict no longer stands (see `staleness`)."""
    return staleness(case, verdict, assessment, default_code) is not None


def may_evaluate(case, stale):
    """Whether "Evaluate" / "Re-evaluate" is offered: always under review, otherwise when stale."""
    if case.state == State.UNDER_REVIEW:
        return True
    return case.state in REEVALUATE_ONLY_WHEN_STALE and stale


def _in_sentence(label):
    """A criterion's label inside a sentence: its first letter lower-cased, the rest as written
    ("Pain below L5 …" reads "pain below L5 …"; an abbreviation such as "ODI" stays)."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]
