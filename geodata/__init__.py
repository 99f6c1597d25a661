"""Incident records, gazetteer, boundaries and the spatial join for unrest-map.

Data flows one way: records (CSV) -> typed frame -> joined frame -> filtered frame.
The dashboard and the command line both build on these functions.
"""

from geodata.schema import EVENT_TYPES, SCHEMA_VERSION, SIDES

__all__ = ["EVENT_TYPES", "SCHEMA_VERSION", "SIDES"]
