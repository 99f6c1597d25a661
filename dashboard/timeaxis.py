"""One time axis for the histogram and the date slider under it.

The slider's track runs from the first day to the last; the histogram's plot area is set to
the same days and the same side margins (``assets/theme.css`` pads the slider to match), so a
handle sits under its day, and the chart's date labels ("1 Mar") sit over the slider's tick marks
(:func:`tick_days`). On the histogram a day's step runs from its midnight to the next, so the
plot area runs from the middle of the first day to the middle of the last (:data:`MIDDAY`): each
day's middle is where the slider puts its handle, and the first and last days show half their
width (the last day's step, from its midnight on, used to lie wholly past the plot area's edge).

The selected window is shaded on that axis by an HTML box behind the histogram's plot area
(:func:`window_style`), not by a Plotly shape: moving a shape makes Plotly compute the whole
figure again (15-40 ms of the browser's main thread on every slider step), moving a box is a
style change. ``assets/unrest_map.js`` (``windowStyle``) places it the same way while a
handle is dragged or stepped.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

#: Pixels left and right of the histogram's plot area; the slider row is padded the same.
LEFT = 34
RIGHT = 14
DATE_FORMAT = "%-d %b"


#: A day's middle: where the histogram's axis puts that day (its step spans the whole day).
MIDDAY = pd.Timedelta(hours=12)

#: Months between labelled ticks, the first that leaves at most this many ticks on the axis.
TICK_STEPS = (1, 2, 3, 6, 12, 24, 60, 120)
MAX_TICKS = 12
#: Days between labelled ticks over a period with too few month starts to label (a week or two).
DAY_STEPS = (1, 2, 7, 14)


def tick_months(days: pd.DatetimeIndex) -> int:
    """Months between the axis's ticks: every month over a few months, every year over a decade."""
    months = len(days) / 30.44
    return next((step for step in TICK_STEPS if months / step <= MAX_TICKS), TICK_STEPS[-1])


def tick_days(days: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """The ticks' days: month starts within ``days``, every :func:`tick_months` months from January;
    over a period with fewer than two month starts, every few days from the first (an upload of a
    week or two had no date on its axis at all)."""
    if _by_days(days):
        step = next((step for step in DAY_STEPS if len(days) / step <= MAX_TICKS), DAY_STEPS[-1])
        return list(days[::step])
    step = tick_months(days)
    starts = days[days.day == 1]
    return [day for day in starts if ((day.year * 12 + day.month - 1) % step) == 0]


def _by_days(days: pd.DatetimeIndex) -> bool:
    return int((days.day == 1).sum()) < 2


def tick_format(days: pd.DatetimeIndex) -> str:
    """ "1 Mar" within a year or for ticks days apart, "Mar 2008" across years, "2008" for ticks a
    year or more apart."""
    if _by_days(days):
        return DATE_FORMAT
    if tick_months(days) >= 12:
        return "%Y"
    return DATE_FORMAT if days[0].year == days[-1].year else "%b %Y"


def share_time_axis(fig: go.Figure, days: pd.DatetimeIndex) -> go.Figure:
    """Give the histogram the slider's span, ticks and date format (layout only: patches keep it).

    The labelled ticks are the slider's tick marks (:func:`slider_marks`): month starts, so a
    label sits over its mark (Plotly's own choice, every 14 days, did not). Each sits at its
    day's middle (:data:`MIDDAY`), as the slider's marks and handles do."""
    ticks, label = tick_days(days), tick_format(days)
    fig.update_layout(
        margin={"l": LEFT, "r": RIGHT},
        xaxis={
            "range": [days[0] + MIDDAY, days[-1] + MIDDAY],
            "tickmode": "array",
            "tickvals": [day + MIDDAY for day in ticks],
            "ticktext": [f"{day:{label}}" for day in ticks],
            "showline": True,
            "linecolor": "#bdb8ab",
        },
    )
    return fig


def window_style(day_count: int, low: int, high: int) -> dict[str, str]:
    """CSS ``left`` and ``width`` of the shaded window over days ``low``..``high`` (offsets from
    the first of ``day_count`` days), in percent of the histogram's plot area.

    The plot area runs from the first day's middle to the last's (:func:`share_time_axis`); the
    window covers whole days, half a day either side of its first's and last's middles, cut at
    the plot area's edges.
    """
    if day_count <= 1:
        return {"left": "0.000%", "width": "100.000%"}
    span = day_count - 1
    left = min(max((low - 0.5) / span, 0.0), 1.0)
    right = min(max((high + 0.5) / span, 0.0), 1.0)
    return {"left": f"{left * 100:.3f}%", "width": f"{max(right - left, 0.0) * 100:.3f}%"}


def slider_marks(days: pd.DatetimeIndex) -> dict[int, dict]:
    """Unlabelled ticks at the histogram's labelled days (:func:`tick_days`): the labels are above."""
    return {int((d - days[0]).days): {"label": ""} for d in tick_days(days)}
