"""patients.mrn: unique among the records in use, not among records merged away

A duplicate merged into another record keeps its MRN (its history, and a search by that number
leads to the record kept). When the duplicate held the hospital's real number and the record kept
was registered under a slip, the record kept must be able to take that number: the unique
constraint on every record's MRN refused it. The MRN is now unique among records not merged away
(a partial unique index, on both databases); registration, corrections and FHIR intake still
refuse a number a live record holds, and a merged record's number leads to its record kept.

The downgrade restores the constraint on every record. A merged record whose number a live record
has since taken gives it up first: it becomes "<number>~merged-<id>" (its history keeps the number).

Revision ID: 0063_live_mrn_unique
Revises: 0062_injectate_drug_name
Create Date: 2026-12-06 23:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0063_live_mrn_unique'
down_revision = '0062_injectate_drug_name'
branch_labels = None
depends_on = None

LIVE = sa.text("merged_into_id IS NULL")


def upgrade():
    with op.batch_alter_table('patients') as batch_op:
        batch_op.drop_constraint('uq_patients_mrn', type_='unique')
    op.create_index('uq_patients_live_mrn', 'patients', ['mrn'], unique=True,
                    sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade():
    op.drop_index('uq_patients_live_mrn', table_name='patients')
    concat = "mrn || '~merged-' || id" if op.get_bind().dialect.name == "sqlite" else "mrn || '~merged-' || id::text"
    op.execute(f"UPDATE patients SET mrn = {concat} WHERE merged_into_id IS NOT NULL AND EXISTS "
               "(SELECT 1 FROM patients AS live WHERE live.mrn = patients.mrn AND live.id <> patients.id)")
    with op.batch_alter_table('patients') as batch_op:
        batch_op.create_unique_constraint('uq_patients_mrn', ['mrn'])
