"""Text of a mobile-originated SMS from the raw deliver_sm fields, and reassembly of parts.

A message from a village may be the only report of danger on a road, so decoding never
raises: an unknown data_coding is read as Latin-1, undecodable octets become U+FFFD, a
malformed header is read as text. The concatenation header (IEI 0x00 with an 8-bit
reference, 0x08 with a 16-bit one) is read when esm_class says one is there; other
information elements are skipped.

GSM 7-bit text reaches us packed from some networks and one septet per octet from others,
whatever we send ourselves (`smpp.gsm7_packed` is about our submits). SMPP does not say which,
so the octets tell: unpacked text never has an octet above 0x7F, and a packed text read as
unpacked turns into a jumble of rare characters (STOP becomes "Sê\x13\n"). Without this, a
STOP, BAJA or ALTA from such a network would be stored as garbage and silently ignored.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from sms import gsm7

UDHI = 0x40
IEI_CONCAT_8BIT = 0x00
IEI_CONCAT_16BIT = 0x08
PLAIN = frozenset(chr(code) for code in range(0x20, 0x7F)) | {"\n", "\r"}
COMMON = frozenset(string.ascii_letters + string.digits + " .,;:!?'-\n")
"""What people type most; a reading made of these is likelier than one of rarer characters."""
LESS_COMMON = frozenset("áéíóúÁÉÍÓÚñÑüÜ¿¡" + string.punctuation) - COMMON
"""Typed too, less often: Spanish letters and signs, other ASCII punctuation (half weight)."""
LIKELY_TEXT = 0.75
"""Commonness a packed reading needs at least: below it, both readings are a jumble (binary
data, a header read as text) and the octets are left as they were always read."""


@dataclass(frozen=True)
class Part:
    """Where one part sits in a concatenated message."""

    reference: int
    total: int
    seq: int


@dataclass(frozen=True)
class InboundText:
    """The decoded text of one deliver_sm, and its place in a longer message if it is a part."""

    text: str
    part: Part | None


def alphabet(data_coding: int, *, gsm7_data_coding: int = 0) -> str:
    """ "gsm7", "ucs2", "latin1" or "ascii" for a data_coding value.

    0x00-0x0F are SMPP's own values (1 IA5/ASCII, 3 Latin-1, 8 UCS-2; the rest read as
    Latin-1); above that the SMSC passes the GSM 03.38 data coding scheme through, whose
    general groups (0x10-0x3F, uncompressed), message-waiting groups (0xC0-0xEF) and the
    0xF0 group name the alphabet in known bits."""
    if data_coding in (0, gsm7_data_coding):
        return "gsm7"
    if data_coding == 1:
        return "ascii"
    if data_coding == 8:
        return "ucs2"
    if 0x10 <= data_coding <= 0x3F and not data_coding & 0x20:
        return {0: "gsm7", 1: "latin1", 2: "ucs2"}.get((data_coding >> 2) & 0x03, "latin1")
    if 0xC0 <= data_coding <= 0xDF:
        return "gsm7"
    if 0xE0 <= data_coding <= 0xEF:
        return "ucs2"
    if 0xF0 <= data_coding <= 0xFF:
        return "latin1" if data_coding & 0x04 else "gsm7"
    return "latin1"


def decode_inbound(
    short_message: bytes,
    *,
    data_coding: int,
    esm_class: int,
    gsm7_data_coding: int = 0,
    gsm7_packed: bool | None = None,
) -> InboundText:
    """The text and, for one part of a longer message, which part it is.

    `gsm7_packed` None tells packing from the octets, as the worker does for what networks
    send; True or False is for a sender whose packing is known (our own encoder, in tests)."""
    body, part, header_octets = short_message, None, 0
    if esm_class & UDHI:
        parsed = _split_header(short_message)
        if parsed is not None:
            header_octets, part = parsed
            body = short_message[header_octets:]
    kind = alphabet(data_coding, gsm7_data_coding=gsm7_data_coding)
    if kind == "gsm7":
        fill = gsm7.fill_bits_after(header_octets) if header_octets else 0
        text = gsm7_text(body, fill_bits=fill, packed=gsm7_packed)
    elif kind == "ucs2":
        text = body.decode("utf-16-be", errors="replace")
    elif kind == "ascii":
        text = body.decode("ascii", errors="replace")
    else:
        text = body.decode("latin-1")
    return InboundText(text=text, part=part)


def assemble(parts: Mapping[int, str], total: int) -> str | None:
    """The whole message once every part 1..total is in, whatever order they came in."""
    if total < 1 or any(seq not in parts for seq in range(1, total + 1)):
        return None
    return "".join(parts[seq] for seq in range(1, total + 1))


def _split_header(short_message: bytes) -> tuple[int, Part | None] | None:
    """(header octets including its length octet, concatenation part if any), or None when
    the header does not fit in the message (then it is all read as text)."""
    if not short_message:
        return None
    length = short_message[0]
    if 1 + length > len(short_message):
        return None
    header = short_message[1 : 1 + length]
    part = None
    index = 0
    while index + 2 <= len(header):
        iei, size = header[index], header[index + 1]
        value = header[index + 2 : index + 2 + size]
        index += 2 + size
        if len(value) < size:
            break
        if iei == IEI_CONCAT_8BIT and size == 3:
            part = _part(value[0], value[1], value[2])
        elif iei == IEI_CONCAT_16BIT and size == 4:
            part = _part((value[0] << 8) | value[1], value[2], value[3])
    return 1 + length, part


def _part(reference: int, total: int, seq: int) -> Part | None:
    """A part that makes sense (1 <= seq <= total), else None: reading the text alone is
    better than waiting forever for a part 0 or a part 3 of 2."""
    if 1 <= seq <= total:
        return Part(reference=reference, total=total, seq=seq)
    return None


def gsm7_text(body: bytes, *, fill_bits: int = 0, packed: bool | None = None) -> str:
    """GSM 7-bit text of `body`, packed or not as the octets tell (see `is_packed`) unless
    `packed` says; octets that are neither (above 0x7F, not packed text) are an SMSC's 8-bit
    text, read as Latin-1."""
    if packed is None:
        packed = is_packed(body, fill_bits=fill_bits)
    if packed:
        return _packed_reading(body, fill_bits)
    if max(body, default=0) <= 0x7F:
        return gsm7.decode(body)
    return body.decode("latin-1")


def is_packed(body: bytes, *, fill_bits: int = 0) -> bool:
    """Whether these GSM 7-bit octets are packed (7 bits per character), judged on them alone.

    Octets that read as plain ASCII one septet per octet are never taken as packed: that is
    how most SMSCs hand over text, and a short packed text can look the same (the octets of
    "AB" packed read "A!"), so the plain reading wins those ties. Otherwise the reading made
    more of common characters wins, if it is likely text at all; packed wins a tie against
    Latin-1, as packing is what GSM 7-bit means on the air."""
    if not body:
        return False
    packed = _commonness(_packed_reading(body, fill_bits))
    if packed < LIKELY_TEXT:
        return False
    if max(body) <= 0x7F:
        unpacked = gsm7.decode(body)
        if all(char in PLAIN for char in unpacked):
            return False
        return packed > _commonness(unpacked)
    return packed >= _commonness(body.decode("latin-1"))


def _packed_reading(body: bytes, fill_bits: int) -> str:
    count = gsm7.septets_in(len(body), fill_bits)
    septets = gsm7.unpack(body, count, fill_bits)
    if septets and (fill_bits + 7 * count) % 8 == 0 and septets[-1] == 0x0D:
        # TS 23.038 6.1.2.3.1: seven spare bits are filled with CR, which is not text.
        septets = septets[:-1]
    return gsm7.decode(septets)


def _commonness(text: str) -> float:
    """1 for text made only of COMMON characters, less the more rare ones it holds."""
    if not text:
        return 0.0
    weight = sum(1.0 if char in COMMON else 0.5 if char in LESS_COMMON else 0.0 for char in text)
    return weight / len(text)
