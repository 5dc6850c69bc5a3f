"""How long the procedure took, and when that is short or long enough to flag for review."""
from datetime import datetime

# The procedure itself takes 20-30 minutes; a longer one is flagged for review, never blocked.
LONG_PROCEDURE_MINUTES = 30
# Sign-in, time-out, imaging, a contrast check and the injectate cannot honestly be done in under
# 5 minutes: a sign-out recorded that soon after the start was most likely ticked after the fact (or
# started late), so it is flagged for review like a long one, never blocked.
SHORT_PROCEDURE_MINUTES = 5


def duration_minutes(start: datetime, end: datetime) -> int:
    """Whole minutes from start to sign-out, never rounded up: 13 min 08 s is 13 minutes.

    The live timer shows the same figure (13 min 08 s reads as 13 minutes), so a record is flagged
    long from 31 min 00 s, when the timer and the stored minutes both say 31.
    """
    if end < start:
        raise ValueError(f"the procedure ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    return int((end - start).total_seconds() // 60)


def elapsed_words(seconds) -> str:
    """A span of time in words that cannot be read as a clock time (17:10 next to "Started 17:37"
    reads as ten past five): "45 s", "17 min 10 s", and past an hour "1 h 02 min". Fractions of a
    second are dropped. procedure-timer.js writes the same words."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes, rest = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def flag_long(minutes: int) -> bool:
    return minutes > LONG_PROCEDURE_MINUTES


def flag_short(minutes: int) -> bool:
    return minutes < SHORT_PROCEDURE_MINUTES


def duration_flag(minutes: int | None) -> str:
    """Why a signed duration is flagged for review, in the words the record shows ("" if it is not)."""
    if minutes is None:
        return ""
    if flag_long(minutes):
        return f"longer than {LONG_PROCEDURE_MINUTES} minutes"
    if flag_short(minutes):
        return f"shorter than {SHORT_PROCEDURE_MINUTES} minutes"
    return ""
