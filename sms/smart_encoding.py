"""Smart encoding: swap characters outside GSM-7 for their closest GSM-7 form.

One "á" in an alert would otherwise push the whole message to UCS-2, 70 characters per SMS
instead of 160, so the same alert costs two or three times the segments, the money and the
time under the carrier's rate limit. Characters that are in GSM-7 (é, ñ, ü, ¿, ¡, à, Ä...) are
kept; characters with no sensible GSM-7 form (emoji, CJK) are left alone, and the caller then
sends UCS-2. Every change is reported so the panel can show the operator what will be sent.

Some characters must never be replaced: in Kaqchikel ë and ï are vowels of their own, and "e"
for "ë" can make another word. The station lists them (`smpp.keep_characters`, by language);
a text holding one goes out in UCS-2, as typed, rather than altered.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sms import gsm7


@dataclass(frozen=True)
class Replacement:
    """`count` occurrences of `original` became `replacement` (possibly empty)."""

    original: str
    replacement: str
    count: int


_TABLE: dict[str, str] = {
    # Quotes and apostrophes, straight ones being what every phone shows.
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "`": "'",
    "´": "'",
    "ʼ": "'",
    "‹": "'",
    "›": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "″": '"',
    "«": '"',
    "»": '"',
    # Dashes and hyphens.
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    # Ellipsis, bullets, signs.
    "…": "...",
    "•": "*",
    "·": ".",
    "×": "x",
    "÷": "/",
    "¢": "c",
    "©": "(c)",
    "®": "(R)",
    "ª": "a",
    "º": "o",
    # Letters that decomposition alone does not reach.
    "Ð": "D",
    "ð": "d",
    "Đ": "D",
    "đ": "d",
    "Ł": "L",
    "ł": "l",
    "Œ": "OE",
    "œ": "oe",
    "Þ": "Th",
    "þ": "th",
    "ı": "i",
    # Spaces and invisible characters pasted from word processors and web pages.
    "\t": " ",
    "\u00a0": " ",
    "\u2007": " ",
    "\u202f": " ",
    "\u2028": "\n",
    "\u2029": "\n",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
    "\u00ad": "",
}
"""Hand-picked forms; checked before the generic rules below."""


def gsm_form(char: str) -> str | None:
    """The GSM-7 text standing for `char`, or None when there is no sensible one."""
    if char in gsm7.ALPHABET:
        return char
    if char in _TABLE:
        return _TABLE[char]
    if unicodedata.combining(char):
        return ""
    if unicodedata.category(char) == "Zs":
        return " "
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    if base and base != char and gsm7.fits(base):
        return base
    compatible = unicodedata.normalize("NFKC", char)
    if compatible != char and gsm7.fits(compatible):
        return compatible
    return None


def transliterate(
    text: str, *, keep: frozenset[str] = frozenset()
) -> tuple[str, list[Replacement]]:
    """`text` with every replaceable character outside GSM-7 replaced, and what changed, in
    order of first appearance; characters in `keep` stay as they are. The text is first
    composed (NFC), so an accent typed as a separate combining mark is judged together with
    its letter (e + ◌́ is é, which is GSM-7; e + ◌̈ is ë, which a Kaqchikel station keeps).
    """
    out: list[str] = []
    changes: dict[tuple[str, str], int] = {}
    for char in unicodedata.normalize("NFC", text):
        form = None if char in keep else gsm_form(char)
        if form is None:
            out.append(char)
            continue
        out.append(form)
        if form != char:
            changes[(char, form)] = changes.get((char, form), 0) + 1
    return "".join(out), [Replacement(o, r, n) for (o, r), n in changes.items()]


def kept(text: str, keep: frozenset[str]) -> list[str]:
    """The characters of `text` that smart encoding would have replaced but `keep` protects,
    in order of first appearance: the reason the text goes out in UCS-2."""
    return list(
        dict.fromkeys(
            char
            for char in unicodedata.normalize("NFC", text)
            if char in keep and gsm_form(char) != char
        )
    )


def shown(text: str) -> str:
    """`text` as an operator can read it in a list of changes: a character that prints as
    nothing or as blank (soft hyphen, no-break space, tab) by its code point."""
    if len(text) == 1 and unicodedata.category(text)[0] in "CZ" and text != " ":
        return f"U+{ord(text):04X}"
    return text


def _shown(text: str) -> str:
    return {"": "(nothing)", " ": "(space)"}.get(text) or shown(text)


def summary(replacements: list[Replacement], protected: list[str]) -> str:
    """One line telling the operator what smart encoding did to a text before it is sent:
    `replaced: “ -> " ×2, á -> a` and/or `kept ë, ï (smpp.keep_characters): sent as UCS-2`;
    empty when the text goes out exactly as typed."""
    parts = []
    if replacements:
        parts.append(
            "replaced: "
            + ", ".join(
                f"{_shown(r.original)} -> {_shown(r.replacement)}"
                + (f" ×{r.count}" if r.count > 1 else "")
                for r in replacements
            )
        )
    if protected:
        parts.append(f"kept {', '.join(protected)} (smpp.keep_characters): sent as UCS-2")
    return " ; ".join(parts)
