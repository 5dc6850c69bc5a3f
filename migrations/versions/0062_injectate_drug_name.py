"""injectate_rows.drug_name: the drug's name as the formulary gave it when the row was saved

A signed procedure note named each drug through the formulary as it stands now, so an admin who
renamed a drug ("Triamcinolone" to "Kenalog 40") changed what every signed note says. A row now keeps
the name it was saved with. The upgrade fills it from the formulary for the rows saved before (the
names they were signed with are not known; today's are the best evidence, and a drug the formulary no
longer holds keeps NULL: the pages then show its code, as before). The downgrade drops the column.

Revision ID: 0062_injectate_drug_name
Revises: 0061_room_location_es
Create Date: 2026-12-06 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0062_injectate_drug_name'
down_revision = '0061_room_location_es'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('injectate_rows') as batch_op:
        batch_op.add_column(sa.Column('drug_name', sa.String(length=120), nullable=True))
    op.execute("UPDATE injectate_rows SET drug_name = (SELECT formulary_drugs.name FROM formulary_drugs "
               "WHERE formulary_drugs.code = injectate_rows.drug_code)")


def downgrade():
    with op.batch_alter_table('injectate_rows') as batch_op:
        batch_op.drop_column('drug_name')
