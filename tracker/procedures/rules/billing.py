"""The billing codes a signed record suggests, claim by claim, for the clinic's billing setting."""
from dataclasses import dataclass
from enum import Enum

from tracker.policy import CaseFacts, PriorInjection, Status, evaluate
from tracker.procedures.rules.schema import Guidance
from tracker.vocab import N_, Side


@dataclass(frozen=True)
class BillingCode:
    system: str
    code: str
    description: str
    modifier: str | None = None

    def __str__(self):
        return f"{self.code}-{self.modifier}" if self.modifier else self.code


_PROFESSIONAL = ("CPT", "27096", "Injection procedure for sacroiliac joint, anesthetic/steroid, "
                 "with image guidance (fluoroscopy or CT) including arthrography when performed")
_FACILITY = ("HCPCS", "G0260", "Injection procedure for sacroiliac joint; provision of anesthetic, "
             "steroid and/or other therapeutic agent, with or without arthrography")
BILATERAL_MODIFIER = "50"


class BillingSetting(str, Enum):
    """Where the clinic bills the injection (an admin's clinic setting). In a physician office the
    physician's claim (CPT 27096) is the only one; in an ambulatory surgery centre or a hospital
    outpatient department the facility bills its own claim (HCPCS G0260) besides the physician's."""

    OFFICE = "office"
    FACILITY = "facility"

    @property
    def label(self):
        return _SETTING_LABELS[self]


_SETTING_LABELS = {
    BillingSetting.OFFICE: N_("Physician office: the physician's claim only (CPT 27096)"),
    BillingSetting.FACILITY: N_("Facility (ASC or hospital outpatient): the facility's claim (HCPCS G0260) "
                                "besides the physician's (CPT 27096)"),
}
PROFESSIONAL_CLAIM, FACILITY_CLAIM = "Professional claim", "Facility claim"


def billing_codes(side: str, facility: bool, guidance: str = Guidance.FLUOROSCOPY) -> tuple[BillingCode, ...]:
    """The code for the claim: CPT 27096 on the physician's claim, HCPCS G0260 on a facility's
    (hospital outpatient or ASC) claim; one line with modifier 50 for a bilateral session.

    Imaging guidance and arthrography are part of 27096, so no imaging code is added. 27096
    requires fluoroscopic or CT guidance: for an ultrasound-guided injection no code is suggested
    and the coder decides.
    """
    if Guidance(guidance) == Guidance.ULTRASOUND:
        return ()
    system, code, description = _FACILITY if facility else _PROFESSIONAL
    modifier = BILATERAL_MODIFIER if Side(side) == Side.BILATERAL else None
    return (BillingCode(system, code, description, modifier),)


def claims(side: str, setting: str, guidance: str = Guidance.FLUOROSCOPY) -> dict[str, tuple[BillingCode, ...]]:
    """The claims the clinic files for one injection, each with its codes: the physician's
    always; the facility's only where the clinic bills as a facility (never G0260 in an office)."""
    found = {PROFESSIONAL_CLAIM: billing_codes(side, False, guidance)}
    if BillingSetting(setting) == BillingSetting.FACILITY:
        found[FACILITY_CLAIM] = billing_codes(side, True, guidance)
    return found


# --- a session given over the payer's limit: the patient's liability notice ----------------------

# The payer's limits on how often an injection is covered (tracker.policy.profiles.CriterionCode):
# a session over one is expected to be denied whatever the clinical reason for giving it.
PAYER_LIMITS = ("diagnostic_cap", "therapeutic_cap", "spacing")
# How the booking's warnings about those limits begin (tracker.scheduling.services.check): the
# criterion on the booked day ("Payer rule on 2026-12-09: Diagnostic blocks in 12 months: …"), then
# a cap or the interval counting the sessions already booked ("The payer's diagnostic 12-month cap …").
# They are the booking's record of what was acknowledged; which session the notice is on is read
# from the sessions themselves (`limits_broken`).
BOOKING_VERDICT_WARNING, BOOKING_BOOKED_WARNING = "Payer rule on ", "The payer's "
# HCPCS Level II modifiers Medicare reads on a line expected to be denied as not reasonable and
# necessary (a frequency limit): GA, an ABN (form CMS-R-131) signed before the service is on file,
# so the patient may be billed if Medicare denies; GZ, none is on file, so the patient may not be.
ABN_ON_FILE_MODIFIER, NO_ABN_MODIFIER = "GA", "GZ"


@dataclass(frozen=True)
class LiabilityNotice:
    """Why a session is expected to be denied, and the notice the patient must have signed first.

    `payer`: the payer profile's name; `medicare`: whether it is Medicare's (an ABN, and GA or GZ on
    the claim line) or another payer's (its own financial-responsibility notice, no GA/GZ);
    `limits`: each limit not met, in words ("Diagnostic blocks in 12 months: diagnostic cap: this
    would be 3 of 2 (patient), next from 2027-03-02"), as the overridden verdict read them or, without
    an override, counting the patient's sessions given and booked before this one (`limits_broken`);
    `override`: who overrode the verdict that read them and when ("" when no override is involved);
    `signed`: what readiness recorded
    before the procedure (True: signed, False: not signed, None: not recorded, an appointment booked
    before the tracker asked), which decides GA or GZ.
    """

    payer: str
    medicare: bool
    limits: tuple[str, ...]
    override: str = ""
    signed: bool | None = None

    def summary(self) -> str:
        how = (f"given by physician override ({self.override})" if self.override
               else "counting the patient's sessions given and booked before it")
        return f"Over the payer's limit under {self.payer}, {how}: this session is expected to be denied."

    def notice(self) -> str:
        if self.medicare and self.signed is not None:
            if self.signed:
                return (f"Medicare: the patient signed an Advance Beneficiary Notice of Noncoverage (ABN, form "
                        f"CMS-R-131) before the procedure (recorded at readiness). Add modifier {ABN_ON_FILE_MODIFIER}: "
                        "the patient can be billed if Medicare denies the claim.")
            return (f"Medicare: no signed ABN (form CMS-R-131) was recorded before the procedure. Add modifier "
                    f"{NO_ABN_MODIFIER}: the patient cannot be billed if Medicare denies the claim.")
        if self.signed is not None:
            if self.signed:
                return (f"{self.payer} is not Medicare: the patient signed the payer's financial-responsibility notice "
                        f"before the procedure (recorded at readiness). No {ABN_ON_FILE_MODIFIER} or {NO_ABN_MODIFIER} "
                        "modifier: those are Medicare's.")
            return (f"{self.payer} is not Medicare: no signed financial-responsibility notice was recorded before the "
                    "procedure, so the patient may not be billed if the payer denies the claim. No "
                    f"{ABN_ON_FILE_MODIFIER} or {NO_ABN_MODIFIER} modifier: those are Medicare's.")
        if self.medicare:
            return ("Medicare: the patient can be billed for it only with an Advance Beneficiary Notice of "
                    "Noncoverage (ABN, form CMS-R-131) signed before the procedure. Add modifier "
                    f"{ABN_ON_FILE_MODIFIER} with a signed ABN on file, {NO_ABN_MODIFIER} without one (the patient "
                    "then cannot be billed). The tracker does not record the ABN: check the patient's signed forms.")
        return (f"{self.payer} is not Medicare: the patient can be billed for it only with the payer's patient "
                "financial-responsibility notice (waiver) signed before the procedure, as its rules ask. No "
                f"{ABN_ON_FILE_MODIFIER} or {NO_ABN_MODIFIER} modifier: those are Medicare's. The tracker does "
                "not record the notice: check the patient's signed forms.")

    def before(self) -> str:
        """What the staff do before the procedure (the appointment page and the day board say it)."""
        if self.signed:
            return ("The patient signed the " + ("ABN (form CMS-R-131)" if self.medicare else
                                                 f"{self.payer}'s financial-responsibility notice")
                    + " (recorded at readiness): keep it on file.")
        if self.medicare:
            return ("Before the procedure, have the patient read and sign an Advance Beneficiary Notice of "
                    "Noncoverage (ABN, form CMS-R-131) naming this injection and its expected cost, and keep it on "
                    "file: without it the patient cannot be billed when Medicare denies the claim.")
        return (f"Before the procedure, have the patient sign {self.payer}'s patient financial-responsibility "
                "notice (waiver), as its rules ask, and keep it on file: without it the patient may not be billed "
                "when the payer denies the claim.")

    def card(self) -> str:
        """The day board's line."""
        if self.signed:
            return ("Over Medicare's limits: ABN signed." if self.medicare
                    else f"Over {self.payer}'s limits: financial-responsibility notice signed.")
        if self.medicare:
            return "Over Medicare's limits: have the patient sign an ABN (form CMS-R-131) before the procedure."
        return (f"Over {self.payer}'s limits: have the patient sign its financial-responsibility notice before the "
                "procedure.")

    def modifier(self) -> str:
        """Beside a code: "with GA (ABN on file) or GZ (no ABN)" for Medicare, "" otherwise."""
        if not self.medicare:
            return ""
        if self.signed is not None:
            return (f"with {ABN_ON_FILE_MODIFIER} (ABN on file)" if self.signed
                    else f"with {NO_ABN_MODIFIER} (no ABN on file)")
        return f"with {ABN_ON_FILE_MODIFIER} (ABN on file) or {NO_ABN_MODIFIER} (no ABN)"


def limits_broken(day, side, indication, given, booked, profile) -> tuple[str, ...]:
    """The payer's limits a session on `day` breaks, in date order: counting the patient's other
    sessions before that day, those given (`given`, PriorInjection each, dated by their start, those
    given elsewhere included) and those booked and still to be given (`booked`, BookedSession each), as
    the cap and interval criteria will count them once given; a session on that day is this same one.
    So of two sessions booked where only one fits under the cap, the later one is over it, whichever
    was booked first; cancelled or moved, the sessions are read again. Each as "label: shortfall"
    ("Diagnostic blocks in 12 months: diagnostic cap: this would be 3 of 2 (patient), next from …")."""
    earlier = [p for p in given if p.performed_on < day] + [
        PriorInjection(performed_on=b.day, side=b.side, indication=b.indication, outside=b.named)
        for b in booked if b.day < day]
    verdict = evaluate(CaseFacts(as_of=day, side=side, indication=indication, session_on=day), earlier, profile)
    return tuple(f"{c.label}: {c.shortfall or c.evidence}" for c in verdict.criteria
                 if c.code in PAYER_LIMITS and c.status == Status.NOT_MET)


def over_payer_limit(criteria, payer: str, medicare: bool, override: str = "",
                     broken=(), signed: bool | None = None) -> LiabilityNotice | None:
    """The liability notice a session needs, or None when it is within the payer's limits as far as
    the tracker knows.

    `criteria`: the verdict's criteria as its snapshot stores them (dicts with code, label, status,
    shortfall); `override`: who overrode that verdict and when, "" when it was not overridden;
    `broken`: the limits the session breaks counting the patient's sessions before it (`limits_broken`);
    `signed`: as the notice's. A limit criterion not met counts only under an override (without one
    the case is not booked); the limits the session breaks count on their own, and are left out where
    the overridden verdict already names the limits. What the booking acknowledged decides nothing.
    """
    limits = tuple(f"{c['label']}: {c.get('shortfall') or c.get('evidence', '')}" for c in criteria or ()
                   if override and c.get("code") in PAYER_LIMITS and c.get("status") == "not_met")
    if not limits and not broken:
        return None
    return LiabilityNotice(payer, medicare, limits or tuple(broken), override if limits else "", signed)
