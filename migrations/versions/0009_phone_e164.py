"""patients' phone numbers in E.164

Numbers were free text ("(201) 555-0123", "+1 201-555-0123"). The app now stores E.164
("+12015550123") and validates what is typed. This rewrites every stored number that parses as a
valid number of the clinic's country (CLINIC_COUNTRY, default US) or, with its "+", of another;
a number that does not parse is left exactly as it was (the case page still shows it, and staff
correct it on the patient's details). Downgrade leaves the numbers in E.164: it is a valid way to
write each of them, and the old spelling is not kept.

Revision ID: 0009_phone_e164
Revises: 0008_case_rows
Create Date: 2026-12-05 08:20:00

"""
import os

import sqlalchemy as sa
from alembic import op

from tracker.phones import normalised

revision = '0009_phone_e164'
down_revision = '0008_case_rows'
branch_labels = None
depends_on = None


def upgrade():
    region = os.environ.get("CLINIC_COUNTRY", "US")
    patients = sa.table("patients", sa.column("id", sa.Integer), sa.column("phone", sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(patients.c.id, patients.c.phone).where(patients.c.phone.is_not(None))).all()
    for patient_id, phone in rows:
        e164 = normalised(phone, region)
        if e164 and e164 != phone:
            conn.execute(sa.update(patients).where(patients.c.id == patient_id).values(phone=e164))


def downgrade():
    pass
