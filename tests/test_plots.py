"""Plot axes read as numbers a person would pick: round counts, and clock steps for durations."""
from __future__ import annotations

import re
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from pipelines.plots import _label, line_chart, nice_ticks, nice_time_ticks


def test_time_ticks_step_like_a_clock():
    assert nice_time_ticks(300) == [0, 120, 240, 360]          # 2 min steps, not 100 s
    assert [_label(t, "s") for t in nice_time_ticks(300)] == ["0 s", "2 min", "4 min", "6 min"]
    assert nice_time_ticks(45) == [0, 15, 30, 45]
    assert [_label(t, "s") for t in nice_time_ticks(5 * 3600)] == ["0 s", "2 h", "4 h", "6 h"]
    assert nice_time_ticks(0) == [0, 1]


@given(st.floats(min_value=0.01, max_value=10**7, allow_nan=False))
def test_ticks_cover_the_top_in_at_most_a_few_steps(top):
    for ticks in (nice_ticks(top), nice_time_ticks(top)):
        assert ticks[0] == 0 and ticks[-1] >= top
        assert 2 <= len(ticks) <= 9, ticks
        steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
        assert len(steps) == 1  # evenly spaced


def test_latency_chart_labels_use_clock_steps():
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(3)]
    svg = line_chart({"p95": {days[-1]: 300.0}}, days, unit="s", fill_zero=False)
    labels = re.findall(r'text-anchor="end">([^<]+)<', svg)
    assert labels == ["0 s", "2 min", "4 min", "6 min"]
