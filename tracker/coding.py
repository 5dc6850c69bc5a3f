"""Codes that travel: every code system the tracker writes and every standard code it uses.

Pure (no Flask, no database). A standard system (ICD-10-CM, SNOMED CT, LOINC, CPT, HCPCS) gets only
a code listed here, each one checked against its publisher's release; everything else is coded in
the tracker's own code system, whose URI below never changes, with display text. Never make up a
code in a standard system: a concept without a certain standard code goes in TRACKER_SYSTEM.
"""
import re
from dataclasses import dataclass

from tracker.vocab import Side

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
UCUM = "http://unitsofmeasure.org"
BCP47 = "urn:ietf:bcp:47"

# The tracker's own identifiers. An identifier, not a web address: `.invalid` is reserved and
# never resolves, so it cannot collide with anyone else's system. Never change it: systems that
# received our codes compare it character by character.
TRACKER_BASE = "https://si-joint-tracker.invalid/fhir"
TRACKER_SYSTEM = f"{TRACKER_BASE}/CodeSystem/tracker"
EXTENSION_BASE = f"{TRACKER_BASE}/StructureDefinition"


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str


def tracker_code(code, display):
    return Code(TRACKER_SYSTEM, code, display)


# --- the referral's diagnosis (ICD-10-CM) --------------------------------------------------------

# The short list a referral chooses from. M53.3 (sacrococcygeal disorders) is NOT the SI joint
# and is refused even when a clinic adds it (see `clinic_diagnosis_codes`).
DIAGNOSES = (
    Code(ICD10CM, "M46.1", "Sacroiliitis, not elsewhere classified"),
    Code(ICD10CM, "S33.6XXA", "Sprain of sacroiliac joint, initial encounter"),
    Code(ICD10CM, "S33.6XXD", "Sprain of sacroiliac joint, subsequent encounter"),
    Code(ICD10CM, "S33.6XXS", "Sprain of sacroiliac joint, sequela"),
    Code(ICD10CM, "M53.2X8", "Spinal instabilities, sacral and sacrococcygeal region"),
    Code(ICD10CM, "M47.818", "Spondylosis without myelopathy or radiculopathy, sacral and "
                             "sacrococcygeal region"),
)
NOT_THE_SI_JOINT = ("M53.3",)
# Letter, digit, digit or letter; then optionally a dot and up to four characters (ICD-10-CM).
ICD10CM_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


class BadDiagnosisCode(ValueError):
    pass


def check_diagnosis_code(code):
    """The code in ICD-10-CM's spelling, or BadDiagnosisCode saying what is wrong with it."""
    code = (code or "").strip().upper()
    if not ICD10CM_SHAPE.match(code):
        raise BadDiagnosisCode(f"{code!r} is not an ICD-10-CM code (e.g. M46.1).")
    if code.startswith(NOT_THE_SI_JOINT):
        raise BadDiagnosisCode(f"{code} is a sacrococcygeal disorder, not the sacroiliac joint.")
    return code


def clinic_diagnosis_codes(extra=""):
    """The built-in list plus the clinic's own codes, given as "CODE=Display; CODE=Display"
    (the DIAGNOSIS_CODES setting). A malformed entry raises BadDiagnosisCode at start-up."""
    codes = {c.code: c for c in DIAGNOSES}
    for item in filter(None, (part.strip() for part in (extra or "").split(";"))):
        raw_code, sep, display = item.partition("=")
        if not sep or not display.strip():
            raise BadDiagnosisCode(f"DIAGNOSIS_CODES entry {item!r} needs the form CODE=Display.")
        code = check_diagnosis_code(raw_code)
        codes[code] = Code(ICD10CM, code, display.strip())
    return tuple(codes.values())


# --- body site and laterality (SNOMED CT) --------------------------------------------------------

SI_JOINT = Code(SNOMED, "39723000", "Sacroiliac joint structure")
LATERALITY = {
    Side.LEFT: Code(SNOMED, "7771000", "Left"),
    Side.RIGHT: Code(SNOMED, "24028007", "Right"),
    Side.BILATERAL: Code(SNOMED, "51440002", "Right and left"),
}

# --- scores (LOINC) ------------------------------------------------------------------------------

PAIN_SCORE = Code(LOINC, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")

# --- a patient's language (BCP 47 tags, as FHIR's Patient.communication codes it) -----------------

# The languages the tracker speaks to patients in, by `tracker.i18n.language_code` (the record's
# names: `tracker.i18n.RECORDED`). Any other language the record keeps as typed goes as text alone:
# a tag is never guessed from a name.
LANGUAGES = {"en": Code(BCP47, "en", "English"), "es": Code(BCP47, "es", "Spanish")}

# --- the procedure (CPT for the physician's claim, HCPCS for a facility's) ------------------------

SI_JOINT_INJECTION = tracker_code("si-joint-injection", "Image-guided sacroiliac joint injection")
BILLING_SYSTEMS = {"CPT": CPT, "HCPCS": HCPCS}
CPT_BILATERAL_MODIFIER = Code(CPT, "50", "Bilateral procedure")


# --- the tracker's own concepts ------------------------------------------------------------------

def provocation_test(test, label):
    return tracker_code(f"provocation-{test.replace('_', '-')}", f"{label} provocation test")


OSWESTRY_INDEX = tracker_code("oswestry-disability-index", "Oswestry Disability Index (%)")
ELIGIBILITY_VERDICT = tracker_code("eligibility-verdict", "SI joint injection eligibility verdict")
OUTCOME = tracker_code("injection-outcome", "SI joint injection outcome")
DIAGNOSTIC_RESULT = tracker_code("diagnostic-block-result", "Diagnostic block result")
THERAPEUTIC_DAYS = tracker_code("therapeutic-relief-days", "Days of at least 50% relief")
NEXT_STEP = tracker_code("next-step", "Next step")


def criterion(code, label):
    return tracker_code(f"criterion-{code.replace('_', '-')}", label)


def value(kind, code, label):
    """A tracker value ("provocation-result", "positive", "Positive") as a code of its own kind."""
    return tracker_code(f"{kind}-{code.replace('_', '-')}", label)


# --- extensions the tracker defines (documented in the README's FHIR section) --------------------

EXT_LATERALITY = f"{EXTENSION_BASE}/laterality"
EXT_PAYER_PROFILE = f"{EXTENSION_BASE}/payer-profile"
EXT_INDICATION = f"{EXTENSION_BASE}/indication"
EXT_LATE_ENTRY = f"{EXTENSION_BASE}/diary-late-entry"
EXT_DIARY_POINT = f"{EXTENSION_BASE}/diary-time-point"
EXT_COUNTED = f"{EXTENSION_BASE}/diary-counted-in-result"
EXT_BILLING_MODIFIER = f"{EXTENSION_BASE}/billing-modifier"
EXT_CONTRAST = f"{EXTENSION_BASE}/contrast-check"
EXT_VOLUME = f"{EXTENSION_BASE}/injected-volume"
EXT_CONCENTRATION = f"{EXTENSION_BASE}/concentration"
EXT_LOT = f"{EXTENSION_BASE}/lot-number"

# Identifier systems for the tracker's own records.
CASE_IDENTIFIER = f"{TRACKER_BASE}/identifier/case"
