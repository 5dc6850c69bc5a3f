"""procedure steps keep when they were first recorded, and by whom, besides their last save

Until now a correction moved the step's only stamp: imaging saved at 17:32:39 and corrected at
17:33:06 read 17:33:06 on the note, after the contrast check it preceded. The first save is read
from the audit trail: the step's "saved" row of action create ("case 3: fluoroscopy (left) saved
with warnings"); a step the trail shows saved only once, or whose first save it does not show, was
first recorded at its last save. The downgrade drops the columns; the audit trail still says it.

Revision ID: 0040_step_first_recorded
Revises: 0039_infection_acknowledged
Create Date: 2026-12-06 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0040_step_first_recorded'
down_revision = '0039_infection_acknowledged'
branch_labels = None
depends_on = None

PER_SIDE_STEPS = ('fluoroscopy', 'contrast', 'injectate')

steps = sa.table('procedure_steps', sa.column('id', sa.Integer), sa.column('record_id', sa.Integer),
                 sa.column('step', sa.String), sa.column('side', sa.String), sa.column('attempt', sa.Integer),
                 sa.column('recorded_at', sa.DateTime), sa.column('recorded_by_id', sa.Integer),
                 sa.column('first_recorded_at', sa.DateTime), sa.column('first_recorded_by_id', sa.Integer))
records = sa.table('procedure_records', sa.column('id', sa.Integer), sa.column('case_id', sa.Integer),
                   sa.column('side', sa.String))
events = sa.table('audit_events', sa.column('id', sa.Integer), sa.column('at', sa.DateTime),
                  sa.column('user_id', sa.Integer), sa.column('action', sa.String),
                  sa.column('object_type', sa.String), sa.column('object_id', sa.String),
                  sa.column('summary', sa.Text))


def _saved(summary, prefix):
    """The audit row says this step was saved: "<prefix>", then its end or what follows (", a strength
    …", " with warnings")."""
    return summary.startswith(prefix) and summary[len(prefix):][:1] in ('', ',', ' ')


def _backfill():
    conn = op.get_bind()
    saves = {}
    for object_id, at, user_id, action, summary in conn.execute(
            sa.select(events.c.object_id, events.c.at, events.c.user_id, events.c.action, events.c.summary)
            .where(events.c.object_type == 'procedure_record', events.c.action.in_(('create', 'update')),
                   events.c.summary.like('% saved%'))
            .order_by(events.c.at, events.c.id)):
        saves.setdefault(object_id, []).append((at, user_id, action, summary))
    rows = conn.execute(sa.select(steps.c.id, steps.c.record_id, steps.c.step, steps.c.side, steps.c.attempt,
                                  steps.c.recorded_at, steps.c.recorded_by_id, records.c.case_id,
                                  records.c.side.label('record_side'))
                        .join(records, records.c.id == steps.c.record_id)).all()
    for row in rows:
        where = f" ({row.side})" if row.step in PER_SIDE_STEPS and row.record_side == 'bilateral' else ""
        repeat = f", check {row.attempt}" if row.attempt > 1 else ""
        prefix = f"case {row.case_id}: {row.step}{where}{repeat} saved"
        found = [save for save in saves.get(str(row.record_id), ()) if _saved(save[3], prefix)]
        first = found[0] if found and found[0][2] == 'create' else None
        if first is not None and len(found) > 1 and first[1] is not None:
            at, by = first[0], first[1]
        else:
            at, by = row.recorded_at, row.recorded_by_id
        conn.execute(steps.update().where(steps.c.id == row.id).values(first_recorded_at=at,
                                                                      first_recorded_by_id=by))


def upgrade():
    with op.batch_alter_table('procedure_steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_recorded_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('first_recorded_by_id', sa.Integer(), nullable=True))

    _backfill()

    with op.batch_alter_table('procedure_steps', schema=None) as batch_op:
        batch_op.alter_column('first_recorded_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column('first_recorded_by_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_procedure_steps_first_recorded_by_id_users'), 'users',
                                    ['first_recorded_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('procedure_steps', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_procedure_steps_first_recorded_by_id_users'), type_='foreignkey')
        batch_op.drop_column('first_recorded_by_id')
        batch_op.drop_column('first_recorded_at')
