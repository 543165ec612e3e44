"""The mandate rule: which contacts the desk answers and which go to a back office."""

from enum import StrEnum

from rosa.levels import level_by_number

# A new office/case-type pair starts at "guidance" until the owner agrees to more.
DEFAULT_MANDATE = 2


class Outcome(StrEnum):
    INFORMERAT = "informerat"  # answered at the desk
    KOPPLAT = "kopplat"  # put through live to a specialist
    ESKALERAT = "eskalerat"  # referred to the owner's back-office queue

    @property
    def label(self) -> str:
        """What the pages and the Swedish exports call the outcome."""
        return {
            "informerat": "Besvarat i disken",
            "kopplat": "Kopplat vidare",
            "eskalerat": "Remitterat",
        }[self.value]


OUTCOMES: tuple[str, ...] = tuple(o.value for o in Outcome)


def route(rosa_level: int, mandate_level: int, put_through: bool = False) -> Outcome:
    """Decide a contact's outcome from its level and the office's mandate.

    A contact the guide put through live needs no referral whatever its level;
    otherwise everything at or below the mandate is answered at the desk.
    """
    level_by_number(rosa_level)
    level_by_number(mandate_level)
    if put_through:
        return Outcome.KOPPLAT
    if rosa_level <= mandate_level:
        return Outcome.INFORMERAT
    return Outcome.ESKALERAT
