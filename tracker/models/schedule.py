"""Rooms, physicians' working hours, appointments and their history."""
from sqlalchemy import CheckConstraint, UniqueConstraint

from tracker.extensions import db
from tracker.models.types import UTCDateTime, choice_enum
from tracker.timeutil import to_clinic, utcnow
from tracker.vocab import AppointmentStatus, Modality

# An appointment in one of these holds its physician and room (overlaps are refused).
ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN,
                   AppointmentStatus.IN_PROCEDURE)


class Room(db.Model):
    __tablename__ = "rooms"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False, unique=True)
    modality = db.Column(choice_enum(Modality, "modality"), nullable=False, default=Modality.FLUOROSCOPY)
    # Where the patient goes: shown on the patient's appointment page and calendar entry.
    location = db.Column(db.String(200), nullable=False, default="")
    # The same in Spanish, for patients who read Spanish ("" : they read `location`): i18n.place.
    location_es = db.Column(db.String(200), nullable=False, default="", server_default="")
    active = db.Column(db.Boolean, nullable=False, default=True)
    version_id = db.Column(db.Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version_id}


class WorkingHours(db.Model):
    """One span per physician and weekday, in the clinic's wall-clock time."""

    __tablename__ = "working_hours"
    __table_args__ = (
        UniqueConstraint("physician_id", "weekday", name="uq_working_hours_physician_weekday"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("ends > starts", name="ends_after_starts"),
    )

    id = db.Column(db.Integer, primary_key=True)
    physician_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    weekday = db.Column(db.Integer, nullable=False)
    starts = db.Column(db.Time, nullable=False)
    ends = db.Column(db.Time, nullable=False)


class Closure(db.Model):
    """Days the whole clinic is closed (`physician_id` None: a public holiday) or one physician is
    away (leave), first and last day included, in the clinic's dates: the free slots skip them and a
    booking on one is a warning to acknowledge."""

    __tablename__ = "closures"
    __table_args__ = (
        CheckConstraint("last_day >= first_day", name="last_day_not_before_first"),
        CheckConstraint("reason <> ''", name="reason_given"),
        # The closures still to come, or covering a day: by their last day.
        db.Index("ix_closures_last_day", "last_day"),
    )

    id = db.Column(db.Integer, primary_key=True)
    first_day = db.Column(db.Date, nullable=False)
    last_day = db.Column(db.Date, nullable=False)
    reason = db.Column(db.String(120), nullable=False)
    physician_id = db.Column(db.Integer, db.ForeignKey("users.id"), index=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)

    physician = db.relationship("User", foreign_keys=[physician_id])


class ScheduleLock(db.Model):
    """One row per room and per physician, and per patient given a further referral
    (tracker.transactions.lock). A booking first updates the rows of its room and physician, a
    referral for a known patient the row of the patient: on PostgreSQL that locks them, on SQLite
    it takes the write lock, so two bookings of the same resource, or two referrals of the same
    patient, are checked and written one after the other, never interleaved. `bookings` counts
    the times the row was taken."""

    __tablename__ = "schedule_locks"

    resource = db.Column(db.String(40), primary_key=True)
    bookings = db.Column(db.Integer, nullable=False, default=0)


class Appointment(db.Model):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint(
            "(status <> 'cancelled') OR (cancelled_reason IS NOT NULL AND cancelled_reason <> '')",
            name="cancel_has_reason"),
        db.Index("ix_appointments_room_time", "room_id", "starts_at"),
        db.Index("ix_appointments_physician_time", "physician_id", "starts_at"),
        db.Index("ix_appointments_starts_at", "starts_at"),
        # Reports: bookings made within a period (lead times).
        db.Index("ix_appointments_created_at", "created_at"),
        # Reports: "is this the case's first booking?" (no lower id of the same case), from the index alone.
        db.Index("ix_appointments_case_id_id", "case_id", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("cases.id"), nullable=False, index=True)
    physician_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    room_id = db.Column(db.Integer, db.ForeignKey("rooms.id"), nullable=False)
    starts_at = db.Column(UTCDateTime, nullable=False)
    ends_at = db.Column(UTCDateTime, nullable=False)
    status = db.Column(choice_enum(AppointmentStatus, "appointment_status"), nullable=False,
                       default=AppointmentStatus.BOOKED)
    cancelled_reason = db.Column(db.Text)
    # Warnings the coordinator acknowledged when booking (same-day, hours, spacing, caps).
    acknowledged_warnings = db.Column(db.Text, nullable=False, default="")
    # Readiness before the procedure (DESIGN.md section 3, Scheduling).
    consent_obtained = db.Column(db.Boolean, nullable=False, default=False)
    anticoagulant_plan_confirmed = db.Column(db.Boolean, nullable=False, default=False)
    # The day of the blood thinner's last dose, asked when its hold did not fit the booked day
    # (taken, or by the prescriber's new plan to be taken): the table reads it beside the plan.
    anticoagulant_last_dose_on = db.Column(db.Date)
    driver_arranged = db.Column(db.Boolean, nullable=False, default=False)
    contrast_premedication_sent = db.Column(db.Boolean, nullable=False, default=False)
    day_of_check_done = db.Column(db.Boolean, nullable=False, default=False)
    # A session over the payer's limits: the patient signed its liability notice (Medicare's ABN)
    # before the procedure. NULL: booked before the tracker asked (migration 0060), not recorded.
    liability_notice_signed = db.Column(db.Boolean, default=False)
    readiness_override_reason = db.Column(db.Text)
    readiness_override_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    checked_in_at = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    version_id = db.Column(db.Integer, nullable=False, default=1)

    case = db.relationship("Case", back_populates="appointments")
    physician = db.relationship("User", foreign_keys=[physician_id])
    room = db.relationship("Room")
    readiness_override_by = db.relationship("User", foreign_keys=[readiness_override_by_id])
    changes = db.relationship("AppointmentChange", back_populates="appointment",
                              order_by="AppointmentChange.id", cascade="all, delete-orphan")
    messages = db.relationship("AppointmentMessage", back_populates="appointment",
                               order_by="AppointmentMessage.id", cascade="all, delete-orphan")
    __mapper_args__ = {"version_id_col": version_id}

    @property
    def active(self):
        return self.status in ACTIVE_STATUSES

    @property
    def clinic_day(self):
        """The appointment's day in the clinic's calendar (readiness counts a hold's days to it)."""
        return to_clinic(self.starts_at).date() if self.starts_at else None

    @property
    def time_set_at(self):
        """When the appointment got the time it holds now: its booking, or its latest move."""
        moves = [c.at for c in self.changes if c.change in ("booked", "rescheduled") and c.at]
        return max([self.created_at, *moves])


class AppointmentChange(db.Model):
    """History of an appointment: booked, rescheduled (with the old time, room and physician),
    checked in, no-show, cancelled; who, when and why."""

    __tablename__ = "appointment_changes"

    id = db.Column(db.Integer, primary_key=True)
    appointment_id = db.Column(db.Integer, db.ForeignKey("appointments.id"), nullable=False, index=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    change = db.Column(db.String(20), nullable=False)
    reason = db.Column(db.Text, nullable=False, default="")
    old_starts_at = db.Column(UTCDateTime)
    old_room_id = db.Column(db.Integer, db.ForeignKey("rooms.id"))
    old_physician_id = db.Column(db.Integer, db.ForeignKey("users.id"))

    appointment = db.relationship("Appointment", back_populates="changes")
    actor = db.relationship("User", foreign_keys=[actor_id])


class AppointmentMessage(db.Model):
    """One message to the patient about an appointment on one channel: a reminder before it, an
    update when it moved, a cancellation. `topic` names what it says ("before-24h-202612071015",
    "moved-17", "cancelled"; the booking confirmation "booked-202612111515" and the preparation
    reminder "prepare-20261207-202612111515" are kept as reminders); the unique (appointment, topic, channel, attempt) is the exactly-once
    guard, as for diary reminders: a sender claims attempt n by inserting its row before sending."""

    __tablename__ = "appointment_messages"
    __table_args__ = (
        UniqueConstraint("appointment_id", "topic", "channel", "attempt",
                         name="uq_appointment_messages_topic_channel_attempt"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        CheckConstraint("status IN ('claimed', 'sent', 'skipped', 'failed', 'uncertain')", name="status_known"),
        CheckConstraint("kind IN ('reminder', 'update', 'cancellation')", name="kind_known"),
    )

    id = db.Column(db.Integer, primary_key=True)
    appointment_id = db.Column(db.Integer, db.ForeignKey("appointments.id"), nullable=False, index=True)
    topic = db.Column(db.String(40), nullable=False)
    kind = db.Column(db.String(16), nullable=False)
    channel = db.Column(db.String(16), nullable=False)
    attempt = db.Column(db.SmallInteger, nullable=False)
    status = db.Column(db.String(16), nullable=False)
    claimed_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = db.Column(UTCDateTime)
    detail = db.Column(db.String(200))
    # Who asked for it again from the appointment page or the day board (None: the cron run).
    requested_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))

    appointment = db.relationship("Appointment", back_populates="messages")
    requested_by = db.relationship("User")
