"""Small clinical calculations shared by the eligibility engine, the forms and the diary.

Everything here takes plain values and returns plain values: no database, no request.
Therapies are any objects with ``kind``, ``start``, ``end`` and ``response`` attributes
(a model row or a ``tracker.policy.TherapyFact``).
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

from tracker.vocab import N_, ProvocationResult, TherapyKind

THERAPY_KINDS = TherapyKind.choices()

# A therapy that helped well is not a failure of conservative care: it argues against injecting.
FAILED_RESPONSES = frozenset({"none", "partial"})

PROVOCATION_TESTS = (
    ("faber", N_("FABER (Patrick)")),
    ("gaenslen", N_("Gaenslen")),
    ("thigh_thrust", N_("Thigh thrust")),
    ("compression", N_("Compression")),
    ("distraction", N_("Distraction")),
    ("yeoman", N_("Yeoman")),
)
PROVOCATION_RESULTS = ProvocationResult.choices()

ODI_SECTIONS = 10
ODI_MAX_PER_SECTION = 5
# With fewer answered sections the index no longer describes the whole questionnaire.
MIN_ODI_SECTIONS = 8
# The ten sections of the Oswestry Disability Index (version 2.1a), each with its six statements
# in order: the statement the patient chooses scores its position, 0 to 5.
ODI_QUESTIONNAIRE = (
    (N_("Pain intensity"), (
        N_("I have no pain at the moment."),
        N_("The pain is very mild at the moment."),
        N_("The pain is moderate at the moment."),
        N_("The pain is fairly severe at the moment."),
        N_("The pain is very severe at the moment."),
        N_("The pain is the worst imaginable at the moment."))),
    (N_("Personal care"), (
        N_("I can look after myself normally without causing extra pain."),
        N_("I can look after myself normally but it causes extra pain."),
        N_("It is painful to look after myself and I am slow and careful."),
        N_("I need some help but manage most of my personal care."),
        N_("I need help every day in most aspects of self-care."),
        N_("I do not get dressed, I wash with difficulty and stay in bed."))),
    (N_("Lifting"), (
        N_("I can lift heavy weights without extra pain."),
        N_("I can lift heavy weights but it gives extra pain."),
        N_("Pain prevents me from lifting heavy weights off the floor, but I can manage if they are "
           "conveniently placed, e.g. on a table."),
        N_("Pain prevents me from lifting heavy weights, but I can manage light to medium weights if they "
           "are conveniently positioned."),
        N_("I can lift very light weights."),
        N_("I cannot lift or carry anything at all."))),
    (N_("Walking"), (
        N_("Pain does not prevent me walking any distance."),
        N_("Pain prevents me from walking more than 1 mile."),
        N_("Pain prevents me from walking more than a quarter of a mile."),
        N_("Pain prevents me from walking more than 100 yards."),
        N_("I can only walk using a stick or crutches."),
        N_("I am in bed most of the time."))),
    (N_("Sitting"), (
        N_("I can sit in any chair as long as I like."),
        N_("I can only sit in my favourite chair as long as I like."),
        N_("Pain prevents me from sitting more than one hour."),
        N_("Pain prevents me from sitting more than 30 minutes."),
        N_("Pain prevents me from sitting more than 10 minutes."),
        N_("Pain prevents me from sitting at all."))),
    (N_("Standing"), (
        N_("I can stand as long as I want without extra pain."),
        N_("I can stand as long as I want but it gives me extra pain."),
        N_("Pain prevents me from standing for more than 1 hour."),
        N_("Pain prevents me from standing for more than 30 minutes."),
        N_("Pain prevents me from standing for more than 10 minutes."),
        N_("Pain prevents me from standing at all."))),
    (N_("Sleeping"), (
        N_("My sleep is never disturbed by pain."),
        N_("My sleep is occasionally disturbed by pain."),
        N_("Because of pain I have less than 6 hours sleep."),
        N_("Because of pain I have less than 4 hours sleep."),
        N_("Because of pain I have less than 2 hours sleep."),
        N_("Pain prevents me from sleeping at all."))),
    (N_("Sex life (if applicable)"), (
        N_("My sex life is normal and causes no extra pain."),
        N_("My sex life is normal but causes some extra pain."),
        N_("My sex life is nearly normal but is very painful."),
        N_("My sex life is severely restricted by pain."),
        N_("My sex life is nearly absent because of pain."),
        N_("Pain prevents any sex life at all."))),
    (N_("Social life"), (
        N_("My social life is normal and gives me no extra pain."),
        N_("My social life is normal but increases the degree of pain."),
        N_("Pain has no significant effect on my social life apart from limiting my more energetic "
           "interests, e.g. sport."),
        N_("Pain has restricted my social life and I do not go out as often."),
        N_("Pain has restricted my social life to my home."),
        N_("I have no social life because of pain."))),
    (N_("Travelling"), (
        N_("I can travel anywhere without pain."),
        N_("I can travel anywhere but it gives me extra pain."),
        N_("Pain is bad but I manage journeys over two hours."),
        N_("Pain restricts me to journeys of less than one hour."),
        N_("Pain restricts me to short necessary journeys under 30 minutes."),
        N_("Pain prevents me from travelling except to receive treatment."))),
)
# Upper bound (inclusive) of each Oswestry band, in index points.
ODI_BANDS = (
    (20, "minimal"),
    (40, "moderate"),
    (60, "severe"),
    (80, "crippled"),
    (100, "bed-bound"),
)

NRS_MIN, NRS_MAX = 0, 10


def failed_therapies(therapies: Iterable) -> list:
    """The therapies that did not help enough; a therapy with no response recorded is not one."""
    return [therapy for therapy in therapies if therapy.response in FAILED_RESPONSES]


def failed_conservative_care_days(therapies: Iterable, as_of: date, since: date | None = None) -> int:
    """Calendar days covered by at least one failed therapy, up to and including ``as_of``.

    Start and end dates are both days of therapy (a course from the 1st to the 28th is
    28 days). An ongoing therapy (no end) counts up to ``as_of``; a planned end after
    ``as_of`` is cut there. Overlapping courses count each day once. ``since`` is the
    first day that counts (the eligibility engine passes the later of a payer's look-back start
    and the symptom onset, so a course begun before the onset counts from it).
    """
    periods = []
    for therapy in failed_therapies(therapies):
        if therapy.end is not None and therapy.end < therapy.start:
            raise ValueError(f"{therapy.kind} ends ({therapy.end}) before it starts ({therapy.start})")
        first = therapy.start if since is None else max(therapy.start, since)
        last = as_of if therapy.end is None else min(therapy.end, as_of)
        if first <= last:
            periods.append((first, last))
    return _days_in_union(periods)


def failed_conservative_care_weeks(therapies: Iterable, as_of: date, since: date | None = None) -> float:
    """The same count in weeks, for display; decisions compare days."""
    return failed_conservative_care_days(therapies, as_of, since) / 7


def _days_in_union(periods: list[tuple[date, date]]) -> int:
    total = 0
    counted_through = None
    for first, last in sorted(periods):
        if counted_through is not None:
            first = max(first, counted_through + timedelta(days=1))
        if first <= last:
            total += (last - first).days + 1
            counted_through = last
    return total


def oswestry_index(sections: Sequence[int | None]) -> float | None:
    """Oswestry Disability Index in percent; None when too few sections were answered.

    Unanswered sections (None) are left out of the denominator, as the ODI instructions say.
    """
    if len(sections) != ODI_SECTIONS:
        raise ValueError(f"the Oswestry questionnaire has {ODI_SECTIONS} sections, got {len(sections)}")
    answered = [score for score in sections if score is not None]
    for score in answered:
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= ODI_MAX_PER_SECTION:
            raise ValueError(f"an Oswestry section scores 0 to {ODI_MAX_PER_SECTION}, got {score!r}")
    if len(answered) < MIN_ODI_SECTIONS:
        return None
    return sum(answered) / (ODI_MAX_PER_SECTION * len(answered)) * 100


def oswestry_band(index: float) -> str:
    """Disability band of an index; a fractional index belongs to the band whose bound it does not pass."""
    if not 0 <= index <= 100:
        raise ValueError(f"an Oswestry index lies between 0 and 100, got {index!r}")
    return next(band for upper, band in ODI_BANDS if index <= upper)


def percent_relief(baseline: int | None, score: int | None) -> float | None:
    """Pain relief against baseline in percent; negative when the pain got worse.

    Undefined (None) when either score is missing or the baseline is 0: with no pain to
    begin with there is nothing to relieve, and neither 0% nor 100% would be true.
    """
    for value in (baseline, score):
        if value is not None and not NRS_MIN <= value <= NRS_MAX:
            raise ValueError(f"a pain score is {NRS_MIN} to {NRS_MAX}, got {value!r}")
    if baseline is None or score is None or baseline == 0:
        return None
    return (baseline - score) / baseline * 100


def positive_provocation_count(results: Mapping[str, str]) -> int:
    """How many of the six provocation tests reproduced the pain; missing tests count as not done."""
    known_tests = {test for test, _ in PROVOCATION_TESTS}
    known_results = {result for result, _ in PROVOCATION_RESULTS}
    for test, result in results.items():
        if test not in known_tests:
            raise ValueError(f"unknown provocation test {test!r}")
        if result not in known_results:
            raise ValueError(f"a provocation test is positive, negative or not_done, got {result!r}")
    return sum(1 for result in results.values() if result == "positive")
