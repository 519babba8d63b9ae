"""Keywords from villages, however they are typed, and the replies to them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms import gsm7
from sms.keywords import Command, CommandKind, parse_keyword, reply_text

SUB, UNSUB, HELP = CommandKind.SUBSCRIBE, CommandKind.UNSUBSCRIBE, CommandKind.HELP


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("ALTA San Andrés", Command(SUB, "San Andrés", "es")),
        ("  alta  San Andrés ", Command(SUB, "San Andrés", "es")),
        ("ÁLTA San   Andrés", Command(SUB, "San Andrés", "es")),
        ("Alta: Quiché.", Command(SUB, "Quiché", "es")),
        ("¡alta Ixcán!", Command(SUB, "Ixcán", "es")),
        ("alta", Command(SUB, "", "es")),
        ("JOIN Nebaj", Command(SUB, "Nebaj", "en")),
        ("join", Command(SUB, "", "en")),
        ("BAJA", Command(UNSUB, "", "es")),
        ("Baja.", Command(UNSUB, "", "es")),
        ("baja!!", Command(UNSUB, "", "es")),
        ("STOP", Command(UNSUB, "", "en")),
        (" stop\n", Command(UNSUB, "", "en")),
        ("AYUDA", Command(HELP, "", "es")),
        ("AYÚDA", Command(HELP, "", "es")),
        ("¿ayuda?", Command(HELP, "", "es")),
        ("Help", Command(HELP, "", "en")),
        ("A\u0301LTA Chisec", Command(SUB, "Chisec", "es")),
    ],
)
def test_keywords_are_found_whatever_the_case_accents_and_punctuation(
    text: str, command: Command
) -> None:
    assert parse_keyword(text) == command


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Hola, hay hombres armados en el camino",
        "altas temperaturas en la costa",
        "ALTAVOZ",
        "baja el agua del río",
        "stop the trucks at the bridge",
        "necesito ayuda urgente",
        "help us",
        "123",
        "¿?",
    ],
)
def test_anything_else_is_an_ordinary_message(text: str) -> None:
    assert parse_keyword(text) is None


@pytest.mark.parametrize("kind", list(CommandKind))
@pytest.mark.parametrize("language", ["es", "en", "es-MX", "EN", "k'iche'", ""])
@pytest.mark.parametrize("region", ["", "San Pedro"])
def test_replies_are_short_gsm7_in_the_right_language(
    kind: CommandKind, language: str, region: str
) -> None:
    reply = reply_text(kind, language, region=region, station="Radio Altavoz")
    assert gsm7.fits(reply)
    assert gsm7.septet_length(reply) <= 160
    assert reply.startswith("Radio Altavoz: ")
    english = language.lower().startswith("en")
    keywords = ("JOIN", "STOP", "HELP") if english else ("ALTA", "BAJA", "AYUDA")
    assert any(word in reply for word in keywords)


def test_a_subscription_names_its_region_and_one_without_asks_for_it() -> None:
    assert "San Pedro" in reply_text(SUB, "es", region="San Pedro")
    assert "ALTA" in reply_text(SUB, "es") and "comunidad" in reply_text(SUB, "es")
    assert "JOIN" in reply_text(SUB, "en", region=" ")
    assert reply_text(HELP, "es").count("ALTA") == 1
    assert "BAJA" in reply_text(HELP, "es") and "AYUDA" in reply_text(HELP, "es")
    assert "STOP" in reply_text(HELP, "en") and "HELP" in reply_text(HELP, "en")
    assert not reply_text(UNSUB, "es").startswith(":")


@settings(database=None, deadline=None)
@given(st.text(max_size=60))
def test_parsing_never_raises_and_a_region_is_trimmed(text: str) -> None:
    command = parse_keyword(text)
    if command is not None:
        assert command.region == command.region.strip()
        assert command.language in ("es", "en")
        assert command.kind is SUB or command.region == ""
