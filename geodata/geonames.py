"""GeoNames for Kosovo (XK): the reference gazetteer, fetched with pooch like the boundaries.

The dump is never part of this project. It comes from a pinned URL with a sha256 hash into
the user's cache folder (``pooch.os_cache("unrest-map")``). To use a local copy instead
(offline machines, tests, CI) set ``UNREST_MAP_GEONAMES`` to the file or to a folder holding
``geonames-XK.txt``, or pass ``data_dir``. A local file is checked against the same hash. To
download from a mirror, set ``UNREST_MAP_GEONAMES_URL`` to a URL of a folder holding
``geonames-XK.txt``. A corrupt or partial file is detected by its hash and refused, and the
error names the file and says what to do.

The dump is GeoNames' country export XK.zip of December 2012 (5,699 features: about 2,500
populated places, plus localities, streams, hills, stations), as mirrored byte for byte in a
public GitHub repository at a fixed commit. Its admin1 codes are the pre-2013
municipalities: municipalities are assigned by the boundary layer, never from these codes.

Licence: GeoNames (geonames.org), CC BY 4.0. :data:`ATTRIBUTION` says so; every view and
export that shows places taken from it carries it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import pandas as pd

from geodata.boundaries import sha256_of

ENV_VAR: Final = "UNREST_MAP_GEONAMES"
#: A mirror to download from instead of GitHub (a URL of a folder holding :data:`FILE_NAME`).
URL_ENV_VAR: Final = "UNREST_MAP_GEONAMES_URL"
FILE_NAME: Final = "geonames-XK.txt"
#: The GeoNames XK dump at a fixed commit, so the bytes never change under us.
URL: Final = (
    "https://raw.githubusercontent.com/h4ck3rm1k3/geonames-kosovo-wiki/"
    "5a41e1349c5be35dc52efc933554f00a9c7b3c18/XK.txt"
)
SHA256: Final = "955999dff4d9b07cd142c87d00039494690d0c419687e3292c21d8a7418a0ce6"
ATTRIBUTION: Final = "Places: GeoNames (geonames.org), CC BY 4.0"

#: GeoNames' 19 columns, in its order (the dump has no header).
COLUMNS: Final = (
    "geonameid",
    "name",
    "asciiname",
    "alternatenames",
    "latitude",
    "longitude",
    "feature_class",
    "feature_code",
    "country_code",
    "cc2",
    "admin1_code",
    "admin2_code",
    "admin3_code",
    "admin4_code",
    "population",
    "elevation",
    "dem",
    "timezone",
    "modification_date",
)
#: Feature class P: cities, towns, villages, hamlets (PPL, PPLA, PPLC, PPLL, PPLX...).
SETTLEMENT_CLASS: Final = "P"
#: Feature class S: spots and buildings (stations, bridges' sites, monasteries...), site-level places.
SITE_CLASS: Final = "S"


class GeoNamesDataError(RuntimeError):
    """The GeoNames file cannot be had or read; the message says what to do."""


def geonames_file(data_dir: str | Path | None = None) -> Path:
    """The path of the verified GeoNames XK dump.

    With ``data_dir`` (or ``$UNREST_MAP_GEONAMES``), a file or a folder holding
    :data:`FILE_NAME`, the local copy is used; otherwise pooch downloads it once into the
    user's cache. Either way the sha256 must match, so a corrupt or partial file is
    reported, never used.
    """
    given = data_dir or os.environ.get(ENV_VAR)
    if given:
        path = Path(given)
        if path.is_dir():
            path = path / FILE_NAME
        if not path.is_file():
            raise GeoNamesDataError(
                f"{path} not found. {'data_dir' if data_dir else ENV_VAR} must name the GeoNames XK "
                f"dump ({FILE_NAME}) or a folder holding it."
            )
        actual = sha256_of(path)
        if actual != SHA256:
            raise GeoNamesDataError(
                f"{path}: sha256 {actual} does not match the pinned {SHA256}. The file is corrupt, "
                f"partial or another GeoNames export: replace it with the pinned dump ({URL})."
            )
        return path
    return _fetch_with_pooch()


def download_url() -> str:
    """Where the dump is downloaded from: the pinned URL, or ``$UNREST_MAP_GEONAMES_URL``
    (a mirror folder holding :data:`FILE_NAME`; the same sha256 applies)."""
    mirror = os.environ.get(URL_ENV_VAR)
    return f"{mirror.rstrip('/')}/{FILE_NAME}" if mirror else URL


def _fetch_with_pooch() -> Path:
    import pooch  # imported here: only the download path needs it

    cache = Path(pooch.os_cache("unrest-map"))  # ~/.cache/unrest-map, or under $XDG_CACHE_HOME
    cached = cache / FILE_NAME
    damaged = cached.is_file() and sha256_of(cached) != SHA256  # pooch will try to download it again
    url = download_url()
    try:
        fetched = pooch.retrieve(
            url=url, known_hash=f"sha256:{SHA256}", fname=FILE_NAME, path=cache, progressbar=False
        )
    except ValueError as error:  # pooch raises ValueError when the downloaded bytes do not match
        raise GeoNamesDataError(
            f"{url}: the downloaded file does not match its pinned sha256 ({error}). The source is "
            f"serving another or a damaged file; nothing was kept. Set {ENV_VAR} to a good copy of "
            f"the GeoNames XK dump."
        ) from error
    except Exception as error:  # network errors come in many types (requests, OSError)
        if damaged:
            raise GeoNamesDataError(
                f"{cached}: the cached copy is corrupt or partial (its sha256 does not match the "
                f"pinned {SHA256}) and a fresh one could not be downloaded from {url} "
                f"({type(error).__name__}). Delete {cached} and retry when online, or set {ENV_VAR} "
                "to a good copy of the GeoNames XK dump."
            ) from error
        raise GeoNamesDataError(
            f"could not download {FILE_NAME} from {url} into {cache} ({type(error).__name__}). "
            f"Offline? Set {ENV_VAR} to the GeoNames XK dump or a folder holding it."
        ) from error
    return Path(fetched)


def read_geonames(path: str | Path) -> pd.DataFrame:
    """Parse a GeoNames dump (tab-separated, UTF-8, no header, 19 columns) into a DataFrame.

    Read with pyarrow's CSV reader, without quoting (GeoNames names may hold quote marks).
    ``geonameid`` and ``population`` are integers, ``latitude``/``longitude`` floats, every
    other column text ('' where empty). Raises :class:`GeoNamesDataError` naming the file for
    a file that is not a GeoNames dump.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    text_columns = [c for c in COLUMNS if c not in ("geonameid", "latitude", "longitude", "population")]
    types = {c: pa.string() for c in text_columns}
    types |= {"geonameid": pa.int64(), "latitude": pa.float64(), "longitude": pa.float64()}
    types["population"] = pa.int64()
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=list(COLUMNS), encoding="utf8"),
            parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types=types, strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, OSError) as error:
        raise GeoNamesDataError(f"{path}: not a GeoNames dump ({error})") from error
    frame = table.to_pandas()
    bad = frame["latitude"].isna() | frame["longitude"].isna() | frame["geonameid"].isna()
    if bad.any():
        row = int(bad.to_numpy().argmax()) + 1
        raise GeoNamesDataError(f"{path}:{row}: latitude/longitude/geonameid: missing")
    return frame


def load_geonames(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The verified GeoNames XK dump as a DataFrame (see :func:`read_geonames`)."""
    return read_geonames(geonames_file(data_dir))


def names_of(feature: pd.Series | dict) -> list[str]:
    """Every name GeoNames gives a feature: its name, ASCII name and each alternate name,
    in that order, without repeats or empty entries."""
    names = [feature["name"], feature["asciiname"], *str(feature["alternatenames"]).split(",")]
    return list(dict.fromkeys(n.strip() for n in names if isinstance(n, str) and n.strip()))
