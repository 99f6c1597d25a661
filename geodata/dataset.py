"""A dataset ready to show: joined records, their reactions and the boundary layers."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.boundaries import (
    Boundaries,
    BoundaryDataError,
    load_custom_boundaries,
    load_kosovo_boundaries,
)
from geodata.filters import search_columns, search_text
from geodata.gazetteer import load_gazetteer
from geodata.geonames import ATTRIBUTION as GEONAMES_ATTRIBUTION
from geodata.join import DEFAULT_SNAP_TOLERANCE_M, apply_region_rule, join_boundaries
from geodata.records import Problem, ReadResult, read_reactions, read_records
from geodata.schema import REACTION_FIELDS
from geodata.sortorders import ColumnOrder

BUILTIN_TITLE = "2008 unrest in Kosovo"
#: The records' source, and GeoNames, where the villages' and towns' coordinates come from.
BUILTIN_SOURCE = f"Records: “2008 unrest in Kosovo”, Wikipedia article, CC BY-SA 4.0 · {GEONAMES_ATTRIBUTION}"


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
    #: Why the layer is missing, in a few words (``BoundaryDataError.reason``; "" when it is there).
    boundary_reason: str = ""
    file_format: str = "unrest-map"
    #: Parquet cache holding the import's original columns (``src_*``), for the details panel.
    originals_path: Path | None = None
    from_cache: bool = False
    #: The incident table's sort orders stored with the cache entry, by column (None: none stored).
    sort_orders: Mapping[str, ColumnOrder] | None = None


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
    file_format_override: str | None = None,
) -> Dataset:
    """Read records (default: built-in 2008), load boundaries, join.

    ``strict`` raises :class:`DataLoadError` when any row is rejected; otherwise the
    good rows are kept and ``read.problems`` lists the rest. A missing boundary layer
    does not stop the load: incidents are kept without municipalities and
    ``boundary_notice`` says what is missing and how to supply it.
    """
    notice, reason = "", ""
    try:
        if boundaries_file:
            boundaries: Boundaries | None = load_custom_boundaries(boundaries_file, boundary_name_field)
        else:
            boundaries = load_kosovo_boundaries(boundaries_dir)
    except BoundaryDataError as error:
        boundaries, notice, reason = None, f"Boundary layer missing: {error}", error.reason
    file_format, originals, from_cache, orders = "unrest-map", None, False, None
    if data is None:
        read = read_records()
        incidents = _join(read.records, boundaries, snap_tolerance_m)
    else:
        incidents, read, file_format, originals, from_cache, orders = _load_file(
            Path(data),
            boundaries,
            _boundary_identity(boundaries_file, boundary_name_field, boundaries),
            file_format_override,
            snap_tolerance_m,
        )
    if strict and read.problems:
        raise DataLoadError(str(data or "built-in records"), read.problems)
    builtin = data is None
    return Dataset(
        incidents=incidents,
        reactions=read_reactions() if builtin else _no_reactions(),
        boundaries=boundaries,
        title=BUILTIN_TITLE if builtin else Path(data).stem,  # type: ignore[arg-type]
        source_attribution=BUILTIN_SOURCE if builtin else _imported_source(Path(data), file_format),  # type: ignore[arg-type]
        read=read,
        boundary_notice=notice,
        boundary_reason=reason,
        file_format=file_format,
        originals_path=originals,
        from_cache=from_cache,
        sort_orders=orders,
    )


def _imported_source(path: Path, file_format: str) -> str:
    """An imported file's credit; a geocoded one also credits GeoNames, where its points come from."""
    if file_format == "places":
        return f"Records: {path.name} · {GEONAMES_ATTRIBUTION}"
    return f"Records: {path.name}"


def _boundary_identity(boundaries_file, name_field: str, boundaries: Boundaries | None) -> str:
    if boundaries is None:
        return "none"
    if boundaries_file:
        from geodata.cache import file_sha256

        return f"{file_sha256(Path(boundaries_file))}:{name_field}"
    from geodata.boundaries import REGISTRY

    return f"xkx:{REGISTRY['ADM2'][1]}"


def _join(
    records: pd.DataFrame,
    boundaries: Boundaries | None,
    snap_tolerance_m: float,
    originals_written: Future | None = None,
    owned: bool = False,
    orders: dict[str, ColumnOrder] | None = None,
) -> pd.DataFrame:
    """Joined, searchable and sorted. ``owned``: the caller keeps no reference to ``records``, so
    the sort may let each unsorted column go as soon as its sorted copy exists, and the columns the
    join and the search columns do not read are sorted while they work (see :class:`_ColumnSorter`);
    the table's sort orders worked out on the way are added to ``orders``."""
    names, sorter = list(records.columns), None
    if owned and len(records) >= 2 and "id" in records and "date_start" in records:
        sorter = _ColumnSorter({name: records.pop(name).array for name in names if name not in _JOIN_READS})
    joined = (
        join_boundaries(records, boundaries, snap_tolerance_m)
        if boundaries is not None
        else _unjoined(records)
    )
    del records
    if originals_written is not None:
        # The originals' writer lets go of them before the search columns and the sort take more
        # memory: the two never sit in memory together (it has had the import's checks and the
        # join to do its work in, and is usually done).
        originals_written.result()
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    # The text search's folded columns, built once here (and cached with an import), never per query.
    # search_place before the sort (each place's names come from its first row in file order);
    # search_text, row by row, after it: made in its final order, it is never sorted.
    joined = search_columns(joined, load_gazetteer(), boundaries, text=False)
    if sorter is None:
        ordered = by_date_then_id(joined, emptying=owned)
        text = search_text(ordered, repeated_as_categories=True)
        ordered.insert(ordered.columns.get_loc("search_place"), "search_text", text)
        return ordered
    added = [name for name in joined.columns if name not in names]
    added.insert(added.index("search_place"), "search_text")
    done = sorter.finish({name: joined.pop(name).array for name in list(joined.columns)})
    if orders is not None:
        orders.update(sorter.orders)
    return pd.DataFrame({name: done[name] for name in names + added}, copy=False)


#: The columns ``search_text`` is made of (:func:`geodata.filters.search_text`).
_SEARCHED = ("description", "actor1", "actor2")


class _ColumnSorter:
    """Puts columns in date-then-id order, in a thread and, once the caller is free, in the caller's
    thread too (Arrow's and NumPy's takes let go of the GIL).

    The thread works out the order, sorts the columns the search text is made of and folds it from
    them (made in its final order, it is never sorted); then each thread takes the largest column
    left until none is left. Each unsorted column is let go as soon as its sorted copy exists. The
    thread that sorts a column the table sorts by (:data:`geodata.sortorders.SORTED_COLUMNS`) works
    out its sort order too (``orders``), to store with the entry.
    """

    def __init__(self, unsorted: dict[str, object]) -> None:
        self._unsorted = unsorted
        self._lock = threading.Lock()
        self._order: Future[np.ndarray] = Future()
        self._done: dict[str, object] = {}
        self.orders: dict[str, ColumnOrder] = {}
        pool = ThreadPoolExecutor(max_workers=1)
        self._thread = pool.submit(self._work)
        pool.shutdown(wait=False)

    def _work(self) -> None:
        try:
            date, identifier = (pd.Series(self._unsorted[name], copy=False) for name in ("date_start", "id"))
            order = _date_then_id_order(date, identifier)
            del date, identifier
            with self._lock:  # before the caller can know the order, so before it takes any column
                searched = {name: self._unsorted.pop(name) for name in _SEARCHED if name in self._unsorted}
        except BaseException as error:
            self._order.set_exception(error)
            raise
        self._order.set_result(order)
        if searched:
            searched = _sorted_columns(searched, order)
            self._done.update(searched)
            searchable = pd.DataFrame(searched, index=pd.RangeIndex(len(order)), copy=False)
            text = search_text(searchable, repeated_as_categories=True)
            del searched
            self._done["search_text"] = text.array
            for name in _SEARCHED:
                self._rank(name)
        self._take_the_rest(order)

    def _take_the_rest(self, order: np.ndarray) -> None:
        while True:
            with self._lock:
                if not self._unsorted:
                    return
                name = max(self._unsorted, key=lambda n: self._unsorted[n].nbytes)  # type: ignore[attr-defined]
                column = {name: self._unsorted.pop(name)}
            self._done.update(_sorted_columns(column, order))
            self._rank(name)

    def _rank(self, name: str) -> None:
        """The sort order of a sorted column the table sorts by (none when it cannot be ranked:
        the cache's writer then tries again and stores no orders, as it always has)."""
        import pyarrow as pa

        from geodata.sortorders import SORTED_COLUMNS, column_order

        if name in SORTED_COLUMNS and name in self._done:
            with contextlib.suppress(TypeError, ValueError, pa.ArrowException):
                self.orders[name] = column_order(pd.Series(self._done[name], copy=False))

    def finish(self, more: dict[str, object]) -> dict[str, object]:
        """Every column sorted, with ``more`` (the caller's own) sorted too, and ``search_text``."""
        with self._lock:
            self._unsorted.update(more)
        del more
        self._take_the_rest(self._order.result())
        self._thread.result()
        return self._done


#: The columns :func:`geodata.join.join_boundaries`, :func:`geodata.join.apply_region_rule` and
#: :func:`geodata.filters.search_columns` read (besides those they add).
_JOIN_READS = frozenset(
    {"lon", "lat", "location_precision", "place", "place_name", "place_name_sq", "place_name_sr"}
)


def _sorted_columns(unsorted: dict[str, object], order: np.ndarray) -> dict[str, object]:
    """Each of the arrays in ``order``, one after the other, each unsorted one let go (emptying
    ``unsorted``) as soon as its sorted copy exists."""
    import pyarrow as pa

    done: dict[str, object] = {}
    for name in list(unsorted):
        # (taking also leaves each Arrow column in one chunk, which the dashboard's steps need)
        column = unsorted.pop(name)
        same = _same_in_every_row(column)
        done[name] = same if same is not None else column.take(order)
        if isinstance(column, pd.arrays.ArrowExtensionArray):
            del column
            pa.default_memory_pool().release_unused()  # the unsorted chunks, back to the system
    pa.default_memory_pool().release_unused()
    return done


def by_date_then_id(frame: pd.DataFrame, emptying: bool = False) -> pd.DataFrame:
    """``frame.sort_values(["date_start", "id"], kind="stable")`` with a fresh index, ordered by Arrow:
    pandas factorizes a million text ids first, Arrow compares their bytes (UTF-8 bytes sort as
    code points do, and its sort is stable too).

    ``emptying``: take ``frame``'s columns out of it one by one as they are sorted, so memory
    holds the unsorted and the sorted copy of one column at a time, not of the whole frame
    (only for a frame nothing else refers to: it is left without columns).
    """
    if len(frame) < 2:
        return frame.reset_index(drop=True)
    order = _date_then_id_order(frame["date_start"], frame["id"])
    if not emptying:
        return frame.take(order).reset_index(drop=True)
    names = list(frame.columns)
    # One column after the other: Arrow's allocator then reuses the memory each unsorted column
    # leaves (threads would each take fresh memory: 150 MB more at the peak).
    sorted_columns = _sorted_columns({name: frame.pop(name).array for name in names}, order)
    return pd.DataFrame({name: sorted_columns[name] for name in names}, copy=False)


def _same_in_every_row(column) -> object | None:
    """``column`` itself (in one chunk) when every row holds the same value, as far as that shows
    cheaply: every count missing (an ACLED export has no injured, arrested or participants) or
    every text cell empty or missing (its notes, any blank column). Any order of it is the same,
    so the sort copies nothing. None for any other column."""
    if isinstance(column, pd.arrays.IntegerArray | pd.arrays.FloatingArray | pd.arrays.BooleanArray):
        return column if column.isna().all() else None
    if not isinstance(column, pd.arrays.ArrowStringArray):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = pa.array(column)
    if cells.null_count not in (0, len(cells)) or (pc.sum(pc.binary_length(cells)).as_py() or 0):
        return None
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    whole = type(column)(cells, dtype=column.dtype)
    return whole if whole.dtype == column.dtype else None


def _date_then_id_order(date: pd.Series, identifier: pd.Series) -> np.ndarray:
    """The positions that order the rows by date, then id (nulls last, as pandas puts them).

    Two stable one-key sorts, by id and then by date, give the order one two-key sort gives, at
    a third of its cost: a two-key sort compares the ids of a date's rows through a generic
    comparator (0.4 s at a million rows, twice that on many chunks), a one-key sort of text
    compares bytes directly, and a one-key sort of dates is a sort of integers.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = pa.array(identifier.astype("string"))
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    by_id = pc.sort_indices(ids)
    del ids
    dates = pa.array(date)
    if isinstance(dates, pa.ChunkedArray):
        dates = dates.combine_chunks()
    return by_id.take(pc.sort_indices(dates.take(by_id))).to_numpy()


def _load_file(
    path: Path,
    boundaries: Boundaries | None,
    boundary_identity: str,
    file_format: str | None,
    snap_tolerance_m: float,
):
    """Read (or take from the cache) a records, ACLED or UCDP file, joined."""
    from geodata import cache
    from geodata.geocode import identity as geocoder_identity
    from geodata.importers import import_events

    # Geocoded rows depend on GeoNames and the gazetteer too: a change there rebuilds the entry.
    identity = f"{boundary_identity}:{snap_tolerance_m}:{geocoder_identity()}"
    key = cache.known_cache_key(path, identity, file_format)
    hashing, parsed = None, threading.Event()
    if key is None:
        # A file not hashed before (at this path, with these times) is hashed while its rows are
        # checked: the key (the whole file's sha256, as always) is known once it is read, and an
        # entry for the same bytes under another name or time is still found then, the reading wasted.
        hashing = cache.cache_key_in_thread(path, identity, file_format, after=parsed)
    else:
        cached = cache.load_cached(key)
        if cached is not None:
            frame, read, detected, table = cached
            return frame, read, detected, table, True, cache.load_orders(key, len(frame))
    # Original columns go to disk in file order, in a thread, and stay out of the join and the
    # sort: memory holds what the map needs. Those of a file whose rows all have ids are written
    # while its rows are checked, and take their place in the entry if every row is accepted.
    early: list = []
    early_key, every_row_kept = (key if hashing is None else hashing), Future()

    def write_early(every_row) -> None:
        early.extend([every_row, cache.store_originals(early_key, every_row, every_row_kept)])

    try:
        read, detected, own = import_events(path, file_format, early=write_early, parsed=parsed.set)
        if hashing is not None:
            key = hashing.result()
            cached = cache.load_cached(key)
            if cached is not None:
                del read, own
                frame, read, detected, table = cached
                return frame, read, detected, table, True, cache.load_orders(key, len(frame))
        records, problems, rows_read = read.records, read.problems, read.rows_read
        del read  # the unsorted rows are let go as soon as the sort has copied them
        originals = [c for c in records.columns if str(c).startswith("src_")]
        if own is None and len(records):
            own = records[["id", *originals]]
        if early and own is early[0]:
            every_row_kept.set_result(True)
            writing = early[1]
        else:
            writing = cache.store_originals(key, own) if own is not None else None
        del own
    finally:
        parsed.set()  # (an import that failed before its file was read)
        if not every_row_kept.done():  # rows rejected, a failure, or an entry under the same bytes
            every_row_kept.set_result(False)
        if early and not every_row_kept.result():
            # No thread is left running when the load returns (serve --workers forks after it); this
            # one has had the checks to write in and is usually done. (Its failure is of no matter.)
            wait([early[1]])
        early.clear()
    pending = [records.drop(columns=originals)]
    del records  # the join gets the only reference: the sort lets the unsorted columns go
    found: dict[str, ColumnOrder] = {}
    core = _join(pending.pop(), boundaries, snap_tolerance_m, writing, owned=True, orders=found)
    read = ReadResult(core, problems, rows_read)
    table = cache.store(key, core, read, detected, writing, found) if len(core) else None
    orders = cache.load_orders(key, len(core)) if table is not None else None
    return core, read, detected, table, False, orders


def _unjoined(records: pd.DataFrame) -> pd.DataFrame:
    joined = records.copy()
    for column in ("municipality", "municipality_display", "district"):
        joined[column] = pd.Series(pd.NA, index=joined.index, dtype="category")
    joined["north_kosovo"] = False
    joined["snapped"] = False
    joined["snap_distance_m"] = float("nan")
    joined["outside_boundaries"] = True
    return apply_region_rule(joined, None, {})  # no layer: region records cover nothing known


def _no_reactions() -> pd.DataFrame:
    return pd.DataFrame(columns=list(REACTION_FIELDS))


def original_columns(dataset: Dataset, incident_id: str) -> dict[str, str]:
    """An imported event's own columns (from the Parquet cache), for the details panel."""
    if dataset.originals_path is None:
        return {}
    import pyarrow.dataset as ds

    table = ds.dataset(dataset.originals_path).to_table(filter=ds.field("id") == incident_id)
    if table.num_rows == 0:
        return {}
    row = table.slice(0, 1).to_pylist()[0]
    return {k[4:]: str(v) for k, v in row.items() if k.startswith("src_") and v not in (None, "")}
