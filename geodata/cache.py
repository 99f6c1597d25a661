"""A columnar cache for imported files: the next start maps the joined columns instead of reading CSV.

An entry is the joined frame as two uncompressed Arrow IPC files, half of its columns each
(written by two threads; memory-mapped at load), the incident table's sort orders as another
(``geodata/sortorders.py``), the import's original columns as Parquet (read by id for the
details panel) and the read report as JSON. The key is the file's sha256, the schema version,
the importer version, the cache format and the boundary layer's identity, so a changed file,
schema or boundary layer rebuilds the entry. The folder is ``$UNREST_MAP_CACHE`` or the user
cache folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from geodata.boundaries import sha256_of
from geodata.records import Problem, ReadResult
from geodata.schema import SCHEMA_VERSION

CACHE_ENV_VAR = "UNREST_MAP_CACHE"
#: Bump when an importer's output changes (5: a search text that repeats, as categories: code that
#: searches only text must not read these entries).
IMPORTER_VERSION = 5
#: Bump when the files of an entry change (2: the joined frame as Arrow IPC instead of Parquet;
#: 3: the table's sort orders beside it; 4: the joined frame's columns in two files).
CACHE_FORMAT = 4


def cache_folder() -> Path:
    folder = os.environ.get(CACHE_ENV_VAR)
    if folder:
        return Path(folder)
    import pooch

    return Path(pooch.os_cache("unrest-map")) / "imports"


#: The same streaming hash the boundary files are checked with.
file_sha256 = sha256_of


#: A file changed less than this many seconds before it is hashed is hashed again next time: a
#: write in the same tick of the file system's clock would leave its times as they were.
RECENT_CHANGE_S = 2.0


def remembered_sha256(path: Path) -> str:
    """:func:`file_sha256` of ``path``, remembered in the cache folder under the file's identity on disk
    (device, inode, size, modification and change times in nanoseconds), as git's index does.

    Hashing a five-million-row CSV (1.2 GB) costs about 3 CPU-seconds, more than the whole load from
    the cache. Any write to the file sets its change time (which no program can set back), so a
    changed file is hashed again; a file changed just before it was hashed is not remembered.
    """
    stat = path.stat()
    memo = _memo_path(path, stat)
    known = _remembered(memo)
    if known is not None:
        return known
    digest = file_sha256(path)
    if time.time() - max(stat.st_mtime, stat.st_ctime) < RECENT_CHANGE_S:
        return digest
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        partial = memo.with_name(f"{memo.name}.{os.getpid()}.partial")
        partial.write_text(digest, encoding="ascii")
        partial.replace(memo)  # atomic: another process never reads half a hash
    except OSError:
        pass  # a read-only cache folder: hashed again next time
    return digest


def _memo_path(path: Path, stat: os.stat_result) -> Path:
    identity = "|".join(
        map(str, (path.resolve(), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns))
    )
    return cache_folder() / "hashes" / f"{hashlib.sha256(identity.encode()).hexdigest()[:32]}.sha256"


def _remembered(memo: Path) -> str | None:
    try:
        known = memo.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return known if len(known) == 64 else None


def known_cache_key(path: Path, boundary_identity: str, file_format: str | None) -> str | None:
    """:func:`cache_key` when the file's hash is remembered (no reading of the file), else None."""
    digest = _remembered(_memo_path(path, path.stat()))
    return _key(digest, boundary_identity, file_format) if digest is not None else None


def cache_key_in_thread(
    path: Path, boundary_identity: str, file_format: str | None, after: threading.Event | None = None
) -> Future[str]:
    """:func:`cache_key`, worked out in a thread: hashing a file nobody has hashed yet (0.2 CPU-s
    at a million rows) runs beside the caller's work (the digest lets go of the GIL).

    ``after``: the hashing waits until it is set. Arrow's parser keeps every core busy while it
    reads the file, and the checks that follow leave one idle: hashed then, the file costs the
    import no time. The caller must set it (in a ``finally``), or the key never comes.
    """

    def key() -> str:
        if after is not None:
            after.wait()
        return cache_key(path, boundary_identity, file_format)

    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(key)
    pool.shutdown(wait=False)
    return future


def cache_key(path: Path, boundary_identity: str, file_format: str | None) -> str:
    return _key(remembered_sha256(path), boundary_identity, file_format)


def _key(digest: str, boundary_identity: str, file_format: str | None) -> str:
    text = "|".join(
        [
            digest,
            f"schema{SCHEMA_VERSION}",
            f"importer{IMPORTER_VERSION}",
            f"format{CACHE_FORMAT}",
            boundary_identity,
            str(file_format),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load_cached(key: str) -> tuple[pd.DataFrame, ReadResult, str, Path] | None:
    """(core columns, read report, format, Parquet file of the originals) or None when there is no entry.

    The core table is an uncompressed Arrow IPC file, memory-mapped: the columns are read from the
    page cache as they are used, nothing is decoded, and the processes of one host (gunicorn
    workers, several servers) share one copy of the data. Numbers, dates and text stay on the
    mapped pages; only what pandas keeps in its own layout (categories' codes, nullable counts,
    flags) is copied.
    """
    folder = cache_folder()
    tables, report, originals = _core_paths(key), folder / f"{key}.json", _originals_path(key)
    if not (all(t.is_file() for t in tables) and report.is_file() and originals.is_file()):
        return None
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        meta = json.loads(report.read_text(encoding="utf-8"))
        arrow = _joined_halves([ipc.open_file(pa.memory_map(str(t), "r")).read_all() for t in tables])
        # One chunk per column: taking rows from a many-chunked Arrow string column costs
        # milliseconds per call however few rows, and the dashboard takes rows every step.
        # Entries are written as one record batch, so this copies nothing for them.
        if any(column.num_chunks > 1 for column in arrow.columns):
            arrow = arrow.combine_chunks()
        frame = arrow.to_pandas(self_destruct=True, split_blocks=True)
        del arrow
    except (OSError, ValueError, KeyError, pa.ArrowException):
        return None  # a broken entry is rebuilt, never trusted
    problems = [Problem(**p) for p in meta["problems"]]
    return frame, ReadResult(frame, problems, rows_read=meta["rows_read"]), meta["format"], originals


def _core_paths(key: str) -> tuple[Path, Path]:
    """The files of the joined frame's two halves (Arrow IPC, like the sort orders)."""
    return cache_folder() / f"{key}.arrow", cache_folder() / f"{key}.second.feather"


#: Schema metadata of the first half: the frame's column names in order, as JSON.
_COLUMNS_KEY = b"unrest-map:columns"


def _halves(table):
    """``table``'s columns in two tables of about the same size (the first carries the schema's
    metadata and the column order): two threads write one each, in half the time of one."""
    import pyarrow as pa

    names = table.column_names
    sizes = [column.nbytes for column in table.columns]
    parts: tuple[list[int], list[int]] = ([], [])
    weight = [0, 0]
    for position in sorted(range(len(names)), key=lambda i: -sizes[i]):
        lighter = 0 if weight[0] <= weight[1] else 1
        parts[lighter].append(position)
        weight[lighter] += sizes[position]
    metadata = {**(table.schema.metadata or {}), _COLUMNS_KEY: json.dumps(names).encode()}
    return tuple(
        pa.Table.from_arrays(
            [table.column(i) for i in sorted(part)],
            schema=pa.schema([table.schema.field(i) for i in sorted(part)], metadata=None if n else metadata),
        )
        for n, part in enumerate(parts)
    )


def _joined_halves(halves):
    """The table :func:`_halves` split, put together again (no data copied)."""
    import pyarrow as pa

    first = halves[0]
    metadata = dict(first.schema.metadata)
    names = json.loads(metadata.pop(_COLUMNS_KEY))
    fields = {
        field.name: (field, column)
        for half in halves
        for field, column in zip(half.schema, half.columns, strict=True)
    }
    return pa.Table.from_arrays(
        [fields[name][1] for name in names],
        schema=pa.schema([fields[name][0] for name in names], metadata=metadata),
    )


def _originals_path(key: str) -> Path:
    return cache_folder() / f"{key}.originals.parquet"


def _orders_path(key: str) -> Path:
    return cache_folder() / f"{key}.orders.feather"  # Arrow IPC, like the core table


def load_orders(key: str, rows: int):
    """The table's sort orders stored with an entry (:func:`geodata.sortorders.read_orders`:
    memory-mapped), or None: an entry without them still loads, and the table orders a column on
    its first sort instead."""
    from geodata.sortorders import read_orders

    path = _orders_path(key)
    return read_orders(path, rows) if path.is_file() else None


def store_originals(
    key: str | Future[str], originals, wanted: Future[bool] | None = None
) -> Future[Path | None]:
    """Write an import's own columns (``id`` and ``src_*``, in file order; a DataFrame of text or
    an Arrow table of strings) to the cache, in a thread.

    The details panel looks rows up by id, so the order does not matter and the columns
    need no sort; Arrow writes them without the GIL while the caller works on the rest. ``key``
    may be still being worked out (:func:`cache_key_in_thread`): the thread waits for it.
    ``wanted``: written before it is known whether they are the ones to keep; the written file
    takes its place in the entry only once ``wanted`` is True (None and no file when False).
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

    def write() -> Path | None:
        target = _originals_path(key.result() if isinstance(key, Future) else key)
        target.parent.mkdir(parents=True, exist_ok=True)
        return _write_atomically(table, target, True, wanted)

    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(write)
    pool.shutdown(wait=False)
    return future


def _write_atomically(table, target: Path, plain_text: bool = False, wanted: Future[bool] | None = None):
    """Write ``table`` to ``target`` (Parquet, or Arrow IPC for ``.arrow``) through a partial file;
    returns ``target``.

    ``plain_text``: columns of dictionary-encoded text (as an import reads some) are read back as
    plain text (Parquet only). ``wanted``: the partial file replaces ``target`` only once this is
    True; when False it is deleted and None returned.
    """
    # A name of this writer's own: two processes importing the same file at once (two workers,
    # or a server and a benchmark) each write their whole copy, and the last rename wins.
    partial = target.with_name(f"{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
    if target.suffix in (".arrow", ".feather"):
        import pyarrow as pa
        import pyarrow.ipc as ipc

        # One record batch, uncompressed: memory-mapped back as one chunk per column (see load_cached).
        with pa.OSFile(str(partial), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=max(1, table.num_rows))
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        # One row group: the details panel reads the originals back in one piece. No min/max
        # statistics: with one row group they can skip nothing, and for text columns they were a
        # quarter of the writing time.
        if plain_text and any(pa.types.is_dictionary(t) for t in table.schema.types):
            _write_dictionaries_as_text(table, partial)
        else:
            pq.write_table(table, partial, row_group_size=max(1, table.num_rows), write_statistics=False)
    if wanted is not None and not wanted.result():
        partial.unlink(missing_ok=True)
        return None
    partial.replace(target)  # atomic: another worker never reads half a file
    return target


def _write_dictionaries_as_text(table, path: Path) -> None:
    """``table`` as Parquet whose dictionary-encoded text columns read back as plain text: the
    file's Arrow schema (``ARROW:schema``, which readers follow) is the one the table would have
    with plain text, and Parquet writes its dictionary pages from each column's one dictionary
    instead of hashing every cell again (at a million rows, 0.3 -> 0.15 CPU-s)."""
    import base64

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = table.unify_dictionaries()
    plain = pa.schema(
        [pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in table.schema],
        metadata=table.schema.metadata,
    )
    metadata = {key.decode(): value.decode() for key, value in (table.schema.metadata or {}).items()}
    metadata["ARROW:schema"] = base64.b64encode(plain.serialize().to_pybytes()).decode()
    with pq.ParquetWriter(path, table.schema, write_statistics=False, store_schema=False) as writer:
        writer.write_table(table, row_group_size=max(1, table.num_rows))
        writer.add_key_value_metadata(metadata)


def _return_free_memory() -> None:
    """Hand the memory Arrow's and C's allocators keep for reuse back to the system, just before an
    entry's files are written: the system then fills the files' pages with it. Pages it has not
    handed out for a while cost far more to fill (on a virtual machine whose host takes freed
    memory back: 1-2 ms per MB, most of the write's time)."""
    import ctypes

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # glibc's; other C libraries may have none
        ctypes.CDLL(None).malloc_trim(0)


def orders_in_thread(frame: pd.DataFrame, target: Path, known=None) -> Future[Path | None]:
    """The table's sort orders of ``frame`` (:func:`geodata.sortorders.orders_table`: about 0.3 CPU-s
    per million rows, mostly NumPy and Arrow sorts, which let go of the GIL), computed and written
    to ``target`` (Arrow IPC) in a thread; the future's result is the file, or None when a column
    cannot be ranked (mixed types). ``known``: orders already worked out, by column.

    The thread reads its own selection of the columns: the caller may add columns to ``frame``
    meanwhile.
    """
    from geodata.sortorders import SORTED_COLUMNS, orders_table

    columns = frame[[c for c in SORTED_COLUMNS if c in frame.columns]]  # copy-on-write: no data copied

    def written() -> Path | None:
        import pyarrow as pa

        # A column the orders cannot rank (mixed types): no orders, the table sorts on demand.
        with contextlib.suppress(TypeError, ValueError, pa.ArrowException):
            return _write_atomically(orders_table(columns, known=known), target)
        return None

    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(written)
    pool.shutdown(wait=False)
    return future


def store(
    key: str,
    frame: pd.DataFrame,
    read: ReadResult,
    file_format: str,
    originals: Future[Path] | None = None,
    orders=None,
) -> Path:
    """Write the joined frame (Arrow IPC), its sort orders and the read report; returns the
    originals' file (Parquet). ``orders``: the frame's orders already worked out, by column
    (:func:`geodata.sortorders.column_order`); the others are worked out here."""
    import pyarrow as pa

    folder = cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    # The orders are computed and written in a thread while this one writes the frame.
    orders = orders_in_thread(frame, _orders_path(key), orders)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if any(column.num_chunks > 1 for column in table.columns):
        table = table.combine_chunks()  # one record batch (see load_cached)
    first, second = _halves(table)
    del table
    _return_free_memory()
    pool = ThreadPoolExecutor(max_workers=1)
    second_written = pool.submit(_write_atomically, second, _core_paths(key)[1])
    pool.shutdown(wait=False)
    core = _write_atomically(first, _core_paths(key)[0])
    del first, second
    second_written.result()
    orders.result()
    written = originals.result() if originals is not None else core
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
