"""The gazetteer: every place the records use, with its names and checked coordinates.

Places are looked up by key or by any English, Albanian or Serbian spelling, with
or without diacritics ("Mitrovicë", "Kosovska Mitrovica", "Košutovo", "Kosutovo").
An unknown name is an error that suggests the closest known names; it is never
dropped or placed at a default point.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from geodata.schema import PLACE_KINDS

GAZETTEER_COLUMNS = ("key", "kind", "name_en", "name_sq", "name_sr", "lat", "lon", "aliases", "note")

# Letters that Unicode decomposition does not reduce to ASCII.
_EXTRA_FOLDS = str.maketrans({"đ": "dj", "Đ": "dj", "ł": "l", "ß": "ss", "ø": "o", "æ": "ae"})


def normalise_name(name: str) -> str:
    """Fold a place name for matching: lower case, no diacritics, single spaces.

    >>> normalise_name("  Kosovska  Mitrovicë ")
    'kosovska mitrovice'
    >>> normalise_name("Đeneral Janković")
    'djeneral jankovic'
    """
    folded = unicodedata.normalize("NFKD", name.translate(_EXTRA_FOLDS))
    ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(ascii_only.casefold().replace("-", " ").split())


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
    problems: list[str] = []
    for row_number, row in enumerate(frame.itertuples(index=False), start=2):
        if row.kind not in PLACE_KINDS:
            problems.append(f"{source}:{row_number}: kind: {row.kind!r} is not one of {PLACE_KINDS}")
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
