"""Cutting a text into SMS segments that each fit the 140 octets of the air interface.

Long messages carry the 6-octet concatenation header `05 00 03 ref total seq` (IEI 0x00, 8-bit
reference), which leaves 153 GSM-7 septets or 67 UTF-16 units per segment. Two rules the
simple arithmetic misses, and that smpplib's own splitter breaks: a two-septet escape (€, [,
], ...) is never cut across segments (such a segment holds 152 septets), and a UTF-16
surrogate pair (an emoji) is never cut either (66 units). Either cut shows the recipient
garbage instead of the character.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sms import gsm7

AIR_OCTETS = 140
"""User data of one SMS on the air interface (TS 23.040)."""
UDHI = 0x40
"""esm_class bit: short_message starts with a User Data Header."""
UCS2_DATA_CODING = 0x08
CONCAT_HEADER_OCTETS = 6
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
CARRIAGE_RETURN = 0x0D


@dataclass(frozen=True)
class Segment:
    """One submit_sm's worth of message: its short_message, data_coding and esm_class as
    they go to the SMSC, and its size once on the air (never over 140 octets)."""

    short_message: bytes
    data_coding: int
    esm_class: int
    air_octets: int
    units: int = 0
    """Septets (GSM-7) or UTF-16 code units (UCS-2) of text it carries."""


def concat_header(reference: int, total: int, seq: int) -> bytes:
    """The concatenation UDH, length octet included."""
    if not 1 <= seq <= total <= 255:
        raise ValueError(f"segment {seq} of {total} cannot be numbered in one octet")
    return bytes((5, 0x00, 3, reference & 0xFF, total, seq))


def _cr_padding(septets: bytes, fill: int) -> int:
    """Whether (1) or not (0) a CR must follow the septets when packed, as TS 23.038 6.1.2.3.1
    asks, since SMPP carries no septet count for a receiver to go by: seven spare bits at the
    end are filled with CR rather than zeros (which would read as a trailing '@'), and a CR
    that ends exactly on an octet boundary is doubled, because receivers drop one final CR
    there. The receiver then shows two line breaks, which the standard accepts; within a
    longer message it cannot happen to a segment but the last, since a CR needing a twin at
    153 septets does not fit and opens the next segment instead."""
    spare = 8 * gsm7.packed_length(len(septets), fill) - fill - 7 * len(septets)
    return 1 if spare == 7 or _doubled_cr(septets, fill) else 0


def _doubled_cr(septets: bytes, fill: int) -> bool:
    spare = 8 * gsm7.packed_length(len(septets), fill) - fill - 7 * len(septets)
    return spare == 0 and septets[-1:] == bytes([CARRIAGE_RETURN])


def _packed_body(septets: bytes, fill: int) -> bytes:
    return gsm7.pack(septets + bytes([CARRIAGE_RETURN]) * _cr_padding(septets, fill), fill)


def _gsm7_fits(septets: bytes, *, header_octets: int, packed: bool) -> bool:
    fill = gsm7.fill_bits_after(header_octets) if header_octets else 0
    count = len(septets) + (_cr_padding(septets, fill) if packed else 0)
    return header_octets + gsm7.packed_length(count, fill) <= AIR_OCTETS


def split_gsm7(text: str, *, packed: bool = False) -> list[bytes]:
    """The septets of each segment; one segment without a header when the whole text fits.
    Characters are never cut, so an escape pair always stays within one segment."""
    whole = gsm7.encode(text)
    if _gsm7_fits(whole, header_octets=0, packed=packed):
        return [whole]
    chunks: list[bytes] = []
    current = b""
    for char in text:
        candidate = current + gsm7.char_septets(char)
        if current and not _gsm7_fits(candidate, header_octets=CONCAT_HEADER_OCTETS, packed=packed):
            chunks.append(current)
            candidate = gsm7.char_septets(char)
        current = candidate
    chunks.append(current)
    return chunks


def split_ucs2(text: str) -> list[str]:
    """The text of each UCS-2 segment, never cutting a surrogate pair."""
    if _utf16_units(text) <= UCS2_SINGLE:
        return [text]
    chunks: list[str] = []
    start = used = 0
    for index, char in enumerate(text):
        size = _utf16_units(char)
        if used + size > UCS2_PART:
            chunks.append(text[start:index])
            start, used = index, 0
        used += size
    chunks.append(text[start:])
    return chunks


def gsm7_segments(
    chunks: Sequence[bytes], *, reference: int, data_coding: int, packed: bool
) -> tuple[Segment, ...]:
    """Segments from septet chunks. Unpacked, short_message is the header octets followed by
    one septet per octet (the SMSC packs for the air); packed, the septets follow the header
    after its fill bits."""
    total = len(chunks)
    segments = []
    for seq, septets in enumerate(chunks, start=1):
        header = concat_header(reference, total, seq) if total > 1 else b""
        fill = gsm7.fill_bits_after(len(header)) if header else 0
        body = _packed_body(septets, fill) if packed else septets
        air = len(header) + (len(body) if packed else gsm7.packed_length(len(septets), fill))
        segments.append(
            Segment(
                short_message=header + body,
                data_coding=data_coding,
                esm_class=UDHI if header else 0,
                air_octets=air,
                units=len(septets),
            )
        )
    return tuple(segments)


def ucs2_segments(chunks: Sequence[str], *, reference: int) -> tuple[Segment, ...]:
    """Segments of UTF-16BE text, with data_coding 8 (UCS-2)."""
    total = len(chunks)
    segments = []
    for seq, chunk in enumerate(chunks, start=1):
        header = concat_header(reference, total, seq) if total > 1 else b""
        body = chunk.encode("utf-16-be")
        segments.append(
            Segment(
                short_message=header + body,
                data_coding=UCS2_DATA_CODING,
                esm_class=UDHI if header else 0,
                air_octets=len(header) + len(body),
                units=len(body) // 2,
            )
        )
    return tuple(segments)


def _utf16_units(text: str) -> int:
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)
