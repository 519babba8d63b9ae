"""Text that people type and others read: regions, titles, playlist names, SMS and alert text.

Such text is shown in the panel, read out on air, sent by SMS and written into CSV exports, so
one check decides for every path (panel, API, command line, SMS keyword) what is acceptable:

- control characters are refused, but for a tab (a space, as pasted from a spreadsheet) and
  a newline where the text has lines (SMS and alerts);
- bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F,
  U+061C) are refused: they make a name read differently from what it is ("Trojan Source");
- text made only of invisible characters (zero-width or no-break spaces, soft hyphens, byte
  order marks) or of accents with no letter to sit on counts as empty;
- lone surrogates (undecodable bytes smuggled through JSON or a form) are refused;
- what is kept is NFC-normalised and stripped, so "é" typed two ways is one region.

The caller names its own error type, so each domain refuses with the exception its callers
already turn into a 4xx answer, a form error or a one-line CLI error.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from enum import StrEnum

from gateway.codes import Refused

BIDI_CONTROLS = frozenset({0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})
"""Arabic letter mark, LRM/RLM, embeddings and overrides (LRE..RLO), isolates (LRI..PDI)."""

INVISIBLE = frozenset(
    {0x00AD, 0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x2800, 0x3164, 0xFFA0}
)
"""Characters that print as nothing without being whitespace or format characters (soft
hyphen, combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian vowel
separator, Braille blank)."""


class PlainTextError(ValueError):
    """Text that cannot be accepted; the message names the field and the reason."""


class TextProblem(StrEnum):
    """Why typed text was refused, set as `problem` (with `params`) on the caller's error when
    it has none of its own, so the panel words it in the reader's language
    (gateway/web/labels.py) whatever the domain."""

    SURROGATE = "text.surrogate"
    CONTROL = "text.control"
    DIRECTION = "text.direction"
    INVISIBLE = "text.invisible"
    EMPTY = "text.empty"
    TOO_LONG = "text.too_long"


def _refusal(
    error: Callable[[str], Exception], reason: str, problem: TextProblem, **params: str | int
) -> Exception:
    exc = error(reason)
    if isinstance(exc, Refused) and exc.problem is None:
        exc.problem, exc.params = problem, params
    return exc


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def _is_invisible(char: str) -> bool:
    return char.isspace() or ord(char) in INVISIBLE or unicodedata.category(char) == "Cf"


def _shows_nothing_alone(char: str) -> bool:
    """Invisible, or a mark (accent, variation selector) that only shows on a letter."""
    return _is_invisible(char) or unicodedata.category(char) in {"Mn", "Me"}


def has_visible(text: str) -> bool:
    """True if a reader would see something: at least one character that is neither invisible
    nor a mark left without a letter. Smart encoding deletes both kinds, so a text without any
    would go out as an empty SMS."""
    return not all(_shows_nothing_alone(char) for char in text)


def plain_text(
    value: str,
    *,
    what: str,
    max_chars: int,
    multiline: bool = False,
    required: bool = True,
    error: Callable[[str], Exception] = PlainTextError,
) -> str:
    """`value` normalised (NFC, stripped; single-line text has its runs of spaces squashed),
    or `error(reason)` raised. `what` names the field in the reason ("the region")."""
    for char in value:
        if unicodedata.category(char) == "Cs":
            raise _refusal(
                error,
                f"{what} contains an invalid character (a lone surrogate)",
                TextProblem.SURROGATE,
            )
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n")
    # Judged before str.strip(), which would silently drop \x1c-\x1f, \v and \f at the ends.
    for char in text.strip(" \t\r\n"):
        if char == "\t" or (char == "\n" and multiline):
            continue
        category = unicodedata.category(char)
        if category == "Cc" or category in {"Zl", "Zp"}:
            where = "" if multiline else " (it must fit on one line)"
            raise _refusal(
                error,
                f"{what} contains a control character ({_codepoint(char)}){where}",
                TextProblem.CONTROL,
                char=_codepoint(char),
            )
        if ord(char) in BIDI_CONTROLS:
            raise _refusal(
                error,
                f"{what} contains a character that changes the reading direction "
                f"({_codepoint(char)})",
                TextProblem.DIRECTION,
                char=_codepoint(char),
            )
    text = text.strip()
    if not multiline:
        text = " ".join(text.split())
    if not has_visible(text):
        if text:
            raise _refusal(
                error,
                f"{what} has only invisible characters (or accents without a letter)",
                TextProblem.INVISIBLE,
            )
        if required:
            raise _refusal(error, f"{what} is empty", TextProblem.EMPTY)
        return ""
    if len(text) > max_chars:
        raise _refusal(
            error,
            f"{what} is longer than {max_chars} characters",
            TextProblem.TOO_LONG,
            limit=max_chars,
        )
    return text
