"""The incident table's sort orders: one stable ascending order of every row per sortable column,
computed once at import and kept with the cache entry, so a server maps them instead of sorting.

A column's order comes from one float key per row (:func:`sort_keys`: dates as integers,
categories by their order, text by the rank of its distinct values, unknown values last) and one
stable argsort of those keys (:func:`stable_order`). Kept beside it is each row's dense rank (equal
values, equal ranks; unknown values the dtype's largest number), which a descending page needs to
find ties. At five million rows computing one order costs 0.1-0.5 CPU-s; mapping it costs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: The frame columns the incident table sorts by (``dashboard.view.TABLE_SORT_COLUMNS``, with the
#: place name in each language); the municipality's order per language is regrouped from its own.
SORTED_COLUMNS = (
    "date_start",
    "event_type",
    "place_name",
    "place_name_sq",
    "place_name_sr",
    "municipality",
    "fatalities",
    "injured",
    "description",
)
#: Bump when :func:`sort_keys` or :func:`stable_order` sort differently: stored orders of another
#: version are not used.
ORDERS_VERSION = 1


def sort_keys(values: pd.Series, ascending: bool) -> np.ndarray:
    """One float key per value: smaller sorts first; unknown values (NaN, NaT, NA, None) get +inf."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):  # pandas sorts categories in their own order
        codes = values.cat.codes.to_numpy()
        keys = np.where(codes >= 0, codes, np.nan).astype(np.float64)
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        raw = values.to_numpy()
        keys = raw.astype("datetime64[us]").astype(np.int64).astype(np.float64)
        keys[np.isnat(raw)] = np.nan
    elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        keys = values.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)  # (a view is read-only)
    else:  # text: the rank of each distinct value, in code-point order as Python compares str
        keys = _text_ranks(values)
    if not ascending:
        keys = -keys
    keys[np.isnan(keys)] = np.inf  # unknown last, either way
    return keys


def _text_ranks(values: pd.Series) -> np.ndarray:
    """Float rank of each value among the distinct ones (NaN where unknown): ``pd.factorize(sort=True)``'s
    codes. Arrow-backed text is ranked by Arrow (UTF-8 bytes sort as code points do): a hash of each
    value, then a sort of the distinct ones only."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        encoded = pc.dictionary_encode(pa.chunked_array(values.array._pa_array)).combine_chunks()
        rank = np.empty(len(encoded.dictionary), dtype=np.float64)
        rank[pc.sort_indices(encoded.dictionary).to_numpy()] = np.arange(len(rank))
        indices = encoded.indices.to_numpy(zero_copy_only=False)  # nulls come back as NaN or a fill
        known = ~encoded.indices.is_null().to_numpy(zero_copy_only=False)
        keys = np.full(len(values), np.nan)
        keys[known] = rank[indices[known].astype(np.intp)]
        return keys
    codes, _ = pd.factorize(values, sort=True, use_na_sentinel=True)
    return np.where(codes >= 0, codes, np.nan).astype(np.float64)


def stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for keys with +inf for unknown, cheaper where it can be: keys
    already in order (the dates of a frame sorted by date) need no sort, and whole numbers spanning
    fewer than 65,535 values (codes, ranks of few distinct texts, counts) sort by radix."""
    if len(keys) < 2 or bool(np.all(keys[1:] >= keys[:-1])):
        return np.arange(len(keys))
    finite = np.isfinite(keys)
    known = keys[finite]
    if len(known):
        low, high = known.min(), known.max()
        if high - low < 65_535 and bool(np.all(known == np.floor(known))):
            small = np.full(len(keys), 65_535, dtype=np.uint16)
            small[finite] = (known - low).astype(np.uint16)
            return np.argsort(small, kind="stable")  # radix sort for 16-bit integers
    return np.argsort(keys, kind="stable")


@dataclass(frozen=True)
class ColumnOrder:
    """A column's stable ascending order (frame positions; unknown values at the end), each row's
    dense rank (unknown: the rank dtype's largest value) and how many values are known."""

    order: np.ndarray
    ranks: np.ndarray
    known: int


def column_order(values: pd.Series) -> ColumnOrder:
    """The stable ascending order of ``values`` (unknown last) and their dense ranks."""
    keys = sort_keys(values, ascending=True)
    small = _small_keys(keys)
    if small is not None:
        return _small_column_order(small)
    order = stable_order(keys)
    order = order.astype(np.int32) if len(order) < 2**31 else order
    known = int(np.isfinite(keys).sum())
    ordered = keys[order[:known]]
    distinct = 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1])) if known else 0
    dtype = next(t for t in (np.int8, np.int16, np.int32, np.int64) if distinct < np.iinfo(t).max)
    ranks = np.full(len(keys), np.iinfo(dtype).max, dtype=dtype)
    if known:
        steps = np.empty(known, dtype=dtype)
        steps[0] = 0
        np.not_equal(ordered[1:], ordered[:-1], out=steps[1:], casting="unsafe")
        ranks[order[:known]] = np.cumsum(steps, dtype=dtype)
    return ColumnOrder(order, ranks, known)


#: :func:`_small_keys`' stand-in for an unknown value (sorts last).
_UNKNOWN_SMALL = 65_535


def _small_keys(keys: np.ndarray) -> np.ndarray | None:
    """``keys`` (+inf unknown) as 16-bit whole numbers from 0 (unknown: :data:`_UNKNOWN_SMALL`), when
    the known keys are whole numbers spanning fewer than 65,535 values (codes, ranks of few distinct
    texts, counts); None otherwise, or when no key is known."""
    finite = np.isfinite(keys)
    known = keys[finite]
    if not len(known):
        return None
    low, high = known.min(), known.max()
    if high - low >= _UNKNOWN_SMALL or not bool(np.all(known == np.floor(known))):
        return None
    small = np.full(len(keys), _UNKNOWN_SMALL, dtype=np.uint16)
    small[finite] = (known - low).astype(np.uint16)
    return small


def _small_column_order(small: np.ndarray) -> ColumnOrder:
    """:func:`column_order` from :func:`_small_keys`: the same stable order (a radix sort), and the
    ranks from a table of the values present instead of gathering the keys in order and scattering
    the ranks back (two passes of random access over the rows, and their arrays)."""
    order = np.argsort(small, kind="stable")
    order = order.astype(np.int32) if len(order) < 2**31 else order
    counts = np.bincount(small, minlength=_UNKNOWN_SMALL + 1)
    present = counts[:_UNKNOWN_SMALL] > 0
    distinct = int(np.count_nonzero(present))
    dtype = next(t for t in (np.int8, np.int16, np.int32, np.int64) if distinct < np.iinfo(t).max)
    table = np.full(_UNKNOWN_SMALL + 1, np.iinfo(dtype).max, dtype=dtype)
    table[:_UNKNOWN_SMALL][present] = np.arange(distinct, dtype=dtype)
    return ColumnOrder(order, table[small], len(small) - int(counts[_UNKNOWN_SMALL]))


def orders_table(frame: pd.DataFrame, columns=SORTED_COLUMNS, known: Mapping[str, ColumnOrder] | None = None):
    """The sort orders of ``frame``'s ``columns`` (those it has) as one Arrow table, to store with its
    cache entry: ``order:<column>`` (int32) and ``rank:<column>``, with the known counts in the schema's
    metadata. An order that is the identity (the dates of a frame sorted by date) is stored too: mapped,
    it costs no memory until a page is walked, where a fresh ``np.arange`` would in every process.
    ``known``: orders of some of the columns already worked out (:func:`column_order`)."""
    import pyarrow as pa

    arrays, names, meta = [], [], {}
    for column in columns:
        if column not in frame:
            continue
        found = known[column] if known and column in known else column_order(frame[column])
        arrays += [pa.array(found.order), pa.array(found.ranks)]
        names += [f"order:{column}", f"rank:{column}"]
        meta[column] = {"known": found.known}
    metadata = {
        "unrest_map_orders": json.dumps({"version": ORDERS_VERSION, "rows": len(frame), "columns": meta})
    }
    return pa.table(arrays, names=names, metadata=metadata)


def read_orders(path: Path, rows: int) -> dict[str, ColumnOrder] | None:
    """The orders stored at ``path`` (Arrow IPC, memory-mapped: nothing is read until a page is
    walked), or None when there are none, they are broken, of another version, or for another
    number of rows."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        table = ipc.open_file(pa.memory_map(str(path), "r")).read_all()
        meta = json.loads((table.schema.metadata or {})[b"unrest_map_orders"])
        if meta["version"] != ORDERS_VERSION or meta["rows"] != rows:
            return None
        found = {}
        for column, info in meta["columns"].items():
            order, ranks = _mapped(table.column(f"order:{column}")), _mapped(table.column(f"rank:{column}"))
            if len(order) != rows or len(ranks) != rows:
                return None
            found[column] = ColumnOrder(order, ranks, int(info["known"]))
        return found
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None


def _mapped(column) -> np.ndarray:
    """A stored column as a read-only NumPy view of the mapped pages (no copy)."""
    if column.num_chunks == 0:
        return np.zeros(0, dtype=column.type.to_pandas_dtype())
    if column.num_chunks > 1:
        column = column.combine_chunks()
        return column.to_numpy(zero_copy_only=False)
    return column.chunk(0).to_numpy(zero_copy_only=True)
