"""Services directory: comuni, services, coverage; resolution of comuni; nearest services."""

from assistant.directory.nearest import directory, haversine_km, nearest
from assistant.directory.resolve import AMBIGUOUS, FOUND, OUTSIDE, UNKNOWN, find_in_text, resolve

__all__ = [
    "directory",
    "haversine_km",
    "nearest",
    "resolve",
    "find_in_text",
    "FOUND",
    "AMBIGUOUS",
    "OUTSIDE",
    "UNKNOWN",
]
