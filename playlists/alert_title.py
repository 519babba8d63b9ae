"""The as-run title of an alert: the alert prefix, then the operator's text, said once.

Listeners' logs, the dashboard and the stream's metadata all show this title, so it is built
here and nowhere else. Operators often start the text with the word themselves ("ALERTA
URGENTE: ..."), in whichever language the station uses; the prefix is then left out rather
than doubled. The comparison ignores case, accents and the punctuation around the word
("¡Alerta!", "alerta:"), and knows the prefix of every language the panel speaks.
"""

from __future__ import annotations

import unicodedata

PREFIXES = {"es": "ALERTA", "en": "ALERT"}
"""The word that marks an alert, per panel language (gateway.web.i18n.LANGUAGES)."""
MAX_TEXT_CHARS = 80
"""As much of the text as a title line shows."""


def _folded(word: str) -> str:
    """Lower case without accents, so "Alérta" and "ALERTA" compare equal."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_KNOWN = frozenset(_folded(prefix) for prefix in PREFIXES.values())


def _starts_with_prefix(text: str) -> bool:
    words = text.split(maxsplit=1)
    if not words:
        return False
    word = words[0].strip("¡!¿?:;,.-–—\"'«»()[]")
    return _folded(word) in _KNOWN


def alert_title(text: str, *, language: str) -> str:
    """'ALERTA: <text>' in the station's language, unless the text already says it."""
    shown = " ".join(text.split())[:MAX_TEXT_CHARS]
    if _starts_with_prefix(shown):
        return shown
    prefix = PREFIXES.get(language.split("-")[0], PREFIXES["es"])
    return f"{prefix}: {shown}" if shown else prefix
