"""a record's MRN corrected under Correct details keeps its former number (`former_mrns`), so search,
the worklist's box and the referrals' find still find the record by the number on letters and labels
printed before, as a merged record's number finds the record kept

The upgrade creates the table with its index on the number's key and fills it from the record
history: each MRN correction's old value, unless the record has that number again now (the latest
correction's time kept for a number corrected away twice). The downgrade drops the table; the history
keeps every correction either way.

The MRN's key (letters and digits of its normal form) is written out here rather than imported, so
this migration does what it did the day it was written whatever tracker/patients/identity.py says
later (as 0031 does).

Revision ID: 0048_former_mrns
Revises: 0047_ever_physician
Create Date: 2026-12-06 05:25:00

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0048_former_mrns'
down_revision = '0047_ever_physician'
branch_labels = None
depends_on = None

_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _key(mrn):
    text = unicodedata.normalize("NFKC", mrn or "")
    text = "".join(c for c in text if not (c in _BIDI or (unicodedata.category(c) in ("Cf", "Cc")
                                                          and not c.isspace())))
    return "".join(c for c in "".join(re.sub(r"\s+", " ", text).split()).upper() if c.isalnum())


def upgrade():
    former = op.create_table(
        'former_mrns',
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('mrn_key', sa.String(length=32), nullable=False),
        sa.Column('mrn', sa.String(length=32), nullable=False),
        sa.Column('replaced_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_former_mrns_patient_id_patients')),
        sa.PrimaryKeyConstraint('patient_id', 'mrn_key', name=op.f('pk_former_mrns')),
    )
    op.create_index('ix_former_mrns_mrn_key', 'former_mrns', ['mrn_key', 'patient_id'], unique=False)
    patients = sa.table('patients', sa.column('id', sa.Integer), sa.column('mrn_key', sa.String))
    history = sa.table('patient_history', sa.column('id', sa.Integer), sa.column('patient_id', sa.Integer),
                       sa.column('at', sa.DateTime), sa.column('action', sa.String), sa.column('field', sa.String),
                       sa.column('old_value', sa.Text))
    conn = op.get_bind()
    corrections = conn.execute(
        sa.select(history.c.patient_id, history.c.old_value, history.c.at, patients.c.mrn_key)
        .join(patients, patients.c.id == history.c.patient_id)
        .where(history.c.action == 'edit', history.c.field == 'mrn')
        .order_by(history.c.at, history.c.id))
    rows = {}
    for patient_id, old, at, current_key in corrections:
        key = _key(old)
        if key and key != current_key:
            rows[(patient_id, key)] = {'patient_id': patient_id, 'mrn_key': key, 'mrn': old.strip()[:32],
                                       'replaced_at': at}
    if rows:
        op.bulk_insert(former, list(rows.values()))


def downgrade():
    op.drop_index('ix_former_mrns_mrn_key', table_name='former_mrns')
    op.drop_table('former_mrns')
