"""The table page by selection gives exactly the page of a full stable sort."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.table import SortOrders, stable_order, table_page

COLUMNS = {"date": "date", "kind": "kind", "place": "place", "count": "count", "text": "text"}


def _reference(frame: pd.DataFrame, rows, page, column, ascending, size=50):
    values = frame[COLUMNS[column]].take(rows).reset_index(drop=True)
    ranked = values.sort_values(ascending=ascending, kind="stable", na_position="last")
    order = rows[ranked.index.to_numpy()]
    last_page = max(0, (len(rows) - 1) // size)
    first = min(max(page, 0), last_page) * size
    return order[first : first + size]


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(7)
    n = 5_000
    dates = pd.Timestamp("2008-01-01") + pd.to_timedelta(rng.integers(0, 40, n), unit="D")
    dates = pd.Series(dates).where(rng.random(n) > 0.02)  # some unknown
    counts = pd.array(rng.integers(0, 4, n), dtype="Int64")
    counts[rng.random(n) < 0.2] = pd.NA
    kinds = pd.Categorical(
        rng.choice(["town", "city", "region", None], n), categories=["town", "region", "city"]
    )
    places = pd.Series(rng.choice(["Peja", "Gjilan", "Ärz", "peja", "", "Z"], n), dtype="str")
    text = pd.Series(rng.choice(["a", "b", "é", None, "aa"], n), dtype="string")
    return pd.DataFrame({"date": dates, "kind": kinds, "place": places, "count": counts, "text": text})


@pytest.mark.parametrize("column", list(COLUMNS))
@pytest.mark.parametrize("ascending", [True, False])
@pytest.mark.parametrize("kept", [False, True], ids=["ranked", "kept-order"])
@pytest.mark.parametrize("share", [0.7, 0.01, 1.0])
def test_pages_equal_a_full_stable_sort(frame, column, ascending, kept, share):
    rows = np.flatnonzero(np.random.default_rng(1).random(len(frame)) < share)
    sort_by = [{"column_id": column, "direction": "asc" if ascending else "desc"}]
    orders = SortOrders(frame) if kept else None
    for page in (0, 1, 7, 30, 10_000):
        expected = _reference(frame, rows, page, column, ascending)
        got = table_page(frame, rows, page, sort_by, COLUMNS, orders=orders)
        assert got.tolist() == expected.tolist(), (column, page)


def test_kept_order_is_computed_once_per_column(frame):
    orders = SortOrders(frame)
    first = orders.of("count")
    assert orders.of("count") is first
    order, ranks, known = first.order, first.ranks, first.known
    assert known == int(frame["count"].notna().sum())
    unknown = np.iinfo(ranks.dtype).max  # unknown values rank last
    assert np.all(np.diff(ranks[order][:known]) >= 0) and np.all(ranks[order][known:] == unknown)


def test_unsorted_and_empty(frame):
    rows = np.arange(120)
    assert table_page(frame, rows, 2, None, COLUMNS).tolist() == list(range(100, 120))
    assert table_page(frame, rows[:0], 0, [{"column_id": "date"}], COLUMNS).tolist() == []
    orders = SortOrders(frame)
    assert table_page(frame, rows[:0], 0, [{"column_id": "date"}], COLUMNS, orders=orders).tolist() == []
    assert (
        table_page(
            frame, rows[:0], 0, [{"column_id": "date", "direction": "desc"}], COLUMNS, orders=orders
        ).tolist()
        == []
    )


@pytest.mark.parametrize(
    "keys",
    [
        np.array([3.0, 1.0, np.inf, 1.0, 2.0, np.inf, 0.0]),  # small whole numbers: radix
        np.array([0.5, 0.25, np.inf, 0.25, 1e9]),  # fractions and a wide range
        np.array([1.0, 1.0, 2.0, 5.0, np.inf, np.inf]),  # already in order
        np.array([np.inf, np.inf]),
        np.array([1e15, 3.0, 1e15 + 1, 3.0]),
    ],
)
def test_stable_order_is_a_stable_argsort(keys):
    assert stable_order(keys).tolist() == np.argsort(keys, kind="stable").tolist()


def test_text_ranks_follow_code_points_with_unknown_last():
    values = pd.Series(["b", None, "Ä", "a", "B", "b", "ä", ""], dtype="str")
    sort_by = [{"column_id": "text", "direction": "asc"}]
    frame = pd.DataFrame({"text": values})
    page = table_page(frame, np.arange(len(frame)), 0, sort_by, {"text": "text"}, orders=SortOrders(frame))
    assert frame["text"].take(page).tolist()[:-1] == sorted(v for v in values if isinstance(v, str))
