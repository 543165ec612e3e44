"""ROSA: the eight levels of case-process work, and what follows from them.

Pure domain code: no Flask, no database. Takes and returns plain data.
"""

from rosa.levels import LEVELS, Level, level_by_number
from rosa.routing import DEFAULT_MANDATE, OUTCOMES, Outcome, route

__all__ = [
    "DEFAULT_MANDATE",
    "LEVELS",
    "Level",
    "OUTCOMES",
    "Outcome",
    "level_by_number",
    "route",
]
