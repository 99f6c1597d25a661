"""The timeline's counts from per-row numbers equal ``figures.binned_counts`` on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import figures
from dashboard.timecounts import _day_numbers, timeline_rows
from geodata.schema import EVENT_TYPES


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(3)
    n = 20_000
    start = pd.Timestamp("2008-01-01") + pd.to_timedelta(rng.integers(-20, 2_000, n), unit="D")
    length = np.where(rng.random(n) < 0.3, rng.integers(0, 40, n), 0)
    precision = np.where(length > 0, np.where(rng.random(n) < 0.5, "range", "month"), "day")
    kinds = rng.choice([*EVENT_TYPES, "Something else"], n)
    return pd.DataFrame(
        {
            "date_start": start,
            "date_end": start + pd.to_timedelta(length, unit="D"),
            "date_precision": pd.Categorical(precision),
            "event_type": pd.Categorical(kinds),
        }
    )


@pytest.mark.parametrize("share", [1.0, 0.5, 0.01, 0.0])
def test_binned_counts_equal_the_figures_own(frame, share):
    days = pd.date_range("2008-01-01", "2013-06-30")  # some incidents start before, some end after
    rows = timeline_rows(frame, days)
    mask = np.random.default_rng(5).random(len(frame)) < share
    expected = figures.binned_counts(frame[mask], days)
    got = rows.binned(mask)
    assert set(got) == set(expected)
    for key in expected:
        assert got[key].dtype == expected[key].dtype
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)
    if share == 1.0:
        for key in expected:
            np.testing.assert_array_equal(rows.binned(None)[key], expected[key])


@pytest.mark.parametrize("share", [1.0, 0.3])
def test_counts_of_a_frame_sorted_by_date_equal_the_figures_own(frame, share):
    """The dataset's frames are sorted by start date: their day numbers come from runs, not division."""
    ordered = frame.sort_values("date_start", kind="stable").reset_index(drop=True)
    days = pd.date_range("2008-01-01", "2013-06-30")
    mask = np.random.default_rng(6).random(len(ordered)) < share
    expected = figures.binned_counts(ordered[mask], days)
    got = timeline_rows(ordered, days).binned(mask)
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


def test_short_period_one_bin_a_day(frame):
    days = pd.date_range("2008-01-01", "2008-03-01")
    rows = timeline_rows(frame, days)
    mask = (frame["event_type"] == "Protests").to_numpy()
    for key, values in figures.binned_counts(frame[mask], days).items():
        np.testing.assert_array_equal(rows.binned(mask)[key], values, err_msg=key)


def test_day_numbers_floor_as_the_cast_does():
    dates = pd.Series(
        pd.to_datetime(["1969-12-31 23:00", "1970-01-01 00:00", "2008-02-17 13:30", "2008-02-16 00:00"])
    )
    first = np.datetime64("2008-02-16", "D")
    for unit in ("s", "ms", "us", "ns"):
        series = dates.astype(f"datetime64[{unit}]")
        assert _day_numbers(series, first).tolist() == figures.day_numbers(series, first).tolist()
    for unit in ("s", "us", "ns"):  # in order: runs of days, each found by binary search
        ordered = dates.sort_values(ignore_index=True).astype(f"datetime64[{unit}]")
        assert _day_numbers(ordered, first).tolist() == figures.day_numbers(ordered, first).tolist()
    with_nat = pd.Series(pd.to_datetime(["2008-02-17", None]))
    assert _day_numbers(with_nat, first).tolist() == figures.day_numbers(with_nat, first).tolist()
