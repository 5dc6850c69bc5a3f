from tracker.extensions import db
from tracker.models.types import UTCDateTime
from tracker.timeutil import utcnow


class HeldForm(db.Model):
    """A form posted after its sender's session ended, kept for them for a short while
    (tracker/auth/held_forms.py): shown back after they sign in again, never applied unseen."""

    __tablename__ = "held_forms"

    id = db.Column(db.Integer, primary_key=True)
    # The key the browser carries in its (signed-out) session cookie and the restore address holds.
    token = db.Column(db.String(64), nullable=False, unique=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    # The address the form was posted to, and its fields as [[name, value], ...] in posted order.
    path = db.Column(db.String(2000), nullable=False)
    fields = db.Column(db.JSON, nullable=False)
    held_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = db.Column(UTCDateTime, nullable=False, index=True)
