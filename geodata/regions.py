"""Regions: the municipalities a region-level record covers.

A record whose ``location_precision`` is ``region`` (North Kosovo, the northern railway,
the Gjilan region, central Kosovo) is not credited to the one municipality its marker
happens to stand in. It carries the municipalities its region covers, from
``geodata/data/regions.csv`` (keyed by gazetteer place), or none when the region has no
definition or no defined extent. Each definition's ``members`` is one of:

- ``;``-separated municipality names of the boundary layer (``North Mitrovica;Zveçan``),
- ``district:NAME``: the municipalities the layer puts in that district,
- ``group:North Kosovo``: the four northern municipalities,
- empty: the region covers no municipality (it is still flagged regional).

``basis`` says where each membership comes from.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final

import pandas as pd

from geodata.boundaries import Boundaries

REGIONS_FILE: Final = "regions.csv"
#: Separator of the ``municipalities`` column (the same as the sides').
MUNICIPALITY_SEPARATOR: Final = ";"
NORTH_GROUP: Final = "group:North Kosovo"


class RegionDefinitionError(ValueError):
    """A region definition names something the boundary layer does not have."""


def regions_path() -> Path:
    return Path(str(resources.files("geodata.data") / REGIONS_FILE))


def read_region_definitions(path: str | Path | None = None) -> pd.DataFrame:
    """The definitions (``place``, ``members``, ``basis``), one row per region, as text."""
    source = Path(path) if path else regions_path()
    table = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = {"place", "members", "basis"} - set(table.columns)
    if missing:
        raise RegionDefinitionError(f"{source}: row 1: missing column(s) {', '.join(sorted(missing))}")
    return table


def region_members(
    boundaries: Boundaries, definitions: pd.DataFrame | None = None, *, strict: bool | None = None
) -> dict[str, tuple[str, ...]]:
    """Each region place key -> the layer's municipality names it covers (maybe none).

    ``strict`` (default: when the layer has the North Kosovo municipalities, i.e. is the
    built-in Kosovo layer) raises :class:`RegionDefinitionError` naming the row and the
    name for a member the layer lacks. With another layer, members it lacks are left out:
    the region then covers only what the layer has.
    """
    table = read_region_definitions() if definitions is None else definitions
    layer = boundaries.municipalities
    names = set(layer["name"])
    if strict is None:
        strict = bool(layer["north_kosovo"].any())
    members: dict[str, tuple[str, ...]] = {}
    for row, (place, spec) in enumerate(zip(table["place"], table["members"], strict=True), start=2):
        spec = spec.strip()
        if spec == NORTH_GROUP:
            covered = tuple(layer.loc[layer["north_kosovo"].astype(bool), "name"])
        elif spec.startswith("district:"):
            district = spec.removeprefix("district:").strip()
            covered = tuple(layer.loc[layer["district"] == district, "name"])
            if strict and not covered:
                raise RegionDefinitionError(f"{REGIONS_FILE}: row {row}: members: no district {district!r}")
        else:
            listed = tuple(n.strip() for n in spec.split(MUNICIPALITY_SEPARATOR) if n.strip())
            unknown = [n for n in listed if n not in names]
            if strict and unknown:
                raise RegionDefinitionError(
                    f"{REGIONS_FILE}: row {row}: members: not in the boundary layer: {', '.join(unknown)}"
                )
            covered = tuple(n for n in listed if n in names)
        members[place] = covered
    return members
