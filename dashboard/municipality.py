"""The municipality card: what a click on a municipality shows, and the explicit way to filter by it.

A click on the map never changes a filter by itself (a near miss of a marker lands on the
polygon underneath); it shows this card, whose "Show only ..." button filters.
"""

from __future__ import annotations

import numpy as np
from dash import html

from dashboard.ids import id_text
from geodata.dataset import Dataset
from geodata.filters import ViewFilter, combine, component_masks, filter_mask
from geodata.names import DEFAULT_LANGUAGE, display_name


def municipality_names(dataset: Dataset, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Municipality name -> its name in ``lang`` (empty without a boundary layer)."""
    if dataset.boundaries is None:
        return {}
    return {name: display_name(name, lang) for name in dataset.boundaries.municipalities["name"]}


def in_view_count(dataset: Dataset, view: ViewFilter, name: str, extra: np.ndarray | None = None) -> int:
    """Incidents in ``name`` under the current view (``extra``: a further mask, e.g. the drawn area)."""
    incidents = dataset.incidents
    mask = filter_mask(incidents, view) & (incidents["municipality"] == name).to_numpy(dtype=bool)
    if extra is not None:
        mask &= extra
    return int(mask.sum())


def show_only_count(dataset: Dataset, name: str, masks: dict[str, np.ndarray]) -> int:
    """What "Show only ``name``" would list: the view's masks (``view_masks``, the drawn area
    included) with the municipality filter set to it, which also keeps region-level records that
    name it (a North Kosovo record is in all four). Only the municipality's mask is computed."""
    incidents = dataset.incidents
    chosen = {
        **masks,
        "municipalities": component_masks(incidents, ViewFilter(municipalities=(name,)))["municipalities"],
    }
    return int(combine(chosen, length=len(incidents)).sum())


def municipality_card(
    dataset: Dataset,
    name: str | None,
    view: ViewFilter,
    count: int,
    lang: str = DEFAULT_LANGUAGE,
    masks: dict[str, np.ndarray] | None = None,
) -> list:
    """The card for the clicked municipality, named in ``lang`` (nothing when none is clicked or
    it is unknown). ``count``: incidents in view located in it; ``masks``: the view's
    (``view.view_masks``; by default computed from ``view``)."""
    names = municipality_names(dataset, lang)
    if not name or name not in names:
        return []
    total = int((dataset.incidents["municipality"] == name).sum())
    noun = "incident" if count == 1 else "incidents"
    filtered = name in view.municipalities and len(view.municipalities) == 1
    listed = show_only_count(
        dataset, name, component_masks(dataset.incidents, view) if masks is None else masks
    )
    # Region-level records that name it are not located in it: say so, or the button's result
    # (more incidents than the card counts) looks wrong.
    regional = (
        [
            html.Br(),
            html.B(f"{listed:,}"),
            " with the region-level records that include it (Show only lists these)",
        ]
        if listed != count
        else []
    )
    return [
        html.Div(
            [
                html.H3(names[name], className="municipality-name"),
                html.Button(
                    "✕",
                    id={"type": "municipality-close", "name": id_text(name)},
                    className="small close",
                    title="Close",
                    **{"aria-label": "Close the municipality card"},
                ),
            ],
            className="aside-head",
        ),
        html.P(
            [html.B(f"{count:,}"), f" {noun} in view here ({total:,} in the whole dataset)", *regional],
            className="municipality-count",
        ),
        html.Button(
            f"Show only {names[name]}",
            id={"type": "show-only-municipality", "name": id_text(name)},
            className="small",
            # Nothing to show (trial: offered for a municipality with no incident, it emptied the view).
            disabled=filtered or listed == 0,
            title="Filter the whole dashboard to this municipality"
            if listed
            else "No incident in view is in it or in a region-level record that includes it",
        ),
    ]
