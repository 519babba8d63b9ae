"""Smart encoding: characters outside GSM-7 become their closest GSM-7 form, GSM-7 ones stay."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms import gsm7
from sms.smart_encoding import Replacement, transliterate


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("á í ó ú Á Í Ó Ú", "a i o u A I O U"),
        ("ê â ô î û ã õ ë ï", "e a o i u a o e i"),
        ("ç Ç", "c Ç"),
        ("‘hola’ “amigas” «compañeras» ‹sí›", "'hola' \"amigas\" \"compañeras\" 'si'"),
        ("a – b — c", "a - b - c"),
        ("Espera…", "Espera..."),
        ("no\u00a0rompas", "no rompas"),
        ("`código´", "'codigo'"),
        ("œuvre Łódź", "oeuvre Lodz"),
        ("ﬁn", "fin"),
        ("Ａ１", "A1"),
    ],
)
def test_characters_outside_gsm7_get_their_closest_form(typed: str, sent: str) -> None:
    assert transliterate(typed)[0] == sent


def test_characters_in_gsm7_are_kept() -> None:
    text = "é ñ Ñ ü Ü ¿ ¡ à è ù ì ò Ä Ö É Ç ß Ø å € [ ] { } ~ ^ | \\"
    assert transliterate(text) == (text, [])


def test_what_has_no_gsm7_form_is_left_alone() -> None:
    text = "Ánimo 🙏 中文 ✓"
    sent, changes = transliterate(text)
    assert sent == "Animo 🙏 中文 ✓"
    assert changes == [Replacement("Á", "A", 1)]


def test_replacements_are_counted_in_order_of_first_appearance() -> None:
    _, changes = transliterate("Reunión en Ixcán, “urgente”: reunión")
    assert changes == [
        Replacement("ó", "o", 2),
        Replacement("á", "a", 1),
        Replacement("“", '"', 1),
        Replacement("”", '"', 1),
    ]


def test_a_separately_typed_accent_is_judged_with_its_letter() -> None:
    assert transliterate("e\u0301 a\u0301") == ("é a", [Replacement("á", "a", 1)])


@settings(database=None, deadline=None)
@given(st.text(max_size=200))
def test_only_characters_without_a_gsm7_form_are_left_and_a_second_pass_changes_nothing(
    text: str,
) -> None:
    sent, changes = transliterate(text)
    assert all(change.count > 0 and change.original != change.replacement for change in changes)
    composed = unicodedata.normalize("NFC", text)
    assert all(char in gsm7.ALPHABET or char in composed for char in sent)
    assert transliterate(sent) == (sent, [])
