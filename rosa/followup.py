"""Did a mandate move do what was expected? Equal windows before and after, and a verdict.

Pure domain code: the figures of the two windows come in, the verdict goes out. A move
that raises a mandate should lower the share of contacts referred to the back office; an
approved recommendation says by how much (the share that would still be referred), a
manual change only which way.

The rules, in the order they are applied:

1. Too early to say: windows shorter than MIN_WINDOW_DAYS, or fewer than MIN_CONTACTS
   contacts in either window (a share of a handful of contacts says nothing).
2. With an estimate (an approved recommendation): the observed drop in the referral
   share against the expected drop. At least AS_EXPECTED_PART of it: as expected; at
   least SOME_EFFECT_PART: smaller than expected; a rise of more than NOTICEABLE: the
   opposite; otherwise no effect.
3. Without one (a change made by hand): a move of the referral share by more than
   NOTICEABLE (5 percentage points) in the expected direction (down when the mandate
   was raised, up when lowered) is as expected, in the other direction the opposite,
   less than that no clear effect.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

MIN_WINDOW_DAYS = 7
MIN_CONTACTS = 20
AS_EXPECTED_PART = 0.75
SOME_EFFECT_PART = 0.25
NOTICEABLE = 0.05
DEFAULT_WINDOW_DAYS = 28


class Verdict(StrEnum):
    AS_EXPECTED = "som-vantat"
    SMALLER = "mindre-an-vantat"
    NO_EFFECT = "ingen-effekt"
    OPPOSITE = "motsatt"
    TOO_EARLY = "for-tidigt"

    @property
    def label(self) -> str:
        return {
            "som-vantat": "Som väntat",
            "mindre-an-vantat": "Mindre effekt än väntat",
            "ingen-effekt": "Ingen tydlig effekt",
            "motsatt": "Motsatt effekt",
            "for-tidigt": "För tidigt att säga",
        }[self.value]


@dataclass(frozen=True)
class WindowFigures:
    """What one window's contacts and their referrals show."""

    contacts: int = 0
    referred: int = 0
    answered_at_desk: int = 0
    repeats: int = 0
    answered_referrals: int = 0
    within_sla: int = 0
    median_working_hours: float | None = None
    # What citizens said (NKI 0-100) about the window's contacts, and how many said it.
    nki_respondents: int = 0
    nki: float | None = None

    def _share(self, part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def referral_share(self) -> float | None:
        return self._share(self.referred, self.contacts)

    @property
    def answered_at_desk_share(self) -> float | None:
        return self._share(self.answered_at_desk, self.contacts)

    @property
    def repeat_share(self) -> float | None:
        return self._share(self.repeats, self.contacts)

    @property
    def within_sla_share(self) -> float | None:
        return self._share(self.within_sla, self.answered_referrals)


@dataclass(frozen=True)
class Windows:
    before_start: datetime
    change: datetime
    after_end: datetime

    @property
    def days(self) -> float:
        return (self.after_end - self.change).total_seconds() / 86400


def windows(changed_at: datetime, now: datetime, days: int = DEFAULT_WINDOW_DAYS) -> Windows:
    """Two equal windows around the change: `days` long, or as long as it has been in force."""
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    length = max(min(timedelta(days=days), now - changed_at), timedelta(0))
    return Windows(changed_at - length, changed_at, changed_at + length)


def verdict(
    before: WindowFigures,
    after: WindowFigures,
    window_days: float,
    from_level: int,
    to_level: int,
    expected_referral_share: float | None = None,
) -> Verdict:
    """The plain verdict on one move (see the module's rules)."""
    if (
        window_days < MIN_WINDOW_DAYS
        or before.contacts < MIN_CONTACTS
        or after.contacts < MIN_CONTACTS
    ):
        return Verdict.TOO_EARLY
    # A raised mandate should lower the referral share: measure the change that way.
    direction = 1 if to_level > from_level else -1
    observed = (before.referral_share - after.referral_share) * direction
    if expected_referral_share is not None and direction == 1:
        expected = before.referral_share - expected_referral_share
        if expected > 0:
            if observed >= AS_EXPECTED_PART * expected:
                return Verdict.AS_EXPECTED
            if observed >= SOME_EFFECT_PART * expected:
                return Verdict.SMALLER
            return Verdict.OPPOSITE if observed < -NOTICEABLE else Verdict.NO_EFFECT
    if observed > NOTICEABLE:
        return Verdict.AS_EXPECTED
    if observed < -NOTICEABLE:
        return Verdict.OPPOSITE
    return Verdict.NO_EFFECT
