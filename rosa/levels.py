"""The eight ROSA levels with their Swedish names and a one-line hint for the counter."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    number: int
    name: str
    hint: str


LEVELS: tuple[Level, ...] = (
    Level(1, "Information/upplysning", "Allmänna fakta: öppettider, var, vad som gäller"),
    Level(
        2,
        "Vägledning/rådgivning",
        "Vägledning i den egna situationen, hjälp med blankett och e-tjänst",
    ),
    Level(
        3,
        "Administrativ fördelning",
        "Ta emot, kontrollera komplettering, registrera, skicka vidare",
    ),
    Level(4, "Rutin- och regelstyrd handläggning", "Beslut som följer direkt av regler"),
    Level(5, "Verksamhetsspecifik fördelning", "Fördelning som kräver fackkunskap"),
    Level(6, "Värderande handläggning", "Bedömning och skälighetsprövning"),
    Level(7, "Ledningsuppgifter", "Ledning och styrning"),
    Level(8, "Politik", "Politiska beslut"),
)

MIN_LEVEL = LEVELS[0].number
MAX_LEVEL = LEVELS[-1].number


def level_by_number(number: int) -> Level:
    """Return the level with this number; ValueError outside 1-8."""
    if not MIN_LEVEL <= number <= MAX_LEVEL:
        raise ValueError(f"ROSA level must be {MIN_LEVEL}-{MAX_LEVEL}, got {number}")
    return LEVELS[number - 1]
