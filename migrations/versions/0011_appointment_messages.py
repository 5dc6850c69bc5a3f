"""messages to patients about their appointments (reminders, updates, cancellations)

Revision ID: 0011_appointment_messages
Revises: 0010_sms_opt_outs
Create Date: 2026-12-05 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011_appointment_messages'
down_revision = '0010_sms_opt_outs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'appointment_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('attempt', sa.SmallInteger(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('claimed_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('detail', sa.String(length=200), nullable=True),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('attempt >= 1', name=op.f('ck_appointment_messages_attempt_positive')),
        sa.CheckConstraint("kind IN ('reminder', 'update', 'cancellation')",
                           name=op.f('ck_appointment_messages_kind_known')),
        sa.CheckConstraint("status IN ('claimed', 'sent', 'skipped', 'failed', 'uncertain')",
                           name=op.f('ck_appointment_messages_status_known')),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                                name=op.f('fk_appointment_messages_appointment_id_appointments')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                                name=op.f('fk_appointment_messages_requested_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_messages')),
        sa.UniqueConstraint('appointment_id', 'topic', 'channel', 'attempt',
                            name='uq_appointment_messages_topic_channel_attempt'),
    )
    with op.batch_alter_table('appointment_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_messages_appointment_id'), ['appointment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('appointment_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_messages_appointment_id'))
    op.drop_table('appointment_messages')
