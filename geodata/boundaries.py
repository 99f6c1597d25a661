"""Administrative boundaries: geoBoundaries gbOpen Kosovo (XKX), fetched with pooch.

The files are never part of this project. They come, as public data should, from a
pinned URL with a sha256 hash, into the user's cache folder
(``pooch.os_cache("unrest-map")``). To use a local copy instead (offline machines,
tests, CI) set the environment variable ``UNREST_MAP_BOUNDARIES`` to a folder that
holds the three ``geoBoundaries-XKX-ADM*_simplified.geojson`` files, or pass
``data_dir``. A local file is checked against the same hash. To download from a mirror
instead of GitHub, set ``UNREST_MAP_BOUNDARIES_URL`` to a URL of a folder holding them.
A corrupt or partial cached download is detected by its hash and downloaded again; if that
cannot be done, the error names the file and says what to do.

Licence: CC BY-SA 2.0, © OpenStreetMap contributors, via geoBoundaries
(Runfola et al. 2020, https://www.geoboundaries.org). :data:`ATTRIBUTION` says so
and the dashboard and every export carry it.

These are the 2017 municipalities: North Mitrovica was split from Mitrovica in 2013,
so in 2008 both were one municipality.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

import geopandas as gpd
import pandas as pd

from geodata.names import read_municipality_names

ENV_VAR: Final = "UNREST_MAP_BOUNDARIES"
#: A mirror to download from instead of GitHub (a URL of a folder holding the three files).
URL_ENV_VAR: Final = "UNREST_MAP_BOUNDARIES_URL"
#: The geoBoundaries 4.0.0 archive at a fixed commit, so the bytes never change under us.
BASE_URL: Final = (
    "https://github.com/wmgeolab/geoBoundariesArchive_4_0_0/raw/"
    "299e00623ece6c03bcb9a751eda6094b1eac85a6/releaseData/gbOpen/XKX/{level}/"
)
REGISTRY: Final = {
    "ADM0": (
        "geoBoundaries-XKX-ADM0_simplified.geojson",
        "1651409252e9adcb692c95d1735fd8c0887d6b81b00621e3dc885d73a45d30e2",
    ),
    "ADM1": (
        "geoBoundaries-XKX-ADM1_simplified.geojson",
        "6d4cd38dcd6400c5b87a4f0e59331c6810f7b2a9be1192823e25f5a84b6f3777",
    ),
    "ADM2": (
        "geoBoundaries-XKX-ADM2_simplified.geojson",
        "883faeb272d62f61532560151d7ca23e3bf90694d556e1c36342560e3894c367",
    ),
}
ATTRIBUTION: Final = "Boundaries: geoBoundaries (gbOpen XKX 2017), © OpenStreetMap contributors, CC BY-SA 2.0"
#: A metric CRS for Kosovo (UTM 34N): distances and snapping are in metres.
METRIC_CRS: Final = "EPSG:32634"

#: The four Serb-majority northern municipalities, by their geoBoundaries names.
NORTH_KOSOVO: Final = ("Leposaviq", "Zubin Potok", "Zveçan", "North Mitrovica")

#: Albanian and Serbian forms of each municipality (geoBoundaries name -> (sq, sr)), from the name
#: table that also gives the English forms (geodata/data/municipality_names.csv, see geodata.names).
MUNICIPALITY_NAMES: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {name: (row.sq, row.sr) for name, row in read_municipality_names().iterrows()}
)
DISTRICT_NAMES: Final[dict[str, tuple[str, str]]] = {
    "Prishtina": ("Prishtinë", "Priština"),
    "Mitrovica": ("Mitrovicë", "Kosovska Mitrovica"),
    "Peja": ("Pejë", "Peć"),
    "Gjilan": ("Gjilan", "Gnjilane"),
    "Gjakova": ("Gjakovë", "Đakovica"),
    "Prizren": ("Prizren", "Prizren"),
    "Ferizaj": ("Ferizaj", "Uroševac"),
}


class BoundaryDataError(RuntimeError):
    """The boundary files cannot be had; the message says what to do, ``reason`` why in a few words
    (one of the ``REASON_*`` below: no URL, no path), for a page header that has no room for more."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self):  # pickled with its reason (a background job's error crosses processes)
        return type(self), (str(self), self.reason)


REASON_NOT_FOUND = "files not found in the boundaries folder"
REASON_DAMAGED = "a file is damaged or another release"
REASON_OFFLINE = "could not download them (offline?)"
REASON_UNUSABLE = "the layer has no usable names or polygons"


def clean_name(shape_name: str) -> str:
    """'Municipality of Zveçan' -> 'Zveçan'; 'District of Peja' -> 'Peja'."""
    for prefix in ("Municipality of ", "District of "):
        if shape_name.startswith(prefix):
            return shape_name[len(prefix) :]
    return shape_name


def bilingual_name(name: str, forms: Mapping[str, tuple[str, str]]) -> str:
    """'Zveçan / Zvečan' where the Albanian and Serbian forms differ, else one name."""
    sq, sr = forms.get(name, (name, name))
    return sq if sq == sr else f"{sq} / {sr}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def boundary_file(level: str, data_dir: str | Path | None = None) -> Path:
    """The path of one verified geoBoundaries file (``level`` is ADM0, ADM1 or ADM2).

    With ``data_dir`` (or ``$UNREST_MAP_BOUNDARIES``) the file is read from that
    folder; otherwise pooch downloads it once into the user's cache. Either way the
    sha256 must match, so a corrupt or partial file is reported, never used.
    """
    file_name, sha256 = REGISTRY[level]
    folder = data_dir or os.environ.get(ENV_VAR)
    if folder:
        path = Path(folder) / file_name
        if not path.is_file():
            raise BoundaryDataError(
                f"{path} not found. The folder given by {'data_dir' if data_dir else ENV_VAR} must hold "
                f"{', '.join(name for name, _ in REGISTRY.values())}.",
                REASON_NOT_FOUND,
            )
        actual = sha256_of(path)
        if actual != sha256:
            raise BoundaryDataError(
                f"{path}: sha256 {actual} does not match the pinned {sha256}. The file is corrupt, "
                "partial or another release: replace it with the geoBoundaries gbOpen XKX file.",
                REASON_DAMAGED,
            )
        return path
    return _fetch_with_pooch(level)


def download_url(level: str) -> str:
    """Where ``level`` is downloaded from: the pinned release, or ``$UNREST_MAP_BOUNDARIES_URL``
    (a mirror folder holding the three files; the same sha256 values apply)."""
    file_name, _ = REGISTRY[level]
    mirror = os.environ.get(URL_ENV_VAR)
    return f"{mirror.rstrip('/')}/{file_name}" if mirror else BASE_URL.format(level=level) + file_name


def _fetch_with_pooch(level: str) -> Path:
    import pooch  # imported here: only the download path needs it

    file_name, sha256 = REGISTRY[level]
    cache = Path(pooch.os_cache("unrest-map"))  # ~/.cache/unrest-map, or under $XDG_CACHE_HOME
    cached = cache / file_name
    damaged = cached.is_file() and sha256_of(cached) != sha256  # pooch will try to download it again
    url = download_url(level)
    try:
        fetched = pooch.retrieve(
            url=url, known_hash=f"sha256:{sha256}", fname=file_name, path=cache, progressbar=False
        )
    except ValueError as error:  # pooch raises ValueError when the downloaded bytes do not match
        raise BoundaryDataError(
            f"{url}: the downloaded file does not match its pinned sha256 ({error}). The source "
            f"is serving another or a damaged file; nothing was kept. Set {ENV_VAR} to a folder "
            "with good copies of the geoBoundaries XKX files.",
            REASON_DAMAGED,
        ) from error
    except Exception as error:  # network errors come in many types (requests, OSError)
        if damaged:
            raise BoundaryDataError(
                f"{cached}: the cached copy is corrupt or partial (its sha256 does not match the "
                f"pinned {sha256}) and a fresh one could not be downloaded from {url} "
                f"({type(error).__name__}). Delete {cached} and retry when online, or set "
                f"{ENV_VAR} to a folder holding the geoBoundaries XKX files.",
                # The copy is damaged, but what is needed is a download.
                REASON_OFFLINE,
            ) from error
        raise BoundaryDataError(
            f"could not download {file_name} from {url} into {cache} ({type(error).__name__}). "
            f"Offline? Set {ENV_VAR} to a folder holding the geoBoundaries XKX files.",
            REASON_OFFLINE,
        ) from error
    return Path(fetched)


@dataclass(frozen=True)
class Boundaries:
    """The boundary layers used by the join and the map, all in EPSG:4326.

    ``municipalities`` has columns ``name`` (clean geoBoundaries name), ``name_sq``,
    ``name_sr``, ``display_name``, ``district``, ``north_kosovo`` and ``geometry``.
    ``districts`` has ``name``, ``display_name``, ``geometry``; ``country`` one row.
    """

    municipalities: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    country: gpd.GeoDataFrame
    attribution: str = ATTRIBUTION


def load_kosovo_boundaries(data_dir: str | Path | None = None) -> Boundaries:
    """Load and tidy the three geoBoundaries layers for Kosovo."""
    country = gpd.read_file(boundary_file("ADM0", data_dir))[["shapeName", "geometry"]]
    districts = _tidy(gpd.read_file(boundary_file("ADM1", data_dir)), DISTRICT_NAMES)
    municipalities = _tidy(gpd.read_file(boundary_file("ADM2", data_dir)), MUNICIPALITY_NAMES)
    municipalities["district"] = _containing_district(municipalities, districts)
    municipalities["north_kosovo"] = municipalities["name"].isin(NORTH_KOSOVO)
    return Boundaries(municipalities=municipalities, districts=districts, country=country.to_crs(4326))


def load_custom_boundaries(path: str | Path, name_field: str) -> Boundaries:
    """Any polygon layer pyogrio reads (GeoJSON, GeoPackage, Shapefile) as municipalities.

    No districts and no North Kosovo group: those belong to the built-in Kosovo layers.
    """
    layer = gpd.read_file(path)
    if name_field not in layer.columns:
        raise BoundaryDataError(
            f"{path}: no field {name_field!r}; fields are {[c for c in layer.columns if c != 'geometry']}",
            REASON_UNUSABLE,
        )
    layer = layer[layer.geometry.notna() & layer.geom_type.isin(["Polygon", "MultiPolygon"])]
    if layer.empty:
        raise BoundaryDataError(f"{path}: no polygon features", REASON_UNUSABLE)
    layer = layer.set_crs(4326, allow_override=False) if layer.crs is None else layer.to_crs(4326)
    names = layer[name_field].astype(str)
    municipalities = gpd.GeoDataFrame(
        {
            "name": names,
            "name_sq": names,
            "name_sr": names,
            "display_name": names,
            "district": pd.NA,
            "north_kosovo": False,
        },
        geometry=layer.geometry.values,
        crs=4326,
    ).reset_index(drop=True)
    empty = gpd.GeoDataFrame({"name": [], "display_name": []}, geometry=[], crs=4326)
    country = gpd.GeoDataFrame({"shapeName": ["all"]}, geometry=[municipalities.union_all()], crs=4326)
    return Boundaries(
        municipalities=municipalities,
        districts=empty,
        country=country,
        attribution=f"Boundaries: {Path(path).name}",
    )


def _tidy(layer: gpd.GeoDataFrame, forms: Mapping[str, tuple[str, str]]) -> gpd.GeoDataFrame:
    names = layer["shapeName"].map(clean_name)
    return gpd.GeoDataFrame(
        {
            "name": names,
            "name_sq": [forms.get(n, (n, n))[0] for n in names],
            "name_sr": [forms.get(n, (n, n))[1] for n in names],
            "display_name": [bilingual_name(n, forms) for n in names],
        },
        geometry=layer.geometry.values,
        crs=layer.crs,
    ).to_crs(4326)


def _containing_district(municipalities: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> pd.Series:
    """Each municipality's district, by where its interior point falls."""
    points = gpd.GeoDataFrame(geometry=municipalities.representative_point(), crs=municipalities.crs)
    joined = gpd.sjoin(points, districts[["name", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    return joined["name"].reindex(municipalities.index)
