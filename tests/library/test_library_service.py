"""The library in the database: metadata checks, search, edits and deletes with the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio import library
from audio.ingest import PreparedAudio, prepare_recording
from audio.metadata import MetadataError, parse_metadata, title_from_filename
from audio.models import Recording, RecordingKind
from audio.storage import MediaStore
from gateway import audit
from gateway.accounts import Actor
from gateway.database import Database
from gateway.settings import Settings

ACTOR = Actor(id=None, name="tester", address="127.0.0.1")


@pytest.fixture
def store(settings: Settings) -> MediaStore:
    return MediaStore(settings.media.dir)


@pytest.fixture
def prepared(formats: dict[str, Path], store: MediaStore, settings: Settings) -> PreparedAudio:
    return prepare_recording(formats["opus"], media=settings.media, store=store)


def test_metadata_is_checked_with_sentences_that_name_the_field() -> None:
    meta = parse_metadata(
        title="  Testimonio\tde  María ",
        kind="Station-ID",
        language="ES",
        speaker="Doña Rosa",
        consent="sí",
        tags="agua, Tierra, agua,  , tierra",
    )
    assert meta.title == "Testimonio de María" and meta.kind is RecordingKind.STATION_ID
    assert meta.language == "es" and meta.consent is True
    assert meta.tags == ("agua", "Tierra")
    for fields, word in [
        ({"title": "x", "kind": "podcast"}, "kind"),
        ({"title": " ", "kind": "jingle"}, "title"),
        ({"title": "x", "kind": "jingle", "language": "español!"}, "language"),
        ({"title": "x", "kind": "jingle", "consent": "maybe"}, "consent"),
        ({"title": "x", "kind": "jingle", "tags": "a" * 41}, "tag"),
    ]:
        with pytest.raises(MetadataError, match=word):
            parse_metadata(**fields)


def test_titles_from_file_names_drop_folders_and_undecodable_bytes() -> None:
    assert title_from_filename("../../etc/passwd.wav") == "passwd"
    assert title_from_filename(b"voz-\xff\xfe_de_Ana.m4a") == "voz-\ufffd\ufffd de Ana"
    assert title_from_filename("..\\..\\x.mp3") == "x"
    assert title_from_filename("") == "Recording"


def test_search_filters_by_text_kind_language_and_consent(
    database: Database, prepared: PreparedAudio
) -> None:
    rows = [
        ("Testimonio del río", "testimony", "es", "Ana", True, ["agua", "María"]),
        ("Cortina musical", "jingle", "", "", True, []),
        ("Identificación", "station-id", "mam", "Rosa", False, ["100%_real"]),
    ]
    with database.session() as session:
        for title, kind, language, speaker, consent, tags in rows:
            meta = parse_metadata(
                title=title, kind=kind, language=language, speaker=speaker, consent=consent,
                tags=tags,
            )  # fmt: skip
            library.add_recording(session, prepared, meta, actor=ACTOR)
    with database.session() as session:

        def titles(**filters: object) -> list[str]:
            found = library.search(session, library.Filters(**filters))  # type: ignore[arg-type]
            return sorted(r.title for r in found)

        assert titles() == sorted(r[0] for r in rows)
        assert titles(text="río") == ["Testimonio del río"]
        assert titles(text="maría") == ["Testimonio del río"]  # a tag, stored \u-escaped
        assert titles(text="rosa") == ["Identificación"]
        assert titles(text="100%") == ["Identificación"] and titles(text="%") == ["Identificación"]
        assert titles(kind=RecordingKind.JINGLE) == ["Cortina musical"]
        assert titles(language="mam") == ["Identificación"]
        assert titles(consent=False) == ["Identificación"]
        assert library.languages(session) == ["es", "mam"]


def test_edits_are_audited_with_the_fields_that_changed(
    database: Database, prepared: PreparedAudio
) -> None:
    with database.session() as session:
        meta = parse_metadata(title="Cuña", kind="jingle")
        recording = library.add_recording(session, prepared, meta, actor=ACTOR)
        recording_id = recording.id
    with database.session() as session:
        stored = session.get(Recording, recording_id)
        assert stored is not None
        new = parse_metadata(title="Cuña", kind="jingle", consent=True, tags="fiesta")
        assert library.update_metadata(session, stored, new, actor=ACTOR) == ["consent", "tags"]
        assert library.update_metadata(session, stored, new, actor=ACTOR) == []
    with database.session() as session:
        entries = audit.recent(session, action="recording.edit")
        assert [e.details["changed"] for e in entries] == [["consent", "tags"]]
        assert entries[0].target == f"recording {recording_id}"


def test_a_shared_file_is_removed_only_with_the_last_recording_using_it(
    database: Database, prepared: PreparedAudio, store: MediaStore
) -> None:
    media = store.path(prepared.media.relative)
    picture = store.path(prepared.waveform.relative)
    with database.session() as session:
        first = library.add_recording(
            session, prepared, parse_metadata(title="A", kind="jingle"), actor=ACTOR
        )
        second = library.add_recording(
            session, prepared, parse_metadata(title="B", kind="jingle"), actor=ACTOR
        )
    with database.session() as session:
        unused = library.delete_recording(session, session.get(Recording, first.id), actor=ACTOR)  # type: ignore[arg-type]
    assert unused == []
    library.remove_files(store, unused)
    assert media.exists() and picture.exists()
    with database.session() as session:
        unused = library.delete_recording(session, session.get(Recording, second.id), actor=ACTOR)  # type: ignore[arg-type]
    library.remove_files(store, unused)
    assert not media.exists() and not picture.exists()
    with database.session() as session:
        deleted = audit.recent(session, action="recording.delete")
        assert sorted(e.details["title"] for e in deleted) == ["A", "B"]
        assert session.query(Recording).count() == 0
