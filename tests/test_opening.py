"""The opening data stored with a cache entry: equal to what is derived from the rows, the page and
the views built with it equal to those built without, and derived again when it does not fit."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest
from plotly.io.json import to_json_plotly

from benchmarks.scale import generate
from dashboard.layout import build_layout
from dashboard.opening import (
    OPENING_VERSION,
    TIMELINE_ARRAYS,
    code_fingerprint,
    derive,
    opening_data,
    opening_files,
    read,
)
from dashboard.view import view_context, view_outputs
from geodata.cache import CACHE_ENV_VAR
from geodata.dataset import load_dataset

ACLED = Path(__file__).parent / "data" / "acled_sample.csv"


@pytest.fixture(scope="module", params=["synthetic", "acled_sample"])
def imported(request, tmp_path_factory, boundaries_dir):
    """A file imported into a fresh cache folder, loaded back from its entry."""
    folder = tmp_path_factory.mktemp("opening")
    path = ACLED
    if request.param == "synthetic":  # ranged dates, many sides and municipalities, some outside
        path = folder / "synthetic.csv"
        generate(path, 3_000, seed=5)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV_VAR, str(folder / "cache"))
        assert not load_dataset(path, strict=False).from_cache
        dataset = load_dataset(path, strict=False)
        assert dataset.from_cache
        yield dataset


def assert_same(found, derived) -> None:
    assert found.rows == derived.rows
    assert found.days.equals(derived.days) and found.days.dtype == derived.days.dtype
    assert found.present == derived.present
    assert found.facets == derived.facets
    assert found.summary == derived.summary
    for name in TIMELINE_ARRAYS:
        kept, fresh = getattr(found.timeline, name), getattr(derived.timeline, name)
        assert kept.dtype == fresh.dtype and np.array_equal(kept, fresh), name
    assert (found.dates is None) == (derived.dates is None)
    if derived.dates is not None:
        assert (found.dates.unit, found.dates.longest) == (derived.dates.unit, derived.dates.longest)
        assert np.array_equal(found.dates.start, derived.dates.start)
        assert np.array_equal(found.dates.end, derived.dates.end)
    assert list(found.timeline.everything) == list(derived.timeline.everything)
    for name, fresh in derived.timeline.everything.items():
        kept = found.timeline.everything[name]
        assert kept.dtype == fresh.dtype and np.array_equal(kept, fresh), name


def test_stored_opening_equals_what_the_rows_give(imported):
    meta, arrays = opening_files(imported)
    for path in (meta, arrays):
        path.unlink(missing_ok=True)
    written = opening_data(imported)  # derived, then written beside the entry
    assert meta.is_file() and arrays.is_file()
    found = read(meta, arrays, imported)
    assert found is not None
    assert_same(found, derive(imported))
    assert_same(written, found)
    # Mapped read-only from the file, not copied: no view update can write to it.
    assert not found.timeline.day_key.flags.writeable and not found.timeline.day_key.flags.owndata


def test_page_and_views_are_the_same_with_the_stored_opening(imported):
    stored = read(*opening_files(imported), imported) or opening_data(imported)
    kept, fresh = view_context(imported, stored), view_context(imported)
    for name in ("first_day", "last_day", "event_types", "sides", "municipalities", "place_kinds"):
        assert getattr(kept.choices, name) == getattr(fresh.choices, name), name
    assert to_json_plotly(build_layout(imported, "none", kept)) == to_json_plotly(
        build_layout(imported, "none", fresh)
    )
    last = len(fresh.days) - 1
    kinds = sorted(set(imported.incidents["event_type"].astype(str)))[:1]
    for window, event_types in (([0, last], []), ([3, last // 2], kinds), ([0, last], kinds)):
        for dates_only in (False, True):
            arguments = (window, event_types, [], [], [], [], "", [], None)
            assert to_json_plotly(view_outputs(kept, *arguments, dates_only=dates_only)) == to_json_plotly(
                view_outputs(fresh, *arguments, dates_only=dates_only)
            )


def test_opening_that_does_not_fit_is_derived_again(imported):
    meta, arrays = opening_files(imported)
    opening_data(imported)
    assert read(meta, arrays, imported) is not None
    # Fewer rows than it was stored for.
    assert read(meta, arrays, replace(imported, incidents=imported.incidents.iloc[:-1])) is None
    # Another version.
    text = meta.read_text(encoding="utf-8")
    meta.write_text(json.dumps({**json.loads(text), "version": OPENING_VERSION + 1}), encoding="utf-8")
    assert read(meta, arrays, imported) is None
    assert_same(opening_data(imported), derive(imported))  # derived and written again
    assert read(meta, arrays, imported) is not None
    # Derived by other code (say the timeline's bins changed).
    text = meta.read_text(encoding="utf-8")
    meta.write_text(json.dumps({**json.loads(text), "code": "0" * 64}), encoding="utf-8")
    assert read(meta, arrays, imported) is None
    assert_same(opening_data(imported), derive(imported))
    assert json.loads(meta.read_text(encoding="utf-8"))["code"] == code_fingerprint()
    # A cut binary file.
    arrays.write_bytes(arrays.read_bytes()[:-8])
    assert read(meta, arrays, imported) is None
    # Broken JSON.
    meta.write_text("{", encoding="utf-8")
    assert read(meta, arrays, imported) is None
    assert_same(opening_data(imported), derive(imported))


def test_data_without_a_cache_entry_is_derived(dataset):
    assert opening_files(dataset) is None  # the built-in records have no entry
    assert_same(opening_data(dataset), derive(dataset))
    assert {f.name for f in fields(derive(dataset))} == {
        "rows", "days", "present", "facets", "summary", "timeline", "dates"
    }  # fmt: skip
