"""Who a user is to the clinic: the one role enum, and the groups the access rules and the
workflow's transition table name. Pure: the domain reads it without Flask."""
from tracker.vocab import Choice


class Role(Choice):
    ADMIN = "admin", "Admin"
    COORDINATOR = "coordinator", "Coordinator"
    PHYSICIAN = "physician", "Physician"
    PATIENT = "patient", "Patient"


STAFF = frozenset({Role.ADMIN, Role.COORDINATOR, Role.PHYSICIAN})
CLINICAL_STAFF = frozenset({Role.COORDINATOR, Role.PHYSICIAN})
