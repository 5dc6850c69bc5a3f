"""The physician's chart of a case's pain diary, drawn on the server as SVG (no script, no library).

Plain values in, markup out: no database, no request. The time axis has two panels because the
diary spans two scales: the anaesthetic window is read in hours (15 minutes to 6 hours) and the
therapeutic follow-up in days to a year. One linear axis would squeeze the whole block into a
pixel; one log axis would make 15 minutes and 6 hours look far apart and 6 and 12 months close.
So the left panel covers the window (shaded) in hours, with its first hour spread over
FIRST_HOUR_SHARE of the panel (the 15- and 30-minute readings would otherwise sit on top of each
other and of the 1-hour one), linear within each part; the right one is logarithmic in days.
Two reference lines per baseline: the profile's diagnostic threshold and the 50 % that therapeutic
relief is read at. Where both sides of a bilateral case have the same score at the same time, the
markers are set apart sideways so that neither hides the other.

Colour never carries meaning alone: each side has its own marker and line pattern, the reference
lines are labelled, and the page shows the same data as a table.
"""
import math
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from tracker.diary.relief import ANAESTHETIC_WINDOW_HOURS, THERAPEUTIC_RELIEF_PERCENT, relief_undefined, relief_words

WIDTH, HEIGHT = 760, 320
TOP, BOTTOM, LEFT, RIGHT = 40, 262, 52, 744
HOURS_PANEL = (LEFT, 320)
DAYS_PANEL = (345, RIGHT)
# The hours panel runs a little past the window so the 6-hour point is not drawn on the border.
HOURS_DOMAIN = (0.0, ANAESTHETIC_WINDOW_HOURS + 0.5)
DAYS_DOMAIN = (0.8, 400.0)
# The share of the hours panel given to the first hour after the injection.
FIRST_HOUR_SHARE = 0.45
HOUR_TICKS = [(0, "0 h"), (0.25, "15m"), (0.5, "30m")] + [(h, f"{h} h") for h in range(1, 7)]
# How far apart two coinciding markers are set (pixels each way): more than a marker's half width.
SIDE_NUDGE = {"left": -5.5, "right": 5.5}
# The least distance between two reference lines' labels (11 px text), so none is drawn over another.
LABEL_GAP = 14
DAY_TICKS = [(1, "1 d"), (2, "2 d"), (7, "1 wk"), (14, "2 wk"), (42, "6 wk"), (90, "3 mo"),
             (180, "6 mo"), (365, "12 mo")]

# Per side: stroke colour, line dash (empty: solid) and marker shape.
SIDE_STYLE = {
    "left": ("#1d4f91", "", "circle"),
    "right": ("#a34700", "7 4", "square"),
}
THRESHOLD_COLOUR = "#b3261e"
THERAPEUTIC_COLOUR = "#1b6e3a"
BASELINE_COLOUR = "#555555"


@dataclass(frozen=True)
class ChartPoint:
    hours_after: float
    score: int
    label: str  # the time point as the patient was asked ("2 hours after")
    relief: Decimal | None = None


@dataclass(frozen=True)
class ChartSeries:
    side: str  # "left" or "right"
    label: str  # "Left side"
    baseline: int | None
    points: tuple[ChartPoint, ...]


def threshold_score(baseline, threshold_percent):
    """The pain score at which relief from `baseline` reaches the threshold (8 at 75 % -> 2)."""
    if not baseline:
        return None
    return float(Decimal(baseline) * (100 - Decimal(str(threshold_percent))) / 100)


def _y(score):
    return BOTTOM - (BOTTOM - TOP) * float(score) / 10


def _x_hours(hours):
    """Piecewise linear: the first hour over FIRST_HOUR_SHARE of the panel, the rest after it."""
    low, high = HOURS_DOMAIN
    width = HOURS_PANEL[1] - HOURS_PANEL[0]
    split = HOURS_PANEL[0] + width * FIRST_HOUR_SHARE
    if hours <= 1:
        return HOURS_PANEL[0] + (split - HOURS_PANEL[0]) * (hours - low) / (1 - low)
    return split + (HOURS_PANEL[1] - split) * (hours - 1) / (high - 1)


def _x_days(days):
    low, high = (math.log10(d) for d in DAYS_DOMAIN)
    days = min(max(days, DAYS_DOMAIN[0]), DAYS_DOMAIN[1])
    return DAYS_PANEL[0] + (DAYS_PANEL[1] - DAYS_PANEL[0]) * (math.log10(days) - low) / (high - low)


def _x(hours_after):
    """Where a point sits: in the hours panel up to the panel's end, else in the days panel."""
    if hours_after <= HOURS_DOMAIN[1]:
        return _x_hours(hours_after)
    return _x_days(hours_after / 24)


def _num(value):
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x, y, content, anchor="middle", size=12, fill="#222222", extra=""):
    return (f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{fill}"{extra}>{escape(content)}</text>')


def _hline(y, dash, colour, width=1.5):
    """A horizontal reference line across both panels (two segments: the axis breaks between them)."""
    return "".join(
        f'<line x1="{_num(x1)}" y1="{_num(y)}" x2="{_num(x2)}" y2="{_num(y)}" stroke="{colour}" '
        f'stroke-width="{width}" stroke-dasharray="{dash}"/>'
        for x1, x2 in (HOURS_PANEL, DAYS_PANEL))


def _marker(shape, x, y, colour, title):
    tip = f"<title>{escape(title)}</title>"
    if shape == "square":
        return (f'<rect x="{_num(x - 4.5)}" y="{_num(y - 4.5)}" width="9" height="9" fill="{colour}">'
                f"{tip}</rect>")
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="5" fill="{colour}">{tip}</circle>'


def _frame():
    parts = []
    window_x = _x_hours(ANAESTHETIC_WINDOW_HOURS)
    parts.append(f'<rect class="anaesthetic-window" x="{_num(HOURS_PANEL[0])}" y="{TOP}" '
                 f'width="{_num(window_x - HOURS_PANEL[0])}" height="{BOTTOM - TOP}" fill="#fff1c2">'
                 f"<title>Local anaesthetic window (0 to {ANAESTHETIC_WINDOW_HOURS} hours)</title></rect>")
    parts.append(_text((HOURS_PANEL[0] + window_x) / 2, TOP - 8,
                       f"Anaesthetic window (0–{ANAESTHETIC_WINDOW_HOURS} h)", size=12))
    parts.append(_text(sum(DAYS_PANEL) / 2, TOP - 8, "Follow-up (days, logarithmic)", size=12))
    for score in range(0, 11, 2):
        y = _y(score)
        parts.append(_text(LEFT - 8, y + 4, str(score), anchor="end", size=11))
        for x1, x2 in (HOURS_PANEL, DAYS_PANEL):
            parts.append(f'<line x1="{x1}" y1="{_num(y)}" x2="{x2}" y2="{_num(y)}" stroke="#dddddd"/>')
    parts.append(_text(14, (TOP + BOTTOM) / 2, "Pain (0–10)", size=12,
                       extra=f' transform="rotate(-90 14 {_num((TOP + BOTTOM) / 2)})"'))
    for x1, x2 in (HOURS_PANEL, DAYS_PANEL):
        parts.append(f'<rect x="{x1}" y="{TOP}" width="{x2 - x1}" height="{BOTTOM - TOP}" fill="none" '
                     f'stroke="#888888"/>')
    for hours, label in HOUR_TICKS:
        parts.append(_text(_x_hours(hours), BOTTOM + 16, label, size=11))
    for days, label in DAY_TICKS:
        x = _x_days(days)
        parts.append(f'<line x1="{_num(x)}" y1="{BOTTOM}" x2="{_num(x)}" y2="{BOTTOM + 4}" stroke="#888888"/>')
        parts.append(_text(x, BOTTOM + 16, label, size=11))
    parts.append(_text(sum(HOURS_PANEL) / 2, BOTTOM + 36, "Hours after the injection", size=12))
    parts.append(_text(sum(DAYS_PANEL) / 2, BOTTOM + 36, "Time after the injection", size=12))
    return parts


def _reference_lines(series, threshold_percent):
    """The baseline, the diagnostic threshold's score and the therapeutic 50 % score, once per
    distinct baseline (a bilateral case whose sides share a baseline gets one set, labelled for
    both). A baseline of 0 gets no threshold lines: relief cannot be computed against it."""
    parts, labels = [], []
    baselines = {}
    for one in series:
        if one.baseline is not None:
            baselines.setdefault(one.baseline, []).append(one.label)
    for baseline, sides in sorted(baselines.items()):
        whose = "" if len(series) == 1 else f" ({', '.join(sides).lower()})"
        y = _y(baseline)
        parts.append(f'<g class="baseline-line">{_hline(y, "2 3", BASELINE_COLOUR)}</g>')
        undefined = relief_undefined(baseline)
        labels.append([y - 5, f"Baseline {baseline}{whose}" + (f": {undefined}" if undefined else ""), BASELINE_COLOUR])
        lines = [("threshold-line", threshold_percent, "8 4", THRESHOLD_COLOUR, "")]
        if Decimal(str(threshold_percent)) != THERAPEUTIC_RELIEF_PERCENT:
            lines.append(("therapeutic-line", THERAPEUTIC_RELIEF_PERCENT, "3 3", THERAPEUTIC_COLOUR, " (therapeutic)"))
        for css, percent, dash, colour, meaning in lines:
            score = threshold_score(baseline, percent)
            if score is None:
                continue
            y = _y(score)
            parts.append(f'<g class="{css}" data-score="{_num(score)}">{_hline(y, dash, colour, 2)}</g>')
            # The label goes above the line, or below it when the line is near the top.
            labels.append([y - 5 if css == "threshold-line" else y + 13,
                           f"{_num(percent)} % relief{meaning}: pain {_num(score)}{whose}", colour])
    for y, content, colour in _apart(labels):  # a white halo: a label moved apart may sit on a line
        parts.append(_text(RIGHT - 4, y, content, anchor="end", size=11, fill=colour,
                           extra=' stroke="#ffffff" stroke-width="3" paint-order="stroke"'))
    return parts


def _apart(labels):
    """The labels [y, text, colour] with their lines' y moved apart by LABEL_GAP at least, inside the
    frame: two sides whose baselines differ by a point have lines a few pixels apart, and each
    label would be drawn over the other's."""
    labels = sorted(labels, key=lambda label: label[0])
    for above, below in zip(labels, labels[1:]):
        below[0] = max(below[0], above[0] + LABEL_GAP)
    if labels and labels[-1][0] > BOTTOM - 4:
        labels[-1][0] = BOTTOM - 4
        for below, above in zip(labels[::-1], labels[-2::-1]):
            above[0] = min(above[0], below[0] - LABEL_GAP)
    return labels


def _nudges(series):
    """Per series, the sideways shift of each marker that coincides with another side's marker."""
    seen = {}
    for one in series:
        for p in one.points:
            seen.setdefault((p.hours_after, p.score), set()).add(one.side)
    return {one.side: {(p.hours_after, p.score): SIDE_NUDGE.get(one.side, 0) for p in one.points
                       if len(seen[(p.hours_after, p.score)]) > 1} for one in series}


def _series(one, nudge=None):
    nudge = nudge or {}
    colour, dash, shape = SIDE_STYLE.get(one.side, SIDE_STYLE["left"])
    parts = [f'<g class="series series-{escape(one.side)}">']
    points = sorted(one.points, key=lambda p: p.hours_after)
    # One line per panel: joining the 6-hour point to day 1 across the axis break would draw a
    # slope that means nothing.
    for in_panel in ([p for p in points if p.hours_after <= HOURS_DOMAIN[1]],
                     [p for p in points if p.hours_after > HOURS_DOMAIN[1]]):
        if len(in_panel) > 1:
            coords = " ".join(f"{_num(_x(p.hours_after) + nudge.get((p.hours_after, p.score), 0))},"
                              f"{_num(_y(p.score))}" for p in in_panel)
            parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2" '
                         f'stroke-dasharray="{dash}"/>')
    for p in points:
        relief = ("" if p.relief is None else f", {relief_words(one.baseline, p.relief)}" if p.relief < 0
                  else f", {_num(p.relief)} % relief")
        parts.append(_marker(shape, _x(p.hours_after) + nudge.get((p.hours_after, p.score), 0), _y(p.score), colour,
                             f"{one.label}, {p.label}: pain {p.score}{relief}"))
    parts.append("</g>")
    return parts


def _legend(series):
    parts, x = [], LEFT
    for one in series:
        colour, dash, shape = SIDE_STYLE.get(one.side, SIDE_STYLE["left"])
        parts.append(f'<line x1="{x}" y1="12" x2="{x + 24}" y2="12" stroke="{colour}" stroke-width="2" '
                     f'stroke-dasharray="{dash}"/>')
        parts.append(_marker(shape, x + 12, 12, colour, one.label))
        parts.append(_text(x + 30, 16, one.label, anchor="start", size=12))
        x += 130
    return parts


def describe(series, threshold_percent):
    """The chart in words, for the SVG's <desc> (screen readers) and the page."""
    sides = []
    for one in series:
        baseline = relief_undefined(one.baseline) or f"baseline {one.baseline}"
        score = threshold_score(one.baseline, threshold_percent)
        therapeutic = threshold_score(one.baseline, THERAPEUTIC_RELIEF_PERCENT)
        threshold = "" if score is None else (f", {_num(threshold_percent)} % relief at pain {_num(score)}, "
                                              f"{THERAPEUTIC_RELIEF_PERCENT} % (therapeutic) at pain {_num(therapeutic)}")
        sides.append(f"{one.label}: {len(one.points)} scores after the injection, {baseline}{threshold}")
    return ("Pain score 0 to 10 against time after the injection: hours in the shaded anaesthetic window, "
            "then days of follow-up. " + "; ".join(sides) + ". The table below lists the same data.")


def pain_chart(series, threshold_percent, title="Pain over time", chart_id="pain-chart"):
    """The chart as inline SVG markup (role="img", named by its <title> and described by <desc>)."""
    series = list(series)
    nudges = _nudges(series)
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="pain-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{title_id} {desc_id}" font-family="system-ui, sans-serif">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(describe(series, threshold_percent))}</desc>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        *_frame(),
        *_reference_lines(series, threshold_percent),
        *(part for one in series for part in _series(one, nudges[one.side])),
        *_legend(series),
        "</svg>",
    ]
    return Markup("".join(parts))
