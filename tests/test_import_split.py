"""The import to cache gives the same records, reports and original columns as read_events."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

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
