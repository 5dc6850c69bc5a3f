"""Who a user is to the clinic: the one role enum, and the groups the access rules and the
workflow's transition table name. Pure: the domain reads it without Flask."""
from tracker.vocab import N_, Choice


class Role(Choice):
    ADMIN = "admin", N_("Admin")
    COORDINATOR = "coordinator", N_("Coordinator")
    PHYSICIAN = "physician", N_("Physician")
    PATIENT = "patient", N_("Patient")


STAFF = frozenset({Role.ADMIN, Role.COORDINATOR, Role.PHYSICIAN})
CLINICAL_STAFF = frozenset({Role.COORDINATOR, Role.PHYSICIAN})
