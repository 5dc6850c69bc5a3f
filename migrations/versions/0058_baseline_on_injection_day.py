"""the baseline's window opens on the morning of the injection, not at the booking

A diary's baseline ("Before the injection") was asked from the booking, days or weeks before the
injection, so the score a block's relief is measured against could describe the pain of another
week. It now opens at the clinic's midnight starting the appointment's day
(tracker.diary.services.baseline_opens). Booked cases whose baseline has nothing entered yet (the
window still open, no entry) get that opening from their active appointment; a baseline already
given stays as given (it describes the moment it was given), and closed windows are not touched.
The downgrade keeps the windows as they are (the booking moments are not all kept).

Revision ID: 0058_baseline_on_injection_day
Revises: 0057_closures
Create Date: 2026-12-06 12:15:00

"""
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = '0058_baseline_on_injection_day'
down_revision = '0057_closures'
branch_labels = None
depends_on = None

points = sa.table("diary_points", sa.column("id", sa.Integer), sa.column("case_id", sa.Integer),
                  sa.column("point_code", sa.String), sa.column("opens_at", sa.DateTime),
                  sa.column("closes_at", sa.DateTime), sa.column("completed_at", sa.DateTime))
entries = sa.table("diary_entries", sa.column("point_id", sa.Integer))
appointments = sa.table("appointments", sa.column("case_id", sa.Integer), sa.column("status", sa.String),
                        sa.column("starts_at", sa.DateTime))
cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("state", sa.String))


def upgrade():
    conn = op.get_bind()
    zone = ZoneInfo(current_app.config["CLINIC_TIMEZONE"])
    rows = conn.execute(
        sa.select(points.c.id, points.c.opens_at, sa.func.min(appointments.c.starts_at))
        .join(cases, cases.c.id == points.c.case_id)
        .join(appointments, appointments.c.case_id == points.c.case_id)
        .where(points.c.point_code == "t0", points.c.closes_at.is_(None), points.c.completed_at.is_(None),
               cases.c.state == "scheduled", appointments.c.status.in_(("booked", "checked_in")),
               ~sa.exists().where(entries.c.point_id == points.c.id))
        .group_by(points.c.id, points.c.opens_at)).all()
    for point_id, opens_at, starts_at in rows:
        # Stored as naive UTC: the clinic's midnight starting the appointment's day, as naive UTC.
        day = starts_at.replace(tzinfo=timezone.utc).astimezone(zone).date()
        midnight = datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)
        if midnight != opens_at:
            conn.execute(points.update().where(points.c.id == point_id).values(opens_at=midnight))


def downgrade():
    pass
