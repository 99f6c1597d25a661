"""The incident schema: one place that says what every field means.

Records are stored as CSV (``geodata/data/incidents_2008.csv``) so that people can
edit and review them in a diff. Each column:

=====================  ==========================================================
field                  meaning
=====================  ==========================================================
id                     stable identifier, unique within a file
date_start             first day (ISO ``YYYY-MM-DD``)
date_end               last day; equal to ``date_start`` for a single day
date_precision         ``day`` (the day is known), ``range`` (somewhere between
                       start and end, e.g. "several weeks before 14 March"),
                       ``month`` (only the month is known: start/end are its
                       first and last day)
event_type             one of ACLED's six event types (:data:`EVENT_TYPES`)
sub_event_type         an ACLED sub-event type of that event type
actor1, actor2         the actors as the source names them
sides                  ``;``-separated sides from :data:`SIDES`
place                  a gazetteer key (``geodata/data/gazetteer.csv``)
location_precision     ``site`` (exact site), ``town`` (town or village),
                       ``region`` (only the region is known)
fatalities, injured,   counts; empty means *unknown*, ``0`` means the source says
arrested, participants none. Never guessed.
description            what happened, in our own words
source_section         the section of the source article the record comes from
notes                  how the record was coded where that needs saying
=====================  ==========================================================

Reactions (statements by officials and governments) are not map points: they live
in ``reactions_2008.csv`` and link to an incident by ``incident_id`` only where the source
ties them to one (otherwise it is empty); their ``notes`` say what the link rests on.

Region-level records (``location_precision`` = ``region``) are credited to the
municipalities their region covers (``geodata/data/regions.csv``), never to the one
their marker stands in: see :mod:`geodata.join` and :mod:`geodata.regions`.
"""

from __future__ import annotations

from typing import Final

#: Bump when the meaning or dtype of a column changes: caches keyed on it rebuild.
SCHEMA_VERSION: Final = 2

#: ACLED's event types with their sub-event types (ACLED codebook, 2023+).
EVENT_TYPES: Final[dict[str, tuple[str, ...]]] = {
    "Battles": ("Armed clash", "Government regains territory", "Non-state actor overtakes territory"),
    "Explosions/Remote violence": (
        "Chemical weapon",
        "Air/drone strike",
        "Suicide bomb",
        "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED",
        "Grenade",
    ),
    "Violence against civilians": ("Sexual violence", "Attack", "Abduction/forced disappearance"),
    "Protests": ("Peaceful protest", "Protest with intervention", "Excessive force against protesters"),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Strategic developments": (
        "Agreement",
        "Arrests",
        "Change to group/activity",
        "Disrupted weapons use",
        "Headquarters or base established",
        "Looting/property destruction",
        "Non-violent transfer of territory",
        "Other",
    ),
}

#: The sides of the built-in dataset: the article's infobox (first three) plus the
#: institutions the text names. Imported datasets bring their own actor names.
SIDES: Final[tuple[str, ...]] = (
    "Kosovo Serbs",
    "Kosovo Albanians",
    "KFOR",
    "UNMIK/UN police",
    "Kosovo Police Service",
    "Serbian government",
    "Kosovo government",
    "EU mission",
)

DATE_PRECISIONS: Final = ("day", "range", "month")
LOCATION_PRECISIONS: Final = ("site", "town", "region")
PLACE_KINDS: Final = ("city", "town", "village", "border crossing", "site", "region")
COUNT_FIELDS: Final = ("fatalities", "injured", "arrested", "participants")

RECORD_FIELDS: Final = (
    "id",
    "date_start",
    "date_end",
    "date_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "sides",
    "place",
    "location_precision",
    *COUNT_FIELDS,
    "description",
    "source_section",
    "notes",
)
#: Fields a records file must have; the rest default to empty.
REQUIRED_FIELDS: Final = ("id", "date_start", "event_type", "place")

REACTION_FIELDS: Final = (
    "id",
    "incident_id",  # empty: the source ties the statement to no incident
    "speaker",
    "role",
    "affiliation",
    "summary",
    "source_section",
    "notes",
)

SIDE_SEPARATOR: Final = ";"
