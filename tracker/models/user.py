import secrets

from flask_login import UserMixin
from sqlalchemy import CheckConstraint
from sqlalchemy.orm import validates

from tracker.extensions import db
from tracker.models.types import UTCDateTime, choice_enum
from tracker.roles import STAFF, Role
from tracker.timeutil import utcnow

# Why an account is no longer booked with (User.not_booked_with).
DEACTIVATED, ANOTHER_ROLE = "deactivated", "another role"


def new_session_token():
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # A patient account belongs to exactly one patient record; staff accounts to none.
        CheckConstraint(
            "(role = 'patient' AND patient_id IS NOT NULL) OR (role <> 'patient' AND patient_id IS NULL)",
            name="patient_link",
        ),
        # Kept once a physician's: the physician filters offer a former physician from the accounts alone.
        CheckConstraint("role <> 'physician' OR ever_physician", name="physician_kept"),
    )

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    role = db.Column(choice_enum(Role, "role"), nullable=False, index=True)
    password_hash = db.Column(db.String(255), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=True)
    # Whether this account has ever been a physician's: set with the role, never cleared, so a
    # physician given another role is still offered by the physician filters (tracker/cases/
    # worklist.py) and accepted by the API, without asking the cases who owns them.
    ever_physician = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    # Rotated at sign-out and password change, so a copied session cookie stops working.
    session_token = db.Column(db.String(64), nullable=False, default=new_session_token)
    patient_id = db.Column(db.Integer, db.ForeignKey("patients.id"), unique=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    password_changed_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    last_sign_in_at = db.Column(UTCDateTime)
    version_id = db.Column(db.Integer, nullable=False, default=1)
    # A physician's working hours (WorkingHours rows, one per weekday, none for a day off) are saved
    # as one week: the version the hours form was opened on, so a stale form overwrites nothing.
    # Apart from version_id, so editing the account and its hours never makes the other stale.
    hours_version = db.Column(db.Integer, nullable=False, default=1, server_default="1")

    patient = db.relationship("Patient", back_populates="account")

    __mapper_args__ = {"version_id_col": version_id}

    @validates("role")
    def _keep_ever_physician(self, key, role):
        if role == Role.PHYSICIAN:
            self.ever_physician = True
        return role

    @property
    def bookable(self):
        """Whether appointments can be booked with this account: an active physician's."""
        return self.active and self.role == Role.PHYSICIAN

    @property
    def not_booked_with(self):
        """Why appointments are no longer booked with this account: "deactivated", "another role"
        (still active, no longer a physician), or None for an active physician's (`bookable`)."""
        if not self.active:
            return DEACTIVATED
        return None if self.role == Role.PHYSICIAN else ANOTHER_ROLE

    def get_id(self):
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self):
        return self.active

    @property
    def is_staff(self):
        return self.role in STAFF

    def rotate_session_token(self):
        self.session_token = new_session_token()

    def __repr__(self):
        return f"<User {self.id} {self.role.value}>"


class SignInThrottle(db.Model):
    """Sign-in attempts per account name, in the database so every worker process sees them.

    Keyed by the normalised email typed, whether or not such an account exists, so the
    lock-out itself does not reveal which accounts exist. `failures` counts the attempts in the
    current window, each counted before its password is checked; a successful sign-in deletes
    the row (tracker/auth/services.py).
    """

    __tablename__ = "sign_in_throttle"

    email = db.Column(db.String(254), primary_key=True)
    failures = db.Column(db.Integer, nullable=False, default=0)
    window_started_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    locked_until = db.Column(UTCDateTime)
