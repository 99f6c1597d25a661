"""The import cache: a memory-mapped Arrow entry, rebuilt when broken, and the file hash remembered."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd

from geodata import cache
from geodata.dataset import load_dataset
from geodata.filters import ViewFilter, apply_filter

ACLED = Path(__file__).parent / "data" / "acled_sample.csv"


def test_entry_is_arrow_and_comes_back_equal(cache_dir, boundaries_dir, tmp_path):
    copy = tmp_path / "acled.csv"
    shutil.copy(ACLED, copy)
    first = load_dataset(copy, strict=False)
    second = load_dataset(copy, strict=False)
    assert not first.from_cache and second.from_cache
    assert len(list(cache_dir.glob("*.arrow"))) == 1 and second.originals_path.suffix == ".parquet"
    pd.testing.assert_frame_equal(first.incidents, second.incidents)  # dtypes too
    assert set(apply_filter(second.incidents, ViewFilter(text="second post"))["id"]) == {"XKX2"}


def test_broken_entry_is_rebuilt(cache_dir, boundaries_dir, tmp_path):
    copy = tmp_path / "acled.csv"
    shutil.copy(ACLED, copy)
    first = load_dataset(copy, strict=False)
    (entry,) = cache_dir.glob("*.arrow")
    entry.write_bytes(entry.read_bytes()[:200])  # half a file
    again = load_dataset(copy, strict=False)
    assert not again.from_cache
    pd.testing.assert_frame_equal(first.incidents, again.incidents)
    assert load_dataset(copy, strict=False).from_cache  # written afresh


def test_file_hash_is_remembered_until_the_file_changes(cache_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "RECENT_CHANGE_S", -1.0)  # remember even a file written just now
    data = tmp_path / "events.csv"
    data.write_text("a,b\n1,2\n", encoding="utf-8")
    assert cache.remembered_sha256(data) == hashlib.sha256(data.read_bytes()).hexdigest()
    (memo,) = (cache_dir / "hashes").glob("*.sha256")
    planted = "0" * 64
    memo.write_text(planted, encoding="ascii")
    assert cache.remembered_sha256(data) == planted  # read back, not hashed again
    with data.open("a", encoding="utf-8") as handle:
        handle.write("3,4\n")
    assert cache.remembered_sha256(data) == hashlib.sha256(data.read_bytes()).hexdigest()


def test_file_changed_just_now_is_not_remembered(cache_dir, tmp_path):
    data = tmp_path / "events.csv"
    data.write_text("a,b\n1,2\n", encoding="utf-8")
    assert cache.remembered_sha256(data) == hashlib.sha256(data.read_bytes()).hexdigest()
    assert not list(cache_dir.glob("hashes/*.sha256"))


def test_same_bytes_under_another_name_use_the_entry(cache_dir, boundaries_dir, tmp_path):
    """A file not hashed before is hashed while it is read: an entry for the same bytes is still found."""
    first, other = tmp_path / "acled.csv", tmp_path / "renamed.csv"
    shutil.copy(ACLED, first)
    imported = load_dataset(first, strict=False)
    shutil.copy(ACLED, other)
    again = load_dataset(other, strict=False)
    assert again.from_cache and len(list(cache_dir.glob("*.arrow"))) == 1
    pd.testing.assert_frame_equal(imported.incidents, again.incidents)
    assert again.sort_orders is not None and set(again.sort_orders) == set(imported.sort_orders)
