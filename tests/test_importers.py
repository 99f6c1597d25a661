"""ACLED and UCDP GED imports, the Parquet cache, and the CLI on imported files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from geodata.dataset import load_dataset
from geodata.filters import ViewFilter, apply_filter
from geodata.importers import detect_format, read_events, read_header

DATA = Path(__file__).parent / "data"
ACLED = DATA / "acled_sample.csv"
UCDP = DATA / "ucdp_sample.csv"


def test_format_is_detected_from_the_header():
    assert detect_format(read_header(ACLED)) == "acled"
    assert detect_format(read_header(UCDP)) == "ucdp"
    from geodata.records import builtin_records_path

    assert detect_format(read_header(builtin_records_path())) == "unrest-map"


def test_acled_rows_accepted_and_rejected_with_reasons():
    result, file_format = read_events(ACLED)
    assert file_format == "acled"
    assert result.rows_read == 7 == result.rows_accepted + result.rows_rejected
    assert result.records["id"].tolist() == ["XKX1", "XKX2", "XKX3", "XKX7"]
    reasons = {(p.row, p.field) for p in result.problems}
    assert reasons == {(5, "event_date"), (6, "event_type"), (7, "fatalities"), (7, "latitude")}
    records = result.records.set_index("id")
    # Both date styles; a blank fatalities field is unknown, not 0.
    assert records.loc["XKX2", "date_start"] == pd.Timestamp("2008-02-19")
    assert pd.isna(records.loc["XKX2", "fatalities"]) and records.loc["XKX1", "fatalities"] == 0
    # time_precision 3 is the whole month.
    assert records.loc["XKX7", "date_precision"] == "month"
    assert records.loc["XKX7", "date_end"] == pd.Timestamp("2008-05-31")
    # Unknown extra columns are kept, and quoted text survives.
    assert records.loc["XKX1", "src_extra_future_column"] == "kept"
    assert 'with "quotes" and, commas' in records.loc["XKX3", "description"]


def test_a_row_with_too_many_fields_is_reported_and_later_rows_keep_their_numbers(tmp_path):
    lines = (DATA / "acled_sample.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header_fields = len(lines[0].split(","))
    extra = "XKX99,2008-03-01,2008,1,Demonstrations,Protests" + ",x" * header_fields + "\n"
    path = tmp_path / "acled_extra_fields.csv"
    path.write_text(lines[0] + lines[1] + extra + "".join(lines[2:]), encoding="utf-8")
    original, _ = read_events(DATA / "acled_sample.csv")
    result, _ = read_events(path)
    assert result.rows_read == original.rows_read + 1
    assert result.rows_rejected == original.rows_rejected + 1
    assert result.rows_accepted == original.rows_accepted
    unsplit = [p for p in result.problems if p.field == "(row)"]
    assert [(p.row, p.file) for p in unsplit] == [(3, str(path))]
    assert "fields, but the header has" in unsplit[0].reason
    # Every other problem moved down one row, exactly: nothing renumbered wrongly after the skip.
    shifted = [
        (p.row - 1 if p.row > 3 else p.row, p.field, p.reason) for p in result.problems if p not in unsplit
    ]
    assert shifted == [(p.row, p.field, p.reason) for p in original.problems]


def test_ucdp_maps_violence_and_deaths():
    result, file_format = read_events(UCDP)
    assert file_format == "ucdp"
    assert result.rows_read == 5 == result.rows_accepted + result.rows_rejected
    records = result.records.set_index("id")
    assert records.loc["101", "event_type"] == "Battles" and records.loc["101", "fatalities"] == 1
    assert records.loc["102", "event_type"] == "Violence against civilians"
    assert records.loc["102", "src_low"] == "3" and records.loc["102", "src_high"] == "4"
    assert records.loc["102", "date_precision"] == "range"
    assert {(p.row, p.field) for p in result.problems} == {
        (4, "type_of_violence"),
        (5, "date_end"),
        (6, "latitude"),
        (6, "longitude"),
    }


def test_a_count_beyond_any_real_one_is_rejected_with_its_row(tmp_path):
    """A 'best' of 2**63 - 512 (found by the property test) crashed the import instead of being
    reported; now its row is rejected with the reason and the other rows go on."""
    header, first, *rest = UCDP.read_text(encoding="utf-8").splitlines(keepends=True)
    names = header.rstrip("\n").split(",")
    cells = first.rstrip("\n").split(",")
    cells[names.index("best")] = "9223372036854775296"
    path = tmp_path / "ucdp_huge_count.csv"
    path.write_text(header + ",".join(cells) + "\n" + "".join(rest), encoding="utf-8")
    original, _ = read_events(UCDP)
    result, _ = read_events(path)
    huge = [p for p in result.problems if p.field == "best"]
    assert [(p.file, p.row) for p in huge] == [(str(path), 2)]
    assert "9223372036854775296" in huge[0].reason and "larger than any count" in huge[0].reason
    assert result.rows_read == original.rows_read
    assert set(result.records["id"]) == set(original.records["id"]) - {"101"}


def test_imported_events_join_their_municipalities(cache_dir, boundaries_dir):
    dataset = load_dataset(ACLED, strict=False)
    by_id = dataset.incidents.set_index("id")
    assert by_id.loc["XKX1", "municipality"] == "Leposaviq" and by_id.loc["XKX1", "snapped"]
    assert by_id.loc["XKX3", "municipality"] == "North Mitrovica"
    # geo_precision 3 (a larger region): regional, credited to no municipality, whatever its marker hits.
    assert by_id.loc["XKX7", "regional"] and pd.isna(by_id.loc["XKX7", "municipality"])
    assert by_id.loc["XKX7", "municipalities"] == ""
    assert not by_id.loc[["XKX1", "XKX2", "XKX3"], "regional"].any()
    assert not any(c.startswith("src_") for c in dataset.incidents.columns)  # originals stay on disk
    originals = pd.read_parquet(dataset.originals_path, columns=["id", "src_extra_future_column"])
    assert set(originals["src_extra_future_column"]) == {"kept"}


def test_cache_is_used_then_rebuilt_when_the_file_changes(cache_dir, boundaries_dir, tmp_path):
    copy = tmp_path / "acled.csv"
    shutil.copy(ACLED, copy)
    first = load_dataset(copy, strict=False)
    second = load_dataset(copy, strict=False)
    assert not first.from_cache and second.from_cache
    pd.testing.assert_frame_equal(
        first.incidents, second.incidents, check_dtype=False, check_categorical=False
    )
    assert [str(p) for p in second.read.problems] == [str(p) for p in first.read.problems]
    # The folded search columns come back from the cache and still search (accents and case folded).
    searched = [set(apply_filter(d.incidents, ViewFilter(text="SECOND POST"))["id"]) for d in (first, second)]
    assert searched[0] == searched[1] == {"XKX2"}
    copy.write_text(
        copy.read_text(encoding="utf-8").replace("Second post burned.", "Edited."), encoding="utf-8"
    )
    third = load_dataset(copy, strict=False)
    assert not third.from_cache and "Edited." in set(third.incidents["description"])


def test_cache_rebuilt_when_schema_changes(cache_dir, boundaries_dir, monkeypatch):
    load_dataset(UCDP, strict=False)
    import geodata.cache

    monkeypatch.setattr(geodata.cache, "SCHEMA_VERSION", 999)
    assert not load_dataset(UCDP, strict=False).from_cache


def test_custom_boundaries_with_name_field(cache_dir, tmp_path, boundaries_dir):
    from geodata.boundaries import load_kosovo_boundaries

    layer = (
        load_kosovo_boundaries(boundaries_dir)
        .districts[["name", "geometry"]]
        .rename(columns={"name": "NAME_1"})
    )
    path = tmp_path / "districts.gpkg"
    layer.to_file(path, driver="GPKG")
    dataset = load_dataset(ACLED, boundaries_file=path, boundary_name_field="NAME_1", strict=False)
    by_id = dataset.incidents.set_index("id")
    assert by_id.loc["XKX3", "municipality"] == "Mitrovica"  # the district layer's polygon
    assert pd.isna(by_id.loc["XKX7", "municipality"])  # region-level: no single polygon


def test_cli_counts_add_up_and_data_goes_on(cache_dir, boundaries_dir):
    run = [sys.executable, "-m", "dashboard.cli"]
    data = subprocess.run([*run, "data", "--data", str(ACLED)], capture_output=True, text=True, timeout=120)
    assert data.returncode == 0
    assert "7 rows read, 4 accepted, 3 rejected" in data.stderr and "row 6: event_type" in data.stderr
    assert data.stdout.count("\n") == 5  # header + 4 accepted rows
    check = subprocess.run([*run, "validate", str(UCDP)], capture_output=True, text=True, timeout=120)
    assert check.returncode == 1 and "5 rows read, 2 accepted, 3 rejected" in check.stderr
