"""The contact channels, grouped as the 2008 study groups them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    code: str
    label: str
    group: str  # "personligt", "distans" or "digitalt"
    synchronous: bool  # False: arrives in an inbox and waits for triage
    accesskey: str  # Alt+key at the counter


CHANNELS: tuple[Channel, ...] = (
    Channel("besok", "Besök", "personligt", True, "b"),
    Channel("telefon", "Telefon", "distans", True, "t"),
    Channel("epost", "E-post", "distans", False, "e"),
    Channel("brev", "Brev", "distans", False, "r"),
    Channel("webb", "Webb", "digitalt", False, "w"),
    Channel("chatt", "Chatt", "digitalt", True, "c"),
)

CHANNEL_CODES: tuple[str, ...] = tuple(c.code for c in CHANNELS)
_BY_CODE = {c.code: c for c in CHANNELS}
# People write the Swedish words; codes stay ASCII so URLs and CSV exports need no escaping.
_ALIASES = {"besök": "besok", "e-post": "epost", "mejl": "epost", "e-mail": "epost"}


def channel_label(code: str) -> str:
    """Swedish label of a channel code; KeyError for an unknown one."""
    return _BY_CODE[code].label


def parse_channel(text: str) -> str | None:
    """The channel code for a code, label or common Swedish spelling; None if unknown."""
    key = text.strip().lower()
    key = _ALIASES.get(key, key)
    if key in _BY_CODE:
        return key
    for channel in CHANNELS:
        if channel.label.lower() == key:
            return channel.code
    return None
