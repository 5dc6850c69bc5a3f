"""The physician's reading of a case's pain diary, and the outcome that closes the case.

`read_outcome_diary` interprets the diary under the case's payer profile (tracker/diary/relief.py
does the arithmetic); `record_outcome` stores the physician's decision, closes the case through
the one transition function and, for a repeat or a confirmatory block, opens the linked new case,
all in one commit.

Choices made here:
- The baseline is the patient's own t0 entry for that side. Without one, the examination's
  baseline pain stands in, and every page that uses it says so.
- A bilateral case is read side by side, and a bilateral block records one diagnostic result
  per joint (Outcome.side_results), each prefilled from that side's diary reading and departing
  from it only with a reason. The case's diagnostic_result then holds the joints' result when they
  agree and is NULL when they differ: every reader asks Outcome.result_for(side). So does the
  therapeutic duration of every bilateral case (Outcome.side_days): each joint's days prefilled from
  its side's diary reading, a departure from that side's reading needing the duration's reason;
  the case's therapeutic_days holds the shorter joint's (None when either joint's is not known: the
  other joint's is not the shorter's), and every reader asks
  Outcome.days_for(side), so a joint whose relief lasted 7 days never reads as the other's 90.
- A repeat or confirmatory block opened from a bilateral block whose joints differ is for the
  positive joint only (the joint whose block failed is not injected again on it); with no
  positive joint the follow-on case keeps the case's sides, as before.
- While the diary runs, relief that still holds at the latest score has not ended: its days are a
  lower bound (censored, as the survival curve counts it), and the page and the form say so. The
  physician may still record them, seeing that. "At least … so far" is said only then: scores
  that never reached 50 % read "no relief of 50 % or more so far", before and after the outcome
  alike (`therapeutic_words`, the one place these words are made).
- Only a block (diagnostic or confirmatory) has a diagnostic result: a therapeutic injection's
  outcome records none, whatever its window scores read, so it never counts in a positive-block rate.
- The diagnostic result may differ from the diary's reading (a misread scale, a phone call), but
  only with a reason, kept on the case's timeline with the close. So may the therapeutic duration
  (outside records of a longer relief), with a reason of its own; the diary's reading is kept
  beside it and both are shown wherever the duration is evidence.
- Recording while diary points are still to come asks for a confirmation first: the duration may
  not be read to its end yet.
- While a score of the anaesthetic window can still come (a window point not closed, without the
  side's score), the block's reading is provisional and every place that shows it says so
  ("positive so far", "negative so far"; with too few scores yet, "not known yet", never
  "indeterminate"), with how many window scores can still come and until when. The reading itself
  (and what an outcome keeps of it) is the same rule as once the window has closed.
- A recorded outcome is corrected by a physician, with a reason; the replaced values are kept as a
  revision and the correction is audited. The next step is not corrected: it may have opened a
  linked case, which has its own life.
"""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from tracker import audit, i18n
from tracker.cases.services import open_case, transition
from tracker.diary import services as diary_services
from tracker.diary.kept import Scored, follow_up_readings, recalled_baseline_counts
from tracker.diary.relief import (BLOCK_READINGS_UNTIL_HOURS, MIN_WINDOW_READINGS, THERAPEUTIC_RELIEF_PERCENT,
                                  DiagnosticResult, Interpretation, interpret, percent_relief, relief_span,
                                  relief_undefined, relief_words)
from tracker.clinical import ODI_SECTIONS
from tracker.diary.schedule import EntryStatus, Phase
from tracker.extensions import db
from tracker.models import Case, Outcome, OutcomeRevision
from tracker.policy import DIAGNOSTIC_INDICATIONS
from tracker.refusals import FieldError, Refusal, check_version, each_checked
from tracker.timeutil import clinic_today, format_clinic, to_clinic, utcnow
from tracker.transactions import service, undo_refused_write
from tracker.vocab import EntrySource, Indication, NextStep, Side, joints_of
from tracker.workflow import FINAL_STATES, State

# The next steps that are another injection: each opens a new case linked to this one.
FOLLOW_ON_INDICATION = {
    NextStep.REPEAT_INJECTION: Indication.THERAPEUTIC,
    NextStep.CONFIRMATORY_BLOCK: Indication.CONFIRMATORY,
}
# The longest therapeutic duration a person can type: the diary follows 12 months; outside records
# may tell of longer relief, but not of decades.
MAX_THERAPEUTIC_DAYS = 3650


# Hours read back into a moment may be off by a microsecond or so.
_ROUNDING = timedelta(seconds=1)


def has_block_result(case):
    """A diagnostic or confirmatory block has a diagnostic result; a therapeutic injection has none."""
    return case.indication in DIAGNOSTIC_INDICATIONS


class OutcomeRefused(Refusal):
    """The outcome cannot be recorded (already recorded, wrong state); the message says why."""


@dataclass(frozen=True)
class Baseline:
    score: int | None
    # "diary" (the patient's t0 entry), "examination" (stand-in) or None (neither recorded).
    source: str | None
    # A t0 entry given for an appointment that did not take place (diary_services.given_earlier):
    # named on the page, never read as the baseline.
    earlier: object = None
    # The t0 score as first entered when it was recalled after the injection (marked late, or first
    # entered after the injection: staff typing a score the patient gave earlier, on a call). It is
    # the baseline only where the examination recorded none (a score is read by the moment it
    # describes), and the page says what it is.
    recalled: object = None
    # That recalled entry, set aside for the examination's baseline (`recalled_baseline_counts`).
    set_aside: object = None

    @property
    def from_examination(self):
        return self.source == "examination"


@dataclass(frozen=True)
class SideReading:
    """One side's diary read under the profile."""

    side: Side
    baseline: Baseline
    interpretation: Interpretation
    readings: tuple  # the post-injection Readings, in time order
    follow_up_peak: object  # best relief after the anaesthetic window (Decimal or None)

    @property
    def relief_undefined(self):
        """"relief cannot be computed: baseline 0" (or no baseline), or None."""
        return relief_undefined(self.baseline.score)

    @property
    def therapeutic_days(self):
        """Whole days relief lasted at 50 % or more: 0 when follow-up scores exist and the first is
        already below, None when there is nothing to judge by."""
        return self.span.days

    @property
    def relief_ended(self):
        """Relief fell below 50 %: its days are its duration, not a lower bound."""
        return self.span.ended

    @property
    def span(self):
        return relief_span(self.baseline.score, self.readings)

    @property
    def latest_follow_up(self):
        """The latest score after the anaesthetic window, or None."""
        return next((r for r in reversed(self.readings) if r.hours_after > BLOCK_READINGS_UNTIL_HOURS), None)

    def snapshot(self, block=True):
        """What Outcome.per_side keeps for this side: the figures shown when the outcome was
        recorded, and the scores behind them (so a payer's other relief threshold can be read
        from them later, see tracker/eligibility/facts.py). No diagnostic reading unless `block`."""
        i = self.interpretation
        return {
            "diagnostic": i.diagnostic.value if block else None,
            "peak_relief": _number(i.peak_relief),
            "therapeutic_days": self.therapeutic_days,
            "follow_up_peak_relief": _number(self.follow_up_peak),
            "threshold_percent": _number(i.threshold_percent),
            "baseline": self.baseline.score,
            "baseline_source": self.baseline.source,
            "readings": [[r.code, r.hours_after, r.score] for r in self.readings],
        }


def _number(value):
    return None if value is None else float(value)


@dataclass(frozen=True)
class WindowToCome:
    """The anaesthetic window's scores a side can still be given: how many, and the moment the last
    of their windows closes."""

    count: int
    until: datetime


@dataclass
class DiaryRow:
    """One time point of the table: its entries and relief per side."""

    view: object  # tracker.diary.services.PointView
    relief: dict  # Side -> Decimal | None

    @property
    def is_baseline(self):
        return self.view.is_baseline


@dataclass
class OutcomeDiary:
    case: Case
    profile: object
    rows: list
    sides: list  # SideReading per side, in sides_of(case) order
    now: datetime  # the moment the diary was read (its points' statuses are as of then)

    @property
    def is_block(self):
        return has_block_result(self.case)

    @property
    def injected_at(self):
        """When the injection was given (the diary is timed from it), or None."""
        return next((row.view.injected_at for row in self.rows if row.view.injected_at is not None), None)

    @property
    def suggested_result(self):
        if not self.is_block:
            return None
        results = {reading.interpretation.diagnostic for reading in self.sides}
        return results.pop() if len(results) == 1 else None

    @property
    def bilateral_block(self):
        """A block of both joints: its outcome records a result per joint."""
        return self.is_block and len(self.sides) > 1

    def diary_result(self, side):
        """One side's diagnostic reading (a DiagnosticResult), or None (not a block, no such side)."""
        if not self.is_block:
            return None
        side = str(getattr(side, "value", side))
        return next((r.interpretation.diagnostic for r in self.sides if r.side.value == side), None)

    def diary_days(self, side):
        """One side's diary reading of the duration (None: nothing to judge by, or no such side)."""
        side = str(getattr(side, "value", side))
        return next((r.therapeutic_days for r in self.sides if r.side.value == side), None)

    def side_reading(self, side):
        """One side's SideReading, or None."""
        side = str(getattr(side, "value", side))
        return next((r for r in self.sides if r.side.value == side), None)

    def window_to_come(self, side_reading):
        """The side's anaesthetic-window scores that can still come (`WindowToCome`): the case is
        open and a window point's window has not closed without the side's score. None when none can:
        the block's reading is then final (a score recalled later is a memory, never counted)."""
        if self.case.state in FINAL_STATES:
            return None
        to_come = [row.view for row in self.rows if row.view.point.phase == Phase.ANAESTHETIC
                   and side_reading.side not in row.view.entries and self.now <= row.view.due.closes_at]
        if not to_come:
            return None
        return WindowToCome(len(to_come), max(view.due.closes_at for view in to_come))

    def block_so_far(self, side_reading):
        """The side's block reading is provisional (`WindowToCome`), or None when it is final: not a
        block, relief undefined (no window score can change that), or no window score can come."""
        if not self.is_block or side_reading.relief_undefined:
            return None
        return self.window_to_come(side_reading)

    def diagnostic_heading(self, side_reading):
        """The block's reading as the diary page heads it: "Positive", or while window scores can
        still come "Positive so far", "Negative so far", and with too few scores yet "Not known yet"."""
        diagnostic = side_reading.interpretation.diagnostic
        if self.block_so_far(side_reading) is None:
            return diagnostic.label
        if diagnostic == DiagnosticResult.POSITIVE:
            return _("Positive so far")
        if diagnostic == DiagnosticResult.NEGATIVE:
            return _("Negative so far")
        return _("Not known yet")

    def diagnostic_reason(self, side_reading):
        """Why the block's reading is indeterminate, or not known yet (too few window scores so far);
        None otherwise."""
        i = side_reading.interpretation
        if i.indeterminate_reason is None:
            return None
        if self.block_so_far(side_reading) is None:
            return i.indeterminate_reason
        return _("too few entries in the anaesthetic window so far: %(count)s, at least %(needed)s needed",
                 count=i.window_readings, needed=MIN_WINDOW_READINGS)

    def window_to_come_words(self, side_reading):
        """ "6 more scores can come in the window, until 3:30 PM" while the block's reading is
        provisional; None once it is final."""
        to_come = self.block_so_far(side_reading)
        if to_come is None:
            return None
        until = i18n.when(to_come.until, self.now)
        if side_reading.interpretation.window_readings:
            return ngettext("%(num)s more score can come in the window, until %(until)s",
                            "%(num)s more scores can come in the window, until %(until)s", to_come.count,
                            until=until)
        return ngettext("%(num)s score can come in the window, until %(until)s",
                        "%(num)s scores can come in the window, until %(until)s", to_come.count, until=until)

    def result_words(self, side_reading):
        """The side's block reading inline, as the outcome form and its refusals say it: "positive"
        once final; "positive so far (6 more scores can come in the window, until 3:30 PM)" while
        provisional, and "indeterminate for now: not known yet (…)" with too few window scores yet."""
        diagnostic = side_reading.interpretation.diagnostic
        to_come = self.window_to_come_words(side_reading)
        if to_come is None:
            return diagnostic.label.lower()
        if diagnostic == DiagnosticResult.POSITIVE:
            return _("positive so far (%(to_come)s)", to_come=to_come)
        if diagnostic == DiagnosticResult.NEGATIVE:
            return _("negative so far (%(to_come)s)", to_come=to_come)
        return _("indeterminate for now: not known yet (%(to_come)s)", to_come=to_come)

    @property
    def suggested_days(self):
        days = [reading.therapeutic_days for reading in self.sides]
        return None if any(d is None for d in days) else min(days)

    @property
    def diary_running(self):
        """The diary still takes scores: the case is open and a point's window has not closed."""
        return self.case.state not in FINAL_STATES and bool(self.points_to_come)

    def relief_open(self, side_reading):
        """The side's relief has not ended while the diary runs: a later score may still change its days."""
        return self.diary_running and side_reading.therapeutic_days is not None and not side_reading.relief_ended

    def relief_so_far(self, side_reading):
        """The side's duration is a lower bound: relief still held (50 % or more) at its latest
        score while the diary runs."""
        latest = side_reading.latest_follow_up
        return (self.relief_open(side_reading) and latest is not None
                and latest == side_reading.interpretation.therapeutic_reading)

    @property
    def suggested_side(self):
        """The side the suggested duration comes from (the shorter; of two as short, one whose
        relief still holds), or None."""
        days = self.suggested_days
        giving = [side for side in self.sides if days is not None and side.therapeutic_days == days]
        return next((side for side in giving if self.relief_so_far(side)), giving[0] if giving else None)

    @property
    def suggested_days_so_far(self):
        """The suggested duration is a lower bound (the side giving it still held relief)."""
        side = self.suggested_side
        return side is not None and self.relief_so_far(side)

    def reading_label(self, reading):
        """The point's label, with the moment the score describes when that is another day than the
        point's: a score is read at the moment it was felt, so a 3-month score given on day 100 reads
        "3 months, given on day 100" (its relief was seen until day 100, not 90); one given after its
        point closed (filed there before that was refused) reads as that moment. A score is never
        shown under a label alone that it does not describe."""
        view = next((row.view for row in self.rows if row.view.code == reading.code), None)
        if view is None:
            return reading.code
        day = math.floor(reading.hours_after / 24)
        if view.injected_at is not None and view.due.opens_at is not None:
            felt_at = view.injected_at + timedelta(hours=reading.hours_after)
            if not view.due.opens_at - _ROUNDING <= felt_at <= view.due.closes_at + _ROUNDING:
                return f"day {day} (given after “{view.label}” closed)"
        if view.point.hours_after is None or day == math.floor(view.point.hours_after / 24):
            return view.label
        if reading.hours_after < 48:
            return f"{view.label}, given {math.floor(reading.hours_after)} hours after the injection"
        return f"{view.label}, given on day {day}"

    def therapeutic_words(self, side, with_next=True, now=None):
        """How long the side's relief lasted, in the words the diary page and the outcome form's
        hint both use, so the same scores read the same before and after the outcome: "at least N
        days so far" only while relief still holds at the latest score, "no relief of 50 % or more"
        when no follow-up score reached it. `with_next` adds when the next score is due while the
        diary runs."""
        if side.relief_undefined:
            return _("not known: %(relief_undefined)s", relief_undefined=side.relief_undefined)
        days, latest = side.therapeutic_days, side.latest_follow_up
        if days is None or latest is None:
            return _("not known yet (no follow-up score)")
        latest_words = _("latest: %(label)s, %(relief)s", label=self.reading_label(latest),
                         relief=relief_words(side.baseline.score, percent_relief(side.baseline.score, latest.score)))
        lasting = side.interpretation.therapeutic_reading
        lasting_label = self.reading_label(lasting) if lasting else ""
        lasting_label = lasting_label[:1].lower() + lasting_label[1:]
        open_ = self.relief_open(side)
        if lasting is None and open_:
            words = _("0 days: no relief of %(pct)s %% or more so far (%(latest)s)",
                      pct=THERAPEUTIC_RELIEF_PERCENT, latest=latest_words)
        elif lasting is None:
            words = _("0 days: no relief of %(pct)s %% or more (%(latest)s)",
                      pct=THERAPEUTIC_RELIEF_PERCENT, latest=latest_words)
        elif self.relief_so_far(side):
            words = ngettext("at least %(num)s day so far (last follow-up point at 50 %% or more: %(label)s); "
                             "relief had not ended at the latest score",
                             "at least %(num)s days so far (last follow-up point at 50 %% or more: %(label)s); "
                             "relief had not ended at the latest score", days, label=lasting_label)
        elif open_:
            words = ngettext("%(num)s day so far (last follow-up point at 50 %% or more: %(label)s); %(latest)s: "
                             "below 50 %% before day 7, which neither ends nor denies relief",
                             "%(num)s days so far (last follow-up point at 50 %% or more: %(label)s); %(latest)s: "
                             "below 50 %% before day 7, which neither ends nor denies relief",
                             days, label=lasting_label, latest=latest_words)
        else:
            words = ngettext("%(num)s day (last follow-up point at 50 %% or more: %(label)s)",
                             "%(num)s days (last follow-up point at 50 %% or more: %(label)s)", days,
                             label=lasting_label)
        if open_ and with_next and self.next_score is not None:
            words += "; " + self.next_score_words(now)
        return words

    def next_score_words(self, now=None):
        """The next score and when it is due, as the reading says it while the diary runs."""
        return _("the diary is still running: next score “%(label)s”, %(timing)s",
                 label=self.next_score.label, timing=self.next_score_timing(now))

    def next_score_timing(self, now=None):
        """When the next score is asked, as the patient's diary page reads it: "due now, until …"
        while its window is open (never a past moment as "next due", nor the moment it opened),
        else "due …"."""
        now = now or utcnow()
        view = self.next_score
        if view.status == EntryStatus.OPEN:
            return _("due now, until %(until)s", until=i18n.when(view.due.closes_at, now))
        return _("due %(when)s", when=i18n.when(view.row.due_at or view.row.opens_at, now))

    @property
    def next_score(self):
        """The next post-injection point still to come (its label and due time are shown), or None."""
        to_come = self.points_to_come
        return to_come[0] if to_come else None

    @property
    def points_to_come(self):
        """The post-injection points still waiting for a score whose window has not closed."""
        return [row.view for row in self.rows if not row.is_baseline and not row.view.entered
                and row.view.status in (EntryStatus.NOT_OPEN, EntryStatus.OPEN)]

    def snapshot(self):
        """Outcome.per_side; "days_so_far" marks a side whose days were a lower bound when recorded
        (relief still held at its latest score while the diary ran)."""
        return {reading.side.value: {**reading.snapshot(self.is_block), "days_so_far": self.relief_so_far(reading)}
                for reading in self.sides}


def read_outcome_diary(case, profile=None):
    """The case's diary with its interpretation per side, in a fixed number of queries."""
    from tracker.eligibility.standing import profile_for  # the profile's threshold decides

    profile = profile or profile_for(case)
    now = utcnow()
    diary = diary_services.read_diary(case, now=now, for_patient=False)
    sides = [_read_side(side, _baseline(case, diary, side), _readings(diary, side), profile)
             for side in diary_services.sides_of(case)]
    return OutcomeDiary(case, profile, _rows(diary, sides), sides, now)


def _baseline(case, diary, side):
    """The patient's own score before the injection; without one, the examination's."""
    t0 = diary.view(diary_services.BASELINE)
    entry = t0.entries.get(side) if t0 else None
    exam_score = case.examination.baseline_nrs if case.examination else None
    if entry is not None:
        first = diary_services.first_entry(entry)
        injected_at = diary.injected_at
        after = entry.late or (injected_at is not None and first.entered_at > injected_at)
        if recalled_baseline_counts(after, exam_score):
            return Baseline(entry.score, "diary", recalled=first if after else None)
        return Baseline(exam_score, "examination", set_aside=entry)
    earlier = t0.earlier.get(side) if t0 else None
    return Baseline(exam_score, "examination" if exam_score is not None else None, earlier)


def _readings(diary, side):
    """One side's post-injection scores, each at the moment it describes, in time order
    (tracker.diary.kept.follow_up_readings, the reports' reading too)."""
    injected_at = next((view.injected_at for view in diary.points if view.injected_at is not None), None)
    return follow_up_readings((Scored(view.point, entry.score, entry.felt_at, entry.late)
                               for view in diary.points if (entry := view.entries.get(side)) is not None),
                              injected_at)


def _read_side(side, baseline, readings, profile):
    follow_up = [percent_relief(baseline.score, r.score) for r in readings
                 if r.hours_after > BLOCK_READINGS_UNTIL_HOURS]
    peak = max((relief for relief in follow_up if relief is not None), default=None)
    return SideReading(side, baseline, interpret(baseline.score, readings, profile), readings, peak)


def _rows(diary, sides):
    """The table: every point in time order (the baseline first), with relief per side."""
    baselines = {reading.side: reading.baseline.score for reading in sides}
    ordered = sorted(diary.points, key=lambda v: (v.point.hours_after is not None, v.point.hours_after or 0))
    return [DiaryRow(view, {} if view.is_baseline else
                     {side: percent_relief(baselines[side], entry.score)
                      for side, entry in view.entries.items() if side in baselines})
            for view in ordered]


# New columns go at the end: scripts read the earlier ones by position.
DIARY_CSV_HEADER = ["Case", "MRN", "Time point", "Side", "Status", "Entered at", "Score", "Relief %", "Late",
                    "Entered by", "Corrected", "Analgesic", "Opioid", "Physical therapy", "Felt at", "Typed by",
                    "Corrected at", "Relief as the page says it", "Baseline used"]


def diary_csv_rows(reading):
    """The diary table as the CSV download writes it: one line per time point and side (a point
    still waiting for a side's score is a line too, with its status in the page's words)."""
    patient = reading.case.patient
    baselines = {s.side: s.baseline.score for s in reading.sides}
    # Which baseline the side's relief is measured from, so a spreadsheet can work it out again.
    used = {s.side: baseline_used_words(s.baseline) for s in reading.sides}
    for row in reading.rows:
        view = row.view
        status = diary_services.point_status(reading.case, view)
        for side in (s.side for s in reading.sides):
            entry = view.entries.get(side)
            if entry is None:
                yield (reading.case.id, patient.mrn, view.label, side, status) + (None,) * 13 + (used[side],)
                continue
            # The moment the score describes (a score given by phone: when the patient felt it, not
            # when it was typed) and, as the case page names them, the staff member who typed it.
            typed_by = entry.entered_by.name if entry.source == EntrySource.STAFF_PHONE and entry.entered_by else None
            # As the pages say it: when and how the score was first entered, and when it was last corrected.
            first = diary_services.first_entry(entry)
            # The number, for a spreadsheet's sums; and at the end its words as the pages say them
            # (a rise in pain is "pain worse than before (+6)", never read as "-200" relief).
            relief = None if view.is_baseline else row.relief.get(side)
            yield (reading.case.id, patient.mrn, view.label, side, status, first.entered_at, entry.score,
                   relief, entry.late, first.source, entry.corrected,
                   entry.analgesic_used, entry.opioid_used, entry.physical_therapy_done, entry.felt_at, typed_by,
                   diary_services.corrected_at(entry), relief_words(baselines.get(side), relief), used[side])


def baseline_used_words(baseline):
    """The baseline a side's relief is measured from, for the CSV: "7 (examination)", "8 (before the
    injection)", "8 (recalled after the injection)", or None when there is none."""
    if baseline.score is None:
        return None
    if baseline.from_examination:
        return f"{baseline.score} (examination)"
    return f"{baseline.score} ({'recalled after the injection' if baseline.recalled else 'before the injection'})"


def already_recorded(outcome):
    return (f"The outcome was already recorded by {outcome.decided_by.name} on "
            f"{format_clinic(outcome.decided_at)}; nothing was changed.")


@service
def record_outcome(case, actor, diagnostic_result, therapeutic_days, next_step, notes="", reason="",
                   version_id=None, reading=None, days_reason="", confirm_early=False, side_results=None,
                   side_days=None):
    """Store the outcome, close the case and open the linked new case if the next step is another
    injection, in one commit. Returns the Outcome.

    A bilateral block's result is given per joint in `side_results` ({"left": ..., "right": ...});
    a `diagnostic_result` given instead stands for every joint. A bilateral case's duration is given
    per joint in `side_days` ({"left": days, "right": days}); a `therapeutic_days` given instead is
    read as `given_days` says.

    Raises FieldError (a value to correct, a reason or a confirmation missing), OutcomeRefused
    (already recorded, case not in follow-up), TransitionRefused or StaleEdit (the case changed
    since the form was opened); nothing is written then.
    """
    if case.outcome is not None:
        raise OutcomeRefused(already_recorded(case.outcome))
    if case.state != State.FOLLOW_UP:
        raise OutcomeRefused(f"An outcome is recorded in follow-up; this case is {case.state.label.lower()}.")
    reading = reading or read_outcome_diary(case)
    results = given_results(case, diagnostic_result, side_results)
    days = given_days(case, therapeutic_days, side_days, reading.diary_days, reading.suggested_days)
    next_step = NextStep(next_step)
    _given_ok, _days_ok, why, days_reason, _to_come = each_checked(
        lambda: _check_given(results), lambda: _check_days(days, reading.injected_at, reading.diary_days),
        *_recording_checks(reading, results, days, reason, days_reason, confirm_early))
    try:
        outcome = _write(case, actor, results, days, days_reason, next_step, notes, why, version_id, reading)
        db.session.commit()
    except IntegrityError:
        # Another tab or person recorded it between our check and our write (one outcome per case).
        undo_refused_write()
        db.session.refresh(case)
        raise OutcomeRefused(already_recorded(case.outcome) if case.outcome else
                             "The outcome could not be saved; reload the case and try again.") from None
    return outcome


def given_results(case, diagnostic_result, side_results=None):
    """The block's result per joint as given, {"left": DiagnosticResult | None, ...} (None: not given
    or not a result), or None for a therapeutic injection (it has no result). One result given for a
    bilateral block stands for both joints."""
    if not has_block_result(case):
        return None
    joints = [joint.value for joint in joints_of(case.side)]
    side_results = side_results if side_results is not None else {}
    known = {r.value for r in DiagnosticResult}

    def one(joint):
        value = side_results.get(joint) if joint in side_results else diagnostic_result
        value = getattr(value, "value", value)
        return DiagnosticResult(value) if value in known else None

    return {joint: one(joint) for joint in joints}


def result_field(joint, bilateral):
    """The form field of one joint's result: "left_result" of a bilateral block, else the one
    "diagnostic_result"."""
    return f"{joint}_result" if bilateral else "diagnostic_result"


def _check_given(results):
    """Every joint's result was given; each missing one is named next to its field."""
    if results is None:
        return None
    bilateral = len(results) > 1
    each_checked(*(
        (lambda joint=joint: _refuse(result_field(joint, bilateral),
                                     f"Choose the {joint} joint's diagnostic result." if bilateral
                                     else "Choose the diagnostic result."))
        for joint, result in results.items() if result is None))
    return None


def _refuse(field, message):
    raise FieldError(field, message)


def stored_results(results):
    """(diagnostic_result, side_results) as an outcome keeps them: one joint's result alone; a
    bilateral block's per joint, with the case's one result only when the joints agree."""
    if results is None:
        return None, None
    values = {joint: result.value for joint, result in results.items()}
    distinct = set(values.values())
    one = distinct.pop() if len(distinct) == 1 else None
    return one, (values if len(values) > 1 else None)


def results_words(row, bilateral_words=True):
    """A block's recorded result in words: "positive", or per joint "left joint negative, right
    joint positive" (row: an Outcome or an OutcomeRevision); "" when none."""
    per_joint = row.results_by_side
    if per_joint:
        return ", ".join(f"{joint} joint {result}" for joint, result in per_joint)
    return row.diagnostic_result or ""


def given_days(case, therapeutic_days, side_days=None, diary_days=None, case_diary_days=None):
    """Each joint's therapeutic duration as given, {"left": days | None, ...} (None: not known): a
    one-sided case's one; a bilateral case's per joint (`side_days`). One duration given for a
    bilateral case instead (a caller that knows no joints) is read as it was before durations were
    kept per joint: the diary's reading (`case_diary_days`, the shorter side's) stands for each
    joint's own (`diary_days(joint)`), another value for both joints, departing from a joint's
    reading only with the duration's reason."""
    joints = [joint.value for joint in joints_of(case.side)]
    if len(joints) == 1:
        return {joints[0]: therapeutic_days}
    if side_days is not None:
        return {joint: side_days.get(joint) for joint in joints}
    if therapeutic_days is not None and therapeutic_days == case_diary_days and diary_days is not None:
        return {joint: diary_days(joint) for joint in joints}
    return {joint: therapeutic_days for joint in joints}


def days_field(joint, bilateral):
    """The form field of one joint's duration: "left_days" of a bilateral case, else the one
    "therapeutic_days"."""
    return f"{joint}_days" if bilateral else "therapeutic_days"


def stored_days(days):
    """(therapeutic_days, side_days) as an outcome keeps them: one joint's duration alone; a
    bilateral case's per joint, with the shorter joint's as the case's, which is not known (None) when
    either joint's is not: the other joint's is not the shorter's (as the diary's `suggested_days`)."""
    if len(days) == 1:
        (one,) = days.values()
        return one, None
    return (None if None in days.values() else min(days.values())), dict(days)


def _check_days(days, injected_at=None, diary_days=None):
    """Every joint's duration, when given, is whole days in range; one other than the diary's reading
    (`diary_days(joint)`, read from scores already given) is no longer than the days from the
    injection to today: relief cannot have lasted longer than the time since it was given, and a
    duration that did would meet a repeat injection's criterion on no evidence. Each wrong one is
    named next to its field."""
    bilateral = len(days) > 1
    # Days from the injection's clinic day to today, as an injection given elsewhere counts them (a
    # Monday afternoon to the next Monday morning is 7), and never fewer than the whole days elapsed.
    since = (max((clinic_today() - to_clinic(injected_at).date()).days, (utcnow() - injected_at) // timedelta(days=1))
             if injected_at is not None else None)

    def refuse(joint, value):
        field = days_field(joint, bilateral)
        if not 0 <= value <= MAX_THERAPEUTIC_DAYS:
            _refuse(field, f"Enter the {joint} joint's number of days from 0 to {MAX_THERAPEUTIC_DAYS}."
                    if bilateral else f"Enter a number of days from 0 to {MAX_THERAPEUTIC_DAYS}.")
        if since is not None and value > since and (diary_days is None or value != diary_days(joint)):
            _refuse(field, f"Relief cannot have lasted longer than the time since the injection "
                           f"({format_clinic(injected_at, '%d %b %Y')}): at most {days_read(since)} today.")

    each_checked(*((lambda joint=joint, value=value: refuse(joint, value))
                   for joint, value in days.items() if value is not None))


def _departures(reading, results, reason):
    """The timeline's words for results other than the diary's reading ('' when each agrees): the
    one result as before, or each joint's of a bilateral block; FieldError without a reason. A
    result not given is not judged."""
    if not results:
        return ""
    if len(results) == 1:
        (result,) = results.values()
        read = reading.result_words(reading.sides[0])
        return _result_departure(result, reading.suggested_result, reason, read) if result else ""
    departing = [(joint, result, reading.diary_result(joint)) for joint, result in results.items()
                 if result is not None and reading.diary_result(joint) not in (None, result)]
    if not departing:
        return ""
    reason = (reason or "").strip()
    if not reason:
        read = " and ".join(f"the {joint} joint {reading.result_words(reading.side_reading(joint))}"
                            for joint, _r, _diary in departing)
        recorded = " and ".join(result.label.lower() for _j, result, _d in departing)
        raise FieldError("reason", f"The diary reads {read}. Give the reason for recording {recorded} instead.")
    return "; ".join(f"{joint.capitalize()} joint's diagnostic result recorded as {result.value}; the diary read "
                     f"{diary.value}" for joint, result, diary in departing) + f": {reason}"


def _result_departure(result, suggested, reason, read_words):
    """The timeline's words for a result other than the diary's reading ('' when it agrees);
    FieldError without a reason, naming the reading as `read_words` say it (so far, while window
    scores can still come)."""
    reason = (reason or "").strip()
    if suggested is None or result == suggested:
        return ""
    if not reason:
        raise FieldError("reason", f"The diary reads {read_words}. Give the reason for "
                                   f"recording {result.label.lower()} instead.")
    return f"Diagnostic result recorded as {result.value}; the diary read {suggested.value}: {reason}"


def days_read(days):
    return "no duration (nothing to judge by)" if days is None else f"{days} day{'' if days == 1 else 's'}"


def _days_departure(days, diary_days, days_reason):
    """The reason kept for a duration other than the diary's reading ('' when it agrees or is left
    unknown); FieldError without one."""
    days_reason = (days_reason or "").strip()
    if days is None or days == diary_days:
        return ""
    if not days_reason:
        raise FieldError("days_reason", f"The diary reads {days_read(diary_days)}. Give the reason for "
                                        f"recording {days_read(days)} instead (for example the outside records).")
    return days_reason


def _days_departures(days, diary_days, case_diary_days, days_reason):
    """The reason kept for durations other than the diary's reading ('' when each agrees or is left
    unknown): a one-sided case's against the diary's one reading, as before; a bilateral case's
    each against its own side's reading (`diary_days(joint)`). FieldError without a reason."""
    if len(days) == 1:
        (one,) = days.values()
        return _days_departure(one, case_diary_days, days_reason)
    departing = [(joint, value, diary_days(joint)) for joint, value in days.items()
                 if value is not None and value != diary_days(joint)]
    days_reason = (days_reason or "").strip()
    if not departing:
        return ""
    if not days_reason:
        read = " and ".join(f"the {joint} joint {days_read(diary)}" for joint, _v, diary in departing)
        recorded = " and ".join(f"{days_read(value)} for the {joint} joint" for joint, value, _d in departing)
        raise FieldError("days_reason", f"The diary reads {read}. Give the reason for recording {recorded} "
                                        "instead (for example the outside records).")
    return days_reason


def _check_nothing_to_come(reading, confirmed):
    to_come = reading.points_to_come
    if to_come and not confirmed:
        first = to_come[0]
        raise FieldError("confirm_early", (
            f"The diary still has {len(to_come)} score{'' if len(to_come) == 1 else 's'} to come (next: "
            f"“{first.label}”, {reading.next_score_timing()}), so relief may not be read to its end, "
            "and closing the case ends the patient's diary: it takes no more scores. "
            "Tick the box to record the outcome now anyway."))


def _write(case, actor, results, days, days_reason, next_step, notes, why, version_id, reading):
    one, per_joint = stored_results(results)
    therapeutic_days, joint_days = stored_days(days)
    outcome = Outcome(case=case, diagnostic_result=one, side_results=per_joint, therapeutic_days=therapeutic_days,
                      side_days=joint_days, diary_therapeutic_days=reading.suggested_days,
                      therapeutic_days_reason=days_reason,
                      per_side=reading.snapshot(), next_step=next_step, notes=(notes or "").strip(),
                      decided_by_id=actor.id, decided_at=utcnow())
    db.session.add(outcome)
    transition(case, "close", actor, reason=why, version_id=version_id, commit=False)
    indication = FOLLOW_ON_INDICATION.get(next_step)
    if indication is not None:
        outcome.follow_on_case = _open_follow_on(case, indication, actor, follow_on_side(case, per_joint))
    audit.record(audit.Action.CREATE, "outcome", case.id,
                 summary="outcome recorded (diagnostic result, therapeutic duration, next step)"
                 + ((f"; duration {_days(therapeutic_days)}, against the diary's {_days(reading.suggested_days)}"
                     if joint_days is None else
                     "; duration per joint " + ", ".join(f"{joint} {_days(value)}" for joint, value in joint_days.items())
                     + ", against the diary's "
                     + ", ".join(f"{joint} {_days(reading.diary_days(joint))}" for joint in joint_days))
                    if days_reason else "")
                 + (f"; follow-on case #{outcome.follow_on_case.id} opened" if indication else ""),
                 user=actor)
    return outcome


def _days(days):
    """A duration for the audit trail: "120 days", or "not known" (a joint left empty)."""
    return "not known" if days is None else f"{days} days"


@service
def correct_outcome(outcome, actor, diagnostic_result, therapeutic_days, days_reason, notes, reason, version_id,
                    side_results=None, side_days=None):
    """A physician's correction of a recorded outcome: the replaced values are kept as a revision
    with who, when and why, and audited. The duration still needs its own reason where it departs
    from the diary's reading (a bilateral case's each joint's from its side's). A bilateral block's
    results are corrected per joint (`side_results`), a bilateral case's durations too (`side_days`).
    Raises FieldError or StaleEdit; nothing is written then."""
    check_version(outcome, version_id)
    case = outcome.case
    results = given_results(case, diagnostic_result, side_results)
    days = given_days(case, therapeutic_days, side_days, outcome.diary_days_for, outcome.diary_therapeutic_days)
    reason = (reason or "").strip()
    _given_ok, _days_ok, _reason_ok, days_reason = each_checked(
        lambda: _check_given(results),
        lambda: _check_days(days, diary_services.read_diary(case, for_patient=False).injected_at,
                            outcome.diary_days_for),
        *_correction_checks(outcome, days, days_reason, reason))
    joints = [joint.value for joint in joints_of(case.side)]
    # What each joint's result is, as read (an outcome recorded before results were kept per joint
    # has its one result for both): a correction that changes nothing is refused on what it means.
    read_before = tuple(outcome.result_for(joint) for joint in joints)
    days_before = tuple(outcome.days_for(joint) for joint in joints)
    before = (outcome.diagnostic_result, outcome.side_results, outcome.therapeutic_days, outcome.side_days,
              outcome.therapeutic_days_reason, outcome.notes)
    # A therapeutic injection's correction asks no result: one an earlier release let the form
    # record stays as it was (the report and the pages do not read it), never erased by a
    # correction of the days or the notes.
    kept = stored_results(results) if results is not None else (outcome.diagnostic_result, outcome.side_results)
    after = (*kept, *stored_days(days), days_reason, (notes or "").strip())
    read_after = tuple((results[joint].value for joint in joints) if results is not None else read_before)
    days_after = tuple(days[joint] for joint in joints)
    # Compared as read: each joint's result and duration, the duration's reason, the notes.
    if (read_before, days_before, *before[4:]) == (read_after, days_after, *after[4:]):
        raise FieldError("correction_reason", "Nothing was changed: correct a value, or leave the outcome as it is.")
    db.session.add(OutcomeRevision(outcome=outcome, diagnostic_result=before[0], side_results=before[1],
                                   therapeutic_days=before[2], side_days=before[3], therapeutic_days_reason=before[4],
                                   notes=before[5], replaced_at=utcnow(), replaced_by_id=actor.id, reason=reason))
    (outcome.diagnostic_result, outcome.side_results, outcome.therapeutic_days, outcome.side_days,
     outcome.therapeutic_days_reason, outcome.notes) = after
    names = ("diagnostic result", "therapeutic duration", "duration reason", "notes")
    changed = [name for name, old, new in zip(names, (read_before, days_before, *before[4:]),
                                              (read_after, days_after, *after[4:])) if old != new]
    departs = outcome.result_departs_from_diary and read_before != read_after
    diary_read = (", ".join(f"{joint} {outcome.diary_result_for(joint)}" for joint in joints
                            if outcome.side_departs_from_diary(joint)) if outcome.side_results
                  else outcome.diary_result)
    keys = ("diagnostic_result", "side_results", "therapeutic_days", "side_days", "therapeutic_days_reason", "notes")
    audit.record(audit.Action.UPDATE, "outcome", outcome.case_id,
                 summary=f"outcome corrected ({', '.join(changed)}); reason and earlier values kept"
                 + (f"; the diary read {diary_read}" if departs else ""), user=actor,
                 before=_without_empty_sides(dict(zip(keys, before))),
                 after=_without_empty_sides(dict(zip(keys, after))))
    db.session.commit()
    return outcome


def _without_empty_sides(values):
    """The audit's values as before for a one-sided case (no side_results or side_days key when it
    has none)."""
    for key in ("side_results", "side_days"):
        if values.get(key) is None:
            values.pop(key)
    return values


def _check_correction_reason(reason):
    if not (reason or "").strip():
        raise FieldError("correction_reason", "Say why the outcome is corrected; the earlier values are kept.")


def _recording_checks(reading, results, days, reason, days_reason, confirm_early):
    """Recording's checks against the diary, each returning what is kept (the departure's words,
    the duration's reason) or raising FieldError: the one list for recording and for a form with
    other errors too. A result not given (None) is not judged."""
    return (lambda: _departures(reading, results, reason),
            lambda: _days_departures(days, reading.diary_days, reading.suggested_days, days_reason),
            lambda: _check_nothing_to_come(reading, confirm_early))


def _correction_checks(outcome, days, days_reason, reason):
    """As `_recording_checks`, for a correction: its reason, and the duration's against the diary."""
    return (lambda: _check_correction_reason(reason),
            lambda: _days_departures(days, outcome.diary_days_for, outcome.diary_therapeutic_days, days_reason))


def recording_problems(case, diagnostic_result, therapeutic_days, reason, days_reason, confirm_early,
                       side_results=None, side_days=None):
    """What recording would still refuse, for a form the form's own checks refused too: named in
    the same answer, not after those are fixed. A value the form refused is None and not judged."""
    reading = read_outcome_diary(case)
    results = given_results(case, diagnostic_result, side_results)
    days = given_days(case, therapeutic_days, side_days, reading.diary_days, reading.suggested_days)
    return _problems(*_recording_checks(reading, results, days, reason, days_reason, confirm_early))


def correction_problems(outcome, therapeutic_days, days_reason, reason, side_days=None):
    """As `recording_problems`, for a correction."""
    days = given_days(outcome.case, therapeutic_days, side_days, outcome.diary_days_for,
                      outcome.diary_therapeutic_days)
    return _problems(*_correction_checks(outcome, days, days_reason, reason))


def _problems(*checks):
    try:
        each_checked(*checks)
    except FieldError as refused:
        return getattr(refused, "errors", [refused])
    return []


def follow_on_side(case, side_results):
    """The joint(s) a repeat or confirmatory block is for: of a bilateral block whose joints were
    recorded apart, the positive joint only; otherwise (no joint positive, or the joints agree)
    the case's own side, as before."""
    if side_results and len(set(side_results.values())) > 1:
        positive = [joint for joint, result in side_results.items() if result == DiagnosticResult.POSITIVE.value]
        if len(positive) == 1:
            return Side(positive[0])
    return Side(case.side)


def follow_on_narrowed(outcome):
    """Why the follow-on case is for one joint of a bilateral block: "for the right joint only (the
    left joint's block was negative)" as (joint, [(other joint, its result)]), or None."""
    if outcome is None or not outcome.side_results:
        return None
    # The joint the follow-on case was opened for (a later correction of the results does not move it).
    new = outcome.follow_on_case
    side = Side(new.side) if new is not None else follow_on_side(outcome.case, outcome.side_results)
    if side == Side(outcome.case.side) or side == Side.BILATERAL:
        return None
    return side.value, [(joint, result) for joint, result in outcome.results_by_side if joint != side.value]


def narrowed_words(outcome, joined=" ("):
    """ "for the right joint only (the left joint's block was negative)", or ''."""
    narrowed = follow_on_narrowed(outcome)
    if narrowed is None:
        return ""
    joint, others = narrowed
    # A joint corrected to positive since: the case was still opened for the one joint, with no why.
    why = ", ".join(f"the {other} joint's block was {result}" for other, result in others
                    if result != DiagnosticResult.POSITIVE.value)
    if not why:
        return f"for the {joint} joint only"
    return f"for the {joint} joint only{joined}{why}{')' if joined == ' (' else ''}"


def _open_follow_on(case, indication, actor, side=None):
    """The repeat or confirmatory injection as a new referral for the same patient and joint(s)
    (`side`: the positive joint of a bilateral block whose joints differ), with what carries over
    from this case; review and eligibility start afresh (the engine then counts this case's
    injection with its recorded result)."""
    side = side or case.side
    only = (f" It is for the {Side(side).value} joint only: the other joint's block was not positive."
            if side != case.side else "")
    new = open_case(
        case.patient, actor, f"Opened from the outcome of case #{case.id}.{only} Diagnosis, conservative care and "
                             f"examination carried over from case #{case.id}; the risk screen is asked again.",
        f"referral opened from case #{case.id}'s outcome",
        previous_case_id=case.id, side=side, indication=indication,
        payer_profile_code=case.payer_profile_code, physician_id=case.physician_id or actor.id,
        referring_clinician=actor.name[:120], referral_date=clinic_today(), symptom_onset=case.symptom_onset,
        pain_worse_standing=case.pain_worse_standing, pain_worse_walking_uphill=case.pain_worse_walking_uphill,
        pain_worse_sit_to_stand=case.pain_worse_sit_to_stand,
        pain_radiates_buttock_thigh=case.pain_radiates_buttock_thigh,
        lumbar_fusion_history=case.lumbar_fusion_history, diagnosis_codes=list(case.diagnosis_codes or []),
        reason=f"{indication.label} after case #{case.id}, decided at its outcome.")
    _carry_over(case, new, actor)
    return new


# Not carried to the follow-on case: each row's identity and bookkeeping, and the pain and
# disability as they were before the first injection (the baseline score, the Oswestry answers),
# which are about now: carried, the repeat's relief would be measured against the pain before the
# first injection, and its severity judged on it.
_NOT_CARRIED = {"id", "case_id", "version_id", "created_at", "updated_at", "baseline_nrs",
                *(f"odi_{n}" for n in range(1, ODI_SECTIONS + 1))}


def _carry_over(case, new, actor):
    """The episode's facts the follow-on case starts from: the conservative care tried and the
    examination, with their own dates (a confirmatory block is the same episode; the review can
    still correct or add to them). Copies, each with its audit row, so the first case's record
    never changes with the second's. The risk screen is not carried: a pregnancy, a blood thinner
    or an infection is about the day of the new injection, and is asked again."""
    from tracker import audit, i18n
    from tracker.models import ConservativeCare, Examination

    def copy(row, model):
        return model(**{column.key: getattr(row, column.key) for column in model.__table__.columns
                        if column.key not in _NOT_CARRIED}, case=new)

    for therapy in case.conservative_care:
        audit.created(copy(therapy, ConservativeCare), "conservative_care",
                      f"case {new.id}: therapy carried over from case {case.id}", user=actor)
    if case.examination is not None:
        audit.created(copy(case.examination, Examination), "examination",
                      f"case {new.id}: examination carried over from case {case.id}", user=actor)


def duration_evidence(therapeutic_days, diary_days, days_reason="", so_far=False):
    """The recorded duration as evidence, with the diary's reading when they differ:
    "recorded 120 days; diary read 42 days (outside records)". `so_far`: the diary's reading was a
    lower bound when recorded (the diary still ran, relief still held): "at least 7 days (the
    diary's reading, still running when the outcome was recorded)"."""
    read = f"at least {days_read(diary_days)} so far" if so_far and diary_days is not None else days_read(diary_days)
    if therapeutic_days is None:
        return "not known" + ("" if diary_days is None else f" (diary read {read})")
    if therapeutic_days == diary_days:
        if so_far:
            return f"at least {days_read(therapeutic_days)} (the diary's reading, still running when the outcome " \
                   "was recorded)"
        return f"{days_read(therapeutic_days)} (the diary's reading)"
    because = f" ({days_reason})" if days_reason else " (no reason on file)"
    return f"recorded {days_read(therapeutic_days)}; diary read {read}{because}"


def recorded_duration(outcome):
    """The outcome's therapeutic duration as evidence (`duration_evidence`), a bilateral case's per
    joint, each against its own side's diary reading: "left joint: 90 days (the diary's reading);
    right joint: 7 days (the diary's reading)"."""
    per_joint = outcome.days_by_side
    if not per_joint:
        return duration_evidence(outcome.therapeutic_days, outcome.diary_therapeutic_days,
                                 outcome.therapeutic_days_reason, outcome.diary_days_so_far)
    return "; ".join(
        f"{joint} joint: " + duration_evidence(days, outcome.diary_days_for(joint), outcome.therapeutic_days_reason,
                                               bool(((outcome.per_side or {}).get(joint) or {}).get("days_so_far")))
        for joint, days in per_joint)


def days_words(row):
    """A recorded duration in words, a bilateral case's per joint: "90 days", "left joint 90 days,
    right joint 7 days", "not known" (row: an Outcome or an OutcomeRevision)."""
    def one(days):
        return "not known" if days is None else f"{days} day{'' if days == 1 else 's'}"
    per_joint = row.days_by_side
    if per_joint:
        return ", ".join(f"{joint} joint {one(days)}" for joint, days in per_joint)
    return one(row.therapeutic_days)


def close_reason(case):
    """The reason given with the close (a diagnostic result departing from the diary), or '': also
    once a correction has changed the result, since that reason explains the result recorded then
    ("recorded as positive; ...") and the correction's own reason is listed with it."""
    outcome = case.outcome
    joints = [joint.value for joint in joints_of(case.side)]
    if outcome is not None and outcome.revisions and any(
            outcome.revisions[0].result_for(joint) != outcome.result_for(joint) for joint in joints):
        return ""
    return next((row.reason for row in reversed(case.history) if row.action == "close"), "")
