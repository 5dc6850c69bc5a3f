"""patient search: a B-tree index on the MRN key for whole-MRN lookups; name indexes that hold
what search sorts by

Search by a whole MRN, registration's MRN check, the duplicate rule and FHIR intake compare
`mrn_key` for equality; the trigram index of 0021 (PostgreSQL, pg_trgm) serves fragments, and
answers equality only by intersecting the lists of every trigram of the number. The family and
given name key indexes gain the other key and the id, so a name search reads its matches from the
index alone and the table only for the patients shown. See README, "Speed".

Revision ID: 0026_patient_search_indexes
Revises: 0025_report_first_rows
Create Date: 2026-12-05 11:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0026_patient_search_indexes'
down_revision = '0025_report_first_rows'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index('ix_patients_mrn_key_exact', ['mrn_key'], unique=False)
        batch_op.create_index('ix_patients_family_name_search', ['family_name_key', 'given_name_key', 'id'],
                              unique=False, postgresql_ops={'family_name_key': 'text_pattern_ops'})
        batch_op.create_index('ix_patients_given_name_search', ['given_name_key', 'family_name_key', 'id'],
                              unique=False, postgresql_ops={'given_name_key': 'text_pattern_ops'})
        batch_op.drop_index('ix_patients_family_name_key', postgresql_ops={'family_name_key': 'text_pattern_ops'})
        batch_op.drop_index('ix_patients_given_name_key', postgresql_ops={'given_name_key': 'text_pattern_ops'})


def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index('ix_patients_given_name_key', ['given_name_key'], unique=False,
                              postgresql_ops={'given_name_key': 'text_pattern_ops'})
        batch_op.create_index('ix_patients_family_name_key', ['family_name_key'], unique=False,
                              postgresql_ops={'family_name_key': 'text_pattern_ops'})
        batch_op.drop_index('ix_patients_given_name_search')
        batch_op.drop_index('ix_patients_family_name_search')
        batch_op.drop_index('ix_patients_mrn_key_exact')
