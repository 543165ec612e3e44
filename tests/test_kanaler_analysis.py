"""kanaler.analysis: channel parity, channel shift and service levels."""

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kanaler.analysis import (
    ChannelRow,
    ServiceLevels,
    ShiftCandidate,
    channel_shift,
    parity,
    service_levels,
    two_proportion_p_value,
)
from kanaler.calls import CallRecord, parse_calls


def cell(channel, case_type, level, referred, contacts):
    """Count tuples for `contacts` contacts of which `referred` were referred."""
    return [
        (channel, case_type, level, "eskalerat", referred),
        (channel, case_type, level, "informerat", contacts - referred),
    ]


# --- The z-test ---------------------------------------------------------------------------


def test_p_value_against_hand_computation():
    # 6 of 20 against 6 of 60: p1 = 0.30, p2 = 0.10, pooled p = 12/80 = 0.15
    # se = sqrt(0.15 * 0.85 * (1/20 + 1/60)) = sqrt(0.1275 * 0.066667) = sqrt(0.0085) = 0.092195
    # z = 0.20 / 0.092195 = 2.1693; two-sided p = 2 * (1 - Phi(2.1693)) = 2 * 0.01503 = 0.0301
    assert two_proportion_p_value(6, 20, 6, 60) == pytest.approx(0.0301, abs=2e-4)
    # Symmetric in the two groups.
    assert two_proportion_p_value(6, 60, 6, 20) == two_proportion_p_value(6, 20, 6, 60)


def test_p_value_is_erfc_of_z_over_root_two():
    # 60 of 100 against 40 of 100: pooled p = 0.5, se = sqrt(0.25 * 0.02) = sqrt(0.005) = 0.070711
    # z = 0.20 / 0.070711 = 2.8284; p = erfc(2.8284 / sqrt 2) = erfc(2) = 0.004678
    assert two_proportion_p_value(60, 100, 40, 100) == pytest.approx(0.004678, abs=1e-6)
    # Equal rates: z = 0, p = 1.
    assert two_proportion_p_value(10, 100, 20, 200) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "args",
    [
        (0, 50, 0, 50),  # nobody referred: pooled p = 0
        (50, 50, 30, 30),  # everybody referred: pooled p = 1
        (5, 0, 5, 10),  # an empty group
    ],
)
def test_p_value_none_without_variance(args):
    assert two_proportion_p_value(*args) is None


# --- Parity: per channel rows -------------------------------------------------------------


def test_parity_rows_hand_computed():
    counts = [
        ("telefon", "Bygglov", 2, "informerat", 30),
        ("telefon", "Bygglov", 2, "kopplat", 5),
        ("telefon", "Bygglov", 4, "eskalerat", 15),
        ("besok", "Bygglov", 1, "informerat", 8),
        ("besok", "Parkering", 1, "informerat", 8),  # same channel, other case type
        ("besok", "Parkering", 3, "eskalerat", 4),
        ("epost", "Parkering", 2, "informerat", 0),
    ]
    minutes = {"epost": [30.0, 10.0, 50.0, 20.0], "brev": [7.5]}
    report = parity(counts, minutes)
    assert report.rows == [
        # besök: 8 + 8 + 4 = 20 contacts; 16 informerat -> 0.8; 4 eskalerat -> 0.2
        ChannelRow("besok", 20, 0.8, 0.2, None, 0),
        # telefon: 30 + 5 + 15 = 50; 30/50 = 0.6 at first contact; 15/50 = 0.3 referred
        ChannelRow("telefon", 50, 0.6, 0.3, None, 0),
        # e-post: no contacts, shares None; median of 10, 20, 30, 50 = (20 + 30) / 2 = 25
        ChannelRow("epost", 0, None, None, 25.0, 4),
        # brev: only a time to answer
        ChannelRow("brev", 0, None, None, 7.5, 1),
    ]
    assert report.flags == []


def test_parity_adds_up_repeated_keys():
    # Per-office rows for the same key are summed: 3 + 7 = 10 contacts, 2 + 3 = 5 referred.
    counts = cell("webb", "Bygglov", 2, 2, 3) + cell("webb", "Bygglov", 2, 3, 7)
    (row,) = parity(counts, {}).rows
    assert (row.contacts, row.referral_rate, row.first_contact_share) == (10, 0.5, 0.5)


@pytest.mark.parametrize(
    ("counts", "minutes"),
    [
        ([("fax", "Bygglov", 2, "informerat", 1)], {}),
        ([("besok", "Bygglov", 2, "avvisat", 1)], {}),
        ([("besok", "Bygglov", 9, "informerat", 1)], {}),
        ([("besok", "Bygglov", 2, "informerat", -1)], {}),
        ([], {"fax": [1.0]}),
        ([], {"epost": [-1.0]}),
        ([], {"epost": [float("nan")]}),
    ],
)
def test_parity_refuses_bad_input(counts, minutes):
    with pytest.raises(ValueError):
        parity(counts, minutes)


# --- Parity: flags ------------------------------------------------------------------------


def skewed_letters():
    """Bygglov level 2: besök, telefon and e-post refer 10 of 100; brev refers 60 of 100."""
    return (
        cell("besok", "Bygglov", 2, 10, 100)
        + cell("telefon", "Bygglov", 2, 10, 100)
        + cell("epost", "Bygglov", 2, 10, 100)
        + cell("brev", "Bygglov", 2, 60, 100)
    )


def test_skewed_channel_is_flagged():
    report = parity(skewed_letters(), {})
    # Brev 60/100 against the others' 30/300 = 10 %: pooled 90/400 = 0.225,
    # se = sqrt(0.225 * 0.775 * (1/100 + 1/300)) = 0.04822, z = 0.5 / 0.04822 = 10.4,
    # p ~ 3e-25, far below 0.01 / 4 comparisons, and 50 points >= 10.
    assert len(report.flags) == 1
    flag = report.flags[0]
    assert (flag.case_type, flag.rosa_level, flag.channel, flag.contacts) == (
        "Bygglov",
        2,
        "brev",
        100,
    )
    assert flag.referral_rate == pytest.approx(0.6)
    assert flag.others_rate == pytest.approx(0.1)
    assert flag.p_value < 1e-20
    assert (
        flag.message
        == "Brev remitteras oftare än andra kanaler för Bygglov nivå 2 (60\u00a0% mot 10\u00a0%)"
    )


def test_ordinary_channels_are_not_flagged_because_of_the_odd_one():
    # Besök alone against the pooled rest (telefon, e-post, brev: 80/300 = 26.7 %) would
    # be flagged: pooled 90/400 = 0.225, se = sqrt(0.225 * 0.775 * (1/100 + 1/300)) = 0.04822,
    # z = 0.1667 / 0.04822 = 3.46, p = 0.00055 < 0.01/4, difference 16.7 points.
    assert two_proportion_p_value(10, 100, 80, 300) == pytest.approx(0.00055, abs=2e-5)
    # With brev set aside, the three equal channels compare 10 % with 10 %: no flags.
    flagged = [flag.channel for flag in parity(skewed_letters(), {}).flags]
    assert flagged == ["brev"]


def test_lower_rate_is_worded_as_less_often():
    counts = (
        cell("besok", "Parkering", 1, 40, 100)
        + cell("telefon", "Parkering", 1, 40, 100)
        + cell("webb", "Parkering", 1, 5, 100)
    )
    (flag,) = parity(counts, {}).flags
    assert flag.channel == "webb"
    assert flag.message == (
        "Webb remitteras mer sällan än andra kanaler för Parkering nivå 1 (5\u00a0% mot 40\u00a0%)"
    )


def test_equal_channels_are_not_flagged():
    counts = (
        cell("besok", "Bygglov", 2, 30, 300)
        + cell("telefon", "Bygglov", 2, 20, 200)
        + cell("brev", "Bygglov", 2, 10, 100)
    )
    assert parity(counts, {}).flags == []


def test_small_channel_is_not_flagged():
    # Brev: 15 letters, all referred, below min_contacts = 20: not compared. It still
    # counts among the others of besök/telefon/e-post: besök 10/100 against
    # (10 + 10 + 15)/215 = 16.3 %, a difference of 6.3 points < 10: no flag either.
    counts = (
        cell("besok", "Bygglov", 2, 10, 100)
        + cell("telefon", "Bygglov", 2, 10, 100)
        + cell("epost", "Bygglov", 2, 10, 100)
        + cell("brev", "Bygglov", 2, 15, 15)
    )
    assert parity(counts, {}).flags == []
    # With min_contacts lowered to 15, brev is compared and flagged (100\u00a0% mot 10\u00a0%).
    (flag,) = parity(counts, {}, min_contacts=15).flags
    assert flag.channel == "brev"
    assert flag.message.endswith("(100\u00a0% mot 10\u00a0%)")


def test_significant_but_small_difference_is_not_flagged():
    # Besök 150/1000 = 15 % against telefon 200/2000 = 10 %: z ~ 4, p ~ 5e-5, but only
    # 5 points apart, under min_difference = 0.10.
    counts = cell("besok", "Bygglov", 2, 150, 1000) + cell("telefon", "Bygglov", 2, 200, 2000)
    assert two_proportion_p_value(150, 1000, 200, 2000) < 1e-4
    assert parity(counts, {}).flags == []
    # Lowered to 4 points it is flagged. Two channels make one test (counted twice): the
    # smaller channel, besök, is the one that departs.
    (flag,) = parity(counts, {}, min_difference=0.04).flags
    assert flag.channel == "besok"


def test_difference_of_exactly_min_difference_counts():
    # 60 % against 50 % with 1000 contacts each: the difference 0.6 - 0.5 is
    # 0.09999999999999998 in floating point, and still counts as 10 points.
    counts = cell("chatt", "Bygglov", 1, 600, 1000) + cell("besok", "Bygglov", 1, 1000, 2000)
    (flag,) = parity(counts, {}).flags
    assert flag.channel == "chatt"


def test_bonferroni_correction_over_the_comparisons():
    # Brev 24/60 = 40 % against besök 20/100 = 20 %: pooled 44/160 = 0.275,
    # se = sqrt(0.275 * 0.725 * (1/60 + 1/100)) = sqrt(0.199375 * 0.026667) = 0.072915,
    # z = 0.20 / 0.072915 = 2.743, p = 2 * (1 - Phi(2.743)) = 2 * 0.00305 = 0.0061.
    counts = cell("besok", "Bygglov", 3, 20, 100) + cell("brev", "Bygglov", 3, 24, 60)
    assert two_proportion_p_value(24, 60, 20, 100) == pytest.approx(0.0061, abs=1e-4)
    # Two comparisons (each channel against the other): 0.0061 > 0.01 / 2 = 0.005.
    assert parity(counts, {}).flags == []
    # alpha = 0.02: 0.0061 < 0.02 / 2 = 0.01, flagged.
    (flag,) = parity(counts, {}, alpha=0.02).flags
    assert (
        flag.message
        == "Brev remitteras oftare än andra kanaler för Bygglov nivå 3 (40\u00a0% mot 20\u00a0%)"
    )
    # Another case type with two comparable channels makes four comparisons:
    # 0.0061 > 0.02 / 4 = 0.005, no longer flagged.
    more = counts + cell("besok", "Parkering", 1, 5, 50) + cell("telefon", "Parkering", 1, 5, 50)
    assert parity(more, {}, alpha=0.02).flags == []


def test_untestable_cells_do_not_count_as_comparisons():
    # Nobody referred in Parkering (pooled p = 0): no test, so still two comparisons.
    counts = (
        cell("besok", "Bygglov", 3, 20, 100)
        + cell("brev", "Bygglov", 3, 24, 60)
        + cell("besok", "Parkering", 1, 0, 50)
        + cell("telefon", "Parkering", 1, 0, 50)
    )
    assert len(parity(counts, {}, alpha=0.02).flags) == 1


def test_flags_in_several_cells_are_ordered():
    counts = (
        cell("besok", "Parkering", 1, 5, 100)
        + cell("telefon", "Parkering", 1, 50, 100)
        + skewed_letters()
        + cell("besok", "Bygglov", 1, 5, 100)
        + cell("telefon", "Bygglov", 1, 5, 100)
        + cell("chatt", "Bygglov", 1, 70, 100)
    )
    flags = parity(counts, {}).flags
    assert [(f.case_type, f.rosa_level, f.channel) for f in flags] == [
        ("Bygglov", 1, "chatt"),
        ("Bygglov", 2, "brev"),
        # Two channels of the same size: the test is the same both ways, and the
        # tie goes to the channel listed first.
        ("Parkering", 1, "besok"),
    ]


# --- Channel shift ------------------------------------------------------------------------


def shift_counts():
    return [
        # Avfall: expensive 300 + 100 + 50 + 50 = 500, level 1-2: 450 -> 90 %.
        ("telefon", "Avfall", 1, "informerat", 300),
        ("telefon", "Avfall", 2, "informerat", 100),
        ("besok", "Avfall", 1, "informerat", 50),
        ("besok", "Avfall", 5, "eskalerat", 50),
        ("webb", "Avfall", 1, "informerat", 500),
        # Bygglov: expensive 60 + 40 + 60 + 40 = 200, level 1-2: 100 -> 50 % < 60 %.
        ("besok", "Bygglov", 1, "informerat", 60),
        ("besok", "Bygglov", 2, "informerat", 40),
        ("besok", "Bygglov", 6, "eskalerat", 60),
        ("telefon", "Bygglov", 3, "eskalerat", 40),
        # Parkering: expensive 120 + 30 + 50 = 200, level 1-2: 150 -> 75 %.
        ("besok", "Parkering", 1, "informerat", 120),
        ("telefon", "Parkering", 2, "informerat", 30),
        ("besok", "Parkering", 3, "eskalerat", 50),
        # Färdtjänst: all level 1, but 40 expensive contacts < 50.
        ("telefon", "Färdtjänst", 1, "informerat", 40),
        # Hemtjänst: 30 of 50 = exactly 60 %.
        ("besok", "Hemtjänst", 1, "informerat", 30),
        ("besok", "Hemtjänst", 4, "kopplat", 20),
    ]


def test_channel_shift_ranking_with_default_minutes():
    candidates = channel_shift(shift_counts())
    assert candidates == [
        # (400 telefon x 4 min + 50 besök x 6 min) x 0.5 / 60 = (1600 + 300) x 0.5 / 60
        # = 15.83 h
        ShiftCandidate("Avfall", 1000, 500, 0.9, 450, pytest.approx(1900 * 0.5 / 60)),
        # (120 besök x 6 + 30 telefon x 4) x 0.5 / 60 = (720 + 120) x 0.5 / 60 = 7.0 h
        ShiftCandidate("Parkering", 200, 200, 0.75, 150, pytest.approx(7.0)),
        # 30 besök x 6 x 0.5 / 60 = 1.5 h
        ShiftCandidate("Hemtjänst", 50, 50, 0.6, 30, pytest.approx(1.5)),
    ]


def test_channel_shift_measured_minutes_change_the_ranking():
    # Besök at level 1 measured at 30 min:
    # Avfall: 400 x 4 + 50 x 30 = 3100 min -> x 0.5 / 60 = 25.83 h
    # Parkering: 120 x 30 + 30 x 4 = 3720 min -> 31.0 h
    # Hemtjänst: 30 x 30 = 900 min -> 7.5 h
    candidates = channel_shift(shift_counts(), {("besok", 1): 30.0})
    assert [(c.case_type, c.hours_saved) for c in candidates] == [
        ("Parkering", pytest.approx(31.0)),
        ("Avfall", pytest.approx(3100 * 0.5 / 60)),
        ("Hemtjänst", pytest.approx(7.5)),
    ]


def test_channel_shift_parameters():
    # Everything moves: Parkering 840 min / 60 = 14 h.
    by_name = {c.case_type: c for c in channel_shift(shift_counts(), self_service_share=1.0)}
    assert by_name["Parkering"].hours_saved == pytest.approx(14.0)
    # Färdtjänst qualifies with a lower volume threshold: 40 x 4 x 0.5 / 60 = 1.33 h.
    names = [c.case_type for c in channel_shift(shift_counts(), min_contacts=40)]
    assert "Färdtjänst" in names
    # A higher share threshold leaves Avfall (90 %) and drops Parkering (75 %).
    assert [c.case_type for c in channel_shift(shift_counts(), min_share=0.8)] == ["Avfall"]
    # Only besök counts as expensive. Avfall: 50 of 100 at level 1-2 = 50 %, out.
    # Bygglov: 100 of 160 = 62.5 %, in: 100 x 6 x 0.5 / 60 = 5.0 h.
    # Parkering: 120 of 170 = 70.6 %: 120 x 6 x 0.5 / 60 = 6.0 h. Hemtjänst: 1.5 h.
    candidates = channel_shift(shift_counts(), expensive=("besok",))
    assert [(c.case_type, c.hours_saved) for c in candidates] == [
        ("Parkering", pytest.approx(6.0)),
        ("Bygglov", pytest.approx(5.0)),
        ("Hemtjänst", pytest.approx(1.5)),
    ]


def test_channel_shift_needs_minutes_for_other_expensive_channels():
    counts = [("chatt", "Avfall", 1, "informerat", 100)]
    with pytest.raises(ValueError):
        channel_shift(counts, expensive=("chatt",))
    (candidate,) = channel_shift(counts, {("chatt", 1): 3.0}, expensive=("chatt",))
    # 100 x 3 x 0.5 / 60 = 2.5 h
    assert candidate.hours_saved == pytest.approx(2.5)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"expensive": ("fax",)},
        {"self_service_share": 1.5},
        {"min_share": -0.1},
        {"minutes_per_contact": {("besok", 1): -1.0}},
    ],
)
def test_channel_shift_refuses_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        channel_shift(shift_counts(), **kwargs)


def test_channel_shift_empty():
    assert channel_shift([]) == []


# --- Service levels -----------------------------------------------------------------------


def call(answered: bool, wait: int) -> CallRecord:
    return CallRecord(datetime(2024, 3, 4, 8, tzinfo=UTC), "Växel", answered, wait, 0)


def test_service_levels_empty():
    assert service_levels([], []) == ServiceLevels(0, None, 0, None, None)


def test_service_levels_hand_computed():
    levels = service_levels(
        [True, False, True, True],
        iter([call(True, 20), call(False, 300), call(True, 40), call(True, 10)]),
    )
    # 3 of 4 e-mails within a working day; 3 of 4 calls answered;
    # median wait over all four calls (10, 20, 40, 300) = (20 + 40) / 2 = 30, the
    # abandoned call's 300 s included.
    assert levels == ServiceLevels(4, 0.75, 4, 0.75, 30.0)


def test_service_levels_from_the_export_fixture():
    path = Path(__file__).parent / "data" / "calls.csv"
    with path.open("rb") as stream:
        records = parse_calls(stream).records
    levels = service_levels([], records)
    # 26 calls, 21 answered. Sorted waits: 5 10 15 15 20 20 25 25 30 35 35 40 45 | 50 55 60
    # 65 70 90 95 100 110 130 150 180 300 -> median (45 + 50) / 2 = 47.5 s.
    assert levels == ServiceLevels(0, None, 26, 21 / 26, 47.5)


# --- Purity -------------------------------------------------------------------------------


def test_kanaler_imports_no_app_code():
    code = (
        "import sys, kanaler.calls, kanaler.analysis\n"
        "bad = [m for m in ('flask', 'frontdesk', 'sqlalchemy', 'rosa') if m in sys.modules]\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=Path(__file__).parent.parent,
    )
    assert result.stdout.strip() == "[]"
