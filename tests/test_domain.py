"""rosa/ and kanaler/: the pure domain rules."""

import pytest

from kanaler import CHANNEL_CODES, parse_channel
from rosa import DEFAULT_MANDATE, LEVELS, Outcome, level_by_number, route


def test_eight_levels_with_swedish_names():
    assert [level.number for level in LEVELS] == list(range(1, 9))
    assert level_by_number(1).name == "Information/upplysning"
    assert level_by_number(6).name == "Värderande handläggning"
    assert all(level.hint for level in LEVELS)


@pytest.mark.parametrize("bad", [0, 9, -1])
def test_level_outside_range_is_refused(bad):
    with pytest.raises(ValueError):
        level_by_number(bad)


@pytest.mark.parametrize(
    ("level", "mandate", "put_through", "expected"),
    [
        (1, 2, False, Outcome.INFORMERAT),
        (2, 2, False, Outcome.INFORMERAT),
        (3, 2, False, Outcome.ESKALERAT),
        (4, 4, False, Outcome.INFORMERAT),
        (8, 4, False, Outcome.ESKALERAT),
        (6, 2, True, Outcome.KOPPLAT),
        (1, 2, True, Outcome.KOPPLAT),
    ],
)
def test_mandate_rule(level, mandate, put_through, expected):
    assert route(level, mandate, put_through) is expected


def test_default_mandate_is_guidance():
    assert DEFAULT_MANDATE == 2


def test_route_refuses_impossible_levels():
    with pytest.raises(ValueError):
        route(9, 2)
    with pytest.raises(ValueError):
        route(2, 0)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("besok", "besok"),
        ("Besök", "besok"),
        ("e-post", "epost"),
        ("TELEFON", "telefon"),
        ("chatt", "chatt"),
        ("fax", None),
        ("", None),
    ],
)
def test_parse_channel(text, code):
    assert parse_channel(text) == code


def test_six_channels():
    assert CHANNEL_CODES == ("besok", "telefon", "epost", "brev", "webb", "chatt")
