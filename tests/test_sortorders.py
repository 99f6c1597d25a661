"""The table's sort orders stored with the cache entry: equal to a fresh stable sort, mapped back
whole, and not needed (an entry without them, or with broken ones, still loads and sorts)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.table import SortOrders
from dashboard.table import table_page as page_by_selection
from dashboard.view import TABLE_SORT_COLUMNS, table_page
from geodata.cache import _write_atomically
from geodata.dataset import load_dataset
from geodata.names import LANGUAGES, PLACE_COLUMNS
from geodata.sortorders import SORTED_COLUMNS, orders_table, read_orders, sort_keys

ACLED = Path(__file__).parent / "data" / "acled_sample.csv"
COLUMNS = {name: name for name in ("date", "kind", "place", "count", "share", "text", "empty")}


@pytest.fixture(scope="module")
def frame():
    """Every kind of column the table sorts, with unknown values and many ties."""
    rng = np.random.default_rng(11)
    n = 4_000
    dates = pd.Timestamp("2008-01-01") + pd.to_timedelta(rng.integers(0, 30, n), unit="D")
    counts = pd.array(rng.integers(0, 5, n), dtype="Int64")
    counts[rng.random(n) < 0.25] = pd.NA
    share = rng.normal(size=n).round(1)
    share[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "date": pd.Series(dates).where(rng.random(n) > 0.05),
            "kind": pd.Categorical(rng.choice(["b", "a", "c", None], n), categories=["c", "a", "b", "d"]),
            "place": pd.Series(rng.choice(["Peja", "Ärz", "peja", "", "Z", None], n), dtype="str"),
            "count": counts,
            "share": share,
            "text": pd.Series(rng.choice(["x", "é", None, "xx"], n), dtype="string[pyarrow]"),
            "empty": pd.Series([None] * n, dtype="string"),
        }
    )


@pytest.fixture(scope="module")
def stored(frame, tmp_path_factory):
    """The frame's orders written as a cache entry writes them, and mapped back."""
    path = tmp_path_factory.mktemp("orders") / "entry.orders.feather"
    _write_atomically(orders_table(frame, list(COLUMNS)), path)
    found = read_orders(path, len(frame))
    assert found is not None and set(found) == set(COLUMNS)
    return found


@pytest.mark.parametrize("column", list(COLUMNS))
def test_stored_order_is_a_fresh_stable_sort(frame, stored, column):
    kept = stored[column]
    expected = np.argsort(sort_keys(frame[column], ascending=True), kind="stable")
    assert kept.order.tolist() == expected.tolist()
    assert kept.known == int(frame[column].notna().sum())
    # Equal values share a rank, ranks rise along the order, unknown values rank last.
    keys = pd.Series(sort_keys(frame[column], ascending=True))
    known = frame[column].notna().to_numpy()
    dense = keys.where(known).rank(method="dense").to_numpy()
    assert (kept.ranks[known] == dense[known] - 1).all()
    assert (kept.ranks[~known] == np.iinfo(kept.ranks.dtype).max).all()
    assert not kept.order.flags.writeable and not kept.ranks.flags.writeable  # views of the mapped file


def _reference(frame, rows, page, column, ascending, size=50):
    values = frame[column].take(rows).reset_index(drop=True)
    ranked = values.sort_values(ascending=ascending, kind="stable", na_position="last")
    order = rows[ranked.index.to_numpy()]
    first = min(max(page, 0), max(0, (len(rows) - 1) // size)) * size
    return order[first : first + size]


@pytest.mark.parametrize("column", list(COLUMNS))
@pytest.mark.parametrize("ascending", [True, False])
@pytest.mark.parametrize("share", [1.0, 0.3, 0.005])
def test_pages_from_stored_orders_equal_a_full_stable_sort(frame, stored, column, ascending, share):
    orders = SortOrders(frame, stored)
    assert orders.of(column) is stored[column]  # used, not computed again
    rows = np.flatnonzero(np.random.default_rng(3).random(len(frame)) < share)
    sort_by = [{"column_id": column, "direction": "asc" if ascending else "desc"}]
    for page in (0, 1, 9, 10_000):
        got = page_by_selection(frame, rows, page, sort_by, COLUMNS, orders=orders)
        assert got.tolist() == _reference(frame, rows, page, column, ascending).tolist(), page


def test_orders_of_another_length_or_version_are_not_used(frame, tmp_path):
    path = tmp_path / "entry.orders.feather"
    _write_atomically(orders_table(frame, ["count"]), path)
    assert read_orders(path, len(frame) - 1) is None
    table = orders_table(frame, ["count"])
    meta = table.schema.metadata[b"unrest_map_orders"].replace(b'"version": 1', b'"version": 999')
    _write_atomically(table.replace_schema_metadata({b"unrest_map_orders": meta}), path)
    assert read_orders(path, len(frame)) is None
    path.write_bytes(b"not an Arrow file")
    assert read_orders(path, len(frame)) is None


def test_every_sortable_column_is_stored():
    assert set(TABLE_SORT_COLUMNS.values()) | set(PLACE_COLUMNS.values()) <= set(SORTED_COLUMNS)


def _pages(dataset, orders, rows):
    """Every sortable column's first pages, both ways, in every language."""
    return [
        table_page(
            dataset.incidents, rows, page, [{"column_id": column, "direction": way}], lang, orders
        ).tolist()
        for column in TABLE_SORT_COLUMNS
        for way in ("asc", "desc")
        for lang in LANGUAGES
        for page in (0, 1)
    ]


def test_import_stores_the_orders_and_an_entry_without_them_still_loads(cache_dir, boundaries_dir, tmp_path):
    copy = tmp_path / "acled.csv"
    shutil.copy(ACLED, copy)
    first = load_dataset(copy, strict=False)
    assert not first.from_cache and first.sort_orders is not None
    second = load_dataset(copy, strict=False)
    assert second.from_cache and set(second.sort_orders) == set(SORTED_COLUMNS) & set(second.incidents)
    rows = np.arange(len(second.incidents))
    fresh = _pages(second, None, rows)  # each page ranked afresh, no kept order
    assert _pages(second, SortOrders(second.incidents, second.sort_orders), rows) == fresh
    some = rows[::3]
    assert _pages(second, SortOrders(second.incidents, second.sort_orders), some) == _pages(
        second, None, some
    )
    # An entry without its orders (written before they were stored, or lost): loaded as it is,
    # each column ordered on its first sort.
    (orders_file,) = cache_dir.glob("*.orders.feather")
    orders_file.unlink()
    third = load_dataset(copy, strict=False)
    assert third.from_cache and third.sort_orders is None
    assert _pages(third, SortOrders(third.incidents, third.sort_orders), rows) == fresh
    # Broken orders are not trusted either.
    orders_file.write_bytes(b"\0" * 100)
    fourth = load_dataset(copy, strict=False)
    assert fourth.from_cache and fourth.sort_orders is None


def test_municipality_order_per_language_equals_a_fresh_sort(boundaries_dir):
    """The municipality column sorts by its names in each language: regrouped from the kept order by
    category, the same pages as sorting the renamed column afresh."""
    dataset = load_dataset()
    incidents = dataset.incidents
    assert incidents["municipality"].notna().any() and incidents["municipality"].isna().any()
    orders = SortOrders(incidents)
    for share in (1.0, 0.4):
        rows = np.flatnonzero(np.random.default_rng(5).random(len(incidents)) < share)
        for lang in LANGUAGES:
            for way in ("asc", "desc"):
                for page in (0, 1, 2):
                    sort_by = [{"column_id": "municipality", "direction": way}]
                    kept = table_page(incidents, rows, page, sort_by, lang, orders)
                    fresh = table_page(incidents, rows, page, sort_by, lang, None)
                    assert kept.tolist() == fresh.tolist(), (lang, way, page)


def test_an_import_never_fails_for_its_orders(cache_dir, boundaries_dir, tmp_path, monkeypatch):
    """Orders are a help, never a reason for an import to fail: when they cannot be made, the entry
    is written without them and the table sorts on demand."""
    import geodata.sortorders

    def cannot(frame):
        raise ValueError("a column no key ranks")

    monkeypatch.setattr(geodata.sortorders, "orders_table", cannot)
    copy = tmp_path / "acled.csv"
    shutil.copy(ACLED, copy)
    first = load_dataset(copy, strict=False)
    assert not first.from_cache and first.sort_orders is None
    assert not list(cache_dir.glob("*.orders.feather")) and not list(cache_dir.glob("*.partial"))
    again = load_dataset(copy, strict=False)
    assert again.from_cache and again.sort_orders is None
    pd.testing.assert_frame_equal(first.incidents, again.incidents)
