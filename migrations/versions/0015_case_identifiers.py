"""identifiers other systems gave a referral (FHIR intake's idempotency)

Revision ID: 0015_case_identifiers
Revises: 0014_api_tokens
Create Date: 2026-12-05 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_case_identifiers'
down_revision = '0014_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_identifiers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('system', sa.String(length=255), nullable=False),
        sa.Column('value', sa.String(length=255), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_identifiers_case_id_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_identifiers')),
        sa.UniqueConstraint('system', 'value', name='uq_case_identifiers_system_value'),
    )
    with op.batch_alter_table('case_identifiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_identifiers_case_id'), ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_identifiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_identifiers_case_id'))
    op.drop_table('case_identifiers')
