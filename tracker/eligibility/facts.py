"""From the case's records to the plain facts the policy engine reads (tracker.policy)."""
import dataclasses
import hashlib
import json
import math
from datetime import timedelta

from flask import current_app
from tracker.clinical import PROVOCATION_TESTS, oswestry_index, positive_provocation_count
from tracker.diary.relief import BLOCK_READINGS_UNTIL_HOURS, THERAPEUTIC_RELIEF_PERCENT, Reading, therapeutic_duration
from tracker.extensions import db
from tracker.models import Appointment, Case
from tracker.models.review import EXAM_SIDES
from tracker.policy import BookedSession, CaseFacts, PriorInjection, TherapyFact
from tracker.timeutil import clinic_day_start, to_clinic, utcnow
from tracker.vocab import AppointmentStatus, Indication, joints_of
from tracker.workflow import State

# States in which a case's injection has been given (its checklist was started).
INJECTED_STATES = frozenset({State.IN_PROCEDURE, State.FOLLOW_UP, State.CLOSED})


def case_facts(case, as_of, session_on=None):
    """The facts the engine reads of `case` on `as_of`; `session_on`: the day of the session asked
    about (a booking's day), else the case's own as known (its injection's, else its booking's)."""
    exam, risk = case.examination, case.risk_screen
    positive_tests, untested_tests = _provocation_tests(exam)
    return CaseFacts(
        as_of=as_of,
        side=case.side.value,
        indication=case.indication.value,
        symptom_onset=case.symptom_onset,
        pain_below_l5=exam.pain_below_l5 if exam else None,
        radicular_signs=exam.radicular_signs if exam else None,
        positive_tests_by_side=positive_tests,
        untested_by_side=untested_tests,
        baseline_nrs=exam.baseline_nrs if exam else None,
        odi=oswestry_index(exam.odi_sections) if exam else None,
        therapies=[TherapyFact(kind=row.kind.value, start=row.start_date, end=row.end_date,
                               response=row.response.value) for row in case.conservative_care],
        ongoing_active_rehab=case.ongoing_active_rehab,
        red_flags_screened=risk.red_flags_screened if risk else None,
        red_flags_present=risk.red_flags_present if risk and risk.red_flags_screened else None,
        injected_on=injection_day(case),
        session_on=session_on or injection_day(case) or booked_day(case),
    )


def booked_day(case):
    """The clinic day of the case's appointment still to be given (`still_to_be_given`: booked, or
    checked in today), None without one: a check-in of an earlier day (the attempt abandoned) or a
    booking past the no-show grace period is no session to come."""
    now = utcnow()
    return min((a.clinic_day for a in case.appointments if _still_to_be_given(a.status, a.starts_at, now)),
               default=None)


def injection_day(case):
    """The clinic day the case's injection was given (its checklist started), None before."""
    if case.state not in INJECTED_STATES:
        return None
    started = [h.at for h in case.history if h.action == "start_procedure"]
    return to_clinic(started[-1]).date() if started else None


def _provocation_tests(exam):
    """Per side examined: how many tests are positive, and how many are not done (they may still
    be). A side with no test done is unknown as a whole (None), not zero."""
    positive, untested = {}, {}
    for side in EXAM_SIDES if exam is not None else ():
        results = exam.results(side)
        done = sum(value != "not_done" for value in results.values())
        positive[side.value] = positive_provocation_count(results) if done else None
        if done:
            untested[side.value] = len(PROVOCATION_TESTS) - done
    return positive, untested


def _tests_not_done(facts):
    """{side: tests not done} for each joint of the case with a test not done among those examined:
    the provocation criterion's evidence names them ("4 of 5 tests done positive (1 not done)"), and
    they may keep its minimum within reach (unknown, not "not met")."""
    return {side: untested for side, untested in facts.untested_by_side.items()
            if untested and side in facts.joints and facts.positive_tests_by_side.get(side) is not None}


def prior_injections(case, profile=None):
    """The patient's injections in their other cases, dated by when the procedure started, one per
    joint injected: a bilateral injection gives a left and a right one, each with its own side's
    relief, so a repeat in one joint is judged on that joint (caps count a day's session once).

    Relief and the block's result come from the earlier case's recorded outcome; until it has
    one they are unknown, and the engine treats them as unknown (never met). `profile` (the case's
    payer profile) lets a repeat threshold above 50 % be read from the recorded scores.
    """
    return patient_injections(case.patient, profile, leave_out=case)


def patient_injections(patient, profile=None, leave_out=None):
    """Every injection of the patient's cases (but `leave_out`), as `prior_injections` reads them,
    and those given elsewhere (`outside_injections`)."""
    injections = [outside_injection(row) for row in patient.outside_injections]
    for other in patient.cases:
        if (leave_out is not None and other.id == leave_out.id) or other.state not in INJECTED_STATES:
            continue
        performed_on = injection_day(other)
        if performed_on is None:
            continue
        injections += [PriorInjection(performed_on=performed_on, side=joint.value, indication=other.indication.value,
                                      **recorded_relief(other, joint.value, profile))
                       for joint in joints_of(other.side)]
    return injections


def still_to_be_given(now=None):
    """The appointments whose session may still be given: the patient checked in today, or booked
    and not yet past the no-show grace period (NO_SHOW_GRACE_MINUTES after its start). A booked
    appointment past it is a no-show by definition, whether or not `flask appointments mark-no-shows`
    has marked it yet: a session that was never given must not count towards a cap (or warn a
    booking) because a cron run is late. Nor does a check-in of an earlier day (an attempt
    abandoned, the patient sent home): a procedure starts only on its appointment's day."""
    return _still_to_be_given(Appointment.status, Appointment.starts_at, now or utcnow())


def _still_to_be_given(status, starts_at, now):
    """The one rule, for the columns (a query's condition) and for a loaded appointment's values
    (`booked_day`): `&` and `|` read both."""
    grace = timedelta(minutes=current_app.config["NO_SHOW_GRACE_MINUTES"])
    today_starts = clinic_day_start(to_clinic(now).date())
    return (((status == AppointmentStatus.CHECKED_IN) & (starts_at >= today_starts))
            | ((status == AppointmentStatus.BOOKED) & (starts_at >= now - grace)))


def booked_sessions(case):
    """The patient's other cases' appointments booked and not yet begun (`still_to_be_given`: never
    cancelled or missed, nor booked and past the no-show grace period), as sessions the caps will
    count once given, in one query. A case whose injection is given is counted by `prior_injections`
    instead; the case's own appointment (the one being moved) is never one of them."""
    rows = db.session.execute(
        db.select(Appointment.starts_at, Case.id, Case.side, Case.indication).join(Appointment.case)
        .where(Case.patient_id == case.patient_id, Case.id != case.id, Case.state.not_in(INJECTED_STATES),
               still_to_be_given())
        .order_by(Appointment.starts_at)).all()
    return [booked_session(to_clinic(starts_at).date(), case_id, side.value, indication.value)
            for starts_at, case_id, side, indication in rows]


def booked_session(day, case_id, side, indication):
    """Case `case_id`'s appointment on `day`, as a BookedSession the warnings name
    ("the appointment of Tue 15 Dec 2026 (case 41)")."""
    return BookedSession(day=day, side=side, indication=indication,
                         named=f"the appointment of {day:%a} {day.day} {day:%b %Y} (case {case_id})")


def outside_injection(row):
    """An injection given elsewhere, with its relief as reported: the peak, and the days relief
    lasted at it (either None when not reported: the repeat-relief criterion is then unknown, as
    for the tracker's own injections before their outcome). A bilateral one covers both joints."""
    return PriorInjection(performed_on=row.performed_on, side=row.side.value, indication=row.indication.value,
                          peak_relief_percent=None if row.relief_percent is None else float(row.relief_percent),
                          relief_duration_days=row.relief_days, outside=row.described,
                          relief_days_at_percent=None if row.relief_percent is None else float(row.relief_percent))


def recorded_relief(case, joint, profile=None):
    """An injected case's result and one joint's relief as its outcome records them ({} before the
    outcome).

    - The block's result is the joint's own (Outcome.result_for: a bilateral block records one per
      joint), so a joint recorded negative reads negative whatever the other joint's result.
    - The peak is the joint's own (Outcome.per_side): the anaesthetic window's for a block, the
      follow-up's for a therapeutic injection (PriorInjection's meaning). When the physician
      recorded a block's result other than this joint's diary reading, the diary's reading comes
      with it (its result, its scores in the window, who recorded the result): the engine then
      counts a recorded positive as met only on the diary's relief, and the evidence names both.
    - The duration is the joint's own as recorded (Outcome.days_for: a bilateral case records one
      per joint, each prefilled from its side's diary reading), with the joint's diary reading
      beside it (the evidence shows both when they differ, the recorded one deciding): a joint
      whose relief lasted 7 days reads 7 days whatever the other joint's. A
      profile that asks more of a repeat (eviCore: 75 %) gets it read again from the joint's
      recorded scores at its threshold, never longer than recorded; with no scores kept the days stay
      those at 50 % (relief_days_at_percent), which the engine never counts as met at 75 %.
    """
    outcome = case.outcome
    if outcome is None:
        return {}
    side = (outcome.per_side or {}).get(joint, {})
    key = "follow_up_peak_relief" if case.indication == Indication.THERAPEUTIC else "peak_relief"
    # A therapeutic injection records no result (an earlier release's, if any, is not read).
    block = case.indication != Indication.THERAPEUTIC
    peak = side.get(key)
    result = outcome.result_for(joint)
    departs = block and side.get("diagnostic") is not None and side["diagnostic"] != result
    diary_days = outcome.diary_days_for(joint)
    days = outcome.days_for(joint)
    threshold = profile.repeat_relief_threshold_percent if profile else THERAPEUTIC_RELIEF_PERCENT
    read_at = THERAPEUTIC_RELIEF_PERCENT
    # Recorded while the diary ran and relief still held at the latest score: the diary's days are
    # a lower bound (the recorded days, when they are the diary's).
    running = bool(side.get("days_so_far"))
    at_least = running and days is not None and days == side.get("therapeutic_days")
    if threshold > THERAPEUTIC_RELIEF_PERCENT:
        diary_days, holding = _days_at(side, threshold) if side else (None, False)
        if days is not None and diary_days is not None:
            # Read again at the stricter threshold: a lower bound too where relief still held at it at
            # the latest score (the diary still running), unless the days recorded, fewer, decide.
            at_least = running and holding and diary_days <= days
            days, read_at = min(days, diary_days), threshold
    return {"diagnostic_result": result, "peak_relief_percent": peak,
            "relief_duration_days": days, "diary_relief_days": diary_days,
            "relief_days_at_least": True if at_least else None,
            "relief_days_at_percent": None if read_at == threshold else float(read_at),
            **(_against_the_diary(outcome, side, joint) if departs else {})}


def _against_the_diary(outcome, side, joint):
    """A block's result recorded other than the joint's diary reading: what the diary read, from how
    many scores in the anaesthetic window (None: the scores were not kept), and who recorded the
    result (the physician of the correction that last changed it, else the one who decided)."""
    readings = side.get("readings")
    in_window = None if readings is None else sum(
        1 for _, hours, _ in readings if 0 < hours <= BLOCK_READINGS_UNTIL_HOURS)
    return {"diary_result": side["diagnostic"], "diary_window_scores": in_window,
            "recorded_by": _result_recorded_by(outcome, joint).name}


def _result_recorded_by(outcome, joint):
    """Who set the joint's diagnostic result as it stands: each correction keeps the values it
    replaced, so the result after it is the next correction's kept one, or the outcome's own."""
    who = outcome.decided_by
    results = [revision.result_for(joint) for revision in outcome.revisions] + [outcome.result_for(joint)]
    for revision, before, after in zip(outcome.revisions, results, results[1:]):
        if before != after:
            who = revision.replaced_by
    return who


def _days_at(side, threshold):
    """Whole days relief stayed at `threshold` or more in one side's recorded scores (None: no
    follow-up scores to read), and whether it still held at the latest of them."""
    readings = [Reading(code, hours, score) for code, hours, score in side.get("readings", [])]
    follow_up = [r.hours_after for r in readings if r.hours_after > BLOCK_READINGS_UNTIL_HOURS]
    if not side.get("baseline") or not follow_up:
        return None, False
    last, days = therapeutic_duration(side["baseline"], readings, threshold)
    if days is None:
        return 0, False
    return math.floor(days), last.hours_after == max(follow_up)


# PriorInjection fields added since verdicts were first stored: left out of the digest when None, so
# an injection that has none of them reads as before.
OMITTED_WHEN_NONE = frozenset({"outside", "diary_result", "diary_window_scores", "relief_days_at_least"})
# What the digest never reads: the level the days were read at (worked out from the rest) and who
# recorded a block's result (a name, shown in the evidence).
NOT_READ = frozenset({"relief_days_at_percent", "recorded_by"})


def _begun_before_onset(facts):
    """The courses that began before the symptom onset and went on after it, which count only from
    the onset (DESIGN.md section 4). The digest reads them apart: a verdict stored while their earlier
    days were counted has another digest, so it is stale where the count it read moved (the reason
    names the criterion), and one with no such course keeps the digest it had."""
    onset = facts.symptom_onset
    if onset is None:
        return []
    return [[therapy.kind, therapy.start.isoformat()] for therapy in facts.therapies
            if therapy.start < onset and (therapy.end is None or therapy.end >= onset)]


def fingerprint(facts, prior, profile):
    """A digest of what the engine reads, leaving out the day: a verdict is stale when the facts,
    the earlier injections or the profile change, not merely because a day has passed."""
    material = {
        # Nor the day of the case's own injection: the criteria's statuses and evidence never read it.
        # Nor the day of its session: read only on that very day, when what changes the answer is
        # the other injection of that day, an earlier injection in this digest.
        "facts": {k: v for k, v in dataclasses.asdict(facts).items()
                  if k not in ("as_of", "injected_on", "session_on", "untested_by_side")},
        # An own injection's digest reads as before the outside ones could be recorded.
        # So does a block recorded as the diary read it (the diary's reading is kept only against it).
        # Who recorded a block's result is named in the evidence but is no fact about the block: a
        # name corrected later must not make the verdict stale.
        "prior": [{k: v for k, v in dataclasses.asdict(p).items()
                   if (k not in OMITTED_WHEN_NONE or v is not None) and k not in NOT_READ}
                  for p in prior],
        "profile": [profile.code, profile.version],
    }
    if begun_before_onset := _begun_before_onset(facts):
        material["counted_from_onset"] = begun_before_onset
    # The case's session shares its day with another injection (one session a day): a fact of its
    # own, read apart so that booking onto that day makes a verdict read before it stale for what
    # changed, not "with the passing of time"; a digest without it stays as it was.
    if facts.session_on is not None and facts.session_on == facts.as_of \
            and any(p.performed_on == facts.as_of for p in prior):
        material["session_shared_on_its_day"] = True
    # Tests not done are read where the evidence names them: a digest without any stays as it was
    # before they were read. (A verdict stored before EVIDENCE_WORDING 5 read them only where they
    # kept the minimum within reach: its digest moves, but it is compared by status alone.)
    if not_done := _tests_not_done(facts):
        material["tests_not_done"] = not_done
    encoded = json.dumps(material, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()
