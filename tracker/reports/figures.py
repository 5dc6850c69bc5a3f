"""The reports' figures: each a SQL aggregate (or a pure function over a few aggregated rows),
never a walk over every case in Python.

Every figure is a `Figure`: a title, a one-line definition of what it counts, the columns and
rows of its table, and how its chart reads those same rows (so chart, table and CSV cannot
disagree). Filters narrow every figure to the cases of one physician, payer profile, side or
indication (a bilateral case is a case of each side: `_of_side`); the period decides which events
count (each definition says which date).
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import Integer, and_, case, cast, distinct, exists, func, literal, null, or_, select, text, true, union_all
from sqlalchemy.orm import aliased

from tracker.diary.schedule import SCHEDULES
from tracker.diary.services import BASELINE
from tracker.eligibility.facts import INJECTED_STATES, still_to_be_given
from tracker.extensions import db
from tracker.models import (Appointment, Case, DiaryEntry, DiaryEntryRevision, DiaryPoint, DiaryReminder,
                            EligibilityVerdict, Outcome, OutsideInjection, Patient, ProcedureRecord, ProcedureStep,
                            ReliefSpan, Room, User, WorkingHours)
from tracker.models.procedure import ProcedureStatus
from tracker.policy import CRITERION_LABELS, DIAGNOSTIC_INDICATIONS, PROFILES
from tracker.procedures.rules.checks import CONFIRMED
from tracker.procedures.rules.duration import LONG_PROCEDURE_MINUTES, SHORT_PROCEDURE_MINUTES
# The engine's own calendar arithmetic, so a cap's "next possible" day is the one the verdict gives.
from tracker.policy.engine import _add_months, next_session_day_with_booked
from tracker.reports import sql
from tracker.reports.stats import kaplan_meier, months_between, share, working_minutes
from tracker.roles import Role
from tracker.scheduling.rules import first_clinic_day
from tracker.scheduling.services import clinic_closed, clinic_weekdays, closures_between
from tracker.timeutil import clinic_today, clinic_zone, utcnow
from tracker.vocab import (LOG_ONLY_MARK, AppointmentStatus, EntrySource, Indication, NextStep, Side, joints_of,
                           sides_filtered)
from tracker.workflow import FINAL_STATES, State


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    default_profile: str
    physician_id: int | None = None
    profile: str | None = None
    side: str | None = None
    indication: str | None = None

    def as_text(self):
        """For the audit trail: the filters an export was made with."""
        parts = [f"period {self.start.isoformat()} to {self.end.isoformat()}"]
        for name in ("physician_id", "profile", "side", "indication"):
            if getattr(self, name):
                parts.append(f"{name.removesuffix('_id')} {getattr(self, name)}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Chart:
    kind: str  # "bars" (one bar per row, a series per value column) or "survival"
    label_columns: tuple[int, ...]  # the columns joined into a bar's label
    value_columns: tuple[int, ...]
    unit: str = ""


@dataclass
class Figure:
    key: str
    title: str
    definition: str
    columns: list[str]
    rows: list[tuple] = field(default_factory=list)
    chart: Chart | None = None
    # Said under the table: what the period held in total (the denominator).
    note: str = ""

    @property
    def empty(self):
        return not self.rows


@dataclass
class Report:
    key: str
    title: str
    figures: list[Figure]


# ---------------------------------------------------------------------------------- shared

def _bounds(filters):
    """The period as UTC instants [from, to): clinic midnight of its first day to clinic
    midnight after its last, so a timestamp filter can use an index."""
    zone = clinic_zone()
    start = datetime.combine(filters.start, time(), zone)
    end = datetime.combine(filters.end + timedelta(days=1), time(), zone)
    return start, end


def _in_period(column, filters, until=None):
    start, end = _bounds(filters)
    if until is not None:
        end = min(end, until)
    return and_(column >= start, column < end)


def _of_side(side_column, side):
    """The side filter, as every figure reads it (tracker.vocab.sides_filtered)."""
    return side_column.in_([s.value for s in sides_filtered(side)])


def _chosen_joint(filters):
    """The one joint a figure that counts joints (a block's result, a side's relief, a diary score)
    keeps of a bilateral case under the side filter: "left" or "right"; None keeps every joint."""
    return filters.side if filters.side in (Side.LEFT, Side.RIGHT) else None


def _of_joint(joint_column, filters):
    """Conditions keeping the rows of the chosen joint (see `_chosen_joint`): none without one."""
    joint = _chosen_joint(filters)
    return [joint_column == joint] if joint else []


def _case_filters(filters):
    """Conditions on `Case` for the chosen physician, payer profile, side and indication. A case
    without a profile of its own is under the clinic's default."""
    conditions = []
    if filters.physician_id:
        conditions.append(Case.physician_id == filters.physician_id)
    if filters.profile:
        chosen = Case.payer_profile_code == filters.profile
        if filters.profile == filters.default_profile:
            chosen = or_(chosen, Case.payer_profile_code.is_(None))
        conditions.append(chosen)
    if filters.side:
        conditions.append(_of_side(Case.side, filters.side))
    if filters.indication:
        conditions.append(Case.indication == filters.indication)
    return conditions


def _of_cases(case_id, filters):
    """Conditions keeping the rows of the chosen cases: none without filters (the cases table is then
    not read at all), else a semi-join on the cases that match."""
    conditions = _case_filters(filters)
    return [case_id.in_(select(Case.id).where(*conditions))] if conditions else []


def _profile_of_case(filters):
    return func.coalesce(Case.payer_profile_code, filters.default_profile)


def _profile_name(code):
    profile = PROFILES.get(code)
    return profile.name if profile else code


def _physician(user=User):
    """A physician's row of a figure is theirs by id, never by name: their id, name and email, and
    how many other accounts have the same name (`_physician_name` tells those apart)."""
    namesake = aliased(User)
    namesakes = (select(func.count()).where(namesake.name == user.name, namesake.id != user.id)
                 .correlate(user).scalar_subquery())
    return user.id, user.name, user.email, namesakes


def _physician_name(user_id, name, email, namesakes):
    """The name a figure shows: with the email when another account has the same name."""
    return f"{name} ({email})" if namesakes else name


def _rounded(value):
    return None if value is None else round(float(value), 1)


def _first(model):
    """Condition: the row is its case's first (rows are only ever added, so the lowest id). An
    anti-join the planner estimates well, unlike a filter on a grouped minimum."""
    earlier = aliased(model)
    return ~select(earlier.id).where(earlier.case_id == model.case_id, earlier.id < model.id).exists()


def _signed():
    """A case's procedure is its signed record (at most one; abandoned attempts are not one)."""
    return ProcedureRecord.status == ProcedureStatus.SIGNED


def _given():
    """An injection the caps count, as the eligibility criteria do (a case that reached the
    procedure): the signed record, or the one being recorded; never an abandoned attempt."""
    return ProcedureRecord.status != ProcedureStatus.ABANDONED


# ---------------------------------------------------------------------------------- flow

def flow(filters):
    conditions = _case_filters(filters)
    month = sql.month_of(Case.referral_date)
    by_month = dict(db.session.execute(
        select(month, func.count()).where(Case.referral_date.between(filters.start, filters.end), *conditions)
        .group_by(month)).all())
    referrals = Figure(
        "referrals_per_month", "Referrals received per month",
        "Cases by the month of their referral date, for referral dates inside the period.",
        ["Month", "Referrals"],
        [(month, by_month.get(month, 0)) for month in months_between(filters.start, filters.end)]
        if by_month else [],
        Chart("bars", (0,), (1,)))
    referrals.note = f"{sum(by_month.values())} referrals in all."

    by_state = dict(db.session.execute(
        select(Case.state, func.count()).where(Case.referral_date.between(filters.start, filters.end), *conditions)
        .group_by(Case.state)).all())
    states = Figure(
        "cases_by_state", "Cases by state now",
        "The cases referred inside the period, by the state each is in today.",
        ["State", "Cases"], [(state.label, by_state.get(state, 0)) for state in State] if by_state else [],
        Chart("bars", (0,), (1,)))
    return Report("flow", "Flow", [referrals, states, lead_times(filters)])


def lead_times(filters):
    conditions = _case_filters(filters)
    verdict_day = sql.clinic_date(EligibilityVerdict.evaluated_at)
    booking_day = sql.clinic_date(Appointment.created_at)
    procedure_day = sql.clinic_date(ProcedureRecord.started_at)
    by_verdict = and_(EligibilityVerdict.case_id == Case.id, _first(EligibilityVerdict))
    by_booking = and_(Appointment.case_id == Case.id, _first(Appointment))
    by_procedure = and_(ProcedureRecord.case_id == Case.id, _signed())
    intervals = [
        ("Referral to first verdict", "referral date", "day of the first eligibility verdict",
         select(sql.days_between(verdict_day, Case.referral_date)).select_from(Case)
         .join(EligibilityVerdict, by_verdict).where(_in_period(EligibilityVerdict.evaluated_at, filters), *conditions)),
        ("First verdict to booking", "day of the first verdict", "day the first appointment was booked",
         select(sql.days_between(booking_day, verdict_day)).select_from(Case)
         .join(Appointment, by_booking).join(EligibilityVerdict, by_verdict)
         .where(_in_period(Appointment.created_at, filters), Appointment.created_at >= EligibilityVerdict.evaluated_at,
                *conditions)),
        ("Booking to procedure", "day the first appointment was booked", "day the signed procedure started",
         select(sql.days_between(procedure_day, booking_day)).select_from(Case)
         .join(ProcedureRecord, by_procedure).join(Appointment, by_booking)
         .where(_in_period(ProcedureRecord.started_at, filters), *conditions)),
        ("Referral to procedure", "referral date", "day the signed procedure started",
         select(sql.days_between(procedure_day, Case.referral_date)).select_from(Case)
         .join(ProcedureRecord, by_procedure).where(_in_period(ProcedureRecord.started_at, filters), *conditions)),
        # DESIGN.md section 4: lead times run from the referral date to the verdict, the booking and the procedure.
        ("Referral to booking", "referral date", "day the first appointment was booked",
         select(sql.days_between(booking_day, Case.referral_date)).select_from(Case)
         .join(Appointment, by_booking).where(_in_period(Appointment.created_at, filters), *conditions)),
    ]
    rows = []
    for label, _, _, statement in intervals:
        n, median, p90 = sql.spread(statement.subquery())
        if n:
            rows.append((label, n, _rounded(median), _rounded(p90)))
    return Figure(
        "lead_times", "Lead times (days)",
        "Whole clinic days from " + "; ".join(f"{starts} to {ends}" for _, starts, ends, _ in intervals)
        + ". A case counts when the interval ends inside the period; median and 90th percentile "
          "interpolated (PostgreSQL's percentile_cont).",
        ["Interval", "Cases", "Median days", "90th percentile days"], rows, Chart("bars", (0,), (2, 3), "days"))


# ---------------------------------------------------------------------------------- eligibility

def eligibility(filters):
    in_period = (select(EligibilityVerdict.id, EligibilityVerdict.profile_code, EligibilityVerdict.eligible,
                        EligibilityVerdict.failed_criteria)
                 .where(_first(EligibilityVerdict), _in_period(EligibilityVerdict.evaluated_at, filters),
                        *_of_cases(EligibilityVerdict.case_id, filters))
                 .subquery())
    # Not eligible means a criterion failed; a verdict with only unknowns left is incomplete (the
    # case stays under review) and is counted apart, never as not eligible. Each verdict keeps the
    # codes of its criteria not met (failed_criteria, from its snapshot).
    any_failed = in_period.c.failed_criteria != "[]"
    per_profile, evaluated, eligible, failed = {}, 0, 0, 0
    for profile, count, count_eligible, count_failed in db.session.execute(
            select(in_period.c.profile_code, func.count(), func.sum(case((in_period.c.eligible, 1), else_=0)),
                   func.sum(case((and_(~in_period.c.eligible, any_failed), 1), else_=0)))
            .group_by(in_period.c.profile_code)).all():
        per_profile[profile] = count
        evaluated, eligible, failed = evaluated + count, eligible + int(count_eligible), failed + int(count_failed)
    incomplete = evaluated - eligible - failed
    first_figure = Figure(
        "eligible_at_first_evaluation", "Eligible at first evaluation",
        "Each case's first eligibility verdict, when it was made inside the period: eligible, not eligible "
        "(a criterion not met) or incomplete (criteria unknown, none failed); shares of every first verdict "
        "in the period.",
        ["First verdict", "Cases", "Share %"],
        [("Eligible", eligible, share(eligible, evaluated)), ("Not eligible", failed, share(failed, evaluated)),
         ("Incomplete", incomplete, share(incomplete, evaluated))] if evaluated else [],
        Chart("bars", (0,), (1,)))
    first_figure.note = f"{evaluated} first verdicts in the period."

    with_failed = select(in_period).where(any_failed).subquery()
    code = sql.json_list_elements(with_failed.c.failed_criteria).c.value
    failing = db.session.execute(
        select(with_failed.c.profile_code, code, func.count()).select_from(with_failed).join(code.table, true())
        .group_by(with_failed.c.profile_code, code)
        .order_by(with_failed.c.profile_code, func.count().desc(), code)).all()
    criteria = Figure(
        "failing_criteria", "Criteria not met at first evaluation, per payer profile",
        "For each payer profile, the criteria the first verdicts in the period found not met "
        "(unknown is not counted as failed), and the share of that profile's first verdicts.",
        ["Payer profile", "Criterion", "Cases not meeting it", "First verdicts", "Share %"],
        [(_profile_name(profile), CRITERION_LABELS.get(criterion, criterion), count, per_profile[profile],
          share(count, per_profile[profile])) for profile, criterion, count in failing],
        Chart("bars", (0, 1), (2,)))

    # An override that stands through a re-evaluation is copied onto the new verdict: it is
    # counted once, on the verdict it was made on (no earlier verdict of the case carries it).
    earlier = aliased(EligibilityVerdict)
    carried = exists().where(earlier.case_id == EligibilityVerdict.case_id, earlier.id < EligibilityVerdict.id,
                             earlier.override_at == EligibilityVerdict.override_at)
    overrides = db.session.execute(
        select(*_physician(), func.count()).select_from(EligibilityVerdict)
        .join(User, User.id == EligibilityVerdict.override_by_id)
        .where(_in_period(EligibilityVerdict.override_at, filters), ~carried,
               *_of_cases(EligibilityVerdict.case_id, filters))
        .group_by(User.id, User.name, User.email).order_by(func.count().desc(), User.name, User.id)).all()
    override_figure = Figure(
        "overrides", "Overrides by physician",
        "Not-eligible verdicts a physician overrode to eligible, by the physician, for overrides "
        "made inside the period.",
        ["Physician", "Overrides"], [(_physician_name(*row[:-1]), row[-1]) for row in overrides],
        Chart("bars", (0,), (1,)))
    return Report("eligibility", "Eligibility", [first_figure, criteria, override_figure])


# ---------------------------------------------------------------------------------- scheduling

def scheduling(filters):
    # An appointment is its physician's (a case rebooked with another physician becomes theirs, its
    # earlier appointments stay with whom they were booked): the physician filter chooses appointments.
    conditions = _of_cases(Appointment.case_id, replace(filters, physician_id=None))
    if filters.physician_id:
        conditions.append(Appointment.physician_id == filters.physician_id)
    grace = timedelta(minutes=current_app.config["NO_SHOW_GRACE_MINUTES"])
    past_grace = utcnow() - grace
    no_show = or_(Appointment.status == AppointmentStatus.NO_SHOW,
                  Appointment.status == AppointmentStatus.BOOKED)
    total, missed = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((no_show, 1), else_=0)), 0))
        .select_from(Appointment)
        .where(_in_period(Appointment.starts_at, filters, until=past_grace),
               Appointment.status != AppointmentStatus.CANCELLED, *conditions)).one()
    no_shows = Figure(
        "no_shows", "No-shows",
        "Appointments starting inside the period (and more than the no-show grace period ago), "
        "cancelled ones left out; a no-show was not checked in within the grace period. A physician "
        "filter counts the appointments booked with that physician.",
        ["Appointments", "Count", "Share %"],
        [("Attended", total - missed, share(total - missed, total)), ("No-show", missed, share(missed, total))]
        if total else [],
        Chart("bars", (0,), (1,)))
    no_shows.note = f"{total} appointments past their grace period."

    reason = func.lower(func.trim(Appointment.cancelled_reason))
    cancelled = db.session.execute(
        select(func.min(Appointment.cancelled_reason), func.count())
        .where(Appointment.status == AppointmentStatus.CANCELLED, _in_period(Appointment.starts_at, filters),
               *conditions)
        .group_by(reason).order_by(func.count().desc(), reason)).all()
    cancellations = Figure(
        "cancellations", "Cancellations by reason",
        "Cancelled appointments that were to start inside the period, by the reason given "
        "(the same words in any case count together). A physician filter counts the appointments "
        "booked with that physician.",
        ["Reason", "Cancelled"], [(text.strip(), count) for text, count in cancelled], Chart("bars", (0,), (1,)))
    return Report("scheduling", "Scheduling", [no_shows, cancellations, room_use(filters, conditions)])


def room_use(filters, conditions):
    week = sql.week_of(sql.clinic_date(Appointment.starts_at))
    booked = db.session.execute(
        select(Room.name, week, func.sum(sql.minutes_between(Appointment.ends_at, Appointment.starts_at)))
        .select_from(Appointment).join(Room, Room.id == Appointment.room_id)
        .where(Appointment.status != AppointmentStatus.CANCELLED, _in_period(Appointment.starts_at, filters),
               *conditions)
        .group_by(Room.name, week).order_by(Room.name, week)).all()
    # Working hours are a few rows per physician: the suite is staffed from the earliest start to
    # the latest end of any physician's hours that weekday. Filtered by a physician, the bookings
    # are theirs, so the minutes they could fill are theirs too: their hours, their days away.
    if filters.physician_id:
        whose = [WorkingHours.physician_id == filters.physician_id]
    else:
        # Only the physicians in use staff a room (as clinic_weekdays reads them): a departed
        # physician's hours stay stored, unlisted in Admin › Rooms & hours.
        whose = [User.active.is_(True), User.role == Role.PHYSICIAN]
    spans = {}
    for weekday, starts, ends in db.session.execute(
            select(WorkingHours.weekday, func.min(WorkingHours.starts), func.max(WorkingHours.ends))
            .join(User, User.id == WorkingHours.physician_id).where(*whose)
            .group_by(WorkingHours.weekday)).all():
        spans[weekday] = _minutes(ends) - _minutes(starts)
    # A day the whole clinic was closed (Admin › Closures) is no working day: nothing could be booked;
    # nor, filtered by a physician, is a day that physician was away.
    closed = [(c.first, c.last) for c in closures_between(filters.start, filters.end)
              if c.physician_id is None or c.physician_id == filters.physician_id]
    working = working_minutes(spans, filters.start, filters.end, closed)
    rows = []
    for room, monday, minutes in booked:
        available = working.get(date.fromisoformat(str(monday)[:10]), 0)
        minutes = round(float(minutes))
        rows.append((room, str(monday)[:10], minutes, available, share(minutes, available)))
    return Figure(
        "room_use", "Room use per week",
        "Minutes booked in each room per week (Monday's date), appointments not cancelled and starting "
        "inside the period, over the minutes the clinic works that week (earliest to latest hours of the "
        "physicians in use each weekday, days inside the period only, days the whole clinic was closed left out). "
        "A physician filter counts the appointments booked with that physician, over the minutes that "
        "physician works (their hours, their days away left out too).",
        ["Room", "Week of", "Booked minutes", "Working minutes", "Use %"], rows, Chart("bars", (0, 1), (4,), "%"))


def _minutes(moment):
    if isinstance(moment, str):
        moment = time.fromisoformat(moment)
    return moment.hour * 60 + moment.minute


# ---------------------------------------------------------------------------------- procedures

DURATION_BINS = (("under 20 minutes", 0, 19), ("20-30 minutes (target)", 20, 30), ("31-45 minutes", 31, 45),
                 ("over 45 minutes", 46, None))
WARNING_KINDS = (
    ("Volume above what the joint holds", "%usually holds%"),
    ("Dose above the usual maximum", "%above the usual maximum%"),
    ("Drug against a documented allergy", "%Documented % allergy%"),
    ("Strength, dose or volume outside the usual range, confirmed", f"%{CONFIRMED}%"),
)


def _signed_in_period(filters):
    """The signed procedures started inside the period. A procedure is its proceduralist's, as in
    the block rates: the physician filter chooses the procedures that physician signed."""
    signer = [ProcedureRecord.signed_by_id == filters.physician_id] if filters.physician_id else []
    return (select(ProcedureRecord.id, ProcedureRecord.duration_minutes)
            .where(_signed(), _in_period(ProcedureRecord.started_at, filters), *signer,
                   *_of_cases(ProcedureRecord.case_id, replace(filters, physician_id=None))).subquery())


def procedures(filters):
    records = _signed_in_period(filters)
    minutes = records.c.duration_minutes
    bins = [func.coalesce(func.sum(case((and_(minutes >= low, minutes <= high) if high is not None
                                        else minutes >= low, 1), else_=0)), 0) for _, low, high in DURATION_BINS]
    short = func.coalesce(func.sum(case((minutes < SHORT_PROCEDURE_MINUTES, 1), else_=0)), 0)
    n, *counts, n_short = db.session.execute(select(func.count(), *bins, short).select_from(records)).one()
    distribution = Figure(
        "durations", "Procedure duration",
        "Signed procedures started inside the period, by minutes from the start to the sign-out step "
        "(not to the signature, which may come later), against the 20-30 minute target. A physician filter "
        "counts the procedures that physician signed.",
        ["Duration", "Procedures", "Share %"],
        [(label, count, share(count, n)) for (label, _, _), count in zip(DURATION_BINS, counts)] if n else [],
        Chart("bars", (0,), (1,)))
    n_over, spread = counts[2] + counts[3], sql.spread(select(minutes).subquery())
    over = Figure(
        "over_target", f"Over {LONG_PROCEDURE_MINUTES} or under {SHORT_PROCEDURE_MINUTES} minutes",
        f"Of the signed procedures started inside the period, those flagged for their duration (never "
        f"blocked): more than {LONG_PROCEDURE_MINUTES} minutes, or under {SHORT_PROCEDURE_MINUTES} (a whole "
        f"checklist cannot honestly be done faster); and the median duration. Minutes are whole, never "
        f"rounded up.",
        ["Procedures", f"Over {LONG_PROCEDURE_MINUTES} minutes", f"Share over {LONG_PROCEDURE_MINUTES} %",
         f"Under {SHORT_PROCEDURE_MINUTES} minutes", f"Share under {SHORT_PROCEDURE_MINUTES} %", "Median minutes"],
        [(n, n_over, share(n_over, n), n_short, share(n_short, n), _rounded(spread[1]))] if n else [])

    flags = (select(ProcedureStep.record_id.label("record_id"),
                    *[func.max(case((ProcedureStep.warnings.like(pattern), 1), else_=0)).label(f"w{i}")
                      for i, (_, pattern) in enumerate(WARNING_KINDS)],
                    func.sum(case((sql.json_true(ProcedureStep.answers, "vascular_uptake"), 1), else_=0))
                    .label("uptakes"))
             .join(records, records.c.id == ProcedureStep.record_id).group_by(ProcedureStep.record_id).subquery())
    sums = db.session.execute(select(
        *[func.coalesce(func.sum(flags.c[f"w{i}"]), 0) for i in range(len(WARNING_KINDS))],
        func.coalesce(func.sum(case((flags.c.uptakes > 0, 1), else_=0)), 0),
        func.coalesce(func.sum(flags.c.uptakes), 0))).one()
    warnings = Figure(
        "warnings", "Warnings raised",
        "Signed procedures started inside the period with at least one warning of each kind kept with "
        "a checklist step (warnings never block).",
        ["Warning", "Procedures", "Share %"],
        [(label, count, share(count, n)) for (label, _), count in zip(WARNING_KINDS, sums)] if n else [],
        Chart("bars", (0,), (1,)))
    with_uptake, checks = sums[-2], sums[-1]
    contrast = Figure(
        "contrast_repeats", "Contrast repeats for vascular uptake",
        "Signed procedures started inside the period where a contrast check showed vascular uptake "
        "(the needle is repositioned and the check repeated), and the number of such checks.",
        ["Procedures", "With vascular uptake", "Share %", "Checks showing uptake"],
        [(n, with_uptake, share(with_uptake, n), checks)] if n else [])
    return Report("procedures", "Procedures", [distribution, over, warnings, contrast])


# ---------------------------------------------------------------------------------- diary

def _point_order():
    order = {}
    for schedule in SCHEDULES.values():
        for point in schedule.points:
            order.setdefault(point.code, (len(order), point.label))
    return order


def _of_this_score(revision):
    """Condition: `revision` is of the score as the point now holds it. A baseline given again for a
    new appointment starts afresh (tracker.diary.services.first_entry): the score it replaced, entered
    before the point's window opened, was another appointment's."""
    return or_(DiaryPoint.point_code != BASELINE, revision.entered_at >= DiaryPoint.opens_at)


def _late_entries_by_first_source(filters):
    """{source: late scores} for the late scores first entered inside the period, by who entered
    them first. A correction keeps the score's lateness (that belongs to when the point was first
    answered) and files the score it replaced as a revision: the earliest revision is the first entry."""
    revised = exists().where(DiaryEntryRevision.entry_id == DiaryEntry.id, _of_this_score(DiaryEntryRevision))
    counts = Counter(dict(db.session.execute(
        select(DiaryEntry.source, func.count()).join(DiaryPoint, DiaryPoint.id == DiaryEntry.point_id)
        .where(DiaryEntry.late.is_(True), _in_period(DiaryEntry.entered_at, filters), ~revised,
               *_of_cases(DiaryEntry.case_id, filters), *_of_joint(DiaryEntry.side, filters))
        .group_by(DiaryEntry.source)).all()))
    # Corrections are few: their earliest revisions are read through the revisions table.
    later = aliased(DiaryEntryRevision)
    earliest = ~exists().where(later.entry_id == DiaryEntryRevision.entry_id, _of_this_score(later),
                               or_(later.entered_at < DiaryEntryRevision.entered_at,
                                   and_(later.entered_at == DiaryEntryRevision.entered_at,
                                        later.id < DiaryEntryRevision.id)))
    counts.update(dict(db.session.execute(
        select(DiaryEntryRevision.source, func.count()).join(DiaryEntry, DiaryEntry.id == DiaryEntryRevision.entry_id)
        .join(DiaryPoint, DiaryPoint.id == DiaryEntry.point_id)
        .where(DiaryEntry.late.is_(True), _in_period(DiaryEntryRevision.entered_at, filters), earliest,
               _of_this_score(DiaryEntryRevision),
               *_of_cases(DiaryEntry.case_id, filters), *_of_joint(DiaryEntry.side, filters))
        .group_by(DiaryEntryRevision.source)).all()))
    return counts


def diary(filters):
    now = utcnow()
    on_time = DiaryPoint.completed_at <= DiaryPoint.closes_at
    late = DiaryPoint.completed_at > DiaryPoint.closes_at
    # A point nobody scored whose case ended (closed or cancelled) before its window closed was
    # never asked: the diary page says "Not asked: the diary has ended", and it is no point here.
    never_asked = exists().where(Case.id == DiaryPoint.case_id, Case.state.in_(FINAL_STATES),
                                 Case.state_changed_at < DiaryPoint.closes_at)
    counts = db.session.execute(
        select(DiaryPoint.point_code, func.count(),
               func.coalesce(func.sum(case((on_time, 1), else_=0)), 0),
               func.coalesce(func.sum(case((late, 1), else_=0)), 0))
        .where(_in_period(DiaryPoint.closes_at, filters, until=now), *_of_cases(DiaryPoint.case_id, filters),
               or_(DiaryPoint.completed_at.is_not(None), ~never_asked))
        .group_by(DiaryPoint.point_code)).all()
    order = _point_order()
    counts = sorted(counts, key=lambda row: order.get(row[0], (len(order), row[0])))
    completion = Figure(
        "diary_completion", "Diary completion per time point",
        "Time points whose window closed inside the period (and before now): completed on time "
        "(every side scored before the window closed), late, or missing; share on time. A point "
        "nobody scored whose case was closed before its window closed was never asked: not counted.",
        ["Time point", "Points", "On time", "Late", "Missing", "On time %"],
        [(order.get(code, (0, code))[1], total, ok, late_, total - ok - late_, share(ok, total))
         for code, total, ok, late_ in counts],
        Chart("bars", (0,), (2, 3, 4)))

    by_source = _late_entries_by_first_source(filters)
    late_entries = Figure(
        "late_entries", "Late entries",
        "Diary scores entered after their window closed (accepted and marked late), entered inside "
        "the period, by who entered them.",
        ["Entered by", "Late entries"],
        [(source.label, by_source.get(source, 0)) for source in EntrySource] if by_source else [],
        Chart("bars", (0,), (1,)))

    # A reminder written to the server's log for want of a provider is kept as sent (so it is not
    # tried again) but never reached anyone: counted as not delivered, as the pages say it
    # (tracker.contact.status_words).
    logged = and_(DiaryReminder.status == "sent",
                  or_(DiaryReminder.detail.contains(LOG_ONLY_MARK, autoescape=True),
                      DiaryReminder.detail.startswith("written to the log", autoescape=True)))
    shown = case((logged, literal("not delivered")), else_=DiaryReminder.status)
    statuses = dict(db.session.execute(
        select(shown, func.count()).join(DiaryPoint, DiaryPoint.id == DiaryReminder.point_id)
        .where(_in_period(DiaryReminder.claimed_at, filters), *_of_cases(DiaryPoint.case_id, filters))
        .group_by(shown)).all())
    labels = (("sent", "Sent"), ("not delivered", "Not delivered"), ("failed", "Failed"), ("skipped", "Skipped"),
              ("claimed", "Being sent"))
    reminders = Figure(
        "reminders", "Reminders",
        "Diary reminder attempts made inside the period, by what became of them (skipped: the score "
        "was entered meanwhile, the case closed, or no address; not delivered: written to the server's log "
        "because no mail server or text provider is set up).",
        ["Reminders", "Count"], [(label, statuses.get(code, 0)) for code, label in labels] if statuses else [],
        Chart("bars", (0,), (1,)))
    return Report("diary", "Diary", [completion, late_entries, reminders])


# ---------------------------------------------------------------------------------- outcomes

def _block_rates(filters, group, label, name, title, key, per=""):
    """A block is credited to its proceduralist: the physician who signed the case's procedure
    record (any physician may start, sign and read a block booked with another), not the physician
    the case was booked with. The physician filter chooses the blocks that physician signed.
    `group`: the columns a row is counted by; `label(*their values)`: the row's name."""
    conditions = _case_filters(replace(filters, physician_id=None))
    if filters.physician_id:
        conditions.append(ProcedureRecord.signed_by_id == filters.physician_id)
    # Each joint of a bilateral block counts as a block with its own result (Outcome.result_for): a
    # block whose left joint read negative and right positive is one of each. Read row by row (a
    # period's outcomes are few) rather than through each database's JSON functions.
    found = db.session.execute(
        select(*group, Outcome.diagnostic_result, Outcome.side_results, Case.side)
        .select_from(Outcome).join(Case, Case.id == Outcome.case_id)
        .outerjoin(ProcedureRecord, and_(ProcedureRecord.case_id == Case.id, _signed()))
        .outerjoin(User, User.id == ProcedureRecord.signed_by_id)
        .where(_in_period(Outcome.decided_at, filters),
               or_(Outcome.diagnostic_result.is_not(None), Outcome.side_results.is_not(None)),
               Case.indication.in_([str(i) for i in DIAGNOSTIC_INDICATIONS]), *conditions)).all()
    counts = defaultdict(lambda: {"positive": 0, "negative": 0, "indeterminate": 0})
    chosen = _chosen_joint(filters)
    for *grouped, one, per_joint, side in found:
        counted = counts[tuple(grouped)]
        for joint in joints_of(side):
            if chosen and joint != chosen:
                continue
            result = (per_joint or {}).get(joint.value) if per_joint else one
            if result in counted:
                counted[result] += 1
    rows = [(label(*grouped) if grouped[0] is not None else None, c["positive"], c["negative"], c["indeterminate"])
            for grouped, c in counts.items()]
    rows = sorted(rows, key=lambda row: (row[0] is None, row[0] or ""))
    return Figure(
        key, title,
        "Diagnostic results of diagnostic and confirmatory blocks whose outcome was recorded inside the period "
        "(a therapeutic injection is not a block and is not counted): positive-block rate = positive / "
        "(positive + negative); indeterminate results (too few scores) are counted apart, never as negative. "
        "Each joint of a bilateral block counts as a block with its own result (left negative and right "
        "positive are one negative and one positive). " + per + "A physician filter counts the blocks that physician signed.",
        [name, "Positive", "Negative", "Indeterminate", "Positive rate %"],
        [(label if label is not None else "no signed procedure", positive, negative, indeterminate,
          share(positive, positive + negative)) for label, positive, negative, indeterminate in rows],
        Chart("bars", (0,), (1, 2, 3)))


def relief_survival(filters):
    """Each injected side's span as the case's pain diary reads it (tracker.diary.relief.relief_span,
    kept per side in relief_spans by tracker.diary.kept with every change that alters it: the day
    relief ended, or the day its diary stops when censored): the report only counts the kept rows of
    the period."""
    # An injection's relief is its proceduralist's, as a block's result is (`_block_rates`): the
    # physician filter follows the injections that physician signed.
    signer = ([ReliefSpan.case_id.in_(select(ProcedureRecord.case_id).where(
        _signed(), ProcedureRecord.signed_by_id == filters.physician_id))] if filters.physician_id else [])
    # Therapeutic injections unless the indication filter chooses another: a diagnostic block is read
    # in its anaesthetic window, and its days at 50 % would pull the curve the clinic reads for how
    # long its therapeutic injections last (the repeat-injection criterion's relief is theirs too).
    chosen = replace(filters, physician_id=None, indication=filters.indication or str(Indication.THERAPEUTIC))
    groups = db.session.execute(
        select(ReliefSpan.lasted_days, ReliefSpan.ended, func.count())
        .where(_in_period(ReliefSpan.injected_at, filters), *signer, *_of_cases(ReliefSpan.case_id, chosen),
               *_of_joint(ReliefSpan.side, filters))
        .group_by(ReliefSpan.lasted_days, ReliefSpan.ended)).all()
    steps = kaplan_meier((int(days), bool(ended), count) for days, ended, count in groups)
    return Figure(
        "relief_survival", "Therapeutic relief over time (survival curve)",
        "Injected sides of therapeutic injections (unless the indication filter chooses diagnostic or "
        "confirmatory blocks) with a procedure started inside the period: the share whose relief (50 % or "
        "more from the baseline) lasted beyond each day, Kaplan-Meier; each score read at the moment it "
        "was felt, inside its time point's window or not (a 3-month score given on day 100 counts on day "
        "100, not 90); relief ends after the last follow-up score still at 50 %, and on day 0 when no follow-up "
        "score reached 50 %; a side whose relief has not ended is censored where its diary ends (its latest "
        "follow-up score). A physician filter follows the injections that physician signed.",
        ["Day", "Sides followed", "Relief ended", "Censored", "Still at 50 % or more %"],
        [(step.day, step.at_risk, step.ended, step.censored, step.surviving) for step in steps],
        Chart("survival", (0,), (4,), "%"))


def outcomes(filters):
    physician = _block_rates(filters, _physician(), _physician_name, "Physician who signed the procedure",
                             "Positive-block rate per physician", "block_rate_physician",
                             "Physician: the physician who signed the block's procedure record (who performed the "
                             "block), not the physician the case was booked with. ")
    payer = _block_rates(filters, (_profile_of_case(filters),), _profile_name, "Payer profile",
                         "Positive-block rate per payer profile", "block_rate_payer")
    steps = dict(db.session.execute(
        select(Outcome.next_step, func.count())
        .where(_in_period(Outcome.decided_at, filters), *_of_cases(Outcome.case_id, filters))
        .group_by(Outcome.next_step)).all())
    total = sum(steps.values())
    next_steps = Figure(
        "next_steps", "Next steps chosen",
        "Outcomes recorded inside the period, by the next step the physician chose.",
        ["Next step", "Cases", "Share %"],
        [(step.label, steps.get(step, 0), share(steps.get(step, 0), total)) for step in NextStep] if total else [],
        Chart("bars", (0,), (1,)))
    return Report("outcomes", "Outcomes", [physician, payer, relief_survival(filters), next_steps])


# ---------------------------------------------------------------------------------- caps

CAPS_SHOWN = 200


def caps(filters, shown=None):
    """Patients at their payer's 12-month cap, or one session short of it, today: the first `shown`
    rows, those at their cap first (the page lists CAPS_SHOWN); every row when None (the download).

    The count is every injection of the patient's in the 12 months (procedures here, signed or
    still being recorded, by any physician, and those given elsewhere), as the eligibility criteria count them: the filters
    choose which patients to list, never which injections to count, since a cap reached with two
    physicians is reached in each one's view."""
    today = clinic_today()
    # The rolling 12 months as the criteria count them: from the day after the one 12 months ago
    # (an injection on the anniversary has left them).
    first_day = _add_months(today, -12) + timedelta(days=1)
    day = sql.clinic_date(ProcedureRecord.started_at)
    diagnostic = [str(i) for i in DIAGNOSTIC_INDICATIONS]
    kind = case((Case.indication.in_(diagnostic), "diagnostic"), else_="therapeutic")
    ours = (select(Case.patient_id.label("patient_id"), kind.label("kind"), day.label("day"),
                   Case.side.label("side"), cast(null(), Integer).label("booked_case"))
            .join(ProcedureRecord, ProcedureRecord.case_id == Case.id)
            .where(_given(), ProcedureRecord.started_at >= datetime.combine(first_day, time(), clinic_zone())))
    outside_kind = case((OutsideInjection.indication.in_(diagnostic), "diagnostic"), else_="therapeutic")
    elsewhere = (select(OutsideInjection.patient_id, outside_kind, OutsideInjection.performed_on,
                        OutsideInjection.side, cast(null(), Integer))
                 .where(OutsideInjection.performed_on >= first_day, OutsideInjection.performed_on <= today))
    # The sessions already booked (not cancelled or missed, not begun, not past the no-show grace
    # period), from the same first day on: the caps count them once given (the booking's warning,
    # tracker.eligibility.facts.booked_sessions).
    booked = (select(Case.patient_id, kind, sql.clinic_date(Appointment.starts_at), Case.side, Case.id)
              .join(Appointment, Appointment.case_id == Case.id)
              .where(still_to_be_given(), Case.state.not_in(INJECTED_STATES),
                     Appointment.starts_at >= datetime.combine(first_day, time(), clinic_zone())))
    injections = union_all(ours, elsewhere, booked).subquery()
    newest = (select(Case.patient_id, func.max(Case.id).label("case_id")).group_by(Case.patient_id).subquery())
    profile = (select(newest.c.patient_id, func.coalesce(Case.payer_profile_code, filters.default_profile)
                      .label("code")).join(Case, Case.id == newest.c.case_id).subquery())
    per_joint_codes = [code for code, p in PROFILES.items() if p.caps_per_joint]
    joints = union_all(
        select(injections.c.patient_id, injections.c.kind, injections.c.day, injections.c.booked_case,
               literal(None).label("joint"))
        .select_from(injections),
        *[select(injections.c.patient_id, injections.c.kind, injections.c.day, injections.c.booked_case,
                 literal(joint).label("joint"))
          .where(injections.c.side.in_([joint, Side.BILATERAL.value])) for joint in ("left", "right")]).subquery()
    cap = case(*[(and_(profile.c.code == code, joints.c.kind == kind_), limit)
                 for code, p in PROFILES.items()
                 for kind_, limit in (("diagnostic", p.max_diagnostic_per_12m),
                                      ("therapeutic", p.max_therapeutic_per_12m)) if limit is not None])
    scope = or_(and_(joints.c.joint.is_(None), profile.c.code.not_in(per_joint_codes)),
                and_(joints.c.joint.is_not(None), profile.c.code.in_(per_joint_codes)))
    # Listed by the sessions given and booked (a day once); the count shown is the given ones.
    sessions = func.count(distinct(joints.c.day))
    given = func.count(distinct(case((joints.c.booked_case.is_(None), joints.c.day))))
    near = db.session.execute(
        select(joints.c.patient_id, joints.c.kind, joints.c.joint, profile.c.code, given, cap)
        .join(profile, profile.c.patient_id == joints.c.patient_id)
        .where(scope, cap.is_not(None), *_caps_chosen(filters, joints, profile))
        .group_by(joints.c.patient_id, joints.c.kind, joints.c.joint, profile.c.code, cap)
        .having(sessions >= cap - 1)
        .order_by((sessions >= cap).desc(), joints.c.patient_id, joints.c.kind, joints.c.joint).limit(shown)).all()
    rows = _cap_rows(near, injections, today) if near else []
    figure = Figure(
        "caps", "Patients at or near their yearly cap",
        "Patients whose injections in the rolling 12 months to today (procedures by any physician, signed or "
        "still being recorded, never an abandoned attempt, "
        "and those given elsewhere as recorded on the patient's record), with the sessions already booked for "
        "them (appointments not cancelled, missed or begun), reach their payer's cap or are one "
        "session short of it (payer of the patient's newest case; per joint where the payer counts per "
        "joint), with the first day another session is allowed once the booked ones are given too and the "
        "first day on or after it that the "
        "clinic works (a physician in use has working hours that weekday), the day to book from. A physician "
        "or side filter lists the patients with a case of that physician or side, a payer filter those whose "
        "payer it is, an "
        "indication filter that kind of cap; each count is still all of the patient's injections.",
        ["Patient", "MRN", "Payer profile", "Kind", "Joint", "Sessions in 12 months", "Booked, not yet given",
         "Cap", "Next possible", "Book from"],
        rows)
    if shown is not None and len(near) == shown:
        figure.note = (f"The first {shown} found, those at their cap first; narrow the filters, or download the "
                       f"CSV, to see others.")
    return Report("caps", "Caps", [figure])


def _caps_chosen(filters, joints, profile):
    """Conditions choosing the caps' rows by the report's filters (see `caps`)."""
    chosen = []
    by_case = [condition for condition in (
        Case.physician_id == filters.physician_id if filters.physician_id else None,
        _of_side(Case.side, filters.side) if filters.side else None) if condition is not None]
    if by_case:
        chosen.append(joints.c.patient_id.in_(select(Case.patient_id).where(*by_case)))
    if joint := _chosen_joint(filters):
        # A per-joint payer's rows are joints: the other joint's row is not this side's.
        chosen.append(or_(joints.c.joint.is_(None), joints.c.joint == joint))
    if filters.profile:
        chosen.append(profile.c.code == filters.profile)
    if filters.indication:
        chosen.append(joints.c.kind == ("diagnostic" if filters.indication in DIAGNOSTIC_INDICATIONS
                                        else "therapeutic"))
    return chosen


def _cap_rows(near, injections, today):
    ids = sorted({row[0] for row in near})
    patients = {p.id: p for p in db.session.execute(select(Patient).where(Patient.id.in_(ids))).scalars()}
    days, booked = defaultdict(set), defaultdict(dict)
    for patient_id, kind_, day, side, booked_case in db.session.execute(
            select(injections).where(injections.c.patient_id.in_(ids))).all():
        day = date.fromisoformat(str(day)[:10])
        for joint in (None, *([side] if side != "bilateral" else ["left", "right"])):
            if booked_case is None:
                days[(patient_id, kind_, joint)].add(day)
            else:
                booked[(patient_id, kind_, joint)].setdefault(day, []).append(booked_case)
    rows, weekdays, closed = [], clinic_weekdays(), clinic_closed()
    for patient_id, kind_, joint, code, count, limit in near:
        sessions = sorted(days[(patient_id, kind_, joint)])
        # A booked session on the day of a given one is part of it.
        ahead = {day: cases for day, cases in booked[(patient_id, kind_, joint)].items() if day not in sessions}
        # The interval between therapeutic injections runs per joint (every profile that sets one
        # counts its caps per joint, so its rows are joints).
        interval = PROFILES[code].min_days_between_injections if kind_ == "therapeutic" and joint else None
        next_possible = next_session_day_with_booked(sessions, sorted(ahead), limit, today, interval)
        patient = patients[patient_id]
        rows.append((patient.display_name, patient.mrn, _profile_name(code), kind_, joint or "patient",
                     count, _booked_words(ahead), limit, next_possible,
                     _book_from(next_possible, sessions, sorted(ahead), limit, interval, weekdays, closed)))
    return sorted(rows, key=lambda row: (row[8], row[0]))


def _book_from(day, sessions, booked, limit, interval, weekdays, closed):
    """The first day on or after `day` the clinic works on which the rule allows another session
    (a working day that is a booked session's day would be part of that session, not another)."""
    while (working := first_clinic_day(day, weekdays, closed)) != day or \
            next_session_day_with_booked(sessions, booked, limit, day, interval) != day:
        day = next_session_day_with_booked(sessions, booked, limit, working, interval)
    return day


def _booked_words(ahead):
    """The sessions booked and not yet given, as the Caps table shows them: "1: Tue 15 Dec 2026
    (case 41)"; "none"."""
    if not ahead:
        return "none"
    named = [f"{day:%a} {day.day} {day:%b %Y} (case {', '.join(str(c) for c in sorted(cases))})"
             for day, cases in sorted(ahead.items())]
    return f"{len(named)}: {'; '.join(named)}"


def _caps_shown(filters):
    """The caps as the page lists them: the first CAPS_SHOWN rows."""
    return caps(filters, CAPS_SHOWN)


REPORTS = {"flow": flow, "eligibility": eligibility, "scheduling": scheduling, "procedures": procedures,
           "diary": diary, "outcomes": outcomes, "caps": _caps_shown}


# Which report holds each figure (a CSV download computes only that report).
FIGURE_REPORT = {
    "referrals_per_month": "flow", "cases_by_state": "flow", "lead_times": "flow",
    "eligible_at_first_evaluation": "eligibility", "failing_criteria": "eligibility", "overrides": "eligibility",
    "no_shows": "scheduling", "cancellations": "scheduling", "room_use": "scheduling",
    "durations": "procedures", "over_target": "procedures", "warnings": "procedures",
    "contrast_repeats": "procedures",
    "diary_completion": "diary", "late_entries": "diary", "reminders": "diary",
    "block_rate_physician": "outcomes", "block_rate_payer": "outcomes", "relief_survival": "outcomes",
    "next_steps": "outcomes",
    "caps": "caps",
}


def _without_jit():
    if sql.dialect() == "postgresql":
        # Aggregates over a year of cases inflate the planner's cost estimate past PostgreSQL's JIT
        # thresholds: it would spend longer compiling them than running them. A year's grouped
        # rows (a row per injected side, per first verdict) outgrow the default 4 MB of memory per
        # sort or hash and would spill to disk; for this transaction only, they may use 32 MB.
        db.session.execute(text("SET LOCAL jit = off"))
        db.session.execute(text("SET LOCAL work_mem = '32MB'"))


def all_reports(filters):
    _without_jit()
    return [build(filters) for build in REPORTS.values()]


def figure(filters, key):
    """One figure, computing only the report that holds it, with every row (a download: the caps
    table's CSV is the whole list, not the page's first CAPS_SHOWN rows)."""
    _without_jit()
    report = caps(filters) if FIGURE_REPORT[key] == "caps" else REPORTS[FIGURE_REPORT[key]](filters)
    return next(f for f in report.figures if f.key == key)
