"""a given name of several words is found by any of them (given_name_parts)

"Nguyễn Thị Hằng" (family name Nguyễn, given name "Thị Hằng") was found by "Thi Hang" but not by
"Hằng" alone, nor by "Nguyen Hang": a given name was found only by its start. Each word after the
first now has a row holding the key from that word to the end ("hang"), read by prefix through its
own index (text_pattern_ops on PostgreSQL, so LIKE 'abc%' uses it whatever the collation), with the
patient's name keys after it, as family_name_parts does for a family name (0034). The backfill gives
every patient record already on file, merged ones included, the rows the app gives a new one, with
the app's own rule (tracker.patients.identity.later_part_keys). The downgrade drops the table.

Revision ID: 0066_given_name_parts
Revises: 0065_case_row_current_until
Create Date: 2026-12-07 18:00:00

"""
from alembic import op
import sqlalchemy as sa

from tracker.patients.identity import later_part_keys


# revision identifiers, used by Alembic.
revision = '0066_given_name_parts'
down_revision = '0065_case_row_current_until'
branch_labels = None
depends_on = None

BATCH = 1000


def _backfill():
    patients = sa.table('patients', sa.column('id', sa.Integer), sa.column('given_name', sa.String),
                        sa.column('family_name_key', sa.String), sa.column('given_name_key', sa.String))
    parts = sa.table('given_name_parts', sa.column('patient_id', sa.Integer), sa.column('key', sa.String),
                     sa.column('family_name_key', sa.String), sa.column('given_name_key', sa.String))
    conn = op.get_bind()
    on_file = sa.select(patients.c.id, patients.c.given_name, patients.c.family_name_key,
                        patients.c.given_name_key).order_by(patients.c.id)
    rows = [{'patient_id': row.id, 'key': key, 'family_name_key': row.family_name_key,
             'given_name_key': row.given_name_key}
            for row in conn.execute(on_file) for key in later_part_keys(row.given_name)]
    for start in range(0, len(rows), BATCH):
        conn.execute(parts.insert(), rows[start:start + BATCH])


def upgrade():
    op.create_table(
        'given_name_parts',
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('family_name_key', sa.String(length=80), nullable=False),
        sa.Column('given_name_key', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_given_name_parts_patient_id_patients')),
        sa.PrimaryKeyConstraint('patient_id', 'key', name=op.f('pk_given_name_parts')),
    )
    with op.batch_alter_table('given_name_parts', schema=None) as batch_op:
        batch_op.create_index('ix_given_name_parts_key', ['key', 'family_name_key', 'given_name_key', 'patient_id'],
                              unique=False, postgresql_ops={'key': 'text_pattern_ops'})
    _backfill()


def downgrade():
    with op.batch_alter_table('given_name_parts', schema=None) as batch_op:
        batch_op.drop_index('ix_given_name_parts_key', postgresql_ops={'key': 'text_pattern_ops'})
    op.drop_table('given_name_parts')
