"""Keep personal identity numbers out of free text.

A Swedish personnummer is YYMMDD-NNNC (or YYYYMMDD-NNNC; `+` instead of `-` from the
year a person turns 100); a samordningsnummer is the same with 60 added to the day. The
last digit C is a Luhn check digit over the ten digits YYMMDDNNN, also when the number
is written with its century. Only strings whose date exists and whose check digit
matches are masked: an order number, a phone number or a case number shaped like a date
passes the check one time in ten instead of always.
"""

import re
from datetime import date

# Twelve or ten digits with an optional separator (and a space either side of it).
# Digits glued to other digits are not matched, so longer numbers (case numbers, bank
# accounts) are left alone.
_PERSONNUMMER = re.compile(
    r"(?<![\d])(?P<century>(?:18|19|20))?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})"
    r"\s?(?P<sep>[-+]?)\s?(?P<serial>\d{3})(?P<check>\d)(?![\d])"
)
SAMORDNING_DAY_OFFSET = 60
MASK_PREFIX = "XXXXXX-"


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit of `digits` (weights 2, 1, 2, ... from the left, as Skatteverket)."""
    total = 0
    for position, digit in enumerate(digits):
        product = int(digit) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def _date_exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _plausible_date(century: str | None, yy: str, mm: str, dd: str) -> bool:
    """A real calendar day; without a century, a real day in the 1900s or the 2000s."""
    day = int(dd)
    if day > SAMORDNING_DAY_OFFSET:
        day -= SAMORDNING_DAY_OFFSET
    years = [int(century + yy)] if century else [1900 + int(yy), 2000 + int(yy)]
    return any(_date_exists(year, int(mm), day) for year in years)


def _is_identity_number(match: re.Match[str]) -> bool:
    if not _plausible_date(match["century"], match["yy"], match["mm"], match["dd"]):
        return False
    nine = match["yy"] + match["mm"] + match["dd"] + match["serial"]
    return luhn_check_digit(nine) == int(match["check"])


def is_personnummer(text: str) -> bool:
    """Whether `text` is, as a whole, a personnummer or samordningsnummer (check digit valid)."""
    match = _PERSONNUMMER.fullmatch(text.strip())
    return match is not None and _is_identity_number(match)


def _mask(match: re.Match[str]) -> str:
    if not _is_identity_number(match):
        return match[0]
    return f"{MASK_PREFIX}{match['serial']}{match['check']}"


def mask_personnummer(text: str) -> str:
    """Replace every valid personnummer or samordningsnummer by XXXXXX-NNNC (last four kept).

    Valid means a date that exists and a matching Luhn check digit; anything else that
    merely looks like one is left as written.
    """
    return _PERSONNUMMER.sub(_mask, text)
