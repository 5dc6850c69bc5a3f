"""Evaluating a case against its payer profile, storing the dated verdict, and overriding it.

The verdict moves the case through `tracker.cases.services.transition`, in the same transaction
as the stored snapshot.
"""
from tracker import audit
from tracker.clinic import check_settings_version
from tracker.cases.services import transition
import hashlib
from collections import namedtuple

from tracker.eligibility.standing import (EVALUABLE_STATES, clinic_default_profile_code, current_assessment,
                                         is_stale, override_changes, same_wording)
from tracker.extensions import db
from tracker.models import Appointment, Case, ClinicSettings, EligibilityVerdict
from tracker.policy import PROFILES
from tracker.refusals import FieldError, check_version
from tracker.vocab import NOT_STARTED
from tracker.transactions import service
from tracker.timeutil import format_clinic, utcnow
from tracker.workflow import State, TransitionRefused


class DefaultChangeImpact(namedtuple("DefaultChangeImpact", "stale booked first")):
    """What moving the clinic's default payer profile does: how many stored verdicts (of open cases
    without a payer of their own, read under the old default) become stale, how many of those
    cases have a booked (or checked-in) appointment, and when the first of those starts. Counts
    only: the admin who reads them may not see a patient."""

    @property
    def key(self):
        return hashlib.sha256(repr(tuple(self)).encode()).hexdigest()[:16]


def default_change_impact(code):
    """`DefaultChangeImpact` of making `code` the clinic's default, in two queries."""
    old = clinic_default_profile_code()
    if code == old:
        return DefaultChangeImpact(0, 0, None)
    latest = (db.select(EligibilityVerdict.case_id, db.func.max(EligibilityVerdict.id).label("verdict_id"))
              .group_by(EligibilityVerdict.case_id).subquery())
    stale, booked, first = db.session.execute(
        db.select(db.func.count(db.distinct(Case.id)), db.func.count(db.distinct(Appointment.case_id)),
                  db.func.min(Appointment.starts_at))
        .join(latest, latest.c.case_id == Case.id)
        .join(EligibilityVerdict, EligibilityVerdict.id == latest.c.verdict_id)
        .outerjoin(Appointment, (Appointment.case_id == Case.id) & Appointment.status.in_(NOT_STARTED))
        .where(Case.payer_profile_code.is_(None), Case.state.in_(EVALUABLE_STATES),
               EligibilityVerdict.profile_code == old)).one()
    return DefaultChangeImpact(stale, booked, first)


class DefaultChangeUnconfirmed(FieldError):
    """Moving the default would make stored verdicts stale (`impact`): refused next to the profile
    until the admin ticks the confirmation for that very impact (its key rides in the form)."""

    def __init__(self, impact):
        super().__init__("default_profile_code", "confirm the change of the default payer profile")
        self.impact = impact


@service
def set_clinic_default_profile(code, actor, confirmed=None, version_id=None):
    """Make `code` the default profile of cases without a payer of their own, and return its
    `DefaultChangeImpact`. One that makes any verdict stale waits for `confirmed`, the key of the
    impact the admin was shown (DefaultChangeUnconfirmed). `version_id`: the clinic settings'
    version the admin's form was opened on (StaleEdit when another admin saved them since; None
    for no form)."""
    if code not in PROFILES:
        raise ValueError(f"Unknown payer profile {code!r}.")
    settings = db.session.get(ClinicSettings, 1)
    check_settings_version(settings, version_id)
    impact = default_change_impact(code)
    if impact.stale and confirmed != impact.key:
        raise DefaultChangeUnconfirmed(impact)
    settings = settings or ClinicSettings(id=1, default_profile_code=code)
    before = settings.default_profile_code if settings.id and settings in db.session else None
    settings.default_profile_code, settings.updated_by_id = code, actor.id
    db.session.add(settings)
    audit.record(audit.Action.UPDATE, "clinic_settings", 1,
                 summary=f"default payer profile: {before} → {code}" + (
                     f"; {impact.stale} stored verdict(s) become stale, {impact.booked} on booked appointments"
                     if impact.stale else ""), user=actor)
    db.session.commit()
    return impact


@service
def evaluate_case(case, actor, version_id=None):
    """Store a dated verdict and move the case by it: eligible, not eligible, or (criteria still
    unknown and none failed) incomplete, which keeps the case under review.

    From eligible, not eligible or scheduled (a stale verdict), the case first goes back to under
    review, so the timeline shows the re-evaluation as two steps. A physician's override on the
    verdict replaced stands where every criterion reads as before (`override_changes`); where one
    changed, the case goes back to a physician with the change named on its timeline.
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
    previous = case.current_verdict
    verdict = EligibilityVerdict(
        case_id=case.id, evaluated_at=utcnow(), evaluated_by_id=actor.id,
        profile_code=result.profile_code, profile_version=result.profile_version,
        eligible=result.eligible, snapshot=result.as_dict(), facts_fingerprint=digest,
    )
    why = _carry_override(previous, verdict, result)
    db.session.add(verdict)
    db.session.flush()
    db.session.expire(case, ["verdicts"])
    _move_by_verdict(case, actor, verdict, result, why)
    audit.record(audit.Action.CREATE, "eligibility_verdict", verdict.id,
                 summary=f"case {case.id} evaluated under {result.profile_code} v{result.profile_version}: "
                         f"{verdict_words(verdict)}", user=actor)
    db.session.commit()
    return verdict


def _carry_override(previous, verdict, result):
    """Copy a physician's override onto the new verdict when every criterion reads as before; the
    timeline's words for what happened to it ('' without an override or when none is needed)."""
    if previous is None or previous.override_at is None or result.eligible:
        return ""
    by = f"{previous.override_by.name}'s override of {format_clinic(previous.override_at, '%Y-%m-%d')}"
    changes = override_changes(previous.snapshot.get("criteria", ()), result.criteria,
                               evidence=same_wording(previous.snapshot))
    if changes:
        return f"{by} no longer stands: " + "; ".join(changes)
    verdict.override_reason, verdict.override_by_id, verdict.override_at = (
        previous.override_reason, previous.override_by_id, previous.override_at)
    return f"{by} stands: every criterion reads as before"


def _move_by_verdict(case, actor, verdict, result, why):
    stays_booked = case.state == State.SCHEDULED and (result.eligible or verdict.override_at is not None)
    if stays_booked:
        return  # still eligible: the booking stands, now on a current verdict
    if case.state == State.SCHEDULED:
        # No procedure on a case that no longer qualifies: "unschedule" frees the slot (the
        # transition table's declared side effect) and records why.
        transition(case, "unschedule", actor, "incomplete on re-evaluation (criteria still unknown)"
                   if result.incomplete else "not eligible on re-evaluation", commit=False)
    if case.state != State.UNDER_REVIEW:
        transition(case, "reopen_review", actor, why or "re-evaluated with new facts", commit=False)
    if result.incomplete and verdict.override_at is None:
        return  # criteria still unknown, none failed: the case stays under review
    transition(case, "mark_eligible" if result.eligible or verdict.override_at else "mark_not_eligible", actor,
               why, commit=False)


def verdict_words(verdict):
    if verdict.override_at is not None:
        return "not eligible, overridden to eligible"
    if verdict.eligible:
        return "eligible"
    return "incomplete" if verdict.incomplete else "not eligible"


@service
def override(case, actor, reason, version_id=None):
    """A physician's written override of a not-eligible or incomplete verdict (an unknown
    criterion the outside records settle)."""
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
