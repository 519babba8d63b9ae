"""The languages a station serves: subscribers' languages and the versions of an alert.

Codes are ISO 639-1 where one exists (es, en) and ISO 639-3 for the region's indigenous
languages, which have none: K'iche' quc, Mam mam, Q'eqchi' kek, Nahuatl nah (and the Huasteca
variety nhe), Zapotec zap, Mixtec mix. The station configures which it serves
(`station.languages`); a subscriber or a version in any other is refused, so a typo never
makes a language nobody writes alerts in.

People name their language in a keyword as they say it, without apostrophes or accents on an
old phone (`ALTA San Marcos kiche`), so each language also has the names it may be typed as.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

DEFAULT_LANGUAGE = "es"
"""The alert's main text is in it; a subscriber whose language has no version gets it."""

REGION_LANGUAGES = ("es", "en", "quc", "mam", "kek", "nah", "nhe", "zap", "mix")
"""The default of `station.languages`."""

KEYWORD_NAMES: dict[str, tuple[str, ...]] = {
    "es": ("espanol", "castellano", "spanish"),
    "en": ("english", "ingles"),
    "quc": ("kiche", "quiche"),
    "mam": (),
    "kek": ("qeqchi", "kekchi", "keqchi"),
    "nah": ("nahuatl", "mexicano"),
    "nhe": (),
    "zap": ("zapoteco", "zapotec", "diidxaza"),
    "mix": ("mixteco", "mixtec", "tuunsavi"),
    "cak": ("kaqchikel", "cakchiquel"),
    "tzj": ("tzutujil",),
    "tzo": ("tzotzil",),
    "tzh": ("tzeltal",),
    "maz": ("mazahua",),
    "oto": ("otomi", "hnahnu"),
}
"""Names a keyword may give a language by, besides its code (folded: lower case, no accents
or apostrophes)."""

ESPEAK_VOICES = {"es": "es-419", "en": "en-us"}
"""Languages espeak-ng can read a version's text in; the indigenous ones have no voice, so a
version in them airs only as a recording."""


class LanguageNotServed(ValueError):
    """A language code the station does not serve; the message lists those it does."""


def fold_word(word: str) -> str:
    """Lower case without accents or apostrophes: K'iche', KICHE and kiché are one word."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(
        ch for ch in decomposed if not unicodedata.combining(ch) and ch not in "'’‘`´"
    ).strip()


def served_language(value: str | None, served: Iterable[str]) -> str:
    """The code as stored ("MAM" -> "mam"), or LanguageNotServed; empty means the default."""
    codes = tuple(served)
    code = (value or DEFAULT_LANGUAGE).strip().lower()
    if code not in codes:
        raise LanguageNotServed(f"language must be one of: {', '.join(codes)}")
    return code


def keyword_language(word: str, served: Iterable[str]) -> str | None:
    """The served language a keyword's word names (its code or one of its names), or None."""
    folded = fold_word(word)
    for code in served:
        if folded == code or folded in KEYWORD_NAMES.get(code, ()):
            return code
    return None
