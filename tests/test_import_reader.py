"""The Arrow reader of regular files gives exactly the table the careful reader gives."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata.importers import _read_regular_table
from geodata.records import read_cells

cell = st.one_of(
    st.sampled_from(["", " ", "0", "nan", "19 February 2008", ' "q" ', "a,b", "x\ny", "\t1\u00a0", "\u2003"]),
    st.text(max_size=12),
)


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1, 5),
    rows=st.lists(st.lists(cell, min_size=5, max_size=5), max_size=8),
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
)
def test_regular_tables_read_the_same_both_ways(width, rows, newline, bom):
    header = ",".join(f"col{i}" for i in range(width))
    lines = [header, *(",".join(_quoted(c) for c in cells[:width]) for cells in rows)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        path.write_text(
            ("\ufeff" if bom else "") + newline.join(lines) + newline,
            encoding="utf-8",
            errors="surrogatepass",
        )
        fast = _read_regular_table(path)
        careful, unread = read_cells(path, encoding_errors="replace")
    if fast is None:  # irregular (e.g. a blank line, a lone surrogate): the careful reader alone reads it
        return
    assert unread == []
    pd.testing.assert_frame_equal(fast, careful, check_index_type=True)


def test_an_irregular_file_is_left_to_the_careful_reader(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n\n3,4,5\n", encoding="utf-8")
    assert _read_regular_table(path) is None
    path.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    assert _read_regular_table(path).index.tolist() == [2, 3]
