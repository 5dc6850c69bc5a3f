"""Payer policy profiles as data, and the pure eligibility evaluation over them."""

from tracker.policy.engine import (BookedNote, BookedOverCap, BookedTooClose, CapUsage, CareFigures, Criterion, Status,
                                   Verdict, booked_notes, booked_over_cap, booked_too_close, cap_usage,
                                   conservative_care_figures, evaluate)
from tracker.policy.facts import (
    DIAGNOSTIC_INDICATIONS,
    BlockResult,
    BookedSession,
    CaseFacts,
    PriorInjection,
    TherapyFact,
)
from tracker.policy.profiles import (
    CRITERION_LABELS,
    DEFAULT_PROFILE_CODE,
    PROFILE_CHOICES,
    PROFILES,
    CriterionCode,
    Profile,
    Rule,
    get_profile,
)

__all__ = [
    "BlockResult",
    "BookedNote",
    "BookedOverCap",
    "BookedSession",
    "BookedTooClose",
    "CapUsage",
    "CRITERION_LABELS",
    "CareFigures",
    "CaseFacts",
    "Criterion",
    "CriterionCode",
    "DEFAULT_PROFILE_CODE",
    "DIAGNOSTIC_INDICATIONS",
    "PROFILES",
    "PROFILE_CHOICES",
    "PriorInjection",
    "Profile",
    "Rule",
    "Status",
    "TherapyFact",
    "Verdict",
    "booked_notes",
    "booked_over_cap",
    "booked_too_close",
    "cap_usage",
    "conservative_care_figures",
    "evaluate",
    "get_profile",
]
