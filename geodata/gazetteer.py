"""The gazetteer: every place the records use, with its names and checked coordinates.

Places are looked up by key or by any English, Albanian or Serbian spelling, in Latin or
Cyrillic script, with or without diacritics ("Mitrovicë", "Kosovska Mitrovica", "Košutovo",
"Kosutovo", "Кошутово"). An unknown name is an error that suggests the closest known names;
it is never dropped or placed at a default point.

Villages and towns are tied to their GeoNames feature (``geonames_id``): their coordinates are
GeoNames' and every name GeoNames lists for them is among the aliases (tests check both against
the dump, see :mod:`geodata.geonames`). Places GeoNames does not have (crossings, sites,
regions) say in ``note`` where their coordinates come from, and ``location_precision`` says
how well they are known.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import cyrtranslit
import pandas as pd

from geodata.schema import LOCATION_PRECISIONS, PLACE_KINDS

GAZETTEER_COLUMNS = ("key", "kind", "name_en", "name_sq", "name_sr", "lat", "lon", "aliases", "note")
#: Columns a gazetteer may have; a file without them gets the defaults (no GeoNames id,
#: the precision that goes with the place's kind).
OPTIONAL_COLUMNS = ("geonames_id", "location_precision")
KIND_PRECISION = {"region": "region", "site": "site", "border crossing": "site"}

# Letters that Unicode decomposition does not reduce to ASCII. Đ (U+0110) and Ð (U+00D0,
# which some sources type for it) are Serbian "dj", as the transliteration of Cyrillic ђ.
_EXTRA_FOLDS = str.maketrans(
    {"đ": "dj", "Đ": "dj", "ð": "dj", "Ð": "dj", "ł": "l", "ß": "ss", "ø": "o", "æ": "ae"}
)


_CYRILLIC = re.compile("[\u0400-\u04ff]")
# Every combining mark of the Basic Multilingual Plane, removed by one regular expression
# (the geocoder folds tens of thousands of names; a per-character test is several times slower).
_COMBINING = re.compile(
    "[" + "".join(chr(cp) for cp in range(0x300, 0x10000) if unicodedata.combining(chr(cp))) + "]"
)


def normalise_name(name: str) -> str:
    """Fold a place name for matching: Serbian Cyrillic to Latin, lower case, no
    diacritics (Albanian ë/ç, Serbian č/ć/š/ž; đ is "dj"), hyphens as spaces, single spaces.

    >>> normalise_name("  Kosovska  Mitrovicë ")
    'kosovska mitrovice'
    >>> normalise_name("Đeneral Janković")
    'djeneral jankovic'
    >>> normalise_name("Кошутово") == normalise_name("Košutovo") == "kosutovo"
    True
    """
    if _CYRILLIC.search(name):
        # cyrtranslit's Serbian table (ш -> š, ђ -> đ, љ -> lj...) keeps Cyrillic and Latin spellings equal.
        name = cyrtranslit.to_latin(name, "sr")
    folded = unicodedata.normalize("NFKD", name.translate(_EXTRA_FOLDS))
    return " ".join(_COMBINING.sub("", folded).casefold().replace("-", " ").split())


class UnknownPlaceError(LookupError):
    """A place name that the gazetteer does not know."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"unknown place {name!r}{hint}")


@dataclass(frozen=True)
class Gazetteer:
    """Places indexed by key, with a lookup table from every folded spelling to its key."""

    places: pd.DataFrame  # indexed by key
    spellings: dict[str, str]  # normalised spelling -> key

    def resolve(self, name: str) -> str:
        """Return the key of the place ``name`` spells, or raise :class:`UnknownPlaceError`."""
        key = self.spellings.get(normalise_name(name))
        if key is None:
            raise UnknownPlaceError(name, self.suggest(name))
        return key

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """The English names of the places whose spellings are closest to ``name``."""
        matches = difflib.get_close_matches(normalise_name(name), self.spellings, n=4 * limit, cutoff=0.5)
        keys = list(dict.fromkeys(self.spellings[m] for m in matches))[:limit]
        return [str(self.places.loc[k, "name_en"]) for k in keys]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalise_name(name) in self.spellings


def _spellings(row: pd.Series) -> list[str]:
    names = [row.name, row["name_en"], row["name_sq"], row["name_sr"]]
    names += [a for a in str(row["aliases"] or "").split(";") if a.strip()]
    return [n for n in names if isinstance(n, str) and n.strip()]


def load_gazetteer(path: str | Path | None = None) -> Gazetteer:
    """Load a gazetteer CSV (default: the built-in one) and check it.

    Raises ``ValueError`` naming the file, row and field for a bad kind, a
    coordinate out of range, or one spelling claimed by two places.
    """
    source = Path(path) if path else resources.files("geodata.data") / "gazetteer.csv"
    with source.open(encoding="utf-8") as handle:  # type: ignore[union-attr]
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    missing = [c for c in GAZETTEER_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{source}: missing columns {missing}")
    for column in OPTIONAL_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    frame["location_precision"] = frame["location_precision"].where(
        frame["location_precision"] != "", frame["kind"].map(lambda k: KIND_PRECISION.get(k, "town"))
    )
    problems: list[str] = []
    for row_number, row in enumerate(frame.itertuples(index=False), start=2):
        if row.kind not in PLACE_KINDS:
            problems.append(f"{source}:{row_number}: kind: {row.kind!r} is not one of {PLACE_KINDS}")
        if row.location_precision not in LOCATION_PRECISIONS:
            problems.append(
                f"{source}:{row_number}: location_precision: {row.location_precision!r} is not one of "
                f"{LOCATION_PRECISIONS}"
            )
        if row.geonames_id and not row.geonames_id.isdigit():
            problems.append(f"{source}:{row_number}: geonames_id: {row.geonames_id!r} is not a GeoNames id")
        try:
            lat, lon = float(row.lat), float(row.lon)
        except ValueError:
            problems.append(f"{source}:{row_number}: lat/lon: not numbers ({row.lat!r}, {row.lon!r})")
            continue
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            problems.append(f"{source}:{row_number}: lat/lon: out of range ({lat}, {lon})")
    if problems:
        raise ValueError("\n".join(problems))
    frame["lat"] = frame["lat"].astype(float)
    frame["lon"] = frame["lon"].astype(float)
    repeated = frame["key"][frame["key"].duplicated()].unique().tolist()
    if repeated:
        raise ValueError(f"{source}: key: repeated place keys {repeated}")
    frame = frame.set_index("key")

    spellings: dict[str, str] = {}
    for key, row in frame.iterrows():
        for spelling in _spellings(row):
            folded = normalise_name(spelling)
            owner = spellings.setdefault(folded, str(key))
            if owner != key:
                raise ValueError(f"{source}: spelling {spelling!r} names both {owner!r} and {key!r}")
    return Gazetteer(places=frame, spellings=spellings)
