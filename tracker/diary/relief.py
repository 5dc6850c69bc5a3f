"""What the diary's pain scores mean: percent relief, the diagnostic verdict and how long relief lasted.

Plain values only: no database, no request. Scores are 0-10 NRS integers; a score outside that
range is a bug upstream (the entry form refuses it), so it raises ValueError rather than being
quietly clipped into a verdict.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tracker.vocab import N_, Choice

NRS_MIN, NRS_MAX = 0, 10
# The local anaesthetic window, in hours after the injection (DESIGN.md section 3).
ANAESTHETIC_WINDOW_HOURS = 6
# The block's scores are those felt up to the close of the "6 hours after" point's window
# (tracker.diary.schedule: 15 minutes either side), 6 h 15: a score is read at the moment it was
# felt, and a 6-hour score the patient gives at 6 h 10 is still the one the block asked for. No
# window opens between then and Day 1's (18 h), so this splits the block's scores from the follow-up.
BLOCK_READINGS_UNTIL_HOURS = ANAESTHETIC_WINDOW_HOURS + 0.25
# One reading cannot tell a block from noise: a single low score may be a good moment, a
# misread scale or a tap on the wrong button. Two readings inside the window are the least
# that shows the relief was there while the anaesthetic acted.
MIN_WINDOW_READINGS = 2
# DESIGN.md section 3: therapeutic relief is how long relief stayed at or above 50 %.
THERAPEUTIC_RELIEF_PERCENT = 50
# The steroid takes days to act after the anaesthetic wears off: a score below the threshold
# felt before day 7 (168 hours after the injection: a "Day 7" score given on day 6 is before it)
# neither ends the relief nor denies it. From day 7 on, the first score below the threshold ends it.
STEROID_ONSET_HOURS = 7 * 24

# A patient's score after the injection worse than before it, or this high with no baseline to compare
# it with, earns a plain word on when to call the clinic (new numbness, fever, a red or swollen site).
HIGH_PAIN_WITHOUT_BASELINE = 8

_ONE_DECIMAL = Decimal("0.1")


class DiagnosticResult(Choice):
    # The same values as tracker.policy.BlockResult, so a stored result feeds the eligibility engine.
    POSITIVE = "positive", N_("Positive")
    NEGATIVE = "negative", N_("Negative")
    # Why, when it is indeterminate, is `Interpretation.indeterminate_reason`: no baseline, a
    # baseline of 0, or too few entries in the window.
    INDETERMINATE = "indeterminate", N_("Indeterminate")


@dataclass(frozen=True)
class Reading:
    """One diary score after the injection.

    ``hours_after`` is the moment the score describes (``tracker.diary.schedule.describes_hours``):
    the hours from the injection to the moment the pain was felt, inside its point's window or not
    (a 3-month score given on day 100 describes day 100, not day 90), never the label of a point.
    """

    code: str
    hours_after: float
    score: int


def _check_score(value, name):
    # bool is an int in Python; a tick box must never pass for a pain score of 0 or 1.
    if isinstance(value, bool) or not isinstance(value, int) or not NRS_MIN <= value <= NRS_MAX:
        raise ValueError(f"{name} must be a whole number from {NRS_MIN} to {NRS_MAX}, got {value!r}")


def percent_relief(baseline: int | None, score: int | None) -> Decimal | None:
    """(baseline - score) / baseline x 100, to one decimal (half up); a rise in pain is negative.

    None when it is undefined: no baseline, a baseline of 0 (nothing to relieve: neither 0 %
    nor 100 %) or no score.
    """
    if baseline is not None:
        _check_score(baseline, "baseline")
    if score is not None:
        _check_score(score, "score")
    if not baseline or score is None:
        return None
    relief = Decimal(baseline - score) * 100 / Decimal(baseline)
    return relief.quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


def relief_words(baseline: int | None, relief: Decimal | None) -> str | None:
    """A relief as staff read it: "62.5 %", or for a rise in pain "pain worse than before (+6)",
    with the points it rose by (a bare "-200 %" reads as a misprint). Only the words change: the
    negative percentage still decides. None when relief is undefined."""
    if relief is None:
        return None
    if relief < 0:
        return f"pain worse than before (+{pain_rise(baseline, relief)})"
    return f"{relief:.1f}".removesuffix(".0") + " %"


def pain_rise(baseline: int, relief: Decimal) -> int:
    """The points a negative relief stands for: baseline 3 at -200 % is a rise of 6. Relief is
    rounded to 0.1 % of a baseline of at most 10, so rounding gives back the whole points."""
    return round(-relief * baseline / 100)


def worse_than_before(baseline: int | None, score: int) -> bool:
    """A score after the injection worse than the pain before it (over a baseline of 0: any pain),
    or, with no baseline, HIGH_PAIN_WITHOUT_BASELINE or more: the patient is told when to call."""
    _check_score(score, "score")
    if baseline is None:
        return score >= HIGH_PAIN_WITHOUT_BASELINE
    _check_score(baseline, "baseline")
    return score > baseline


def relief_undefined(baseline: int | None) -> str | None:
    """Why relief cannot be computed against this baseline, in the words every page uses; None
    when it can."""
    if baseline is None:
        return "relief cannot be computed: no baseline recorded"
    if baseline == 0:
        return "relief cannot be computed: baseline 0"
    return None


def _checked(readings: Iterable[Reading], baseline: int | None) -> list[Reading]:
    """The readings in time order, refusing a bad score or two readings for one time point
    (a corrected entry replaces the earlier one; passing both would count a superseded score)."""
    if baseline is not None:
        _check_score(baseline, "baseline")
    readings = sorted(readings, key=lambda reading: reading.hours_after)
    seen = set()
    for reading in readings:
        _check_score(reading.score, f"score at {reading.code}")
        if reading.code in seen:
            raise ValueError(f"two readings for time point {reading.code!r}: pass only the current one")
        seen.add(reading.code)
    return readings


def _window(readings, window_hours):
    return [reading for reading in readings if 0 < reading.hours_after <= window_hours]


def diagnostic_result(baseline: int | None, readings: Iterable[Reading], threshold_percent: Decimal | float,
                      window_hours: float = BLOCK_READINGS_UNTIL_HOURS) -> tuple[DiagnosticResult, Decimal | None]:
    """The block's verdict and the peak relief inside the anaesthetic window.

    Positive when the peak reaches the threshold (exactly 75 % is positive for 75), negative
    when it does not, indeterminate when the baseline gives no relief (None or 0) or fewer than
    ``MIN_WINDOW_READINGS`` readings fall in the window (0 < hours_after <= window_hours).
    The peak is returned whatever the verdict (None without a baseline or any window reading),
    so the physician sees what an indeterminate verdict rests on. It is the rounded relief the
    diary shows, so the page never shows a peak of 75.0 % beside a negative verdict.
    """
    readings = _checked(readings, baseline)
    in_window = _window(readings, window_hours)
    if not baseline or not in_window:
        return DiagnosticResult.INDETERMINATE, None
    peak = max(percent_relief(baseline, reading.score) for reading in in_window)
    if len(in_window) < MIN_WINDOW_READINGS:
        return DiagnosticResult.INDETERMINATE, peak
    if peak >= Decimal(str(threshold_percent)):
        return DiagnosticResult.POSITIVE, peak
    return DiagnosticResult.NEGATIVE, peak


def therapeutic_duration(baseline: int | None, readings: Iterable[Reading],
                         threshold_percent: Decimal | float = THERAPEUTIC_RELIEF_PERCENT,
                         window_hours: float = BLOCK_READINGS_UNTIL_HOURS) -> tuple[Reading | None, float | None]:
    """How long relief lasted: the last follow-up reading still at or above the threshold, and
    its days after the injection.

    Follow-up readings are those after the anaesthetic window (hours_after > window_hours).
    DESIGN.md asks for "the last follow-up point still at or above" the threshold; read
    literally, a dip then a recovery would stretch the duration across the dip. Relief is taken
    as lasting only while it was unbroken once the steroid had time to act: a reading below the
    threshold before day 7 (STEROID_ONSET_HOURS: the anaesthetic has worn off, the steroid not yet
    acted) neither ends the run nor counts in it; from day 7 on, the first reading below the
    threshold ends it, and relief that comes back later is another story (another treatment, a
    good week), not this injection's effect. A time point with no entry neither breaks nor
    extends the run. (None, None) when no follow-up reading reaches the threshold before the
    first from day 7 on that is below it, when there is no follow-up reading, or when relief is
    undefined.
    """
    last, _ = _unbroken_run(_checked(readings, baseline), baseline, threshold_percent, window_hours)
    if last is None:
        return None, None
    return last, last.hours_after / 24


def _unbroken_run(readings, baseline, threshold_percent, window_hours):
    """The last follow-up reading of the run at or above the threshold (None when none reached it
    before the run ended, or there is none), and the reading that ended it: the first from day 7 on
    below the threshold (None when relief never fell below then: the diary stopped first)."""
    threshold = Decimal(str(threshold_percent))
    last = None
    for reading in readings:
        if reading.hours_after <= window_hours:
            continue
        relief = percent_relief(baseline, reading.score)
        if relief is not None and relief >= threshold:
            last = reading
        elif relief is None or reading.hours_after >= STEROID_ONSET_HOURS:
            return last, reading
    return last, None


@dataclass(frozen=True)
class ReliefSpan:
    """How long one side's relief lasted, as the diary reads it and the reports count it.

    ``days`` are the whole days to the last follow-up reading of the run (`therapeutic_duration`;
    0 when no reading reached the threshold before it ended), None when there is nothing to judge by (no
    follow-up reading, or relief undefined: no baseline, baseline 0). ``ended`` says relief fell
    below the threshold from day 7 on; otherwise relief had not ended where the diary stops (the
    diary reads the days "so far" while it runs). ``followed_days`` are the whole days to the
    latest follow-up reading. ``none_reached`` says no follow-up reading reached the threshold: the
    diary's "0 days: no relief of 50 % or more".

    The survival curve counts the side as the diary reads it: an event on day ``days`` when relief
    ended, and on day 0 when no follow-up reading reached the threshold (there is no day of relief
    to count, whether or not the diary ran on: a later reading that reaches it moves the side);
    otherwise censored where the diary stops, on ``followed_days``: that is ``days`` while relief still
    held at the latest reading, and later when the latest reading, before day 7, was below the
    threshold (which neither ends nor denies relief seen before it).
    """

    days: int | None
    ended: bool
    followed_days: int | None = None
    none_reached: bool = False

    @property
    def curve_ended(self) -> bool:
        """The side leaves the survival curve as an event (relief ended, or none was seen), not censored."""
        return self.days is not None and (self.ended or self.none_reached)

    @property
    def curve_days(self) -> int | None:
        """The day the side leaves the survival curve: relief's last day when it ended (0 when none was
        seen), else the day its diary stops (censored)."""
        if self.days is None or self.curve_ended:
            return self.days
        return self.days if self.followed_days is None else max(self.days, self.followed_days)


def relief_span(baseline: int | None, readings: Iterable[Reading],
                threshold_percent: Decimal | float = THERAPEUTIC_RELIEF_PERCENT,
                window_hours: float = BLOCK_READINGS_UNTIL_HOURS) -> ReliefSpan:
    """The side's relief span (see `ReliefSpan`), by the same run as `therapeutic_duration`."""
    readings = _checked(readings, baseline)
    if not baseline or not any(reading.hours_after > window_hours for reading in readings):
        return ReliefSpan(None, False)
    last, broke = _unbroken_run(readings, baseline, threshold_percent, window_hours)
    latest = readings[-1]
    return ReliefSpan(math.floor(last.hours_after / 24) if last is not None else 0, broke is not None,
                      math.floor(latest.hours_after / 24), none_reached=last is None)


@dataclass(frozen=True)
class Interpretation:
    """Everything the physician's diary view shows, for one side."""

    baseline: int | None
    # Time point code -> percent relief (None where undefined), in time order.
    relief: Mapping[str, Decimal | None]
    threshold_percent: Decimal
    window_readings: int
    diagnostic: DiagnosticResult
    peak_relief: Decimal | None
    therapeutic_threshold_percent: Decimal
    therapeutic_reading: Reading | None
    therapeutic_days: float | None
    # Why the diagnostic result is indeterminate (None when it is not).
    indeterminate_reason: str | None = None


def interpret(baseline: int | None, readings: Iterable[Reading], profile) -> Interpretation:
    """The diary read under a payer profile (anything with ``diagnostic_relief_threshold_percent``)."""
    readings = _checked(readings, baseline)
    threshold = Decimal(str(profile.diagnostic_relief_threshold_percent))
    diagnostic, peak = diagnostic_result(baseline, readings, threshold)
    lasting, days = therapeutic_duration(baseline, readings)
    return Interpretation(
        baseline=baseline,
        relief={reading.code: percent_relief(baseline, reading.score) for reading in readings},
        threshold_percent=threshold,
        window_readings=len(_window(readings, BLOCK_READINGS_UNTIL_HOURS)),
        diagnostic=diagnostic,
        peak_relief=peak,
        therapeutic_threshold_percent=Decimal(THERAPEUTIC_RELIEF_PERCENT),
        therapeutic_reading=lasting,
        therapeutic_days=days,
        indeterminate_reason=_why_indeterminate(baseline, readings) if diagnostic == DiagnosticResult.INDETERMINATE
        else None,
    )


def _why_indeterminate(baseline, readings):
    in_window = len(_window(readings, BLOCK_READINGS_UNTIL_HOURS))
    return relief_undefined(baseline) or (
        f"too few entries in the anaesthetic window: {in_window}, at least {MIN_WINDOW_READINGS} needed")
