"""How to reach a citizen: phone numbers and e-mail addresses, checked and normalised.

Pure domain code. Phone numbers are parsed with `phonenumbers` (Google's
libphonenumber, which knows every Swedish number plan, mobile and fixed, and
the rest of the world's): stored as E.164 (+46701234567) so the same number
written two ways is one number, shown in Swedish form (070-123 45 67).
"""

import hashlib
import hmac
from email.utils import parseaddr
from enum import StrEnum

import phonenumbers
from email_validator import EmailNotValidError, validate_email

PHONE_MAX = 40  # as typed: "+46 (0)70-123 45 67" and the like
EMAIL_MAX = 320
NAME_MAX = 200


class ContactDetailError(ValueError):
    """A phone number or e-mail address that cannot be used; the message is Swedish."""


class ReachBy(StrEnum):
    """How the citizen wants the answer: a call from the desk, or an e-mail."""

    TELEFON = "telefon"
    EPOST = "epost"

    @property
    def label(self) -> str:
        return {"telefon": "Ring upp", "epost": "Svar via e-post"}[self.value]


def reach_by_choice(choice: str, phone: str, email: str) -> str:
    """How to reach the citizen: their choice, which needs its detail, or the only way given.

    `phone` and `email` are normalised already; a phone number alone means a call.
    """
    if choice == ReachBy.TELEFON and not phone:
        raise ContactDetailError("Ange ett telefonnummer för att kunna ringa upp.")
    if choice == ReachBy.EPOST and not email:
        raise ContactDetailError("Ange en e-postadress för att kunna svara via e-post.")
    if choice:
        return choice
    if phone:
        return ReachBy.TELEFON.value
    if email:
        return ReachBy.EPOST.value
    return ""


def normalise_phone(text: str) -> str:
    """E.164 for a Swedish (no prefix) or international (+ or 00) number; "" for blank."""
    text = (text or "").strip()
    if not text:
        return ""
    if len(text) > PHONE_MAX:
        raise ContactDetailError(f"Telefonnumret får vara högst {PHONE_MAX} tecken.")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, "SE")
    except phonenumbers.NumberParseException as error:
        raise ContactDetailError("Telefonnumret går inte att läsa.") from error
    if not phonenumbers.is_valid_number(number):
        raise ContactDetailError("Telefonnumret är inte ett giltigt nummer.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A stored number as people write it: 070-123 45 67 in Sweden, +47 … abroad."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "SE")
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 46:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalise_email(text: str) -> str:
    """A deliverable-looking address, domain in lower case; "" for blank."""
    text = (text or "").strip()
    if not text:
        return ""
    if len(text) > EMAIL_MAX:
        raise ContactDetailError(f"E-postadressen får vara högst {EMAIL_MAX} tecken.")
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise ContactDetailError("E-postadressen är inte giltig.") from error
    # An international domain in its ASCII form (xn--…): every mail server takes it, while
    # the Unicode form needs SMTPUTF8. A non-ASCII local part has no ASCII form.
    return checked.ascii_email or checked.normalized


def address_of(sender: str) -> str:
    """The address in a sender field ("Anna Svensson <anna@example.se>"), or "" if none."""
    _, address = parseaddr(sender or "")
    try:
        return normalise_email(address)
    except ContactDetailError:
        return ""


def citizen_key(secret: str, kind: str, value: str) -> str | None:
    """A keyed hash of a normalised phone or address, to find the same citizen again.

    Kept when `purge` blanks the details: a later contact still links to the earlier
    one, but the number cannot be read back (nor guessed without the key).
    """
    if not value:
        return None
    normalised = value.casefold() if kind == "email" else value
    digest = hmac.new(secret.encode(), f"{kind}:{normalised}".encode(), hashlib.sha256)
    return digest.hexdigest()
