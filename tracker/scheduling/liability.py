"""The patient liability notice a session over the payer's limits needs (Medicare's ABN, another
payer's financial-responsibility notice), read from the verdict the session rests on, the booking's
acknowledged warnings and what readiness recorded: the appointment page, the day board, readiness
and the procedure note all read it here (the rule itself: procedures.rules.billing.over_payer_limit)."""
import json

from tracker.extensions import db
from tracker.models import EligibilityVerdict
from tracker.policy.profiles import PROFILES
from tracker.procedures.rules.billing import over_payer_limit
from tracker.timeutil import format_clinic


def notice_for(case, appointment=None, at=None):
    """The patient liability notice a session of `case` needs (billing.over_payer_limit), or None:
    read from the verdict the session rests on (the newest one evaluated by `at`, the procedure's
    start; the case's current one without `at`) and the warnings `appointment`'s booking acknowledged."""
    verdicts = [v for v in case.verdicts if at is None or v.evaluated_at <= at] or case.verdicts
    verdict = verdicts[-1] if verdicts else None
    if verdict is None:
        return None
    override = (f"{verdict.override_by.name}, {format_clinic(verdict.override_at, '%Y-%m-%d')}"
                if verdict.override_at is not None else "")
    return over_payer_limit(verdict.snapshot.get("criteria", ()), *_payer(verdict.profile_code), override,
                            appointment.acknowledged_warnings if appointment is not None else "",
                            appointment.liability_notice_signed if appointment is not None else None)


def _payer(profile_code):
    """The payer's name as a notice names it and whether it is Medicare, from a profile code (a
    profile no longer defined is named by its code and treated as another payer)."""
    profile = PROFILES.get(profile_code)
    return (str(profile.name) if profile else profile_code), bool(profile and profile.medicare)


def notices_for(appointments):
    """The liability notice each of the day's appointments needs ({appointment id: notice}, those
    needing none left out), as `notice_for` reads it from the case's current verdict, in one
    query whatever their number."""
    appointments = list(appointments)
    if not appointments:
        return {}
    latest = (db.select(db.func.max(EligibilityVerdict.id))
              .where(EligibilityVerdict.case_id.in_({a.case_id for a in appointments}))
              .group_by(EligibilityVerdict.case_id))
    verdicts = {row.case_id: row for row in db.session.execute(
        db.select(EligibilityVerdict.case_id, EligibilityVerdict.override_at, EligibilityVerdict.failed_criteria,
                  EligibilityVerdict.profile_code).where(EligibilityVerdict.id.in_(latest)))}
    found = {}
    for appointment in appointments:
        verdict = verdicts.get(appointment.case_id)
        notice = verdict and card_notice(verdict.failed_criteria, verdict.override_at, verdict.profile_code,
                                         appointment.acknowledged_warnings, appointment.liability_notice_signed)
        if notice:
            found[appointment.id] = notice
    return found


def card_notice(failed_criteria, override_at, profile_code, acknowledged, signed=None):
    """A day card's liability notice (`notice_for`) from the case's newest verdict's columns
    (`failed_criteria`, its JSON list of codes; None without a verdict), the booking's acknowledged
    warnings and whether readiness recorded the notice signed. The card names no criterion (the
    appointment page does): the codes do."""
    if failed_criteria is None:
        return None
    failed = [{"code": code, "label": code, "status": "not_met"} for code in json.loads(failed_criteria)]
    return over_payer_limit(failed, *_payer(profile_code), "override" if override_at is not None else "", acknowledged,
                            signed)
