"""Serving many users: gunicorn with several worker processes.

Two ways to start it, both on the same app factory::

    unrest-map serve --workers 4 [--threads 4] [--data FILE]
    UNREST_MAP_DATA=FILE gunicorn --workers 4 --threads 4 'dashboard.production:create_server()'

With ``unrest-map serve --workers N`` the dataset is loaded once, in the gunicorn master,
before the workers fork: its arrays are then shared copy-on-write instead of loaded N
times. Each worker builds its own Dash app after the fork, because the export browser
(kaleido) and the background-job cache's SQLite connection must not cross a fork.

What the workers share lives on disk: the Parquet import cache and the background-job
folder (``$TMP/unrest-map-jobs``), so a GIF export started through one worker can be
polled and cancelled through another. Past one machine, ``--jobs redis://HOST:PORT/N``
(or ``$UNREST_MAP_JOBS``) moves the background jobs to Celery with Redis as broker and
result store, and ``unrest-map worker`` runs them: then any server on any host can start,
poll, cancel and download any job. No user state lives in a worker: every request
carries the whole view in its component values, so any worker can answer any request.
Exports are bounded per worker (one rendering plus a short queue; more get "busy").
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

#: Environment read by :func:`create_server` (the plain gunicorn line).
DATA_ENV = "UNREST_MAP_DATA"
BASEMAP_ENV = "UNREST_MAP_BASEMAP"
#: A Redis URL: background jobs go through Celery there instead of the local disk cache.
JOBS_ENV = "UNREST_MAP_JOBS"
#: Seconds a finished job's result is kept for the browser that started it.
JOB_EXPIRE_S = 3600


def jobs_url(given: str | None = None) -> str | None:
    """The job store's Redis URL: ``given`` (``--jobs``), else ``$UNREST_MAP_JOBS``, else None (disk)."""
    url = given or os.environ.get(JOBS_ENV) or None
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"--jobs/{JOBS_ENV} must be a Redis URL (redis://HOST:PORT/N), got {url!r}")
    return url


def celery_app(url: str):
    """A Celery app with Redis at ``url`` as broker and result store, for Dash's background callbacks."""
    from celery import Celery

    app = Celery("unrest_map", broker=url, backend=url)
    app.conf.update(
        broker_connection_retry_on_startup=True,
        result_expires=JOB_EXPIRE_S,
        worker_prefetch_multiplier=1,  # an export is long: a worker takes one at a time
        task_acks_late=True,  # a job whose worker dies goes back to the queue
        worker_hijack_root_logger=False,
    )
    return app


def background_manager(jobs_dir: str | os.PathLike | None = None, jobs: str | None = None):
    """Where background jobs (GIF export) run and keep their results.

    With a Redis URL (``jobs`` or ``$UNREST_MAP_JOBS``): Dash's ``CeleryManager``; every
    server and ``unrest-map worker`` on that Redis shares the jobs. Otherwise a disk cache
    in ``jobs_dir`` (default ``$TMP/unrest-map-jobs``) that the processes of one host share.
    """
    url = jobs_url(jobs)
    if url:
        from dash import CeleryManager

        return CeleryManager(celery_app(url), expire=JOB_EXPIRE_S)
    import tempfile
    from pathlib import Path

    import diskcache
    from dash import DiskcacheManager

    folder = Path(jobs_dir) if jobs_dir else Path(tempfile.gettempdir()) / "unrest-map-jobs"
    return DiskcacheManager(diskcache.Cache(str(folder)), expire=JOB_EXPIRE_S)


def run_worker(app: Any, concurrency: int = 1, loglevel: str = "warning") -> None:
    """Run a Celery worker for the background jobs of ``app`` (a Dash app built with a Redis
    ``jobs`` URL) until it is stopped.

    The worker must build the same app as the servers: Dash names each job's Celery task
    after its callback, so the worker knows the tasks only once the callbacks are registered.
    """
    from dash import CeleryManager

    managers = [m for m in app._background_managers() if isinstance(m, CeleryManager)]
    if not managers:
        raise ValueError(f"no Redis job store: give --jobs redis://HOST:PORT/N or set {JOBS_ENV}")
    managers[0].handle.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--loglevel={loglevel}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


def create_server() -> Flask:
    """WSGI app factory for gunicorn: the dataset in ``$UNREST_MAP_DATA`` (default: built-in 2008)."""
    from dashboard.app import create_app
    from geodata.dataset import load_dataset

    dataset = load_dataset(os.environ.get(DATA_ENV) or None, strict=False)
    return finish_setup(serve_fast(create_app(dataset, basemap=os.environ.get(BASEMAP_ENV, "none")).server))


def finish_setup(server: Flask, path: str = "/", compress: bool = True) -> Flask:
    """Run Dash's one-time setup now, in one thread, before the server takes traffic.

    With :func:`serve_fast` on (and ``compress``), it also compresses the page's scripts once, ahead of
    the first user, in a thread of its own (:func:`compress_in_background`): the server answers
    meanwhile (brotli at the quality used takes about half a CPU-second per process for plotly.js).
    A server built before a fork passes ``compress=False`` and starts that in each process after it.

    Dash does it on the first request and marks it done before it has registered the
    script bundles; a threaded worker's second request in that gap gets a 500 for
    every ``/_dash-component-suites/`` file (plotly/dash#3971). One page request
    through Flask's test client completes it.
    """
    client = server.test_client()
    response = client.get(path)  # an uploaded dataset's app lives under /d/<sha256>/
    if response.status_code != 200:
        raise RuntimeError(f"dashboard index answered {response.status_code} during start-up")
    if compress:
        compress_in_background(server, path)
    return server


def compress_in_background(server: Flask, path: str = "/", delay: float = 0.0) -> None:
    """Compress the page's scripts (see :func:`_compress_scripts_now`) in a daemon thread, after
    ``delay`` seconds, when :func:`serve_fast` is on."""
    if not server.extensions.get("unrest_map_fast"):
        return
    import threading

    def run() -> None:
        time.sleep(delay)
        client = server.test_client()
        _compress_scripts_now(client, client.get(path).get_data(as_text=True), path)

    threading.Thread(target=run, name="compress-scripts", daemon=True).start()


#: Seconds a gunicorn worker waits before compressing the scripts: until the other workers have
#: started. Its thread runs at the lowest priority, and a thread that holds the GIL while the
#: scheduler leaves it waiting holds up the worker's own requests too: started at once, it delayed
#: the first answer of the last of four workers by up to two seconds (at load 4 on two cores).
WORKER_COMPRESS_DELAY_S = 3.0


def _compress_scripts_now(client, index_html: str, path: str = "/") -> None:
    """Ask for every script once, as a browser would, so the first user does not wait for brotli.

    At the lowest priority (Linux gives each thread its own niceness): brotli lets go of the GIL and
    takes a whole core for about a second per worker, which delayed the other workers' start."""
    import contextlib
    import re
    import threading

    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)

    # plotly.js included: the page names it in its head (``plotlyjs.head_scripts``).
    scripts = re.findall(rf'<script[^>]* src="({re.escape(path)}_dash-component-suites/[^"]+)"', index_html)
    for script in scripts:
        client.get(script, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})


#: A year: the longest lifetime worth giving; for files whose URL changes when they do.
LONG_CACHE_SECONDS = 31_536_000
#: Brotli quality for responses: 6 makes plotly.js 1.3 MB (gzip 6: 1.5 MB); each file is compressed
#: once per worker and kept (see :class:`CompressedFiles`), so a slower, smaller setting pays.
BROTLI_QUALITY = 6


class CompressedFiles:
    """flask-compress's cache backend: compressed bodies of Dash's script files, kept per process.

    Only GET requests for ``/_dash-component-suites/`` are kept (the same bytes for every user;
    plotly.js alone takes about half a second to compress); everything else, callbacks included,
    is compressed afresh each time. At most ``limit`` bodies (Dash serves a few dozen files).
    """

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self.bodies: dict[str, bytes] = {}

    @staticmethod
    def key(request) -> str:
        """flask-compress's cache key; '' marks a response that must not be kept."""
        if request.method == "GET" and "/_dash-component-suites/" in request.path:
            return request.full_path
        return ""

    def get(self, key: str) -> bytes | None:
        return self.bodies.get(key)

    def set(self, key: str, body: bytes) -> None:
        if not key.endswith(";") and (key in self.bodies or len(self.bodies) < self.limit):
            self.bodies[key] = body


def serve_fast(server: Flask) -> Flask:
    """Compressed responses and long cache lifetimes for versioned files (issue 12, 'fast to open').

    - Every response of a compressible type is sent with brotli (or zstd/gzip, whatever the browser
      accepts best); Dash's script files are compressed once per process and kept.
    - Files whose URL carries their version (Dash's ``/assets/x.css?m=<mtime>``, the map glyphs'
      ``?v=``) may be cached by the browser for a year; Dash already does so for its fingerprinted
      script URLs. Anything else keeps Flask's and Dash's ETag revalidation.

    Call it once on the Flask server, before it takes traffic (a second call changes nothing).
    """
    from flask import request
    from flask_compress import Compress

    if server.extensions.get("unrest_map_fast"):
        return server
    server.config.update(
        COMPRESS_ALGORITHM=["br", "zstd", "gzip"],
        COMPRESS_ALGORITHM_STREAMING=["br", "zstd", "deflate"],
        COMPRESS_BR_LEVEL=BROTLI_QUALITY,
        COMPRESS_MIMETYPES=[
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/json",
            "application/x-protobuf",  # map glyphs (.pbf): their signed-distance bitmaps shrink well
            "application/octet-stream",
            "image/svg+xml",
        ],
        COMPRESS_CACHE_BACKEND=CompressedFiles,
        COMPRESS_CACHE_KEY=CompressedFiles.key,
    )
    assets_prefix = "/" + server.config.get("UNREST_MAP_ASSETS_PATH", "assets").strip("/") + "/"

    @server.after_request
    def cache_versioned(response):
        versioned = request.path.startswith(assets_prefix) and ("m" in request.args or "v" in request.args)
        if versioned and response.status_code == 200:
            # Flask marks every file it sends no-cache: with it, browsers asked again on every page
            # load and fetched the glyphs whole (95 kB) each time, whatever the lifetime said.
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = LONG_CACHE_SECONDS
            response.cache_control.immutable = True
        return response

    server.extensions["unrest_map_fast"] = Compress(server)  # its cache is there too
    return server


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """Settings for a dashboard: threads per worker so one slow export does not hold up the rest."""
    if workers < 1 or threads < 1:
        raise ValueError(f"workers and threads must be at least 1, got {workers} and {threads}")
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 120,  # an animation export can take a minute; it runs as a background job anyway
        "graceful_timeout": 10,
        "keepalive": 5,  # seconds an idle browser connection stays open (gunicorn's default is 2)
        # load() runs in each worker, after the fork; the server it returns was built before it
        # (serve_with_gunicorn).
        "preload_app": False,
        "proc_name": "unrest-map",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
    }


#: Modules each worker's app imports that the master has not: imported before the fork (about 0.1
#: CPU-s per worker otherwise).
PRELOADED_MODULES = (
    "dash.background_callback.managers.diskcache_manager",
    "diskcache",
    "dill",
    "multiprocess",
    "psutil",
    "flask_compress",
)


#: Blocks of this many bytes or more get a memory mapping of their own, given back to the system when
#: freed (glibc's ``M_MMAP_THRESHOLD``, fixed). By default glibc raises the threshold to the size of each
#: such block freed (up to 32 MB), after which a worker's view updates (masks and row arrays of a few
#: megabytes) came from its heap and stayed there when freed: at 1M events each of four workers kept
#: 90-118 MB private, 36-59 MB with this. A 5M slider step costs 5-10 ms more (fresh pages each time).
MMAP_THRESHOLD_BYTES = 2 * 1024 * 1024


def return_large_blocks(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Fix the C library's mmap threshold at ``threshold`` bytes for this process and the ones it forks
    (see :data:`MMAP_THRESHOLD_BYTES`); False where the C library has no ``mallopt`` or refuses."""
    import ctypes

    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    try:
        libc = ctypes.CDLL(None)
        # The heap's free top is given back past twice the threshold (glibc's own ratio, which its raised
        # threshold had lifted to as much as 64 MB while the dataset loaded).
        return bool(libc.mallopt(m_mmap_threshold, threshold)) and bool(
            libc.mallopt(m_trim_threshold, 2 * threshold)
        )
    except (OSError, AttributeError):
        return False


def serve_with_gunicorn(build_app: Callable[[], Any], options: dict[str, Any]) -> None:
    """Run gunicorn in this process (the master) until it is stopped.

    The server (``build_app``: the Dash app with its layout and callbacks) is built here, once,
    before the workers fork: a worker then has nothing to build and answers as soon as it runs, and
    the app's objects are shared between workers like the dataset's. Only what must not cross a fork
    is made in each worker: the job cache's SQLite connection (diskcache opens one per process by
    itself; the master's is closed before the fork) and the scripts' compression thread.
    """
    from gunicorn.app.base import BaseApplication

    app = build_app()
    server = finish_setup(serve_fast(app.server), compress=False)
    close_job_connections(app)

    class Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:  # in each worker, after the fork (preload_app is off)
            compress_in_background(server, delay=WORKER_COMPRESS_DELAY_S)
            return server

    # Modules a worker may still import (the compressor, the job cache's helpers): imported once here.
    import contextlib
    import importlib

    for module in PRELOADED_MODULES:
        with contextlib.suppress(ImportError):  # a worker that needs it reports it
            importlib.import_module(module)
    # Objects made so far (the dataset's frames, the app) move to a generation the collector never
    # scans: its passes would write to them in every worker, and each page written is copied.
    import gc

    gc.freeze()
    gc.enable()  # off while the app was built (``run_serve``): the frozen objects are never scanned
    Application().run()


def close_job_connections(app: Any) -> None:
    """Close this process's connections to the Dash ``app``'s background-job disk caches (each process
    opens its own when it next uses one): an SQLite connection must not be used on both sides of a fork."""
    import diskcache

    for manager in app._background_managers():
        if isinstance(getattr(manager, "handle", None), diskcache.Cache | diskcache.FanoutCache):
            manager.handle.close()
