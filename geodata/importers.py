"""Importers for real event datasets: ACLED and UCDP GED CSV exports.

Each turns an export into the common frame (the columns of :func:`geodata.records.read_records`),
vectorised so a two-million-row file is read in seconds. Unknown extra columns are
tolerated and kept (``src_*`` columns) for the details panel; only what is needed is
required. Bad rows are rejected with file, row, field and reason; rows read always
equal accepted plus rejected.
"""

from __future__ import annotations

import csv
import mmap
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa

from geodata.distinct import per_distinct
from geodata.records import (
    FIRST_DATA_ROW,
    MAX_COUNT,
    Problem,
    ReadResult,
    _unique,
    empty_frame,
    read_cells,
    typed_frame,
    with_unread_rows,
)

ACLED_REQUIRED = ("event_date", "event_type", "latitude", "longitude")
UCDP_REQUIRED = ("id", "type_of_violence", "date_start", "latitude", "longitude")
OURS_REQUIRED = ("id", "date_start", "event_type", "place")

#: ACLED's interaction codes (older exports give digits, newer ones the words).
ACLED_INTER = {
    "0": "",  # no second actor
    "1": "State forces",
    "2": "Rebel groups",
    "3": "Political militias",
    "4": "Identity militias",
    "5": "Rioters",
    "6": "Protesters",
    "7": "Civilians",
    "8": "External/Other forces",
}
UCDP_VIOLENCE = {
    "1": ("Battles", "Armed clash"),  # state-based conflict
    "2": ("Battles", "Armed clash"),  # non-state conflict
    "3": ("Violence against civilians", "Attack"),  # one-sided violence
}


def detect_format(columns: Iterable[str]) -> str:
    """'acled', 'ucdp' or 'unrest-map', from a file's header."""
    names = {c.strip().lower() for c in columns}
    if {"event_id_cnty", "event_date"} <= names or (
        set(ACLED_REQUIRED) <= names and "sub_event_type" in names
    ):
        return "acled"
    if {"type_of_violence", "where_prec"} <= names or {"type_of_violence", "best"} <= names:
        return "ucdp"
    return "unrest-map"


def read_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        return next(csv.reader(handle), [])


class _Checker:
    """Collects problems for a table whose index is the spreadsheet row number."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def flag(self, mask: pd.Series, field: str, reasons: Iterable[str] | str) -> None:
        rows = mask.index[mask.to_numpy(dtype=bool)]
        if isinstance(reasons, str):
            reasons = [reasons] * len(rows)
        self.problems.extend(
            Problem(self.source, int(r), field, why) for r, why in zip(rows, reasons, strict=False)
        )

    def rejected(self, index: pd.Index) -> np.ndarray:
        bad = {p.row for p in self.problems}
        return index.isin(list(bad))


def _column(raw: pd.DataFrame, name: str) -> pd.Series:
    """A column, or empty text where an older or newer export does not have it."""
    return raw[name] if name in raw.columns else pd.Series("", index=raw.index)


def _text(values: pd.Series) -> pd.Series:
    """``values.astype("string")``, without copying when the cells already sit in an Arrow array
    (pandas' own conversion goes through Python objects: seconds at a million rows)."""
    array = values.array
    if isinstance(array, pd.arrays.ArrowStringArray) and not isinstance(values.dtype, pd.CategoricalDtype):
        return pd.Series(pd.arrays.ArrowStringArray(array._pa_array), index=values.index, name=values.name)
    return values.astype("string")


#: Plain decimals of at most 15 digits, which every correct parser turns into the same double.
_PLAIN_NUMBER = r"^-?[0-9]{1,9}(\.[0-9]{1,6})?$"


def _number(text: pd.Series) -> pd.Series:
    """``pd.to_numeric(text without thousands commas, errors="coerce")``, as floats.

    Plain decimals and empty cells (nearly all of a real export) are cast by Arrow in
    C++; pandas parses whatever else there is, as before. A plain decimal has no comma, so
    only those other cells are copied without their commas.
    """
    array = text.array
    if not isinstance(array, pd.arrays.ArrowStringArray):
        return pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = array._pa_array
    plain = pc.fill_null(pc.match_substring_regex(cells, _PLAIN_NUMBER), False)
    empty = pc.fill_null(pc.equal(cells, ""), True)
    quick = pc.or_(plain, empty)
    values = pc.cast(pc.if_else(plain, cells, None), pa.float64()).to_numpy(zero_copy_only=False)
    values = pd.Series(values, index=text.index)
    rest = ~quick.to_numpy(zero_copy_only=False)
    if rest.any():
        cleaned = text[rest].str.replace(",", "", regex=False)
        values[rest] = pd.to_numeric(cleaned, errors="coerce").astype(float)
    return values


def _categories(values: pd.Series) -> pd.Series:
    """``values.astype("category")``, factorized once per distinct value."""
    return per_distinct(lambda v: v.astype("category"), values)


def _coordinates(raw: pd.DataFrame, check: _Checker, lat: str, lon: str) -> tuple[pd.Series, pd.Series]:
    out = []
    for column, limit in ((lat, 90), (lon, 180)):
        values = _number(raw[column])
        bad = values.isna() | ~np.isfinite(values) | (values.abs() > limit)
        check.flag(bad, column, (f"{v!r} is not a {column} within ±{limit}" for v in raw[column][bad]))
        out.append(values)
    return out[0], out[1]


def _counts(raw: pd.DataFrame, column: str, check: _Checker) -> pd.Series:
    if column not in raw.columns:
        return pd.Series(pd.NA, index=raw.index, dtype="Int64")

    def parse(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
        values = _number(text)
        given = text != ""
        bad = given & (values.isna() | ~np.isfinite(values) | (values < 0) | (values % 1 != 0))
        # Beyond any real count, and beyond what a 64-bit count holds exactly (it crashed the cast).
        too_large = given & ~bad & (values > MAX_COUNT)
        return values.where(given & ~bad & ~too_large).astype("Int64"), bad, too_large

    counts, bad, too_large = per_distinct(parse, raw[column])
    check.flag(
        bad, column, (f"{v!r} is not a whole number >= 0 (leave empty if unknown)" for v in raw[column][bad])
    )
    check.flag(
        too_large,
        column,
        (f"{v!r} is larger than any count ({MAX_COUNT:,} at most)" for v in raw[column][too_large]),
    )
    return counts


def _dates(text: pd.Series) -> pd.Series:
    """ISO dates ('2008-02-19', also with a time) or ACLED's '19 February 2008'."""
    iso = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    rest = iso.isna()
    if not rest.any():
        return iso
    # Only the cells that are not ISO can be the long form (parsing it costs as much as ISO).
    long_form = pd.to_datetime(text[rest], format="%d %B %Y", errors="coerce")
    return iso.fillna(long_form.reindex(iso.index))


def _extras(raw: pd.DataFrame, used: set[str]) -> dict[str, pd.Series]:
    """The export's own columns, kept as ``src_<name>`` so nothing is lost."""
    return {f"src_{c}": _text(raw[c]) for c in raw.columns if c not in used}


def _finish(frame: pd.DataFrame, check: _Checker, rows_read: int) -> ReadResult:
    keep = ~check.rejected(frame.index)
    if not keep.all():  # taking every row of every column costs seconds at a million rows
        frame = frame[keep]
        for name in frame.columns:  # categories built before the filter: keep those still used
            if isinstance(frame[name].dtype, pd.CategoricalDtype):
                frame[name] = frame[name].cat.remove_unused_categories()
    frame = typed_frame(frame.reset_index(names="source_row"))
    check.problems.sort(key=lambda p: (p.row, p.field))
    return ReadResult(frame, check.problems, rows_read=rows_read)


def _missing_columns(raw: pd.DataFrame, required: tuple[str, ...], source: str) -> ReadResult | None:
    missing = [c for c in required if c not in raw.columns]
    if not missing:
        return None
    return ReadResult(
        typed_frame(empty_frame()),
        [Problem(source, 1, ",".join(missing), "required column missing")],
        rows_read=len(raw),
    )


#: The columns of an ACLED export :func:`acled_frame` reads; the others are only kept (``src_*``).
ACLED_READ = (
    "event_id_cnty",
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "inter1",
    "inter2",
    "latitude",
    "longitude",
    "fatalities",
    "notes",
    "location",
    "time_precision",
    "geo_precision",
    "admin1",
    "admin2",
    "source",
)
#: The columns of an ACLED export :func:`acled_frame` reads only value by distinct value (dates,
#: codes, types, counts): an import reads them as dictionary arrays, pandas categoricals.
ACLED_CODED = frozenset(
    {
        "event_date",
        "event_type",
        "sub_event_type",
        "inter1",
        "inter2",
        "fatalities",
        "time_precision",
        "geo_precision",
    }
)
#: The columns of an ACLED export not kept as ``src_*`` (their values are in the common columns):
#: all it reads but those whose original is kept beside what they give (precision codes, admin
#: names, interaction codes, the source).
ACLED_USED = frozenset(ACLED_READ) - {
    "inter1",
    "inter2",
    "time_precision",
    "geo_precision",
    "admin1",
    "admin2",
    "source",
}


def acled_frame(raw: pd.DataFrame, source: str, extras: bool = True) -> ReadResult:
    """An ACLED export (text cells, index = row numbers) in the common schema; ``extras=False``
    leaves out its other columns (``src_*``)."""
    raw = raw.rename(columns=str.lower)
    missing = _missing_columns(raw, ACLED_REQUIRED, source)
    if missing:
        return missing
    check = _Checker(source)
    from geodata.schema import EVENT_TYPES

    event_type = _categories(raw["event_type"])
    bad_type = ~event_type.isin(EVENT_TYPES.keys())  # on the few categories, not a million texts
    lat, lon = _coordinates(raw, check, "latitude", "longitude")
    time_precision = raw.get("time_precision", pd.Series("1", index=raw.index))
    geo_precision = raw.get("geo_precision", pd.Series("1", index=raw.index))

    def when(text: pd.Series, precision_text: pd.Series) -> tuple[pd.Series, ...]:
        """Per distinct (event_date, time_precision): start, end, date precision and the checks."""
        date = _dates(text)
        precision_text = precision_text.replace("", "1")
        month_start = date.dt.to_period("M").dt.start_time
        start = date.where(precision_text != "3", month_start)
        start = start.where(precision_text != "2", date - pd.Timedelta(days=3))
        end = date.where(precision_text != "3", date.dt.to_period("M").dt.end_time.dt.normalize())
        end = end.where(precision_text != "2", date + pd.Timedelta(days=3))
        precision = precision_text.map({"1": "day", "2": "range", "3": "month"}).astype("category")
        return start, end, precision, date.isna(), ~precision_text.isin(["1", "2", "3"])

    start, end, precision, bad_date, bad_tp = per_distinct(when, raw["event_date"], time_precision)
    check.flag(
        bad_date,
        "event_date",
        (f"{v!r} is not a date (YYYY-MM-DD or '19 February 2008')" for v in raw["event_date"][bad_date]),
    )
    check.flag(
        bad_type, "event_type", (f"unknown ACLED event type {v!r}" for v in raw["event_type"][bad_type])
    )
    # (the coordinates were checked above: the problems are sorted by row and field at the end)
    check.flag(bad_tp, "time_precision", (f"{v!r} is not 1, 2 or 3" for v in time_precision[bad_tp]))

    def where_kind(text: pd.Series) -> tuple[pd.Series, pd.Series]:
        text = text.replace("", "1")
        kind = text.map({"1": "town", "2": "town", "3": "region"}).astype("category")
        return kind, ~text.isin(["1", "2", "3"])

    place_kind, bad_gp = per_distinct(where_kind, geo_precision)
    check.flag(bad_gp, "geo_precision", (f"{v!r} is not 1, 2 or 3" for v in geo_precision[bad_gp]))
    fatalities = _counts(raw, "fatalities", check)

    col = partial(_column, raw)

    def inter(codes: pd.Series) -> pd.Series:
        return codes.map(ACLED_INTER).fillna(codes)  # a code becomes its words; words stay

    def both_sides(first: pd.Series, second: pd.Series) -> pd.Series:
        return (inter(first) + ";" + inter(second)).str.strip(";").astype("category")

    sides = per_distinct(both_sides, col("inter1"), col("inter2"))
    location = col("location").where(col("location") != "", "(no location)")
    identifier = col("event_id_cnty")
    unnamed = (identifier == "").to_numpy(dtype=bool)
    if unnamed.any():  # only these rows get a made-up id (a million "row-N" strings cost seconds)
        identifier = identifier.copy()
        identifier[unnamed] = "row-" + raw.index[unnamed].astype(str)
    frame = pd.DataFrame(
        {
            "id": identifier.pipe(_text),
            "date_start": start,
            "date_end": end,
            "date_precision": precision,
            "event_type": event_type,
            "sub_event_type": _categories(col("sub_event_type")),
            "actor1": col("actor1").pipe(_text),
            "actor2": col("actor2").pipe(_text),
            "sides": sides,
            "place": _categories(location),
            "place_name": location,
            "place_name_sq": col("admin2"),
            "place_name_sr": col("admin1"),
            "place_kind": place_kind,
            "lat": lat,
            "lon": lon,
            "fatalities": fatalities,
            "injured": pd.Series(pd.NA, index=raw.index, dtype="Int64"),
            "arrested": pd.Series(pd.NA, index=raw.index, dtype="Int64"),
            "participants": pd.Series(pd.NA, index=raw.index, dtype="Int64"),
            "description": col("notes").pipe(_text),
            "source_section": col("source").pipe(_text),
            "notes": pd.Series("", index=raw.index, dtype="string"),
            "location_precision": place_kind,
            **(_extras(raw, set(ACLED_USED)) if extras else {}),
        },
        index=raw.index,
        copy=False,  # each column is its own block: no copy of same-typed columns into one 2-D block
    )
    return _finish(frame, check, len(raw))


def ucdp_frame(raw: pd.DataFrame, source: str) -> ReadResult:
    """A UCDP GED export in the common schema (deaths: best, with low/high kept)."""
    raw = raw.rename(columns=str.lower)
    missing = _missing_columns(raw, UCDP_REQUIRED, source)
    if missing:
        return missing
    check = _Checker(source)

    col = partial(_column, raw)

    start = _dates(raw["date_start"])
    check.flag(start.isna(), "date_start", (f"{v!r} is not a date" for v in raw["date_start"][start.isna()]))
    end = _dates(col("date_end")).fillna(start)
    backwards = end < start
    check.flag(backwards, "date_end", "before date_start")
    violence = raw["type_of_violence"].map(UCDP_VIOLENCE)
    check.flag(
        violence.isna(),
        "type_of_violence",
        (f"{v!r} is not 1, 2 or 3" for v in raw["type_of_violence"][violence.isna()]),
    )
    lat, lon = _coordinates(raw, check, "latitude", "longitude")
    best = _counts(raw, "best", check)
    where_prec = _number(col("where_prec")).fillna(1)
    bad_where = (col("where_prec") != "") & ~where_prec.isin(range(1, 8))
    check.flag(bad_where, "where_prec", (f"{v!r} is not 1 to 7" for v in col("where_prec")[bad_where]))
    date_prec = _number(col("date_prec")).fillna(1)
    location = col("where_coordinates").where(col("where_coordinates") != "", col("adm_1"))
    frame = pd.DataFrame(
        {
            "id": raw["id"].pipe(_text),
            "date_start": start,
            "date_end": end,
            "date_precision": np.where(start == end, "day", np.where(date_prec == 4, "month", "range")),
            "event_type": violence.map(lambda v: v[0] if isinstance(v, tuple) else ""),
            "sub_event_type": violence.map(lambda v: v[1] if isinstance(v, tuple) else ""),
            "actor1": col("side_a").pipe(_text),
            "actor2": col("side_b").pipe(_text),
            "sides": (col("side_a") + ";" + col("side_b")).str.strip(";"),
            "place": location,
            "place_name": location,
            "place_name_sq": col("adm_2"),
            "place_name_sr": col("adm_1"),
            "place_kind": np.where(where_prec <= 2, "town", "region"),
            "lat": lat,
            "lon": lon,
            "fatalities": best,
            "injured": pd.Series(pd.NA, index=raw.index, dtype="Int64"),
            "arrested": pd.Series(pd.NA, index=raw.index, dtype="Int64"),
            "participants": pd.Series(pd.NA, index=raw.index, dtype="Int64"),
            "description": (col("conflict_name") + " — " + col("dyad_name")).str.strip(" —").pipe(_text),
            "source_section": col("source_article").pipe(_text),
            "notes": pd.Series("", index=raw.index, dtype="string"),
            "location_precision": np.where(
                where_prec <= 1, "site", np.where(where_prec <= 3, "town", "region")
            ),
            **_extras(raw, {"id", "date_start", "date_end", "latitude", "longitude", "side_a", "side_b"}),
        },
        index=raw.index,
    )
    return _finish(frame, check, len(raw))


def read_table(path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """All cells as stripped text, index = spreadsheet row numbers, first of each repeated
    column name kept; plus the rows too long to read (see :func:`geodata.records.read_cells`)."""
    regular = _read_regular_table(path)
    if regular is not None:
        raw, unread = regular, []
    else:
        raw, unread = read_cells(path, encoding_errors="replace")
    raw.columns = [c.strip() for c in raw.columns]
    return raw.loc[:, ~pd.Index(raw.columns).duplicated()], unread


def _read_regular_table(path: Path) -> pd.DataFrame | None:
    """:func:`geodata.records.read_cells`' table for a regular file, parsed by Arrow on every core.

    Returns None for anything irregular, and :func:`read_cells` then reads the file and
    reports it exactly as always: a row with more or fewer fields than the header, a blank
    line, bytes that are not UTF-8, a NUL byte, a header that spans lines or is not valid
    UTF-8. The cells come out as the same text (Arrow strings, trimmed by the same Unicode
    whitespace rule pandas' ``str.strip`` uses) with the same spreadsheet row numbers.
    """
    cells = _arrow_cells(path)
    if cells is None:
        return None
    names, columns, rows = cells
    return _cells_frame(names, columns, rows)


def _cells_frame(names: list[str], columns: list, rows: np.ndarray) -> pd.DataFrame:
    """Arrow columns of text as the pandas table :func:`geodata.records.read_cells` gives."""
    import pyarrow as pa

    frame = pa.table(columns, names=[f"c{i}" for i in range(len(names))]).to_pandas()
    frame.columns = names
    frame.index = pd.Index(rows)
    return frame


def _arrow_cells(
    path: Path, for_pandas: Iterable[str] | None = None, coded: Iterable[str] = ()
) -> tuple[list[str], list, np.ndarray] | None:
    """:func:`_read_regular_table`'s cells as (header names, trimmed Arrow string columns, row
    numbers), or None for an irregular file. ``for_pandas``: the names (stripped, lower case)
    of the columns that become pandas text, read as large_string, the type pandas holds (the
    others as string, with half the offsets' memory); default: all. ``coded``: names (stripped,
    lower case) read as dictionary arrays instead (each distinct text stored once, its rows as
    codes: the parser's threads number the values, the same cells come out)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as arrow_csv

    try:
        with path.open("rb") as handle:
            first_line = handle.readline()
            if path.stat().st_size:
                # Searched where it lies in the page cache, not copied out block by block.
                with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                    if mapped.find(b"\x00") >= 0 or not _is_utf8(mapped):
                        return None
        header_text = first_line.decode("utf-8-sig")  # strict: a broken header goes the careful way
    except (OSError, ValueError):
        return None
    body = header_text.removesuffix("\n").removesuffix("\r")
    if "\r" in body or "\n" in body or '"' in body:  # lone-CR lines or a quoted header: the careful way
        return None
    header = body.split(",")
    names = _unique(header)
    irregular: list[object] = []

    def note(row: object) -> str:
        irregular.append(row)
        return "skip"

    try:
        table = arrow_csv.read_csv(
            path,
            read_options=arrow_csv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 23),
            parse_options=arrow_csv.ParseOptions(
                # Cheaper without: a quoted line break then splits its row into two rows with
                # too few fields, which makes the file irregular (one column excepted).
                newlines_in_values=len(names) == 1,
                ignore_empty_lines=False,
                invalid_row_handler=note,
            ),
            convert_options=arrow_csv.ConvertOptions(
                column_types={
                    name: pa.dictionary(pa.int32(), pa.string())
                    if name.strip().lower() in coded
                    else pa.large_string()
                    if for_pandas is None or name.strip().lower() in for_pandas
                    else pa.string()
                    for name in names
                },
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                # The whole file is valid UTF-8 (checked above, in one pass): then so is every
                # cell, as cells are split at ASCII bytes only. Checking each cell cost a fifth
                # of the parse.
                check_utf8=False,
            ),
        )
    except (pa.ArrowException, OSError):
        return None
    if irregular or table.num_rows == 0:  # an empty table costs nothing the careful way
        return None
    columns, rows = list(table.columns), np.arange(FIRST_DATA_ROW, FIRST_DATA_ROW + table.num_rows)
    del table

    def trim(index: int) -> None:  # each raw column is let go as soon as its trimmed copy exists
        column = columns[index]
        if for_pandas is None:
            # One chunk, as pandas' own reader gives, for whoever reads the table. The import to
            # cache keeps the chunks (no second copy in memory): its sort leaves one chunk each.
            column = column.combine_chunks()
            columns[index] = pc.utf8_trim_whitespace(column) if _may_have_edge_space(column) else column
        else:
            chunks = [_trimmed(c) for c in column.chunks]
            columns[index] = pa.chunked_array(chunks, type=column.type)

    with ThreadPoolExecutor(max_workers=2) as pool:  # Arrow's kernels let go of the GIL
        list(pool.map(trim, range(len(columns))))
    pa.default_memory_pool().release_unused()  # the parser's buffers
    # Blank rows (every cell empty): only rows whose first cell is empty can be, so the other
    # columns are looked at only when there are such rows.
    blank = pc.equal(columns[0], "") if columns else None
    if blank is not None and pc.any(blank).as_py():
        for column in columns[1:]:
            blank = pc.and_(blank, pc.equal(column, ""))
    if blank is not None and pc.any(blank).as_py():
        keep = pc.invert(blank)
        columns = [c.filter(keep) for c in columns]
        rows = rows[keep.to_numpy(zero_copy_only=False)]
    return names, columns, rows


def _trimmed(cells):
    """An Arrow chunk of text (plain or dictionary) with each cell trimmed as pandas' ``str.strip``
    trims; the chunk itself when no cell needs it. A dictionary chunk has its distinct texts
    trimmed, and those that become the same text share one code."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(cells.type):
        return pc.utf8_trim_whitespace(cells) if _may_have_edge_space(cells) else cells
    if not _may_have_edge_space(cells.dictionary):
        return cells
    merged = pc.dictionary_encode(pc.utf8_trim_whitespace(cells.dictionary))
    return pa.DictionaryArray.from_arrays(
        merged.indices.take(cells.indices).cast(cells.type.index_type), merged.dictionary
    )


def _is_utf8(data) -> bool:
    """Whether the bytes of ``data`` (a buffer: bytes, mmap) are valid UTF-8, checked by Arrow
    without a copy."""
    import pyarrow as pa

    buffer = pa.py_buffer(data)
    try:
        offsets = pa.py_buffer(np.array([0, len(buffer)], dtype=np.int64))
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, buffer]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    finally:
        del buffer  # a mapping cannot close while Arrow still holds it
    return True


def _may_have_edge_space(column) -> bool:
    """Whether any cell of an Arrow string array may start or end with white space.

    Looks at the first and last byte of each cell only: every character Unicode calls white
    space is either an ASCII byte up to the space or starts with a byte of 0x80 or more, and
    ends with one. False means trimming would change nothing (nearly every column of an
    export), so the copy a trim makes is saved; True is only a maybe.
    """
    import pyarrow as pa

    if len(column) == 0:
        return False
    wide = pa.types.is_large_string(column.type)
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[column.offset : column.offset + len(column) + 1]
    data = column.buffers()[2]
    if data is None or offsets[-1] == offsets[0]:  # every cell empty
        return False
    text = np.frombuffer(data, dtype=np.uint8)
    # Each cell's first and last byte; an empty cell's stand-ins are a neighbour's bytes, which
    # can only make a needless trim (cheaper than leaving the empty cells out first).
    first = text.take(np.minimum(offsets[:-1], offsets[-1] - 1))
    last = text.take(np.maximum(offsets[1:] - 1, offsets[0]))
    edges = np.concatenate([first, last])
    edges -= 0x21  # bytes up to the space wrap round to 0xDF and up, bytes from 0x7F land on 0x5E and up
    return bool(edges.max() >= 0x5E)


def import_events(
    path: str | Path,
    file_format: str | None = None,
    early: Callable[[pa.Table], object] | None = None,
    parsed: Callable[[], object] | None = None,
) -> tuple[ReadResult, str, pa.Table | None]:
    """:func:`read_events`, for an import to cache: a regular ACLED export's own columns come
    back as an Arrow table (``id`` and ``src_*`` of the accepted rows, in file order) instead of
    in the records, so they never become pandas columns. Anything else: ``None`` in their place
    and the records as :func:`read_events` gives them.

    ``early``: called with the own columns of every row as soon as the file is parsed, before
    the rows are checked (so the caller can write them while the checks run), when every row has
    an id of its own. The table returned is that same object when every row was accepted;
    otherwise it is another table (the accepted rows) and what ``early`` got is not theirs.

    ``parsed``: called once Arrow's parser, which keeps every core busy, is done with the file
    (before ``early``); for a file that goes another way, before it is read. Work that would
    compete with the parser for the cores can wait for it.
    """
    path = Path(path)
    split = _acled_split(path, file_format, early, parsed)
    if split is not None:
        return split
    if parsed is not None:
        parsed()
    read, detected = read_events(path, file_format)
    return read, detected, None


def _acled_split(
    path: Path,
    file_format: str | None,
    early: Callable[[pa.Table], object] | None = None,
    parsed: Callable[[], object] | None = None,
) -> tuple[ReadResult, str, pa.Table | None] | None:
    import pyarrow as pa

    from geodata import geocode

    if geocode.is_xlsx(path) or file_format not in (None, "acled"):
        return None
    try:
        header = read_header(path)
    except (OSError, StopIteration, csv.Error):  # read_events reports the file as it always has
        return None
    if file_format is None and (
        geocode.detect_input_format(header) == geocode.FORMAT or detect_format(header) != "acled"
    ):
        return None
    # The columns only kept (src_*) are read as dictionaries too: an export repeats their values
    # (years, regions, scales, tags), so they take less memory, and the originals' Parquet is
    # written from their dictionaries without hashing each cell again.
    kept_only = frozenset(n.strip().lower() for n in header) - frozenset(ACLED_READ)
    cells = _arrow_cells(path, frozenset(ACLED_READ), ACLED_CODED | kept_only)
    if cells is None:
        return None
    if parsed is not None:
        parsed()
    names, columns, rows = cells
    # read_table's names (stripped, the first of a repeated name kept), then acled_frame's
    # (lower case): any clash left goes the usual way.
    stripped = [n.strip() for n in names]
    kept = ~pd.Index(stripped).duplicated()
    lower = [n.lower() for n, k in zip(stripped, kept, strict=True) if k]
    columns = [c for c, k in zip(columns, kept, strict=True) if k]
    if len(set(lower)) < len(lower):
        return None
    read = [i for i, n in enumerate(lower) if n in ACLED_READ]
    own = [i for i, n in enumerate(lower) if n not in ACLED_USED]
    given = _every_row_named(lower, columns)
    if early is not None and given is not None:
        # acled_frame's ids are these cells when none is empty (only empty ones get a made-up id).
        every_row = pa.table(
            [given, *(columns[i] for i in own)], names=["id", *(f"src_{lower[i]}" for i in own)]
        )
        early(every_row)
    raw = _cells_frame([lower[i] for i in read], [columns[i] for i in read], rows)
    result = acled_frame(raw, str(path), extras=False)
    del raw
    pa.default_memory_pool().release_unused()  # the columns read only to be checked and converted
    if not len(result.records):
        return result, "acled", None
    # Accepted rows keep their file order: all of them accepted, the columns need no take.
    everything = len(result.records) == len(rows)
    if everything and early is not None and given is not None:
        return result, "acled", every_row
    accepted = None if everything else np.searchsorted(rows, result.records["source_row"].to_numpy())
    table = pa.table(
        [
            pa.array(result.records["id"].array),
            *(columns[i] if everything else columns[i].take(accepted) for i in own),
        ],
        names=["id", *(f"src_{lower[i]}" for i in own)],
    )
    return result, "acled", table


def _every_row_named(names: list[str], columns: list) -> pa.ChunkedArray | None:
    """The ``event_id_cnty`` column when it is there and no cell of it is empty, else None."""
    import pyarrow.compute as pc

    if "event_id_cnty" not in names:
        return None
    ids = columns[names.index("event_id_cnty")]
    return None if pc.any(pc.equal(ids, "")).as_py() else ids


def read_events(path: str | Path, file_format: str | None = None) -> tuple[ReadResult, str]:
    """Read any supported file; the format comes from the header unless given. A spreadsheet
    of place names (CSV or XLSX, see :mod:`geodata.geocode`) is geocoded."""
    from geodata import geocode
    from geodata.gazetteer import load_gazetteer
    from geodata.records import read_records

    path = Path(path)
    if geocode.is_xlsx(path) or file_format == geocode.FORMAT:  # place-name spreadsheets are geocoded
        report, detected = geocode.geocode_file(path, file_format=file_format)
        return report.read, detected
    try:
        header = read_header(path)
    except (OSError, StopIteration, csv.Error) as error:  # csv.Error: a header cell over 128 KiB
        problem = Problem(str(path), 1, "(file)", str(error))
        return ReadResult(typed_frame(empty_frame()), [problem]), "unknown"
    if file_format is None and geocode.detect_input_format(header) == geocode.FORMAT:
        report, detected = geocode.geocode_file(path, file_format=geocode.FORMAT)
        return report.read, detected
    file_format = file_format or detect_format(header)
    if file_format == "unrest-map":
        return read_records(path, load_gazetteer()), file_format
    try:
        raw, unread = read_table(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        return ReadResult(
            typed_frame(empty_frame()), [Problem(str(path), 1, "(file)", f"not readable as CSV: {error}")]
        ), file_format
    reader = acled_frame if file_format == "acled" else ucdp_frame
    return with_unread_rows(reader(raw, str(path)), unread), file_format
