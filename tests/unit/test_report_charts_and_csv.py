"""The report charts draw the figures' own rows; CSV cells are spreadsheet-safe."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from tracker import export
from tracker.reports.charts import PALETTE, bar_chart, draw, survival_chart
from tracker.reports.figures import Chart, Figure


def test_a_bar_chart_labels_every_bar_with_its_value_and_names_its_series():
    svg = str(bar_chart("c", "Lead times", ["Referral to verdict", "Booking to procedure"],
                        [("Median days", [7.0, 6.0]), ("90th percentile days", [7.0, 12.4])], unit="days"))
    assert svg.count('class="bar"') == 4
    assert "Referral to verdict, 90th percentile days: 7 days" in svg
    assert "12.4 days" in svg and ">Median days<" in svg  # value labels and the legend
    assert PALETTE[0] in svg and PALETTE[1] in svg
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg


def test_a_chart_escapes_its_labels():
    svg = str(bar_chart("c", "Reasons", ["<script>alert(1)</script>"], [("Cancelled", [2])]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_a_figure_is_drawn_from_its_own_rows():
    figure = Figure("k", "No-shows", "def", ["Appointments", "Count", "Share %"],
                    [("Attended", 3, Decimal("60.0")), ("No-show", 2, Decimal("40.0"))], Chart("bars", (0,), (1,)))
    svg = str(draw(figure))
    assert "Attended, Count: 3" in svg and "No-show, Count: 2" in svg
    assert draw(Figure("k", "t", "d", ["a", "b"], [], Chart("bars", (0,), (1,)))) is None


def test_the_survival_chart_steps_down_and_marks_censored_sides():
    svg = str(survival_chart("s", "Relief", [(7, Decimal("66.7"), 0), (14, Decimal("33.3"), 1)]))
    assert 'class="survival"' in svg and "1 censored at day 14" in svg
    assert "33.3 % after the last step" in svg


@pytest.mark.parametrize("typed", ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx",
                                   "  =1+1"])
def test_a_cell_a_spreadsheet_would_run_is_neutralised(typed):
    assert export.cell(typed) == "'" + typed


def test_cells_keep_numbers_dates_and_text():
    assert export.cell(-5) == "-5"  # a number is not a formula
    assert export.cell(Decimal("33.3")) == "33.3"
    assert export.cell(date(2026, 3, 1)) == "2026-03-01"
    assert export.cell(None) == "" and export.cell(True) == "yes"
    assert export.cell("Zoë O'Brien") == "Zoë O'Brien"


def test_times_are_written_in_clinic_time_with_their_offset(app_ctx):
    assert export.cell(datetime(2026, 3, 16, 14, 5, tzinfo=timezone.utc)) == "2026-03-16T10:05:00-04:00"


def test_the_csv_starts_with_a_byte_order_mark_and_quotes_what_needs_it():
    text = "".join(export.lines(["Name", "Count"], [("Doe, Jane", 2), ("=1+1", 3)]))
    assert text.startswith("\ufeffName,Count\r\n")
    assert '"Doe, Jane",2\r\n' in text and "'=1+1,3\r\n" in text
    assert "".join(export.lines(["Name"], [])) == "\ufeffName\r\n"


# ------------------------------------------------------------------ a download's file name says its filters

def test_an_unfiltered_download_keeps_its_plain_name():
    assert export.file_name("worklist", []) == "worklist.csv"
    assert export.file_name("worklist", [("state", None), ("side", "")]) == "worklist.csv"


def test_each_filter_is_in_the_file_name_in_safe_characters():
    assert export.file_name("referrals_per_month_2025-12-06_2026-12-05", [("physician", "Dr Tomás Ortega")]) == \
        "referrals_per_month_2025-12-06_2026-12-05_physician-dr-tomas-ortega.csv"
    assert export.file_name("worklist", [("state", "under_review"), ("side", "left")]) == \
        "worklist_state-under_review_side-left.csv"
    assert export.file_name("worklist", [("search", 'O\'Brien "/../x"; rm')]) == "worklist_search-o-brien-x-rm.csv"


def test_a_filter_value_with_no_safe_character_still_says_the_list_is_filtered():
    assert export.file_name("worklist", [("search", "李")]) == "worklist_search.csv"
    assert len(export.file_name("worklist", [("search", "a" * 200)])) < 80
