"""the risk screen's explicit answers: "no anticoagulants" and "no known allergies" apart from "not asked"

Two columns say what each question was answered. Old rows say only what they recorded: a named
drug reads "taking"; what staff typed to mean none ("n/a", "none", "nil", "-") reads "none" and is
no longer kept as a drug name; an empty drug field reads "not asked" (the old form could not tell
"none" from a question skipped). A ticked allergy reads "documented"; nothing ticked reads "not
asked" (there was no way to record NKDA). The downgrade drops the answers; a "none" leaves the
drug field empty, as it was before.

Revision ID: 0028_risk_screen_answers
Revises: 0027_diary_chase
Create Date: 2026-12-05 11:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

from tracker.vocab import means_no_drug

# revision identifiers, used by Alembic.
revision = '0028_risk_screen_answers'
down_revision = '0027_diary_chase'
branch_labels = None
depends_on = None

ALLERGIES = ('allergy_contrast', 'allergy_iodine', 'allergy_latex', 'allergy_local_anaesthetic', 'allergy_steroid')
ANY_ALLERGY = "(" + " OR ".join(ALLERGIES) + ")"

screens = sa.table('risk_screens', sa.column('id', sa.Integer), sa.column('anticoagulants', sa.String),
                   sa.column('anticoagulant_answer', sa.String), sa.column('allergy_answer', sa.String),
                   *(sa.column(name, sa.Boolean) for name in ALLERGIES))


def _backfill():
    conn = op.get_bind()
    for row in conn.execute(sa.select(screens)).mappings().all():
        drug = (row['anticoagulants'] or '').strip()
        if not drug:
            anticoagulant = 'not_asked'
        elif means_no_drug(drug):
            anticoagulant, drug = 'none', ''
        else:
            anticoagulant = 'taking'
        allergy = 'documented' if any(row[name] for name in ALLERGIES) else 'not_asked'
        conn.execute(screens.update().where(screens.c.id == row['id']).values(
            anticoagulants=drug, anticoagulant_answer=anticoagulant, allergy_answer=allergy))


def upgrade():
    with op.batch_alter_table('risk_screens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anticoagulant_answer', sa.String(length=9), nullable=False,
                                      server_default='not_asked'))
        batch_op.add_column(sa.Column('allergy_answer', sa.String(length=10), nullable=False,
                                      server_default='not_asked'))

    _backfill()

    with op.batch_alter_table('risk_screens', schema=None) as batch_op:
        batch_op.alter_column('anticoagulant_answer', server_default=None)
        batch_op.alter_column('allergy_answer', server_default=None)
        batch_op.create_check_constraint(
            'anticoagulant_answer', "anticoagulant_answer IN ('not_asked', 'none', 'taking')")
        batch_op.create_check_constraint(
            'allergy_answer', "allergy_answer IN ('not_asked', 'nkda', 'documented')")
        batch_op.create_check_constraint(
            'drug_named_when_taking', "(anticoagulant_answer = 'taking' AND anticoagulants <> '') OR "
                                      "(anticoagulant_answer <> 'taking' AND anticoagulants = '')")
        batch_op.create_check_constraint(
            'allergy_ticked_when_documented', f"(allergy_answer = 'documented' AND {ANY_ALLERGY}) OR "
                                              f"(allergy_answer <> 'documented' AND NOT {ANY_ALLERGY})")


def downgrade():
    with op.batch_alter_table('risk_screens', schema=None) as batch_op:
        batch_op.drop_constraint('allergy_ticked_when_documented', type_='check')
        batch_op.drop_constraint('drug_named_when_taking', type_='check')
        batch_op.drop_constraint('allergy_answer', type_='check')
        batch_op.drop_constraint('anticoagulant_answer', type_='check')
        batch_op.drop_column('allergy_answer')
        batch_op.drop_column('anticoagulant_answer')
