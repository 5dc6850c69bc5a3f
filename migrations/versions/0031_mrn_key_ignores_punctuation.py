"""the MRN's key ignores punctuation and spaces: "QA-1002", "qa 1002" and "QA1002" are one number

Recomputes `mrn_key` for every patient record: the normal form of the stored MRN (NFKC, invisible
characters and spaces removed, upper case) without anything but letters and digits. The stored MRN
keeps the clinic's spelling. Two records already registered as "QA-1002" and "QA1002" get one
key, so they show up as likely duplicates (the same MRN) to be merged; nothing is merged here.
The indexes on the key (0021's trigram index for fragments, 0026's B-tree for whole numbers) are
kept; only the values change. The downgrade puts back the key with the punctuation kept.

Both rules are written out here rather than imported, so this migration does what it did the
day it was written whatever tracker/patients/identity.py says later.

Revision ID: 0031_mrn_key_ignores_punctuation
Revises: 0030_open_cases_waiting
Create Date: 2026-12-05 12:00:00

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031_mrn_key_ignores_punctuation'
down_revision = '0030_open_cases_waiting'
branch_labels = None
depends_on = None

_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _normal(mrn):
    """The MRN's normal form as of 0021: NFKC, invisible characters and spaces gone, upper case."""
    text = unicodedata.normalize("NFKC", mrn or "")
    text = "".join(c for c in text if not (c in _BIDI or (unicodedata.category(c) in ("Cf", "Cc")
                                                          and not c.isspace())))
    return "".join(re.sub(r"\s+", " ", text).split()).upper()


def _without_punctuation(mrn):
    return "".join(c for c in _normal(mrn) if c.isalnum())


def _recompute(key_of):
    patients = sa.table('patients', sa.column('id', sa.Integer), sa.column('mrn', sa.String),
                        sa.column('mrn_key', sa.String))
    conn = op.get_bind()
    changed = [{'row_id': row.id, 'key': key_of(row.mrn)} for row in
               conn.execute(sa.select(patients.c.id, patients.c.mrn, patients.c.mrn_key))
               if key_of(row.mrn) != row.mrn_key]
    if changed:
        conn.execute(patients.update().where(patients.c.id == sa.bindparam('row_id'))
                     .values(mrn_key=sa.bindparam('key')), changed)


def upgrade():
    _recompute(_without_punctuation)


def downgrade():
    _recompute(_normal)
