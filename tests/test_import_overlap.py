"""The import's steps run side by side (the originals written while the rows are checked, the columns
sorted by two threads) give what the same steps give one after the other; a search text that repeats
is stored once per distinct text and searches the same."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.scale import generate
from geodata import cache
from geodata.boundaries import load_kosovo_boundaries
from geodata.dataset import _join, load_dataset
from geodata.filters import ViewFilter, apply_filter, search_text
from geodata.importers import read_events
from geodata.join import DEFAULT_SNAP_TOLERANCE_M
from geodata.sortorders import SORTED_COLUMNS, column_order

ACLED = Path(__file__).parent / "data" / "acled_sample.csv"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, boundaries_dir) -> Path:
    """3,000 events, every row accepted, many on the same day (so the id decides their order)."""
    path = tmp_path_factory.mktemp("synthetic") / "events.csv"
    generate(path, 3_000)
    return path


def _originals_calls(monkeypatch) -> list:
    calls: list = []
    real = cache.store_originals

    def spy(key, originals, wanted=None):
        future = real(key, originals, wanted)
        calls.append((wanted, future))
        return future

    monkeypatch.setattr(cache, "store_originals", spy)
    return calls


def _expected_originals(path: Path) -> pd.DataFrame:
    records = read_events(path)[0].records
    return records[["id", *(c for c in records.columns if c.startswith("src_"))]].reset_index(drop=True)


def test_originals_written_while_checking_are_the_entrys_when_every_row_is_accepted(
    cache_dir, synthetic, monkeypatch
):
    calls = _originals_calls(monkeypatch)
    dataset = load_dataset(synthetic, strict=False)
    assert not dataset.read.problems
    [(wanted, written)] = calls  # written once, before the checks, and kept
    assert wanted is not None and wanted.result() and written.result() == dataset.originals_path
    stored = pd.read_parquet(dataset.originals_path)
    pd.testing.assert_frame_equal(stored, _expected_originals(synthetic), check_exact=True)
    assert not any(pa.types.is_dictionary(t) for t in pq.read_table(dataset.originals_path).schema.types)
    assert not list(cache_dir.rglob("*.partial"))


def test_originals_written_while_checking_are_dropped_when_rows_are_rejected(
    cache_dir, boundaries_dir, tmp_path, monkeypatch
):
    copy = tmp_path / "acled.csv"
    shutil.copy(ACLED, copy)
    calls = _originals_calls(monkeypatch)
    dataset = load_dataset(copy, strict=False)
    assert dataset.read.problems
    [(wanted, every_row), (after, accepted)] = calls
    assert every_row.done()  # no thread left writing when the load returns
    assert not wanted.result() and every_row.result() is None  # every row's file was never put in place
    assert after is None and accepted.result() == dataset.originals_path
    stored = pd.read_parquet(dataset.originals_path)
    pd.testing.assert_frame_equal(stored, _expected_originals(copy), check_exact=True)
    assert set(stored["id"]) == set(dataset.incidents["id"])
    assert not list(cache_dir.rglob("*.partial"))
    assert load_dataset(copy, strict=False).from_cache


def test_no_originals_are_written_early_when_a_row_has_no_id(
    cache_dir, boundaries_dir, tmp_path, monkeypatch
):
    """A row without an id gets a made-up one in the checks: its originals are written after them."""
    lines = ACLED.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("event_id_cnty")] = ""
    path = tmp_path / "acled_no_id.csv"
    path.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    calls = _originals_calls(monkeypatch)
    dataset = load_dataset(path, strict=False)
    assert [wanted for wanted, _ in calls] == [None]
    stored = pd.read_parquet(dataset.originals_path)
    pd.testing.assert_frame_equal(stored, _expected_originals(path), check_exact=True)
    assert "row-2" in set(stored["id"])


@pytest.mark.parametrize("which", ["synthetic", "sample"])
def test_columns_sorted_by_two_threads_equal_one_sort(which, synthetic, boundaries_dir):
    path = synthetic if which == "synthetic" else ACLED
    records = read_events(path)[0].records
    records = records.drop(columns=[c for c in records.columns if c.startswith("src_")])
    boundaries = load_kosovo_boundaries(boundaries_dir)
    one_after_the_other = _join(records.copy(deep=True), boundaries, DEFAULT_SNAP_TOLERANCE_M)
    side_by_side = _join(records.copy(deep=True), boundaries, DEFAULT_SNAP_TOLERANCE_M, owned=True)
    pd.testing.assert_frame_equal(side_by_side, one_after_the_other, check_exact=True)
    assert side_by_side["date_start"].is_monotonic_increasing and "search_text" in side_by_side


@pytest.fixture(scope="module")
def repeated(tmp_path_factory, boundaries_dir) -> Path:
    """25,000 synthetic events: their descriptions and actors repeat a few combinations."""
    path = tmp_path_factory.mktemp("repeated") / "events.csv"
    generate(path, 25_000)
    return path


def _searches(frame: pd.DataFrame) -> list[list[str]]:
    queries = ["kfor", "PROTESTERS (kosovo)", "synthetic event", "police | kfor", "no such words", "ç"]
    return [sorted(apply_filter(frame, ViewFilter(text=q))["id"]) for q in queries]


def test_repeated_search_text_is_stored_once_per_distinct_text(cache_dir, repeated):
    first = load_dataset(repeated, strict=False)
    text = first.incidents["search_text"]
    assert isinstance(text.dtype, pd.CategoricalDtype) and len(text.cat.categories) < 100
    plain = search_text(first.incidents)  # folded row by row
    assert not isinstance(plain.dtype, pd.CategoricalDtype)
    assert (text.astype(str).to_numpy() == plain.astype(str).to_numpy()).all()
    as_plain = first.incidents.assign(search_text=plain)
    assert _searches(first.incidents) == _searches(as_plain) and any(_searches(as_plain))
    second = load_dataset(repeated, strict=False)
    assert second.from_cache
    pd.testing.assert_frame_equal(first.incidents, second.incidents)  # dtypes too
    assert _searches(second.incidents) == _searches(as_plain)


def test_distinct_search_text_stays_text(cache_dir, repeated, tmp_path):
    frame = pd.read_csv(repeated, dtype=str, keep_default_na=False)
    frame["notes"] = [f"Event {i} near {place}" for i, place in enumerate(frame["location"])]
    path = tmp_path / "distinct_notes.csv"
    frame.to_csv(path, index=False)
    dataset = load_dataset(path, strict=False)
    assert not isinstance(dataset.incidents["search_text"].dtype, pd.CategoricalDtype)
    assert set(apply_filter(dataset.incidents, ViewFilter(text="EVENT 17 near"))["id"]) >= {"XKX17"}


def test_originals_read_as_dictionaries_come_back_as_text(cache_dir):
    """Columns an import reads as dictionaries (one per block of the file) are written from them and
    read back exactly as the same columns written as plain text: types, values, pandas dtypes."""
    blocks = [["2008", "2009", "2008", ""], ["2009", "Ushtria Çlirimtare", "2008"]]
    coded = pa.chunked_array([pa.array(block).dictionary_encode() for block in blocks])
    ids = pa.chunked_array(
        [pa.array(["a", "b", "c", "d"], pa.large_string()), pa.array(["e", "f", "g"], pa.large_string())]
    )
    text = pa.chunked_array([pa.array(block) for block in blocks])
    written = cache.store_originals("dictionaries", pa.table([ids, coded], names=["id", "src_year"])).result()
    expected = cache.store_originals("text", pa.table([ids, text], names=["id", "src_year"])).result()
    assert pq.read_metadata(written).row_group(0).column(1).has_dictionary_page
    assert pq.read_table(written).equals(pq.read_table(expected))
    assert pq.read_table(written).schema == pq.read_table(expected).schema
    pd.testing.assert_frame_equal(pd.read_parquet(written), pd.read_parquet(expected), check_exact=True)


def test_orders_worked_out_while_sorting_are_those_of_the_sorted_table(synthetic, boundaries_dir):
    records = read_events(synthetic)[0].records
    records = records.drop(columns=[c for c in records.columns if c.startswith("src_")])
    found: dict = {}
    frame = _join(
        records, load_kosovo_boundaries(boundaries_dir), DEFAULT_SNAP_TOLERANCE_M, owned=True, orders=found
    )
    assert set(found) == {column for column in SORTED_COLUMNS if column in frame}
    for column, order in found.items():
        expected = column_order(frame[column])
        np.testing.assert_array_equal(order.order, expected.order)
        np.testing.assert_array_equal(order.ranks, expected.ranks)
        assert order.known == expected.known


def test_originals_written_early_under_a_remembered_key(cache_dir, synthetic, tmp_path, monkeypatch):
    """A file whose hash is remembered (its entry gone) is imported under the key known at once."""
    monkeypatch.setattr(cache, "RECENT_CHANGE_S", -1.0)  # remember the hash of a file written just now
    copy = tmp_path / "events.csv"
    shutil.copy(synthetic, copy)
    load_dataset(copy, strict=False)
    for path in cache_dir.glob("*.*"):
        path.unlink()  # the entry goes; hashes/ stays
    calls = _originals_calls(monkeypatch)
    monkeypatch.setattr(cache, "cache_key_in_thread", lambda *_: pytest.fail("the file was hashed again"))
    dataset = load_dataset(copy, strict=False)
    [(wanted, written)] = calls
    assert not dataset.from_cache and wanted.result() and written.result() == dataset.originals_path
    pd.testing.assert_frame_equal(pd.read_parquet(dataset.originals_path), _expected_originals(copy))
    assert load_dataset(copy, strict=False).from_cache


@pytest.mark.parametrize("events", [ACLED, Path(__file__).parent / "data" / "ucdp_sample.csv"])
def test_a_new_file_is_hashed_once_arrows_parser_is_done_with_it(cache_dir, events, tmp_path, monkeypatch):
    """The parser keeps every core busy: the hash waits for it (an ACLED export); a file that goes
    another way (UCDP) is hashed beside its reading, as before. Either way, once, and the entry is
    found next time."""
    from geodata import importers

    steps: list[str] = []
    parse, key = importers._arrow_cells, cache.cache_key

    def parsing(*args, **kwargs):
        steps.append("parse starts")
        try:
            return parse(*args, **kwargs)
        finally:
            steps.append("parse ends")

    def hashing(*args, **kwargs):
        steps.append("hash starts")
        return key(*args, **kwargs)

    monkeypatch.setattr(importers, "_arrow_cells", parsing)
    monkeypatch.setattr(cache, "cache_key", hashing)
    copy = tmp_path / events.name
    shutil.copy(events, copy)
    dataset = load_dataset(copy, strict=False)
    assert not dataset.from_cache and steps.count("hash starts") == 1
    if events == ACLED:
        assert steps.index("hash starts") > steps.index("parse ends")
    assert load_dataset(copy, strict=False).from_cache
