"""Mobile-originated text: every data_coding decoded without ever raising, concatenation
headers read, parts reassembled whatever order they arrive in."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms import gsm7
from sms.inbound_text import (
    InboundText,
    Part,
    alphabet,
    assemble,
    decode_inbound,
    is_packed,
)

QUICK = settings(database=None, deadline=None)


def read(octets: bytes, data_coding: int = 0, esm_class: int = 0) -> str:
    return decode_inbound(octets, data_coding=data_coding, esm_class=esm_class).text


def test_data_coding_zero_is_gsm7_unpacked_or_packed() -> None:
    septets = gsm7.encode("¿Dónde está Peña? 5€".replace("ó", "o").replace("á", "a"))
    assert read(septets) == "¿Donde esta Peña? 5€"
    assert read(gsm7.pack(septets)) == "¿Donde esta Peña? 5€"
    assert read(bytes.fromhex("e8329bfd4697d9ec37")) == "hellohello"


def test_the_configured_gsm7_data_coding_is_read_as_gsm7_too() -> None:
    text = decode_inbound(bytes([0x7D, 0x40]), data_coding=1, esm_class=0, gsm7_data_coding=1)
    assert text.text == "ñ¡"
    assert read(b"hola", data_coding=1) == "hola"


def test_ucs2_latin1_and_ascii() -> None:
    assert read("ÁLTA San Andrés 🙏".encode("utf-16-be"), data_coding=8) == "ÁLTA San Andrés 🙏"
    assert read("Peña".encode("latin-1"), data_coding=3) == "Peña"
    assert read(b"STOP", data_coding=1) == "STOP"


@pytest.mark.parametrize(
    ("data_coding", "kind"),
    [
        (0, "gsm7"),
        (1, "ascii"),
        (3, "latin1"),
        (8, "ucs2"),
        (2, "latin1"),
        (4, "latin1"),
        (0x11, "gsm7"),
        (0x18, "ucs2"),
        (0x15, "latin1"),
        (0xF0, "gsm7"),
        (0xF4, "latin1"),
        (0xC8, "gsm7"),
        (0xE1, "ucs2"),
        (0x30, "latin1"),
        (0x99, "latin1"),
    ],
)
def test_each_data_coding_names_an_alphabet(data_coding: int, kind: str) -> None:
    assert alphabet(data_coding) == kind


def test_undecodable_octets_are_replaced_not_lost() -> None:
    assert read(b"\xd8\x3d", data_coding=8) == "\ufffd"  # half a surrogate pair
    assert read(b"caf\xe9", data_coding=1) == "caf\ufffd"
    assert read(b"Pe\xf1a") == "Peña"  # 8-bit text sent as "default": read as Latin-1
    assert read(b"\x00\xff", data_coding=0x99) == "\x00ÿ"


def test_an_8bit_concatenation_header_is_read_and_removed() -> None:
    got = decode_inbound(
        bytes([5, 0, 3, 0x2A, 2, 1]) + b"Hay hombres",
        data_coding=0,
        esm_class=0x40,
    )
    assert got == InboundText("Hay hombres", Part(reference=0x2A, total=2, seq=1))


def test_a_16bit_concatenation_header_among_other_elements_is_read() -> None:
    header = bytes([11, 0x24, 1, 0x01, 0x08, 4, 0x12, 0x34, 3, 2, 0x70, 0])
    got = decode_inbound(header + "sí".encode("utf-16-be"), data_coding=8, esm_class=0x43)
    assert got == InboundText("sí", Part(reference=0x1234, total=3, seq=2))


def test_packed_gsm7_after_a_header_skips_the_fill_bit() -> None:
    body = gsm7.pack(gsm7.encode("la comunidad"), fill_bits=1)
    got = decode_inbound(bytes([5, 0, 3, 7, 2, 2]) + body, data_coding=0, esm_class=0x40)
    assert got == InboundText("la comunidad", Part(7, 2, 2))


def test_without_udhi_the_octets_are_all_text() -> None:
    assert read(bytes([5, 0, 3, 7, 2, 2]) + b"x").endswith("x")
    assert decode_inbound(b"\x05\x00\x03", data_coding=0, esm_class=0).part is None


def test_a_malformed_header_is_read_as_text_and_never_raises() -> None:
    for octets in (b"", b"\x09\x00\x03", bytes([5, 0, 3, 1, 2, 0]) + b"x", b"\x02\x00\x05"):
        got = decode_inbound(octets, data_coding=0, esm_class=0x40)
        assert got.part is None


def test_parts_are_joined_once_all_are_in_whatever_order_they_came() -> None:
    parts: dict[int, str] = {}
    for seq, text in [(3, "c"), (1, "a")]:
        parts[seq] = text
        assert assemble(parts, 3) is None
    parts[2] = "b"
    assert assemble(parts, 3) == "abc"


@QUICK
@given(st.lists(st.text(max_size=20), min_size=1, max_size=8), st.randoms())
def test_reassembly_ignores_arrival_order(texts: list[str], rnd: random.Random) -> None:
    order = list(range(1, len(texts) + 1))
    rnd.shuffle(order)
    parts: dict[int, str] = {}
    for step, seq in enumerate(order, start=1):
        parts[seq] = texts[seq - 1]
        whole = assemble(parts, len(texts))
        assert (whole is not None) == (step == len(texts))
    assert assemble(parts, len(texts)) == "".join(texts)


@QUICK
@given(
    st.binary(max_size=300),
    st.integers(0, 255),
    st.integers(0, 255),
    st.sampled_from([None, True, False]),
)
def test_no_input_ever_raises(
    octets: bytes, data_coding: int, esm_class: int, packed: bool | None
) -> None:
    got = decode_inbound(octets, data_coding=data_coding, esm_class=esm_class, gsm7_packed=packed)
    assert isinstance(got.text, str)
    if got.part is not None:
        assert 1 <= got.part.seq <= got.part.total


def air_pack(text: str) -> bytes:
    """Packed as a phone sends it: seven spare bits at the end hold a CR (TS 23.038 6.1.2.3.1)."""
    septets = gsm7.encode(text)
    if len(septets) % 8 == 7:
        septets += b"\r"
    return gsm7.pack(septets)


TYPED = string.ascii_letters + string.digits + " .,;:!?'-\n"
PLAIN_ASCII = (
    "".join(char for char in map(chr, range(0x20, 0x7F)) if char in gsm7.ALPHABET) + "\n\r"
)


@pytest.mark.parametrize(
    "text", ["STOP", "BAJA", "ALTA", "ALTA San Marcos", "AYUDA", "HELP", "JOIN Norte", "stop"]
)
def test_keywords_from_a_network_that_packs_are_read_whatever_we_send(text: str) -> None:
    octets = air_pack(text)
    assert is_packed(octets)
    assert read(octets) == text


def test_stop_packed_is_no_longer_read_as_latin1() -> None:
    assert read(b"S\xea\x13\n") == "STOP"


def test_unpacked_text_with_spanish_letters_stays_unpacked() -> None:
    for text in ("¿Dónde?".replace("ó", "o"), "Peña: camino cortado", "Niños bien, ¡gracias!"):
        assert read(gsm7.encode(text)) == text


@QUICK
@given(st.text(alphabet=PLAIN_ASCII, max_size=160))
def test_plain_ascii_is_never_read_as_packed(text: str) -> None:
    septets = gsm7.encode(text)
    assert not is_packed(septets)
    assert read(septets) == text


@QUICK
@given(st.text(alphabet=TYPED, min_size=1, max_size=160))
def test_packed_text_is_detected_and_unpacked(text: str) -> None:
    """Unless the packed octets are themselves plain ASCII one septet per octet (short texts
    such as "AB", whose octets read "A!"): then the octets say nothing, and plain wins."""
    octets = air_pack(text)
    if max(octets) <= 0x7F and all(c in PLAIN_ASCII for c in gsm7.decode(octets)):
        assert not is_packed(octets)
        return
    assert is_packed(octets)
    assert read(octets) == text
