"""eligibility verdicts keep the codes of their criteria not met (failed_criteria, a JSON list)

The reports count, per payer profile, the criteria first verdicts found not met; reading them from
each verdict's snapshot meant parsing 2 to 3 KB of JSON per verdict of the period. The verdict now
keeps those codes beside its snapshot (written with it, verdicts are never edited); existing
verdicts get theirs from their snapshot here.

Revision ID: 0029_verdict_failed_criteria
Revises: 0028_risk_screen_answers
Create Date: 2026-12-05 11:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029_verdict_failed_criteria'
down_revision = '0028_risk_screen_answers'
branch_labels = None
depends_on = None

BACKFILL = {
    "postgresql": """
UPDATE eligibility_verdicts SET failed_criteria = coalesce((
    SELECT json_agg(element ->> 'code' ORDER BY position)::text
    FROM json_array_elements(snapshot -> 'criteria') WITH ORDINALITY AS e(element, position)
    WHERE element ->> 'status' = 'not_met'), '[]')
""",
    "sqlite": """
UPDATE eligibility_verdicts SET failed_criteria = coalesce((
    SELECT json_group_array(json_extract(value, '$.code'))
    FROM (SELECT value FROM json_each(snapshot, '$.criteria')
          WHERE json_extract(value, '$.status') = 'not_met' ORDER BY key)), '[]')
""",
}


def upgrade():
    with op.batch_alter_table('eligibility_verdicts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_criteria', sa.Text(), server_default='[]', nullable=False))
    op.execute(BACKFILL[op.get_bind().dialect.name])


def downgrade():
    with op.batch_alter_table('eligibility_verdicts', schema=None) as batch_op:
        batch_op.drop_column('failed_criteria')
