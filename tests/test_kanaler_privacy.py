"""Masking personnummer and samordningsnummer in free text (kanaler.privacy, pure functions).

Valid numbers here are either published examples or completed by `_complete` below, an
independent Luhn written the other way round from the module's: the classic "from the
right, double every second digit, the total is a multiple of ten" test over the whole
ten-digit number, searched for the one final digit that passes.
Published examples (each also checked with `_luhn_valid` in the first test):
19121212-1212 is "Tolvan Tolvansson", the test person Swedish systems use; 811218-9876
and 701063-2391 (a samordningsnummer: born 1970-10-03, day + 60) are the examples used in
public descriptions of the format.
"""

import random

import pytest

from kanaler import is_personnummer, luhn_check_digit, mask_personnummer


def _luhn_valid(number: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if position % 2 == 1 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _complete(nine: str) -> str:
    """YYMMDDNNN with the one final digit that makes the ten a valid Luhn number."""
    (digit,) = [d for d in "0123456789" if _luhn_valid(nine + d)]
    return nine + digit


def _wrong(nine: str) -> str:
    """YYMMDDNNN with a final digit that fails the check."""
    right = _complete(nine)[-1]
    return nine + str((int(right) + 1) % 10)


PUBLISHED = ["19121212-1212", "121212-1212", "811218-9876", "701063-2391", "197010632391"]


@pytest.mark.parametrize("number", PUBLISHED)
def test_published_examples_are_valid_and_masked(number):
    assert _luhn_valid(number.replace("-", "")[-10:])
    assert is_personnummer(number)
    assert mask_personnummer(f"Pnr {number} ringer") == f"Pnr XXXXXX-{number[-4:]} ringer"


def test_check_digit_agrees_with_an_independent_luhn_on_random_numbers():
    rng = random.Random(7)
    for _ in range(2000):
        nine = "".join(rng.choice("0123456789") for _ in range(9))
        assert str(luhn_check_digit(nine)) == _complete(nine)[-1]


VALID_850312 = _complete("850312123")  # a valid number born 1985-03-12
WRONG_850312 = _wrong("850312123")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (
            f"Pnr 19{VALID_850312[:6]}-{VALID_850312[6:]} ringer",
            f"Pnr XXXXXX-{VALID_850312[6:]} ringer",
        ),
        (f"{VALID_850312[:6]}-{VALID_850312[6:]}", f"XXXXXX-{VALID_850312[6:]}"),
        (f"{VALID_850312[:6]}+{VALID_850312[6:]}", f"XXXXXX-{VALID_850312[6:]}"),
        (f"19{VALID_850312}", f"XXXXXX-{VALID_850312[6:]}"),
        (VALID_850312, f"XXXXXX-{VALID_850312[6:]}"),
        (f"{VALID_850312[:6]} - {VALID_850312[6:]}", f"XXXXXX-{VALID_850312[6:]}"),
        ("samordningsnr 701063-2391.", "samordningsnr XXXXXX-2391."),
        ("två: 121212-1212 och 811218-9876", "två: XXXXXX-1212 och XXXXXX-9876"),
    ],
)
def test_valid_numbers_are_masked_keeping_the_last_four(text, masked):
    assert mask_personnummer(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        # The same dates with a wrong check digit: order, phone or case numbers.
        f"order {WRONG_850312[:6]}-{WRONG_850312[6:]}",
        f"order 19{WRONG_850312}",
        f"ordernummer {WRONG_850312}",
        "19121212-1213",
        "701063-2392",
        # Check digit right, date impossible: month 13, 30 February, day 92 (60 + 32).
        _complete("851312123"),
        _complete("850230123"),
        _complete("850192123"),
        # 29 February only exists in leap years (2023 is not; with a century it is known).
        "20" + _complete("230229123"),
        # Part of a longer number, or an ordinary Swedish phone and case number.
        "konto 12345678901234",
        "ärende 2024-123456 och tel 08-123 456 78",
        "mobil 070-123 45 67",
    ],
)
def test_look_alikes_are_left_alone(text):
    assert mask_personnummer(text) == text


def test_leap_day_without_century_is_a_day_in_either_century():
    # 000229: 2000-02-29 exists (1900-02-29 does not); with century 1900 it is refused.
    number = _complete("000229123")
    assert is_personnummer(number)
    assert not is_personnummer("19" + number)
    assert is_personnummer("20" + number)


def test_is_personnummer_takes_the_whole_string_only():
    assert is_personnummer(" 121212-1212 ")
    assert not is_personnummer("121212-1212 och mer")
    assert not is_personnummer("")
