"""How long the procedure took, and when that is long enough to flag for review."""
import math
from datetime import datetime

# The procedure itself takes 20-30 minutes; a longer one is flagged for review, never blocked.
LONG_PROCEDURE_MINUTES = 30


def duration_minutes(start: datetime, end: datetime) -> int:
    """Minutes from start to sign-out, counting a minute begun as a minute.

    Rounding up keeps the stored figure and its flag in step with the live timer: once the
    timer passes 30:00 the record reads 31 minutes and is flagged.
    """
    if end < start:
        raise ValueError(f"the procedure ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    return math.ceil((end - start).total_seconds() / 60)


def flag_long(minutes: int) -> bool:
    return minutes > LONG_PROCEDURE_MINUTES
