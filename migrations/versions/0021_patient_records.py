"""patients as records: folded identity keys, tombstones for merges, optimistic locking, a field-by-field
history, and the clinic's contact details

The keys (family_name_key, given_name_key, mrn_key, phone_key) are what search and duplicate detection
compare; the backfill computes them with the same functions as the app (tracker/patients/identity.py), and
cleans the stored names (bidirectional controls and invisible characters removed). Stored MRNs are left as
they are, whatever they hold: two old records whose MRNs differ only by an invisible character would
collide in the unique index; their keys are equal, so they show up as duplicates to be merged.

On PostgreSQL, fragment search of MRNs and phone numbers reads trigram indexes (pg_trgm).

Revision ID: 0021_patient_records
Revises: 0020_diary_points_case_opens
Create Date: 2026-12-05 08:00:00

"""
from alembic import op
import sqlalchemy as sa

from tracker.patients.identity import clean_name, name_key, normalise_mrn, phone_key


# revision identifiers, used by Alembic.
revision = '0021_patient_records'
down_revision = '0020_diary_points_case_opens'
branch_labels = None
depends_on = None

ROLE = sa.Enum('admin', 'coordinator', 'physician', 'patient', name='role', native_enum=False,
               create_constraint=True)


def _backfill():
    patients = sa.table('patients', sa.column('id', sa.Integer), sa.column('mrn', sa.String),
                        sa.column('mrn_key', sa.String), sa.column('family_name', sa.String),
                        sa.column('family_name_key', sa.String), sa.column('given_name', sa.String),
                        sa.column('given_name_key', sa.String), sa.column('phone', sa.String),
                        sa.column('phone_key', sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(patients.c.id, patients.c.mrn, patients.c.family_name,
                                  patients.c.given_name, patients.c.phone)).all()
    for row in rows:
        family, given = clean_name(row.family_name), clean_name(row.given_name)
        conn.execute(patients.update().where(patients.c.id == row.id).values(
            family_name=family, family_name_key=name_key(family), given_name=given,
            given_name_key=name_key(given), mrn_key=normalise_mrn(row.mrn), phone_key=phone_key(row.phone)))


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')

    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mrn_key', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('given_name_key', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('phone_key', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('merged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('version_id', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_foreign_key(batch_op.f('fk_patients_merged_into_id_patients'), 'patients',
                                    ['merged_into_id'], ['id'])

    _backfill()

    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index('ix_patients_name_dob')
        batch_op.create_index('ix_patients_given_name_key', ['given_name_key'], unique=False,
                              postgresql_ops={'given_name_key': 'text_pattern_ops'})
        batch_op.create_index('ix_patients_date_of_birth', ['date_of_birth', 'family_name_key'], unique=False)
        batch_op.create_index('ix_patients_mrn_key', ['mrn_key'], unique=False, postgresql_using='gin',
                              postgresql_ops={'mrn_key': 'gin_trgm_ops'})
        batch_op.create_index('ix_patients_phone_key', ['phone_key'], unique=False, postgresql_using='gin',
                              postgresql_ops={'phone_key': 'gin_trgm_ops'})
        batch_op.create_index(batch_op.f('ix_patients_merged_into_id'), ['merged_into_id'], unique=False)

    op.create_table('patient_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', ROLE, nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=True),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('other_patient_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_patient_history_actor_id_users')),
    sa.ForeignKeyConstraint(['other_patient_id'], ['patients.id'],
                            name=op.f('fk_patient_history_other_patient_id_patients')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_history_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_history'))
    )
    with op.batch_alter_table('patient_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_history_patient_id'), ['patient_id'], unique=False)

    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_address', sa.String(length=300), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.drop_column('contact_address')
        batch_op.drop_column('contact_phone')

    with op.batch_alter_table('patient_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_history_patient_id'))
    op.drop_table('patient_history')

    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patients_merged_into_id'))
        batch_op.drop_index('ix_patients_phone_key', postgresql_using='gin',
                            postgresql_ops={'phone_key': 'gin_trgm_ops'})
        batch_op.drop_index('ix_patients_mrn_key', postgresql_using='gin',
                            postgresql_ops={'mrn_key': 'gin_trgm_ops'})
        batch_op.drop_index('ix_patients_date_of_birth')
        batch_op.drop_index('ix_patients_given_name_key', postgresql_ops={'given_name_key': 'text_pattern_ops'})
        batch_op.create_index('ix_patients_name_dob', ['family_name', 'given_name', 'date_of_birth'], unique=False)

    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_patients_merged_into_id_patients'), type_='foreignkey')
        batch_op.drop_column('version_id')
        batch_op.drop_column('merged_at')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('phone_key')
        batch_op.drop_column('given_name_key')
        batch_op.drop_column('mrn_key')
    # The key as the previous revision computed it.
    op.execute("UPDATE patients SET family_name_key = lower(family_name)")
