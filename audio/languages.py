"""Language codes of voice messages and Vosk models, checked the same way everywhere.

A code is a BCP 47-like tag: a primary language subtag, optionally followed by subtags
("es", "en-us", "pt-br", "mam"). Two-letter primary subtags are a closed list (ISO 639-1,
184 codes, taken from Babel's CLDR data), so a typo such as "xx" or "sp" is refused.
Three-letter subtags are ISO 639-3, about 8000 codes including the Mayan languages callers
speak (Mam "mam", Q'eqchi' "kek", Tzotzil "tzo") that CLDR does not list, so a
well-formed three-letter code is accepted rather than refusing a language the station
serves.
"""

from __future__ import annotations

import re
from functools import cache

from babel import Locale

_SHAPE = re.compile(r"^(?P<primary>[a-z]{2,3})(-[a-z0-9]{2,8})*$")


class LanguageError(ValueError):
    """Not a language code; the message says what was expected."""


@cache
def _two_letter_codes() -> frozenset[str]:
    codes = [str(code) for code in Locale("en").languages]
    return frozenset(code for code in codes if len(code) == 2)


def parse_language(value: str | None) -> str:
    """The normalised code ("es-MX" -> "es-mx", "pt_BR" -> "pt-br"), or LanguageError."""
    code = (value or "").strip().lower().replace("_", "-")
    if not code:
        raise LanguageError("a language code is required (such as 'es', 'ko' or 'mam')")
    match = _SHAPE.match(code)
    if match is None:
        raise LanguageError(
            f"{value!r} is not a language code (expected something like 'es', 'en-us' or 'mam')"
        )
    primary = match.group("primary")
    if len(primary) == 2 and primary not in _two_letter_codes():
        raise LanguageError(f"{value!r} is not a known language code (ISO 639-1)")
    return code
