"""a bilateral outcome whose joint's duration is not known keeps no duration for the case

`outcomes.therapeutic_days` of a bilateral case is "the shorter joint's" (the API's
`therapeutic_days`), but with one joint's duration not known (NULL in `side_days`) it kept the other
joint's: the left at 120 days and the right not known read as a case whose shorter joint's relief
lasted 120 days. The upgrade clears it (NULL: not known) where a joint's duration is not known. The
per-joint durations, which every page, FHIR and the repeat criterion read, are untouched, and so are
the revisions (`outcome_revisions`: the values a correction replaced, as they were kept). The
downgrade writes back the known joint's, as the reading before kept it.

Revision ID: 0070_case_days_joint_unknown
Revises: 0069_relief_none_seen_day_0
Create Date: 2026-12-07 23:50:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0070_case_days_joint_unknown'
down_revision = '0069_relief_none_seen_day_0'
branch_labels = None
depends_on = None


def _with_a_joint_not_known():
    """(id, therapeutic_days, the known joints' days) of each outcome with a joint's duration not known."""
    rows = op.get_bind().execute(sa.text(
        "SELECT id, therapeutic_days, side_days FROM outcomes WHERE side_days IS NOT NULL")).all()
    for outcome_id, days, side_days in rows:
        per_joint = (json.loads(side_days) if isinstance(side_days, str) else side_days) or {}
        if None in per_joint.values():
            yield outcome_id, days, [value for value in per_joint.values() if value is not None]


def _set(outcome_id, days):
    op.get_bind().execute(sa.text("UPDATE outcomes SET therapeutic_days = :days WHERE id = :id"),
                          {"id": outcome_id, "days": days})


def upgrade():
    for outcome_id, days, _known in list(_with_a_joint_not_known()):
        if days is not None:
            _set(outcome_id, None)


def downgrade():
    for outcome_id, days, known in list(_with_a_joint_not_known()):
        if days is None and known:
            _set(outcome_id, min(known))
