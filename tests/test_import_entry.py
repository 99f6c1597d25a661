"""The import to cache, made cheaper: odd coordinates are checked and converted as the careful reader
does, combinations of coded columns are numbered from their codes as from their values, sort orders of
few distinct values are those of the general way, and the entry's two halves come back as the frame
that was written."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from geodata import cache
from geodata.dataset import load_dataset
from geodata.distinct import distinct_rows
from geodata.importers import import_events, read_events
from geodata.sortorders import ColumnOrder, column_order, sort_keys, stable_order

ACLED = Path(__file__).parent / "data" / "acled_sample.csv"


def test_odd_coordinates_give_the_same_records_and_reports(tmp_path):
    """Repeated, padded, comma-grouped, non-plain, empty, unreadable and out-of-range coordinates:
    the import to cache gives read_events' records and problems."""
    lines = ACLED.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    latitudes = ["42.6629", "42.6629", " 42.6629", "42.66290", "4,2.5", "42.5e0", "", "abc", "91", "-0.0"]
    longitudes = ["21.1655", "21.1655 ", "21.2", "1,021.5", "inf", "181", "-179.99", "21", "nan", "21.1655"]
    rows = []
    for i in range(300):
        cells = lines[1 + i % (len(lines) - 1)].split(",")
        cells[header.index("latitude")] = latitudes[i % len(latitudes)]
        cells[header.index("longitude")] = longitudes[(i * 3) % len(longitudes)]
        cells[header.index("event_id_cnty")] = f"XKX{i}"
        rows.append(",".join(f'"{c}"' if "," in c else c for c in cells))
    path = tmp_path / "acled_coordinates.csv"
    path.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    result, file_format, own = import_events(path)
    expected, _ = read_events(path)
    assert file_format == "acled" and own is not None
    assert any(p.field == "latitude" for p in result.problems)
    assert any(p.field == "longitude" for p in result.problems)
    assert 0 < len(result.records) < 300
    originals = [c for c in expected.records.columns if c.startswith("src_")]
    pd.testing.assert_frame_equal(result.records, expected.records.drop(columns=originals), check_exact=True)
    assert result.problems == expected.problems and result.rows_read == expected.rows_read


def test_the_entrys_two_halves_come_back_as_the_frame(cache_dir, boundaries_dir, tmp_path):
    copy = tmp_path / "acled.csv"
    shutil.copy(ACLED, copy)
    first = load_dataset(copy, strict=False)
    key = next(cache_dir.glob("*.json")).stem
    halves = cache._core_paths(key)
    assert all(half.is_file() for half in halves)
    second = load_dataset(copy, strict=False)
    assert second.from_cache
    pd.testing.assert_frame_equal(first.incidents, second.incidents)  # column order and dtypes too
    halves[1].unlink()  # half an entry is no entry: it is written afresh
    third = load_dataset(copy, strict=False)
    assert not third.from_cache and halves[1].is_file()
    pd.testing.assert_frame_equal(first.incidents, third.incidents)


def test_combinations_of_coded_columns_are_numbered_as_their_values_are():
    """Categorical columns (missing values and unused categories too) give the rows and numbers their
    values as plain objects give: each combination's first row, numbered in order of appearance."""
    rng = np.random.default_rng(5)
    for rows in (0, 1, 7, 5_000):
        dates = pd.Series(pd.Categorical(rng.choice(["2008-02-19", "2008-03-17", None], rows)))
        codes = pd.Series(
            pd.Categorical(rng.choice(["3", "1", "2"], rows), categories=["1", "2", "3", "unused"])
        )
        sides = pd.Series(pd.Categorical(rng.choice([f"side {i}" for i in range(40)], rows)))
        for columns in [(dates, codes), (codes, sides, dates)]:
            coded = distinct_rows(*columns)
            plain = distinct_rows(*(column.astype(object) for column in columns))
            assert coded[0].tolist() == plain[0].tolist() and coded[1].tolist() == plain[1].tolist()


def _general_order(values: pd.Series) -> ColumnOrder:
    """:func:`column_order` the general way: the keys gathered in order, the ranks scattered back."""
    keys = sort_keys(values, ascending=True)
    order = stable_order(keys).astype(np.int32)
    known = int(np.isfinite(keys).sum())
    ordered = keys[order[:known]]
    distinct = 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1])) if known else 0
    dtype = next(t for t in (np.int8, np.int16, np.int32, np.int64) if distinct < np.iinfo(t).max)
    ranks = np.full(len(keys), np.iinfo(dtype).max, dtype=dtype)
    if known:
        steps = np.r_[0, ordered[1:] != ordered[:-1]].astype(dtype)
        ranks[order[:known]] = np.cumsum(steps, dtype=dtype)
    return ColumnOrder(order, ranks, known)


def test_orders_of_few_distinct_values_are_the_general_ways():
    rng = np.random.default_rng(2)
    rows = 20_000
    cases = [
        pd.Series(pd.Categorical(rng.choice(["b", "a", None], rows), categories=["c", "b", "a", "z"])),
        pd.Series(pd.array(np.where(rng.random(rows) < 0.2, None, rng.integers(-5, 300, rows)), "Int64")),
        pd.Series(rng.choice(["Prizren", "Peja", "", "Ćirilica"], rows)).astype("string"),
        pd.Series(np.r_[0.0, 65_534.0, rng.integers(0, 65_534, rows)]),  # the widest span taken this way
        pd.Series(rng.permutation(rows).astype(float) % 300),
        pd.Series([3.0]),
    ]
    for values in cases:
        general, found = _general_order(values), column_order(values)
        assert found.known == general.known and found.order.dtype == general.order.dtype
        assert found.order.tolist() == general.order.tolist()
        assert found.ranks.dtype == general.ranks.dtype and found.ranks.tolist() == general.ranks.tolist()
