"""The billing code a signed record suggests for the claim."""
from dataclasses import dataclass

from tracker.procedures.rules.schema import Guidance
from tracker.vocab import Side


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
