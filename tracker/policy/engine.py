"""Pure evaluation of a case's facts against one payer profile.

``evaluate`` returns a ``Verdict`` listing every criterion that applies to the request with
its status, the evidence used and the payer source. A criterion that does not apply (the
therapeutic cap for a diagnostic block, spacing when there was no earlier therapeutic
injection) is left out rather than reported as met.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from tracker.clinical import (FAILED_RESPONSES, PROVOCATION_TESTS, THERAPY_KINDS, failed_conservative_care_days,
                              failed_therapies)
from tracker.policy.facts import (
    DIAGNOSTIC_INDICATIONS,
    BlockResult,
    BookedSession,
    CaseFacts,
    PriorInjection,
    TherapyFact,
)
from tracker.policy.profiles import CRITERION_LABELS, CriterionCode, Profile
from tracker.vocab import N_, Choice, Indication


# The provocation tests the examination records per side (a payer may list more).
EXAMINED_TESTS = len(PROVOCATION_TESTS)


class Status(Choice):
    MET = "met", N_("Met")
    NOT_MET = "not_met", N_("Not met")
    UNKNOWN = "unknown", N_("Unknown")


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    status: Status
    evidence: str
    source: str
    # Short worklist text saying what is missing; empty when met.
    shortfall: str = ""
    # For a payer limit not met (a cap, the interval): the first day it allows another session, as
    # the shortfall gives it ("next from", "earliest"). Not stored with the verdict.
    first_allowed: date | None = None

    def as_dict(self) -> dict:
        return {
            "code": str(self.code),
            "label": self.label,
            "status": self.status.value,
            "evidence": self.evidence,
            "source": self.source,
            "shortfall": self.shortfall,
        }


# How the evidence is worded, stored with each verdict. A release that words it otherwise bumps
# this: a verdict stored in earlier words is then compared with today's by status alone
# (tracker.eligibility.standing), since new words are no new fact, and an override must not end
# (nor a booked case go back under review) for them.
EVIDENCE_WORDING = 7


@dataclass(frozen=True)
class Verdict:
    profile_code: str
    profile_version: int
    as_of: date
    side: str
    indication: str
    criteria: tuple[Criterion, ...]

    @property
    def eligible(self) -> bool:
        return all(criterion.status == Status.MET for criterion in self.criteria)

    @property
    def incomplete(self) -> bool:
        """Criteria still unknown and none failed: not a "not eligible" verdict (DESIGN.md section 4)."""
        statuses = {criterion.status for criterion in self.criteria}
        return Status.NOT_MET not in statuses and Status.UNKNOWN in statuses

    def unknown(self) -> list[str]:
        return [criterion.label for criterion in self.criteria if criterion.status == Status.UNKNOWN]

    def waiting_for(self) -> list[str]:
        return [criterion.shortfall for criterion in self.criteria if criterion.status != Status.MET]

    def shortfalls(self, status: "Status") -> list[str]:
        """What the criteria of one status lack: NOT_MET (judged and short: "1 of 3 positive tests")
        apart from UNKNOWN (a fact still to record: "red-flag screen")."""
        return [criterion.shortfall for criterion in self.criteria if criterion.status == status]

    def as_dict(self) -> dict:
        """A JSON-serialisable snapshot, to store with the case's eligibility decision."""
        return {
            "profile_code": self.profile_code,
            "profile_version": self.profile_version,
            "as_of": self.as_of.isoformat(),
            "side": str(self.side),
            "indication": str(self.indication),
            "eligible": self.eligible,
            "incomplete": self.incomplete,
            "criteria": [criterion.as_dict() for criterion in self.criteria],
            "wording": EVIDENCE_WORDING,
        }


def evaluate(facts: CaseFacts, prior: Iterable[PriorInjection], profile: Profile) -> Verdict:
    # Injections on a later day than the one evaluated cannot bear on it.
    earlier = [injection for injection in prior if injection.performed_on <= facts.as_of]
    criteria = tuple(
        criterion for check in _CHECKS if (criterion := check(facts, earlier, profile)) is not None
    )
    return Verdict(
        profile_code=profile.code,
        profile_version=profile.version,
        as_of=facts.as_of,
        side=facts.side,
        indication=facts.indication,
        criteria=criteria,
    )


# --- building criteria ---------------------------------------------------------------------


def _criterion(
    profile: Profile, code: CriterionCode, status: Status, evidence: str, shortfall: str,
    first_allowed: date | None = None,
) -> Criterion:
    rule = profile.rule(code)
    effective = rule.effective_date.isoformat() if rule.effective_date else "date not recorded"
    return Criterion(
        code=code,
        label=CRITERION_LABELS[code],
        status=status,
        evidence=evidence,
        source=f"{profile.document_id}: {rule.source} (effective {effective})",
        shortfall="" if status == Status.MET else shortfall,
        first_allowed=None if status == Status.MET else first_allowed,
    )


def _combine(statuses: Iterable[Status]) -> Status:
    """All must be met; a known failure outweighs a gap, because recording more cannot fix it."""
    statuses = list(statuses)
    if Status.NOT_MET in statuses:
        return Status.NOT_MET
    if Status.UNKNOWN in statuses:
        return Status.UNKNOWN
    return Status.MET


def _either(statuses: Iterable[Status]) -> Status:
    """One alternative suffices; unknown while an unrecorded alternative could still be met."""
    statuses = list(statuses)
    if Status.MET in statuses:
        return Status.MET
    if Status.UNKNOWN in statuses:
        return Status.UNKNOWN
    return Status.NOT_MET


def _at_least(value: float | None, minimum: float) -> Status:
    if value is None:
        return Status.UNKNOWN
    return Status.MET if value >= minimum else Status.NOT_MET


def _yes_no(value: bool | None) -> str:
    return "not recorded" if value is None else ("yes" if value else "no")


# --- calendar --------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    """Same day of the month ``months`` later (or earlier), clamped to the month's last day."""
    return day + relativedelta(months=months)


def _whole_months_between(earlier: date, later: date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if _add_months(earlier, months) > later:
        months -= 1
    return max(months, 0)


def _rolling_year_start(as_of: date) -> date:
    """Injections strictly after this day fall in the rolling 12 months ending on ``as_of``."""
    return _add_months(as_of, -12)


def rolling_year_first_day(as_of: date) -> date:
    """The first day of the rolling 12 months ending on ``as_of`` that the caps count (the day after
    the same date a year earlier), as the patient page says it."""
    return _rolling_year_start(as_of) + timedelta(days=1)


def _leaves_rolling_year(day: date) -> date:
    """The first evaluation day whose rolling 12 months no longer include ``day``."""
    candidate = _add_months(day, 12)
    # Clamping (29 February) can land a day early: step on until the window has passed.
    while _rolling_year_start(candidate) < day:
        candidate += timedelta(days=1)
    return candidate


# --- the criteria ----------------------------------------------------------------------------


def _pain_duration(facts: CaseFacts, prior: Sequence[PriorInjection], profile: Profile) -> Criterion:
    needed = profile.min_pain_months
    code = CriterionCode.PAIN_DURATION
    if facts.symptom_onset is None:
        return _criterion(profile, code, Status.UNKNOWN, "symptom onset not recorded", "symptom onset date")
    months = _whole_months_between(facts.symptom_onset, facts.as_of)
    status = Status.MET if months >= needed else Status.NOT_MET
    evidence = f"pain for {months} months since {facts.symptom_onset.isoformat()}, needs {needed} months"
    # The day the months are reached: the same day `needed` months on, clamped to a shorter month's end.
    enough = "" if months >= needed else _enough_on_text(_add_months(facts.symptom_onset, needed))
    return _criterion(profile, code, status, evidence, f"pain {months} of {needed} months{enough}")


def _pain_location(facts: CaseFacts, prior: Sequence[PriorInjection], profile: Profile) -> Criterion:
    below_l5 = facts.pain_below_l5
    radicular = facts.radicular_signs
    against = [
        text for text, found in (("pain not below L5", below_l5 is False), ("radicular signs", radicular is True))
        if found
    ]
    if against:
        status, shortfall = Status.NOT_MET, "; ".join(against)
    elif below_l5 is None or radicular is None:
        status, shortfall = Status.UNKNOWN, "pain location and radicular signs"
    else:
        status, shortfall = Status.MET, ""
    evidence = f"pain below L5: {_yes_no(below_l5)}; radicular signs: {_yes_no(radicular)}"
    return _criterion(profile, CriterionCode.PAIN_LOCATION, status, evidence, shortfall)


def _pain_severity(facts: CaseFacts, prior: Sequence[PriorInjection], profile: Profile) -> Criterion | None:
    if profile.min_pain_nrs is None:
        return None
    alternatives = [_at_least(facts.baseline_nrs, profile.min_pain_nrs)]
    pain = "not recorded" if facts.baseline_nrs is None else f"{facts.baseline_nrs}/10"
    evidence = f"pain {pain}, needs {profile.min_pain_nrs}"
    if profile.min_odi is not None:
        alternatives.append(_at_least(facts.odi, profile.min_odi))
        # To one decimal, as the examination page says it (nine sections answered give 42.2222…).
        odi = "not recorded" if facts.odi is None else f"{round(facts.odi, 1):g}%"
        evidence += f"; or Oswestry {odi}, needs {profile.min_odi:g}"
    status = _either(alternatives)
    shortfall = "pain score or Oswestry index" if status == Status.UNKNOWN else evidence
    return _criterion(profile, CriterionCode.PAIN_SEVERITY, status, evidence, shortfall)


def tests_within_reach(positive: int | None, not_done: int, needed: int) -> bool:
    """Short of the positive tests needed, but the tests not done could still reach them."""
    return positive is not None and positive < needed <= positive + not_done


def tests_counted(positive: int, not_done: int) -> str:
    """The positive tests out of those done: "4 of 6 tests positive" when all six were done, "4 of 5
    tests done positive (1 not done)" when one was not (a test not done was never found negative)."""
    if not not_done:
        return f"{positive} of {EXAMINED_TESTS} tests positive"
    return f"{positive} of {EXAMINED_TESTS - not_done} tests done positive ({not_done} not done)"


def _provocation_tests(facts: CaseFacts, prior: Sequence[PriorInjection], profile: Profile) -> Criterion:
    needed = profile.min_positive_tests
    statuses, evidence, shortfalls = [], [], []
    for joint in facts.joints:
        count = facts.positive_tests_by_side.get(joint)
        untested = facts.untested_by_side.get(joint, 0)
        # The tests not done yet may still be positive: unknown until they are, never "not met".
        status = Status.UNKNOWN if tests_within_reach(count, untested, needed) else _at_least(count, needed)
        statuses.append(status)
        if count is None:
            evidence.append(f"not examined ({joint})")
            shortfalls.append(f"provocation tests ({joint})")
        else:
            evidence.append(f"{tests_counted(count, untested)}, needs {needed} ({joint})")
            if status == Status.UNKNOWN:
                shortfalls.append(f"provocation tests not done ({joint}: {untested})")
            elif status != Status.MET:
                shortfalls.append(f"{count} of {needed} positive tests ({joint})")
    if profile.tests_counted != EXAMINED_TESTS:
        # The count is out of the tests the examination records, as the case page counts it.
        evidence.append(f"the payer lists {profile.tests_counted} tests, the clinic examines {EXAMINED_TESTS} of them")
    return _criterion(
        profile, CriterionCode.PROVOCATION_TESTS, _combine(statuses), "; ".join(evidence), "; ".join(shortfalls)
    )


@dataclass(frozen=True)
class LeftOut:
    """A conservative-care course the count leaves out, and why (shown with the evidence)."""

    therapy: TherapyFact
    reason: str

    def describe(self) -> str:
        end = self.therapy.end.isoformat() if self.therapy.end else "ongoing"
        return f"{_kind_label(self.therapy.kind)} {self.therapy.start.isoformat()} to {end} ({self.reason})"


@dataclass(frozen=True)
class FromOnset:
    """A failed course that started before the symptom onset and went on after it: only its days on
    or after the onset count (DESIGN.md section 4: the days before belong to another episode)."""

    therapy: TherapyFact
    onset: date
    days: int

    def describe(self) -> str:
        end = self.therapy.end.isoformat() if self.therapy.end else "ongoing"
        days = "1 day" if self.days == 1 else f"{self.days} days"
        return (f"{_kind_label(self.therapy.kind)} {self.therapy.start.isoformat()} to {end}: {days} on or after "
                f"the onset of {self.onset.isoformat()} count{'s' if self.days == 1 else ''}")


@dataclass(frozen=True)
class ComponentFigures:
    """One component the care must include (a medication trial, an active therapy): its failed
    days against the least the profile asks."""

    name: str
    days: int
    min_days: int
    # A course of its kinds with no response recorded: it may yet turn out to have failed.
    unrecorded: bool
    # Short of the least, the day it is reached if the failed courses go on as recorded (None: never).
    enough_on: date | None = None

    @property
    def met(self) -> bool:
        return self.days >= self.min_days


@dataclass(frozen=True)
class CareFigures:
    """Conservative care as the engine counts it for one profile: failed courses of the kinds the
    profile counts, on or after the symptom onset, inside its look-back window, overlapping days once.
    A course that started before the onset counts from the onset (``from_onset`` names each)."""

    failed_days: int
    needed_days: int
    window_start: date | None
    components: tuple[ComponentFigures, ...]
    left_out: tuple[LeftOut, ...]
    # Courses counted but with no response recorded.
    unrecorded: int
    # Failed courses counted from the symptom onset, not from their start.
    from_onset: tuple[FromOnset, ...] = ()
    # Short of the days needed, the day they are reached if the failed courses go on as recorded
    # (an ongoing course failing on, a planned end kept); None when they never are.
    enough_on: date | None = None


def _kind_label(kind: str) -> str:
    return dict(THERAPY_KINDS).get(kind, kind).lower()


def _sort_care(facts: CaseFacts, profile: Profile) -> tuple[date | None, list, list]:
    """The look-back start (None: no limit), the courses the profile counts, and those it leaves
    out with the reason. A course starting after the evaluation day is not care tried yet."""
    rule, window = profile.conservative_care, profile.conservative_care_window_days
    since = None if window is None else facts.as_of - timedelta(days=window - 1)
    counted, left_out = [], []
    for therapy in facts.therapies:
        if therapy.start > facts.as_of:
            continue
        onset = facts.symptom_onset
        if onset is not None and therapy.end is not None and therapy.end < onset:
            left_out.append(LeftOut(therapy, f"ended before the symptom onset on {onset.isoformat()}: "
                                             "another episode"))
        elif since is not None and therapy.end is not None and therapy.end < since:
            left_out.append(LeftOut(therapy, f"ended before the look-back window from {since.isoformat()}"))
        elif therapy.kind not in rule.counted_kinds:
            left_out.append(LeftOut(therapy, "not a kind this profile counts"))
        elif therapy.response not in FAILED_RESPONSES and therapy.response is not None:
            left_out.append(LeftOut(therapy, "it helped: not failed care"))
        else:
            counted.append(therapy)
    return since, counted, left_out


def _count_from(since: date | None, onset: date | None) -> date | None:
    """The first day that counts: the later of the look-back start and the symptom onset."""
    return max((day for day in (since, onset) if day is not None), default=None)


def _from_onset(facts: CaseFacts, counted: Sequence[TherapyFact], since: date | None) -> tuple[FromOnset, ...]:
    """The failed courses the onset (not their start, nor the look-back window) makes count later."""
    onset = facts.symptom_onset
    if onset is None or (since is not None and since >= onset):
        return ()
    return tuple(
        FromOnset(therapy, onset, failed_conservative_care_days([therapy], facts.as_of, onset))
        for therapy in failed_therapies(counted) if therapy.start < onset
    )


def _enough_on(facts: CaseFacts, therapies: Sequence[TherapyFact], window: int | None, needed: int,
               counted: int) -> date | None:
    """The first day after `facts.as_of` on which the failed days of `therapies` reach `needed`, if
    they go on as recorded (an ongoing course failing on, a planned end kept), counted as on that day
    (from the onset, inside the look-back window then); None when they already do or never will.
    `counted`: the days counted on `facts.as_of`; a day adds at most one, so none is sooner than the
    days missing, and an ongoing course alone reaches `needed` within `needed` days."""
    failed = failed_therapies(therapies)
    last = max((date.max if t.end is None else t.end for t in failed), default=None)
    if last is None or last <= facts.as_of:
        return None
    for ahead in range(max(needed - counted, 1), needed + 1):
        day = facts.as_of + timedelta(days=ahead)
        if day > last:
            return None
        since = None if window is None else day - timedelta(days=window - 1)
        if failed_conservative_care_days(failed, day, _count_from(since, facts.symptom_onset)) >= needed:
            return day
    return None


def conservative_care_figures(facts: CaseFacts, profile: Profile) -> CareFigures:
    since, counted, left_out = _sort_care(facts, profile)
    first = _count_from(since, facts.symptom_onset)
    window = profile.conservative_care_window_days
    components = []
    for component in profile.conservative_care.components:
        courses = [t for t in counted if t.kind in component.kinds]
        days = failed_conservative_care_days(courses, facts.as_of, first)
        components.append(ComponentFigures(
            component.name, days, component.min_days, any(t.response is None for t in courses),
            None if days >= component.min_days else _enough_on(facts, courses, window, component.min_days, days)))
    failed_days, needed = failed_conservative_care_days(counted, facts.as_of, first), profile.min_conservative_care_days
    return CareFigures(
        failed_days=failed_days, needed_days=needed, window_start=since, components=tuple(components),
        left_out=tuple(left_out), unrecorded=sum(1 for therapy in counted if therapy.response is None),
        from_onset=_from_onset(facts, counted, since),
        enough_on=None if failed_days >= needed else _enough_on(facts, counted, window, needed, failed_days),
    )


def _enough_on_text(day: date | None) -> str:
    return f", enough on {day.isoformat()}" if day else ""


def _care_amount(days: int, needed: int) -> str:
    # Whole weeks read better on a worklist when the payer counts in weeks.
    if needed % 7 == 0:
        return f"{days // 7} of {needed // 7} weeks"
    return f"{days} of {needed} days"


def _left_out_text(care: CareFigures) -> str:
    return "; left out: " + "; ".join(item.describe() for item in care.left_out) if care.left_out else ""


def _from_onset_text(courses: Iterable[FromOnset]) -> str:
    courses = list(courses)
    return "; counted from the onset: " + "; ".join(item.describe() for item in courses) if courses else ""


def _conservative_care_duration(
    facts: CaseFacts, prior: Sequence[PriorInjection], profile: Profile
) -> Criterion:
    care = conservative_care_figures(facts, profile)
    days, needed = care.failed_days, care.needed_days
    evidence = f"failed conservative care {days} days, needs {needed} days"
    if care.window_start is not None:
        evidence += f" within the window from {care.window_start.isoformat()}"
    shortfall = f"conservative care {_care_amount(days, needed)}{_enough_on_text(care.enough_on)}"
    if days >= needed:
        status = Status.MET
    elif not facts.therapies:
        status = Status.UNKNOWN
        evidence = shortfall = "no conservative care recorded"
    elif care.unrecorded:
        # A therapy whose response is not recorded may yet turn out to have failed.
        status = Status.UNKNOWN
        evidence += f"; response not recorded for {care.unrecorded} therapies"
        shortfall += f" (response not recorded for {care.unrecorded})"
    else:
        status = Status.NOT_MET
    return _criterion(profile, CriterionCode.CONSERVATIVE_CARE_DURATION, status,
                      evidence + _from_onset_text(care.from_onset) + _left_out_text(care), shortfall)


def _conservative_care_composition(
    facts: CaseFacts, prior: Sequence[PriorInjection], profile: Profile
) -> Criterion | None:
    """Each component the profile asks the care to include, with its own least duration: a single
    day of an NSAID and a single day of physical therapy is not a trial of either."""
    if not profile.conservative_care.components:
        return None
    care = conservative_care_figures(facts, profile)
    statuses, evidence, missing = [], [], []
    for part in care.components:
        if part.met:
            statuses.append(Status.MET)
        else:
            # Unknown while a matching course's response, or any care at all, is unrecorded.
            statuses.append(Status.UNKNOWN if not facts.therapies or part.unrecorded else Status.NOT_MET)
            missing.append(f"{part.name} {part.days} of {part.min_days} days{_enough_on_text(part.enough_on)}")
        evidence.append(f"failed {part.name} {part.days} days, needs {part.min_days} days")
    kinds = {kind for component in profile.conservative_care.components for kind in component.kinds}
    clipped = _from_onset_text(item for item in care.from_onset if item.therapy.kind in kinds)
    return _criterion(
        profile, CriterionCode.CONSERVATIVE_CARE_COMPOSITION, _combine(statuses), "; ".join(evidence) + clipped,
        "; ".join(missing),
    )


def _ongoing_rehab(facts: CaseFacts, prior: Sequence[PriorInjection], profile: Profile) -> Criterion | None:
    if not profile.requires_active_rehab_ongoing:
        return None
    ongoing = facts.ongoing_active_rehab
    status = Status.UNKNOWN if ongoing is None else (Status.MET if ongoing else Status.NOT_MET)
    evidence = f"active rehabilitation ongoing: {_yes_no(ongoing)}"
    return _criterion(profile, CriterionCode.ONGOING_REHAB, status, evidence, "ongoing active rehabilitation")


def _other_causes_excluded(facts: CaseFacts, prior: Sequence[PriorInjection], profile: Profile) -> Criterion:
    screened, present = facts.red_flags_screened, facts.red_flags_present
    if present is True:
        status, shortfall = Status.NOT_MET, "red flags present"
    elif not screened or present is None:
        # A screen not done yet (the risk screen saved with its box unticked, or no risk screen) is
        # a fact still to record, which recording can meet: unknown, never a failure.
        status, shortfall = Status.UNKNOWN, "red-flag screen"
    else:
        status, shortfall = Status.MET, ""
    evidence = f"red flags screened: {_yes_no(screened)}; red flags present: {_yes_no(present)}"
    return _criterion(profile, CriterionCode.OTHER_CAUSES_EXCLUDED, status, evidence, shortfall)


def _cap(
    facts: CaseFacts,
    prior: Sequence[PriorInjection],
    profile: Profile,
    code: CriterionCode,
    kind: str,
    indications: frozenset,
    maximum: int | None,
) -> Criterion | None:
    if maximum is None or facts.indication not in indications:
        return None
    sessions_by_scope = _sessions_in_year(prior, profile, indications, facts.as_of, facts.joints)
    statuses, evidence, shortfalls, first_days = [], [], [], []
    for scope, sessions in sessions_by_scope.items():
        # One session a day: an injection already given on this session's day (the other side,
        # started this morning) is this same session, not one more.
        same_day = facts.session_on == facts.as_of and facts.as_of in sessions
        count = len(sessions) if same_day else len(sessions) + 1
        within = count <= maximum
        statuses.append(Status.MET if within else Status.NOT_MET)
        evidence.append(
            f"{kind} sessions in the last 12 months: {len(sessions)}; "
            f"this would be {count} of {maximum} ({scope})"
            + (f", the same session as the injection of {facts.as_of.isoformat()} (one session a day)"
               if same_day else "")
        )
        if not within:
            # The same count as the evidence. The next session is the day the count in the window
            # drops below the cap (as Reports › Caps gives it): once this case's injection is given,
            # counting it.
            given = facts.injected_on
            counted = sorted({*sessions, given}) if given and given > _rolling_year_start(facts.as_of) else sessions
            # A profile with an interval between therapeutic injections in a joint (its caps count
            # per joint) allows the next one no sooner, as Reports › Caps gives it too.
            interval = profile.min_days_between_injections if kind == "therapeutic" and profile.caps_per_joint else None
            next_allowed = next_session_day(counted, maximum, facts.as_of, interval)
            first_days.append(next_allowed)
            made = "this injection made" if given else "this would be"
            shortfalls.append(
                f"{kind} cap: {made} {count} of {maximum} ({scope}), next from {next_allowed.isoformat()}"
            )
    # An injection given elsewhere is named, so the reader sees where the count comes from.
    year_start = _rolling_year_start(facts.as_of)
    evidence += [f"counting {p.outside}" for p in prior
                 if p.outside and p.indication in indications and p.performed_on > year_start
                 and (not profile.caps_per_joint or any(p.covers(joint) for joint in facts.joints))]
    return _criterion(profile, code, _combine(statuses), "; ".join(dict.fromkeys(evidence)), "; ".join(shortfalls),
                      max(first_days, default=None))


def _sessions_in_year(prior, profile, indications, as_of, joints):
    """The dates of the sessions that count towards a cap on `as_of`, per scope the profile counts
    by ("patient", or "left joint" / "right joint")."""
    year_start = _rolling_year_start(as_of)
    counted = [p for p in prior if p.indication in indications and p.performed_on > year_start]
    # One session per day: a bilateral injection, or left and right rows on one day, count once.
    if profile.caps_per_joint:
        return {f"{joint} joint": sorted({p.performed_on for p in counted if p.covers(joint)}) for joint in joints}
    return {"patient": sorted({p.performed_on for p in counted})}


@dataclass(frozen=True)
class CapUsage:
    """How much of one cap a patient has used on a day: `sessions` of `maximum` in the rolling
    12 months, in one scope (the patient, or one joint)."""

    kind: str
    scope: str
    sessions: tuple
    maximum: int


def cap_usage(prior: Sequence[PriorInjection], profile: Profile, as_of: date) -> list[CapUsage]:
    """Every cap of `profile` with the sessions counting towards it on `as_of`, counted as the
    eligibility criteria count them (for the patient page: no case, so both joints)."""
    usage = []
    for kind, indications, maximum in (
            ("diagnostic", DIAGNOSTIC_INDICATIONS, profile.max_diagnostic_per_12m),
            ("therapeutic", frozenset({Indication.THERAPEUTIC}), profile.max_therapeutic_per_12m)):
        if maximum is None:
            continue
        scopes = _sessions_in_year(prior, profile, indications, as_of, ("left", "right"))
        usage += [CapUsage(kind, scope, tuple(days), maximum) for scope, days in scopes.items()]
    return usage


def _caps_of(profile: Profile):
    """(kind, indications counted, maximum) of each cap the profile sets."""
    return [(kind, indications, maximum) for kind, indications, maximum in (
        ("diagnostic", DIAGNOSTIC_INDICATIONS, profile.max_diagnostic_per_12m),
        ("therapeutic", frozenset({Indication.THERAPEUTIC}), profile.max_therapeutic_per_12m))
        if maximum is not None]


@dataclass(frozen=True)
class BookedOverCap:
    """A cap a session on the case's day would break once the sessions already booked (other cases'
    appointments, not yet given) are given too: `sessions` of `maximum` in the rolling 12 months to
    `window_end`, counting `booked`. `later` is the booked session the window ends at when it is that
    one that would be over the cap (None: the case's own session would be)."""

    kind: str
    scope: str
    maximum: int
    window_end: date
    sessions: int
    booked: tuple
    later: BookedSession | None = None

    def words(self, naming: bool = True) -> str:
        """In words, naming the booked sessions counted (`naming` False: where they are named already)."""
        end = f"{self.window_end.day} {self.window_end:%b %Y}"
        counted = [b.named for b in self.booked if b is not self.later] if naming else []
        if self.later is None:
            return (f"this would be session {self.sessions} of {self.maximum} ({self.scope}) in the 12 months "
                    f"to {end}" + (f", counting {' and '.join(counted)}" if counted else ""))
        return (f"{self.later.named} would then be session {self.sessions} of {self.maximum} ({self.scope}) in "
                f"the 12 months to {end}, counting this one" + "".join(f" and {named}" for named in counted))


def booked_over_cap(facts: CaseFacts, prior: Sequence[PriorInjection], booked: Sequence[BookedSession],
                    profile: Profile) -> list[BookedOverCap]:
    """The caps a session on `facts.as_of` breaks counting the sessions already booked, as the cap
    criteria will count them once given (per scope the profile counts by, one session per day).

    Every 12-month window holding the day is read: the one ending on it (this session over the
    cap) and those ending on a later booked session (that one over the cap once this one is given).
    One breach per cap and scope, this day's first. A breach counts at least one booked session
    (over the cap on given injections alone, the cap criterion itself says so)."""
    breaches = []
    for kind, indications, maximum in _caps_of(profile):
        if facts.indication not in indications:
            continue
        scopes = ([(f"{joint} joint", joint) for joint in facts.joints] if profile.caps_per_joint
                  else [("patient", None)])
        for scope, joint in scopes:
            given = {p.performed_on for p in prior
                     if p.indication in indications and (joint is None or p.covers(joint))}
            ours = sorted((b for b in booked if b.indication in indications and (joint is None or b.covers(joint))),
                          key=lambda b: b.day)
            for later in [None, *(b for b in ours if b.day > facts.as_of)]:
                end = facts.as_of if later is None else later.day
                start = _rolling_year_start(end)
                if facts.as_of <= start:
                    break
                counted = tuple(b for b in ours if start < b.day <= end and b.day not in given
                                and b.day != facts.as_of)
                days = {d for d in given if start < d <= end} | {facts.as_of} | {b.day for b in counted}
                if counted and len(days) > maximum:
                    breaches.append(BookedOverCap(kind, scope, maximum, end, len(days), counted, later))
                    break
    return breaches


def day_words(day: date) -> str:
    """A day as the booking's warnings name it: "Sat 13 Feb 2027"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


@dataclass(frozen=True)
class BookedTooClose:
    """A therapeutic session booked for another case (an appointment, not yet given) nearer to the
    case's day than the interval the profile sets between therapeutic injections in a joint:
    `days` from the earlier appointment's day to the later one's, counted as `_spacing` counts the
    days since the last injection (the dates' difference: the next day is 1 day after, the same day
    0, and exactly `needed` days is enough). `after`: the case's day is the later one."""

    booked: BookedSession
    as_of: date
    days: int
    needed: int
    joints: tuple
    payer: str

    @property
    def after(self) -> bool:
        return self.booked.day < self.as_of

    def words(self) -> str:
        joints = " and ".join(self.joints) + (" joint" if len(self.joints) == 1 else " joints")
        if self.after:
            span, bound = "from that appointment's date to this one's", "not before"
            limit = self.booked.day + timedelta(days=self.needed)
        else:
            span, bound = "from this appointment's date to that one's", "not after"
            limit = self.booked.day - timedelta(days=self.needed)
        return (f"in the {joints}, only {self.days} days {'after' if self.after else 'before'} {self.booked.named}, "
                f"counted {span}; {self.payer} asks for at least {self.needed} days, so {bound} "
                f"{day_words(limit)}")


def booked_too_close(facts: CaseFacts, prior: Sequence[PriorInjection], booked: Sequence[BookedSession],
                     profile: Profile) -> list[BookedTooClose]:
    """The therapeutic sessions booked for other cases, earlier or later, that a therapeutic session
    on `facts.as_of` would be too close to once both are given, by the interval the profile sets
    between therapeutic injections in a joint (`_spacing`, which reads only the injections given).
    Per joint of the case, one entry per booked session naming the joints it is too close in, in
    date order. Never one on `facts.as_of` (the same session, as for the caps: a bilateral case
    booked as a left and a right one that day) nor one on the day of an injection given in that
    joint (part of that session, which `_spacing` reads)."""
    needed = profile.min_days_between_injections
    if needed is None or facts.indication != Indication.THERAPEUTIC:
        return []
    joints_by_session: dict[BookedSession, list[str]] = {}
    for joint in facts.joints:
        given = {p.performed_on for p in prior if p.indication == Indication.THERAPEUTIC and p.covers(joint)}
        for session in booked:
            days = abs((facts.as_of - session.day).days)
            if (session.indication == Indication.THERAPEUTIC and session.covers(joint)
                    and session.day not in given and 0 < days < needed):
                joints_by_session.setdefault(session, []).append(str(joint))
    return [BookedTooClose(session, facts.as_of, abs((facts.as_of - session.day).days), needed, tuple(joints),
                           profile.name)
            for session, joints in sorted(joints_by_session.items(), key=lambda item: item[0].day)]


def next_session_day(sessions: Sequence[date], maximum: int, as_of: date, interval_days: int | None = None) -> date:
    """The first day from `as_of` another session may be given in one cap's scope (`sessions`: the
    days counting towards the cap on `as_of`, in order), by the rules the criteria apply: never the
    day of the last session (an injection that day is part of it, not another session), once the
    cap is reached the day a session leaves the rolling 12 months (`_cap`'s "next from"), and
    `interval_days` after the last one where the profile sets an interval (`_spacing`'s "earliest")."""
    day = as_of
    if sessions:
        day = max(day, sessions[-1] + timedelta(days=1))
        if len(sessions) >= maximum:
            day = max(day, _leaves_rolling_year(sessions[len(sessions) - maximum]))
        if interval_days is not None:
            day = max(day, sessions[-1] + timedelta(days=interval_days))
    return day


@dataclass(frozen=True)
class BookedNote:
    """One cap of a case with the patient's other sessions booked around its day: `given` sessions
    in the 12 months to the day (as the criterion counts them), and `booked` ones (not given yet, so
    not counted) sharing a 12-month window with it; `over` when they would take it over the cap."""

    kind: str
    scope: str
    given: int
    booked: tuple
    over: BookedOverCap | None = None

    def words(self) -> str:
        names = "; ".join(b.named for b in self.booked)
        text = f"{self.kind} cap ({self.scope}): {self.given} given; {len(self.booked)} more booked: {names}"
        return text + (f"; once given, {self.over.words(naming=False)}" if self.over else "")


def booked_notes(facts: CaseFacts, prior: Sequence[PriorInjection], booked: Sequence[BookedSession],
                 profile: Profile) -> list[BookedNote]:
    """For each cap of the case, the sessions booked for other cases that share a rolling 12 months
    with a session on `facts.as_of` (none on the day of a given session or on that day: part of it),
    and whether counting them breaks the cap (`booked_over_cap`)."""
    over = {(b.kind, b.scope): b for b in booked_over_cap(facts, prior, booked, profile)}
    notes = []
    for kind, indications, maximum in _caps_of(profile):
        if facts.indication not in indications:
            continue
        for scope, sessions in _sessions_in_year(prior, profile, indications, facts.as_of, facts.joints).items():
            joint = scope.removesuffix(" joint") if profile.caps_per_joint else None
            given = {p.performed_on for p in prior if p.indication in indications and (joint is None or p.covers(joint))}
            near = tuple(b for b in booked if b.indication in indications and (joint is None or b.covers(joint))
                         and b.day not in given and b.day != facts.as_of
                         and (_rolling_year_start(facts.as_of) < b.day < facts.as_of
                              or _rolling_year_start(b.day) < facts.as_of < b.day))
            if near:
                notes.append(BookedNote(kind, scope, len(sessions), near, over.get((kind, scope))))
    return notes


def next_session_day_with_booked(sessions: Sequence[date], booked: Sequence[date], maximum: int, as_of: date,
                                 interval_days: int | None = None) -> date:
    """`next_session_day` counting the sessions already booked (`booked`: their days, given or not
    yet): the first day from `as_of` on which another session breaks no cap once every booked one
    is given too. Not a day of a session (given or booked: one that day would be part of it); within
    the cap in the 12 months ending on it and in those ending on each later booked session; and,
    where the profile sets an interval, that far from the sessions on either side. Without booked
    sessions, `next_session_day`'s day."""
    if not booked:
        return next_session_day(sessions, maximum, as_of, interval_days)
    days = sorted({*sessions, *booked})

    def allowed(day):
        if day in days:
            return False
        for end in (day, *(d for d in days if d > day)):
            start = _rolling_year_start(end)
            if day <= start:
                break
            if sum(1 for d in days if start < d <= end) + 1 > maximum:
                return False
        return interval_days is None or all(abs((d - day).days) >= interval_days for d in days)

    # Whether a day is allowed changes only where a session's day is passed, a session leaves the 12
    # months, or an interval ends: the first allowed day is one of these.
    candidates = {as_of}
    for d in days:
        candidates |= {d + timedelta(days=1), _leaves_rolling_year(d)}
        if interval_days is not None:
            candidates.add(d + timedelta(days=interval_days))
    return min(day for day in candidates if day >= as_of and allowed(day))


def _diagnostic_cap(facts: CaseFacts, prior: Sequence[PriorInjection], profile: Profile) -> Criterion | None:
    return _cap(
        facts,
        prior,
        profile,
        CriterionCode.DIAGNOSTIC_CAP,
        "diagnostic",
        DIAGNOSTIC_INDICATIONS,
        profile.max_diagnostic_per_12m,
    )


def _therapeutic_cap(facts: CaseFacts, prior: Sequence[PriorInjection], profile: Profile) -> Criterion | None:
    return _cap(
        facts,
        prior,
        profile,
        CriterionCode.THERAPEUTIC_CAP,
        "therapeutic",
        frozenset({Indication.THERAPEUTIC}),
        profile.max_therapeutic_per_12m,
    )


def _last_therapeutic_by_injection(
    prior: Sequence[PriorInjection], joints: Iterable[str]
) -> dict[PriorInjection, str]:
    """Each joint's last therapeutic injection, with the joints it was the last one for.

    A joint never injected therapeutically is absent: its first therapeutic injection is
    not a repeat. One bilateral injection serving both joints is reported once (the app gives a
    bilateral injection as a left and a right one, each with its own relief: reported per joint).
    """
    joints_by_injection: dict[PriorInjection, list[str]] = {}
    for joint in joints:
        in_joint = [p for p in prior if p.indication == Indication.THERAPEUTIC and p.covers(joint)]
        if in_joint:
            last = max(in_joint, key=lambda p: p.performed_on)
            joints_by_injection.setdefault(last, []).append(joint)
    return {injection: ", ".join(joints) for injection, joints in joints_by_injection.items()}


def _spacing(facts: CaseFacts, prior: Sequence[PriorInjection], profile: Profile) -> Criterion | None:
    needed = profile.min_days_between_injections
    if needed is None or facts.indication != Indication.THERAPEUTIC:
        return None
    statuses, evidence, shortfalls, first_days = [], [], [], []
    # Only the day counts here: the joints last injected on one day (a bilateral session) are said once.
    joints_by_day: dict[date, list[str]] = {}
    named_by_day: dict[date, str] = {}
    for last, joints in _last_therapeutic_by_injection(prior, facts.joints).items():
        joints_by_day.setdefault(last.performed_on, []).append(joints)
        named_by_day.setdefault(last.performed_on, last.named("therapeutic injection"))
    for performed_on, joints in ((day, ", ".join(joints)) for day, joints in joints_by_day.items()):
        days = (facts.as_of - performed_on).days
        statuses.append(Status.MET if days >= needed else Status.NOT_MET)
        evidence.append(f"{days} days since {named_by_day[performed_on]}, needs {needed} days ({joints})")
        if days < needed:
            earliest = performed_on + timedelta(days=needed)
            first_days.append(earliest)
            shortfalls.append(f"interval {days} of {needed} days ({joints}), earliest {earliest.isoformat()}")
    if not statuses:
        return None
    return _criterion(profile, CriterionCode.SPACING, _combine(statuses), "; ".join(evidence), "; ".join(shortfalls),
                      max(first_days, default=None))


def _block_result(injection: PriorInjection, threshold: float) -> Status:
    """Whether a prior block was positive under *this* profile's threshold.

    The measured peak relief decides when it is known, so a block read as positive under a
    lower threshold elsewhere is not accepted here; the recorded result is the fallback. A result
    the physician recorded against the diary's reading (with a reason) decides a negative; a
    positive counts as met only on relief documented at the threshold (the diary's peak), else it
    is unknown: the payer asks for the relief, and the physician may override with the records.
    """
    if injection.diagnostic_result == BlockResult.INDETERMINATE:
        return Status.UNKNOWN
    if injection.diary_result is not None:
        if injection.diagnostic_result == BlockResult.NEGATIVE:
            return Status.NOT_MET
        peak = injection.peak_relief_percent
        return Status.MET if peak is not None and peak >= threshold else Status.UNKNOWN
    if injection.peak_relief_percent is not None:
        return Status.MET if injection.peak_relief_percent >= threshold else Status.NOT_MET
    if injection.diagnostic_result == BlockResult.POSITIVE:
        return Status.MET
    if injection.diagnostic_result == BlockResult.NEGATIVE:
        return Status.NOT_MET
    return Status.UNKNOWN


def _block_relief(block: PriorInjection, threshold: float) -> str:
    """What a block's status rests on, as the evidence says it: "80% relief, needs 75%"; a result
    recorded against the diary names who recorded it and what the diary read; one recorded with no
    diary reading says so (never "relief not recorded" beside a met block)."""
    needs = f"needs {threshold:g}%"
    peak = None if block.peak_relief_percent is None else f"{_percent(block.peak_relief_percent)} relief"
    if block.diary_result is not None:
        scores = block.diary_window_scores
        if scores == 0 or (peak is None and scores is None):
            read = "no score in the anaesthetic window"
        elif scores is None:
            read = peak
        else:
            read = f"{peak} from {scores} score{'' if scores == 1 else 's'} in the anaesthetic window"
        by = f" by {block.recorded_by}" if block.recorded_by else ""
        return f"recorded {block.diagnostic_result}{by}; the diary read {block.diary_result}: {read}; {needs}"
    if peak is not None:
        return f"{peak}, {needs}"
    if block.diagnostic_result in (BlockResult.POSITIVE, BlockResult.NEGATIVE):
        return f"recorded {block.diagnostic_result}, no diary reading kept, {needs}"
    return f"relief not recorded, {needs}"


# How the evidence names a block's result under the profile's threshold.
_BLOCK_READS = {Status.MET: "positive", Status.NOT_MET: "negative", Status.UNKNOWN: "not known"}


def _block_named(block: PriorInjection) -> str:
    return f"{block.indication} block " + (block.performed_on.isoformat() if block.outside is None else block.outside)


def _positive_block(
    prior: Sequence[PriorInjection], joint: str, indications: Iterable[str], threshold: float
) -> tuple[Status, str, str, str]:
    """Whether the joint's latest block of the given kinds is positive, what it rests on (every block
    of those kinds read, oldest first, with its result when there are several), what is wanted when
    it is not met, and, not met after earlier blocks, which one decided ("; the latest, confirmatory
    block 2024-02-20, is negative", for the shortfall).

    The latest decides, as a clinician reads the history: a confirmatory block confirms the first
    block or contradicts it, and a block repeated after a negative one replaces it. A latest block of
    unknown result (indeterminate, or its outcome not recorded yet) leaves the criterion unknown."""
    blocks = sorted((p for p in prior if p.indication in indications and p.covers(joint)),
                    key=lambda p: p.performed_on)
    if not blocks:
        return Status.NOT_MET, "none", "positive diagnostic block", ""
    results = [(block, _block_result(block, threshold)) for block in blocks]
    latest_day = blocks[-1].performed_on
    # Two blocks of one joint on one day (not expected) must both be positive.
    latest = [(block, result) for block, result in results if block.performed_on == latest_day]
    status = _combine(result for _, result in latest)
    deciding = next(block for block, result in latest if result == status)
    if len(blocks) == 1:
        found = f"{_block_named(deciding)} ({_block_relief(deciding, threshold)})"
    else:
        found = "; ".join(f"{_block_named(block)} ({_block_relief(block, threshold)}): {_BLOCK_READS[result]}"
                          for block, result in results) + f"; the latest is {_BLOCK_READS[status]}"
    if status == Status.UNKNOWN:
        # Unknown on a positive recorded against the diary: the result is there, the relief is not.
        wanted = (f"relief of the prior block documented at {threshold:g}%" if deciding.diary_result is not None
                  else "result of prior block")
    else:
        wanted = "positive diagnostic block"
    decided = (f"; the latest, {_block_named(deciding)}, is negative"
               if status == Status.NOT_MET and len(blocks) > 1 else "")
    return status, found, wanted, decided


def _prior_positive_block(
    facts: CaseFacts, prior: Sequence[PriorInjection], profile: Profile
) -> Criterion | None:
    if facts.indication == Indication.CONFIRMATORY:
        # A confirmatory block repeats a first block that was positive.
        indications = {Indication.DIAGNOSTIC}
    elif facts.indication == Indication.THERAPEUTIC and not profile.requires_dual_comparative_blocks:
        indications = DIAGNOSTIC_INDICATIONS
    else:
        return None
    threshold = profile.diagnostic_relief_threshold_percent
    statuses, evidence, shortfalls = [], [], []
    for joint in facts.joints:
        status, found, wanted, decided = _positive_block(prior, joint, indications, threshold)
        statuses.append(status)
        evidence.append(f"{found} ({joint})")
        if status != Status.MET:
            shortfalls.append(f"{wanted} ({joint}{decided})")
    return _criterion(
        profile, CriterionCode.PRIOR_POSITIVE_BLOCK, _combine(statuses), "; ".join(evidence), "; ".join(shortfalls)
    )


def _dual_comparative_blocks(
    facts: CaseFacts, prior: Sequence[PriorInjection], profile: Profile
) -> Criterion | None:
    if not profile.requires_dual_comparative_blocks or facts.indication != Indication.THERAPEUTIC:
        return None
    threshold = profile.diagnostic_relief_threshold_percent
    statuses, evidence, shortfalls = [], [], []
    for joint in facts.joints:
        for indication in (Indication.DIAGNOSTIC, Indication.CONFIRMATORY):
            # The latest block of each kind counts: a repeated first block stands for the first.
            status, found, _, decided = _positive_block(prior, joint, {indication}, threshold)
            statuses.append(status)
            evidence.append(f"{indication}: {found} ({joint})")
            if status != Status.MET:
                shortfalls.append(f"positive {indication} block ({joint}{decided})")
    return _criterion(
        profile, CriterionCode.DUAL_COMPARATIVE_BLOCKS, _combine(statuses), "; ".join(evidence), "; ".join(shortfalls)
    )


def _repeat_relief(facts: CaseFacts, prior: Sequence[PriorInjection], profile: Profile) -> Criterion | None:
    """A repeat therapeutic injection must follow one that helped enough for long enough.

    Judged on the last therapeutic injection in the joint; a first therapeutic injection
    (after diagnostic blocks only) is not a repeat.
    """
    if facts.indication != Indication.THERAPEUTIC:
        return None
    threshold, min_days = profile.repeat_relief_threshold_percent, profile.repeat_relief_min_days
    statuses, evidence, shortfalls = [], [], []
    for last, joints in _last_therapeutic_by_injection(prior, facts.joints).items():
        days = last.relief_duration_days
        level = threshold if last.relief_days_at_percent is None else last.relief_days_at_percent
        # Relief still holding when the outcome was recorded: the days are a lower bound (censored,
        # DESIGN.md section 4). Short of the days needed, whether relief lasted them is not known yet.
        holding = bool(last.relief_days_at_least) and days is not None
        censored = holding and days < min_days
        # Days read at less than the profile's relief (50 %, no scores kept to read them again at
        # eviCore's 75 %) are at most as many at its relief: too few fail, enough say nothing.
        unread = days is not None and level < threshold and days >= min_days
        status = _combine([_at_least(last.peak_relief_percent, threshold),
                           Status.UNKNOWN if censored or unread else _at_least(days, min_days)])
        statuses.append(status)
        # The peak and the days are two readings: the days are those relief stayed at the
        # profile's threshold or more (a 57% peak reads 0 days at 75%), so each says what it is.
        relief = "not recorded" if last.peak_relief_percent is None else _percent(last.peak_relief_percent)
        duration = "duration not recorded" if days is None else f"{days} days at {level:g}% or more"
        if days is not None and last.outside is not None and last.relief_days_at_percent is None:
            # Reported elsewhere without how much relief: the days were read at no known level.
            duration = f"{days} days at a relief not reported"
        if holding:
            duration = f"at least {duration} (the diary still running when recorded)"
        read = f"peak relief {relief}, {duration}"
        waiting = (f": relief still held at {days} days when the outcome was recorded; record the relief's end "
                   "when known") if censored else ""
        # Said only where they decide (a peak below the relief fails whatever the days).
        days_wanted = unread and status == Status.UNKNOWN and last.peak_relief_percent is not None
        if days_wanted:
            waiting = (f": the days at {threshold:g}% are not known; record them, or a physician may override "
                       "with the outside records")
        evidence.append(
            f"after {last.named('therapeutic injection')}: {read}{_against_diary(last)}, "
            f"needs {threshold:g}% for {min_days} days{waiting} ({joints})"
        )
        if days_wanted:
            shortfalls.append(f"days at {threshold:g}% after {last.named('injection')}: {days} days at {level:g}% "
                              f"or more known, needs {min_days} ({joints})")
        elif status == Status.UNKNOWN and censored:
            shortfalls.append(f"end of relief after {last.named('injection')}: at least {days} of {min_days} days "
                              f"so far ({joints})")
        elif status == Status.UNKNOWN:
            shortfalls.append(f"relief after {last.named('injection')} ({joints})")
        elif status == Status.NOT_MET:
            shortfalls.append(f"{read}, needs {threshold:g}% for {min_days} days ({joints})")
    if not statuses:
        return None
    return _criterion(
        profile, CriterionCode.REPEAT_RELIEF, _combine(statuses), "; ".join(evidence), "; ".join(shortfalls)
    )


def _percent(relief: float) -> str:
    """A relief as the evidence says it: "57.1%"; below 0 the pain was worse than before the
    injection, which "-200%" hid ("0% (pain worse than before)"): the criterion reads the number."""
    return f"{relief:g}%" if relief >= 0 else "0% (pain worse than before)"


def _against_diary(injection: PriorInjection) -> str:
    """" (recorded 120 days; diary read 42 days)" when the recorded duration is not the diary's."""
    recorded, diary = injection.relief_duration_days, injection.diary_relief_days
    if None in (recorded, diary) or recorded == diary:
        return ""
    return f" (recorded {recorded} days; diary read {diary} days)"


_CHECKS: tuple[Callable[[CaseFacts, Sequence[PriorInjection], Profile], Criterion | None], ...] = (
    _pain_duration,
    _pain_location,
    _pain_severity,
    _provocation_tests,
    _conservative_care_duration,
    _conservative_care_composition,
    _ongoing_rehab,
    _other_causes_excluded,
    _diagnostic_cap,
    _therapeutic_cap,
    _spacing,
    _prior_positive_block,
    _dual_comparative_blocks,
    _repeat_relief,
)
