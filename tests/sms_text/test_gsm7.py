"""GSM 03.38 tables and 7-bit packing, checked against values written out from the standard."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms import gsm7

GSM_TEXT = st.text(alphabet=sorted(gsm7.ALPHABET), max_size=400)
QUICK = settings(database=None, deadline=None)


@pytest.mark.parametrize(
    ("char", "septets"),
    [
        ("@", b"\x00"),
        ("£", b"\x01"),
        ("è", b"\x04"),
        ("é", b"\x05"),
        ("Ç", b"\x09"),
        ("\n", b"\x0a"),
        ("É", b"\x1f"),
        (" ", b"\x20"),
        ("¤", b"\x24"),
        ("¡", b"\x40"),
        ("Ñ", b"\x5d"),
        ("Ü", b"\x5e"),
        ("§", b"\x5f"),
        ("¿", b"\x60"),
        ("ñ", b"\x7d"),
        ("ü", b"\x7e"),
        ("à", b"\x7f"),
        ("€", b"\x1b\x65"),
        ("[", b"\x1b\x3c"),
        ("]", b"\x1b\x3e"),
        ("{", b"\x1b\x28"),
        ("}", b"\x1b\x29"),
        ("\\", b"\x1b\x2f"),
        ("^", b"\x1b\x14"),
        ("~", b"\x1b\x3d"),
        ("|", b"\x1b\x40"),
        ("\f", b"\x1b\x0a"),
    ],
)
def test_characters_have_their_standard_septets(char: str, septets: bytes) -> None:
    assert gsm7.encode(char) == septets
    assert gsm7.decode(septets) == char
    assert gsm7.septet_length(char) == len(septets)


@pytest.mark.parametrize("char", ["`", "á", "í", "ó", "ú", "Á", "ç", "\x1b", "😀", "“", "–"])
def test_characters_outside_gsm7_are_refused(char: str) -> None:
    assert not gsm7.fits(f"hola {char}")
    with pytest.raises(ValueError, match="not in the GSM 7-bit alphabet"):
        gsm7.encode(char)


def test_spanish_text_encodes_to_the_expected_septets() -> None:
    # ¿ P e ñ a ? _ ¡ y a ! _ 5 €, each looked up by hand in the 23.038 table
    expected = "60 50 65 7d 61 3f 20 40 79 61 21 20 35 1b65"
    assert gsm7.encode("¿Peña? ¡ya! 5€") == bytes.fromhex(expected)


def test_packing_matches_the_classic_example() -> None:
    assert gsm7.pack(gsm7.encode("hellohello")) == bytes.fromhex("e8329bfd4697d9ec37")
    assert gsm7.unpack(bytes.fromhex("e8329bfd4697d9ec37"), 10) == gsm7.encode("hellohello")


def test_one_fill_bit_follows_a_six_octet_header() -> None:
    assert gsm7.fill_bits_after(6) == 1
    assert gsm7.fill_bits_after(7) == 0
    assert gsm7.pack(b"\x41", fill_bits=1) == bytes([0x41 << 1])
    assert gsm7.packed_length(153, 1) == 134


def test_decoding_is_tolerant_where_the_standard_says_phones_are() -> None:
    assert gsm7.decode(b"a\x1b\x41") == "aA"  # unknown escape: the default character
    assert gsm7.decode(b"a\x1b\x1b") == "a "  # reserved double escape: a space
    assert gsm7.decode(b"a\x1b") == "a"  # dangling escape: nothing
    with pytest.raises(ValueError, match="not a GSM 7-bit septet"):
        gsm7.decode(b"\xe9")


@QUICK
@given(GSM_TEXT)
def test_any_gsm7_text_round_trips_through_septets(text: str) -> None:
    assert gsm7.decode(gsm7.encode(text)) == text
    assert len(gsm7.encode(text)) == gsm7.septet_length(text)


@QUICK
@given(st.binary(max_size=200).map(lambda b: bytes(x & 0x7F for x in b)), st.integers(0, 6))
def test_packing_round_trips_with_any_fill(septets: bytes, fill: int) -> None:
    packed = gsm7.pack(septets, fill)
    assert len(packed) == gsm7.packed_length(len(septets), fill)
    assert gsm7.unpack(packed, len(septets), fill) == septets
