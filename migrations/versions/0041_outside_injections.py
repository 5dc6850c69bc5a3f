"""injections given elsewhere (outside_injections), recorded on the patient's record

An SI joint injection the patient had at another clinic could only be mentioned in free text, so the
caps, the interval and a repeat's relief never counted it. Each one is now a row of its patient: day,
side, indication, where, the relief reported if known and where the facts come from. A new table:
nothing to fill; the downgrade drops it (the audit trail still names each entry).

Revision ID: 0041_outside_injections
Revises: 0040_step_first_recorded
Create Date: 2026-12-06 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0041_outside_injections'
down_revision = '0040_step_first_recorded'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outside_injections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('performed_on', sa.Date(), nullable=False),
    sa.Column('side', sa.Enum('left', 'right', 'bilateral', name='side', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('indication', sa.Enum('diagnostic', 'confirmatory', 'therapeutic', name='indication', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('relief_percent', sa.Integer(), nullable=True),
    sa.Column('relief_days', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('relief_days IS NULL OR relief_days >= 0', name=op.f('ck_outside_injections_outside_relief_days_range')),
    sa.CheckConstraint('relief_percent IS NULL OR (relief_percent BETWEEN 0 AND 100)', name=op.f('ck_outside_injections_outside_relief_percent_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_outside_injections_created_by_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_outside_injections_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outside_injections'))
    )
    with op.batch_alter_table('outside_injections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outside_injections_patient_id'), ['patient_id'], unique=False)



def downgrade():
    with op.batch_alter_table('outside_injections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outside_injections_patient_id'))

    op.drop_table('outside_injections')
