"""The reports' charts, drawn on the server as SVG (no script, no library), like the diary chart.

Plain values in, markup out. A chart is drawn from the rows of its figure's table, so the two
show the same numbers. Colours come from the Okabe-Ito palette (told apart with the common
colour-vision deficiencies); every bar also carries its value as text and every series is named
in a legend, so colour never carries meaning alone.
"""
from markupsafe import Markup, escape

# Okabe & Ito, "Color Universal Design" (2008): blue, orange, bluish green, reddish purple.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
INK, GRID = "#222222", "#dddddd"
WIDTH = 720
LABEL_WIDTH = 250
BAR, GAP = 14, 8
MAX_BARS = 40


def _num(value):
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x, y, content, anchor="start", size=12, fill=INK, extra=""):
    return (f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{fill}"{extra}>{escape(content)}</text>')


def _value_text(value, unit):
    if value is None:
        return "—"
    text = _num(float(value)) if not isinstance(value, int) else str(value)
    return f"{text} {unit}".strip() if unit and unit != "%" else (f"{text} %" if unit == "%" else text)


def _svg(chart_id, title, description, height, parts):
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    return Markup("".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="report-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{title_id} {desc_id}" font-family="system-ui, sans-serif">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(description)}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        *parts, "</svg>"]))


def bar_chart(chart_id, title, labels, series, unit=""):
    """Horizontal bars: one group per label, one bar per series in the group.

    `series` is [(name, [value per label])]; a None value draws no bar and says "—".
    Only the first MAX_BARS labels are drawn (the table beside the chart holds every row)."""
    shown = labels[:MAX_BARS]
    per_group = len(series) * BAR + GAP
    legend_height = 24 if len(series) > 1 else 0
    top = 8 + legend_height
    height = top + per_group * len(shown) + 30
    values = [float(v) for _, column in series for v in column[:MAX_BARS] if v is not None]
    largest = max(values + [0.0])
    scale_max = 100.0 if unit == "%" else (largest or 1.0)
    plot_width = WIDTH - LABEL_WIDTH - 70
    parts = []
    if len(series) > 1:
        x = LABEL_WIDTH
        for index, (name, _) in enumerate(series):
            colour = PALETTE[index % len(PALETTE)]
            parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>')
            parts.append(_text(x + 16, 16, name))
            x += 20 + 8 * len(name)
    parts.append(f'<line x1="{LABEL_WIDTH}" y1="{top}" x2="{LABEL_WIDTH}" y2="{top + per_group * len(shown)}" '
                 f'stroke="#888888"/>')
    for row, label in enumerate(shown):
        y0 = top + row * per_group
        parts.append(_text(LABEL_WIDTH - 6, y0 + len(series) * BAR / 2 + 4, label, anchor="end"))
        for index, (name, column) in enumerate(series):
            value = column[row]
            y = y0 + index * BAR
            width = 0 if value is None else plot_width * min(float(value), scale_max) / scale_max
            colour = PALETTE[index % len(PALETTE)]
            tip = f"{label}, {name}: {_value_text(value, unit)}"
            parts.append(f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 1}" width="{_num(width)}" '
                         f'height="{BAR - 2}" fill="{colour}"><title>{escape(tip)}</title></rect>')
            parts.append(_text(LABEL_WIDTH + width + 4, y + BAR - 3, _value_text(value, unit), size=11))
    if len(labels) > MAX_BARS:
        parts.append(_text(LABEL_WIDTH, height - 8, f"First {MAX_BARS} of {len(labels)} rows: the table has all.",
                           size=11))
    names = ", ".join(name for name, _ in series)
    description = (f"Bar chart of {names} for {len(labels)} rows"
                   + (f" ({unit})" if unit else "") + ". The table beside it lists the same figures.")
    return _svg(chart_id, title, description, height, parts)


# The day axis ends at the first of these past the last step: a curve of two weeks is not
# squeezed against the left edge of a year.
HORIZONS = (14, 30, 90, 180, 365)


def survival_chart(chart_id, title, steps):
    """A Kaplan-Meier step curve: share still in relief (0-100 %) against days, censored sides
    marked with a tick. `steps` are (day, percent surviving after that day, censored count)."""
    left, right, top, bottom = 60, WIDTH - 20, 16, 236
    height = bottom + 44
    latest = max([day for day, _, _ in steps] + [1])
    last_day = next((h for h in HORIZONS if h > latest), latest + 30)

    def x(day):
        return left + (right - left) * day / last_day

    def y(percent):
        return bottom - (bottom - top) * float(percent) / 100

    parts = []
    for percent in range(0, 101, 25):
        parts.append(f'<line x1="{left}" y1="{_num(y(percent))}" x2="{right}" y2="{_num(y(percent))}" '
                     f'stroke="{GRID}"/>')
        parts.append(_text(left - 6, y(percent) + 4, f"{percent} %", anchor="end", size=11))
    for quarter in range(5):
        day = round(last_day * quarter / 4)
        parts.append(_text(x(day), bottom + 16, f"{day} d", anchor="middle", size=11))
    parts.append(_text((left + right) / 2, bottom + 36, "Days after the injection", anchor="middle"))
    parts.append(f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" '
                 f'stroke="#888888"/>')
    path, level = [f"M{_num(x(0))},{_num(y(100))}"], 100
    for day, surviving, censored in steps:
        path.append(f"H{_num(x(day))}")
        if float(surviving) != level:
            path.append(f"V{_num(y(surviving))}")
            level = float(surviving)
        if censored:
            # A cross, so the mark shows even where the curve steps down on the same day.
            cx, cy = x(day), y(level)
            parts.append(f'<path class="censored" d="M{_num(cx - 5)},{_num(cy)} H{_num(cx + 5)} '
                         f'M{_num(cx)},{_num(cy - 5)} V{_num(cy + 5)}" stroke="{PALETTE[1]}" stroke-width="2.5">'
                         f'<title>{censored} censored at day {day}</title></path>')
    if steps:
        path.append(f"H{_num(x(steps[-1][0]))}")
    parts.append(f'<path class="survival" d="{" ".join(path)}" fill="none" stroke="{PALETTE[0]}" '
                 f'stroke-width="2.5"/>')
    final = f"{_num(float(steps[-1][1]))} %" if steps else "no sides"
    description = (f"Step curve of the share of injected sides still at 50 % relief or more against days after "
                   f"the injection; {final} after the last step; orange crosses mark censored sides. The table "
                   f"beside it lists the same figures.")
    return _svg(chart_id, title, description, height, parts)


def draw(figure):
    """The figure's chart from its own rows, or None for a figure without one or without rows."""
    chart = figure.chart
    if chart is None or figure.empty:
        return None
    chart_id = f"chart-{figure.key}"
    if chart.kind == "survival":
        day_col, value_col = chart.label_columns[0], chart.value_columns[0]
        censored_col = figure.columns.index("Censored")
        return survival_chart(chart_id, figure.title,
                              [(row[day_col], row[value_col], row[censored_col]) for row in figure.rows])
    labels = [", ".join(str(row[i]) for i in chart.label_columns) for row in figure.rows]
    series = [(figure.columns[i], [row[i] for row in figure.rows]) for i in chart.value_columns]
    return bar_chart(chart_id, figure.title, labels, series, chart.unit)
