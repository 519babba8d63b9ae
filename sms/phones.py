"""Phone numbers in E.164, the one form every table and every SMSC agrees on."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

MAX_TYPED = 32
"""Enough for any number written with spaces, dashes and a country code."""

_PUNCTUATION = frozenset("+-()./")

_REFUSED_TYPES = {
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.UAN: "a universal access number",
    PhoneNumberType.VOICEMAIL: "a voicemail access number",
    PhoneNumberType.PAGER: "a pager number",
}
"""Numbers that cost the station (or the person) a surcharge, or reach no handset: sending
alerts to them wastes money at best and, for premium rate, pays whoever planted them."""


class PhoneError(ValueError):
    """A number that cannot be used, with the reason in words."""


def to_e164(raw: str, *, default_region: str) -> str:
    """Parse what a person typed (spaces, dashes, national form) into +CCNNNN…, or refuse."""
    text = raw.strip()
    if not text:
        raise PhoneError("the phone number is empty")
    if len(text) > MAX_TYPED:
        raise PhoneError(f"the phone number is longer than {MAX_TYPED} characters")
    if not all(char.isdigit() or char.isspace() or char in _PUNCTUATION for char in text):
        raise PhoneError(
            f"{raw!r} is not written in digits (letters, as in 1-800-FLOWERS, and signs "
            "such as * or # are not accepted)"
        )
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except NumberParseException as exc:
        raise PhoneError(f"{raw!r} is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_possible_number(number):
        raise PhoneError(f"{raw!r} has the wrong number of digits for its country")
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(f"{raw!r} is not a valid number")
    refused = _REFUSED_TYPES.get(phonenumbers.number_type(number))
    if refused is not None:
        raise PhoneError(f"{raw!r} is {refused}, which cannot receive alerts")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """Show a caller's number without exposing it: +502 ••••• 1234."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return "•••" + e164[-2:] if len(e164) > 4 else "•••"
    national = str(number.national_number)
    return f"+{number.country_code} ••••• {national[-4:]}"


def smpp_address(e164: str) -> str:
    """SMPP destination_addr for TON international: the digits without the plus."""
    return e164.removeprefix("+")
