"""Keep personal identity numbers out of free-text notes."""

import re

# YYMMDD-NNNN, YYMMDD+NNNN, YYYYMMDDNNNN and the like, also samordningsnummer
# (day + 60). Digits glued to other digits are not matched, so longer numbers
# (case numbers, bank accounts) are left alone.
_PERSONNUMMER = re.compile(
    r"(?<![\d])(?P<century>(?:18|19|20))?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})"
    r"\s?(?P<sep>[-+]?)\s?(?P<last4>\d{4})(?![\d])"
)


def _plausible(match: re.Match[str]) -> bool:
    month = int(match["mm"])
    day = int(match["dd"])
    if day > 60:
        day -= 60
    return 1 <= month <= 12 and 1 <= day <= 31


def _mask(match: re.Match[str]) -> str:
    if not _plausible(match):
        return match[0]
    return f"XXXXXX-{match['last4']}"


def mask_personnummer(text: str) -> str:
    """Replace anything shaped like a personnummer by XXXXXX-NNNN (last four digits kept)."""
    return _PERSONNUMMER.sub(_mask, text)
