"""Elementwise work done once per distinct value: an import's dates, codes, counts, names and
texts repeat (thousands of distinct values in a million rows)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

#: Rows looked at first by :func:`mostly_repeated`.
SAMPLE_ROWS = 10_000


def distinct_rows(*columns: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(a row standing for each distinct combination of the columns' values, each row's combination).

    The standing row is the combination's first; combinations are numbered in the order they first
    appear.
    """
    coded = _coded_rows(columns)
    if coded is not None:
        return coded
    if len(columns) == 1:  # one column's codes number its values already: no key to factorize
        which, uniques = pd.factorize(columns[0], use_na_sentinel=False)
        count = len(uniques)
    else:
        key = np.zeros(len(columns[0]), dtype=np.int64)
        for column in columns:
            codes, uniques = pd.factorize(column, use_na_sentinel=False)
            key = key * (len(uniques) + 1) + codes
            if len(column) and key.max() > 1 << 40:  # keep the product of cardinalities far from overflow
                key = pd.factorize(key)[0].astype(np.int64)
        which, uniques = pd.factorize(key)
        count = len(uniques)
    first = np.zeros(count, dtype=np.int64)
    first[which[::-1]] = np.arange(len(which))[::-1]
    return first, which


def _coded_rows(columns: tuple[pd.Series, ...]) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`distinct_rows` of two or more categorical columns with few combinations of categories,
    from their codes by arithmetic and a table (hashing a million keys after factorizing each column
    took 40-70 ms a call at a million rows; one column's codes are factorized faster than this);
    None for any other columns."""
    if len(columns) < 2 or not all(isinstance(column.dtype, pd.CategoricalDtype) for column in columns):
        return None
    rows = len(columns[0])
    size = 1
    for column in columns:
        size *= len(column.cat.categories) + 1  # code -1 (a missing value) is a value too
    if size > max(rows, 1 << 16):
        return None  # the table would outweigh the rows
    key = np.zeros(rows, dtype=np.int64)
    for column in columns:
        key *= len(column.cat.categories) + 1
        key += column.cat.codes.to_numpy() + 1
    first_of = np.full(size, rows, dtype=np.int64)
    first_of[key[::-1]] = np.arange(rows)[::-1]  # the last write wins: each key's first row
    present = np.flatnonzero(first_of < rows)
    present = present[np.argsort(first_of[present], kind="stable")]  # in order of first appearance
    number = np.empty(size, dtype=np.int64)
    number[present] = np.arange(len(present))
    return first_of[present], number[key]


def per_distinct(compute: Callable, *columns: pd.Series):
    """``compute(*columns)`` for an elementwise ``compute`` (returning one Series or a tuple of
    them, each row's value depending on that row's values only), worked out once per distinct
    combination of values and spread to every row: the same result, without the per-row work.

    A categorical column (text an import read as codes) is numbered by its codes and handed to
    ``compute`` as the text itself, in its categories' dtype.
    """
    first, which = distinct_rows(*columns)
    if len(first) > len(which) // 2:  # mostly distinct: nothing to save
        return compute(*(_values(column) for column in columns))
    results = compute(*(_values(column.iloc[first]) for column in columns))
    index = columns[0].index

    def spread(few: pd.Series) -> pd.Series:
        return pd.Series(few.array.take(which), index=index, name=few.name)

    return tuple(spread(r) for r in results) if isinstance(results, tuple) else spread(results)


def _values(column: pd.Series) -> pd.Series:
    """A categorical column as its values (in the categories' dtype); any other as it is."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.astype(column.cat.categories.dtype)
    return column


def mostly_repeated(*columns: pd.Series) -> bool:
    """Whether the first :data:`SAMPLE_ROWS` rows repeat their combinations of values enough for
    :func:`per_distinct` to pay (free text, like an export's notes, mostly does not)."""
    if len(columns[0]) < 2 * SAMPLE_ROWS:
        return False
    first, _ = distinct_rows(*(column.iloc[:SAMPLE_ROWS] for column in columns))
    return len(first) <= SAMPLE_ROWS // 4
