"""Characters a station's languages need are never replaced by smart encoding (Kaqchikel ë and
ï are vowels of their own): a text holding one goes out in UCS-2 as typed. What smart encoding
did is shown to the operator before sending."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.settings import ConfigError, SmppSettings, load_settings
from sms.compose import compose, preview
from sms.smart_encoding import Replacement, kept, summary, transliterate

KAQCHIKEL = "Xtikïr ri ëq'ij"
"""Mixed in with Spanish on a Kaqchikel station's alerts; "e" for "ë" is another vowel."""

ALPHABET = "aeiouëïËÏäüñá“”…‑\u00a0\u00ad\u200bǩ🙂 '"


def test_kaqchikel_letters_go_out_in_ucs2_unchanged_with_the_defaults() -> None:
    composed = compose(f"“Alerta”: {KAQCHIKEL}", settings=SmppSettings())
    assert composed.encoding == "ucs2"
    assert composed.text == f"“Alerta”: {KAQCHIKEL}"
    assert composed.replacements == []
    assert composed.kept == ("ï", "ë")
    assert composed.summary == "kept ï, ë (smpp.keep_characters): sent as UCS-2"


def test_without_a_kept_character_the_replacements_are_summed_up_in_one_line() -> None:
    composed = compose("“Reunión” — ya\u00ad", settings=SmppSettings())
    assert composed.encoding == "gsm7" and composed.text == '"Reunion" - ya'
    assert composed.summary == ('replaced: “ -> ", ó -> o, ” -> ", — -> -, U+00AD -> (nothing)')
    assert compose("Hola", settings=SmppSettings()).summary == ""


def test_a_station_without_the_list_gets_the_old_replacement() -> None:
    composed = compose(KAQCHIKEL, settings=SmppSettings(keep_characters={}))
    assert composed.encoding == "gsm7" and composed.text == "Xtikir ri eq'ij"
    assert "ï -> i" in composed.summary and "ë -> e" in composed.summary


def test_the_list_comes_from_the_config_by_language_and_is_checked() -> None:
    defaults = load_settings({}).smpp
    assert {"ë", "ï", "Ë", "Ï"} <= defaults.kept_characters
    assert set(defaults.keep_characters) >= {"cak"}
    single = load_settings({"ALTAVOZ_SMPP__KEEP_CHARACTERS": "cak=ë, mam=ï"}).smpp
    assert single.keep_characters == {"cak": "ë", "mam": "ï"}
    assert single.kept_characters == {"ë", "ï"}
    with pytest.raises(ConfigError, match="keep_characters"):
        load_settings({"ALTAVOZ_SMPP__KEEP_CHARACTERS": "Kaqchikel=ë"})


def test_a_decomposed_diaeresis_is_judged_with_its_letter() -> None:
    composed = compose("e\u0308q'ij", settings=SmppSettings())
    assert composed.encoding == "ucs2" and composed.text == "e\u0308q'ij"
    assert composed.kept == ("ë",)


@given(text=st.text(alphabet=ALPHABET, max_size=40), keep=st.sets(st.sampled_from("ëïáñ“…")))
def test_kept_characters_survive_and_every_change_is_reported(text: str, keep: set[str]) -> None:
    frozen = frozenset(keep)
    sent, changes = transliterate(text, keep=frozen)
    typed = unicodedata.normalize("NFC", text)
    for char in frozen:
        assert sent.count(char) >= typed.count(char)
    assert not {change.original for change in changes} & frozen
    rebuilt = typed
    for change in changes:
        assert change.count == typed.count(change.original) > 0
        rebuilt = rebuilt.replace(change.original, change.replacement)
    assert rebuilt == sent
    protected = kept(text, frozen)
    assert set(protected) == {c for c in typed if c in frozen and transliterate(c)[0] != c}
    line = summary(changes, protected)
    assert ("\n" not in line) and (bool(line) == bool(changes or protected))


def test_the_summary_counts_repeats_and_names_invisible_characters() -> None:
    line = summary([Replacement("“", '"', 3), Replacement("\u00a0", " ", 1)], [])
    assert line == 'replaced: “ -> " ×3, U+00A0 -> (space)'


def test_the_live_preview_lists_the_kept_characters() -> None:
    shown = preview(KAQCHIKEL, settings=SmppSettings())
    assert shown["encoding"] == "ucs2" and shown["kept"] == ["ï", "ë"]
    assert shown["replacements"] == []
