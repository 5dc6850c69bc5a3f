"""Clinical vocabularies shared by forms, models and the pure domain code.

Each is a str Enum so that its value is what the database stores and what the policy engine reads.
"""
import enum
import re
from typing import NamedTuple


def N_(text):
    """Marks a label for the translation catalog (pybabel's N_ keyword); it stays English here
    and a patient page shows it with _(label) in the patient's language."""
    return text


class Choice(str, enum.Enum):
    """A stored value with the words a clinic uses for it."""

    def __new__(cls, value, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    def __str__(self):
        return self.value

    @classmethod
    def choices(cls):
        return [(member.value, member.label) for member in cls]


class Side(Choice):
    LEFT = "left", N_("Left")
    RIGHT = "right", N_("Right")
    BILATERAL = "bilateral", N_("Bilateral")


def joints_of(side: str) -> tuple[Side, ...]:
    """The joints a case is about: a bilateral case has two, each examined, injected and rated on
    its own."""
    side = Side(side)
    return (Side.LEFT, Side.RIGHT) if side == Side.BILATERAL else (side,)


def sides_filtered(side: str) -> tuple[Side, ...]:
    """The sides of the cases a side filter keeps (worklist, API, reports alike): a bilateral case is
    a case of each joint, so "left" keeps the left and the bilateral cases, "right" the right and the
    bilateral ones, and "bilateral" the bilateral ones only."""
    side = Side(side)
    return (side,) if side == Side.BILATERAL else (side, Side.BILATERAL)


class Indication(Choice):
    DIAGNOSTIC = "diagnostic", N_("Diagnostic block")
    CONFIRMATORY = "confirmatory", N_("Confirmatory block")
    THERAPEUTIC = "therapeutic", N_("Therapeutic injection")


class Sex(Choice):
    FEMALE = "female", N_("Female")
    MALE = "male", N_("Male")
    OTHER = "other", N_("Other")
    UNKNOWN = "unknown", N_("Not stated")


class ContactChannel(Choice):
    EMAIL = "email", N_("Email")
    SMS = "sms", N_("Text message")
    PHONE = "phone", N_("Phone call")


class ContactEnded(Choice):
    """Why the clinic no longer reaches a patient at all (recorded on the patient's record)."""
    DIED = "died", N_("Died")
    LEFT_CARE = "left_care", N_("Moved away or left the clinic's care")


class TherapyKind(Choice):
    REST = "rest", N_("Rest / activity modification")
    ICE_HEAT = "ice_heat", N_("Ice or heat")
    PHYSICAL_THERAPY = "physical_therapy", N_("Physical therapy")
    HOME_EXERCISE = "home_exercise", N_("Home exercise programme")
    MEDICATION = "medication", N_("Medication (NSAIDs, analgesics, opioids)")
    MASSAGE = "massage", N_("Massage")
    CHIROPRACTIC = "chiropractic", N_("Chiropractic / manipulation")
    CBT = "cbt", N_("Cognitive-behavioural therapy")
    OTHER = "other", N_("Other")


class Response(Choice):
    NONE = "none", N_("No relief")
    PARTIAL = "partial", N_("Partial relief")
    GOOD = "good", N_("Good relief")


class ProvocationResult(Choice):
    NOT_DONE = "not_done", N_("Not done")
    POSITIVE = "positive", N_("Positive")
    NEGATIVE = "negative", N_("Negative")


class Pregnancy(Choice):
    NOT_APPLICABLE = "not_applicable", N_("Not applicable")
    NO = "no", N_("Not pregnant")
    POSSIBLE = "possible", N_("Possibly pregnant")
    YES = "yes", N_("Pregnant")


# Fluoroscopy and a steroid in pregnancy are a physician's decision: these answers are said on
# every page that prepares or runs the procedure, and the physician acknowledges them at the table.
PREGNANCY_FLAGGED = frozenset({Pregnancy.POSSIBLE, Pregnancy.YES})


def may_be_pregnant(sex) -> bool:
    """Whether the risk screen may answer "pregnant" or "possibly pregnant" for a patient of this
    recorded sex: for every one but male. "Other" and "not stated" keep being asked: the record
    does not say the patient cannot be pregnant."""
    return sex != Sex.MALE


def pregnancy_flag(risk):
    """The risk screen's pregnancy answer when it asks for the physician's decision (possibly
    pregnant, pregnant), else None (no risk screen, not pregnant, not applicable)."""
    answer = getattr(risk, "pregnancy", None) if risk is not None else None
    return Pregnancy(answer) if answer in PREGNANCY_FLAGGED else None


def pregnancy_words(risk):
    """The pregnancy flag as every staff page says it, "" when there is none. The one presenter for
    pregnancy, beside `allergy_words` and `anticoagulant_words`."""
    flag = pregnancy_flag(risk)
    if flag == Pregnancy.POSSIBLE:
        return N_("Possibly pregnant: fluoroscopy and a steroid only after a negative pregnancy test "
                  "or the physician's decision to proceed")
    if flag == Pregnancy.YES:
        return N_("Pregnant: fluoroscopy and a steroid only on the physician's recorded decision to proceed")
    return ""


def infection_flag(risk) -> bool:
    """The risk screen records an active infection or fever (systemic or at the injection site): a
    steroid injection is contraindicated, so it waits for the physician's decision."""
    return bool(risk is not None and getattr(risk, "infection_or_fever", False))


def infection_words(risk):
    """The infection flag as every staff page says it, "" when there is none."""
    return (N_("Active infection or fever: a steroid injection is contraindicated; proceed only on the "
               "physician's recorded decision") if infection_flag(risk) else "")


def diabetes_words(risk):
    """A diabetes the risk screen records (diabetes or insulin ticked), as the checklist's banner and
    the procedure note say it beside the steroid: "Diabetes (on insulin, HbA1c 8.2 %): the steroid
    raises blood glucose"; "" when it records none."""
    if risk is None or not (risk.diabetes or risk.insulin):
        return ""
    details = ", ".join(part for part in ("on insulin" if risk.insulin else "",
                                          f"HbA1c {risk.hba1c} %" if risk.hba1c is not None else "") if part)
    return f"Diabetes{f' ({details})' if details else ''}: the steroid raises blood glucose"


class DecisionFlag(NamedTuple):
    """A risk screen answer that waits for the physician's decision to proceed: said on every page
    that prepares or runs the procedure, acknowledged by her to start it."""

    kind: str  # "pregnancy", "infection": the notice's class and the start's `<kind>_acknowledged` box
    words: str  # what the pages say (pregnancy_words, infection_words)
    answer: str  # the risk screen's answer in short: "possibly pregnant", "active infection or fever"
    heading: str  # its heading on the procedure note


# The risk screen's infection answer in short, as the pages and the procedure record say it.
INFECTION_ANSWER = "active infection or fever"


def decision_flags(risk) -> list[DecisionFlag]:
    """The risk screen's answers that wait for the physician's decision, in the order every page
    says them: pregnancy, then infection or fever. The one list the pages, the day-of check and the
    start read."""
    flags = []
    pregnancy = pregnancy_flag(risk)
    if pregnancy:
        flags.append(DecisionFlag("pregnancy", pregnancy_words(risk), pregnancy.label.lower(),
                                   N_("Pregnancy")))
    if infection_flag(risk):
        flags.append(DecisionFlag("infection", infection_words(risk), INFECTION_ANSWER,
                                   N_("Infection or fever")))
    return flags


class Allergy(Choice):
    """The allergies the risk screen records, in the words the clinic uses for them (one list for
    the form, the case page, the procedure note and the checklist's warnings)."""

    CONTRAST = "contrast", N_("iodinated contrast")
    IODINE = "iodine", N_("iodine / povidone-iodine")
    LATEX = "latex", N_("latex")
    LOCAL_ANAESTHETIC = "local_anaesthetic", N_("local anaesthetic")
    STEROID = "steroid", N_("steroid")

    @property
    def field(self):
        """The risk screen's column for it."""
        return f"allergy_{self.value}"


class AllergyAnswer(Choice):
    """What the risk screen's allergy question was answered: "no known allergies" is an answer of
    its own, never the same as a question not asked."""

    NOT_ASKED = "not_asked", N_("Not asked yet")
    NKDA = "nkda", N_("No known allergies (NKDA)")
    DOCUMENTED = "documented", N_("Allergies (tick each below)")


class AnticoagulantAnswer(Choice):
    """What the risk screen's anticoagulant question was answered: "none" is an answer of its own,
    never the same as a question not asked, and never a drug."""

    NOT_ASKED = "not_asked", N_("Not asked yet")
    NONE = "none", N_("No anticoagulants or antiplatelets")
    TAKING = "taking", N_("Takes an anticoagulant or antiplatelet (name it below)")


# What staff used to type into the drug field to mean "none": read as the answer "none", never as a drug.
NO_DRUG_WORDS = frozenset({"", "-", "--", "n/a", "na", "n.a.", "none", "nil", "no", "nkda", "not applicable",
                           "no anticoagulants", "no anticoagulant", "not taking"})


def means_no_drug(text) -> bool:
    return " ".join((text or "").lower().split()).rstrip(".") in NO_DRUG_WORDS


def allergies_of(risk):
    """The allergies a risk screen (any object with the allergy_* flags) documents."""
    return [allergy for allergy in Allergy if getattr(risk, allergy.field)]


def allergy_words(risk):
    """The allergy answer as every page shows it: "iodinated contrast, latex", "NKDA", or "not asked"
    (no risk screen, or the question not answered yet). The one presenter for allergies."""
    if "allergies" in not_asked(risk):
        return "not asked"
    if risk.allergy_answer == AllergyAnswer.NKDA:
        return "NKDA (no known allergies)"
    return ", ".join(allergy.label for allergy in allergies_of(risk))


def anticoagulant_words(risk):
    """The anticoagulant answer as every page shows it: the drug as typed, "none", or "not asked"."""
    if "anticoagulants" in not_asked(risk):
        return "not asked"
    if risk.anticoagulant_answer == AnticoagulantAnswer.NONE:
        return "none"
    return risk.anticoagulants


def anticoagulant_with_hold(risk):
    """The anticoagulant answer with its hold in days, when recorded: "rivaroxaban 20 mg daily (no dose
    for 3 days before the procedure day)", "warfarin (keep taking it)", "none", "not asked"."""
    words = anticoagulant_words(risk)
    days = getattr(risk, "anticoagulant_hold_days", None) if takes_anticoagulant(risk) else None
    if days is None:
        return words
    return f"{words} (keep taking it)" if days == 0 else f"{words} (no dose for {days} days before the procedure day)"


# The words of a drug field that say how much and how often, not which drug: "rivaroxaban 20mg",
# "Rivaroxaban 20 mg once a day with food" and "rivaroxaban 15 mg BID" all name rivaroxaban. Numbers
# go too. A word not listed here stays part of the name, so an unread word ("warfarin, INR 2-3")
# makes two screens disagree, never agree: a warning too many, not one missed.
DOSE_AND_FREQUENCY_WORDS = frozenset("""
    mg mcg µg ug g gram grams milligram milligrams microgram micrograms ml iu unit units
    tab tabs tablet tablets cap caps capsule capsules pill pills po oral orally by mouth
    once twice thrice three times a an per day days daily week weekly every each x dose doses
    od qd bd bid b i d tid t qid q qam qpm qhs hs nocte mane am pm m morning evening night nightly at in the
    with food meals and plus
""".split())


# Brand names (US) of the blood thinners a risk screen names, read as their drugs: "Xarelto 20 mg"
# and "rivaroxaban 20mg" are one drug. A brand not listed stays a name of its own: a warning too
# many, never one missed.
BRAND_DRUGS = {
    "xarelto": ("rivaroxaban",), "eliquis": ("apixaban",), "pradaxa": ("dabigatran",),
    "savaysa": ("edoxaban",), "lixiana": ("edoxaban",), "bevyxxa": ("betrixaban",),
    "coumadin": ("warfarin",), "jantoven": ("warfarin",), "lovenox": ("enoxaparin",),
    "clexane": ("enoxaparin",), "fragmin": ("dalteparin",), "arixtra": ("fondaparinux",),
    "plavix": ("clopidogrel",), "effient": ("prasugrel",), "brilinta": ("ticagrelor",),
    "ticlid": ("ticlopidine",), "pletal": ("cilostazol",), "zontivity": ("vorapaxar",),
    "persantine": ("dipyridamole",), "aggrenox": ("aspirin", "dipyridamole"),
    "ecotrin": ("aspirin",), "bayer": ("aspirin",), "asa": ("aspirin",),
}


def anticoagulant_name(typed) -> str:
    """The drug (or drugs) a risk screen's blood-thinner field names, to compare: its words less
    those of dose and frequency, each brand read as its drug (BRAND_DRUGS), in one case, in
    alphabetical order ("aspirin and clopidogrel"); the field as typed (case and spacing aside)
    when no other word is left."""
    text = " ".join((typed or "").casefold().split())
    names = sorted({drug for word in re.findall(r"[^\W\d_]+", text) if word not in DOSE_AND_FREQUENCY_WORDS
                    for drug in BRAND_DRUGS.get(word, (word,))})
    return " and ".join(names) if names else text


def _anticoagulant_answer(risk):
    """What a risk screen answers about blood thinners, to compare: "none", the drug's name
    (`anticoagulant_name`), or None when it does not answer yet."""
    if "anticoagulants" in not_asked(risk):
        return None
    if risk.anticoagulant_answer == AnticoagulantAnswer.NONE:
        return "none"
    return anticoagulant_name(risk.anticoagulants)


def anticoagulant_disagreement(other_id, other_side, other, risk) -> str:
    """The warning that another open case of the patient (`other_id`, its side in words) records
    another blood-thinner answer (one none and one a drug, or two drugs), or the same drug with
    another planned hold; "" when they agree, or when a question is not answered yet (nor a hold's
    days recorded). The clinician decides which is true."""
    one, two = _anticoagulant_answer(other), _anticoagulant_answer(risk)
    if one is None or two is None:
        return ""
    if one != two:
        return (f"Case {other_id} ({other_side}) of this patient records anticoagulants: "
                f"{anticoagulant_with_hold(other)}; this case records: {anticoagulant_with_hold(risk)}. Confirm "
                f"with the patient which is true and correct the risk screen that is wrong.")
    days, these = other.anticoagulant_hold_days, risk.anticoagulant_hold_days
    if one == "none" or days is None or these is None or days == these:
        return ""
    planned = f"a {days}-day hold of {one}" if days else f"no hold of {one} (keep taking it)"
    here = f"{these} day{'s' if these != 1 else ''}" if these else "no hold (keep taking it)"
    return (f"Case {other_id} ({other_side}) of this patient plans {planned}; this case {here}. Confirm the hold "
            f"with the prescriber and correct the risk screen that is wrong.")


def _allergy_answer(risk):
    """What a risk screen answers about allergies, to compare: the allergies ticked (none for NKDA),
    or None when it does not answer yet. Ticked choices, never the words shown: capitals, spacing
    and the order they are listed in cannot make two screens differ."""
    if "allergies" in not_asked(risk):
        return None
    return frozenset(allergies_of(risk)) if risk.allergy_answer == AllergyAnswer.DOCUMENTED else frozenset()


def allergy_disagreement(other_id, other_side, other, risk) -> str:
    """The warning that another open case of the patient (`other_id`, its side in words) records an
    allergy this risk screen does not (this one NKDA, or listing fewer), said to the case missing it;
    "" when none is missing, or when a question is not answered yet. A contrast allergy missing is
    said on its own: contrast is given at every injection, and its premedication is planned on the
    risk screen. The clinician decides which is true."""
    theirs, ours = _allergy_answer(other), _allergy_answer(risk)
    if theirs is None or ours is None or theirs <= ours:
        return ""
    contrast = (" Iodinated contrast is given at every injection: if the allergy is true, plan its premedication "
                "on this case's risk screen." if Allergy.CONTRAST in theirs - ours else "")
    return (f"Case {other_id} ({other_side}) of this patient records allergies: {allergy_words(other)}; this case "
            f"records: {allergy_words(risk)}. Confirm with the patient which is true and correct the risk screen "
            f"that is wrong.{contrast}")


def not_asked(risk) -> frozenset:
    """The risk screen's questions not answered yet ("allergies", "anticoagulants"): all of them
    without a risk screen. "None" and "NKDA" are answers, never listed here."""
    if risk is None:
        return frozenset({"allergies", "anticoagulants"})
    return frozenset(question for question, answer in (("allergies", risk.allergy_answer),
                                                       ("anticoagulants", risk.anticoagulant_answer))
                     if answer in (None, "not_asked"))


def takes_anticoagulant(risk) -> bool:
    return bool(risk) and risk.anticoagulant_answer == AnticoagulantAnswer.TAKING


class Modality(Choice):
    FLUOROSCOPY = "fluoroscopy", N_("Fluoroscopy")
    CT = "ct", N_("CT")


class AppointmentStatus(Choice):
    BOOKED = "booked", N_("Booked")
    CHECKED_IN = "checked_in", N_("Checked in")
    IN_PROCEDURE = "in_procedure", N_("In procedure")
    DONE = "done", N_("Done")
    NO_SHOW = "no_show", N_("No-show")
    CANCELLED = "cancelled", N_("Cancelled")


# Still to come (booked, or the patient has arrived): it may be cancelled, started, readied, and
# a patient may put it in a calendar.
NOT_STARTED = frozenset({AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN})
# Its patient has something to be sent again: the reminder of a booking, or a cancellation.
MESSAGE_TO_RESEND = frozenset({AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED})


WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
            N_("Sunday"))


class EntrySource(Choice):
    """Who typed a diary entry: the patient signed in, the patient through the personal link, or
    staff on the patient's behalf during a phone call."""

    PATIENT_ACCOUNT = "patient", N_("Patient (account)")
    LINK = "link", N_("Patient (personal link)")
    STAFF_PHONE = "staff_phone", N_("Staff, by phone")


class NextStep(Choice):
    REPEAT_INJECTION = "repeat_injection", N_("Repeat injection")
    CONFIRMATORY_BLOCK = "confirmatory_block", N_("Confirmatory block")
    RFA_EVALUATION = "rfa_evaluation", N_("Radiofrequency-ablation evaluation")
    SURGICAL_REFERRAL = "surgical_referral", N_("Surgical referral")
    PHYSICAL_THERAPY = "physical_therapy", N_("Physical therapy")
    DISCHARGE = "discharge", N_("Discharge")


# The words that end the detail of a message written to the server's log for want of a provider
# (tracker.contact.log_only_detail; the pages' status reads them: tracker.contact.status_words).
LOG_ONLY_MARK = "written to the server's log, not delivered"
