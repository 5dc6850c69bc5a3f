"""Local anaesthetics get a usual maximum per SI joint: lidocaine 100 mg, bupivacaine 25 mg,
ropivacaine 25 mg

The default formulary gave no local anaesthetic a usual maximum ("the toxic dose is weight-based and
far above what an SI joint holds, so no per-joint maximum is checked"), so 500 mg of bupivacaine was
saved on the checklist with a volume warning only. Each maximum is 5 mL of the strongest listed
solution: well above an SI joint injection (1-3 mL) and well below the systemic maximum (lidocaine
about 4.5 mg/kg, at most 300 mg; bupivacaine about 2 mg/kg, at most 175 mg; ropivacaine about 3 mg/kg,
at most about 225 mg). Above it the checklist stops until the physician confirms the dose with a
reason (tracker/procedures/formulary.py). Only a drug of the default code whose maximum is still
empty is given one; its note is replaced only where it is still the default's word for word (an
admin's own note stays). Each change is in the audit trail as an admin's save of the drug words it,
by this upgrade; the form of a drug opened before the upgrade is refused as stale. The downgrade
leaves the maximums: an admin may clear one on the formulary page.

Revision ID: 0056_local_anaesthetic_maximums
Revises: 0055_working_hours_version
Create Date: 2026-12-06 12:00:00

"""
from datetime import datetime, timezone
from decimal import Decimal

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0056_local_anaesthetic_maximums'
down_revision = '0055_working_hours_version'
branch_labels = None
depends_on = None

ACTOR = f'database upgrade ({revision})'
_OLD = "the toxic dose is weight-based and far above what an SI joint holds, so no per-joint maximum is checked."
# code: (maximum mg, the default note before, the default note now) as tracker/procedures/formulary.py words them.
MAXIMUMS = {
    'lidocaine': (Decimal('100'), f"1% and 2% solutions (10 and 20 mg/mL); {_OLD}",
                  "1% and 2% solutions (10 and 20 mg/mL); usual maximum per SI joint 100 mg (5 mL of the 2% "
                  "solution; an SI joint injection uses 1–3 mL of 1–2%, 10–60 mg); the systemic maximum is about "
                  "4.5 mg/kg, at most 300 mg without adrenaline, so above 100 mg the checklist stops until the "
                  "physician confirms the dose with a reason."),
    'bupivacaine': (Decimal('25'), f"0.25% and 0.5% solutions (2.5 and 5 mg/mL); {_OLD}",
                    "0.25% and 0.5% solutions (2.5 and 5 mg/mL); usual maximum per SI joint 25 mg (5 mL of the 0.5% "
                    "solution; an SI joint injection uses 1–3 mL of 0.25–0.5%, 2.5–15 mg); the systemic maximum is "
                    "about 2 mg/kg, at most 175 mg, so above 25 mg the checklist stops until the physician confirms "
                    "the dose with a reason."),
    'ropivacaine': (Decimal('25'), f"0.2% and 0.5% solutions (2 and 5 mg/mL); {_OLD}",
                    "0.2% and 0.5% solutions (2 and 5 mg/mL); usual maximum per SI joint 25 mg (5 mL of the 0.5% "
                    "solution; an SI joint injection uses 1–3 mL of 0.2–0.5%, 2–15 mg); the systemic maximum is "
                    "about 3 mg/kg, at most about 225 mg, so above 25 mg the checklist stops until the physician "
                    "confirms the dose with a reason."),
}

drugs = sa.table('formulary_drugs', sa.column('id', sa.Integer), sa.column('code', sa.String),
                 sa.column('kind', sa.String), sa.column('usual_max_dose_mg', sa.Numeric(8, 3)),
                 sa.column('source', sa.Text), sa.column('version_id', sa.Integer))
events = sa.table('audit_events', sa.column('at', sa.DateTime), sa.column('user_id', sa.Integer),
                  sa.column('actor', sa.String), sa.column('role', sa.String), sa.column('action', sa.String),
                  sa.column('object_type', sa.String), sa.column('object_id', sa.String),
                  sa.column('ip', sa.String), sa.column('summary', sa.Text), sa.column('changes', sa.JSON))


def _mg(value):
    return f"{format(value.normalize(), 'f')} mg"


def upgrade():
    conn = op.get_bind()
    found = conn.execute(
        sa.select(drugs.c.id, drugs.c.code, drugs.c.source, drugs.c.version_id)
        .where(drugs.c.code.in_(list(MAXIMUMS)), drugs.c.kind == 'local_anaesthetic',
               drugs.c.usual_max_dose_mg.is_(None))
        .order_by(drugs.c.id)).all()
    if not found:
        return
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # stored as naive UTC (tracker.models.types)
    trail = []
    for drug in found:
        maximum, old_note, new_note = MAXIMUMS[drug.code]
        values = {'usual_max_dose_mg': maximum, 'version_id': drug.version_id + 1}
        changes = [{'field': 'usual_maximum', 'old': 'none', 'new': _mg(maximum)}]
        if drug.source == old_note:
            values['source'] = new_note
            changes.append({'field': 'source', 'old': old_note, 'new': new_note})
        conn.execute(drugs.update().where(drugs.c.id == drug.id).values(**values))
        trail.append({'at': now, 'user_id': None, 'actor': ACTOR, 'role': None, 'action': 'update',
                      'object_type': 'formulary_drug', 'object_id': str(drug.id), 'ip': None,
                      'summary': f"formulary: {drug.code} changed usual_maximum: none → {_mg(maximum)}"
                                 + (", source" if 'source' in values else ""),
                      'changes': changes})
    conn.execute(sa.insert(events), trail)


def downgrade():
    pass
