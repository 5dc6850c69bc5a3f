"""patients: a B-tree index on the phone key and the given name key, for the duplicate check

The likely-duplicate check lists a record with the same phone number and the same given name
(tracker/patients/duplicates.py). It compares both keys for equality; the trigram index of 0021
(PostgreSQL, pg_trgm) answers equality only by intersecting the lists of every trigram of the
number, and a number shared by a family would be read for every name on it.

Revision ID: 0071_patient_phone_given_index
Revises: 0070_case_days_joint_unknown
Create Date: 2026-12-07 23:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0071_patient_phone_given_index'
down_revision = '0070_case_days_joint_unknown'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index('ix_patients_phone_given', ['phone_key', 'given_name_key'], unique=False)


def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index('ix_patients_phone_given')
