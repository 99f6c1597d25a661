"""Shared fixtures. Boundary data comes from ../shared/geodata and GeoNames from ../shared/gazetteer
when they exist (never downloaded)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from geodata import geonames
from geodata.boundaries import ENV_VAR

#: Where the browser under test saves downloads (exports).
DOWNLOAD_DIR = Path(tempfile.gettempdir()) / f"unrest-map-downloads-{os.getpid()}"
DOWNLOAD_DIR.mkdir(exist_ok=True)

SHARED_GEODATA = Path(__file__).resolve().parents[2] / "shared" / "geodata"
if ENV_VAR not in os.environ and SHARED_GEODATA.is_dir():
    os.environ[ENV_VAR] = str(SHARED_GEODATA)
SHARED_GEONAMES = Path(__file__).resolve().parents[2] / "shared" / "gazetteer"
if geonames.ENV_VAR not in os.environ and SHARED_GEONAMES.is_dir():
    os.environ[geonames.ENV_VAR] = str(SHARED_GEONAMES)


def _spread_dash_test_ports() -> None:
    """Start dash_duo's port counter at a per-process base, so two test runs on one machine never collide.

    Dash's threaded runner numbers its servers from 58050 in every process.
    """
    from dash.testing.application_runners import BaseDashRunner

    BaseDashRunner._next_port = 20000 + (os.getpid() % 400) * 100


_spread_dash_test_ports()


def pytest_setup_options():
    """Chrome options for dash_duo: Debian's headless Chromium, no network chatter."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1100",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(DOWNLOAD_DIR), "download.prompt_for_download": False}
    )
    return options


@pytest.fixture(scope="session")
def boundaries_dir() -> Path:
    folder = os.environ.get(ENV_VAR)
    if not folder or not Path(folder).is_dir():
        pytest.skip(f"no boundary folder: set {ENV_VAR} or provide ../shared/geodata")
    return Path(folder)


@pytest.fixture(scope="session")
def geonames_path() -> Path:
    """The shared GeoNames XK dump (verified against its pinned sha256)."""
    folder = os.environ.get(geonames.ENV_VAR)
    if not folder or not Path(folder).exists():
        pytest.skip(f"no GeoNames dump: set {geonames.ENV_VAR} or provide ../shared/gazetteer")
    return geonames.geonames_file()


@pytest.fixture(scope="session")
def geonames_frame(geonames_path):
    return geonames.read_geonames(geonames_path)


@pytest.fixture(scope="session")
def dataset(boundaries_dir):
    from geodata.dataset import load_dataset

    return load_dataset()


@pytest.fixture(scope="session")
def incidents(dataset):
    return dataset.incidents


@pytest.fixture(scope="session")
def renderer():
    """One warm kaleido browser for all image tests."""
    from dashboard.export import ImageRenderer

    image_renderer = ImageRenderer()
    yield image_renderer
    image_renderer.close()


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """An empty import cache folder for this test (``UNREST_MAP_CACHE`` points at it)."""
    from geodata.cache import CACHE_ENV_VAR

    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV_VAR, str(folder))
    return folder


@pytest.fixture
def mirror(tmp_path):
    """A loopback HTTP server over a folder (initially empty); yields (folder, base URL)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    from tests.loopback import serve_folder

    with serve_folder(folder) as url:
        yield folder, url
