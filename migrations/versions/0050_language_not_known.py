"""a patient's language may be not known (NULL), never assumed to be English

The referral and correction forms now choose the language from a list with nothing chosen at first,
and FHIR intake stores a Patient sent without a communication language as not known (it recorded
"English"). The column becomes nullable; a language left empty ("" or blanks) is not known. The
downgrade writes a not-known language as "" (the column is NOT NULL again): nothing is invented,
and the tracker before this read "" as it reads an unknown language, in English.

Revision ID: 0050_language_not_known
Revises: 0049_side_results
Create Date: 2026-12-06 08:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0050_language_not_known'
down_revision = '0049_side_results'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=40), nullable=True)
    op.get_bind().execute(sa.text("UPDATE patients SET language = NULL WHERE trim(language) = ''"))


def downgrade():
    op.get_bind().execute(sa.text("UPDATE patients SET language = '' WHERE language IS NULL"))
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=40), nullable=False)
