"""The timeline's counts over any rows, from per-row numbers derived once per dataset.

A filter change redraws the timeline over every incident the other filters keep: at five
million rows :func:`dashboard.figures.daily_counts` took 0.6 CPU-seconds per change on the rows
taken from the frame (day numbers from dates, event types recoded, per call). Here those numbers
are derived once (:func:`timeline_rows`); a change then gathers them for the rows kept and counts
with ``np.bincount``. The result is exactly that of :func:`dashboard.figures.binned_counts` on the
same rows: the same integer keys are counted, and the spread of ranged incidents is summed in the
same order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.figures import EVENT_TRACES, bin_daily, day_numbers


@dataclass(frozen=True)
class TimelineRows:
    """What the timeline counts of each row, for a dataset and its days."""

    days: pd.DatetimeIndex
    #: Per row: 1 + event-type index x days + day, for incidents known to the day; 0 for the others
    #: (np.intp, what ``np.bincount`` counts without a converted copy).
    day_key: np.ndarray
    #: Positions of the incidents spread over their days (a range or a month), with each one's first
    #: day, the day after its last (clipped to the period) and the share it adds to each day.
    ranged: np.ndarray
    low: np.ndarray
    high: np.ndarray
    weight: np.ndarray
    #: The binned counts of every row (the timeline when no filter but the dates is set).
    everything: dict[str, np.ndarray]

    def binned(self, mask: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """:func:`dashboard.figures.binned_counts` of the rows ``mask`` selects (None: every row)."""
        return self.everything if mask is None else bin_daily(self._daily(mask), self.days)

    def _daily(self, mask: np.ndarray | None) -> dict[str, np.ndarray]:
        n = len(self.days)
        keys = self.day_key if mask is None else self.day_key[mask]
        # Shifted by one, so the uncounted (0) land in a first bin that is dropped: no gather, no copy.
        per_day = np.bincount(keys, minlength=len(EVENT_TRACES) * n + 1)[1:]
        per_day = per_day.reshape(len(EVENT_TRACES), n).astype(float)
        counts = {event_type: per_day[i] for i, event_type in enumerate(EVENT_TRACES)}
        spread = slice(None) if mask is None else mask[self.ranged]
        # daily_counts adds the starts' shares with np.add.at, then the ends' negated shares, each in row
        # order; one weighted bincount over starts then ends adds the very same terms into each day in
        # the very same order (so the same float sums), ten times faster.
        weight = self.weight[spread]
        difference = np.bincount(
            np.concatenate([self.low[spread], self.high[spread]]),
            weights=np.concatenate([weight, -weight]),
            minlength=n + 1,
        )
        counts["spread"] = np.cumsum(difference)[:-1]
        return counts


def timeline_rows(frame: pd.DataFrame, days: pd.DatetimeIndex) -> TimelineRows:
    """Derive :class:`TimelineRows` from ``frame`` (the dataset's incidents) as ``daily_counts`` reads it.

    Built at every server start: at five million rows each fresh 5M-row array costs tens of
    milliseconds of page faults, so the numbers are made in as few and as narrow arrays as give the
    same keys (int32 days, end days only for the spread incidents)."""
    n = len(days)
    day_precise = (frame["date_precision"] == "day").to_numpy(dtype=bool)
    first = np.datetime64(days[0].date(), "D")
    start = _day_numbers(frame["date_start"], first)
    ranged = np.flatnonzero(~day_precise)
    end = _day_numbers(frame["date_end"].iloc[ranged], first)  # only the spread incidents' ends count
    event_type = frame["event_type"]
    if isinstance(event_type.dtype, pd.CategoricalDtype):
        kind = event_type.cat.set_categories(list(EVENT_TRACES)).cat.codes.to_numpy()
    else:
        kind = pd.Categorical(event_type.astype(str), categories=EVENT_TRACES).codes
    inside = day_precise & (kind >= 0) & (start >= 0) & (start < n)
    # 1 + kind * n + start where inside, else 0 (np.where over int64 copies made four 5M-row arrays)
    day_key = kind.astype(np.intp)
    day_key *= n
    day_key += start
    day_key += 1
    day_key[~inside] = 0
    begins = start[ranged]
    low = np.clip(begins, 0, n)
    high = np.clip(end + 1, 0, n)
    keep = high > low
    weight = 1.0 / np.maximum(end[keep] - begins[keep] + 1, 1)
    ranged, low, high = ranged[keep], low[keep], high[keep]
    rows = TimelineRows(days, day_key, ranged, low, high, weight, {})
    object.__setattr__(rows, "everything", bin_daily(rows._daily(None), days))
    return rows


def _day_numbers(dates: pd.Series, first: np.datetime64) -> np.ndarray:
    """:func:`dashboard.figures.day_numbers` by integer floor division of the raw ticks (numpy's cast to
    days floors too), a tenth of the cast's time at five million rows; anything else goes the cast's way.
    Dates in order (the dataset's start dates) are not divided at all: each day's run is found by
    binary search and its number repeated (int32, half the memory)."""
    values = dates.to_numpy()
    if values.dtype.kind != "M" or np.isnat(values).any():
        return day_numbers(dates, first)
    per_day = np.timedelta64(1, "D") // np.timedelta64(1, np.datetime_data(values.dtype)[0])
    ticks = values.view("i8")
    offset = first.astype("datetime64[D]").astype(np.int64)
    if len(ticks) > 1 and not bool(np.any(ticks[1:] < ticks[:-1])):
        low, high = int(ticks[0]) // per_day, int(ticks[-1]) // per_day  # floor, as the cast
        if high - low < 2**20 and abs(high - offset) < 2**30 and abs(low - offset) < 2**30:
            cuts = np.searchsorted(ticks, np.arange(low + 1, high + 1, dtype=np.int64) * per_day, "left")
            runs = np.diff(cuts, prepend=0, append=len(ticks))
            return np.repeat(np.arange(low - offset, high - offset + 1, dtype=np.int32), runs)
    return ticks // per_day - offset
