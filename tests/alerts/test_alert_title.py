"""The alert's as-run title says "ALERTA" once, whether or not the operator's text already does."""

from __future__ import annotations

import pytest

from playlists.alert_title import MAX_TEXT_CHARS, alert_title


def test_plain_text_gets_the_prefix_of_the_station_language() -> None:
    assert alert_title("Crecida del río", language="es") == "ALERTA: Crecida del río"
    assert alert_title("River flooding", language="en") == "ALERT: River flooding"
    assert alert_title("Crecida", language="es-MX") == "ALERTA: Crecida"


@pytest.mark.parametrize(
    "text",
    [
        "ALERTA URGENTE: crecida del río",
        "alerta: crecida del río",
        "¡Alerta! crecida del río",
        "ALÉRTA urgente",
        "Alert: river flooding",
        "ALERT - river flooding",
    ],
)
def test_text_that_already_starts_with_a_known_prefix_is_not_prefixed_again(text: str) -> None:
    for language in ("es", "en"):
        title = alert_title(text, language=language)
        assert title == text
        assert not title.upper().startswith(("ALERTA: ALERT", "ALERT: ALERT"))


def test_a_word_that_only_begins_like_the_prefix_still_gets_it() -> None:
    assert alert_title("Alertamos a la comunidad", language="es") == (
        "ALERTA: Alertamos a la comunidad"
    )
    assert alert_title("Alerts follow", language="en") == "ALERT: Alerts follow"


def test_the_title_is_one_line_and_short() -> None:
    title = alert_title("Crecida\n\ndel   río " + "x" * 200, language="es")
    assert "\n" not in title and "Crecida del río" in title
    assert len(title) == len("ALERTA: ") + MAX_TEXT_CHARS
    assert alert_title("", language="es") == "ALERTA"
