"""GSM 03.38 (3GPP TS 23.038) 7-bit default alphabet, its extension table, and 7-bit packing.

A message that fits this alphabet costs 160 characters per SMS instead of 70, which for an alert
to thousands of phones halves or thirds the bill and the time under the carrier's rate limit.
Septets are handled as `bytes` holding one septet value per octet (the usual SMPP convention for
unpacked GSM-7); `pack`/`unpack` convert to and from the packed form of the air interface, with
the fill bits that put the first septet after a User Data Header on a septet boundary.

Written from the standard's table rather than taken from smpplib, whose table gives the
backtick (not a GSM character) a code and whose splitter cuts escape sequences in two.
"""

from __future__ import annotations

ESCAPE = 0x1B
"""Prefix of a two-septet character from the extension table."""

BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""The 128 characters of the default alphabet by septet value. 0x1B is the escape, not a
character: it is left out of the lookup, so a stray ESC in a text is not GSM-7."""

EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
"""Characters sent as ESC + code."""

_TO_SEPTETS: dict[str, bytes] = {
    char: bytes([code]) for code, char in enumerate(BASIC) if code != ESCAPE
}
_TO_SEPTETS.update({char: bytes([ESCAPE, code]) for char, code in EXTENSION.items()})
_FROM_EXTENSION = {code: char for char, code in EXTENSION.items()}

ALPHABET = frozenset(_TO_SEPTETS)
"""Every character that can be sent as GSM-7, extension table included."""

if len(BASIC) != 128 or len(ALPHABET) != 127 + len(EXTENSION):
    raise RuntimeError("the GSM 03.38 tables are malformed")


def char_septets(char: str) -> bytes:
    """The one or two septets of one character; ValueError when GSM-7 has no such character."""
    try:
        return _TO_SEPTETS[char]
    except KeyError:
        raise ValueError(f"{char!r} (U+{ord(char):04X}) is not in the GSM 7-bit alphabet") from None


def fits(text: str) -> bool:
    """Whether every character of `text` can be sent as GSM-7."""
    return all(char in _TO_SEPTETS for char in text)


def septet_length(text: str) -> int:
    """Septets `text` takes (extension characters count two); ValueError if it does not fit."""
    return sum(len(char_septets(char)) for char in text)


def encode(text: str) -> bytes:
    """One septet value per octet, extension characters as ESC + code."""
    return b"".join(char_septets(char) for char in text)


def decode(septets: bytes) -> str:
    """Text of unpacked septets, tolerant the way 23.038 tells a phone to be: an escape before
    a code missing from the extension table shows the default character of that code, a
    doubled escape (reserved) shows a space, a dangling final escape shows nothing. Octets
    above 0x7F cannot be septets and raise ValueError (the caller decides what they were)."""
    out: list[str] = []
    index = 0
    while index < len(septets):
        code = _septet(septets, index)
        index += 1
        if code != ESCAPE:
            out.append(BASIC[code])
            continue
        if index == len(septets):
            break
        following = _septet(septets, index)
        index += 1
        if following == ESCAPE:
            out.append(" ")
        else:
            out.append(_FROM_EXTENSION.get(following, BASIC[following]))
    return "".join(out)


def pack(septets: bytes, fill_bits: int = 0) -> bytes:
    """Pack septets least significant bit first, starting after `fill_bits` (0-6) zero bits.
    Bits left over in the last octet are zero."""
    _check_fill(fill_bits)
    value = 0
    for index in range(len(septets)):
        value |= _septet(septets, index) << (fill_bits + 7 * index)
    return value.to_bytes((fill_bits + 7 * len(septets) + 7) // 8, "little")


def unpack(octets: bytes, count: int | None = None, fill_bits: int = 0) -> bytes:
    """The first `count` septets packed in `octets` after `fill_bits` bits; all the whole
    septets the octets hold when `count` is None."""
    _check_fill(fill_bits)
    available = septets_in(len(octets), fill_bits)
    if count is None:
        count = available
    if not 0 <= count <= available:
        raise ValueError(f"{len(octets)} octets cannot hold {count} septets after {fill_bits} bits")
    value = int.from_bytes(octets, "little") >> fill_bits
    return bytes((value >> (7 * index)) & 0x7F for index in range(count))


def septets_in(octet_count: int, fill_bits: int = 0) -> int:
    """How many whole septets `octet_count` packed octets hold after `fill_bits` bits."""
    return max(0, (8 * octet_count - fill_bits) // 7)


def packed_length(septet_count: int, fill_bits: int = 0) -> int:
    """Octets that `septet_count` septets take packed after `fill_bits` bits."""
    return (fill_bits + 7 * septet_count + 7) // 8


def fill_bits_after(header_octets: int) -> int:
    """Fill bits that put the first septet after a header of this many octets (its length
    octet included) on a septet boundary: 1 after the 6-octet concatenation header."""
    return (7 - (8 * header_octets) % 7) % 7


def _septet(septets: bytes, index: int) -> int:
    value = septets[index]
    if value > 0x7F:
        raise ValueError(f"octet 0x{value:02X} at {index} is not a GSM 7-bit septet")
    return value


def _check_fill(fill_bits: int) -> None:
    if not 0 <= fill_bits <= 6:
        raise ValueError(f"fill_bits must be 0..6, not {fill_bits}")
