"""closures: days the clinic is closed, or a physician is on leave

A closure is a date range (first and last day included, in the clinic's dates) with its reason, for
the whole clinic (`physician_id` null: Christmas Day) or one physician (leave). The free slots skip
them and a booking on one is a warning to acknowledge. A new table: nothing to fill, and the
downgrade drops it.

Revision ID: 0057_closures
Revises: 0056_local_anaesthetic_maximums
Create Date: 2026-12-06 12:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0057_closures'
down_revision = '0056_local_anaesthetic_maximums'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'closures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=120), nullable=False),
        sa.Column('physician_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.CheckConstraint('last_day >= first_day', name=op.f('ck_closures_last_day_not_before_first')),
        sa.CheckConstraint("reason <> ''", name=op.f('ck_closures_reason_given')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_closures_created_by_id_users')),
        sa.ForeignKeyConstraint(['physician_id'], ['users.id'], name=op.f('fk_closures_physician_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_closures')),
    )
    with op.batch_alter_table('closures') as batch_op:
        batch_op.create_index('ix_closures_last_day', ['last_day'], unique=False)
        batch_op.create_index(batch_op.f('ix_closures_physician_id'), ['physician_id'], unique=False)


def downgrade():
    with op.batch_alter_table('closures') as batch_op:
        batch_op.drop_index(batch_op.f('ix_closures_physician_id'))
        batch_op.drop_index('ix_closures_last_day')
    op.drop_table('closures')
