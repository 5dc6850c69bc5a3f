"""procedure records keep what the physician acknowledged to start them: a pregnancy on the risk
screen and her other procedures in progress

Until now only the start's audit row said it ("procedure started while case 3 was in procedure
(acknowledged); possibly pregnant on the risk screen (acknowledged)"). Each record's start row is
read for it: the pregnancy answer and the cases named. A start that acknowledged nothing keeps
nothing. The downgrade drops the columns; the audit trail still says it.

Revision ID: 0037_start_acknowledgements
Revises: 0036_relief_onset_week
Create Date: 2026-12-06 09:00:00

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0037_start_acknowledgements'
down_revision = '0036_relief_onset_week'
branch_labels = None
depends_on = None

PREGNANCY = {'possibly pregnant': 'possible', 'pregnant': 'yes'}
RUNNING = re.compile(r' while (.+?) (?:was|were) in procedure \(acknowledged\)')
PREGNANT = re.compile(r'(possibly pregnant|pregnant) on the risk screen \(acknowledged\)')

records = sa.table('procedure_records', sa.column('id', sa.Integer), sa.column('pregnancy_acknowledged', sa.String),
                   sa.column('acknowledged_case_ids', sa.JSON(none_as_null=True)))
events = sa.table('audit_events', sa.column('action', sa.String), sa.column('object_type', sa.String),
                  sa.column('object_id', sa.String), sa.column('summary', sa.Text))


def _backfill():
    conn = op.get_bind()
    started = conn.execute(sa.select(events.c.object_id, events.c.summary).where(
        events.c.action == 'create', events.c.object_type == 'procedure_record',
        events.c.summary.like('%(acknowledged)%'))).all()
    for object_id, summary in started:
        running, pregnant = RUNNING.search(summary), PREGNANT.search(summary)
        conn.execute(records.update().where(records.c.id == int(object_id)).values(
            pregnancy_acknowledged=PREGNANCY[pregnant.group(1)] if pregnant else None,
            acknowledged_case_ids=[int(n) for n in re.findall(r'case (\d+)', running.group(1))] if running else None))


def upgrade():
    with op.batch_alter_table('procedure_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pregnancy_acknowledged', sa.String(length=14), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_case_ids', sa.JSON(), nullable=True))
        batch_op.create_check_constraint(
            'pregnancy_acknowledged', "pregnancy_acknowledged IN ('not_applicable', 'no', 'possible', 'yes')")

    _backfill()


def downgrade():
    with op.batch_alter_table('procedure_records', schema=None) as batch_op:
        batch_op.drop_constraint('pregnancy_acknowledged', type_='check')
        batch_op.drop_column('acknowledged_case_ids')
        batch_op.drop_column('pregnancy_acknowledged')
