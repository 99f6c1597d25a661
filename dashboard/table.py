"""The incident table's page: positions of the rows shown, sorted as asked, in time independent of
how many rows are in view.

Sorting a million rows to show fifty costs most of a second; here each column becomes one
integer or float key per row (dates as integers, categories by their order, text by
the rank of its distinct values, unknown values last), the first rows up to the page are found
by selection (``np.partition``, linear), and only those are sorted. The answer is exactly that
of a stable sort of the rows in view with unknown values last, ascending or descending.
"""

from __future__ import annotations

import bisect

import numpy as np
import pandas as pd

#: Rows per table page.
PAGE_SIZE = 50


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
        keys = values.to_numpy(dtype=np.float64, na_value=np.nan)
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


def first_in_order(keys: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` smallest keys, in stable order (ties by index), without sorting them all."""
    if count >= len(keys):
        return np.argsort(keys, kind="stable")
    if count <= 0:
        return np.zeros(0, dtype=np.intp)
    threshold = np.partition(keys, count - 1)[count - 1]
    below = np.flatnonzero(keys < threshold)
    below = below[np.argsort(keys[below], kind="stable")]  # fewer than count of them
    at = np.flatnonzero(keys == threshold)[: count - len(below)]  # ties: lowest indices first
    return np.concatenate([below, at])


class SortOrders:
    """The stable ascending order of every row of a frame, per column: computed on the column's first
    sort (one stable argsort of its keys, :func:`sort_keys`) and kept, so later pages and sorts of
    any rows in view walk it instead of sorting (about a millisecond at five million rows).

    One per app (see :class:`dashboard.view.ViewContext`); the frame is never modified, so an order,
    once computed, stays right. Two threads computing the same column at once both get the same answer.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._orders: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}

    def of(self, column: str) -> tuple[np.ndarray, np.ndarray, int]:
        """(order, keys, how many keys are known): unknown keys are +inf, at the order's end."""
        found = self._orders.get(column)
        if found is None:
            keys = sort_keys(self._frame[column], ascending=True)
            order = stable_order(keys)
            order = order.astype(np.int32) if len(order) < 2**31 else order
            found = (order, keys, int(np.isfinite(keys).sum()))
            self._orders[column] = found
        return found


def _in_view(order: np.ndarray, inside: np.ndarray | None, start: int, stop: int, count: int, step: int):
    """Up to ``count`` entries of ``order[start:stop]`` (walked backwards when ``step`` is -1) that are
    ``inside``, in walking order; read in growing chunks, so a page near the start costs little."""
    found: list[np.ndarray] = []
    total, size = 0, max(4096, 4 * count)
    position = start if step == 1 else stop
    while total < count and (position < stop if step == 1 else position > start):
        if step == 1:
            chunk = order[position : min(stop, position + size)]
            position += size
        else:
            chunk = order[max(start, position - size) : position][::-1]
            position -= size
        hits = chunk if inside is None else chunk[inside[chunk]]
        found.append(hits)
        total += len(hits)
        size *= 2
    return np.concatenate(found)[:count] if found else np.zeros(0, dtype=order.dtype)


def first_by_order(
    orders: SortOrders, column: str, rows: np.ndarray, length: int, count: int, ascending: bool
) -> np.ndarray:
    """The first ``count`` of ``rows`` (frame positions, ascending) in a stable sort by ``column``,
    unknown values last, from the column's kept order: the same rows as :func:`first_in_order`.

    Descending walks the order from its known end; the rows tied with the last one taken are then
    taken from their run in the ascending order, which lists ties by position, as a stable sort does.
    """
    order, keys, known = orders.of(column)
    inside = None
    if len(rows) < length:
        inside = np.zeros(length, dtype=bool)
        inside[rows] = True
    if ascending:
        return _in_view(order, inside, 0, length, count, 1).astype(np.intp)
    taken = _in_view(order, inside, 0, known, count, -1)
    if len(taken) < count:  # every known one in view, then unknown ones by position
        taken = taken[np.lexsort((taken, -keys[taken]))]
        rest = _in_view(order, inside, known, length, count - len(taken), 1)
        return np.concatenate([taken, rest]).astype(np.intp)
    last = keys[taken[-1]]
    above = taken[keys[taken] > last]
    above = above[np.lexsort((above, -keys[above]))]
    low = bisect.bisect_left(order, last, 0, known, key=lambda i: keys[i])
    high = bisect.bisect_right(order, last, low, known, key=lambda i: keys[i])
    ties = _in_view(order, inside, low, high, count - len(above), 1)
    return np.concatenate([above, ties]).astype(np.intp)


def table_page(
    incidents: pd.DataFrame,
    rows: np.ndarray,
    page: int | None,
    sort_by: list[dict] | None,
    sort_columns: dict[str, str],
    page_size: int = PAGE_SIZE,
    orders: SortOrders | None = None,
) -> np.ndarray:
    """Positions of the table's current page: ``rows`` sorted as asked (unknown values last),
    then the page's slice (a page past the end shows the last one).

    ``rows`` are frame positions in ascending order. With ``orders`` (kept for ``incidents``) a
    sort walks the column's kept order; without, the rows in view are ranked afresh.
    """
    last_page = max(0, (len(rows) - 1) // page_size)
    first = min(max(int(page or 0), 0), last_page) * page_size
    sort = (sort_by or [{}])[0]
    column = sort.get("column_id")
    column = sort_columns.get(column) if isinstance(column, str) else None
    if column is None:
        return rows[first : first + page_size]
    ascending = sort.get("direction") != "desc"
    if orders is not None:
        chosen = first_by_order(orders, column, rows, len(incidents), first + page_size, ascending)
        return chosen[first : first + page_size]
    keys = sort_keys(incidents[column].take(rows), ascending=ascending)
    if first + page_size > len(rows) // 2:  # deep pages: from the other end costs the same
        order = np.argsort(keys, kind="stable")
    else:
        order = first_in_order(keys, first + page_size)
    return rows[order[first : first + page_size]]
