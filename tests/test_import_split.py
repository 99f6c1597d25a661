"""The import to cache gives the same records, reports and original columns as read_events."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from geodata import importers
from geodata.importers import ACLED_READ, import_events, read_events

DATA = Path(__file__).parent / "data"


def _same_as_read_events(path: Path) -> pa.Table:
    result, file_format, own = import_events(path)
    expected, expected_format = read_events(path)
    assert file_format == expected_format == "acled" and own is not None
    originals = [c for c in expected.records.columns if c.startswith("src_")]
    pd.testing.assert_frame_equal(result.records, expected.records.drop(columns=originals), check_exact=True)
    assert result.problems == expected.problems and result.rows_read == expected.rows_read
    pd.testing.assert_frame_equal(
        own.to_pandas().astype("string"), expected.records[["id", *originals]].reset_index(drop=True)
    )
    return own


def test_acled_sample_splits_into_records_and_originals():
    own = _same_as_read_events(DATA / "acled_sample.csv")
    assert "src_extra_future_column" in own.column_names and "src_notes" not in own.column_names


def test_every_column_the_importer_reads_is_given_to_it(tmp_path):
    """Values that change the records in every column acled_frame reads: none is left out of ACLED_READ."""
    lines = (DATA / "acled_sample.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    # Odd but valid values in every read column, and a row whose id is empty and edges padded.
    edited = [lines[0], *lines[1:]]
    cells = edited[1].split(",")
    values = {"inter1": "Rioters", "inter2": "7", "admin1": " Prishtina ", "admin2": "Zveçan", "source": "S2"}
    for name, value in values.items():
        cells[header.index(name)] = value
    cells[header.index("event_id_cnty")] = ""
    cells[header.index("time_precision")] = "2"
    cells[header.index("geo_precision")] = "2"
    path = tmp_path / "acled_read_columns.csv"
    path.write_text("\n".join([edited[0], ",".join(cells), *edited[2:]]) + "\n", encoding="utf-8")
    assert set(values) <= set(ACLED_READ)
    _same_as_read_events(path)


def test_columns_read_as_codes_give_the_same_records_and_reports(tmp_path):
    """The columns read as dictionary codes (ACLED_CODED), with values that repeat (so the checks
    work per distinct value), cells that trim to the same text, and bad values: the same records,
    reports and original columns as the careful reader's plain text."""
    lines = (DATA / "acled_sample.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    variants = {
        "event_date": ["2008-02-19", " 2008-02-19", "2008-02-19\u00a0", "19 February 2008", "2008-02-30", ""],
        "event_type": ["Riots", "Riots ", "Protests", "Battles", "Not a type"],
        "time_precision": ["1", " 1", "2", "3", "", "4"],
        "geo_precision": ["1", "2 ", "3", "", "x"],
        "inter1": ["5", "Rioters", " 5", "0", ""],
        "inter2": ["0", "7", "7 ", "", "Civilians"],
        "fatalities": ["0", " 0", "3", "", "-1", "2.5", "1,000"],
    }
    assert set(variants) <= set(importers.ACLED_CODED)
    rows = []
    for i in range(400):
        cells = lines[1 + i % (len(lines) - 1)].split(",")
        for name, values in variants.items():
            cells[header.index(name)] = values[(i * 7 + len(name)) % len(values)]
        cells[header.index("event_id_cnty")] = f"XKX{i}"
        rows.append(",".join(cells))
    path = tmp_path / "acled_coded.csv"
    path.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    result, _, _ = import_events(path)
    assert result.problems and len(result.records) > 100  # some rejected, many kept
    _same_as_read_events(path)
