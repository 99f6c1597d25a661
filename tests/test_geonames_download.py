"""The GeoNames pooch download, against a real HTTP server on 127.0.0.1 (nothing leaves the machine).

The mirror variable points pooch at a loopback server holding the real dump (or a damaged
one); XDG_CACHE_HOME gives each test an empty user cache.
"""

from __future__ import annotations

import shutil

import pytest

from geodata.boundaries import sha256_of
from geodata.geonames import (
    ENV_VAR,
    FILE_NAME,
    SHA256,
    URL,
    URL_ENV_VAR,
    GeoNamesDataError,
    download_url,
    geonames_file,
    load_geonames,
)
from tests.loopback import closed_port_url


@pytest.fixture
def user_cache(tmp_path, monkeypatch):
    """An empty user cache and no local GeoNames copy: the download path is the one taken."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "unrest-map"


def test_the_pinned_url_is_a_fixed_commit(monkeypatch):
    monkeypatch.delenv(URL_ENV_VAR, raising=False)
    assert download_url() == URL and "5a41e1349c5be35dc52efc933554f00a9c7b3c18" in URL


def test_download_lands_in_the_user_cache_and_is_verified(mirror, user_cache, geonames_path, monkeypatch):
    folder, url = mirror
    shutil.copy(geonames_path, folder / FILE_NAME)
    monkeypatch.setenv(URL_ENV_VAR, url)
    path = geonames_file()
    assert path == user_cache / FILE_NAME
    assert sha256_of(path) == SHA256
    (folder / FILE_NAME).unlink()  # the second call must not need the network
    assert geonames_file() == path
    assert len(load_geonames()) == 5699


def test_a_partial_cached_file_is_downloaded_again(mirror, user_cache, geonames_path, monkeypatch):
    folder, url = mirror
    shutil.copy(geonames_path, folder / FILE_NAME)
    user_cache.mkdir(parents=True)
    (user_cache / FILE_NAME).write_bytes(geonames_path.read_bytes()[:5000])  # an interrupted download
    monkeypatch.setenv(URL_ENV_VAR, url)
    assert sha256_of(geonames_file()) == SHA256


def test_a_corrupt_cached_file_offline_says_what_to_do(user_cache, monkeypatch):
    user_cache.mkdir(parents=True)
    damaged = user_cache / FILE_NAME
    damaged.write_bytes(b"792663\tBerivojce\tBerivojce\t")
    monkeypatch.setenv(URL_ENV_VAR, closed_port_url())
    with pytest.raises(GeoNamesDataError) as error:
        geonames_file()
    message = str(error.value)
    assert str(damaged) in message and "corrupt or partial" in message
    assert "Delete" in message and ENV_VAR in message


def test_offline_without_a_cache_the_error_names_the_variable(user_cache, monkeypatch):
    monkeypatch.setenv(URL_ENV_VAR, closed_port_url())
    with pytest.raises(GeoNamesDataError, match=f"could not download {FILE_NAME}.*Offline.*{ENV_VAR}"):
        geonames_file()


def test_a_mirror_serving_a_damaged_file_is_refused(mirror, user_cache, geonames_path, monkeypatch):
    folder, url = mirror
    (folder / FILE_NAME).write_bytes(geonames_path.read_bytes()[:-100])
    monkeypatch.setenv(URL_ENV_VAR, url)
    with pytest.raises(GeoNamesDataError, match="does not match its pinned sha256"):
        geonames_file()
    assert not (user_cache / FILE_NAME).exists()  # nothing damaged is kept for next time


def test_the_variable_may_name_the_file_or_its_folder(geonames_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(geonames_path))
    assert geonames_file() == geonames_path
    monkeypatch.setenv(ENV_VAR, str(geonames_path.parent))
    assert geonames_file() == geonames_path


def test_a_corrupt_local_copy_is_refused(tmp_path, geonames_path, monkeypatch):
    copy = tmp_path / FILE_NAME
    copy.write_bytes(geonames_path.read_bytes().replace(b"Berivojce", b"Borivojce", 1))
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    with pytest.raises(GeoNamesDataError, match="does not match the pinned"):
        geonames_file()
    with pytest.raises(GeoNamesDataError, match="not found"):
        geonames_file(tmp_path / "nowhere")
