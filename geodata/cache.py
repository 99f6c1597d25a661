"""A columnar cache for imported files: the next start reads Parquet instead of CSV.

The key is the file's sha256, the schema version, the importer version and the
boundary layer's identity, so a changed file, schema or boundary layer rebuilds the
entry. The folder is ``$UNREST_MAP_CACHE`` or the user cache folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from geodata.boundaries import sha256_of
from geodata.records import Problem, ReadResult
from geodata.schema import SCHEMA_VERSION

CACHE_ENV_VAR = "UNREST_MAP_CACHE"
#: Bump when an importer's output changes.
IMPORTER_VERSION = 4


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
    """(core columns, read report, format, Parquet file of the originals) or None when there is no entry."""
    folder = cache_folder()
    table, report, originals = folder / f"{key}.parquet", folder / f"{key}.json", _originals_path(key)
    if not (table.is_file() and report.is_file()):
        return None
    if not originals.is_file():  # an entry written before the originals had their own file
        originals = table
    try:
        meta = json.loads(report.read_text(encoding="utf-8"))
        import pyarrow as pa
        import pyarrow.parquet as pq

        core = [c for c in pq.read_schema(table).names if not c.startswith("src_")]
        arrow = pq.read_table(table, columns=core)
        # One chunk per column: taking rows from a many-chunked Arrow string column costs
        # milliseconds per call however few rows, and the dashboard takes rows every step.
        # Entries are written as one row group, so this copies nothing for them.
        if any(column.num_chunks > 1 for column in arrow.columns):
            arrow = arrow.combine_chunks()
        # Each Arrow column is let go once converted: the peak stays near one copy of the data.
        frame = arrow.to_pandas(self_destruct=True, split_blocks=True)
        del arrow
        pa.default_memory_pool().release_unused()
    except (OSError, ValueError, KeyError):
        return None  # a broken entry is rebuilt, never trusted
    problems = [Problem(**p) for p in meta["problems"]]
    return frame, ReadResult(frame, problems, rows_read=meta["rows_read"]), meta["format"], originals


def _originals_path(key: str) -> Path:
    return cache_folder() / f"{key}.originals.parquet"


def store_originals(key: str, originals) -> Future[Path]:
    """Write an import's own columns (``id`` and ``src_*``, in file order; a DataFrame of text or
    an Arrow table of strings) to the cache, in a thread.

    The details panel looks rows up by id, so the order does not matter and the columns
    need no sort; Arrow writes them without the GIL while the caller joins the rest.
    """
    import pyarrow as pa

    if isinstance(originals, pa.Table):
        # The pandas types a DataFrame of text would record: read back, the columns are the same.
        names = originals.column_names
        text = pd.DataFrame({name: pd.Series([], dtype="string") for name in names})
        metadata = pa.Table.from_pandas(text, preserve_index=False).schema.metadata
        table = originals.replace_schema_metadata(metadata)
    else:
        table = pa.Table.from_pandas(originals, preserve_index=False)  # Arrow-backed text: no copy
    target = _originals_path(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(_write_atomically, table, target)
    pool.shutdown(wait=False)
    return future


def _write_atomically(table, target: Path) -> Path:
    import pyarrow.parquet as pq

    # A name of this writer's own: two processes importing the same file at once (two workers,
    # or a server and a benchmark) each write their whole copy, and the last rename wins.
    partial = target.with_name(f"{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
    # One row group: read back as one chunk per column, which the dashboard needs (see load_cached).
    # No min/max statistics: with one row group they can skip nothing, and for text columns they
    # were a quarter of the writing time.
    pq.write_table(table, partial, row_group_size=max(1, table.num_rows), write_statistics=False)
    partial.replace(target)  # atomic: another worker never reads half a file
    return target


def store(
    key: str,
    frame: pd.DataFrame,
    read: ReadResult,
    file_format: str,
    originals: Future[Path] | None = None,
) -> Path:
    """Write the joined frame and the read report; returns the originals' file (or the frame's)."""
    import pyarrow as pa

    folder = cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    table = _write_atomically(pa.Table.from_pandas(frame, preserve_index=False), folder / f"{key}.parquet")
    written = originals.result() if originals is not None else table
    meta = {
        "rows_read": read.rows_read,
        "format": file_format,
        "problems": [asdict(p) for p in read.problems],
    }
    # The report last: an entry counts only when all its files are there (and whole).
    report = folder / f"{key}.json"
    partial = report.with_name(f"{report.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
    partial.write_text(json.dumps(meta), encoding="utf-8")
    partial.replace(report)
    return written
