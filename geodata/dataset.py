"""A dataset ready to show: joined records, their reactions and the boundary layers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geodata.boundaries import (
    Boundaries,
    BoundaryDataError,
    load_custom_boundaries,
    load_kosovo_boundaries,
)
from geodata.join import DEFAULT_SNAP_TOLERANCE_M, join_boundaries
from geodata.records import Problem, ReadResult, read_reactions, read_records

BUILTIN_TITLE = "2008 unrest in Kosovo"
BUILTIN_SOURCE = "Records: “2008 unrest in Kosovo”, Wikipedia article, CC BY-SA 4.0"


@dataclass(frozen=True)
class Dataset:
    """Everything the dashboard and the exports read. Never mutated after loading."""

    incidents: pd.DataFrame  # joined records, sorted by date then id
    reactions: pd.DataFrame  # incident_id -> statements
    boundaries: Boundaries | None  # None when the layer could not be had (see notice)
    title: str
    source_attribution: str
    read: ReadResult
    boundary_notice: str = ""


class DataLoadError(RuntimeError):
    """The records file has problems; ``problems`` lists them all."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s):\n{lines}")


def load_dataset(
    data: str | Path | None = None,
    boundaries_file: str | Path | None = None,
    boundary_name_field: str = "shapeName",
    boundaries_dir: str | Path | None = None,
    strict: bool = True,
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
) -> Dataset:
    """Read records (default: built-in 2008), load boundaries, join.

    ``strict`` raises :class:`DataLoadError` when any row is rejected; otherwise the
    good rows are kept and ``read.problems`` lists the rest. A missing boundary layer
    does not stop the load: incidents are kept without municipalities and
    ``boundary_notice`` says what is missing and how to supply it.
    """
    read = read_records(data)
    if strict and read.problems:
        raise DataLoadError(str(data or "built-in records"), read.problems)
    notice = ""
    try:
        if boundaries_file:
            boundaries: Boundaries | None = load_custom_boundaries(boundaries_file, boundary_name_field)
        else:
            boundaries = load_kosovo_boundaries(boundaries_dir)
    except BoundaryDataError as error:
        boundaries, notice = None, f"Boundary layer missing: {error}"
    incidents = read.records
    if boundaries is not None:
        incidents = join_boundaries(incidents, boundaries, snap_tolerance_m)
    else:
        incidents = _unjoined(incidents)
    incidents = incidents.sort_values(["date_start", "id"], kind="stable").reset_index(drop=True)
    builtin = data is None
    return Dataset(
        incidents=incidents,
        reactions=read_reactions() if builtin else _no_reactions(),
        boundaries=boundaries,
        title=BUILTIN_TITLE if builtin else Path(data).stem,  # type: ignore[arg-type]
        source_attribution=BUILTIN_SOURCE if builtin else f"Records: {Path(data).name}",  # type: ignore[arg-type]
        read=read,
        boundary_notice=notice,
    )


def _unjoined(records: pd.DataFrame) -> pd.DataFrame:
    joined = records.copy()
    for column in ("municipality", "municipality_display", "district"):
        joined[column] = pd.Series(pd.NA, index=joined.index, dtype="category")
    joined["north_kosovo"] = False
    joined["snapped"] = False
    joined["snap_distance_m"] = float("nan")
    joined["outside_boundaries"] = True
    return joined


def _no_reactions() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["id", "incident_id", "speaker", "role", "affiliation", "summary", "source_section"]
    )
