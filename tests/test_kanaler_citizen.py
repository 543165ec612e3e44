"""kanaler.citizen: phone numbers and addresses checked and normalised, and their keyed hashes."""

import pytest

from kanaler.citizen import (
    ContactDetailError,
    address_of,
    citizen_key,
    display_phone,
    normalise_email,
    normalise_phone,
)


@pytest.mark.parametrize(
    "written", ["070-123 45 67", "0701234567", "+46 70 123 45 67", "0046701234567", " 070 1234567 "]
)
def test_a_swedish_mobile_is_one_number_however_written(written):
    assert normalise_phone(written) == "+46701234567"
    assert display_phone("+46701234567") == "070-123 45 67"


def test_fixed_and_foreign_numbers():
    assert normalise_phone("08-123 456 78") == "+46812345678"
    assert normalise_phone("+47 22 12 34 56") == "+4722123456"
    assert display_phone("+4722123456") == "+47 22 12 34 56"
    assert normalise_phone("") == "" and display_phone("") == ""


@pytest.mark.parametrize("bad", ["12", "070-123", "abc", "+46 70 123 45 67 89 00", "9" * 41])
def test_numbers_that_are_no_numbers_are_refused_in_swedish(bad):
    with pytest.raises(ContactDetailError, match="Telefonnumret"):
        normalise_phone(bad)


def test_addresses_are_checked_and_international_domains_kept_in_ascii():
    assert normalise_email(" Sven.Ek@Example.SE ") == "Sven.Ek@example.se"
    # Every mail server takes the ASCII form; the Unicode one needs SMTPUTF8.
    assert normalise_email("anna@exämple.se") == "anna@xn--exmple-cua.se"
    for bad in ("x@", "utan-snabel-a", "a@b@c.se"):
        with pytest.raises(ContactDetailError, match="E-postadressen"):
            normalise_email(bad)
    assert address_of("Bo Ek <bo.ek@example.se>") == "bo.ek@example.se"
    assert address_of("Gunnel Ek, Storgatan 4") == ""


def test_keyed_hashes_match_the_same_citizen_and_need_the_key():
    same = citizen_key("k", "email", "Sven@Example.se") == citizen_key(
        "k", "email", "sven@example.se"
    )
    assert same
    assert citizen_key("k", "phone", "+46701234567") != citizen_key(
        "other", "phone", "+46701234567"
    )
    assert citizen_key("k", "phone", "+46701234567") != citizen_key("k", "email", "+46701234567")
    assert citizen_key("k", "phone", "") is None
