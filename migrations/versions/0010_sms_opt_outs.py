"""phone numbers that answered STOP to the clinic's texts

Revision ID: 0010_sms_opt_outs
Revises: 0009_phone_e164
Create Date: 2026-12-05 08:40:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0010_sms_opt_outs'
down_revision = '0009_phone_e164'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sms_opt_outs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('keyword', sa.String(length=16), nullable=False),
        sa.Column('opted_out_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_opt_outs')),
        sa.UniqueConstraint('phone', name=op.f('uq_sms_opt_outs_phone')),
    )


def downgrade():
    op.drop_table('sms_opt_outs')
