"""Recording titles are checked like all typed text; titles derived from file names are
cleaned instead, since nobody typed them."""

from __future__ import annotations

import pytest

from audio.metadata import MetadataError, parse_metadata, title_from_filename


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        ("Entrevista \u202e3pm.exe", "reading direction"),
        ("Entrevista\x1b[31m", "control character"),
        ("Entrevista\nsegunda", "control character"),
        ("\u3164\u200b", "invisible"),
        ("Entrevista \udcff", "surrogate"),
    ],
)
def test_a_typed_title_with_hidden_characters_is_refused(title: str, reason: str) -> None:
    with pytest.raises(MetadataError, match=reason):
        parse_metadata(title=title, kind="testimony")


def test_a_typed_speaker_is_checked_too() -> None:
    with pytest.raises(MetadataError, match="reading direction"):
        parse_metadata(title="Entrevista", kind="testimony", speaker="Ana \u2067")


def test_a_title_from_a_file_name_drops_what_would_mislead() -> None:
    title = title_from_filename("entrevista\u202egpj.mp3")
    assert title == "entrevistagpj"
    assert parse_metadata(title=title, kind="testimony").title == title
    assert parse_metadata(title="Cancio\u0301n", kind="testimony").title == "Canción"
