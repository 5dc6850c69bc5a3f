"""each FHIR referral identifier keeps the clinical facts its first post said (the patient's MRN,
names and date of birth; the side, indication, diagnosis codes and symptom onset), so that a re-send
of the same Bundle is a replay however a coordinator has corrected the case since

Referrals received before this kept nothing of what they said: for them the facts are taken from
the case (and its patient record) as it is now, the best available. A coordinator's correction made
before this upgrade therefore counts as what was received: a later re-send of the sender's original
content is still refused as before (409, as it was until now), while corrections made after the
upgrade no longer make a replay a conflict. The downgrade drops the column.

Revision ID: 0046_referral_as_received
Revises: 0045_hold_at_start
Create Date: 2026-12-06 05:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0046_referral_as_received'
down_revision = '0045_hold_at_start'
branch_labels = None
depends_on = None


def _day(value):
    return value.isoformat() if value is not None else None


def upgrade():
    with op.batch_alter_table('case_identifiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received', sa.JSON(), nullable=True))

    conn = op.get_bind()
    meta = sa.MetaData()
    identifiers = sa.Table('case_identifiers', meta, sa.Column('id', sa.Integer), sa.Column('case_id', sa.Integer),
                           sa.Column('received', sa.JSON))
    cases = sa.Table('cases', meta, sa.Column('id', sa.Integer), sa.Column('patient_id', sa.Integer),
                     sa.Column('side', sa.String), sa.Column('indication', sa.String),
                     sa.Column('diagnosis_codes', sa.JSON), sa.Column('symptom_onset', sa.Date))
    patients = sa.Table('patients', meta, sa.Column('id', sa.Integer), sa.Column('mrn', sa.String),
                        sa.Column('family_name', sa.String), sa.Column('given_name', sa.String),
                        sa.Column('date_of_birth', sa.Date))
    rows = conn.execute(
        sa.select(identifiers.c.id, patients.c.mrn, patients.c.family_name, patients.c.given_name,
                  patients.c.date_of_birth, cases.c.side, cases.c.indication, cases.c.diagnosis_codes,
                  cases.c.symptom_onset)
        .join(cases, cases.c.id == identifiers.c.case_id).join(patients, patients.c.id == cases.c.patient_id)
        .order_by(identifiers.c.id)).all()
    for row in rows:
        received = {"mrn": row.mrn, "family_name": row.family_name, "given_name": row.given_name,
                    "date_of_birth": _day(row.date_of_birth), "side": str(row.side),
                    "indication": str(row.indication), "diagnosis_codes": sorted(row.diagnosis_codes or []),
                    "symptom_onset": _day(row.symptom_onset)}
        conn.execute(identifiers.update().where(identifiers.c.id == row.id).values(received=received))

    with op.batch_alter_table('case_identifiers', schema=None) as batch_op:
        batch_op.alter_column('received', existing_type=sa.JSON(), nullable=False)


def downgrade():
    with op.batch_alter_table('case_identifiers', schema=None) as batch_op:
        batch_op.drop_column('received')
