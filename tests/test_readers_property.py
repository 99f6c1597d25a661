"""Property tests: whatever bytes a reader gets, it ends in accepted rows plus named rejections."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata.importers import read_events

HEADERS = {
    "unrest-map": "id,date_start,date_end,event_type,place,fatalities,injured,lat,lon",
    "acled": "event_id_cnty,event_date,time_precision,event_type,sub_event_type,latitude,longitude,"
    "geo_precision,fatalities,notes",
    "ucdp": "id,type_of_violence,where_prec,date_start,date_end,latitude,longitude,best,side_a,side_b",
}
cell = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "nan",
            "inf",
            "1e309",
            "2008-02-30",
            "2008-03-17",
            "19 February 2008",
            "Riots",
            "Battles",
            "Mitrovica",
            "42.9",
            "20.8",
            "1",
            "3",
            "9",
            '"',
            ",",
            "\r",
            "\x00",
        ]
    ),
    st.text(max_size=40),
)
row = st.lists(cell, min_size=0, max_size=12)


def _check(path: Path) -> None:
    for file_format in HEADERS:
        result, _ = read_events(path, file_format)
        assert result.rows_read == result.rows_accepted + result.rows_rejected
        assert result.rows_rejected == 0 or result.problems  # nothing rejected without a reason
        for problem in result.problems:
            assert problem.file == str(path) and problem.field and problem.reason


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.sampled_from(list(HEADERS.values())),
    rows=st.lists(row, max_size=8),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_any_table_of_cells(header, rows, newline):
    text = newline.join([header, *(",".join(cells) for cells in rows)])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.csv"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _check(path)


plain_cell = st.text(alphabet="abcXYZ019.- ", min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(
    file_format=st.sampled_from(["acled", "ucdp"]),
    rows=st.lists(st.lists(plain_cell, min_size=1, max_size=16), max_size=10),
)
def test_every_row_is_counted_whatever_its_field_count(file_format, rows):
    """Rows with too few or too many fields are read or rejected with a reason, never skipped."""
    text = "\n".join([HEADERS[file_format], *(",".join(cells) for cells in rows)]) + "\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.csv"
        path.write_text(text, encoding="utf-8")
        result, _ = read_events(path, file_format)
    # Blank (whitespace-only) lines are not rows; every other line is, keeping its number.
    numbered = [n for n, cells in enumerate(rows, start=2) if any(c.strip() for c in cells)]
    assert result.rows_read == len(numbered)
    assert result.rows_read == result.rows_accepted + result.rows_rejected
    assert {p.row for p in result.problems} <= set(numbered)


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.csv"
        path.write_bytes(data)
        _check(path)
