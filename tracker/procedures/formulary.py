"""The default formulary, as data, and the dose arithmetic every injectate row must satisfy.

The app copies ``DEFAULT_FORMULARY`` into a table that an admin edits; the rules then read
that table. Anything with the attributes of ``FormularyEntry`` (a model row, say) can stand in
for an entry. Strengths are in the entry's ``strength_unit``; only drugs measured in mg/mL are
checked by ``dose_matches``.

The usual maximum doses are per SI joint per session. They are clinical conventions found in
the interventional pain literature, not labelled limits: exceeding one is a warning, never a
refusal, and each entry's ``source`` says so.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tracker.vocab import Choice


class DrugKind(Choice):
    LOCAL_ANAESTHETIC = "local_anaesthetic", "Local anaesthetic"
    STEROID = "steroid", "Corticosteroid"
    CONTRAST = "contrast", "Contrast agent"
    SKIN_PREP = "skin_prep", "Skin prep agent"


# What may be written on an injectate row; contrast and skin prep have steps of their own.
INJECTATE_KINDS = frozenset({DrugKind.LOCAL_ANAESTHETIC, DrugKind.STEROID})

MG_PER_ML = "mg/mL"
# Within 2% the difference is the reading of a syringe, not a different dose.
DOSE_TOLERANCE = Decimal("0.02")


@dataclass(frozen=True)
class FormularyEntry:
    code: str
    name: str
    kind: DrugKind
    strengths: tuple[Decimal, ...]
    strength_unit: str
    usual_max_dose_mg: Decimal | None
    source: str


_CONVENTION = "clinical convention for one SI joint, not a labelled maximum; above it is a warning"
_WEIGHT_BASED = ("the toxic dose is weight-based and far above what an SI joint holds, "
                 "so no per-joint maximum is checked")

DEFAULT_FORMULARY = (
    FormularyEntry(
        code="lidocaine",
        name="Lidocaine",
        kind=DrugKind.LOCAL_ANAESTHETIC,
        strengths=(Decimal("10"), Decimal("20")),
        strength_unit=MG_PER_ML,
        usual_max_dose_mg=None,
        source=f"1% and 2% solutions (10 and 20 mg/mL); {_WEIGHT_BASED}.",
    ),
    FormularyEntry(
        code="bupivacaine",
        name="Bupivacaine",
        kind=DrugKind.LOCAL_ANAESTHETIC,
        strengths=(Decimal("2.5"), Decimal("5")),
        strength_unit=MG_PER_ML,
        usual_max_dose_mg=None,
        source=f"0.25% and 0.5% solutions (2.5 and 5 mg/mL); {_WEIGHT_BASED}.",
    ),
    FormularyEntry(
        code="ropivacaine",
        name="Ropivacaine",
        kind=DrugKind.LOCAL_ANAESTHETIC,
        strengths=(Decimal("2"), Decimal("5")),
        strength_unit=MG_PER_ML,
        usual_max_dose_mg=None,
        source=f"0.2% and 0.5% solutions (2 and 5 mg/mL); {_WEIGHT_BASED}.",
    ),
    FormularyEntry(
        code="triamcinolone",
        name="Triamcinolone acetonide",
        kind=DrugKind.STEROID,
        strengths=(Decimal("10"), Decimal("40")),
        strength_unit=MG_PER_ML,
        usual_max_dose_mg=Decimal("40"),
        source=f"Particulate suspension, 10 and 40 mg/mL; 40 mg per joint is a {_CONVENTION}.",
    ),
    FormularyEntry(
        code="methylprednisolone_acetate",
        name="Methylprednisolone acetate",
        kind=DrugKind.STEROID,
        strengths=(Decimal("40"), Decimal("80")),
        strength_unit=MG_PER_ML,
        usual_max_dose_mg=Decimal("80"),
        source=f"Particulate suspension, 40 and 80 mg/mL; 80 mg per joint is a {_CONVENTION}.",
    ),
    FormularyEntry(
        code="dexamethasone",
        name="Dexamethasone sodium phosphate",
        kind=DrugKind.STEROID,
        strengths=(Decimal("4"), Decimal("10")),
        strength_unit=MG_PER_ML,
        usual_max_dose_mg=Decimal("10"),
        source=f"Non-particulate solution, 4 and 10 mg/mL; 10 mg per joint is a {_CONVENTION}.",
    ),
    FormularyEntry(
        code="betamethasone",
        name="Betamethasone sodium phosphate and acetate",
        kind=DrugKind.STEROID,
        strengths=(Decimal("6"),),
        strength_unit=MG_PER_ML,
        usual_max_dose_mg=Decimal("12"),
        source=f"Suspension, 6 mg/mL (combined esters); 12 mg per joint is a {_CONVENTION}.",
    ),
    FormularyEntry(
        code="iohexol",
        name="Iohexol (Omnipaque)",
        kind=DrugKind.CONTRAST,
        strengths=(Decimal("180"), Decimal("240"), Decimal("300")),
        strength_unit="mgI/mL",
        usual_max_dose_mg=None,
        source="Iodinated, non-ionic; Omnipaque 180, 240 and 300 (mg iodine per mL). "
               "An arthrogram usually needs 0.25–1 mL.",
    ),
    FormularyEntry(
        code="gadobutrol",
        name="Gadobutrol (Gadavist)",
        kind=DrugKind.CONTRAST,
        strengths=(Decimal("1.0"),),
        strength_unit="mmol/mL",
        usual_max_dose_mg=None,
        source="Gadolinium agent for a patient with a documented iodinated contrast allergy; "
               "off-label for arthrography, so clinics use the smallest volume, often diluted.",
    ),
    FormularyEntry(
        code="chlorhexidine_alcohol",
        name="Chlorhexidine 2% in 70% isopropyl alcohol",
        kind=DrugKind.SKIN_PREP,
        strengths=(Decimal("2"),),
        strength_unit="% w/v",
        usual_max_dose_mg=None,
        source="Preferred skin antiseptic unless the patient is allergic to chlorhexidine.",
    ),
    FormularyEntry(
        code="povidone_iodine",
        name="Povidone-iodine 10%",
        kind=DrugKind.SKIN_PREP,
        strengths=(Decimal("10"),),
        strength_unit="% w/v",
        usual_max_dose_mg=None,
        source="Alternative when chlorhexidine cannot be used; avoid with an iodine/povidone allergy.",
    ),
)


def formulary_by_code(entries: Iterable = DEFAULT_FORMULARY) -> dict:
    """The entries keyed by code, the shape the checklist rules read."""
    return {entry.code: entry for entry in entries}


def entries_of_kind(formulary: Mapping, kind: str) -> list:
    return [entry for entry in formulary.values() if entry.kind == kind]


@dataclass(frozen=True)
class DoseCheck:
    """Whether a row's dose and volume agree with its concentration; false carries the reason."""

    ok: bool
    message: str = ""

    def __bool__(self):
        return self.ok


def dose_matches(concentration_mg_per_ml, dose_mg, volume_ml, tolerance=DOSE_TOLERANCE) -> DoseCheck:
    """Dose = concentration x volume, within ``tolerance`` (a fraction of the computed dose).

    Values may be Decimals, ints or numeric strings. The message says which volume the dose
    needs, since the physician draws up a volume: "40 mg at 40 mg/mL is 1.0 mL, not 2.0 mL".
    """
    try:
        concentration, dose, volume = (Decimal(str(value)) for value in
                                       (concentration_mg_per_ml, dose_mg, volume_ml))
    except InvalidOperation:
        return DoseCheck(False, "Concentration, dose and volume must be numbers.")
    for value, what in ((concentration, "concentration"), (dose, "dose"), (volume, "volume")):
        if not value.is_finite() or value <= 0:
            return DoseCheck(False, f"The {what} must be more than 0.")
    delivered = concentration * volume
    if abs(delivered - dose) <= tolerance * delivered:
        return DoseCheck(True)
    return DoseCheck(False, f"{plain(dose)} mg at {plain(concentration)} mg/mL is "
                            f"{millilitres(dose / concentration)} mL, not {millilitres(volume)} mL.")


def plain(value: Decimal) -> str:
    """A dose or concentration as a clinic writes it: 40, 2.5, 0.25 (no exponent, no trailing zeros)."""
    return format(value.normalize(), "f")


def millilitres(value: Decimal) -> str:
    """A volume to at most two decimals and at least one: 1.0, 0.5, 0.75, 2.67."""
    rounded = value.quantize(Decimal("0.01"))
    text = format(rounded, "f").rstrip("0")
    return text + "0" if text.endswith(".") else text
