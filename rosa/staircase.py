"""The ROSA staircase: how contacts spread over the eight levels, share and cumulative share."""

from collections.abc import Mapping
from dataclasses import dataclass

from rosa.levels import LEVELS


@dataclass(frozen=True)
class Stair:
    level: int
    name: str
    count: int
    share: float
    cumulative_share: float


@dataclass(frozen=True)
class Staircase:
    total: int
    levels: tuple[Stair, ...]

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "levels": [
                {
                    "level": s.level,
                    "name": s.name,
                    "count": s.count,
                    "share": s.share,
                    "cumulative_share": s.cumulative_share,
                }
                for s in self.levels
            ],
        }


def staircase(counts: Mapping[int, int]) -> Staircase:
    """Count, share and cumulative share per level 1-8 (shares 0..1; 0 when there are none).

    The cumulative share is summed from the counts, not from rounded shares, so the
    last step is exactly 1.0 whenever there are contacts.
    """
    total = sum(counts.get(level.number, 0) for level in LEVELS)
    running = 0
    stairs = []
    for level in LEVELS:
        count = counts.get(level.number, 0)
        running += count
        stairs.append(
            Stair(
                level=level.number,
                name=level.name,
                count=count,
                share=count / total if total else 0.0,
                cumulative_share=running / total if total else 0.0,
            )
        )
    return Staircase(total=total, levels=tuple(stairs))
