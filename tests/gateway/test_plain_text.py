"""The one check for text people type: control, bidi and invisible characters, surrogates."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.plain_text import BIDI_CONTROLS, PlainTextError, plain_text

BIDI = st.sampled_from(sorted(chr(c) for c in BIDI_CONTROLS))
CONTROLS = st.characters(categories=["Cc"]).filter(lambda c: c not in "\t\n")
INVISIBLES = st.sampled_from(["\u200b", "\u00a0", "\u2060", "\ufeff", "\u3164", "\u2800", " "])
WORDS = st.text(st.characters(categories=["L", "N", "P", "Zs"]), min_size=1, max_size=25)


def check(value: str, *, multiline: bool = False, max_chars: int = 64, **options: object) -> str:
    return plain_text(
        value,
        what="the region",
        max_chars=max_chars,
        multiline=multiline,
        **options,  # type: ignore[arg-type]
    )


@given(WORDS, BIDI, WORDS, st.booleans())
def test_a_bidi_control_anywhere_is_refused(before: str, bidi: str, after: str, lines: bool):
    with pytest.raises(PlainTextError, match="reading direction"):
        check(f"x{before}{bidi}{after}x", multiline=lines)


@given(WORDS, CONTROLS, WORDS, st.booleans())
def test_a_control_character_inside_is_refused(before: str, control: str, after: str, lines):
    with pytest.raises(PlainTextError, match="control character"):
        check(f"x{before}{control}{after}x", multiline=lines)


@given(WORDS, WORDS)
def test_a_newline_is_kept_only_in_text_with_lines(first: str, second: str):
    with pytest.raises(PlainTextError, match="one line"):
        check(f"a{first}\nb{second}")
    assert "\n" in check(f"a{first}\r\nb{second}", multiline=True)


@given(st.lists(INVISIBLES, min_size=1, max_size=10), st.booleans())
def test_invisible_only_text_is_refused(chars: list[str], lines: bool):
    with pytest.raises(PlainTextError, match=r"invisible|empty"):
        check("".join(chars), multiline=lines)


@given(WORDS, st.integers(min_value=0xD800, max_value=0xDFFF), WORDS)
def test_a_lone_surrogate_is_refused(before: str, code: int, after: str):
    with pytest.raises(PlainTextError, match="surrogate"):
        check(before + chr(code) + after)


@given(st.text(max_size=80), st.booleans())
def test_what_is_accepted_is_normalised_clean_and_stable(value: str, lines: bool):
    try:
        kept = check(value, multiline=lines)
    except PlainTextError:
        return
    assert kept == unicodedata.normalize("NFC", kept) == kept.strip()
    assert 0 < len(kept) <= 64
    assert not any(ord(c) in BIDI_CONTROLS for c in kept)
    assert all(c in "\t\n" for c in kept if unicodedata.category(c) == "Cc")
    assert lines or "\t" not in kept
    assert check(kept, multiline=lines) == kept


def test_ordinary_names_pass_squashed_and_composed():
    assert check("  San \t  Pedro  ") == "San Pedro"
    assert check("Jose\u0301") == "José"
    assert check("Sololá") == "Sololá"
    assert check("x" * 65, max_chars=100) == "x" * 65


def test_length_empty_and_optional():
    with pytest.raises(PlainTextError, match="longer than 64"):
        check("x" * 65)
    with pytest.raises(PlainTextError, match="empty"):
        check("   ")
    assert check(" ", required=False) == ""


def test_the_caller_chooses_the_error():
    class RegionError(ValueError):
        pass

    with pytest.raises(RegionError, match="the region contains"):
        check("\u202egpj.exe", error=RegionError)
