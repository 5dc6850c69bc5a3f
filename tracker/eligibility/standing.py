"""Whether a case's eligibility verdict still stands: today's assessment from the facts as they
stand, compared with the stored snapshot. Reads only; the verdict itself is written by
`tracker.eligibility.services`."""
from tracker.eligibility.facts import case_facts, fingerprint, prior_injections
from tracker.extensions import db
from tracker.models import ClinicSettings
from tracker.policy import DEFAULT_PROFILE_CODE, evaluate, get_profile
from tracker.timeutil import clinic_today
from tracker.workflow import State

EVALUABLE_STATES = frozenset({State.UNDER_REVIEW, State.ELIGIBLE, State.NOT_ELIGIBLE, State.SCHEDULED})
# After a verdict, evaluating again is only for a stale verdict: re-running it on unchanged facts
# would silently replace a physician's override with the engine's answer.
REEVALUATE_ONLY_WHEN_STALE = EVALUABLE_STATES - {State.UNDER_REVIEW}


def clinic_default_profile_code():
    settings = db.session.get(ClinicSettings, 1)
    return settings.default_profile_code if settings else DEFAULT_PROFILE_CODE


def profile_for(case, default_code=None):
    return get_profile(case.payer_profile_code or default_code or clinic_default_profile_code())


def current_assessment(case, default_code=None, as_of=None):
    """What the engine says today from the facts as they stand (not stored)."""
    profile = profile_for(case, default_code)
    facts, prior = case_facts(case, as_of or clinic_today()), prior_injections(case, profile)
    return evaluate(facts, prior, profile), fingerprint(facts, prior, profile)


def staleness(case, verdict=None, assessment=None, default_code=None):
    """Why the stored verdict no longer stands, or None when it still does.

    Stale when the facts, the earlier injections or the profile changed since it was stored, and
    also when they did not but time did: a 12-month window rolls on, ongoing care adds weeks, so
    a criterion's answer today can differ from the snapshot's. ``assessment`` is today's
    ``current_assessment(case)`` when the caller has it already (one evaluation per page).
    """
    verdict = verdict or case.current_verdict
    if verdict is None:
        return None
    result, digest = assessment or current_assessment(case, default_code)
    stored = {c["code"]: c for c in verdict.snapshot.get("criteria", ())}
    if digest != verdict.facts_fingerprint:
        # Name the criteria whose evidence moved, so the coordinator sees what to look at.
        moved = [c.label.lower() for c in result.criteria
                 if (stored.get(str(c.code)) or {}).get("evidence") != c.evidence]
        if moved:
            return f"the facts behind {_listed(moved)} changed since it was stored"
        return "the facts changed since it was stored"
    changed = [c.label.lower() for c in result.criteria
               if (stored.get(str(c.code)) or {}).get("status") != c.status.value]
    if changed:
        return f"with the passing of time, {_listed(changed)} no longer reads the same"
    return None


def _listed(labels):
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def is_stale(case, verdict=None, default_code=None, assessment=None):
    """True when the stored verdict no longer stands (see `staleness`)."""
    return staleness(case, verdict, assessment, default_code) is not None


def may_evaluate(case, stale):
    """Whether "Evaluate" / "Re-evaluate" is offered: always under review, otherwise when stale."""
    if case.state == State.UNDER_REVIEW:
        return True
    return case.state in REEVALUATE_ONLY_WHEN_STALE and stale
