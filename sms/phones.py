"""Phone numbers in E.164, the one form every table and every SMSC agrees on."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat


class PhoneError(ValueError):
    """A number that cannot be used, with the reason in words."""


def to_e164(raw: str, *, default_region: str) -> str:
    """Parse what a person typed (spaces, dashes, national form) into +CCNNNN…, or refuse."""
    text = raw.strip()
    if not text:
        raise PhoneError("the phone number is empty")
    if len(text) > 32:
        raise PhoneError("the phone number is too long")
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except NumberParseException as exc:
        raise PhoneError(f"{raw!r} is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_possible_number(number):
        raise PhoneError(f"{raw!r} has the wrong number of digits for its country")
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(f"{raw!r} is not a valid number")
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
