"""One time axis for the histogram and the date slider under it.

The slider's track runs from the first day to the last; the histogram's plot area is set to
the same days and the same side margins (``assets/theme.css`` pads the slider to match), so a
handle sits under its day. Both use one date format, "17 Feb".
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

#: Pixels left and right of the histogram's plot area; the slider row is padded the same.
LEFT = 34
RIGHT = 14
DATE_FORMAT = "%-d %b"


def share_time_axis(fig: go.Figure, days: pd.DatetimeIndex) -> go.Figure:
    """Give the histogram the slider's span and date format (layout only: patches keep it)."""
    fig.update_layout(
        margin={"l": LEFT, "r": RIGHT},
        xaxis={
            "range": [days[0], days[-1]],
            "tickformat": DATE_FORMAT,
            "showline": True,
            "linecolor": "#bdb8ab",
        },
    )
    return fig


def slider_marks(days: pd.DatetimeIndex) -> dict[int, dict]:
    """Unlabelled ticks at each month's first day: the histogram above carries the labels."""
    return {int((d - days[0]).days): {"label": ""} for d in days if d.day == 1}
