"""More than one dataset per server: the built-in (or ``serve --data``) one, and every upload in
the import cache, named by its content hash in the URL (``/?data=<sha256>``).

Each uploaded dataset gets its own Dash app, mounted under ``/d/<sha256>/`` (its callbacks and
files live there; the page itself is asked for as ``/?data=<sha256>``, so the URL a user shares
names the data). The existing app code serves every dataset unchanged: a dataset is read-only and
its callbacks capture it, as they always did. Nothing about a user is kept: a worker that has
never seen a hash loads it from the shared cache folder on the first request that names it.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from flask import Flask

from geodata.dataset import Dataset
from geodata.uploads import UploadReport, is_dataset_hash, upload_path, upload_report

_log = logging.getLogger(__name__)

#: URL prefix of the uploaded datasets' apps: ``/d/<sha256>/``.
PREFIX = "/d/"
#: Uploaded datasets' apps kept per process. Each holds an immutable frame of at most
#: ``MAX_UPLOAD_ROWS`` rows and its page; the least recently used is dropped (and reloaded from
#: the Parquet cache in well under a second if asked again), so memory stays bounded however many
#: files are uploaded, and a dropped entry loses nothing: the cache on disk is the only state.
APPS_KEPT = 4


def prefix_of(sha: str) -> str:
    return f"{PREFIX}{sha}/"


@dataclass(frozen=True)
class Uploaded:
    """An upload loaded from the cache: what its app shows."""

    sha: str
    path: Path
    dataset: Dataset
    report: UploadReport


def load_uploaded(sha: str, index_of: Callable[[], object] | None = None) -> Uploaded | None:
    """The upload ``sha`` read (through the import cache), joined and reported; None when there is
    no such upload or none of its rows could be placed."""
    from geodata.dataset import load_dataset

    path = upload_path(sha)
    if path is None:
        return None
    dataset = load_dataset(path, strict=False)
    if dataset.incidents.empty:
        return None
    read = dataset.read
    report = upload_report(
        path, read.rows_read, len(dataset.incidents), read.problems, index_of, read.records
    )
    return Uploaded(sha, path, dataset, report)


class UploadedApps:
    """WSGI middleware in front of the default app: a request for an uploaded dataset goes to that
    dataset's app, built on first use and kept in a small LRU (:data:`APPS_KEPT`); anything else,
    an unknown or malformed hash included, goes to the default app (whose page then says so)."""

    def __init__(
        self,
        default_wsgi: Callable,
        build: Callable[[Uploaded], Flask],
        capacity: int = APPS_KEPT,
    ) -> None:
        self._default = default_wsgi
        self._build = build
        self._capacity = capacity
        self._apps: OrderedDict[str, Flask] = OrderedDict()
        self._lock = threading.Lock()  # guards the LRU; builds run outside it, one per hash
        self._building: dict[str, threading.Lock] = {}
        self._index = None  # the geocoder's place index, built once when a report needs it

    def get(self, sha: str) -> Flask | None:
        """The app for ``sha`` (loading the upload when it is not kept), or None."""
        if not is_dataset_hash(sha):
            return None
        with self._lock:
            if sha in self._apps:
                self._apps.move_to_end(sha)
                return self._apps[sha]
            building = self._building.setdefault(sha, threading.Lock())
        with building:  # a second request for the same new hash waits for the first build
            with self._lock:
                if sha in self._apps:
                    return self._apps[sha]
            try:
                uploaded = load_uploaded(sha, self._place_index)
                server = self._build(uploaded) if uploaded is not None else None
            except Exception:  # a broken entry: the default page says the data could not be shown
                _log.exception("uploaded dataset %s could not be loaded", sha)
                server = None
            with self._lock:
                self._building.pop(sha, None)
                if server is not None:
                    self._apps[sha] = server
                    while len(self._apps) > self._capacity:
                        self._apps.popitem(last=False)
            return server

    def _place_index(self):
        if self._index is None:
            from geodata.uploads import place_index

            self._index = place_index()
        return self._index

    def __call__(self, environ: dict, start_response: Callable):
        path = environ.get("PATH_INFO", "")
        if path.startswith(PREFIX):
            sha = path[len(PREFIX) :].split("/", 1)[0]
            server = self.get(sha)
            if server is not None:
                return server(environ, start_response)
            if path == prefix_of(sha) and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
                # An old bookmark of the app's own address: the default page explains.
                start_response("302 Found", [("Location", f"/?data={sha}")])
                return [b""]
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"no such dataset in the import cache"]
        if path == "/" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            wanted = parse_qs(environ.get("QUERY_STRING", "")).get("data", [""])[0]
            server = self.get(wanted) if wanted else None
            if server is not None:
                return server(dict(environ, PATH_INFO=prefix_of(wanted)), start_response)
        return self._default(environ, start_response)
