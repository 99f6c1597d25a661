"""Read incident records into a typed frame, reporting every bad row.

A records file is CSV with the columns of :mod:`geodata.schema`. Reading never stops
at the first problem: every problem is collected as a :class:`Problem` naming the
file, row (spreadsheet numbering: the header is row 1) and field, the rows with
problems are rejected, and the rest are accepted. ``rows_read == accepted +
rejected`` always holds.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.gazetteer import Gazetteer, UnknownPlaceError, load_gazetteer
from geodata.schema import (
    COUNT_FIELDS,
    DATE_PRECISIONS,
    EVENT_TYPES,
    LOCATION_PRECISIONS,
    RECORD_FIELDS,
    REQUIRED_FIELDS,
    SIDE_SEPARATOR,
)

#: The largest casualty count a file may give: far above any event's, and exact in a float (a
#: larger one crashed the conversion to whole numbers instead of being reported).
MAX_COUNT = 10**9

BUILTIN_RECORDS = "incidents_2008.csv"
BUILTIN_REACTIONS = "reactions_2008.csv"
#: Row numbers count the header as row 1, as a spreadsheet shows them.
FIRST_DATA_ROW = 2

_KIND_PRECISION = {"region": "region", "site": "site", "border crossing": "site"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of one row."""

    file: str
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}: {self.field}: {self.reason}"


@dataclass
class ReadResult:
    """Accepted records plus the problems of the rejected ones."""

    records: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0

    @property
    def rows_rejected(self) -> int:
        if any(p.row < FIRST_DATA_ROW for p in self.problems):  # a file-level problem rejects every row
            return self.rows_read - self.rows_accepted
        return len({p.row for p in self.problems})

    @property
    def rows_accepted(self) -> int:
        return len(self.records)

    def summary(self, source: str) -> str:
        return (
            f"{source}: {self.rows_read} rows read, {self.rows_accepted} accepted, "
            f"{self.rows_rejected} rejected"
        )


def builtin_records_path() -> Path:
    return Path(str(resources.files("geodata.data") / BUILTIN_RECORDS))


def builtin_reactions_path() -> Path:
    return Path(str(resources.files("geodata.data") / BUILTIN_REACTIONS))


#: A column past the header's, so a row with more fields than the header still parses
#: (pandas would otherwise drop the extra fields or take the first column as an index).
EXTRA_FIELDS = "\x00extra fields"
#: pandas' warning for a row with more fields than it has columns for.
SKIPPED_LINE = re.compile(r"Skipping line (\d+): expected \d+ fields, saw (\d+)")


def read_cells(path: Path, encoding_errors: str = "strict") -> tuple[pd.DataFrame, list[Problem]]:
    """Every cell as stripped text (empty for missing), indexed by spreadsheet row number
    (header = 1), plus a problem for each row that has more fields than the header.

    Such rows are taken out of the table and reported, never dropped in silence or cut
    short. Blank lines are not rows: they are dropped after numbering, so the rows below
    them keep their numbers. Raises pandas' ``ParserError``/``EmptyDataError`` or
    ``UnicodeDecodeError`` (with ``encoding_errors="strict"``) for a file that is not CSV.
    """
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        header = next(csv.reader(handle), [])
    names = [*_unique(header), EXTRA_FIELDS]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        raw = pd.read_csv(
            path,
            header=None,
            skiprows=1,
            names=names,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            encoding_errors=encoding_errors,
            on_bad_lines="warn",  # two or more fields too many: skipped with a warning, read below
            skip_blank_lines=False,
            index_col=False,
            engine="c",
            low_memory=False,
        )
    messages = [str(w.message) for w in caught if issubclass(w.category, pd.errors.ParserWarning)]
    if any("loss of data" in message for message in messages):
        # The first row was two or more fields too long, so pandas cut every long row short
        # without naming them. Rare: read it again, row by row.
        raw, too_long = _read_rows_with_csv(path, names, encoding_errors)
    else:
        too_long = {
            int(line): _too_long(int(saw), len(header))
            for message in messages
            for line, saw in SKIPPED_LINE.findall(message)
        }
    lines = range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(raw) + len(too_long))
    raw.index = pd.Index([n for n in lines if n not in too_long][: len(raw)])
    one_more = raw[EXTRA_FIELDS].str.strip() != ""  # a trailing empty field is tolerated
    for line in raw.index[one_more.to_numpy()]:
        too_long[int(line)] = _too_long(len(header) + 1, len(header))
    cells = raw[~one_more].drop(columns=EXTRA_FIELDS).apply(lambda column: column.str.strip())
    problems = [Problem(str(path), line, "(row)", reason) for line, reason in sorted(too_long.items())]
    return without_blank_rows(cells), problems


def _too_long(fields: int, header_fields: int) -> str:
    return f"{fields} fields, but the header has {header_fields}: row not read"


def _read_rows_with_csv(
    path: Path, names: list[str], encoding_errors: str
) -> tuple[pd.DataFrame, dict[int, str]]:
    """:func:`read_cells`' table read with the csv module: the rows that fit ``names`` (shorter
    ones padded), and the row number and reason of each longer one, left out."""
    width = len(names)
    kept, too_long = [], {}
    with path.open(encoding="utf-8-sig", errors=encoding_errors, newline="") as handle:
        rows = csv.reader(handle)
        next(rows, None)
        for number, row in enumerate(rows, start=FIRST_DATA_ROW):
            if len(row) > width:
                too_long[number] = _too_long(len(row), width - 1)
            else:
                kept.append(row + [""] * (width - len(row)))
    return pd.DataFrame(kept, columns=names, dtype=object).astype(str), too_long


def _unique(names: list[str]) -> list[str]:
    """Header names made unique as pandas does it ('a', 'a.1', ...)."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        unique.append(name if count == 0 else f"{name}.{count}")
    return unique


def with_unread_rows(result: ReadResult, unread: list[Problem]) -> ReadResult:
    """``result`` plus the rows :func:`read_cells` could not read: counted as read, and rejected."""
    if not unread:
        return result
    problems = sorted([*result.problems, *unread], key=lambda p: (p.row, p.field))
    return ReadResult(result.records, problems, rows_read=result.rows_read + len(unread))


def without_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` less the rows whose every cell is empty (blank or whitespace-only lines)."""
    if frame.empty or not len(frame.columns):
        return frame
    return frame[~frame.fillna("").eq("").all(axis=1)]


def read_records(path: str | Path | None = None, gazetteer: Gazetteer | None = None) -> ReadResult:
    """Read and check a records file (default: the built-in 2008 records)."""
    source = Path(path) if path else builtin_records_path()
    try:
        raw, unread = read_cells(source)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        return ReadResult(empty_frame(), [Problem(str(source), 1, "(file)", f"not readable as CSV: {error}")])
    return with_unread_rows(records_from_table(raw, str(source), gazetteer or load_gazetteer()), unread)


def records_from_table(raw: pd.DataFrame, source: str, gazetteer: Gazetteer) -> ReadResult:
    """Validate a table of text cells in our schema (indexed by row number, as
    :func:`read_cells` gives it) and build the typed frame."""
    missing = [name for name in REQUIRED_FIELDS if name not in raw.columns]
    if missing:
        problem = Problem(source, 1, ",".join(missing), "required column missing")
        return ReadResult(empty_frame(), [problem], rows_read=len(raw))
    raw = raw.reindex(columns=list(dict.fromkeys([*RECORD_FIELDS, *raw.columns])), fill_value="")
    rows = raw.index  # spreadsheet row numbers, from read_cells
    problems: list[Problem] = []

    def flag(mask: pd.Series, field_name: str, reason: str | Iterable[str]) -> None:
        reasons = [reason] * int(mask.sum()) if isinstance(reason, str) else list(reason)
        problems.extend(
            Problem(source, int(row), field_name, why)
            for row, why in zip(mask[mask].index, reasons, strict=True)
        )

    flag(raw["id"] == "", "id", "empty")
    duplicated = raw["id"].duplicated(keep="first") & (raw["id"] != "")
    flag(duplicated, "id", (f"duplicate id {v!r}" for v in raw["id"][duplicated]))

    start = _parse_dates(raw["date_start"])
    flag(start.isna(), "date_start", (_date_reason(v) for v in raw["date_start"][start.isna()]))
    end = _parse_dates(raw["date_end"].where(raw["date_end"] != "", raw["date_start"]))
    bad_end = end.isna() & (raw["date_end"] != "")
    flag(bad_end, "date_end", (_date_reason(v) for v in raw["date_end"][bad_end]))
    flag(
        end < start,
        "date_end",
        (
            f"{e.date()} is before date_start {s.date()}"
            for s, e in zip(start[end < start], end[end < start], strict=True)
        ),
    )
    precision = raw["date_precision"].where(
        raw["date_precision"] != "", np.where(start == end, "day", "range")
    )
    bad_precision = ~precision.isin(DATE_PRECISIONS)
    flag(
        bad_precision,
        "date_precision",
        (f"{v!r} is not one of {', '.join(DATE_PRECISIONS)}" for v in precision[bad_precision]),
    )

    bad_type = ~raw["event_type"].isin(EVENT_TYPES.keys())
    flag(
        bad_type,
        "event_type",
        (
            f"unknown event type {v!r}; expected one of ACLED's: {', '.join(EVENT_TYPES)}"
            for v in raw["event_type"][bad_type]
        ),
    )
    bad_sub = (
        ~bad_type
        & (raw["sub_event_type"] != "")
        & ~pd.Series(
            [
                s in EVENT_TYPES.get(t, ())
                for t, s in zip(raw["event_type"], raw["sub_event_type"], strict=True)
            ],
            index=rows,
        )
    )
    flag(
        bad_sub,
        "sub_event_type",
        (
            f"{s!r} is not a sub-event type of {t!r}"
            for t, s in zip(raw["event_type"][bad_sub], raw["sub_event_type"][bad_sub], strict=True)
        ),
    )

    counts = {}
    for name in COUNT_FIELDS:
        numbers = pd.to_numeric(raw[name].str.replace(",", "", regex=False), errors="coerce")
        not_number = (raw[name] != "") & (numbers.isna() | ~np.isfinite(numbers) | (numbers % 1 != 0))
        flag(
            not_number,
            name,
            (f"{v!r} is not a whole number (leave empty if unknown)" for v in raw[name][not_number]),
        )
        negative = ~not_number & (numbers < 0)
        flag(negative, name, (f"{v} is negative" for v in raw[name][negative]))
        too_large = ~not_number & (numbers > MAX_COUNT)
        too_much = (f"{v} is larger than any count ({MAX_COUNT:,} at most)" for v in raw[name][too_large])
        flag(too_large, name, too_much)
        counts[name] = numbers.where(~not_number & ~negative & ~too_large).astype("Int64")

    places = _locate(raw, source, gazetteer, problems)

    rejected = {p.row for p in problems}
    keep = ~rows.isin(list(rejected))
    frame = pd.DataFrame(
        {
            "id": raw["id"].astype("string"),
            "date_start": start,
            "date_end": end,
            "date_precision": precision,
            "event_type": raw["event_type"],
            "sub_event_type": raw["sub_event_type"],
            "actor1": raw["actor1"].astype("string"),
            "actor2": raw["actor2"].astype("string"),
            "sides": raw["sides"].map(_tidy_sides),
            **places,
            **counts,
            "description": raw["description"].astype("string"),
            "source_section": raw["source_section"].astype("string"),
            "notes": raw["notes"].astype("string"),
        },
        index=rows,
    )
    frame["location_precision"] = raw["location_precision"].where(
        raw["location_precision"] != "", frame["place_kind"].map(lambda k: _KIND_PRECISION.get(k, "town"))
    )
    bad_loc = ~frame["location_precision"].isin(LOCATION_PRECISIONS)
    flag(
        bad_loc,
        "location_precision",
        (
            f"{v!r} is not one of {', '.join(LOCATION_PRECISIONS)}"
            for v in frame["location_precision"][bad_loc]
        ),
    )
    keep &= ~bad_loc
    frame = typed_frame(frame[keep].reset_index(names="source_row"))
    problems.sort(key=lambda p: (p.row, p.field))
    return ReadResult(frame, problems, rows_read=len(raw))


def typed_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Give the common columns their dtypes (categories for the filterable text)."""
    for name in (
        "date_precision",
        "event_type",
        "sub_event_type",
        "sides",
        "place",
        "place_kind",
        "location_precision",
    ):
        frame[name] = frame[name].astype("category")
    for name in ("lat", "lon"):
        frame[name] = frame[name].astype("float64")
    return frame


def _tidy_sides(text: str) -> str:
    sides = [s.strip() for s in text.split(SIDE_SEPARATOR) if s.strip()]
    return SIDE_SEPARATOR.join(dict.fromkeys(sides))


def _parse_dates(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def _date_reason(value: str) -> str:
    if value == "":
        return "empty (expected YYYY-MM-DD)"
    return f"{value!r} is not a real date in YYYY-MM-DD form"


def _locate(raw: pd.DataFrame, source: str, gazetteer: Gazetteer, problems: list[Problem]) -> dict:
    """Place names and coordinates: from explicit lat/lon where given, else the gazetteer."""
    has_coords = "lat" in raw.columns and "lon" in raw.columns
    out: dict[str, list] = {
        k: [] for k in ("place", "place_name", "place_name_sq", "place_name_sr", "place_kind", "lat", "lon")
    }
    places = gazetteer.places
    for row, text in raw["place"].items():
        lat_text = raw.at[row, "lat"] if has_coords else ""
        lon_text = raw.at[row, "lon"] if has_coords else ""
        key = None
        if text:
            try:
                key = gazetteer.resolve(text)
            except UnknownPlaceError as error:
                if not (lat_text or lon_text):
                    problems.append(Problem(source, int(row), "place", str(error)))
        elif not (lat_text or lon_text):
            problems.append(Problem(source, int(row), "place", "empty, and no lat/lon given"))
        if lat_text or lon_text:
            lat, lon = _coordinates(lat_text, lon_text, source, int(row), problems)
        elif key is not None:
            lat, lon = places.at[key, "lat"], places.at[key, "lon"]
        else:
            lat = lon = np.nan
        if key is not None:
            names = places.loc[key, ["name_en", "name_sq", "name_sr", "kind"]].tolist()
        else:
            names = [text, text, text, "town"]
        for column, value in zip(out, [key or text, *names, lat, lon], strict=True):
            out[column].append(value)
    return {k: pd.Series(v, index=raw.index) for k, v in out.items()}


def _coordinates(
    lat_text: str, lon_text: str, source: str, row: int, problems: list[Problem]
) -> tuple[float, float]:
    values = []
    for name, text, limit in (("lat", lat_text, 90), ("lon", lon_text, 180)):
        try:
            value = float(text)
        except ValueError:
            problems.append(Problem(source, row, name, f"{text!r} is not a number"))
            values.append(np.nan)
            continue
        if not (-limit <= value <= limit):  # also rejects NaN
            problems.append(Problem(source, row, name, f"{value} is out of range -{limit}..{limit}"))
        values.append(value)
    return values[0], values[1]


def empty_frame() -> pd.DataFrame:
    columns = [
        "source_row",
        *RECORD_FIELDS,
        "place_name",
        "place_name_sq",
        "place_name_sr",
        "place_kind",
        "lat",
        "lon",
    ]
    frame = pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
    frame["date_start"] = pd.Series(dtype="datetime64[us]")
    frame["date_end"] = pd.Series(dtype="datetime64[us]")
    return typed_frame(frame)


def read_reactions(path: str | Path | None = None) -> pd.DataFrame:
    """The reactions linked to incidents (statements; not map points)."""
    source = Path(path) if path else builtin_reactions_path()
    reactions, unread = read_cells(source)
    if unread:
        raise ValueError("\n".join(str(problem) for problem in unread))
    return reactions
