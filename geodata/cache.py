"""A columnar cache for imported files: the next start reads Parquet instead of CSV.

The key is the file's sha256, the schema version, the importer version and the
boundary layer's identity, so a changed file, schema or boundary layer rebuilds the
entry. The folder is ``$UNREST_MAP_CACHE`` or the user cache folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from geodata.boundaries import sha256_of
from geodata.records import Problem, ReadResult
from geodata.schema import SCHEMA_VERSION

CACHE_ENV_VAR = "UNREST_MAP_CACHE"
#: Bump when an importer's output changes.
IMPORTER_VERSION = 1


def cache_folder() -> Path:
    folder = os.environ.get(CACHE_ENV_VAR)
    if folder:
        return Path(folder)
    import pooch

    return Path(pooch.os_cache("unrest-map")) / "imports"


#: The same streaming hash the boundary files are checked with.
file_sha256 = sha256_of


def cache_key(path: Path, boundary_identity: str, file_format: str | None) -> str:
    text = "|".join(
        [
            file_sha256(path),
            f"schema{SCHEMA_VERSION}",
            f"importer{IMPORTER_VERSION}",
            boundary_identity,
            str(file_format),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load_cached(key: str) -> tuple[pd.DataFrame, ReadResult, str, Path] | None:
    """(core columns, read report, format, parquet path) or None when there is no entry."""
    folder = cache_folder()
    table, report = folder / f"{key}.parquet", folder / f"{key}.json"
    if not (table.is_file() and report.is_file()):
        return None
    try:
        meta = json.loads(report.read_text(encoding="utf-8"))
        import pyarrow.parquet as pq

        core = [c for c in pq.read_schema(table).names if not c.startswith("src_")]
        # One chunk per column: taking rows from a many-chunked Arrow string column costs
        # milliseconds per call however few rows, and the dashboard takes rows every step.
        frame = pq.read_table(table, columns=core).combine_chunks().to_pandas()
    except (OSError, ValueError, KeyError):
        return None  # a broken entry is rebuilt, never trusted
    problems = [Problem(**p) for p in meta["problems"]]
    return frame, ReadResult(frame, problems, rows_read=meta["rows_read"]), meta["format"], table


def store(key: str, frame: pd.DataFrame, read: ReadResult, file_format: str) -> Path:
    folder = cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / f"{key}.parquet"
    partial = table.with_suffix(".parquet.partial")
    frame.to_parquet(partial, index=False)
    partial.replace(table)  # atomic: another worker never reads half a file
    meta = {
        "rows_read": read.rows_read,
        "format": file_format,
        "problems": [asdict(p) for p in read.problems],
    }
    (folder / f"{key}.json").write_text(json.dumps(meta), encoding="utf-8")
    return table
