"""Place and municipality names in the reader's language: English, Albanian (Shqip) or Serbian (Srpski,
Latin script).

One function, :func:`display_name`, answers for a single key, and the vectorised helpers
(:func:`municipality_names`, :func:`place_names`, :func:`municipality_list_names`) give the same names
for whole columns; the dashboard's map, filters, table, details and the exports all read names through
them, so the screen and an export never disagree. Municipality names come from
``geodata/data/municipality_names.csv`` (keyed by the boundary layer's name; the file's header says
where each form comes from); place names from the gazetteer (``name_en``, ``name_sq``, ``name_sr``),
which the records carry as ``place_name``, ``place_name_sq`` and ``place_name_sr``. A key no table
knows (a custom boundary layer, an imported place) is shown as it is, in every language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal

import numpy as np
import pandas as pd

#: The languages names can be shown in, in the order the switch offers them.
LANGUAGES: Final = ("en", "sq", "sr")
DEFAULT_LANGUAGE: Final = "en"
#: Each language by its own name, as the switch labels it.
LANGUAGE_NAMES: Final = MappingProxyType({"en": "English", "sq": "Shqip", "sr": "Srpski"})
#: The North Kosovo group of the municipality filter (the gazetteer's ``north_kosovo`` region).
NORTH_KOSOVO_NAMES: Final = MappingProxyType(
    {"en": "North Kosovo", "sq": "Kosova e Veriut", "sr": "Severno Kosovo"}
)
#: The record columns holding a place's name in each language.
PLACE_COLUMNS: Final = MappingProxyType({"en": "place_name", "sq": "place_name_sq", "sr": "place_name_sr"})
NAME_FILE: Final = "municipality_names.csv"

Kind = Literal["municipality", "place"]


class UnknownLanguageError(ValueError):
    """A language code that is not one of :data:`LANGUAGES`."""


def check_language(lang: str | None) -> str:
    """``lang`` if it is one of :data:`LANGUAGES` (None: the default), else :class:`UnknownLanguageError`."""
    if lang is None:
        return DEFAULT_LANGUAGE
    if lang not in LANGUAGES:
        raise UnknownLanguageError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    return lang


def read_municipality_names(path: str | Path | None = None) -> pd.DataFrame:
    """The municipality name table (default: the built-in one), indexed by the layer's name.

    Columns ``en``, ``sq``, ``sr`` and the optional label position ``label_lon``, ``label_lat``
    (NaN where the polygon's interior point serves). Raises ``ValueError`` naming the file, row
    and field for an empty name or a label position that is not a number in range.
    """
    source = Path(path) if path else resources.files("geodata.data") / NAME_FILE
    with source.open(encoding="utf-8") as handle:  # type: ignore[union-attr]
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False, comment="#")
    missing = [c for c in ("name", *LANGUAGES) if c not in frame.columns]
    if missing:
        raise ValueError(f"{source}: missing columns {missing}")
    comment_lines = sum(1 for line in source.read_text(encoding="utf-8").splitlines() if line.startswith("#"))
    problems = []
    positions = {}
    for column, low, high in (("label_lon", -180, 180), ("label_lat", -90, 90)):
        text = frame[column] if column in frame else pd.Series("", index=frame.index)
        values = pd.to_numeric(text.where(text != ""), errors="coerce")
        for row in np.flatnonzero(((text != "") & ~values.between(low, high)).to_numpy()):
            problems.append(
                f"{source}:{comment_lines + row + 2}: {column}: {text.iloc[row]!r} is not a number in range"
            )
        positions[column] = values.astype(float)
    for column in ("name", *LANGUAGES):
        for row in np.flatnonzero((frame[column].str.strip() == "").to_numpy()):
            problems.append(f"{source}:{comment_lines + row + 2}: {column}: empty")
    repeated = frame["name"][frame["name"].duplicated()].tolist()
    if repeated:
        problems.append(f"{source}: name: repeated {repeated}")
    if problems:
        raise ValueError("\n".join(problems))
    table = frame[["name", *LANGUAGES]].assign(**positions)
    return table.set_index("name")


@cache
def _municipality_table() -> Mapping[str, Mapping[str, str]]:
    """Language -> {layer name -> name}, read once (read-only, so safe to share)."""
    table = read_municipality_names()
    return MappingProxyType({lang: MappingProxyType(table[lang].to_dict()) for lang in LANGUAGES})


@cache
def _place_table() -> Mapping[str, Mapping[str, str]]:
    """Language -> {gazetteer key -> name}, from the built-in gazetteer."""
    from geodata.gazetteer import load_gazetteer

    places = load_gazetteer().places
    columns = {"en": "name_en", "sq": "name_sq", "sr": "name_sr"}
    return MappingProxyType(
        {lang: MappingProxyType(places[column].astype(str).to_dict()) for lang, column in columns.items()}
    )


def display_name(key: str, lang: str = DEFAULT_LANGUAGE, kind: Kind = "municipality") -> str:
    """The name of a municipality (by the boundary layer's name) or a place (by gazetteer key) in ``lang``.

    >>> display_name("Zveçan", "en"), display_name("Zveçan", "sr"), display_name("Pristina", "sq")
    ('Zvečan', 'Zvečan', 'Prishtinë')
    >>> display_name("belgrade", "sr", kind="place")
    'Beograd'

    A key no table knows is returned as it is; an unknown language raises :class:`UnknownLanguageError`.
    """
    lang = check_language(lang)
    if key == "North Kosovo" and kind == "municipality":
        return NORTH_KOSOVO_NAMES[lang]
    table = _municipality_table() if kind == "municipality" else _place_table()
    return table[lang].get(key) or key


def municipality_names(names: Iterable[str], lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """:func:`display_name` for each municipality in ``names`` (a column, a list)."""
    lang = check_language(lang)
    table = _municipality_table()[lang]
    return [table.get(n) or str(n) for n in names]


def municipality_list_names(
    cells: pd.Series, lang: str = DEFAULT_LANGUAGE, separator: str = ";", join: str = ", "
) -> pd.Series:
    """A column of ``;``-separated municipality lists, each name in ``lang``, joined by ``join``.

    Each distinct list is translated once (a view holds few), missing cells stay missing.
    """
    lang = check_language(lang)
    table = _municipality_table()[lang]
    codes, distinct = pd.factorize(cells.astype(object), use_na_sentinel=True)
    translated = np.array(
        [join.join(table.get(n) or n for n in str(cell).split(separator) if n) for cell in distinct] + [None],
        dtype=object,
    )
    return pd.Series(translated[codes], index=cells.index, dtype=object)


def place_names(frame: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> pd.Series:
    """Each record's place name in ``lang``, from its ``place_name*`` columns; where the language's
    column is missing or empty (an imported place the gazetteer does not know) the English one."""
    lang = check_language(lang)
    english = frame["place_name"].astype(object)
    column = PLACE_COLUMNS[lang]
    if lang == "en" or column not in frame:
        return english
    names = frame[column].astype(object)
    empty = names.isna() | (names.astype(str).str.strip() == "")
    return names.where(~empty, english)
