"""SMS keywords from villages and the short answers to them, in Spanish and English.

People type on old phones, with or without accents, in capitals or not, with a stray full
stop: `alta  San Andrés`, `Baja.`, `AYÚDA` must all work. The keyword must be the first word;
`BAJA`, `STOP`, `AYUDA` and `HELP` must be the whole message (as carriers do), so a report
such as "baja el agua del río" is kept as a message instead of unsubscribing its sender.
Anything that is not a keyword returns None and is stored as a message for the operators.

A subscription may end with the subscriber's language, `ALTA San Marcos mam`: the region may
have several words, so the last word is taken as the language only when it names one the
station serves and a region is left before it (`ALTA Mam` subscribes the region Mam).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from sms.languages import keyword_language


class CommandKind(Enum):
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    HELP = "help"


@dataclass(frozen=True)
class Command:
    """A keyword found in an inbound SMS. `region` is as typed (trimmed), "" when a
    subscription named none; `language` is the keyword's language, "es" or "en";
    `named_language` the subscriber's language when the message ended with one, and then
    `whole` is the region as if that last word were part of it."""

    kind: CommandKind
    region: str
    language: str
    named_language: str | None = None
    whole: str = ""


_KEYWORDS: dict[str, tuple[CommandKind, str]] = {
    "ALTA": (CommandKind.SUBSCRIBE, "es"),
    "JOIN": (CommandKind.SUBSCRIBE, "en"),
    "BAJA": (CommandKind.UNSUBSCRIBE, "es"),
    "STOP": (CommandKind.UNSUBSCRIBE, "en"),
    "AYUDA": (CommandKind.HELP, "es"),
    "HELP": (CommandKind.HELP, "en"),
}

_PUNCTUATION = ".,;:!?¡¿\"'«»“”‘’()-_*#"
_FIRST_WORD = re.compile(r"\s*(\w+)(.*)", re.DOTALL)


def _fold(word: str) -> str:
    """Upper case without accents, so ÁLTA, alta and Alta are the same word."""
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def parse_keyword(text: str, languages: Iterable[str] = ()) -> Command | None:
    """The command an inbound SMS carries, or None for an ordinary message; `languages` are
    those a subscription may name at its end."""
    stripped = unicodedata.normalize("NFC", text).strip().lstrip(_PUNCTUATION)
    match = _FIRST_WORD.fullmatch(stripped)
    if match is None:
        return None
    found = _KEYWORDS.get(_fold(match.group(1)))
    if found is None:
        return None
    kind, language = found
    rest = match.group(2)
    if rest[:1].isalnum():
        return None
    argument = " ".join(rest.strip(_PUNCTUATION + " \t\r\n").split()).strip(_PUNCTUATION)
    if kind is CommandKind.SUBSCRIBE:
        return _subscription(argument, language, languages)
    if argument:
        return None
    return Command(kind, "", language)


def _subscription(argument: str, language: str, languages: Iterable[str]) -> Command:
    region, _, last = argument.rpartition(" ")
    named = keyword_language(last.strip(_PUNCTUATION), languages) if region.strip() else None
    if named is None:
        return Command(CommandKind.SUBSCRIBE, argument, language)
    region = region.strip(_PUNCTUATION + " ")
    return Command(CommandKind.SUBSCRIBE, region, language, named_language=named, whole=argument)


_REPLIES: dict[tuple[str, str], str] = {
    ("subscribe", "es"): (
        "Quedaste en la lista de {region}. Para salir manda BAJA. Para ayuda manda AYUDA."
    ),
    ("subscribe", "en"): ("You are subscribed for {region}. Reply STOP to leave, HELP for help."),
    ("ask_region", "es"): (
        "Para suscribirte manda ALTA y el nombre de tu comunidad, por ejemplo: ALTA San Pedro"
    ),
    ("ask_region", "en"): "To subscribe send JOIN and your community, for example: JOIN San Pedro",
    ("unsubscribe", "es"): ("Ya no te enviaremos mensajes. Para volver manda ALTA y tu comunidad."),
    ("unsubscribe", "en"): (
        "You will get no more messages. To come back send JOIN and your community."
    ),
    ("help", "es"): (
        "ALTA <comunidad>: recibir avisos. BAJA: dejar de recibirlos. AYUDA: este mensaje."
    ),
    ("help", "en"): ("JOIN <community>: get alerts. STOP: no more messages. HELP: this message."),
}
"""Fixed parts written in GSM-7 only (no á, í, ó, ú), so a reply is one cheap segment."""


def reply_language(language: str) -> str:
    """ "en" for English (any region variant), Spanish for everything else: the default of
    this station's audience."""
    return "en" if language.strip().lower().split("-")[0].split("_")[0] == "en" else "es"


def reply_text(kind: CommandKind, language: str, *, region: str = "", station: str = "") -> str:
    """The SMS answering a keyword, prefixed with the station's name when given. A
    subscription without a region is answered by asking for one."""
    lang = reply_language(language)
    topic = kind.value
    if kind is CommandKind.SUBSCRIBE and not region.strip():
        topic = "ask_region"
    body = _REPLIES[(topic, lang)].format(region=region.strip())
    return f"{station.strip()}: {body}" if station.strip() else body
