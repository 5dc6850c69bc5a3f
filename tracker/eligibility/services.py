"""Evaluating a case against its payer profile, storing the dated verdict, and overriding it.

The verdict moves the case through `tracker.cases.services.transition`, in the same transaction
as the stored snapshot.
"""
from tracker import audit
from tracker.cases.services import transition
from tracker.eligibility.standing import EVALUABLE_STATES, current_assessment, is_stale
from tracker.extensions import db
from tracker.models import ClinicSettings, EligibilityVerdict
from tracker.policy import PROFILES
from tracker.refusals import check_version
from tracker.scheduling.release import release
from tracker.transactions import service
from tracker.timeutil import utcnow
from tracker.workflow import State, TransitionRefused


@service
def set_clinic_default_profile(code, actor):
    if code not in PROFILES:
        raise ValueError(f"Unknown payer profile {code!r}.")
    settings = db.session.get(ClinicSettings, 1) or ClinicSettings(id=1, default_profile_code=code)
    before = settings.default_profile_code if settings.id and settings in db.session else None
    settings.default_profile_code, settings.updated_by_id = code, actor.id
    db.session.add(settings)
    audit.record(audit.Action.UPDATE, "clinic_settings", 1,
                 summary=f"default payer profile: {before} → {code}", user=actor)
    db.session.commit()


@service
def evaluate_case(case, actor, version_id=None):
    """Store a dated verdict and move the case to eligible or not eligible.

    From eligible or not eligible (new facts), the case first goes back to under review, so the
    timeline shows the re-evaluation as two steps.
    """
    if version_id is not None:
        check_version(case, version_id)
    if case.state not in EVALUABLE_STATES:
        raise TransitionRefused(
            f"Eligibility can be evaluated under review, not while the case is {case.state.label.lower()}.")
    assessment = current_assessment(case)
    if case.state != State.UNDER_REVIEW and not is_stale(case, assessment=assessment):
        raise TransitionRefused("The verdict still stands: nothing it read has changed. "
                                "Re-open the review to evaluate again.")
    result, digest = assessment
    verdict = EligibilityVerdict(
        case_id=case.id, evaluated_at=utcnow(), evaluated_by_id=actor.id,
        profile_code=result.profile_code, profile_version=result.profile_version,
        eligible=result.eligible, snapshot=result.as_dict(), facts_fingerprint=digest,
    )
    db.session.add(verdict)
    db.session.flush()
    db.session.expire(case, ["verdicts"])
    if case.state == State.SCHEDULED and result.eligible:
        pass  # still eligible: the booking stands, now on a current verdict
    else:
        if case.state == State.SCHEDULED:
            # No procedure on a case that no longer qualifies: free the slot, then record why.
            _release_for_new_verdict(case, actor)
        if case.state != State.UNDER_REVIEW:
            transition(case, "reopen_review", actor, "re-evaluated with new facts", commit=False)
        transition(case, "mark_eligible" if result.eligible else "mark_not_eligible", actor,
                   commit=False)
    audit.record(audit.Action.CREATE, "eligibility_verdict", verdict.id,
                 summary=f"case {case.id} evaluated under {result.profile_code} v{result.profile_version}: "
                         f"{'eligible' if result.eligible else 'not eligible'}", user=actor)
    db.session.commit()
    return verdict


def _release_for_new_verdict(case, actor):
    reason = "not eligible on re-evaluation"
    release(case.active_appointment, reason, actor)
    db.session.flush()
    transition(case, "unschedule", actor, f"appointment cancelled: {reason}", commit=False)


@service
def override(case, actor, reason, version_id=None):
    """A physician's written override of a not-eligible verdict."""
    if version_id is not None:
        check_version(case, version_id)
    verdict = case.current_verdict
    if verdict is not None and is_stale(case, verdict):
        raise TransitionRefused("The facts changed since this verdict. Evaluate eligibility again "
                                "before overriding.")
    transition(case, "override_eligibility", actor, reason, commit=False)
    verdict.override_reason = reason.strip()
    verdict.override_by_id = actor.id
    verdict.override_at = utcnow()
    db.session.commit()
    return verdict
