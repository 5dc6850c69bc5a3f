"""Each injected side's relief span, kept for the reports (the relief survival curve).

The reports page cannot read a year of diary scores in time order for every injected side each time
it is opened, so each side's span is kept in `relief_spans`: the day the side leaves the curve and
whether relief ended there (the whole days it lasted at 50 % or more; day 0 when no follow-up score
reached 50 %, the diary's "0 days: no relief of 50 % or more") or the diary stopped before it ended
(censored at the latest follow-up score's day), with the injection's time (the report's period
column). It is read by the same functions as the
physician's diary reading (tracker/diary/outcome.py): `follow_up_readings` picks and times the
scores, `tracker.diary.relief.relief_span` reads the run, so the report and the diary cannot
disagree. The injection's time is read as the diary reads it: from the case's stored points, which
were timed from it at signing (the injectate step since that rule; the procedure's start for a
diary signed before, whose points keep that timing).

`keep_relief(case)` rewrites a case's rows in the transaction of the change that alters them: a
diary entry saved or corrected, the procedure signed, the examination's baseline changed (it stands
in for a missing t0), the baseline asked again for a new appointment (its earlier score no
longer counts). Nothing in a span depends on the clock: a diary still open is censored at its
latest follow-up score, as the diary page reads it, until the next score moves it.

`spans_of_case` is pure (plain values in, rows out); `keep_all` backfills every case with it
(migration 0032, and 0036, 0054 and 0069 when the reading changed; the benchmarks' fills).
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from tracker.diary.relief import Reading, relief_span
from tracker.diary.schedule import Phase, TimePoint, describes_hours, given_for_earlier_appointment, point_of
from tracker.vocab import joints_of


def recalled_baseline_counts(recalled: bool, exam_baseline: int | None) -> bool:
    """Whether the patient's score for before the injection is the baseline relief is measured from:
    always when given before the injection; when recalled after it (typed by staff on a call, late),
    only where the examination recorded no baseline pain. A pain recalled after the relief was felt
    may read through that relief (it tends to be remembered worse, which would make the relief look
    greater), while the examination's was measured before anything was injected."""
    return not recalled or exam_baseline is None


@dataclass(frozen=True)
class Scored:
    """One stored score with its point: the values `follow_up_readings` reads."""

    point: TimePoint
    score: int
    felt_at: datetime
    late: bool


def follow_up_readings(scored: Iterable[Scored], injected_at: datetime | None) -> tuple[Reading, ...]:
    """One side's post-injection scores, each at the moment it describes (when it was felt, inside
    its point's window or not), in time order.

    A score for the first hours recorded after its window closed is a memory, not a measurement
    of the block: shown in the diary's table, never counted in the result.
    """
    readings = []
    for item in scored:
        if item.point.hours_after is None:
            continue  # the baseline (or a point no schedule times)
        if item.late and item.point.phase == Phase.ANAESTHETIC:
            continue
        readings.append(Reading(item.point.code, describes_hours(item.felt_at, injected_at), item.score))
    return tuple(sorted(readings, key=lambda r: r.hours_after))


def _utc(moment):
    """A stored instant as an aware UTC datetime (a migration reads SQLite's as text or naive)."""
    if moment is None or isinstance(moment, datetime) and moment.tzinfo is not None:
        return moment
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def timed_from(stored: Iterable[tuple]) -> datetime | None:
    """The moment a case's post-injection points were timed from (the injection, as the diary's
    `PointView.injected_at` reads it), from (time point, due_at, ...) tuples; None without one."""
    return next((_utc(due_at) - point.offset for point, due_at, *_ in stored
                 if point.offset is not None and due_at is not None), None)


def spans_of_case(profile_code: str | None, case_side: str, injected_at: datetime, exam_baseline: int | None,
                  points: Iterable[tuple], entries: Iterable[tuple]) -> list[dict]:
    """The relief_spans rows of one injected case.

    ``points``: (point id, point code, due_at, opens_at, closes_at); ``entries``: (point id, side,
    score, felt_at, late). The injection's time is the one the points were timed from;
    ``injected_at`` stands in only for a case without a post-injection point (which has no span).
    A side with nothing to judge by (no follow-up score, no baseline or a baseline of 0) has no row.
    """
    stored = {point_id: (point_of(profile_code, code), due_at, opens_at, closes_at)
              for point_id, code, due_at, opens_at, closes_at in points}
    by_side = {}
    for point_id, side, score, felt_at, late in entries:
        if point_id in stored and not given_for_earlier_appointment(stored[point_id][0].phase, _utc(felt_at),
                                                                    _utc(stored[point_id][2])):
            # (A baseline given for an appointment that did not take place is no baseline.)
            by_side.setdefault(side, []).append((stored[point_id], score, felt_at, late))
    injected_at = timed_from(stored.values()) or _utc(injected_at)
    rows = []
    for side in joints_of(case_side):
        mine = by_side.get(side.value, [])
        # The baseline is the patient's own t0 score for the side (one recalled after the injection
        # only where the examination has none: recalled_baseline_counts); else the examination's.
        baseline = next((score for (point, *_), score, _, late in mine if point.phase == Phase.BASELINE
                         and recalled_baseline_counts(bool(late), exam_baseline)), exam_baseline)
        scored = [Scored(point, score, _utc(felt_at), bool(late)) for (point, *_), score, felt_at, late in mine]
        span = relief_span(baseline, follow_up_readings(scored, injected_at))
        if span.days is not None:
            rows.append({"side": side.value, "injected_at": injected_at, "lasted_days": span.curve_days,
                         "ended": span.curve_ended})
    return rows


def keep_relief(case):
    """Rewrite the case's kept relief spans from its diary now (the caller commits). A case without
    a signed procedure has none. Timed from the injection as its diary's points are."""
    from tracker.extensions import db
    from tracker.models import DiaryEntry, DiaryPoint, Examination, ProcedureRecord, ReliefSpan
    from tracker.models.procedure import ProcedureStatus

    db.session.flush()
    db.session.execute(db.delete(ReliefSpan).where(ReliefSpan.case_id == case.id))
    # The start only stands in for a case without post-injection points (spans_of_case): a signed
    # case has them, timed from its injection.
    started_at = db.session.execute(
        db.select(ProcedureRecord.started_at).where(ProcedureRecord.case_id == case.id,
                                                    ProcedureRecord.status == ProcedureStatus.SIGNED)
        .order_by(ProcedureRecord.started_at.desc()).limit(1)).scalar_one_or_none()
    if started_at is None:
        return
    points = db.session.execute(
        db.select(DiaryPoint.id, DiaryPoint.point_code, DiaryPoint.due_at, DiaryPoint.opens_at, DiaryPoint.closes_at)
        .where(DiaryPoint.case_id == case.id)).all()
    entries = db.session.execute(
        db.select(DiaryEntry.point_id, DiaryEntry.side, DiaryEntry.score, DiaryEntry.felt_at, DiaryEntry.late)
        .where(DiaryEntry.case_id == case.id)).all()
    exam_baseline = db.session.execute(
        db.select(Examination.baseline_nrs).where(Examination.case_id == case.id)).scalar_one_or_none()
    for row in spans_of_case(case.payer_profile_code, case.side, started_at, exam_baseline, points, entries):
        db.session.add(ReliefSpan(case_id=case.id, **row))
    db.session.flush()


BATCH = 5000


def keep_all(conn):
    """Write every signed case's spans into the (empty) relief_spans table through `conn`, with plain
    SQL and `spans_of_case`, a batch of cases at a time: the migration's backfill, and the
    benchmarks' after a fill in SQL. Each span is timed from the injection its diary's points were
    timed from (`spans_of_case`); the procedure's start read here only stands in for a case without
    one (the migrations that call this predate the injectate step's time)."""
    from itertools import groupby

    from sqlalchemy import text

    injected = conn.execute(text(
        "SELECT p.case_id, c.payer_profile_code, c.side, max(p.started_at), e.baseline_nrs "
        "FROM procedure_records p JOIN cases c ON c.id = p.case_id "
        "LEFT JOIN examinations e ON e.case_id = p.case_id "
        "WHERE p.status = 'signed' GROUP BY p.case_id, c.payer_profile_code, c.side, e.baseline_nrs "
        "ORDER BY p.case_id")).all()
    for start in range(0, len(injected), BATCH):
        batch = injected[start:start + BATCH]
        bounds = {"low": batch[0][0], "high": batch[-1][0]}
        points = conn.execute(text(
            "SELECT case_id, id, point_code, due_at, opens_at, closes_at FROM diary_points "
            "WHERE case_id BETWEEN :low AND :high ORDER BY case_id"), bounds).all()
        entries = conn.execute(text(
            "SELECT case_id, point_id, side, score, coalesce(felt_at, entered_at), late FROM diary_entries "
            "WHERE case_id BETWEEN :low AND :high ORDER BY case_id"), bounds).all()
        points_of = {case_id: [row[1:] for row in rows] for case_id, rows in groupby(points, key=lambda r: r[0])}
        entries_of = {case_id: [row[1:] for row in rows] for case_id, rows in groupby(entries, key=lambda r: r[0])}
        rows = []
        for case_id, profile_code, side, started_at, exam_baseline in batch:
            for row in spans_of_case(profile_code, side, started_at, exam_baseline, points_of.get(case_id, ()),
                                     entries_of.get(case_id, ())):
                # Stored as naive UTC, like every instant (tracker.models.types.UTCDateTime).
                rows.append({**row, "case_id": case_id, "injected_at": row["injected_at"].replace(tzinfo=None)})
        if rows:
            conn.execute(text("INSERT INTO relief_spans (case_id, side, injected_at, lasted_days, ended) "
                              "VALUES (:case_id, :side, :injected_at, :lasted_days, :ended)"), rows)
