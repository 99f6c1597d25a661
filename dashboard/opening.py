"""The opening view's data: what the page and the views count over every row, stored with the cache entry.

At five million rows, what a server start derived from every row before it could answer (the
timeline's per-row keys and its counts of the whole period, the filter choices, the facet counts of
the unfiltered view, the dataset summary) cost about 0.4 CPU-seconds, in a start the naive page
does in about one. It depends on the entry's rows only, so it is derived once, the first time the
dashboard loads an entry (``serve`` itself when it imports the file), and kept beside the entry:

- ``KEY.opening.json``: the counts, choices and summary, whether the dates are in order (and the longest
  incident), and where each array lies in
- ``KEY.opening.bin``: the timeline's per-row arrays, raw, memory-mapped at load (nothing is read
  until a view update uses them, and forked workers share the pages).

The JSON is written last, so a half-written pair is never read. Data of another version, derived by
other source code or for another number of rows is derived again. Every value equals what the live
derivation gives (tested).
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.choices import PresentValues, present_in
from dashboard.details import SummaryCounts, summary_counts
from dashboard.timecounts import TimelineRows, timeline_rows
from geodata.dataset import Dataset
from geodata.filters import DateOrder, ViewFilter, all_facet_counts, date_order

#: Bump when what is stored changes: data of another version is derived again.
OPENING_VERSION = 1
#: The modules the stored values are derived by: data derived by other source code (an upgrade, a
#: change to the timeline's bins) is derived again (see :func:`code_fingerprint`).
DERIVED_BY = (
    "dashboard.opening",
    "dashboard.choices",
    "dashboard.details",
    "dashboard.figures",
    "dashboard.timecounts",
    "dashboard.view",
    "geodata.filters",
    "geodata.names",
    "geodata.schema",
)
#: The per-row arrays of :class:`~dashboard.timecounts.TimelineRows`, in the order they are stored.
TIMELINE_ARRAYS = ("day_key", "ranged", "low", "high", "weight")
#: Arrays start at multiples of this many bytes in the binary file (aligned for any dtype).
ALIGN = 64


@dataclass(frozen=True)
class OpeningData:
    """What :func:`~dashboard.view.view_context` and the page derive from every row of a dataset."""

    rows: int
    #: The days the slider spans (from the first start day to the last end day).
    days: pd.DatetimeIndex
    present: PresentValues
    #: ``all_facet_counts`` of the unfiltered view.
    facets: dict[str, dict[str, int]]
    #: ``dataset_summary``'s counts (five busiest, names in English).
    summary: SummaryCounts | None
    timeline: TimelineRows
    #: ``date_order`` of the incidents: its start and end are the frame's own columns (not stored); the
    #: check that they are in order and the longest incident are, so a start does not read them.
    dates: DateOrder | None


def derive(dataset: Dataset) -> OpeningData:
    """:class:`OpeningData` of ``dataset``, from its rows (it must hold at least one incident)."""
    from dashboard.view import days_of

    incidents = dataset.incidents
    days = days_of(dataset)
    facets = all_facet_counts(incidents, ViewFilter())
    return OpeningData(
        rows=len(incidents),
        days=days,
        present=present_in(incidents),
        facets=facets,
        summary=summary_counts(incidents, listed=facets["municipalities"]),
        timeline=timeline_rows(incidents, days),
        dates=date_order(incidents),
    )


def code_fingerprint() -> str:
    """sha256 of :data:`OPENING_VERSION` and the source files of :data:`DERIVED_BY` (about 200 kB: a
    millisecond), so stored data never outlives the code that derived it."""
    import hashlib
    import importlib

    digest = hashlib.sha256(f"opening{OPENING_VERSION}".encode())
    for name in DERIVED_BY:
        digest.update(Path(importlib.import_module(name).__file__ or "").read_bytes())
    return digest.hexdigest()


def opening_files(dataset: Dataset) -> tuple[Path, Path] | None:
    """Where ``dataset``'s opening data is kept: beside its cache entry (found through the entry's
    originals file, ``KEY.originals.parquet``); None for data without an entry (the built-in records)."""
    originals = dataset.originals_path
    if originals is None or not originals.name.endswith(".originals.parquet"):
        return None
    key = originals.name.removesuffix(".originals.parquet")
    return originals.with_name(f"{key}.opening.json"), originals.with_name(f"{key}.opening.bin")


def opening_data(dataset: Dataset) -> OpeningData | None:
    """``dataset``'s opening data: read from its cache entry, else derived and written there (a
    folder that cannot be written to only means it is derived again next time). None for a dataset
    with no incidents."""
    if dataset.incidents.empty:
        return None
    files = opening_files(dataset)
    if files is not None:
        found = read(*files, dataset)
        if found is not None:
            return found
    data = derive(dataset)
    if files is not None:
        with contextlib.suppress(OSError):
            write(data, *files)
    return data


def write(data: OpeningData, meta_path: Path, arrays_path: Path) -> None:
    """Write ``data``: the arrays first, then the JSON naming them (each through a partial file)."""
    timeline = data.timeline
    arrays = {name: np.ascontiguousarray(getattr(timeline, name)) for name in TIMELINE_ARRAYS}
    arrays |= {f"everything:{name}": np.ascontiguousarray(v) for name, v in timeline.everything.items()}
    layout, offset = {}, 0
    for name, array in arrays.items():
        layout[name] = {"offset": offset, "dtype": array.dtype.str, "length": len(array)}
        offset += -(-array.nbytes // ALIGN) * ALIGN
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}.partial"
    partial = arrays_path.with_name(f"{arrays_path.name}.{tag}")
    with open(partial, "wb") as sink:
        for name, array in arrays.items():
            sink.seek(layout[name]["offset"])
            sink.write(array.tobytes())
        sink.truncate(offset)
    partial.replace(arrays_path)
    summary = data.summary
    meta = {
        "version": OPENING_VERSION,
        "code": code_fingerprint(),
        "rows": data.rows,
        "bytes": offset,
        "days": [data.days[0].isoformat(), data.days[-1].isoformat(), data.days.unit],
        "present": {
            **asdict(data.present),
            "first_day": data.present.first_day.isoformat(),
            "last_day": data.present.last_day.isoformat(),
        },
        "facets": data.facets,
        "summary": None
        if summary is None
        else {
            **asdict(summary),
            "first": [summary.first.isoformat(), summary.first.unit],
            "last": [summary.last.isoformat(), summary.last.unit],
        },
        "arrays": layout,
        "dates": None if data.dates is None else {"unit": data.dates.unit, "longest": data.dates.longest},
    }
    partial = meta_path.with_name(f"{meta_path.name}.{tag}")
    partial.write_text(json.dumps(meta), encoding="utf-8")
    partial.replace(meta_path)  # last: the pair counts only once both are whole


def read(meta_path: Path, arrays_path: Path, dataset: Dataset) -> OpeningData | None:
    """The opening data written by :func:`write` for ``dataset``, or None when there is none, it is
    broken, of another version or for another number of rows."""
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        rows = len(dataset.incidents)
        if meta["version"] != OPENING_VERSION or meta["rows"] != rows or meta["code"] != code_fingerprint():
            return None
        if arrays_path.stat().st_size != meta["bytes"]:
            return None
        mapped = np.memmap(arrays_path, dtype=np.uint8, mode="r") if meta["bytes"] else np.zeros(0, np.uint8)
        arrays = {}
        for name, where in meta["arrays"].items():
            dtype = np.dtype(where["dtype"])
            start, length = where["offset"], where["length"]
            arrays[name] = np.asarray(mapped[start : start + length * dtype.itemsize]).view(dtype)
        first, last, unit = meta["days"]
        days = pd.date_range(pd.Timestamp(first).as_unit(unit), pd.Timestamp(last).as_unit(unit))
        present = meta["present"]
        summary = meta["summary"]
        everything = {
            name.removeprefix("everything:"): array
            for name, array in arrays.items()
            if name.startswith("everything:")
        }
        timeline = TimelineRows(days, *(arrays[name] for name in TIMELINE_ARRAYS), everything)
        if len(timeline.day_key) != rows:
            return None
        dates = None if meta["dates"] is None else _date_order(dataset, **meta["dates"])
        return OpeningData(
            rows=rows,
            days=days,
            present=PresentValues(
                first_day=date.fromisoformat(present["first_day"]),
                last_day=date.fromisoformat(present["last_day"]),
                sides=tuple(present["sides"]),
                municipalities=tuple(present["municipalities"]),
            ),
            facets=meta["facets"],
            summary=None
            if summary is None
            else SummaryCounts(
                first=pd.Timestamp(summary["first"][0]).as_unit(summary["first"][1]),
                last=pd.Timestamp(summary["last"][0]).as_unit(summary["last"][1]),
                incidents=summary["incidents"],
                types=tuple((str(t), int(n)) for t, n in summary["types"]),
                municipalities=tuple((str(m), int(n)) for m, n in summary["municipalities"]),
                places=tuple((str(p), int(n)) for p, n in summary["places"]),
            ),
            timeline=timeline,
            dates=dates,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _date_order(dataset: Dataset, unit: str, longest: int) -> DateOrder:
    """The stored :class:`~geodata.filters.DateOrder` over ``dataset``'s own date columns (views)."""
    start, end = dataset.incidents["date_start"].to_numpy(), dataset.incidents["date_end"].to_numpy()
    if start.dtype != np.dtype(f"datetime64[{unit}]") or end.dtype != start.dtype:
        raise ValueError(f"dates stored as {unit}, the frame's are {start.dtype} and {end.dtype}")
    return DateOrder(start.view("i8"), end.view("i8"), unit, int(longest))


def served_context(dataset: Dataset):
    """The :class:`~dashboard.view.ViewContext` a server builds its app with: the opening data read
    from (or written to) the dataset's cache entry."""
    from dashboard.view import view_context

    return view_context(dataset, opening_data(dataset))
