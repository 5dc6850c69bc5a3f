"""The physician's pain chart (issue 6, item 5): well-formed SVG with the anaesthetic window shaded,
the baseline and the threshold drawn where they belong, a series per side, and an accessible name."""
import xml.etree.ElementTree as ET

import pytest

from tracker.diary.chart import BOTTOM, TOP, ChartPoint, ChartSeries, pain_chart, threshold_score
from tracker.roles import Role
from tracker.vocab import Side

from tests.builders import followed_up

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup):
    return ET.fromstring(str(markup))


def y_of(score):
    return BOTTOM - (BOTTOM - TOP) * score / 10


def left(baseline=8, points=((0.5, 2, "30 minutes after"), (1, 1, "1 hour after"), (24, 3, "Day 1"),
                             (2160, 4, "3 months"))):
    return ChartSeries("left", "Left side", baseline, tuple(ChartPoint(h, s, label) for h, s, label in points))


def by_class(root, name):
    return [el for el in root.iter() if name in (el.get("class") or "").split()]


def test_the_chart_is_well_formed_svg_named_and_described_for_screen_readers():
    root = parse(pain_chart([left()], 75, title="Pain <after> & injection"))

    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Pain <after> & injection"  # escaped in the markup, intact when read
    assert "baseline 8, 75 % relief at pain 2" in desc.text and "The table below lists the same data." in desc.text


def test_the_anaesthetic_window_is_shaded_from_the_injection_to_six_hours():
    root = parse(pain_chart([left()], 75))

    window, = by_class(root, "anaesthetic-window")
    assert window.get("fill") not in (None, "none")
    six_hours = [el for el in root.iter(f"{SVG}text") if el.text == "6 h"][0]
    zero = [el for el in root.iter(f"{SVG}text") if el.text == "0 h"][0]
    assert float(window.get("x")) == pytest.approx(float(zero.get("x")))
    assert float(window.get("x")) + float(window.get("width")) == pytest.approx(float(six_hours.get("x")))


@pytest.mark.parametrize("baseline,threshold,score", [(8, 75, 2), (6, 50, 3), (7, 80, 1.4)])
def test_the_threshold_line_sits_at_the_score_that_gives_the_threshold_relief(baseline, threshold, score):
    root = parse(pain_chart([left(baseline)], threshold))

    line, = by_class(root, "threshold-line")
    assert threshold_score(baseline, threshold) == pytest.approx(score)
    assert float(line.get("data-score")) == pytest.approx(score)
    assert [float(seg.get("y1")) for seg in line] == [pytest.approx(y_of(score), abs=0.05)] * 2
    baseline_line, = by_class(root, "baseline-line")
    assert [float(seg.get("y1")) for seg in baseline_line] == [pytest.approx(y_of(baseline), abs=0.05)] * 2


def test_without_a_baseline_there_is_no_threshold_to_draw():
    root = parse(pain_chart([left(baseline=0)], 75))
    assert by_class(root, "threshold-line") == []


def test_a_bilateral_case_has_a_series_per_side_told_apart_without_colour():
    right = ChartSeries("right", "Right side", 6, (ChartPoint(1, 4, "1 hour after"),))
    root = parse(pain_chart([left(), right], 75))

    left_series, = by_class(root, "series-left")
    right_series, = by_class(root, "series-right")
    assert len(left_series.findall(f"{SVG}circle")) == 4 and right_series.findall(f"{SVG}rect")
    assert [m.find(f"{SVG}title").text for m in right_series.findall(f"{SVG}rect")] == ["Right side, 1 hour after: pain 4"]
    # Two baselines, two thresholds (8 -> 2, 6 -> 1.5).
    assert sorted(float(g.get("data-score")) for g in by_class(root, "threshold-line")) == [1.5, 2.0]


def test_points_sit_on_their_scores_in_the_hours_and_the_days_panel():
    root = parse(pain_chart([left()], 75))
    circles = [(float(c.get("cx")), float(c.get("cy"))) for c in by_class(root, "series-left")[0].iter(f"{SVG}circle")]
    assert [cy for _, cy in circles] == [pytest.approx(y_of(s), abs=0.05) for s in (2, 1, 3, 4)]
    xs = [cx for cx, _ in circles]
    assert xs == sorted(xs)  # time runs left to right across both panels
    three_months = [el for el in root.iter(f"{SVG}text") if el.text == "3 mo"][0]
    assert xs[-1] == pytest.approx(float(three_months.get("x")), abs=0.05)


def test_the_therapeutic_50_percent_line_is_drawn_besides_the_diagnostic_threshold():
    root = parse(pain_chart([left(baseline=8)], 75))

    diagnostic, = by_class(root, "threshold-line")
    therapeutic, = by_class(root, "therapeutic-line")
    assert float(diagnostic.get("data-score")) == 2 and float(therapeutic.get("data-score")) == 4
    assert [float(seg.get("y1")) for seg in therapeutic] == [pytest.approx(y_of(4), abs=0.05)] * 2
    labels = [el.text for el in root.iter(f"{SVG}text")]
    assert "75 % relief: pain 2" in labels and "50 % relief (therapeutic): pain 4" in labels
    # A baseline of 0 has neither: relief cannot be computed against it.
    root = parse(pain_chart([left(baseline=0)], 75))
    assert by_class(root, "therapeutic-line") == [] and by_class(root, "threshold-line") == []


def test_the_first_hour_is_spread_so_15_and_30_minute_scores_stand_apart():
    root = parse(pain_chart([left(points=((0.25, 2, "15 minutes after"), (0.5, 2, "30 minutes after"),
                                           (1, 2, "1 hour after")))], 75))
    xs = [float(c.get("cx")) for c in by_class(root, "series-left")[0].iter(f"{SVG}circle")]
    # Markers are 10 px wide: each step of a quarter hour is well over twice that apart.
    assert xs[1] - xs[0] > 20 and xs[2] - xs[1] > 20
    ticks = {el.text: float(el.get("x")) for el in root.iter(f"{SVG}text") if el.text in ("15m", "30m", "1 h")}
    assert ticks == {"15m": pytest.approx(xs[0]), "30m": pytest.approx(xs[1]), "1 h": pytest.approx(xs[2])}


def test_one_sides_marker_is_never_hidden_under_the_others():
    same = ((0.5, 2, "30 minutes after"), (24, 3, "Day 1"))
    right = ChartSeries("right", "Right side", 8, tuple(ChartPoint(h, s, label) for h, s, label in same))
    root = parse(pain_chart([left(points=same + ((2, 5, "2 hours after"),)), right], 75))

    circles = [(float(c.get("cx")), float(c.get("cy"))) for c in by_class(root, "series-left")[0].iter(f"{SVG}circle")]
    squares = [(float(r.get("x")) + 4.5, float(r.get("y")) + 4.5)
               for r in by_class(root, "series-right")[0].iter(f"{SVG}rect")]
    # In time order: the left side has 30 minutes, 2 hours and day 1; the right side shares two.
    for (cx, cy), (sx, sy) in zip((circles[0], circles[2]), squares):
        assert cy == pytest.approx(sy)
        # Circle radius 5, square half-width 4.5: apart by more than both, so both show whole.
        assert sx - cx > 9.5
    # A point the other side does not share stays where its time puts it.
    two_hours = [el for el in root.iter(f"{SVG}text") if el.text == "2 h"][0]
    assert circles[1][0] == pytest.approx(float(two_hours.get("x")))


def test_the_diary_page_embeds_the_chart_as_well_formed_svg(client, gen, login_as):
    physician = gen.user(Role.PHYSICIAN)
    case = followed_up(gen, physician, side=Side.RIGHT)
    login_as(physician)

    page = client.get(f"/cases/{case.id}/diary").get_data(as_text=True)

    # The chart is SVG: cut it out whole and read it with the XML parser, which keeps its case.
    svg = page[page.index("<svg "):page.index("</svg>") + len("</svg>")]
    root = parse(svg)
    assert by_class(root, "anaesthetic-window") and by_class(root, "threshold-line")
    # GOOD_BLOCK's ten scores after the injection, as squares (the right side's marker).
    assert len(by_class(root, "series-right")[0].findall(f"{SVG}rect")) == 10
