"""Payer policy profiles, as data.

Every number a payer can change lives here, once, as a named field of a ``Profile``. Each
criterion the engine can report has a ``Rule`` in the profile saying where the payer writes
it and from when it applies. Rule texts name the document section, not the number, so a
number is never stated in two places; where the document gives no number, the rule says the
tracker chose a default and why.
"""

from dataclasses import dataclass
from datetime import date

from tracker.vocab import N_, Choice


class CriterionCode(Choice):
    PAIN_DURATION = "pain_duration", N_("Pain duration")
    PAIN_LOCATION = "pain_location", N_("Pain below L5 without radiculopathy")
    PAIN_SEVERITY = "pain_severity", N_("Pain severity or disability")
    PROVOCATION_TESTS = "provocation_tests", N_("Provocation tests")
    CONSERVATIVE_CARE_DURATION = "conservative_care_duration", N_("Failed conservative care")
    CONSERVATIVE_CARE_COMPOSITION = "conservative_care_composition", N_("Medication and active therapy tried")
    ONGOING_REHAB = "ongoing_rehab", N_("Ongoing active rehabilitation")
    OTHER_CAUSES_EXCLUDED = "other_causes_excluded", N_("Other causes excluded (red flags)")
    DIAGNOSTIC_CAP = "diagnostic_cap", N_("Diagnostic blocks in 12 months")
    THERAPEUTIC_CAP = "therapeutic_cap", N_("Therapeutic injections in 12 months")
    SPACING = "spacing", N_("Interval since last therapeutic injection")
    PRIOR_POSITIVE_BLOCK = "prior_positive_block", N_("Prior positive diagnostic block")
    DUAL_COMPARATIVE_BLOCKS = "dual_comparative_blocks", N_("Dual comparative blocks")
    REPEAT_RELIEF = "repeat_relief", N_("Relief after last therapeutic injection")


CRITERION_LABELS = {code: code.label for code in CriterionCode}


@dataclass(frozen=True)
class Rule:
    """Where one criterion comes from: the section of the payer document, and since when."""

    code: CriterionCode
    source: str
    effective_date: date | None


# The conservative-care kinds (tracker.vocab.TherapyKind values), grouped as the payers speak of them.
MEDICATION = frozenset({"medication"})
# Therapies the patient does rather than receives.
ACTIVE_THERAPY = frozenset({"physical_therapy", "home_exercise", "chiropractic", "cbt"})
PASSIVE_CARE = frozenset({"rest", "ice_heat", "massage"})
ALL_CARE = MEDICATION | ACTIVE_THERAPY | PASSIVE_CARE | {"other"}


@dataclass(frozen=True)
class CareComponent:
    """A part the failed conservative care must include: failed courses of these kinds lasting at
    least ``min_days`` (overlapping courses counted once), with where the payer asks for it."""

    name: str
    kinds: frozenset[str]
    min_days: int
    source: str


@dataclass(frozen=True)
class ConservativeCare:
    """What a payer counts as conservative care: the kinds whose failed days count towards the
    profile's minimum (``Profile.min_conservative_care_days``), and the components it must include."""

    counted_kinds: frozenset[str]
    counted_source: str
    components: tuple[CareComponent, ...] = ()


@dataclass(frozen=True)
class Profile:
    """One payer's SI joint injection policy. ``None`` for a limit means the payer sets none.

    ``effective_date`` None means the clinic has not recorded when the document took effect:
    confirm it against the payer's current document before relying on the profile.
    """

    code: str
    name: str
    document_id: str
    document_title: str
    effective_date: date | None
    version: int
    min_pain_months: int
    min_positive_tests: int
    # How many provocation tests the payer recognises (the clinic examines six of them).
    tests_counted: int
    min_conservative_care_days: int
    # Failed care only counts inside this look-back window (days up to and including as_of).
    conservative_care_window_days: int | None
    requires_active_rehab_ongoing: bool
    conservative_care: ConservativeCare
    # Sessions per rolling 12 months; a bilateral injection on one day is one session.
    max_diagnostic_per_12m: int | None
    max_therapeutic_per_12m: int | None
    # True: caps count per joint (a bilateral session counts for both joints); False: per patient.
    caps_per_joint: bool
    diagnostic_relief_threshold_percent: float
    repeat_relief_threshold_percent: float
    repeat_relief_min_days: int
    # Between therapeutic injections in the same joint.
    min_days_between_injections: int | None
    # A therapeutic injection needs a positive diagnostic and a positive confirmatory block.
    requires_dual_comparative_blocks: bool
    # Pain severity criterion: NRS at least min_pain_nrs, or ODI at least min_odi.
    min_pain_nrs: int | None
    min_odi: float | None
    rules: tuple[Rule, ...]
    # Medicare's own coverage documents: a session expected to be denied (over a frequency limit)
    # needs an ABN signed before it and modifier GA or GZ on the claim (procedures/rules/billing.py);
    # another payer's needs its own financial-responsibility notice.
    medicare: bool = False

    def rule(self, code: CriterionCode) -> Rule:
        for rule in self.rules:
            if rule.code == code:
                return rule
        raise KeyError(f"profile {self.code} has no rule for {code}")


def _rules(effective_date: date | None, **sources: str) -> tuple[Rule, ...]:
    return tuple(Rule(CriterionCode(code), source, effective_date) for code, source in sources.items())


TRACKER_DEFAULT = "the document states no number here; tracker default"

_MEDICARE_DATE = date(2023, 3, 19)
MEDICARE_LCD_2023 = Profile(
    code="MEDICARE_LCD_2023",
    name=N_("Medicare SI joint LCDs (2023)"),
    document_id="LCD L39455 / L39402",
    medicare=True,
    document_title="Sacroiliac Joint Injections and Procedures",
    effective_date=_MEDICARE_DATE,
    version=1,
    min_pain_months=3,
    min_positive_tests=3,
    tests_counted=6,
    min_conservative_care_days=28,
    conservative_care_window_days=None,
    requires_active_rehab_ongoing=False,
    conservative_care=ConservativeCare(
        counted_kinds=MEDICATION | ACTIVE_THERAPY,
        counted_source="Definitions, conservative therapy: medication and active therapies (physical "
        "therapy, home exercise, manipulation, cognitive-behavioural therapy); passive care (rest, "
        "ice or heat, massage) alone does not satisfy it, so its days are not counted",
        components=(
            CareComponent("medication trial", MEDICATION, 14,
                          "Definitions, conservative therapy: medication in therapeutic doses long enough "
                          f"to judge; {TRACKER_DEFAULT} (2 weeks, the least an NSAID trial is judged on)"),
            CareComponent("active therapy", ACTIVE_THERAPY, 14,
                          "Definitions, conservative therapy: an active therapy in addition to medication; "
                          f"{TRACKER_DEFAULT} (2 weeks)"),
        ),
    ),
    max_diagnostic_per_12m=2,
    max_therapeutic_per_12m=4,
    caps_per_joint=False,
    diagnostic_relief_threshold_percent=75.0,
    repeat_relief_threshold_percent=50.0,
    repeat_relief_min_days=90,
    min_days_between_injections=None,
    requires_dual_comparative_blocks=False,
    min_pain_nrs=None,
    min_odi=None,
    rules=_rules(
        _MEDICARE_DATE,
        pain_duration="Covered indications: duration of moderate to severe low back pain",
        pain_location="Covered indications: pain primarily over the SI joints, below L5, "
        "between the iliac crest and the gluteal fold; not radicular",
        provocation_tests="Covered indications: positive SI joint provocation manoeuvres",
        conservative_care_duration="Covered indications: failure of conservative therapy",
        conservative_care_composition="Definitions, conservative therapy: medication in "
        "therapeutic doses in addition to an active therapy",
        other_causes_excluded="Covered indications: other causes excluded by clinical and imaging evaluation",
        diagnostic_cap="Limitations: diagnostic sessions per rolling 12 months, per patient",
        therapeutic_cap="Limitations: therapeutic sessions per rolling 12 months, per patient",
        prior_positive_block="Covered indications: therapeutic injection after a positive "
        "diagnostic block; a confirmatory block follows a positive first block",
        repeat_relief="Covered indications: repeat therapeutic injection after sustained relief "
        "from the previous one (3 months read as 90 days)",
    ),
)

EVICORE_CMM_203 = Profile(
    code="EVICORE_CMM_203",
    name=N_("eviCore / Cigna CMM-203"),
    document_id="eviCore CMM-203",
    document_title="Sacroiliac Joint Procedures",
    effective_date=None,
    version=1,
    min_pain_months=3,
    min_positive_tests=3,
    tests_counted=6,
    min_conservative_care_days=28,
    conservative_care_window_days=None,
    requires_active_rehab_ongoing=True,
    conservative_care=ConservativeCare(
        ALL_CARE, "Diagnostic injection criteria: failed conservative therapy; the document names no "
        "kinds, so the tracker counts every kind"),
    max_diagnostic_per_12m=2,
    max_therapeutic_per_12m=4,
    caps_per_joint=True,
    diagnostic_relief_threshold_percent=75.0,
    repeat_relief_threshold_percent=75.0,
    repeat_relief_min_days=14,
    min_days_between_injections=60,
    requires_dual_comparative_blocks=False,
    min_pain_nrs=None,
    min_odi=None,
    rules=_rules(
        None,
        pain_duration=f"Diagnostic injection criteria: chronic pain; {TRACKER_DEFAULT} (Medicare value)",
        pain_location="Diagnostic injection criteria: pain primarily between the iliac crest "
        "and the gluteal fold",
        provocation_tests="Diagnostic injection criteria: provocative tests reproduce the pain",
        conservative_care_duration="Diagnostic injection criteria: failed conservative therapy",
        ongoing_rehab="Diagnostic injection criteria: active rehabilitation continues alongside "
        "the injection",
        other_causes_excluded="Diagnostic injection criteria: other causes excluded by "
        "examination and imaging",
        diagnostic_cap="Frequency: diagnostic injections per joint per rolling 12 months",
        therapeutic_cap="Frequency: therapeutic injections per joint per rolling 12 months",
        spacing="Frequency: interval between therapeutic injections (2 months read as 60 days)",
        prior_positive_block="Therapeutic injection criteria: a diagnostic block with the "
        "required relief comes first",
        repeat_relief="Repeat therapeutic injection: documented relief from the previous "
        "injection for the required time",
    ),
)

_MP_558_DATE = date(2017, 5, 14)
MP_558 = Profile(
    code="MP_558",
    name=N_("BCBS-style MP-558"),
    document_id="MP-558",
    document_title="Diagnosis and Treatment of Sacroiliac Joint Pain",
    effective_date=_MP_558_DATE,
    version=1,
    min_pain_months=3,
    min_positive_tests=3,
    tests_counted=6,
    min_conservative_care_days=90,
    conservative_care_window_days=None,
    requires_active_rehab_ongoing=False,
    conservative_care=ConservativeCare(
        ALL_CARE, "Policy: failed conservative therapy; the document names no kinds, so the tracker "
        "counts every kind"),
    max_diagnostic_per_12m=2,
    max_therapeutic_per_12m=3,
    caps_per_joint=False,
    diagnostic_relief_threshold_percent=80.0,
    repeat_relief_threshold_percent=50.0,
    repeat_relief_min_days=90,
    min_days_between_injections=None,
    requires_dual_comparative_blocks=True,
    min_pain_nrs=None,
    min_odi=None,
    rules=_rules(
        _MP_558_DATE,
        pain_duration=f"Policy: pain failing to respond to conservative therapy; {TRACKER_DEFAULT} "
        "(Medicare value)",
        pain_location=f"Policy: sacroiliac joint pain; {TRACKER_DEFAULT} (Medicare criteria)",
        provocation_tests=f"Policy: sacroiliac joint pain; {TRACKER_DEFAULT} (Medicare value)",
        conservative_care_duration="Policy: failed conservative therapy (3 months read as 90 days)",
        other_causes_excluded=f"Policy: sacroiliac joint pain; {TRACKER_DEFAULT} (Medicare criteria)",
        diagnostic_cap=f"Policy: dual diagnostic blocks; {TRACKER_DEFAULT} (one dual pair per 12 months)",
        therapeutic_cap="Policy: corticosteroid injections per year (read as rolling 12 months)",
        prior_positive_block="Policy: dual controlled diagnostic blocks; a confirmatory block "
        "follows a positive first block",
        dual_comparative_blocks="Policy: dual (controlled) diagnostic blocks with two anaesthetics "
        "of differing duration establish the diagnosis before treatment",
        repeat_relief=f"Policy: repeat corticosteroid injection; {TRACKER_DEFAULT} (Medicare value)",
    ),
)

CAM_770HB = Profile(
    code="CAM_770HB",
    name=N_("CAM 770HB"),
    document_id="CAM 770HB",
    document_title="Sacroiliac Joint Injections",
    effective_date=None,
    version=1,
    min_pain_months=3,
    min_positive_tests=3,
    tests_counted=8,
    min_conservative_care_days=42,
    conservative_care_window_days=183,
    requires_active_rehab_ongoing=False,
    conservative_care=ConservativeCare(
        ALL_CARE, "Indications: failed non-operative treatment (every kind of non-operative care counts)"),
    max_diagnostic_per_12m=2,
    max_therapeutic_per_12m=4,
    caps_per_joint=False,
    diagnostic_relief_threshold_percent=70.0,
    repeat_relief_threshold_percent=50.0,
    repeat_relief_min_days=42,
    min_days_between_injections=None,
    requires_dual_comparative_blocks=False,
    min_pain_nrs=6,
    min_odi=21.0,
    rules=_rules(
        None,
        pain_duration="Indications: duration of pain",
        pain_location="Indications: primarily axial low back pain below L5",
        pain_severity="Indications: average pain on the 0-10 scale, or pain causing functional "
        "disability (read as an Oswestry index in the moderate band or worse)",
        provocation_tests="Indications: a cluster of positive provocation tests from the eight "
        "listed (the clinic records six of them)",
        conservative_care_duration="Indications: failed non-operative treatment within the "
        "look-back period (6 weeks read as 42 days, 6 months as 183 days)",
        other_causes_excluded=f"Indications: pain attributed to the SI joint; {TRACKER_DEFAULT} "
        "(Medicare criteria)",
        diagnostic_cap=f"Frequency: {TRACKER_DEFAULT} (Medicare value)",
        therapeutic_cap=f"Frequency: {TRACKER_DEFAULT} (Medicare value)",
        prior_positive_block=f"Diagnostic block response; {TRACKER_DEFAULT} for the relief threshold",
        repeat_relief=f"Repeat injections; {TRACKER_DEFAULT} (half the pain relieved for 6 weeks)",
    ),
)

PROFILES = {profile.code: profile for profile in (MEDICARE_LCD_2023, EVICORE_CMM_203, MP_558, CAM_770HB)}
PROFILE_CHOICES = tuple((profile.code, profile.name) for profile in PROFILES.values())
DEFAULT_PROFILE_CODE = MEDICARE_LCD_2023.code


def get_profile(code: str = DEFAULT_PROFILE_CODE) -> Profile:
    try:
        return PROFILES[code]
    except KeyError:
        raise KeyError(f"unknown policy profile {code!r}; known: {', '.join(PROFILES)}") from None
