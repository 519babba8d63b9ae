"""The library screen: upload (with and without JavaScript), search, listen, edit, delete."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from audio import library
from audio.ingest import prepare_recording
from audio.metadata import parse_metadata
from audio.models import Recording
from audio.storage import MediaStore
from gateway import audit
from gateway.accounts import SYSTEM, User
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from tests.library.multipart import CONTENT_TYPE, multipart
from tests.support import csrf_token


@pytest.fixture
def recording_id(database: Database, settings: Settings, formats: dict[str, Path]) -> int:
    store = MediaStore(settings.media.dir)
    prepared = prepare_recording(formats["opus"], media=settings.media, store=store)
    with database.session() as session:
        meta = parse_metadata(
            title="Testimonio del río", kind="testimony", language="es", speaker="Ana",
            consent=True, tags="agua",
        )  # fmt: skip
        return library.add_recording(session, prepared, meta, actor=SYSTEM).id


def rows(database: Database) -> list[Recording]:
    with database.session() as session:
        return list(session.query(Recording).order_by(Recording.id))


def test_several_files_upload_without_javascript_and_each_gets_its_answer(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    formats: dict[str, Path],
    bad_files: dict[str, Path],
    database: Database,
) -> None:
    logged_in(Role.OPERATOR)
    body = multipart(
        {"csrf_token": csrf_token(client, "/library/"), "kind": "jingle", "tags": "cortina"},
        [
            ("files", "cortina.wav", formats["wav"].read_bytes()),
            ("files", "llamada.amr", formats["amr-nb"].read_bytes()),
            ("files", "notas.wav", bad_files["text"].read_bytes()),
        ],
    )
    response = client.post("/library/upload", data=body, content_type=CONTENT_TYPE)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count("LUFS") >= 2 and "notas.wav" in page
    assert sorted((r.title, r.kind, r.tags) for r in rows(database)) == [
        ("cortina", "jingle", ["cortina"]),
        ("llamada", "jingle", ["cortina"]),
    ]


def test_the_javascript_upload_gets_json_and_a_page_to_go_to(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    formats: dict[str, Path],
    database: Database,
) -> None:
    logged_in(Role.OPERATOR)
    body = multipart(
        {"csrf_token": csrf_token(client, "/library/"), "kind": "station-id", "title": "ID"},
        [("files", "id.mp3", formats["mp3"].read_bytes())],
    )
    response = client.post(
        "/library/upload",
        data=body,
        content_type=CONTENT_TYPE,
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.get_json() == {"next": "/library/", "imported": 1, "refused": 0}
    assert [r.title for r in rows(database)] == ["ID"]
    unknown = multipart(
        {"csrf_token": csrf_token(client, "/library/"), "kind": "podcast"},
        [("files", "x.mp3", formats["mp3"].read_bytes())],
    )
    refused = client.post(
        "/library/upload",
        data=unknown,
        content_type=CONTENT_TYPE,
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 400 and len(rows(database)) == 1


def test_the_list_filters_and_plays_with_range_requests(
    client: FlaskClient, logged_in: Callable[[Role], User], recording_id: int
) -> None:
    logged_in(Role.MODERATOR)
    page = client.get("/library/")
    text = page.get_data(as_text=True)
    assert "Testimonio del río" in text and len(page.data) < 100_000
    assert 'id="library-upload"' not in text  # moderators listen, operators upload
    assert "Testimonio" in client.get("/library/?q=agua&kind=testimony&consent=yes").text
    assert "Testimonio" not in client.get("/library/?kind=jingle").text
    assert "Testimonio" not in client.get("/library/?language=mam").text
    detail = client.get(f"/library/{recording_id}").get_data(as_text=True)
    assert f'src="/library/{recording_id}/audio"' in detail
    assert f'src="/library/{recording_id}/waveform.svg"' in detail
    with client.get(f"/library/{recording_id}/audio", headers={"Range": "bytes=0-99"}) as part:
        assert part.status_code == 206 and len(part.data) == 100
        assert part.mimetype == "audio/flac" and part.data.startswith(b"fLaC")
        assert part.headers["Content-Range"].startswith("bytes 0-99/")
    with client.get(f"/library/{recording_id}/waveform.svg") as picture:
        assert picture.mimetype == "image/svg+xml" and picture.data.startswith(b"<svg")
    assert client.get("/library/999/audio").status_code == 404


def test_operators_edit_metadata_and_the_change_is_audited(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    recording_id: int,
    database: Database,
) -> None:
    logged_in(Role.OPERATOR)
    page = client.get("/library/").get_data(as_text=True)
    assert re.search(r'<script src="/static/library.js"[^>]*>', page)
    with client.get("/static/library.js") as script:
        assert script.status_code == 200 and b"XMLHttpRequest" in script.data
    token = csrf_token(client, f"/library/{recording_id}")
    form = {
        "csrf_token": token, "title": "Testimonio del río Lempa", "kind": "testimony",
        "language": "es", "speaker": "Ana", "tags": "agua, Lempa",
    }  # fmt: skip
    assert client.post(f"/library/{recording_id}", data=form).status_code == 303
    (row,) = rows(database)
    assert (row.title, row.consent, row.tags) == (
        "Testimonio del río Lempa",
        False,
        ["agua", "Lempa"],
    )
    bad = client.post(f"/library/{recording_id}", data={**form, "language": "??"})
    assert bad.status_code == 400 and "language" in bad.get_data(as_text=True)
    with database.session() as session:
        (entry,) = audit.recent(session, action="recording.edit")
        assert entry.actor_name == "operator-user"
        assert entry.details["changed"] == ["title", "consent", "tags"]


def test_delete_needs_confirmation_then_removes_row_and_files_with_an_audit_entry(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    recording_id: int,
    database: Database,
    settings: Settings,
) -> None:
    logged_in(Role.OPERATOR)
    (row,) = rows(database)
    media = settings.media.dir / row.media_path
    token = csrf_token(client, f"/library/{recording_id}")
    unconfirmed = client.post(f"/library/{recording_id}/delete", data={"csrf_token": token})
    assert unconfirmed.status_code == 400 and len(rows(database)) == 1 and media.exists()
    no_csrf = client.post(f"/library/{recording_id}/delete", data={"confirm": "y"})
    assert no_csrf.status_code == 400 and len(rows(database)) == 1
    done = client.post(
        f"/library/{recording_id}/delete", data={"csrf_token": token, "confirm": "y"}
    )
    assert done.status_code == 303
    assert rows(database) == [] and not media.exists()
    with database.session() as session:
        (entry,) = audit.recent(session, action="recording.delete")
        assert entry.actor_name == "operator-user"
        assert entry.target == f"recording {recording_id}"


def test_moderators_cannot_upload_edit_or_delete(
    client: FlaskClient, logged_in: Callable[[Role], User], recording_id: int
) -> None:
    logged_in(Role.MODERATOR)
    token = csrf_token(client, f"/library/{recording_id}")
    assert client.post("/library/upload", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/library/{recording_id}", data={"csrf_token": token}).status_code == 403
    deleting = client.post(
        f"/library/{recording_id}/delete", data={"csrf_token": token, "confirm": "y"}
    )
    assert deleting.status_code == 403
