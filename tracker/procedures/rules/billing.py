"""The billing codes a signed record suggests, claim by claim, for the clinic's billing setting."""
from dataclasses import dataclass
from enum import Enum

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
