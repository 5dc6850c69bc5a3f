"""The plain values the eligibility engine reads.

The app builds these from its models; the engine never sees a database row. ``None`` always
means "not recorded", and the engine never counts an unrecorded fact as met.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from tracker.vocab import Indication, Side


class BlockResult(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    # Too few diary entries in the anaesthetic window to judge.
    INDETERMINATE = "indeterminate"


# Confirmatory blocks are diagnostic blocks for caps and for "a prior positive block".
DIAGNOSTIC_INDICATIONS = frozenset({Indication.DIAGNOSTIC, Indication.CONFIRMATORY})

JOINTS_BY_SIDE = {
    Side.LEFT: (Side.LEFT,),
    Side.RIGHT: (Side.RIGHT,),
    Side.BILATERAL: (Side.LEFT, Side.RIGHT),
}


@dataclass(frozen=True)
class TherapyFact:
    """One conservative-care row; ``end`` None means ongoing, ``response`` None means not recorded."""

    kind: str
    start: date
    end: date | None = None
    response: str | None = None


@dataclass(frozen=True)
class PriorInjection:
    """An SI joint injection the patient already had, from any earlier case.

    ``peak_relief_percent`` is the best relief in the anaesthetic window (diagnostic blocks)
    or over follow-up (therapeutic injections). ``relief_duration_days`` is how long relief
    stayed at or above the active profile's repeat threshold (the last follow-up point still
    at or above it), as recorded by the physician; ``diary_relief_days`` is the diary's own
    reading (None: not read), shown beside it in the evidence when both are known and differ (a
    recorded value other than the diary's needs a reason, see tracker/diary/outcome.py).

    ``outside`` names an injection given elsewhere, as the evidence says it ("outside injection of
    2026-10-01 at Riverside Pain Clinic (patient report)"); None for the tracker's own. Its relief is
    as reported: the peak and the days it lasted at that relief (None: not reported).
    """

    performed_on: date
    side: str
    indication: str
    diagnostic_result: str | None = None
    peak_relief_percent: float | None = None
    relief_duration_days: int | None = None
    diary_relief_days: int | None = None
    outside: str | None = None
    # The relief the days were read at, when not the active profile's repeat threshold: 50 % where
    # no scores were kept to read them again at a stricter one, the reported relief for an outside
    # injection (the evidence says "90 days at 50% or more", never at a level they were not read at).
    # Read below the threshold they are at most the days at it: too few fail, enough leave it unknown.
    relief_days_at_percent: float | None = None
    # A block whose result the physician recorded other than the joint's diary reading (with a
    # reason): what the diary read ("indeterminate"), from how many scores in the anaesthetic window
    # (``peak_relief_percent`` stays the diary's peak), and who recorded the result. None otherwise.
    diary_result: str | None = None
    diary_window_scores: int | None = None
    recorded_by: str | None = None
    # True when ``relief_duration_days`` is a lower bound: recorded while the diary still ran and
    # relief still held at the latest score (the evidence says "at least"). None otherwise.
    relief_days_at_least: bool | None = None

    def __post_init__(self):
        Side(self.side)
        Indication(self.indication)
        for result in (self.diagnostic_result, self.diary_result):
            if result is not None:
                BlockResult(result)

    def covers(self, joint: str) -> bool:
        return self.side in (joint, Side.BILATERAL)

    def named(self, kind: str) -> str:
        """How the evidence names it: "{kind} of 2026-10-01", or, given elsewhere, the outside
        injection's own words."""
        return self.outside or f"{kind} of {self.performed_on.isoformat()}"


@dataclass(frozen=True)
class BookedSession:
    """An appointment of another case of the patient's, booked and not yet begun: not an injection
    (no criterion counts it), but a session the caps will count once it is given. ``named`` is how a
    warning names it ("the appointment of Tue 15 Dec 2026 (case 41)")."""

    day: date
    side: str
    indication: str
    named: str

    def covers(self, joint: str) -> bool:
        return self.side in (joint, Side.BILATERAL)


@dataclass(frozen=True)
class CaseFacts:
    """What is known about the case on ``as_of`` (the day the injection would be given)."""

    as_of: date
    side: str
    indication: str
    symptom_onset: date | None = None
    pain_below_l5: bool | None = None
    radicular_signs: bool | None = None
    # Count of positive provocation tests per examined side ("left", "right"), and of the tests not
    # done on each side examined (they may still be positive).
    positive_tests_by_side: Mapping[str, int | None] = field(default_factory=dict)
    untested_by_side: Mapping[str, int] = field(default_factory=dict)
    baseline_nrs: int | None = None
    odi: float | None = None
    therapies: Sequence[TherapyFact] = ()
    ongoing_active_rehab: bool | None = None
    red_flags_screened: bool | None = None
    red_flags_present: bool | None = None
    # The day this case's own injection was given (its checklist started), None before: a cap's
    # next session then counts it. No criterion's status or evidence reads it.
    injected_on: date | None = None
    # The day of this case's own session as known: its injection's day, else the day it is booked
    # for (or the day a booking asks about), None while neither. A cap counts another injection on
    # that day as this same session (one session a day), but only when the verdict is for that day
    # (`as_of`): evaluated on another day, the session is not known to be that one.
    session_on: date | None = None

    def __post_init__(self):
        Side(self.side)
        Indication(self.indication)
        # Frozen means frozen: copy the containers so the caller cannot change the facts later.
        object.__setattr__(self, "positive_tests_by_side", dict(self.positive_tests_by_side))
        object.__setattr__(self, "untested_by_side", dict(self.untested_by_side))
        object.__setattr__(self, "therapies", tuple(self.therapies))

    @property
    def joints(self) -> tuple[Side, ...]:
        """The joints to be injected: a bilateral case must qualify on each side."""
        return JOINTS_BY_SIDE[Side(self.side)]
