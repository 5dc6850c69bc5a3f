"""Demo data: one account per role and about 20 cases spread over the lifecycle.

Idempotent: users are matched by email and demo patients by their DEMO- medical record number,
so running it again adds nothing. The passwords are listed in the README; never seed a real clinic.
"""
from datetime import date, timedelta

from tracker.access import Role
from tracker.admin.services import create_user
from tracker.cases.services import log_referral, transition
from tracker.extensions import db
from tracker.models import Patient, User
from tracker.vocab import ContactChannel, Indication, Sex, Side

DEMO_USERS = [
    # email, name, role, password
    ("admin@demo.clinic", "Avery Admin", Role.ADMIN, "Gaenslen-test-1912"),
    ("coordinator@demo.clinic", "Casey Coordinator", Role.COORDINATOR, "Faber-Patrick-1935"),
    ("physician@demo.clinic", "Dr Priya Raman", Role.PHYSICIAN, "Thigh-thrust-1987"),
    ("physician2@demo.clinic", "Dr Tomas Ortega", Role.PHYSICIAN, "Distraction-1988"),
]
DEMO_PATIENT_ACCOUNT = ("patient@demo.clinic", "Yeoman-sign-1921", "DEMO-0001")

# The actions that take a new referral to each state, in order.
PATHS = {
    "referred": [],
    "under_review": ["start_review"],
    "eligible": ["start_review", "mark_eligible"],
    "not_eligible": ["start_review", "mark_not_eligible"],
    "scheduled": ["start_review", "mark_eligible", "schedule"],
    "in_procedure": ["start_review", "mark_eligible", "schedule", "start_procedure"],
    "follow_up": ["start_review", "mark_eligible", "schedule", "start_procedure", "sign_procedure"],
    "closed": ["start_review", "mark_eligible", "schedule", "start_procedure", "sign_procedure",
               "close"],
    "cancelled": ["start_review", "cancel"],
}

# mrn suffix, family, given, born, sex, side, indication, target state, days since referral
DEMO_CASES = [
    (1, "Okafor", "Grace", date(1961, 4, 12), Sex.FEMALE, Side.LEFT, Indication.DIAGNOSTIC, "follow_up", 40),
    (2, "Lindqvist", "Erik", date(1955, 9, 3), Sex.MALE, Side.RIGHT, Indication.DIAGNOSTIC, "referred", 1),
    (3, "Moreau", "Camille", date(1978, 1, 22), Sex.FEMALE, Side.BILATERAL, Indication.DIAGNOSTIC, "referred", 3),
    (4, "Haddad", "Samir", date(1969, 7, 30), Sex.MALE, Side.LEFT, Indication.THERAPEUTIC, "under_review", 6),
    (5, "Nakamura", "Yui", date(1983, 11, 5), Sex.FEMALE, Side.RIGHT, Indication.DIAGNOSTIC, "under_review", 9),
    (6, "Brennan", "Patrick", date(1950, 2, 14), Sex.MALE, Side.LEFT, Indication.CONFIRMATORY, "under_review", 12),
    (7, "Silva", "Ana", date(1972, 6, 18), Sex.FEMALE, Side.RIGHT, Indication.DIAGNOSTIC, "eligible", 15),
    (8, "Kowalski", "Marek", date(1966, 3, 9), Sex.MALE, Side.BILATERAL, Indication.DIAGNOSTIC, "eligible", 17),
    (9, "Adeyemi", "Folake", date(1958, 12, 1), Sex.FEMALE, Side.LEFT, Indication.THERAPEUTIC, "not_eligible", 20),
    (10, "Fischer", "Lena", date(1990, 8, 27), Sex.FEMALE, Side.RIGHT, Indication.DIAGNOSTIC, "not_eligible", 22),
    (11, "O'Brien", "Sean", date(1963, 5, 16), Sex.MALE, Side.LEFT, Indication.DIAGNOSTIC, "scheduled", 25),
    (12, "Petrova", "Irina", date(1975, 10, 10), Sex.FEMALE, Side.RIGHT, Indication.THERAPEUTIC, "scheduled", 28),
    (13, "Tran", "Minh", date(1981, 4, 4), Sex.MALE, Side.BILATERAL, Indication.DIAGNOSTIC, "scheduled", 30),
    (14, "García", "Lucía", date(1968, 9, 19), Sex.FEMALE, Side.LEFT, Indication.DIAGNOSTIC, "in_procedure", 33),
    (15, "Johansson", "Nils", date(1959, 1, 28), Sex.MALE, Side.RIGHT, Indication.DIAGNOSTIC, "follow_up", 45),
    (16, "Mensah", "Kwame", date(1974, 7, 7), Sex.MALE, Side.LEFT, Indication.THERAPEUTIC, "follow_up", 60),
    (17, "Rossi", "Giulia", date(1987, 3, 23), Sex.FEMALE, Side.RIGHT, Indication.DIAGNOSTIC, "closed", 120),
    (18, "Cohen", "David", date(1952, 11, 11), Sex.MALE, Side.BILATERAL, Indication.THERAPEUTIC, "closed", 200),
    (19, "Singh", "Harpreet", date(1970, 2, 2), Sex.FEMALE, Side.LEFT, Indication.DIAGNOSTIC, "cancelled", 35),
    (20, "Dubois", "Antoine", date(1980, 12, 24), Sex.MALE, Side.RIGHT, Indication.DIAGNOSTIC, "cancelled", 50),
]

REASONS = {
    "cancel": "Patient chose to continue physical therapy first.",
}


def _user(email):
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()


def seed():
    created = {"users": 0, "cases": 0}
    for email, name, role, password in DEMO_USERS:
        if _user(email) is None:
            create_user(email, name, role, password)
            created["users"] += 1
    coordinator = _user("coordinator@demo.clinic")
    physician = _user("physician@demo.clinic")
    today = date.today()

    for n, family, given, born, sex, side, indication, target, days_ago in DEMO_CASES:
        mrn = f"DEMO-{n:04d}"
        if db.session.execute(db.select(Patient).filter_by(mrn=mrn)).scalar_one_or_none():
            continue
        case = log_referral(
            {"mrn": mrn, "family_name": family, "given_name": given, "date_of_birth": born,
             "sex": sex, "phone": f"+1 555 01{n:02d}", "email": f"{mrn.lower()}@patients.invalid",
             "preferred_contact": ContactChannel.EMAIL, "language": "English"},
            {"referring_clinician": "Dr Helen Marsh (primary care)",
             "referral_date": today - timedelta(days=days_ago), "side": side,
             "indication": indication,
             "reason": "Low back and buttock pain, worse with sit-to-stand; suspected SI joint origin."},
            coordinator,
        )
        case.physician = physician
        for action in PATHS[target]:
            actor = physician if action in {"start_procedure", "sign_procedure", "close"} else coordinator
            transition(case, action, actor, REASONS.get(action, ""), commit=False)
        db.session.commit()
        created["cases"] += 1

    email, password, mrn = DEMO_PATIENT_ACCOUNT
    if _user(email) is None:
        patient = db.session.execute(db.select(Patient).filter_by(mrn=mrn)).scalar_one()
        create_user(email, f"{patient.given_name} {patient.family_name}", Role.PATIENT, password,
                    patient_mrn=mrn)
        created["users"] += 1
    return created
