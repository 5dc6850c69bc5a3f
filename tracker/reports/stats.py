"""The arithmetic behind the report figures, on values the database has already aggregated.

Plain values in, plain values out: no database, no request. Every share is None when its
denominator is 0 (the page then says there is nothing to count), never a division by zero.
"""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

_ONE_DECIMAL = Decimal("0.1")


def share(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage to one decimal (half up); None when nothing was counted."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """The continuous percentile of already sorted values, as PostgreSQL's percentile_cont
    computes it: the value at position fraction x (n - 1), interpolated linearly between the two
    values around it. None for no values."""
    if not sorted_values:
        return None
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction!r}")
    position = fraction * (len(sorted_values) - 1)
    below = int(position)
    above = min(below + 1, len(sorted_values) - 1)
    weight = position - below
    return float(sorted_values[below]) + (float(sorted_values[above]) - float(sorted_values[below])) * weight


def percentile_of_counts(counted: Sequence[tuple[float, int]], fraction: float) -> float | None:
    """`percentile` of the values that (value, how many times) rows stand for, rows sorted by value:
    the same answer as on the values written out one by one, without writing them out."""
    total = sum(count for _, count in counted)
    if not total:
        return None
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction!r}")
    position = fraction * (total - 1)
    below = int(position)

    def value_at(index):
        seen = 0
        for value, count in counted:
            seen += count
            if index < seen:
                return float(value)
        return float(counted[-1][0])

    low, high = value_at(below), value_at(min(below + 1, total - 1))
    return low + (high - low) * (position - below)


@dataclass(frozen=True)
class SurvivalStep:
    """The Kaplan-Meier estimate just after `day`: `at_risk` sides followed to that day,
    `ended` whose relief ended there (on day 0: a side whose follow-up scores never reached 50 %
    relief), `censored` whose diary ended there still in relief."""

    day: int
    at_risk: int
    ended: int
    censored: int
    surviving: Decimal  # share still in relief after this day, percent to one decimal


def kaplan_meier(groups: Iterable[tuple[int, bool, int]]) -> list[SurvivalStep]:
    """The Kaplan-Meier curve from (day, ended, count) rows: `count` sides whose relief ended on
    `day` (ended True) or whose follow-up stopped there with relief continuing (ended False,
    censored). At a day with both, the endings count first (the usual convention: a side
    censored that day was still at risk of ending on it). Returns one step per distinct day."""
    by_day: dict[int, list[int]] = {}
    for day, ended, count in groups:
        if count < 0 or day < 0:
            raise ValueError("days and counts cannot be negative")
        totals = by_day.setdefault(int(day), [0, 0])
        totals[0 if ended else 1] += int(count)
    at_risk = sum(ended + censored for ended, censored in by_day.values())
    surviving = Decimal(1)
    steps = []
    for day in sorted(by_day):
        ended, censored = by_day[day]
        if ended:
            surviving *= Decimal(at_risk - ended) / Decimal(at_risk)
        steps.append(SurvivalStep(day, at_risk, ended, censored,
                                  (surviving * 100).quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)))
        at_risk -= ended + censored
    return steps


def months_between(start: date, end: date) -> list[str]:
    """Every month from start's to end's, as "YYYY-MM" (for counts per month that show the
    months with none)."""
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def working_minutes(spans_by_weekday: dict[int, int], start: date, end: date,
                    closed: Iterable[tuple[date, date]] = ()) -> dict[date, int]:
    """Minutes a room is staffed in each week (keyed by its Monday) of [start, end]:
    `spans_by_weekday` gives the minutes per weekday (0 Monday); days outside the period do not
    count, so the first and last weeks of a period may be part weeks; nor do the days of `closed`
    ((first, last) day spans, both included: the clinic-wide closures), so a week with a public
    holiday is measured against the days the clinic was open."""
    spans = list(closed)
    weeks: dict[date, int] = {}
    day = start
    while day <= end:
        monday = day - timedelta(days=day.weekday())
        is_closed = any(first <= day <= last for first, last in spans)
        weeks[monday] = weeks.get(monday, 0) + (0 if is_closed else spans_by_weekday.get(day.weekday(), 0))
        day += timedelta(days=1)
    return weeks
