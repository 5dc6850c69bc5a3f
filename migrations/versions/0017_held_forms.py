"""held forms: a form posted after the session ended, kept briefly for its sender

Revision ID: 0017_held_forms
Revises: 0016_audit_chain
Create Date: 2026-12-05 08:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_held_forms'
down_revision = '0016_audit_chain'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('held_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=2000), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('held_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_held_forms_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_held_forms')),
    sa.UniqueConstraint('token', name=op.f('uq_held_forms_token'))
    )
    with op.batch_alter_table('held_forms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_held_forms_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_held_forms_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('held_forms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_forms_user_id'))
        batch_op.drop_index(batch_op.f('ix_held_forms_expires_at'))
    op.drop_table('held_forms')
