"""Read incident records into a typed frame, reporting every bad row.

A records file is CSV with the columns of :mod:`geodata.schema`. Reading never stops
at the first problem: every problem is collected as a :class:`Problem` naming the
file, row (spreadsheet numbering: the header is row 1) and field, the rows with
problems are rejected, and the rest are accepted. ``rows_read == accepted +
rejected`` always holds.
"""

from __future__ import annotations

import csv
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


def read_csv_text(path: Path) -> pd.DataFrame:
    """Every cell as a stripped string, empty for missing, so validation sees raw text."""
    frame = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
        quoting=csv.QUOTE_MINIMAL,
        on_bad_lines="error",
    )
    return frame.apply(lambda column: column.str.strip())


def read_records(path: str | Path | None = None, gazetteer: Gazetteer | None = None) -> ReadResult:
    """Read and check a records file (default: the built-in 2008 records)."""
    source = Path(path) if path else builtin_records_path()
    try:
        raw = read_csv_text(source)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        return ReadResult(
            _empty_frame(), [Problem(str(source), 1, "(file)", f"not readable as CSV: {error}")]
        )
    return records_from_table(raw, str(source), gazetteer or load_gazetteer())


def records_from_table(raw: pd.DataFrame, source: str, gazetteer: Gazetteer) -> ReadResult:
    """Validate a table of text cells in our schema and build the typed frame."""
    missing = [name for name in REQUIRED_FIELDS if name not in raw.columns]
    if missing:
        problem = Problem(source, 1, ",".join(missing), "required column missing")
        return ReadResult(_empty_frame(), [problem], rows_read=len(raw))
    raw = raw.reindex(columns=list(dict.fromkeys([*RECORD_FIELDS, *raw.columns])), fill_value="")
    rows = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(raw))
    raw.index = rows
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
        counts[name] = numbers.where(~not_number & ~negative).astype("Int64")

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


def _empty_frame() -> pd.DataFrame:
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
    return read_csv_text(Path(path) if path else builtin_reactions_path())
