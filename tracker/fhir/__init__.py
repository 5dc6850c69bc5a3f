"""FHIR R4 for other systems: the record as resources (read, $everything) and referral intake."""
