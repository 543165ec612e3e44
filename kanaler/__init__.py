"""Channels through which citizens reach the office.

Pure domain code: no Flask, no database.
"""

from kanaler.analysis import channel_shift, parity, service_levels
from kanaler.calls import CallRecord, parse_calls
from kanaler.channels import CHANNEL_CODES, CHANNELS, Channel, channel_label, parse_channel
from kanaler.mail import ParsedMail, parse_mail
from kanaler.privacy import is_personnummer, luhn_check_digit, mask_personnummer

__all__ = [
    "CHANNEL_CODES",
    "CallRecord",
    "ParsedMail",
    "CHANNELS",
    "Channel",
    "channel_label",
    "is_personnummer",
    "luhn_check_digit",
    "mask_personnummer",
    "channel_shift",
    "parity",
    "parse_calls",
    "parse_channel",
    "parse_mail",
    "service_levels",
]
