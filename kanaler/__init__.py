"""Channels through which citizens reach the office.

Pure domain code: no Flask, no database.
"""

from kanaler.channels import CHANNEL_CODES, CHANNELS, Channel, channel_label, parse_channel
from kanaler.privacy import mask_personnummer

__all__ = [
    "CHANNEL_CODES",
    "CHANNELS",
    "Channel",
    "channel_label",
    "mask_personnummer",
    "parse_channel",
]
