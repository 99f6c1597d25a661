"""Uploaded files in the import cache, named by their content's sha256.

An upload is streamed to a temporary file while it is hashed, checked against the size and
row limits before any parsing, then moved to ``<import cache>/uploads/<sha256>/<name>``. The
hash is the dataset's public name (``?data=<sha256>`` in the dashboard's URL): any process that
sees the cache folder can load it, and nothing else about an upload is kept anywhere.

Resolving an ambiguous place is a new upload too: the file is rewritten as CSV with the chosen
candidate's municipality as the row's hint (the geocoder's own way to choose), stored under the
new content's hash; a small ``resolved.json`` beside it names the file it came from.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

import pandas as pd

from geodata.cache import cache_folder
from geodata.records import Problem

#: Largest upload accepted (bytes); the web server refuses a bigger request before reading it.
MAX_UPLOAD_BYTES: Final = 50 * 1024 * 1024
#: Most data rows accepted (CSV: lines after the header, so a quoted multi-line cell counts more).
MAX_UPLOAD_ROWS: Final = 100_000
#: File types the dashboard takes (the importers detect ACLED, UCDP, records or place names inside).
UPLOAD_SUFFIXES: Final = (".csv", ".xlsx", ".xlsm")
#: Beside a resolved upload: the upload it came from and what was chosen.
RESOLVED_NOTE: Final = "resolved.json"
_HASH = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


class UploadError(ValueError):
    """An upload refused before it was parsed: wrong type, empty (``status``: the HTTP answer)."""

    status = 400


class UploadTooLarge(UploadError):
    """Over the size or the row limit."""

    status = 413


def is_dataset_hash(text: object) -> bool:
    """True for a lower-case hex sha256 (the only names an upload folder can have)."""
    return isinstance(text, str) and _HASH.fullmatch(text) is not None


def uploads_folder() -> Path:
    return cache_folder() / "uploads"


def upload_path(sha: str) -> Path | None:
    """The stored file of the upload named ``sha``, or None (malformed name, or not in the cache)."""
    if not is_dataset_hash(sha):
        return None  # never a path built from anything but 64 hex digits
    folder = uploads_folder() / sha
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in UPLOAD_SUFFIXES)
    except OSError:
        return None
    return files[0] if files else None


def safe_name(name: str | None) -> str:
    """A file name safe in any folder: the last path part, letters, digits, ``._-`` and spaces."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^\w .-]", "_", base).strip(" .")[:100]
    stem, suffix = os.path.splitext(base)
    return (stem or "upload") + suffix.lower()


def store_upload(
    stream: BinaryIO,
    name: str | None,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_rows: int = MAX_UPLOAD_ROWS,
) -> tuple[str, Path]:
    """Copy ``stream`` into the cache under its sha256; returns (sha256, stored file).

    Raises :class:`UploadError` for a type that is not CSV/XLSX, an empty file, more than
    ``max_bytes`` bytes (checked while copying, whatever the request claimed) or more than
    ``max_rows`` data rows. Nothing is kept of a refused upload.
    """
    filename = safe_name(name)
    suffix = Path(filename).suffix
    if suffix not in UPLOAD_SUFFIXES:
        raise UploadError(f"{filename}: upload a .csv or .xlsx file (got {suffix or 'no extension'})")
    folder = uploads_folder()
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    # Closed by the ``with`` below; kept open here so its name is known to the cleanup in ``finally``.
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=".partial-", suffix=suffix, delete=False)  # noqa: SIM115
    partial = Path(handle.name)
    try:
        with handle:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(f"{filename}: larger than the limit of {max_bytes // 2**20} MB")
                digest.update(chunk)
                handle.write(chunk)
        if size == 0:
            raise UploadError(f"{filename}: the file is empty")
        rows = count_rows(partial)
        if rows > max_rows:
            raise UploadTooLarge(f"{filename}: {rows:,} rows, more than the limit of {max_rows:,}")
        if suffix == ".csv":
            problem = encoding_problem(partial, filename)
            if problem is not None:
                raise UploadError(str(problem))
        sha = digest.hexdigest()
        return sha, _keep(partial, sha, filename)
    finally:
        partial.unlink(missing_ok=True)


def _keep(partial: Path, sha: str, filename: str) -> Path:
    """Move a checked file into ``uploads/<sha>/`` (atomically: a reader never sees half a file)."""
    existing = upload_path(sha)
    if existing is not None:
        return existing  # the same bytes were uploaded before, maybe under another name
    final = uploads_folder() / sha
    staging = Path(tempfile.mkdtemp(dir=uploads_folder(), prefix=".staging-"))
    shutil.move(str(partial), staging / filename)
    try:
        staging.rename(final)
    except OSError:  # another worker stored the same bytes first: theirs is the same file
        shutil.rmtree(staging, ignore_errors=True)
    return upload_path(sha) or final / filename


def encoding_problem(path: Path, name: str) -> Problem | None:
    """The first place a CSV file is not UTF-8, by row and field, or None.

    The readers replace such bytes (and a place name with a replaced letter may then match the wrong
    place, or none): an upload is refused instead, saying where, since saving as UTF-8 fixes it.
    """
    with path.open("rb") as handle:
        start = handle.read(4)
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Problem(name, 1, "(file)", "the file is UTF-16; save it as CSV UTF-8 and upload it again")
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line_start = chunk.rfind(b"\n", 0, error.start) + 1
                row = lines + chunk.count(b"\n", 0, error.start) + 1
                line_end = chunk.find(b"\n", error.start)
                line = chunk[line_start : None if line_end < 0 else line_end]
                return Problem(
                    name, row, _field_at(path, line, error.start - line_start), _not_utf8(chunk, error)
                )
            lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return Problem(name, lines + 1, "(row)", "the file ends inside a character: not UTF-8")
    return None


def _not_utf8(chunk: bytes, error: UnicodeDecodeError) -> str:
    return (
        f"not UTF-8 (byte 0x{chunk[error.start]:02X}; the file is perhaps Windows-1250 or Latin-1): "
        "save it as CSV UTF-8 and upload it again"
    )


def _field_at(path: Path, line: bytes, offset: int) -> str:
    """The header's name of the CSV field at byte ``offset`` of ``line`` ('(row)' if unknown)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        header = next(csv.reader(handle), [])
    field = line[:offset].decode("utf-8", "replace").count(",")  # quoted commas aside, good enough to point
    return header[field] if field < len(header) else "(row)"


def count_rows(path: Path) -> int:
    """Data rows: CSV lines after the header (streamed, no parsing); XLSX: the sheet's stated size."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            from openpyxl import load_workbook

            workbook = load_workbook(path, read_only=True)
            try:
                return max(0, (workbook.worksheets[0].max_row or 1) - 1)
            finally:
                workbook.close()
        except Exception:  # not a workbook: the reader reports it with the file's name
            return 0
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return max(0, lines + (last != b"\n") - 1)


# --- the report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A place an ambiguous name may mean."""

    label: str  # 'Banjska (GeoNames 792910, settlement, Zvečan)'
    municipality: str  # the boundary layer's name: the hint that picks it
    lon: float
    lat: float

    def hint(self, others: tuple[Candidate, ...]) -> dict[str, str]:
        """What to write into the row to pick this one: its municipality, the geocoder's own way;
        its coordinates when another candidate is in the same municipality (or it is in none)."""
        same = [c for c in others if c.municipality == self.municipality]
        if self.municipality and len(same) == 1:
            return {"municipality": self.municipality}
        return {"lat": f"{self.lat:.6f}", "lon": f"{self.lon:.6f}"}


@dataclass(frozen=True)
class ReportedRow:
    """One reported row, for the panel: where it is, what is wrong, and what may fix it."""

    file: str
    row: int
    field: str
    reason: str
    place: str = ""
    candidates: tuple[Candidate, ...] = ()  # ambiguous: the places to pick from
    nearest: tuple[str, ...] = ()  # unknown: the closest names


@dataclass(frozen=True)
class GuessedRow:
    """A row placed by a close spelling (the geocoder's fuzzy match): the name given, the place it
    was taken as and the match score (0-100)."""

    file: str
    row: int
    given: str
    taken_as: str
    score: float


@dataclass(frozen=True)
class UploadReport:
    """Rows read = placed + reported, and every reported row sorted into its kind."""

    rows_read: int
    placed: int
    ambiguous: list[ReportedRow] = field(default_factory=list)
    unknown: list[ReportedRow] = field(default_factory=list)
    bad: list[ReportedRow] = field(default_factory=list)
    #: Placed, but by a close spelling of a known name: worth checking by eye.
    guessed: list[GuessedRow] = field(default_factory=list)

    @property
    def reported(self) -> int:
        return self.rows_read - self.placed


def upload_report(
    path: Path,
    rows_read: int,
    placed: int,
    problems: Iterable[Problem],
    index_of: Callable[[], object] | None = None,
    records: pd.DataFrame | None = None,
) -> UploadReport:
    """Sort a read's problems into ambiguous (with candidates), unknown (with nearest names) and
    bad rows. Place problems are matched again for their candidates, against the
    :class:`geodata.geocode.PlaceIndex` that ``index_of`` gives (called only when needed;
    default: a new index). Rows are named by the stored file's own name. ``records``: the placed
    rows (with the geocoder's ``match_kind``), whose close-spelling guesses the report lists."""
    from geodata.geocode import map_columns, match_name, read_table_any

    problems = list(problems)
    index = None
    matches: dict[tuple[str, str], object] = {}
    report = UploadReport(rows_read=rows_read, placed=placed, guessed=guessed_rows(path, records))
    place_field = municipality_field = None
    raw = None
    if any(p.row >= 2 for p in problems):
        try:
            raw, _ = read_table_any(path)
            columns = map_columns(list(raw.columns))
            place_field, municipality_field = columns.get("place"), columns.get("municipality")
        except Exception:  # the read itself reported why; the rows are listed as they are
            raw = None
    for problem in problems:
        shown = ReportedRow(path.name, problem.row, problem.field, problem.reason)
        if raw is None or problem.field != place_field or problem.row not in raw.index:
            report.bad.append(shown)
            continue
        if index is None:
            index = (index_of or place_index)()
        place = str(raw.at[problem.row, place_field])
        hint = str(raw.at[problem.row, municipality_field]) if municipality_field else ""
        match = matches.get((place, hint))
        if match is None:  # each distinct (name, hint) once, as the geocoder does
            match = matches[place, hint] = match_name(index, place, hint)
        if match.problem_kind == "ambiguous":
            places = index.places
            candidates = tuple(
                Candidate(
                    str(index.labels[p]),
                    str(index.municipality_of[p] or ""),
                    float(places.at[p, "lon"]),
                    float(places.at[p, "lat"]),
                )
                for p in match.candidates
            )
            report.ambiguous.append(_with(shown, place=place, candidates=candidates))
        elif match.problem_kind == "unknown":
            nearest = tuple(dict.fromkeys(str(index.places.at[p, "name"]) for p in match.candidates))
            report.unknown.append(_with(shown, place=place, nearest=nearest))
        else:
            report.bad.append(shown)
    return report


def guessed_rows(path: Path, records: pd.DataFrame | None) -> list[GuessedRow]:
    """The placed rows the geocoder took by a close spelling, in file order."""
    from geodata.geocode import fuzzy_rows

    return [] if records is None else [GuessedRow(path.name, *row) for row in fuzzy_rows(records)]


def _with(row: ReportedRow, **changes) -> ReportedRow:
    from dataclasses import replace

    return replace(row, **changes)


def place_index():
    """The geocoder's place index over GeoNames, the gazetteer and (when found) the boundaries."""
    from geodata.geocode import _boundaries_or_none, build_index

    return build_index(boundaries=_boundaries_or_none())


# --- resolving -------------------------------------------------------------------------------------


def resolve_rows(sha: str, hints: dict[int, dict[str, str]]) -> str:
    """Store the upload ``sha`` with ``hints`` (spreadsheet row -> {column: value}, our column names:
    ``municipality``, or ``lat`` and ``lon``) written into its rows, as a new CSV upload; returns the
    new hash (the same choice gives the same hash). Rows the original could not read are not in the
    new file: its report no longer lists them.
    """
    from geodata.geocode import map_columns, read_table_any

    path = upload_path(sha)
    if path is None:
        raise UploadError(f"no upload {sha[:12]}… in the import cache")
    raw, unread = read_table_any(path)
    missing = sorted(set(hints) - set(raw.index))
    if missing:
        raise UploadError(f"{path.name}: no row {missing[0]} to resolve")
    columns = map_columns(list(raw.columns))
    for row, values in hints.items():
        for ours, value in values.items():
            if ours not in ("municipality", "lat", "lon"):
                raise UploadError(f"{path.name}: row {row}: {ours!r} is not a column a choice may set")
            if ours not in columns:
                columns[ours] = ours
                raw[ours] = ""
            raw.at[row, columns[ours]] = value
    folder = uploads_folder()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=folder, prefix=".partial-", suffix=".csv", delete=False, encoding="utf-8", newline=""
    ) as handle:
        writer = csv.writer(handle)
        writer.writerow(list(raw.columns))
        writer.writerows(raw.astype(str).itertuples(index=False, name=None))
    partial = Path(handle.name)
    try:
        with partial.open("rb") as data:
            new_sha, stored = store_upload(data, Path(path).stem + ".csv")
    finally:
        partial.unlink(missing_ok=True)
    note = stored.parent / RESOLVED_NOTE
    if not note.exists():
        # Where the file came from, and the original's rows it could not carry (never dropped silently).
        about = {
            "from": sha,
            "rows": {str(k): v for k, v in hints.items()},
            "left_out": sorted({p.row for p in unread}),
        }
        note.write_text(json.dumps(about), "utf-8")
    return new_sha


def resolution_of(sha: str) -> str:
    """How the upload ``sha`` was made from another by resolving, in words ('' for a plain upload)."""
    path = upload_path(sha)
    note = path.parent / RESOLVED_NOTE if path is not None else None
    try:
        about = json.loads(note.read_text("utf-8")) if note is not None and note.is_file() else None
    except (OSError, ValueError):
        return ""
    if not isinstance(about, dict):
        return ""
    from geodata.names import display_name

    chosen = "; ".join(
        f"row {row}: "
        + ", ".join(f"{k} {display_name(v) if k == 'municipality' else v}" for k, v in values.items())
        for row, values in about.get("rows", {}).items()
    )
    text = f"Resolved from {str(about.get('from', ''))[:12]}… ({chosen})."
    left_out = about.get("left_out") or []
    if left_out:
        rows = ", ".join(str(r) for r in left_out[:10]) + (" …" if len(left_out) > 10 else "")
        text += f" {len(left_out)} row(s) the original could not read are not in this file: {rows}."
    return text
