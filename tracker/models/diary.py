"""The patient's pain diary, its personal links and reminders, and the case's outcome
(DESIGN.md section 3, Pain diary and Outcome).

A case's diary is a set of time points (baseline t0, then the schedule of its payer profile from the
injection time, see tracker/diary/schedule.py), each with its due window, and at most one entry per
point and side. A correction replaces an entry's values and keeps the replaced ones as a revision.
"""
from sqlalchemy import CheckConstraint, UniqueConstraint, false, text

from tracker.extensions import db
from tracker.models.types import UTCDateTime, choice_enum
from tracker.timeutil import utcnow
from tracker.vocab import EntrySource, NextStep, Side


class DiaryPoint(db.Model):
    """One time point of a case's diary and its window.

    The baseline (t0) opens at 00:00 (clinic time) of the appointment's day; it has no due time
    and no closing time until the injection, and then closes at it. Post-injection points are created
    when the procedure is signed, from the injection time.
    """

    __tablename__ = "diary_points"
    __table_args__ = (
        UniqueConstraint("case_id", "point_code", name="uq_diary_points_case_point"),
        CheckConstraint("closes_at IS NULL OR closes_at >= opens_at", name="window_in_order"),
        CheckConstraint("due_at IS NULL OR (due_at >= opens_at AND (closes_at IS NULL OR due_at <= closes_at))",
                        name="due_inside_window"),
        # The overdue list and the reminders look up the points still waiting for an entry by their
        # window. Partial: a point leaves these indexes once it is complete, so they hold only the
        # points waiting (most of them not open yet), whatever the years of entries behind them.
        # Closed windows for the overdue list, and the baseline's open-ended one for the reminders:
        db.Index("ix_diary_points_pending_closes_at", "closes_at",
                 postgresql_where=text("completed_at IS NULL"), sqlite_where=text("completed_at IS NULL")),
        # Open or recently closed windows for the reminders: a range of opens_at, with closes_at
        # checked in the index, so the many pending points not open yet are never read.
        db.Index("ix_diary_points_pending_window", "opens_at", "closes_at",
                 postgresql_where=text("completed_at IS NULL"), sqlite_where=text("completed_at IS NULL")),
        # Reports: completion of the points whose window closed within a period (complete or not).
        db.Index("ix_diary_points_closes_at", "closes_at"),
        # "Has a later point of this case opened?" (tracker.diary.overdue.superseded), asked per
        # pending point by the overdue list and the reminders: one short range of this index.
        db.Index("ix_diary_points_case_opens_at", "case_id", "opens_at"),
        # The overdue list: pending points still chased, by the closing of their window (the list
        # reads the first page of this range; points whose chase ended leave it, so its size
        # follows the cases in follow-up, not the years behind them). tracker/diary/chase.py.
        db.Index("ix_diary_points_chased_closes_at", "closes_at", "id",
                 postgresql_where=text("completed_at IS NULL AND chased"),
                 sqlite_where=text("completed_at IS NULL AND chased = 1")),
    )

    id = db.Column(db.Integer, primary_key=True)
    # No index of its own: the unique constraint's first column serves lookups by case.
    case_id = db.Column(db.Integer, db.ForeignKey("cases.id"), nullable=False)
    point_code = db.Column(db.String(8), nullable=False)
    due_at = db.Column(UTCDateTime)
    opens_at = db.Column(UTCDateTime, nullable=False)
    closes_at = db.Column(UTCDateTime)
    # When the point got an entry for every side its case rates (one, or two for a bilateral
    # case); None while it waits for one. Kept so the reminder and overdue queries need not count
    # entries: set by diary.services.record_entry, not moved by corrections.
    completed_at = db.Column(UTCDateTime)
    # Kept by tracker/diary/chase.py: until when a missed point is chased (the next point's
    # opening; for the last one None while the case is in follow-up, then when it left), and
    # whether it may still be (cleared when the case leaves follow-up and, once `chase_until` has
    # passed, by the nightly refresh). Never chased: the baseline and the anaesthetic window.
    chase_until = db.Column(UTCDateTime)
    chased = db.Column(db.Boolean, nullable=False, default=False, server_default=false())

    case = db.relationship("Case", backref=db.backref("diary_points", order_by="DiaryPoint.opens_at"))
    entries = db.relationship("DiaryEntry", back_populates="point", order_by="DiaryEntry.side")
    reminders = db.relationship("DiaryReminder", back_populates="point", order_by="DiaryReminder.id")


def _entered_at(context):
    return context.get_current_parameters().get("entered_at") or utcnow()


class DiaryEntry(db.Model):
    """One pain score at one time point for one side (a bilateral case rates each side)."""

    __tablename__ = "diary_entries"
    __table_args__ = (
        # A second entry for the same point and side is refused by the database too.
        UniqueConstraint("point_id", "side", name="uq_diary_entries_point_side"),
        CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),
        CheckConstraint("side IN ('left', 'right')", name="one_side"),
        # Through the personal link nobody is signed in; every other way has a person.
        CheckConstraint("(source = 'link' AND entered_by_id IS NULL) OR "
                        "(source <> 'link' AND entered_by_id IS NOT NULL)", name="source_has_person"),
        # Reports: late entries within a period (partial: late ones are few).
        db.Index("ix_diary_entries_late_entered_at", "entered_at",
                 postgresql_where=text("late"), sqlite_where=text("late")),
    )

    id = db.Column(db.Integer, primary_key=True)
    point_id = db.Column(db.Integer, db.ForeignKey("diary_points.id"), nullable=False)
    case_id = db.Column(db.Integer, db.ForeignKey("cases.id"), nullable=False, index=True)
    side = db.Column(choice_enum(Side, "side"), nullable=False)
    score = db.Column(db.SmallInteger, nullable=False)
    # None: not asked or not answered (never read as "no").
    analgesic_used = db.Column(db.Boolean)
    opioid_used = db.Column(db.Boolean)
    physical_therapy_done = db.Column(db.Boolean)
    entered_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # The moment the score describes: when it was given, or for a score staff record from a call,
    # the time the patient recalls (inside the point's window). Relief is read at this moment.
    # Always set (by default the entry time; migration 0007 backfilled it); nullable in the schema
    # only because SQLite would have to rebuild the table to add a NOT NULL column.
    felt_at = db.Column(UTCDateTime, default=_entered_at)
    entered_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    source = db.Column(choice_enum(EntrySource, "entry_source"), nullable=False)
    # Entered after the point's window closed (a recalled score).
    late = db.Column(db.Boolean, nullable=False, default=False)
    version_id = db.Column(db.Integer, nullable=False, default=1)

    point = db.relationship("DiaryPoint", back_populates="entries")
    case = db.relationship("Case")
    entered_by = db.relationship("User")
    revisions = db.relationship("DiaryEntryRevision", back_populates="entry",
                                order_by="DiaryEntryRevision.id", cascade="all, delete-orphan")
    __mapper_args__ = {"version_id_col": version_id}

    @property
    def corrected(self):
        return bool(self.revisions)


class ReliefSpan(db.Model):
    """One injected side's relief span, kept for the reports' survival curve (tracker/diary/kept.py
    writes it with every change that alters it): the whole days after the injection at which the side
    leaves the curve, and whether relief ended there (``lasted_days`` then the days it lasted at 50 %
    or more; 0 when no follow-up score reached 50 %) or the side was censored where its diary stopped
    (its latest follow-up score's day).
    A side with nothing to judge by has no row."""

    __tablename__ = "relief_spans"
    __table_args__ = (
        CheckConstraint("side IN ('left', 'right')", name="relief_span_side"),
        CheckConstraint("lasted_days >= 0", name="relief_span_days"),
        # The report's period is the injection's start; the index holds every value it counts.
        db.Index("ix_relief_spans_injected_at", "injected_at", "lasted_days", "ended"),
    )

    case_id = db.Column(db.Integer, db.ForeignKey("cases.id"), primary_key=True)
    side = db.Column(db.String(5), primary_key=True)
    # The signed procedure's start (the diary's points are timed from it).
    injected_at = db.Column(UTCDateTime, nullable=False)
    lasted_days = db.Column(db.Integer, nullable=False)
    ended = db.Column(db.Boolean, nullable=False)


class DiaryEntryRevision(db.Model):
    """The values a correction replaced, with who replaced them, when and why. Append-only."""

    __tablename__ = "diary_entry_revisions"
    __table_args__ = (
        CheckConstraint("reason <> ''", name="reason_given"),
        CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),
    )

    id = db.Column(db.Integer, primary_key=True)
    entry_id = db.Column(db.Integer, db.ForeignKey("diary_entries.id"), nullable=False, index=True)
    score = db.Column(db.SmallInteger, nullable=False)
    analgesic_used = db.Column(db.Boolean)
    opioid_used = db.Column(db.Boolean)
    physical_therapy_done = db.Column(db.Boolean)
    entered_at = db.Column(UTCDateTime, nullable=False)
    entered_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    source = db.Column(choice_enum(EntrySource, "entry_source"), nullable=False)
    replaced_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # None: the patient corrected it through the personal link.
    replaced_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    reason = db.Column(db.Text, nullable=False)

    entry = db.relationship("DiaryEntry", back_populates="revisions")
    entered_by = db.relationship("User", foreign_keys=[entered_by_id])
    replaced_by = db.relationship("User", foreign_keys=[replaced_by_id])


class DiaryLink(db.Model):
    """A personal link that opens one case's diary without a password.

    The URL carries only a signature of {"link": id, "case": case_id} (tracker/diary/links.py);
    the row decides whether it is still good: not revoked and not past `expires_at`.
    """

    __tablename__ = "diary_links"
    __table_args__ = (
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
        CheckConstraint("revoked_by_id IS NULL OR revoked_at IS NOT NULL", name="revoked_has_time"),
    )

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("cases.id"), nullable=False, index=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    expires_at = db.Column(UTCDateTime, nullable=False)
    revoked_at = db.Column(UTCDateTime)
    revoked_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    last_used_at = db.Column(UTCDateTime)
    # The address it was emailed to (None: created but not sent).
    sent_to = db.Column(db.String(254))

    case = db.relationship("Case")
    created_by = db.relationship("User", foreign_keys=[created_by_id])
    revoked_by = db.relationship("User", foreign_keys=[revoked_by_id])

    def usable_at(self, moment):
        return self.revoked_at is None and moment < self.expires_at


class DiaryReminder(db.Model):
    """One reminder attempt for one point and channel. The unique constraint is the exactly-once
    guard: a worker claims an attempt by inserting its row before sending."""

    __tablename__ = "diary_reminders"
    __table_args__ = (
        UniqueConstraint("point_id", "channel", "attempt", name="uq_diary_reminders_point_channel_attempt"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        CheckConstraint("status IN ('claimed', 'sent', 'skipped', 'failed')", name="status_known"),
        # Reports: reminders tried within a period.
        db.Index("ix_diary_reminders_claimed_at", "claimed_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    point_id = db.Column(db.Integer, db.ForeignKey("diary_points.id"), nullable=False)
    channel = db.Column(db.String(16), nullable=False)
    attempt = db.Column(db.SmallInteger, nullable=False)
    status = db.Column(db.String(16), nullable=False)
    claimed_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = db.Column(UTCDateTime)
    detail = db.Column(db.String(200))

    point = db.relationship("DiaryPoint", back_populates="reminders")


class Outcome(db.Model):
    """The physician's decision that closes a case: the diagnostic result, how long therapeutic
    relief lasted, and the next step (a repeat or confirmatory block opens a linked new case)."""

    __tablename__ = "outcomes"
    __table_args__ = (
        CheckConstraint("diagnostic_result IS NULL OR diagnostic_result IN "
                        "('positive', 'negative', 'indeterminate')", name="diagnostic_result_known"),
        CheckConstraint("therapeutic_days IS NULL OR therapeutic_days >= 0", name="therapeutic_days_not_negative"),
        # Reports: outcomes recorded within a period.
        db.Index("ix_outcomes_decided_at", "decided_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("cases.id"), nullable=False, unique=True)
    diagnostic_result = db.Column(db.String(16))
    therapeutic_days = db.Column(db.Integer)
    # The diary's reading of the duration when the outcome was recorded (the shorter side's; None:
    # nothing to judge by). Kept beside the recorded value, which differs from it only with a reason,
    # and shown with it wherever the duration is evidence ("recorded 120 days; diary read 42").
    diary_therapeutic_days = db.Column(db.Integer)
    therapeutic_days_reason = db.Column(db.Text, nullable=False, default="", server_default="")
    # The computed figures per side when the outcome was recorded:
    # {side: {"diagnostic": ..., "peak_relief": ..., "therapeutic_days": ...}}.
    per_side = db.Column(db.JSON, nullable=False, default=dict)
    # A bilateral block's diagnostic result per joint, {"left": ..., "right": ...}; NULL for a
    # one-sided case (and a therapeutic injection), whose one result is diagnostic_result. For a
    # bilateral block diagnostic_result holds the joints' result only when they agree, and is NULL
    # when they differ: read a joint's result with result_for(side), never diagnostic_result alone.
    # A bilateral block recorded before results were kept per joint has NULL here: its one result
    # stood for both joints, and result_for reads it so.
    side_results = db.Column(db.JSON(none_as_null=True))
    # A bilateral case's therapeutic duration per joint, {"left": days, "right": days} (a joint's
    # None: not known), each prefilled from its side's diary reading and departing from it only with
    # the duration's reason; NULL for a one-sided case, whose one duration is therapeutic_days. For
    # a bilateral case therapeutic_days holds the shorter joint's, NULL when either joint's is not
    # known (as diary_therapeutic_days holds the shorter side's reading, NULL when either side has
    # none; migration 0070 cleared the other joint's kept before): read a joint's duration with
    # days_for(side), never
    # therapeutic_days alone. Migration 0053 wrote each earlier bilateral outcome's days per joint
    # as they were read before (the diary's reading accepted: each side's own; a recorded
    # departure: the recorded value for both).
    side_days = db.Column(db.JSON(none_as_null=True))
    next_step = db.Column(choice_enum(NextStep, "next_step"), nullable=False)
    notes = db.Column(db.Text, nullable=False, default="")
    decided_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    decided_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    follow_on_case_id = db.Column(db.Integer, db.ForeignKey("cases.id"))

    version_id = db.Column(db.Integer, nullable=False, default=1, server_default="1")

    case = db.relationship("Case", foreign_keys=[case_id],
                           backref=db.backref("outcome", uselist=False))
    follow_on_case = db.relationship("Case", foreign_keys=[follow_on_case_id])
    decided_by = db.relationship("User")
    revisions = db.relationship("OutcomeRevision", back_populates="outcome", order_by="OutcomeRevision.id")
    __mapper_args__ = {"version_id_col": version_id}

    def result_for(self, side):
        """The diagnostic result recorded for one joint ("left"/"right"): the joint's own for a
        bilateral block, else the case's one result."""
        return _result_for(self, side)

    @property
    def results_by_side(self):
        """[(side, result)] of a bilateral block recorded per joint, left first; [] otherwise."""
        return _results_by_side(self)

    def diary_result_for(self, side):
        """What the diary read for one joint when the outcome was recorded (None: not kept)."""
        return ((self.per_side or {}).get(str(getattr(side, "value", side))) or {}).get("diagnostic")

    def side_departs_from_diary(self, side):
        """One joint's recorded result is not what the diary read for it."""
        read = self.diary_result_for(side)
        return read is not None and self.result_for(side) != read

    def days_for(self, side):
        """The therapeutic duration recorded for one joint ("left"/"right"): the joint's own for a
        bilateral case, else the case's one duration. (A bilateral outcome without side_days,
        written before them and not through migration 0053, reads as it did: the diary's reading
        accepted is each side's own, a departure stands for both.)"""
        if self.side_days is None and self.therapeutic_days is not None \
                and self.therapeutic_days == self.diary_therapeutic_days:
            return self.diary_days_for(side)
        return _days_for(self, side)

    @property
    def days_by_side(self):
        """[(side, days)] of a bilateral case recorded per joint, left first; [] otherwise."""
        return _days_by_side(self)

    def diary_days_for(self, side):
        """The diary's reading of one joint's duration when the outcome was recorded (the case's
        reading when the side's was not kept)."""
        kept = (self.per_side or {}).get(str(getattr(side, "value", side)))
        return kept.get("therapeutic_days") if kept and "therapeutic_days" in kept else self.diary_therapeutic_days

    def side_days_depart_from_diary(self, side):
        """One joint's recorded duration is not its side's diary reading (leaving it unknown is not)."""
        days = self.days_for(side)
        return days is not None and days != self.diary_days_for(side)

    def side_days_so_far(self, side):
        """One joint's recorded duration is its side's diary reading, a lower bound when recorded
        (the diary still ran and relief still held at that side's latest score)."""
        kept = (self.per_side or {}).get(str(getattr(side, "value", side))) or {}
        days = self.days_for(side)
        return bool(kept.get("days_so_far")) and days is not None and days == kept.get("therapeutic_days")

    @property
    def diary_days_so_far(self):
        """The diary's reading of the duration (diary_therapeutic_days) was a lower bound when the
        outcome was recorded: the diary still ran and relief held at the latest score of the side
        it came from (per_side's "days_so_far"; an outcome recorded before it was kept reads False)."""
        return self.diary_therapeutic_days is not None and any(
            side.get("days_so_far") and side.get("therapeutic_days") == self.diary_therapeutic_days
            for side in (self.per_side or {}).values())

    @property
    def days_depart_from_diary(self):
        """The recorded duration is not the diary's reading (a recorded value where the diary had
        none counts; leaving it unknown does not)."""
        if self.side_days:
            return any(self.side_days_depart_from_diary(side) for side in self.side_days)
        return self.therapeutic_days is not None and self.therapeutic_days != self.diary_therapeutic_days

    @property
    def diary_result(self):
        """The diagnostic result the diary read when the outcome was recorded (every side the
        same; None when the sides differ or nothing was kept)."""
        results = {side.get("diagnostic") for side in (self.per_side or {}).values()}
        return results.pop() if len(results) == 1 else None

    @property
    def result_departs_from_diary(self):
        """The recorded result, first or corrected, is not what the diary read (for a bilateral
        block recorded per joint: for some joint)."""
        if self.side_results:
            return any(self.side_departs_from_diary(side) for side in self.side_results)
        return self.diary_result is not None and self.diagnostic_result != self.diary_result


def _for_joint(per_joint, one, side):
    """One joint's value of a per-joint column ({"left": ..., "right": ...}), else the case's one."""
    if per_joint:
        return per_joint.get(str(getattr(side, "value", side)))
    return one


def _by_joint(per_joint):
    return [(side, per_joint[side]) for side in ("left", "right") if side in (per_joint or {})]


def _result_for(row, side):
    return _for_joint(row.side_results, row.diagnostic_result, side)


def _results_by_side(row):
    return _by_joint(row.side_results)


def _days_for(row, side):
    return _for_joint(row.side_days, row.therapeutic_days, side)


def _days_by_side(row):
    return _by_joint(row.side_days)


class OutcomeRevision(db.Model):
    """The values a physician's correction of an outcome replaced, with who, when and why. Append-only."""

    __tablename__ = "outcome_revisions"
    __table_args__ = (
        CheckConstraint("reason <> ''", name="reason_given"),
    )

    id = db.Column(db.Integer, primary_key=True)
    outcome_id = db.Column(db.Integer, db.ForeignKey("outcomes.id"), nullable=False, index=True)
    diagnostic_result = db.Column(db.String(16))
    # The replaced per-joint results of a bilateral block (Outcome.side_results); NULL otherwise.
    side_results = db.Column(db.JSON(none_as_null=True))
    therapeutic_days = db.Column(db.Integer)
    # The replaced per-joint durations of a bilateral case (Outcome.side_days); NULL otherwise.
    side_days = db.Column(db.JSON(none_as_null=True))
    therapeutic_days_reason = db.Column(db.Text, nullable=False)
    notes = db.Column(db.Text, nullable=False)
    replaced_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    replaced_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    reason = db.Column(db.Text, nullable=False)

    outcome = db.relationship("Outcome", back_populates="revisions")
    replaced_by = db.relationship("User")

    def result_for(self, side):
        """The joint's result this revision replaced (as Outcome.result_for)."""
        return _result_for(self, side)

    @property
    def results_by_side(self):
        return _results_by_side(self)

    def days_for(self, side):
        """The joint's duration this revision replaced (as Outcome.days_for)."""
        return _days_for(self, side)

    @property
    def days_by_side(self):
        return _days_by_side(self)
