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
from collections.abc import Mapping

import numpy as np
import pandas as pd

# (stable_order is imported from here too)
from geodata.sortorders import ColumnOrder, column_order, sort_keys, stable_order  # noqa: F401

#: Rows per table page.
PAGE_SIZE = 50


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
    """The stable ascending order of every row of a frame, per column (with each row's dense rank,
    :class:`~geodata.sortorders.ColumnOrder`), so pages and sorts of any rows in view walk it
    instead of sorting (about a millisecond at five million rows).

    ``stored``: the orders kept with the dataset's cache entry (memory-mapped, computed at import);
    a column without one is ordered on its first sort (0.1-0.5 CPU-s at five million rows) and kept.
    One per app (see :class:`dashboard.view.ViewContext`); the frame is never modified, so an order,
    once computed, stays right. Two threads computing the same column at once both get the same answer.
    """

    def __init__(self, frame: pd.DataFrame, stored: Mapping[str, ColumnOrder] | None = None) -> None:
        self._frame = frame
        self._orders: dict[object, ColumnOrder] = {
            column: found for column, found in (stored or {}).items() if len(found.order) == len(frame)
        }

    def of(self, column: str, categories: np.ndarray | None = None) -> ColumnOrder:
        """The order of ``column``; with ``categories`` (a categorical column's categories ranked
        afresh: the new place of each code, all different), the order by those ranks instead."""
        name = column if categories is None else (column, categories.tobytes())
        found = self._orders.get(name)
        if found is None:
            if categories is None:
                found = column_order(self._frame[column])
            else:
                found = regrouped(self.of(column), self._frame[column].cat.codes.to_numpy(), categories)
            self._orders[name] = found
        return found


def regrouped(by_code: ColumnOrder, codes: np.ndarray, categories: np.ndarray) -> ColumnOrder:
    """The stable order by the categories' new ranks ``categories``, from the order by code: the runs
    of equal codes, each in position order already, put in the new order of their categories (one
    copy of the order; no sort and no other pass over the rows: each run's start is found by binary
    search, and the rows' ranks are looked up through their codes only where a page asks)."""
    order, known = by_code.order, by_code.known
    starts = [
        bisect.bisect_left(order, code, 0, known, key=lambda i: codes[i]) for code in range(len(categories))
    ]
    starts.append(known)
    new_order = np.argsort(categories, kind="stable")
    runs = [order[starts[code] : starts[code + 1]] for code in new_order]
    regrouped_order = np.concatenate([*runs, order[known:]]).astype(order.dtype, copy=False)
    present = np.array([len(run) > 0 for run in runs], dtype=bool)
    dense = np.full(len(categories) + 1, np.iinfo(np.int32).max, dtype=np.int32)
    dense[new_order[present]] = np.arange(int(present.sum()))
    return ColumnOrder(regrouped_order, CodeRanks(codes, dense), known)


class CodeRanks:
    """Each row's rank as ``table[codes[row]]``, looked up when asked (code -1, unknown, takes the
    table's last entry, the largest): what :func:`first_by_order` reads of a regrouped order's ranks."""

    def __init__(self, codes: np.ndarray, table: np.ndarray) -> None:
        self.codes, self.table = codes, table

    def __getitem__(self, rows):
        return self.table[self.codes[rows]]

    def __len__(self) -> int:
        return len(self.codes)


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
    found: ColumnOrder, rows: np.ndarray, length: int, count: int, ascending: bool
) -> np.ndarray:
    """The first ``count`` of ``rows`` (frame positions, ascending) in a stable sort by a column,
    unknown values last, from the column's kept order: the same rows as :func:`first_in_order`.

    Descending walks the order from its known end; the rows tied with the last one taken are then
    taken from their run in the ascending order, which lists ties by position, as a stable sort does.
    """
    order, keys, known = found.order, found.ranks, found.known
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
    categories: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Positions of the table's current page: ``rows`` sorted as asked (unknown values last),
    then the page's slice (a page past the end shows the last one).

    ``rows`` are frame positions in ascending order. With ``orders`` (kept for ``incidents``) a
    sort walks the column's kept order; without, the rows in view are ranked afresh.
    ``categories``: per categorical frame column, its categories ranked afresh (see
    :meth:`SortOrders.of`; only with ``orders``).
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
        found = orders.of(column, (categories or {}).get(column))
        chosen = first_by_order(found, rows, len(incidents), first + page_size, ascending)
        return chosen[first : first + page_size]
    keys = sort_keys(incidents[column].take(rows), ascending=ascending)
    if first + page_size > len(rows) // 2:  # deep pages: from the other end costs the same
        order = np.argsort(keys, kind="stable")
    else:
        order = first_in_order(keys, first + page_size)
    return rows[order[first : first + page_size]]
