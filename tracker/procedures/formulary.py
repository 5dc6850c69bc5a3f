"""The default formulary, as data, and the dose arithmetic every injectate row must satisfy.

The app copies ``DEFAULT_FORMULARY`` into a table that an admin edits; the rules then read
that table. Anything with the attributes of ``FormularyEntry`` (a model row, say) can stand in
for an entry. Strengths are in the entry's ``strength_unit``; only drugs measured in mg/mL are
checked by ``dose_matches``.

The usual maximum doses are per SI joint per session. A steroid's is a clinical convention found
in the interventional pain literature, not a labelled limit: exceeding it is a warning, and ten
times it a hard stop. A local anaesthetic's is set well above what an SI joint injection uses and
well below a systemic toxic dose: exceeding it is a hard stop (see ``STOP_ABOVE_MAXIMUM_KINDS``).
Each entry's ``source`` says which.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from tracker.vocab import N_, Choice


class DrugKind(Choice):
    LOCAL_ANAESTHETIC = "local_anaesthetic", N_("Local anaesthetic")
    STEROID = "steroid", N_("Corticosteroid")
    CONTRAST = "contrast", N_("Contrast agent")
    SKIN_PREP = "skin_prep", N_("Skin prep agent")


# What may be written on an injectate row; contrast and skin prep have steps of their own.
INJECTATE_KINDS = frozenset({DrugKind.LOCAL_ANAESTHETIC, DrugKind.STEROID})
# Drugs whose dose above the usual maximum per joint is itself a hard stop (confirmed with a reason),
# not a warning with the stop at ten times it: a local anaesthetic's harm is systemic and acute
# (seizures, cardiac arrest), and ten times any sensible per-joint maximum of lidocaine (60-100 mg)
# is past its toxic dose (about 300 mg). Its maximum is therefore set well below toxicity.
STOP_ABOVE_MAXIMUM_KINDS = frozenset({DrugKind.LOCAL_ANAESTHETIC})

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
# A local anaesthetic's usual maximum per SI joint is 5 mL of its strongest listed solution: an SI
# joint injection uses 1-3 mL (the joint holds about 0.6-2.5 mL), and the checklist asks about more
# than 5 mL in any case (schema.MAX_CONFIRMED_INJECTATE_ML_PER_SIDE). Each is a fraction of the
# systemic maximum for an adult, so a dose above it is a typing error or a choice to be recorded
# with a reason, never a toxic dose saved unasked.
_LA_MAXIMUM = ("usual maximum per SI joint {maximum} mg (5 mL of the {strongest}% solution; an SI joint "
               "injection uses {usual}); the systemic maximum is {systemic}, so above {maximum} mg the "
               "checklist stops until the physician confirms the dose with a reason")

DEFAULT_FORMULARY = (
    FormularyEntry(
        code="lidocaine",
        name="Lidocaine",
        kind=DrugKind.LOCAL_ANAESTHETIC,
        strengths=(Decimal("10"), Decimal("20")),
        strength_unit=MG_PER_ML,
        usual_max_dose_mg=Decimal("100"),
        source="1% and 2% solutions (10 and 20 mg/mL); " + _LA_MAXIMUM.format(
            maximum=100, strongest=2, usual="1–3 mL of 1–2%, 10–60 mg",
            systemic="about 4.5 mg/kg, at most 300 mg without adrenaline") + ".",
    ),
    FormularyEntry(
        code="bupivacaine",
        name="Bupivacaine",
        kind=DrugKind.LOCAL_ANAESTHETIC,
        strengths=(Decimal("2.5"), Decimal("5")),
        strength_unit=MG_PER_ML,
        usual_max_dose_mg=Decimal("25"),
        source="0.25% and 0.5% solutions (2.5 and 5 mg/mL); " + _LA_MAXIMUM.format(
            maximum=25, strongest=0.5, usual="1–3 mL of 0.25–0.5%, 2.5–15 mg",
            systemic="about 2 mg/kg, at most 175 mg") + ".",
    ),
    FormularyEntry(
        code="ropivacaine",
        name="Ropivacaine",
        kind=DrugKind.LOCAL_ANAESTHETIC,
        strengths=(Decimal("2"), Decimal("5")),
        strength_unit=MG_PER_ML,
        usual_max_dose_mg=Decimal("25"),
        source="0.2% and 0.5% solutions (2 and 5 mg/mL); " + _LA_MAXIMUM.format(
            maximum=25, strongest=0.5, usual="1–3 mL of 0.2–0.5%, 2–15 mg",
            systemic="about 3 mg/kg, at most about 225 mg") + ".",
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
    # Both readings, since any of the three may be the slipped one: the volume the dose needs and
    # the dose the volume gives.
    return DoseCheck(False, f"{plain(dose)} mg at {plain(concentration)} mg/mL is "
                            f"{millilitres(dose / concentration)} mL, not {millilitres(volume)} mL; "
                            f"{millilitres(volume)} mL of it is {plain(delivered.quantize(Decimal('0.01')))} mg. "
                            f"Dose = concentration × volume: correct the one mistyped.")


# A percentage strength is grams per 100 mL: 1 % is 10 mg/mL, so 0.5 % bupivacaine is 5 mg/mL.
MG_PER_ML_PER_PERCENT = Decimal("10")
# A concentration exactly ten times (or a tenth of) a listed strength is a slipped decimal point or
# a percentage typed as mg/mL (0.5 typed for 5 mg/mL), never a strength a clinic stocks.
TEN_FOLD = Decimal("10")
_PERCENT_UNITS = ("%",)
_MG_PER_ML_UNITS = ("mg/ml", "mg per ml", "mg / ml")


@dataclass(frozen=True)
class Concentration:
    """A concentration as typed, in mg/mL; ``percent`` says the physician typed it as a percentage."""

    mg_per_ml: Decimal
    percent: bool = False


def read_concentration(text) -> Concentration | None:
    """ "0.5 %", "0.5%", "5", "5 mg/mL" -> mg/mL (None when it is not a concentration).

    A Decimal or int is mg/mL as stored. Only mg/mL drugs are entered this way (every injectate is).
    """
    if isinstance(text, (Decimal, int)) and not isinstance(text, bool):
        return Concentration(Decimal(text)) if Decimal(text).is_finite() else None
    typed = " ".join(str(text or "").strip().lower().split())
    percent = typed.endswith(_PERCENT_UNITS)
    number = typed[:-1] if percent else next(
        (typed[:-len(unit)] for unit in _MG_PER_ML_UNITS if typed.endswith(unit)), typed)
    try:
        value = Decimal(number.strip())
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return Concentration(value * MG_PER_ML_PER_PERCENT if percent else value, percent)


def percent_of(mg_per_ml: Decimal) -> Decimal:
    return Decimal(mg_per_ml) / MG_PER_ML_PER_PERCENT


def strength_words(mg_per_ml) -> str:
    """Both ways a clinic writes a strength: "5 mg/mL (0.5 %)"."""
    mg_per_ml = Decimal(str(mg_per_ml))
    return f"{plain(mg_per_ml)} mg/mL ({plain(percent_of(mg_per_ml))} %)"


def strength_problems(entry, concentration_mg_per_ml) -> list[tuple[str, str]]:
    """Why a row's strength needs the physician's explicit confirmation with a reason before it is
    saved (a hard stop, not a warning), as (row field, message): a concentration the formulary does
    not list for the drug, or one exactly ten times or a tenth of a listed strength. Only mg/mL drugs
    are checked. (A dose is checked for the joint, the drug's rows together: joint_dose_problem.)
    """
    if entry is None or entry.strength_unit != MG_PER_ML:
        return []
    problems = []
    listed = [Decimal(str(strength)) for strength in entry.strengths]
    concentration = Decimal(str(concentration_mg_per_ml)) if concentration_mg_per_ml is not None else None
    if concentration is not None and listed and concentration not in listed:
        slipped = next((strength for strength in listed
                        if concentration in (strength * TEN_FOLD, strength / TEN_FOLD)), None)
        if slipped is not None:
            how = "ten times" if concentration > slipped else "a tenth of"
            problems.append(("concentration_mg_per_ml",
                             f"{entry.name} at {strength_words(concentration)} is {how} the listed "
                             f"{strength_words(slipped)}: a slipped decimal point, or a percentage typed as mg/mL?"))
        else:
            problems.append(("concentration_mg_per_ml",
                             f"{entry.name} at {strength_words(concentration)} is not a listed strength "
                             f"({', '.join(strength_words(strength) for strength in listed)})."))
    return problems


def _stopped_maximum(entry) -> Decimal | None:
    """The usual maximum per joint of a drug stopped above it (a local anaesthetic in mg/mL), or None."""
    if entry is None or entry.kind not in STOP_ABOVE_MAXIMUM_KINDS or entry.strength_unit != MG_PER_ML \
            or entry.usual_max_dose_mg is None:
        return None
    maximum = Decimal(str(entry.usual_max_dose_mg))
    return maximum if maximum > 0 else None


def joint_dose_problem(entry, total_dose_mg) -> str | None:
    """Why one joint's dose of a drug, its rows together, needs the physician's confirmation with a
    reason, or None: a local anaesthetic above its usual maximum, any other mg/mL drug (a steroid) at
    ten times its usual maximum or more (above the maximum it is a warning: drug_warnings). Two rows
    of 200 mg triamcinolone are 400 mg in the joint, stopped as one row of 400 mg is."""
    if total_dose_mg is None:
        return None
    dose = Decimal(str(total_dose_mg))
    maximum = _stopped_maximum(entry)
    if maximum is not None:
        if dose <= maximum:
            return None
        return f"{entry.name} {plain(dose)} mg is above the usual maximum of {plain(maximum)} mg per SI joint."
    if entry is None or entry.strength_unit != MG_PER_ML or entry.usual_max_dose_mg is None:
        return None
    maximum = Decimal(str(entry.usual_max_dose_mg))
    if maximum <= 0 or dose < maximum * TEN_FOLD:
        return None
    return (f"{entry.name} {plain(dose)} mg is ten times or more the usual maximum of {plain(maximum)} mg "
            f"per SI joint.")


def combined_dose_problem(doses: Iterable) -> tuple[str, str] | None:
    """Why one joint's local anaesthetics together need the physician's confirmation with a reason,
    as (where, message), or None. `doses` is (entry, that drug's dose in the joint with its rows
    together, where to say it), one per drug in the order of their rows; the message is said where
    the last local anaesthetic counted is (the one that took the joint over).

    Local anaesthetic toxicity is additive: each drug's dose is a fraction of its own usual maximum
    per joint, and the fractions together may reach 1 (100 %), not more. Lidocaine 80 mg (80 % of
    100 mg) and bupivacaine 20 mg (80 % of 25 mg) are each within their maximum and 160 % together.
    Exactly 100 % passes, as a single drug at its maximum does. The sum is exact (fractions, not
    rounded decimals), so three thirds of the maximum are 100 %, not a hair either side of it.
    """
    counted = []
    for entry, dose, where in doses:
        maximum, dose = _stopped_maximum(entry), Decimal(str(dose)) if dose is not None else None
        if maximum is not None and dose is not None and dose > 0:
            counted.append((entry, dose, maximum, where))
    if len(counted) < 2:
        return None  # one drug alone is held to its own maximum (joint_dose_problem)
    shares = [Fraction(dose) / Fraction(maximum) for _, dose, maximum, _ in counted]
    together = sum(shares, Fraction(0))
    if together <= 1:
        return None
    said = [f"{entry.name if position == 0 else lower_first(entry.name)} {plain(dose)} mg "
            f"({percent_words(share)} %{' of its maximum' if position == 0 else ''})"
            for position, ((entry, dose, _, _), share) in enumerate(zip(counted, shares))]
    # Rounded up: a sum just above 100 % never reads as 100 %.
    return counted[-1][3], (f"{', '.join(said[:-1])} and {said[-1]} together reach "
                            f"{percent_words(together, ROUND_CEILING)} % of the local anaesthetic maximum for one "
                            f"joint: their toxicity adds up, so together they are above the usual maximum.")


def percent_words(share: Fraction, rounding=ROUND_HALF_UP) -> str:
    """A fraction of a maximum as a percentage to at most one decimal: 80, 33.3, 100.1."""
    percent = Decimal(share.numerator * 100) / Decimal(share.denominator)
    return plain(percent.quantize(Decimal("0.1"), rounding=rounding))


def lower_first(name: str) -> str:
    """A drug's name inside a sentence: "bupivacaine" (a name in capitals, "EMLA", stays so)."""
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


# A usual maximum moved beyond these bounds of the saved one (or removed) is asked about before it
# is saved: a slipped decimal point (40 typed as 400 or 4) moves the checklist's warning and its
# hard stop at ten times the maximum with it.
MAXIMUM_CHANGE_ASKED_ABOVE = Decimal("2")
MAXIMUM_CHANGE_ASKED_BELOW = Decimal("0.5")


def maximum_change_to_confirm(old, new) -> bool:
    """Whether changing a drug's usual maximum per joint from `old` to `new` mg (None: no maximum)
    needs the admin's explicit confirmation: more than double or less than half the saved maximum,
    or the maximum removed. Setting a maximum where there was none is not asked."""
    if old is None:
        return False
    if new is None:
        return True
    ratio = Decimal(str(new)) / Decimal(str(old))
    return ratio > MAXIMUM_CHANGE_ASKED_ABOVE or ratio < MAXIMUM_CHANGE_ASKED_BELOW


def times_words(old, new) -> str:
    """How far a maximum moved, as a reader checks it: "ten times", "3 times", "2.5 times", "a
    tenth of", "a quarter of", "0.38 times"."""
    old, new = Decimal(str(old)), Decimal(str(new))
    if new >= old:
        ratio = new / old
        if ratio == TEN_FOLD:
            return "ten times"
        return f"{plain(ratio.quantize(Decimal('0.1')) if ratio != ratio.to_integral_value() else ratio)} times"
    fraction = old / new
    named = {TEN_FOLD: "a tenth of", Decimal(4): "a quarter of", Decimal(3): "a third of",
             Decimal(100): "a hundredth of"}
    if fraction in named:
        return named[fraction]
    if fraction == fraction.to_integral_value():
        return f"1/{plain(fraction)} of"
    return f"{plain((new / old).quantize(Decimal('0.01')))} times"


def plain(value: Decimal) -> str:
    """A dose or concentration as a clinic writes it: 40, 2.5, 0.25 (no exponent, no trailing zeros)."""
    return format(value.normalize(), "f")


def millilitres(value: Decimal) -> str:
    """A volume to at most two decimals and at least one: 1.0, 0.5, 0.75, 2.67."""
    rounded = value.quantize(Decimal("0.01"))
    text = format(rounded, "f").rstrip("0")
    return text + "0" if text.endswith(".") else text
