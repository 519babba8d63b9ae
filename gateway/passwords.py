"""How guessable a password is, estimated offline by zxcvbn before it is ever stored.

A length rule alone accepts `aaaaaaaaaa` and `password123`. zxcvbn (Dropbox's estimator,
maintained on PyPI) counts the guesses an attacker trying common passwords, words, names,
keyboard walks, repeats, sequences and dates first would need, from frequency lists shipped
inside the package, so it needs no network. We ask for its score 3 ("safely unguessable":
about 10^8 guesses or more), together with the argon2 hashes and the login throttle.

The reason for a refusal is returned as a Weakness, not as text, so the panel can say it in
the person's language and the command line in English.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_SCORE = 3
_ESTIMATED_LENGTH = 72  # zxcvbn refuses longer input; the first 72 characters must be strong
# Spanish words that zxcvbn's English lists miss and that a station's staff would reach for.
LOCAL_WORDS = ("altavoz", "radio", "emisora", "contraseña", "clave", "secreto", "comunidad")

# zxcvbn keeps the words of the person (user_inputs) in a module-level dictionary.
_estimator_lock = threading.Lock()


class Weakness(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    PERSONAL = "personal"
    WORDS = "words"
    KEYBOARD = "keyboard"
    REPEATS = "repeats"
    SEQUENCE = "sequence"
    DATES = "dates"
    GUESSABLE = "guessable"


EXPLANATIONS: dict[Weakness, str] = {
    Weakness.TOO_SHORT: f"the password must have at least {MIN_LENGTH} characters",
    Weakness.TOO_LONG: f"the password may have at most {MAX_LENGTH} characters",
    Weakness.COMMON: "this is a commonly used password",
    Weakness.PERSONAL: "the password contains the user name or the station's name",
    Weakness.WORDS: "a few common words or names alone are easy to guess",
    Weakness.KEYBOARD: "rows and patterns of keys are easy to guess",
    Weakness.REPEATS: 'repeats like "aaa" or "abcabc" are easy to guess',
    Weakness.SEQUENCE: 'sequences like "abc" or "6543" are easy to guess',
    Weakness.DATES: "dates and years are easy to guess",
    Weakness.GUESSABLE: "the password is too easy to guess",
}

_DICTIONARY_WEAKNESS = {"passwords": Weakness.COMMON, "user_inputs": Weakness.PERSONAL}
_PATTERN_WEAKNESS = {
    "spatial": Weakness.KEYBOARD,
    "repeat": Weakness.REPEATS,
    "sequence": Weakness.SEQUENCE,
    "date": Weakness.DATES,
    "regex": Weakness.DATES,
}


def _reason(sequence: list[dict[str, Any]]) -> Weakness:
    """The weakness of the longest guessable part, as zxcvbn's own feedback picks it."""
    if not sequence:
        return Weakness.GUESSABLE
    longest = max(sequence, key=lambda match: len(match["token"]))
    if longest["pattern"] == "dictionary":
        if longest.get("matched_word") in LOCAL_WORDS:
            return Weakness.COMMON
        return _DICTIONARY_WEAKNESS.get(longest.get("dictionary_name", ""), Weakness.WORDS)
    return _PATTERN_WEAKNESS.get(longest["pattern"], Weakness.GUESSABLE)


def weakness(password: str, *, personal: Iterable[str] = ()) -> Weakness | None:
    """Why this password must be refused, or None if it is strong enough.

    `personal` are words an attacker would try first for this account (its user name, the
    station's name).
    """
    if len(password) < MIN_LENGTH:
        return Weakness.TOO_SHORT
    if len(password) > MAX_LENGTH:
        return Weakness.TOO_LONG
    inputs = [word for word in (*personal, *LOCAL_WORDS) if word]
    with _estimator_lock:
        result = zxcvbn(password[:_ESTIMATED_LENGTH], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return None
    return _reason(result["sequence"])
