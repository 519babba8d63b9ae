"""POST/GET /api/v1/recordings: upload, read back, list; every refusal leaves nothing behind."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from audio.models import Recording
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from tests.conftest import station_settings
from tests.library.multipart import CONTENT_TYPE, multipart
from tests.library.samples import integrated_loudness

URL = "/api/v1/recordings"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return station_settings(tmp_path, media={"max_upload_mb": 2})


@pytest.fixture
def operator(api_token: Callable[[Role], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}


def stored_files(settings: Settings) -> list[Path]:
    root = settings.media.dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_nothing_kept(database: Database, settings: Settings) -> None:
    with database.session() as session:
        assert session.query(Recording).count() == 0
    assert stored_files(settings) == []


def upload(
    client: FlaskClient, headers: dict[str, str], path: Path, name: str, **fields: str
) -> tuple[int, dict[str, object]]:
    body = multipart(fields, [("file", name, path.read_bytes())])
    response = client.post(URL, headers=headers, data=body, content_type=CONTENT_TYPE)
    return response.status_code, response.get_json()


def test_an_operator_uploads_a_phone_message_and_reads_it_back(
    client: FlaskClient,
    operator: dict[str, str],
    formats: dict[str, Path],
    settings: Settings,
    database: Database,
) -> None:
    status, body = upload(
        client, operator, formats["amr-nb"], "mensaje.amr",
        title="Mensaje de Ana", kind="testimony", language="es", speaker="Ana",
        consent="yes", tags="agua, territorio",
    )  # fmt: skip
    assert status == 201, body
    assert set(body) == {"id", "duration_s", "loudness_lufs"}
    assert abs(float(body["loudness_lufs"]) + 16.0) <= 0.5  # type: ignore[arg-type]
    shown = client.get(f"{URL}/{body['id']}", headers=operator)
    assert shown.status_code == 200
    recording = shown.get_json()
    assert recording["title"] == "Mensaje de Ana" and recording["kind"] == "testimony"
    assert recording["consent"] is True and recording["tags"] == ["agua", "territorio"]
    with database.session() as session:
        row = session.get(Recording, body["id"])
        assert row is not None
        media = settings.media.dir / row.media_path
    assert media.name == f"{recording['sha256']}.flac"
    assert abs(integrated_loudness(media) + 16.0) <= 0.5
    listed = client.get(f"{URL}?q=ana&kind=testimony&consent=yes", headers=operator).get_json()
    assert [r["id"] for r in listed["recordings"]] == [body["id"]]
    assert client.get(f"{URL}?kind=jingle", headers=operator).get_json() == {"recordings": []}


@pytest.mark.parametrize(
    ("fields", "word"),
    [({"kind": "podcast"}, "kind"), ({"kind": "jingle", "language": "??"}, "language")],
)
def test_bad_fields_are_422_before_any_audio_work(
    client: FlaskClient,
    operator: dict[str, str],
    formats: dict[str, Path],
    database: Database,
    settings: Settings,
    fields: dict[str, str],
    word: str,
) -> None:
    status, body = upload(client, operator, formats["wav"], "a.wav", **fields)
    assert status == 422 and word in body["error"]["message"]  # type: ignore[index]
    assert_nothing_kept(database, settings)


@pytest.mark.parametrize("name", ["empty", "text", "truncated"])
def test_files_that_are_not_usable_audio_are_415(
    client: FlaskClient,
    operator: dict[str, str],
    bad_files: dict[str, Path],
    database: Database,
    settings: Settings,
    name: str,
) -> None:
    status, body = upload(client, operator, bad_files[name], bad_files[name].name, kind="jingle")
    assert status == 415, body
    assert body["error"]["message"]  # type: ignore[index]
    assert_nothing_kept(database, settings)


def test_an_upload_over_the_size_limit_is_413(
    client: FlaskClient,
    operator: dict[str, str],
    database: Database,
    settings: Settings,
) -> None:
    big = multipart({"kind": "jingle"}, [("file", "big.wav", b"\0" * (3 * 1024 * 1024))])
    response = client.post(URL, headers=operator, data=big, content_type=CONTENT_TYPE)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert_nothing_kept(database, settings)


def test_a_two_hour_upload_is_413_and_answered_quickly(
    client: FlaskClient,
    operator: dict[str, str],
    two_hour_file: Path,
    database: Database,
    settings: Settings,
) -> None:
    started = time.monotonic()
    status, body = upload(client, operator, two_hour_file, "largo.flac", kind="testimony")
    assert time.monotonic() - started < 3.0
    assert status == 413 and "2:00:00" in body["error"]["message"]  # type: ignore[index]
    assert_nothing_kept(database, settings)


def test_hostile_file_names_never_reach_the_disk(
    client: FlaskClient,
    operator: dict[str, str],
    formats: dict[str, Path],
    settings: Settings,
) -> None:
    status, body = upload(
        client, operator, formats["mp3"], "../../../../tmp/evil.mp3", kind="jingle"
    )
    assert status == 201, body
    encoded_name = b"filename*=UTF-8''voz-%FF%FE..%2F..%2Fx.m4a"
    raw = multipart({"kind": "jingle"}, [("file", encoded_name, formats["m4a"].read_bytes())])
    response = client.post(URL, headers=operator, data=raw, content_type=CONTENT_TYPE)
    assert response.status_code == 201, response.get_json()
    titles = [
        client.get(f"{URL}/{i}", headers=operator).get_json()["title"]
        for i in (body["id"], response.get_json()["id"])
    ]
    assert titles[0] == "evil" and "/" not in titles[1]
    names = sorted(p.name for p in stored_files(settings))
    assert len(names) == 4
    assert all(len(n.split(".")[0]) == 64 and n.endswith((".flac", ".svg")) for n in names)
    assert not Path("/tmp/evil.mp3").exists()


def test_raw_bytes_that_are_not_utf8_in_a_part_header_get_a_clear_400(
    client: FlaskClient,
    operator: dict[str, str],
    formats: dict[str, Path],
    database: Database,
    settings: Settings,
) -> None:
    raw = multipart(
        {"kind": "jingle"}, [("file", b'filename="voz-\xff\xfe.wav"', formats["wav"].read_bytes())]
    )
    response = client.post(URL, headers=operator, data=raw, content_type=CONTENT_TYPE)
    assert response.status_code == 400
    assert "UTF-8" in response.get_json()["error"]["message"]
    assert_nothing_kept(database, settings)


def test_moderators_may_read_but_not_upload(
    client: FlaskClient, api_token: Callable[[Role], str], formats: dict[str, Path]
) -> None:
    moderator = {"Authorization": f"Bearer {api_token(Role.MODERATOR)}"}
    status, _body = upload(client, moderator, formats["wav"], "a.wav", kind="jingle")
    assert status == 403
    assert client.get(URL, headers=moderator).status_code == 200
    missing = client.get(f"{URL}/999", headers=moderator)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_a_json_body_is_415_and_the_operations_are_documented(
    client: FlaskClient, operator: dict[str, str]
) -> None:
    response = client.post(URL, headers=operator, json={"title": "x"})
    assert response.status_code == 415
    document = client.get("/api/v1/openapi.json").get_json()
    assert {"get", "post"} <= set(document["paths"]["/recordings"])
    assert "get" in document["paths"]["/recordings/{recording_id}"]
